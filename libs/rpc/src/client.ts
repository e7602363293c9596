/** Client plumbing shared by every gRPC port: trace propagation, message limits, promisified calls with retry. */
import {
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientUnaryCall,
  credentials,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { traceContextInterceptor } from '@rewind/telemetry';
import { callWithRetry, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';

export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export const insecure = credentials.createInsecure;

/** Options for a generated client constructor: every call carries the active trace context. */
export function channelOptions(): ChannelOptions & { interceptors: (typeof traceContextInterceptor)[] } {
  return {
    interceptors: [traceContextInterceptor],
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // Long streams (watch) have no deadline; pings notice a dead server or connection instead.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  };
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (err: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface CallSettings {
  /** e.g. "checkpoint-store at 10.0.0.5:7000": named in errors. */
  readonly server: string;
  readonly retry?: RetryPolicy;
  /** Per attempt; every call has one, so a server that never answers is an error, not a hang. */
  readonly timeoutMs?: number;
  /** The channel's credentials (read by client constructors); by default this process's (REWIND_TLS_*). */
  readonly credentials?: ChannelCredentials;
}

/** Long enough for the slowest legitimate call (an analysis over a linear path), short of forever. */
export const DEFAULT_CALL_TIMEOUT_MS = 30 * 60_000;

export const deadlineOf = (settings: CallSettings): Date => new Date(Date.now() + (settings.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS));

export function unary<Req, Res>(settings: CallSettings, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return callWithRetry(settings.server, settings.retry ?? DEFAULT_RETRY, () => once(settings, method, request));
}

function once<Req, Res>(settings: CallSettings, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  const options: Partial<CallOptions> = { deadline: deadlineOf(settings) };
  return new Promise((resolve, reject) =>
    method(request, new Metadata(), options, (err, res) => (err ? reject(err) : resolve(res))),
  );
}
