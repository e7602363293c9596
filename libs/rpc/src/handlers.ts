/**
 * Server-side handler wrappers: each call runs in a span continuing the caller's trace, and every failure,
 * unary or streaming, ends the call with a gRPC status (never a silent close the client waits on).
 */
import type { handleServerStreamingCall, handleUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { Attributes } from '@opentelemetry/api';
import { contextFromMetadata, inSpan, rpcAttributes, SPAN_KIND } from '@rewind/telemetry';
import { toServiceError } from './errors.ts';

/** Client-supplied values land in span attributes: bounded, so a huge id never makes a huge trace line. */
export const MAX_ATTRIBUTE_CHARS = 256;

export function boundedAttributes(attributes: Attributes | undefined): Attributes | undefined {
  if (attributes === undefined) return undefined;
  const bounded: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    bounded[key] = typeof value === 'string' && value.length > MAX_ATTRIBUTE_CHARS ? `${value.slice(0, MAX_ATTRIBUTE_CHARS)}…` : value;
  }
  return bounded;
}

/** Attributes from the request; a request too malformed to describe gets none rather than failing the call. */
function requestAttributes<Req>(attributes: ((request: Req) => Attributes) | undefined, request: Req): Attributes | undefined {
  try {
    return boundedAttributes(attributes?.(request));
  } catch {
    return undefined;
  }
}

export function unaryHandler<Req, Res>(
  span: string,
  work: (request: Req) => Promise<Res>,
  attributes?: (request: Req) => Attributes,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    inSpan(span, { kind: SPAN_KIND.server, parent: contextFromMetadata(call.metadata), attributes: { ...rpcAttributes(call.getPath()), ...requestAttributes(attributes, call.request) } }, () =>
      work(call.request),
    ).then(
      (res) => callback(null, res),
      (err) => callback(toServiceError(err)),
    );
  };
}

export function streamHandler<Req, Res>(
  span: string,
  work: (request: Req, call: ServerWritableStream<Req, Res>) => Promise<void>,
  attributes?: (request: Req) => Attributes,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    inSpan(span, { kind: SPAN_KIND.server, parent: contextFromMetadata(call.metadata), attributes: { ...rpcAttributes(call.getPath()), ...requestAttributes(attributes, call.request) } }, () =>
      work(call.request, call),
    ).then(
      () => call.end(),
      // grpc-js sends the status of an 'error' event; destroy() would close the stream with none.
      (err) => call.emit('error', Object.assign(new Error((err as Error).message), toServiceError(err))),
    );
  };
}
