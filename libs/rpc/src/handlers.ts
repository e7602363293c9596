/** Server-side handler wrappers: each call runs in a span continuing the caller's trace, errors map to gRPC codes. */
import type { handleServerStreamingCall, handleUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { Attributes } from '@opentelemetry/api';
import { contextFromMetadata, inSpan } from '@rewind/telemetry';
import { toServiceError } from './errors.ts';

export function unaryHandler<Req, Res>(
  span: string,
  work: (request: Req) => Promise<Res>,
  attributes?: (request: Req) => Attributes,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    inSpan(span, { parent: contextFromMetadata(call.metadata), attributes: attributes?.(call.request) }, () =>
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
    inSpan(span, { parent: contextFromMetadata(call.metadata), attributes: attributes?.(call.request) }, () =>
      work(call.request, call),
    ).then(
      () => call.end(),
      (err) => call.destroy(Object.assign(new Error((err as Error).message), toServiceError(err))),
    );
  };
}
