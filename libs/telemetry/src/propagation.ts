/**
 * W3C trace context across process boundaries: gRPC metadata and NATS headers are both string
 * carriers, so a sweep submitted over gRPC and fanned out over NATS stays one trace.
 */
import { type Context, context, propagation, SpanKind, SpanStatusCode, type TextMapGetter, type TextMapSetter, trace } from '@opentelemetry/api';
import {
  type InterceptingCall,
  type Interceptor,
  type InterceptorOptions,
  InterceptingCall as Intercepting,
  type Metadata,
} from '@grpc/grpc-js';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { rpcAttributes } from './conventions.ts';
import { TRACER_NAME } from './setup.ts';

const metadataSetter: TextMapSetter<Metadata> = { set: (m, k, v) => m.set(k, v) };
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (m) => Object.keys(m.getMap()),
  get: (m, k) => {
    const v = m.get(k)[0];
    return v === undefined ? undefined : String(v);
  },
};

/**
 * Client interceptor: every outgoing call is a CLIENT span (rpc.*, the gRPC status code), and carries
 * that span's trace context, so the server's span is its child.
 */
export const traceContextInterceptor: Interceptor = (options: InterceptorOptions, next): InterceptingCall => {
  const path = options.method_definition.path;
  const span = trace.getTracer(TRACER_NAME).startSpan(path.replace(/^\//, ''), { kind: SpanKind.CLIENT, attributes: rpcAttributes(path) });
  const callContext = trace.setSpan(context.active(), span);
  return new Intercepting(next(options), {
    start(metadata, _listener, nextStart) {
      propagation.inject(callContext, metadata, metadataSetter);
      // grpc-js passes every event this listener does not handle straight on.
      nextStart(metadata, {
        onReceiveStatus(status, nextStatus) {
          span.setAttribute('rpc.grpc.status_code', status.code);
          if (status.code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
          span.end();
          nextStatus(status);
        },
      });
    },
  });
};

/** The caller's trace context from a server call's metadata. */
export function contextFromMetadata(metadata: Metadata): Context {
  return propagation.extract(context.active(), metadata, metadataGetter);
}

const natsSetter: TextMapSetter<MsgHdrs> = { set: (h, k, v) => h.set(k, v) };
const natsGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (h) => (h ? h.keys() : []),
  get: (h, k) => (h?.has(k) ? h.get(k) : undefined),
};

/** NATS headers holding the active trace context (plus any extra headers). */
export function natsHeadersWithContext(extra: Readonly<Record<string, string>> = {}): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  propagation.inject(context.active(), h, natsSetter);
  return h;
}

export function contextFromNatsHeaders(h: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), h, natsGetter);
}
