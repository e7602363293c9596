/** Runs work inside a span that ends with the work and records its failure. */
import { type Attributes, type Context, context, type Link, type Span, type SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TRACER_NAME } from './setup.ts';

export interface SpanOptions {
  readonly attributes?: Attributes;
  readonly links?: Link[];
  /** Parent context (e.g. extracted from a message); the active context otherwise. */
  readonly parent?: Context;
  /** CLIENT/SERVER for gRPC, PRODUCER/CONSUMER for NATS (see conventions.ts); INTERNAL otherwise. */
  readonly kind?: SpanKind;
}

export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(name, { attributes: options.attributes, links: options.links, ...(options.kind === undefined ? {} : { kind: options.kind }) }, parent, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active span's ids, to record who wrote something (e.g. a checkpoint) so later spans can link to it. */
export function activeSpanRef(): { traceId: string; spanId: string } | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : undefined;
}

/** A link to a span recorded by `activeSpanRef`, possibly in another process or trace. */
export function linkTo(ref: { traceId: string; spanId: string }, attributes?: Attributes): Link {
  return { context: { traceId: ref.traceId, spanId: ref.spanId, traceFlags: 1, isRemote: true }, attributes };
}

/** Attribute names shared by every service, so traces can be queried uniformly. */
export const ATTR = {
  sweep: 'rewind.sweep.id',
  experiment: 'rewind.experiment.id',
  job: 'rewind.job.id',
  checkpoint: 'rewind.checkpoint.id',
  rewindCheckpoint: 'rewind.rewind_checkpoint.id',
  mask: 'rewind.mask.id',
  round: 'rewind.round',
  trainer: 'rewind.trainer',
} as const;
