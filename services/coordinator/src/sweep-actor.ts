/**
 * One actor per sweep. It drives `runSweep` against the cluster ports and handles the sweep's events in
 * order: publish to the durable stream, keep the KV record current, and hand tickets to the IMP-run
 * actor of their rewind point. Everything it knows is in KV, so a new coordinator rebuilds it by
 * running the sweep again; the ledger makes finished work free.
 */
import { setMaxListeners } from 'node:events';
import { type Context, context, propagation } from '@opentelemetry/api';
import { parseSweepSpec, sweepResults } from '@rewind/kinds';
import { type JobOutcomeWatch, type KvLedger, NatsEventSink, NatsTrainer } from '@rewind/nats-ports';
import { type GrpcAnalyzer, type GrpcCheckpointStore, type GrpcPruner, SweepState } from '@rewind/rpc';
import { runSweep, type SweepEvent } from '@rewind/runner';
import { ATTR, inSpan } from '@rewind/telemetry';
import type { NatsConnection } from 'nats';
import { ImpRunActor } from './imp-run-actor.ts';
import { Mailbox } from './mailbox.ts';
import type { SweepPhase, SweepRecord, SweepRecords } from './sweep-records.ts';

type SweepMessage =
  | { readonly type: 'event'; readonly event: SweepEvent }
  | { readonly type: 'ended'; readonly phase: Exclude<SweepPhase, 'running'>; readonly error: string };

export interface SweepDeps {
  readonly nc: NatsConnection;
  readonly store: GrpcCheckpointStore;
  readonly pruner: GrpcPruner;
  readonly analyzer: GrpcAnalyzer;
  readonly ledger: KvLedger;
  /** One watch for every job the coordinator waits on. */
  readonly outcomes: JobOutcomeWatch;
  readonly records: SweepRecords;
  readonly log: (line: string) => void;
}

const PHASE_STATE: Record<Exclude<SweepPhase, 'running'>, SweepState> = {
  succeeded: SweepState.SWEEP_STATE_SUCCEEDED,
  failed: SweepState.SWEEP_STATE_FAILED,
  cancelled: SweepState.SWEEP_STATE_CANCELLED,
};

export class SweepActor {
  private readonly mailbox = new Mailbox<SweepMessage>((m) => this.handle(m));
  private readonly abort = new AbortController();
  private readonly runs = new Map<string, ImpRunActor>();
  private readonly sink: NatsEventSink;
  private readonly trace: Context;
  /** Resolves when the sweep has ended (or the coordinator let go of it). */
  readonly ended: Promise<void>;

  constructor(
    readonly record: SweepRecord,
    private readonly deps: SweepDeps,
  ) {
    // Every job the sweep waits on listens for its cancellation: a sweep of 100 runs has 100 at once.
    setMaxListeners(0, this.abort.signal);
    this.sink = new NatsEventSink(deps.nc, record.sweepId);
    this.trace = propagation.extract(context.active(), { traceparent: record.traceparent });
    this.ended = this.run();
  }

  private async run(): Promise<void> {
    const { sweepId } = this.record;
    try {
      const spec = parseSweepSpec(JSON.parse(this.record.specJson));
      const ports = {
        store: this.deps.store,
        ledger: this.deps.ledger,
        pruner: this.deps.pruner,
        analyzer: this.deps.analyzer,
        trainer: new NatsTrainer(this.deps.nc, this.deps.outcomes, sweepId, this.record.attempt ?? 0),
        // Events are notifications (the ledger is the record), so the run never waits for them: a sweep of
        // 100 runs would otherwise queue every finished job behind every other run's publishes.
        events: { emit: (event: SweepEvent) => void this.mailbox.send({ type: 'event', event }).catch((err) => this.deps.log(`sweep ${sweepId}: ${(err as Error).message}`)) },
      };
      const outcome = await inSpan('sweep.run', { parent: this.trace, attributes: { [ATTR.sweep]: sweepId } }, () =>
        runSweep(spec, ports, this.abort.signal),
      );
      // The same product as an embedded run's results.json, for `rewind show|report` against the cluster.
      await this.deps.records.putResults(sweepId, JSON.stringify(sweepResults(spec, outcome)));
      await this.mailbox.send({ type: 'ended', phase: 'succeeded', error: '' });
    } catch (err) {
      const reason = this.abort.signal.reason as { cancelled?: boolean } | undefined;
      if (this.abort.signal.aborted && !reason?.cancelled) {
        this.deps.log(`sweep ${sweepId} paused for shutdown; a restarted coordinator carries it on`);
        return;
      }
      const phase = this.abort.signal.aborted ? 'cancelled' : 'failed';
      await this.mailbox.send({ type: 'ended', phase, error: phase === 'failed' ? (err as Error).message : '' });
    }
  }

  private async handle(m: SweepMessage): Promise<void> {
    const { sweepId } = this.record;
    if (m.type === 'ended') {
      // Every ticket the runs found is recorded before the sweep says it ended.
      await Promise.all([...this.runs.values()].map((run) => run.idle()));
      await this.deps.records.update(sweepId, { phase: m.phase, error: m.error });
      const attempt = this.record.attempt ?? 0;
      await this.sink.publish({ $case: 'sweepFinished', value: { state: PHASE_STATE[m.phase], error: m.error, attempt } });
      this.deps.log(`sweep ${sweepId} ${m.phase}${m.error ? `: ${m.error}` : ''}`);
      return;
    }
    const { event } = m;
    await this.sink.emit(event);
    if (event.type === 'progress') await this.deps.records.update(sweepId, { done: event.done, total: event.total });
    // Each IMP run records its tickets in its own order, beside the other runs.
    if (event.type === 'ticket.found') {
      void this.impRun(event.rewindId)
        .send({ type: 'ticket', experiment: event.experiment, maskId: event.maskId })
        .catch((err) => this.deps.log(`sweep ${sweepId}: recording ticket ${event.maskId}: ${(err as Error).message}`));
    }
  }

  private impRun(rewindId: string): ImpRunActor {
    let actor = this.runs.get(rewindId);
    if (actor === undefined) {
      actor = new ImpRunActor(this.record.sweepId, rewindId, this.deps.store, this.deps.records, this.trace);
      this.runs.set(rewindId, actor);
    }
    return actor;
  }

  /** The user cancelled: trainers drop the sweep's queued jobs, the sweep ends as cancelled. */
  async cancel(): Promise<void> {
    await this.deps.records.markCancelled(this.record.sweepId);
    this.abort.abort({ cancelled: true });
    await this.ended;
  }

  /** The coordinator is stopping: let go without changing the sweep's recorded phase. */
  async release(): Promise<void> {
    this.abort.abort({ cancelled: false });
    await this.ended;
  }
}
