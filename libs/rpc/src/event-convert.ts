/** Sweep events between domain and wire. Opaque payloads (rows, analysis results) travel as JSON. */
import type { SweepEvent } from '@rewind/runner';
import type { SweepEvent as SweepEventMessage } from '../generated/rewind/v1/events.ts';
import { lineageFromMessage, lineageToMessage } from './lineage-convert.ts';

export type EventBody = NonNullable<SweepEventMessage['event']>;

export function eventToMessage(e: SweepEvent): EventBody {
  switch (e.type) {
    case 'checkpoint.saved':
      return { $case: 'checkpointSaved', value: { id: e.id, lineage: lineageToMessage(e.lineage) } };
    case 'checkpoint.corrupt':
      return { $case: 'checkpointCorrupt', value: { id: e.id, experiment: e.experiment } };
    case 'round.completed':
      return { $case: 'roundCompleted', value: { experiment: e.experiment, rowJson: JSON.stringify(e.row) } };
    case 'ticket.found':
      return { $case: 'ticketFound', value: { experiment: e.experiment, maskId: e.maskId, rewindId: e.rewindId, finalId: e.finalId } };
    case 'progress':
      return { $case: 'progress', value: { done: e.done, total: e.total, label: e.label } };
    case 'job.progress': {
      const { type: _, ...value } = e;
      return { $case: 'jobProgress', value };
    }
    case 'job.log': {
      const { type: _, ...value } = e;
      return { $case: 'jobLog', value };
    }
    case 'analysis.completed':
      return {
        $case: 'analysisCompleted',
        value: {
          experiment: e.experiment,
          analysis: e.analysis,
          resultJson: JSON.stringify(e.result),
          ...(e.plugin ? { plugin: { ...e.plugin } } : {}),
        },
      };
  }
}

/** The domain event, or undefined for transport-only events (sweep finished). */
export function eventFromMessage(body: EventBody): SweepEvent | undefined {
  switch (body.$case) {
    case 'checkpointSaved':
      return { type: 'checkpoint.saved', id: body.value.id, lineage: lineageFromMessage(body.value.lineage, 'checkpoint.saved') };
    case 'checkpointCorrupt':
      return { type: 'checkpoint.corrupt', ...body.value };
    case 'roundCompleted':
      return { type: 'round.completed', experiment: body.value.experiment, row: JSON.parse(body.value.rowJson) };
    case 'ticketFound':
      return { type: 'ticket.found', ...body.value };
    case 'progress':
      return { type: 'progress', ...body.value };
    case 'jobProgress': {
      const { trainLoss, rewindStep, round, ...rest } = body.value;
      return {
        type: 'job.progress',
        ...rest,
        ...(trainLoss === undefined ? {} : { trainLoss }),
        ...(round === undefined ? {} : { rewindStep: rewindStep ?? 0, round }),
      };
    }
    case 'jobLog':
      return { type: 'job.log', ...body.value };
    case 'analysisCompleted':
      return {
        type: 'analysis.completed',
        experiment: body.value.experiment,
        analysis: body.value.analysis,
        result: JSON.parse(body.value.resultJson),
        ...(body.value.plugin ? { plugin: { ...body.value.plugin } } : {}),
      };
    case 'sweepFinished':
    case 'sweepResumed':
      return undefined;
  }
}

/** Subject token naming the event kind: `rewind.v1.events.<sweep>.<kind>`. */
export function eventKind(body: EventBody): string {
  return body.$case.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
