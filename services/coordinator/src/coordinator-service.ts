/** The Coordinator gRPC API: sweeps in, events and tickets out. One SweepActor per running sweep. */
import { context, propagation } from '@opentelemetry/api';
import { pinnedWrittenSpec, quoteBounded, sweepId as sweepIdOf } from '@rewind/core';
import { prepareSpec } from '@rewind/engine';
import { parseSweepSpec } from '@rewind/kinds';
import { NatsEventSink, replayEvents } from '@rewind/nats-ports';
import {
  type CoordinatorServiceServer,
  FailedPreconditionError,
  type GrpcCheckpointStore,
  InvalidArgumentError,
  lineageToMessage,
  NotFoundError,
  streamHandler,
  SweepState,
  type SweepStatus,
  unaryHandler,
} from '@rewind/rpc';
import { type Lineage, walkLineage } from '@rewind/runner';
import { ATTR } from '@rewind/telemetry';
import { SweepActor, type SweepDeps } from './sweep-actor.ts';
import type { SweepPhase, SweepRecord, TicketRecord } from './sweep-records.ts';

type Linked = { id: string; lineage: Lineage };

const STATES: Record<SweepPhase, SweepState> = {
  running: SweepState.SWEEP_STATE_RUNNING,
  succeeded: SweepState.SWEEP_STATE_SUCCEEDED,
  failed: SweepState.SWEEP_STATE_FAILED,
  cancelled: SweepState.SWEEP_STATE_CANCELLED,
};

export class Coordinator {
  private readonly actors = new Map<string, SweepActor>();

  constructor(private readonly deps: SweepDeps & { readonly store: GrpcCheckpointStore }) {}

  /** Picks up every sweep a previous coordinator left running. */
  async resume(): Promise<number> {
    const running = await this.deps.records.running();
    for (const record of running) this.start(record);
    return running.length;
  }

  private start(record: SweepRecord): void {
    if (this.actors.has(record.sweepId)) return;
    const actor = new SweepActor(record, this.deps);
    this.actors.set(record.sweepId, actor);
    void actor.ended.finally(() => this.actors.delete(record.sweepId));
  }

  /** Runs a failed or cancelled sweep again; false if it is running or has succeeded. */
  private async reopen(record: SweepRecord): Promise<boolean> {
    if (record.phase !== 'failed' && record.phase !== 'cancelled') return false;
    if (this.actors.has(record.sweepId)) {
      throw new FailedPreconditionError(`sweep ${record.sweepId} is still stopping; try again in a moment`);
    }
    const reopened = await this.deps.records.reopen(record);
    // Published before the actor starts, so a watcher never mistakes the last attempt's end for this one's.
    await new NatsEventSink(this.deps.nc, record.sweepId).publish({ $case: 'sweepResumed', value: { attempt: reopened.attempt ?? 0 } });
    this.start(reopened);
    return true;
  }

  /** The ticket whose mask is `maskId`, or the one ticket whose mask id starts with it (8+ hex digits). */
  private async ticketOf(maskId: string): Promise<TicketRecord | undefined> {
    if (!maskId) throw new InvalidArgumentError('mask_id is required');
    const full = /^[0-9a-f]{64}$/.test(maskId);
    if (!full && !/^[0-9a-f]{8,63}$/.test(maskId)) {
      throw new InvalidArgumentError(`mask_id ${quoteBounded(maskId)} is neither a checkpoint id (64 lowercase hex digits) nor a prefix of one (at least 8)`);
    }
    const matches = await this.deps.records.ticketsByMask(maskId);
    const masks = new Set(matches.map((t) => t.maskId));
    if (masks.size > 1) throw new InvalidArgumentError(`mask id prefix ${maskId} is ambiguous: ${masks.size} tickets' masks start with it; give more digits`);
    if (masks.size === 0 && !full) throw new NotFoundError(`no ticket's mask id starts with ${maskId}`);
    return matches[0];
  }

  /** A ticket's mask back to the trunk, and its rewind point W_k back to the trunk's start. */
  async lineage(maskId: string): Promise<{ ticket: TicketRecord | undefined; chain: Linked[]; rewind: Linked[] }> {
    const ticket = await this.ticketOf(maskId);
    const [chain, rewind] = await Promise.all([walkLineage(this.deps.store, ticket?.maskId ?? maskId), ticket ? walkLineage(this.deps.store, ticket.rewindId) : []]);
    return { ticket, chain, rewind };
  }

  /** Stops a running sweep: queued trainings are dropped, finished work stays in the ledger. */
  async cancel(sweepId: string): Promise<SweepStatus> {
    await this.status(sweepId);
    await this.actors.get(sweepId)?.cancel();
    return this.status(sweepId);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.actors.values()].map((a) => a.release()));
  }

  private async status(sweepId: string): Promise<SweepStatus> {
    const r = await this.deps.records.get(sweepId);
    if (r === undefined) throw new NotFoundError(`no sweep ${sweepId}`);
    const tickets = await this.deps.records.tickets(sweepId);
    return { sweepId, state: STATES[r.phase], done: r.done, total: r.total, error: r.error, tickets: tickets.length };
  }

  readonly service: CoordinatorServiceServer = {
    submitSweep: unaryHandler('sweep.submit', async (r) => {
      let raw: unknown;
      try {
        raw = JSON.parse(r.specJson);
      } catch (err) {
        throw new InvalidArgumentError(`spec_json is not JSON: ${(err as Error).message}`);
      }
      const spec = await prepareSpec(parseSweepSpec(raw));
      const sweepId = sweepIdOf(spec);
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      const record: SweepRecord = {
        sweepId,
        // The spec as written (parseSweepSpec reads the written form, not its own output), index facts pinned.
        specJson: JSON.stringify(pinnedWrittenSpec(raw as Record<string, unknown>, spec)),
        phase: 'running',
        done: 0,
        total: 0,
        error: '',
        traceparent: carrier.traceparent ?? '',
      };
      const created = await this.deps.records.create(record);
      if (created) this.start(record);
      const existing = created ? undefined : await this.deps.records.get(sweepId);
      const resumed = existing !== undefined && (await this.reopen(existing));
      return { sweepId, created, resumed };
    }),
    getSweep: unaryHandler('sweep.get', async (r) => ({ status: await this.status(r.sweepId) })),
    watchSweep: streamHandler(
      'sweep.watch',
      async (r, call) => {
        await this.status(r.sweepId);
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        for await (const event of replayEvents(this.deps.nc, r.sweepId, {
          follow: true,
          afterSequence: r.afterSequence,
          signal: abort.signal,
        })) {
          call.write({ event });
        }
      },
      (r) => ({ [ATTR.sweep]: r.sweepId }),
    ),
    listTickets: unaryHandler('sweep.tickets', async (r) => {
      await this.status(r.sweepId);
      return { tickets: await this.deps.records.tickets(r.sweepId) };
    }),
    getTicketLineage: unaryHandler('ticket.lineage', async (r) => {
      const { chain, rewind } = await this.lineage(r.maskId);
      const toMessage = (links: Linked[]) => links.map(({ id, lineage }) => ({ id, lineage: lineageToMessage(lineage) }));
      return { chain: toMessage(chain), rewind: toMessage(rewind) };
    }),
    listAnalyses: unaryHandler(
      'sweep.analyses',
      async (r) => {
        await this.status(r.sweepId);
        const analyses = [];
        // Up to the stream's current end: plug-in results may come after the sweep's own last event.
        for await (const e of replayEvents(this.deps.nc, r.sweepId, { kind: 'analysis_completed', follow: false })) {
          if (e.event?.$case === 'analysisCompleted') analyses.push(e.event.value);
        }
        return { analyses };
      },
      (r) => ({ [ATTR.sweep]: r.sweepId }),
    ),
    getResults: unaryHandler(
      'sweep.results',
      async (r) => {
        const status = await this.status(r.sweepId);
        const resultsJson = await this.deps.records.results(r.sweepId);
        if (resultsJson === undefined) {
          throw new FailedPreconditionError(`sweep ${r.sweepId} has no results yet: ${status.done}/${status.total} trainings done, state ${SweepState[status.state]}`);
        }
        return { resultsJson };
      },
      (r) => ({ [ATTR.sweep]: r.sweepId }),
    ),
    resumeSweep: unaryHandler('sweep.resume', async (r) => {
      const record = await this.deps.records.get(r.sweepId);
      if (record === undefined) throw new NotFoundError(`no sweep ${r.sweepId}`);
      if (!(await this.reopen(record))) {
        throw new FailedPreconditionError(`sweep ${r.sweepId} is ${record.phase}; only a failed or cancelled sweep can be resumed`);
      }
      return { status: await this.status(r.sweepId) };
    }),
    cancelSweep: unaryHandler('sweep.cancel', async (r) => ({ status: await this.cancel(r.sweepId) })),
  };
}
