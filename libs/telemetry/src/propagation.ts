/**
 * W3C trace context across process boundaries: gRPC metadata and NATS headers are both string
 * carriers, so a sweep submitted over gRPC and fanned out over NATS stays one trace.
 */
import { type Context, context, propagation, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import {
  type InterceptingCall,
  type Interceptor,
  type InterceptorOptions,
  InterceptingCall as Intercepting,
  type Metadata,
} from '@grpc/grpc-js';
import { headers as natsHeaders, type MsgHdrs } from 'nats';

const metadataSetter: TextMapSetter<Metadata> = { set: (m, k, v) => m.set(k, v) };
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (m) => Object.keys(m.getMap()),
  get: (m, k) => {
    const v = m.get(k)[0];
    return v === undefined ? undefined : String(v);
  },
};

/** Client interceptor: every outgoing call carries the caller's active trace context. */
export const traceContextInterceptor: Interceptor = (options: InterceptorOptions, next): InterceptingCall =>
  new Intercepting(next(options), {
    start(metadata, listener, nextStart) {
      propagation.inject(context.active(), metadata, metadataSetter);
      nextStart(metadata, listener);
    },
  });

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
