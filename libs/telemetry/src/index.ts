export { OtlpJsonFileExporter } from './file-exporter.ts';
export {
  contextFromMetadata,
  contextFromNatsHeaders,
  natsHeadersWithContext,
  traceContextInterceptor,
} from './propagation.ts';
export { messagingAttributes, rpcAttributes, SPAN_KIND } from './conventions.ts';
export { ATTRIBUTE_VALUE_LIMIT, startTelemetry, type Telemetry, type TelemetryOptions, TRACER_NAME } from './setup.ts';
export { ATTR, activeSpanRef, inSpan, linkTo, type SpanOptions } from './spans.ts';
