/**
 * OpenTelemetry's semantic conventions for Rewind's two transports, so any tracing backend groups and
 * labels the spans: gRPC calls as CLIENT/SERVER spans with rpc.*, NATS messages as PRODUCER/CONSUMER
 * spans with messaging.*.
 */
import { type Attributes, SpanKind } from '@opentelemetry/api';

/** `/rewind.v1.Pruner/Prune` → rpc.system, rpc.service, rpc.method. */
export function rpcAttributes(path: string): Attributes {
  const [, service = '', method = ''] = /^\/?([^/]*)\/(.*)$/.exec(path) ?? [];
  return { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method };
}

export function messagingAttributes(subject: string, operation: 'publish' | 'receive' | 'process'): Attributes {
  return { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.operation.type': operation };
}

export const SPAN_KIND = { client: SpanKind.CLIENT, server: SpanKind.SERVER, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER } as const;
