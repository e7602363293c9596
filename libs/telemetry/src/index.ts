export { OtlpJsonFileExporter } from './file-exporter.ts';
export {
  contextFromMetadata,
  contextFromNatsHeaders,
  natsHeadersWithContext,
  traceContextInterceptor,
} from './propagation.ts';
export { startTelemetry, type Telemetry, type TelemetryOptions, TRACER_NAME } from './setup.ts';
export { ATTR, activeSpanRef, inSpan, linkTo, type SpanOptions } from './spans.ts';
