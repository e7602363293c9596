/**
 * Domain events on the durable REWIND_EVENTS stream. Publishing dedupes by a key naming what happened
 * (a restarted coordinator re-emits finished work; it must not appear twice), and any consumer can
 * replay a sweep's events from the start or from a sequence.
 */
import { createHash } from 'node:crypto';
import { eventKind, eventToMessage, type EventBody, SweepEventMessage } from '@rewind/rpc';
import type { EventSink, SweepEvent } from '@rewind/runner';
import { natsHeadersWithContext } from '@rewind/telemetry';
import { DeliverPolicy, type NatsConnection, type PubAck } from 'nats';
import { retryNats } from './nats-retry.ts';
import { checkSweepId, EVENTS_STREAM, eventSubject, sweepEventsFilter } from './subjects.ts';

/** What makes an event the same event again. */
function dedupeKey(sweepId: string, body: EventBody): string {
  switch (body.$case) {
    case 'checkpointSaved':
      return `${sweepId}:checkpoint:${body.value.id}`;
    case 'checkpointCorrupt':
      return `${sweepId}:corrupt:${body.value.id}`;
    case 'roundCompleted':
      return `${sweepId}:round:${body.value.experiment}`;
    case 'ticketFound':
      return `${sweepId}:ticket:${body.value.experiment}`;
    case 'progress':
      return `${sweepId}:progress:${body.value.label}`;
    case 'jobProgress':
      return `${sweepId}:job-progress:${body.value.jobId}:${body.value.step}`;
    case 'jobLog':
      // The same line about the same job, published twice (a retried publish), is stored once.
      return `${sweepId}:job-log:${body.value.jobId}:${createHash('sha256').update(body.value.line).digest('hex').slice(0, 16)}`;
    case 'analysisCompleted': {
      const { experiment, analysis, plugin } = body.value;
      // A plug-in publishes once per (plugin, version, experiment), however often its input is redelivered.
      return plugin ? `${sweepId}:plugin:${plugin.name}:${plugin.version}:${experiment}` : `${sweepId}:analysis:${experiment}:${analysis}`;
    }
    case 'sweepFinished':
      return `${sweepId}:finished:${body.value.attempt}`;
    case 'sweepResumed':
      return `${sweepId}:resumed:${body.value.attempt}`;
  }
}

export class NatsEventSink implements EventSink {
  constructor(
    private readonly nc: NatsConnection,
    private readonly sweepId: string,
  ) {
    checkSweepId(sweepId);
  }

  async emit(event: SweepEvent): Promise<void> {
    await this.publish(eventToMessage(event));
  }

  /**
   * Publishes any event body, including the transport-only `sweepFinished` and `sweepResumed`. Resolves once stored; the
   * ack's `duplicate` says the stream already held this event.
   */
  publish(body: EventBody): Promise<PubAck> {
    const data = SweepEventMessage.encode({ sweepId: this.sweepId, sequence: 0, storedAtMs: 0, event: body }).finish();
    const headers = natsHeadersWithContext();
    return retryNats(`publishing a ${eventKind(body)} event`, () =>
      this.nc.jetstream().publish(eventSubject(this.sweepId, eventKind(body)), data, { msgID: dedupeKey(this.sweepId, body), headers }),
    );
  }
}

export interface ReplayOptions {
  /** Only this kind of event (a subject token such as `analysis_completed`); every kind if absent. */
  readonly kind?: string;
  /** Deliver events with a stream sequence greater than this (0 = from the start). */
  readonly afterSequence?: number;
  /**
   * Keep following live events until `sweepFinished`; otherwise stop at the current end. A follower
   * skips the `sweepFinished` of an attempt that was later resumed, and follows the sweep's last attempt.
   */
  readonly follow: boolean;
  readonly signal?: AbortSignal;
}

const RESUMED_KIND = eventKind({ $case: 'sweepResumed', value: { attempt: 0 } });

/** A sweep's events in order, each with its stream sequence. */
export async function* replayEvents(
  nc: NatsConnection,
  sweepId: string,
  options: ReplayOptions,
): AsyncGenerator<SweepEventMessage> {
  checkSweepId(sweepId);
  const after = options.afterSequence ?? 0;
  const filter = options.kind ? eventSubject(sweepId, options.kind) : sweepEventsFilter(sweepId);
  const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, {
    filterSubjects: filter,
    ...(after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : {}),
  });
  const end = options.follow ? undefined : await lastSequence(nc, filter);
  if (end !== undefined && end <= after) return;
  const messages = await consumer.consume();
  const onAbort = (): void => void messages.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const m of messages) {
      const event = SweepEventMessage.decode(m.data);
      event.sequence = m.seq;
      event.storedAtMs = Math.floor(m.info.timestampNanos / 1e6);
      const finished = event.event?.$case === 'sweepFinished';
      // Only a later attempt makes an end not the last: a trainer's log line or progress may still land after it.
      if (finished && options.follow && (await lastSequence(nc, eventSubject(sweepId, RESUMED_KIND))) > m.seq) continue;
      yield event;
      if (finished && options.follow) return;
      if (end !== undefined && m.seq >= end) return;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await messages.close();
  }
}

/** The stream sequence of the latest event on `filter` (0 if none). */
async function lastSequence(nc: NatsConnection, filter: string): Promise<number> {
  const jsm = await nc.jetstreamManager();
  try {
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: filter });
    return m.seq;
  } catch {
    return 0;
  }
}
