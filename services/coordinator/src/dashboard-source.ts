/** The cluster's sweeps as dashboard sweeps: records in KV, history in the events stream, lineage in the store. */
import type { NatsConnection } from 'nats';
import { type LineageGraph, lineageNode, type SweepInfo, SweepNotFoundError, type SweepSource, type SweepState } from '@rewind/dashboard';
import { parseSweepSpec } from '@rewind/kinds';
import type { TimedEvent } from '@rewind/local/files';
import { replayEvents } from '@rewind/nats-ports';
import { eventFromMessage, type SweepEventMessage, SweepState as WireState } from '@rewind/rpc';
import type { Coordinator } from './coordinator-service.ts';
import type { SweepRecord, SweepRecords } from './sweep-records.ts';

const OUTCOMES: Partial<Record<WireState, Exclude<SweepState, 'running'>>> = {
  [WireState.SWEEP_STATE_SUCCEEDED]: 'succeeded',
  [WireState.SWEEP_STATE_FAILED]: 'failed',
  [WireState.SWEEP_STATE_CANCELLED]: 'cancelled',
};

export class ClusterSweepSource implements SweepSource {
  constructor(
    private readonly nc: NatsConnection,
    private readonly records: SweepRecords,
    private readonly coordinator: Coordinator,
  ) {}

  async sweeps(): Promise<SweepInfo[]> {
    return (await this.records.all()).map(sweepInfo);
  }

  async *events(sweepId: string, signal: AbortSignal): AsyncIterable<TimedEvent> {
    for await (const message of replayEvents(this.nc, sweepId, { follow: true, signal })) {
      const event = timedEvent(message);
      if (event) yield event;
    }
  }

  async cancel(sweepId: string): Promise<SweepState> {
    const status = await this.coordinator.cancel(sweepId);
    return OUTCOMES[status.state] ?? 'running';
  }

  async lineage(sweepId: string, maskId: string): Promise<LineageGraph> {
    const record = await this.records.get(sweepId);
    if (!record) throw new SweepNotFoundError(`no sweep ${sweepId}`);
    const { ticket, chain, rewind } = await this.coordinator.lineage(maskId);
    if (!ticket || !(await this.records.tickets(sweepId)).some((t) => t.maskId === ticket.maskId)) {
      throw new SweepNotFoundError(`no ticket of sweep ${sweepId} has a mask id starting with ${maskId}`);
    }
    const traceId = traceIdOf(record);
    return {
      maskId: ticket.maskId,
      ...(traceId ? { traceId } : {}),
      chain: chain.map(lineageNode),
      rewind: rewind.map(lineageNode),
    };
  }
}

function sweepInfo(record: SweepRecord): SweepInfo {
  const spec = parseSweepSpec(JSON.parse(record.specJson));
  const traceId = traceIdOf(record);
  return { sweepId: record.sweepId, name: spec.name, model: spec.model.name, dataset: spec.dataset.name, ...(traceId ? { traceId } : {}) };
}

/** The trace id inside a W3C traceparent (`00-<trace>-<span>-<flags>`). */
function traceIdOf(record: SweepRecord): string | undefined {
  return /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(record.traceparent)?.[1];
}

function timedEvent(message: SweepEventMessage): TimedEvent | undefined {
  const at = message.storedAtMs;
  const body = message.event;
  if (!body) return undefined;
  if (body.$case === 'sweepFinished') {
    const state = OUTCOMES[body.value.state] ?? 'failed';
    return { at, type: 'sweep.finished', state, ...(body.value.error ? { error: body.value.error } : {}) };
  }
  if (body.$case === 'sweepResumed') return { at, type: 'sweep.started', attempt: body.value.attempt };
  const event = eventFromMessage(body);
  return event ? { at, ...event } : undefined;
}
