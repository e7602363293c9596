/**
 * Tracing for one process. Exporter by environment: OTEL_EXPORTER_OTLP_ENDPOINT (a cluster's collector)
 * wins; else REWIND_TRACE_FILE gets OTLP-JSON, one export request per line (local runs); else spans are
 * created for propagation only. Tests pass their own exporter.
 */
import { type Tracer, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OtlpJsonFileExporter } from './file-exporter.ts';

export interface TelemetryOptions {
  readonly serviceName: string;
  /** Overrides the environment (tests: an InMemorySpanExporter). Spans are exported synchronously. */
  readonly exporter?: SpanExporter;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  readonly tracer: Tracer;
  /** Flushes pending spans. Never rejects: a missing collector must not break a shutdown. */
  shutdown(): Promise<void>;
}

export const TRACER_NAME = '@rewind/telemetry';

/** Longer attribute values (an error's message, a spec) are cut to this many characters. */
export const ATTRIBUTE_VALUE_LIMIT = 1024;

/**
 * Who emitted a span: the service, its namespace and instance, the host and the process. Set here rather
 * than by the SDK's detectors, whose asynchronous attributes would hold back synchronous exports.
 */
function resourceFor(serviceName: string, env: NodeJS.ProcessEnv) {
  return resourceFromAttributes({
    'service.name': serviceName,
    'service.namespace': 'rewind',
    'service.version': env.OTEL_SERVICE_VERSION ?? '0.1.0',
    'service.instance.id': randomUUID(),
    'host.name': hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
  });
}

function processorFor(options: TelemetryOptions): SpanProcessor | undefined {
  const env = options.env ?? process.env;
  if (options.exporter) return new SimpleSpanProcessor(options.exporter);
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    return new BatchSpanProcessor(new OTLPTraceExporter());
  }
  // Simple, not batched: a local run may be SIGKILLed and should lose as few spans as possible.
  if (env.REWIND_TRACE_FILE) return new SimpleSpanProcessor(new OtlpJsonFileExporter(env.REWIND_TRACE_FILE));
  return undefined;
}

export function startTelemetry(options: TelemetryOptions): Telemetry {
  const processor = processorFor(options);
  const provider = new NodeTracerProvider({
    resource: resourceFor(options.serviceName, options.env ?? process.env),
    spanLimits: { attributeValueLengthLimit: ATTRIBUTE_VALUE_LIMIT },
    spanProcessors: processor ? [processor] : [],
  });
  // Installs the AsyncLocalStorage context manager and the W3C trace-context propagator globally.
  provider.register();
  return {
    tracer: trace.getTracer(TRACER_NAME),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (err) {
        process.stderr.write(`telemetry: could not flush spans: ${(err as Error).message}\n`);
      }
    },
  };
}
