/**
 * A sweep's events folded into what the dashboard shows (pure: no I/O, no clock of its own). Both modes
 * feed it the same timed events, so an embedded run and a cluster sweep look the same.
 */
import type { ResultRow } from '@rewind/core';
import type { TimedEvent } from '@rewind/local/files';
import type { AnalysisView, CurveView, JobView, LogLine, SweepInfo, SweepSnapshot, SweepState, TicketView } from './views.ts';

export const MAX_LOG_LINES = 200;
export const MAX_CURVE_POINTS = 400;

interface JobTrack {
  view: JobView;
  /** The first sample seen, for the job's average speed. */
  readonly first: { readonly at: number; readonly step: number };
}

type Ticket = Omit<TicketView, 'rewindStep' | 'round' | 'weightsRemaining' | 'finalAccuracy' | 'bestAccuracy'>;

export class SweepView {
  private state: SweepState = 'running';
  private error: string | undefined;
  private attempt = 0;
  private startedAt: number | undefined;
  private updatedAt: number | undefined;
  private endedAt: number | undefined;
  private done = 0;
  private total = 0;
  /** Trainings found done in the ledger at this attempt's start (cached): they say nothing about speed. */
  private doneBefore = 0;
  private readonly jobs = new Map<string, JobTrack>();
  private readonly rows = new Map<string, ResultRow>();
  private readonly analyses: { experiment: string; analysis: string; result: unknown }[] = [];
  private readonly tickets: Ticket[] = [];
  private readonly curves = new Map<string, { rewindStep?: number; round?: number; points: [number, number][] }>();
  private readonly log: LogLine[] = [];
  /** Each job's latest trainer log line, shown beside it while it runs. */
  private readonly jobLines = new Map<string, string>();
  /** Bumped by every event, so a server sends a snapshot only when something changed. */
  version = 0;

  constructor(private readonly info: SweepInfo) {}

  get running(): boolean {
    return this.state === 'running';
  }

  apply(e: TimedEvent): void {
    this.version++;
    this.updatedAt = e.at;
    this.startedAt ??= e.at;
    switch (e.type) {
      case 'sweep.started':
        this.startAttempt(e.at, e.attempt);
        this.say(e.at, e.attempt === 0 ? 'sweep started' : `sweep resumed (attempt ${e.attempt})`);
        return;
      case 'sweep.finished':
        this.state = e.state;
        this.error = e.error || undefined;
        this.endedAt = e.at;
        this.jobs.clear();
        this.jobLines.clear();
        this.say(e.at, `sweep ${e.state}${e.error ? `: ${e.error}` : ''}`);
        return;
      case 'progress':
        this.done = e.done;
        this.total = e.total;
        if (e.cached) this.doneBefore = e.done;
        else this.say(e.at, `[${e.done}/${e.total}] ${e.label}`);
        return;
      case 'job.progress':
        this.trackJob(e);
        return;
      case 'job.log':
        this.jobLines.set(e.jobId, e.line);
        this.say(e.at, `${e.trainer}: ${e.line}`);
        return;
      case 'round.completed': {
        const row = e.row as ResultRow;
        this.rows.set(`${row.experiment}|${row.copy}`, row);
        this.say(e.at, `${row.kind} k=${row.rewindStep} round ${row.round}: ${(100 * row.finalAccuracy).toFixed(2)}% test accuracy at ${(100 * row.weightsRemaining).toFixed(1)}% weights`);
        return;
      }
      case 'ticket.found':
        this.tickets.push({ experiment: e.experiment, maskId: e.maskId, rewindId: e.rewindId, finalId: e.finalId });
        this.say(e.at, `ticket ${e.maskId.slice(0, 12)} (rewind ${e.rewindId.slice(0, 12)})`);
        return;
      case 'analysis.completed':
        this.analyses.push({ experiment: e.experiment, analysis: e.analysis, result: e.result });
        this.say(e.at, `analysis ${e.analysis} of ${e.experiment.slice(0, 14)}`);
        return;
      case 'checkpoint.corrupt':
        this.say(e.at, `checkpoint ${e.id.slice(0, 12)} is corrupt; recomputing it from ${e.experiment.slice(0, 14)}`);
        return;
      case 'checkpoint.saved':
        return;
    }
  }

  private startAttempt(at: number, attempt: number): void {
    this.attempt = attempt;
    this.state = 'running';
    this.error = undefined;
    this.startedAt = at;
    this.endedAt = undefined;
    this.doneBefore = this.done;
    this.jobs.clear();
  }

  private trackJob(e: Extract<TimedEvent, { type: 'job.progress' }>): void {
    const known = this.jobs.get(e.jobId);
    const first = known?.first ?? { at: e.at, step: e.step };
    const seconds = (e.at - first.at) / 1000;
    const stepsPerSecond = seconds > 0 && e.step > first.step ? (e.step - first.step) / seconds : undefined;
    const view: JobView = {
      jobId: e.jobId,
      experiment: e.experiment,
      trainer: e.trainer,
      step: e.step,
      endStep: e.endStep,
      updatedAt: e.at,
      ...(e.rewindStep === undefined ? {} : { rewindStep: e.rewindStep }),
      ...(e.round === undefined ? {} : { round: e.round }),
      ...(e.trainLoss === undefined ? {} : { loss: e.trainLoss }),
      ...(stepsPerSecond === undefined
        ? {}
        : { stepsPerSecond, examplesPerSecond: stepsPerSecond * e.batchSize, etaMs: (1000 * (e.endStep - e.step)) / stepsPerSecond }),
    };
    if (e.step >= e.endStep) {
      this.jobs.delete(e.jobId);
      this.jobLines.delete(e.jobId);
    } else this.jobs.set(e.jobId, { view, first });
    if (e.trainLoss !== undefined && Number.isFinite(e.trainLoss)) this.addCurvePoint(e, e.trainLoss);
  }

  private addCurvePoint(e: Extract<TimedEvent, { type: 'job.progress' }>, loss: number): void {
    const curve = this.curves.get(e.experiment) ?? { ...(e.round === undefined ? {} : { rewindStep: e.rewindStep, round: e.round }), points: [] };
    this.curves.set(e.experiment, curve);
    if (curve.points.at(-1)?.[0] === e.step) return;
    curve.points.push([e.step, loss]);
    // Thinned by dropping every other point: long trainings keep their shape at a bounded size.
    if (curve.points.length > MAX_CURVE_POINTS) curve.points = curve.points.filter((_, i) => i % 2 === 0 || i === curve.points.length - 1);
  }

  private say(at: number, text: string): void {
    this.log.push({ at, text });
    if (this.log.length > MAX_LOG_LINES) this.log.splice(0, this.log.length - MAX_LOG_LINES);
  }

  /** The view at time `now` (elapsed and ETA run on between events). */
  snapshot(now: number): SweepSnapshot {
    const rows = [...this.rows.values()];
    const rowOf = new Map(rows.filter((r) => r.copy === 0).map((r) => [r.experiment, r]));
    const jobs = [...this.jobs.values()].map((j): JobView => {
      const line = this.jobLines.get(j.view.jobId);
      return line === undefined ? j.view : { ...j.view, lastLog: line };
    });
    const running = this.state === 'running';
    const elapsedMs = this.startedAt === undefined ? 0 : Math.max(0, (this.endedAt ?? (running ? now : this.updatedAt ?? now)) - this.startedAt);
    const etaMs = running ? this.eta(jobs, elapsedMs) : undefined;
    return {
      ...this.info,
      state: this.state,
      ...(this.error === undefined ? {} : { error: this.error }),
      attempt: this.attempt,
      ...(this.startedAt === undefined ? {} : { startedAt: this.startedAt }),
      ...(this.updatedAt === undefined ? {} : { updatedAt: this.updatedAt }),
      done: this.done,
      total: this.total,
      backends: [...new Set(rows.map((r) => r.backend))],
      elapsedMs,
      ...(etaMs === undefined ? {} : { etaMs }),
      jobs,
      rows,
      analyses: this.analyses.map((a) => analysisView(a, rowOf.get(a.experiment))),
      tickets: this.tickets.map((t) => ticketView(t, rowOf.get(t.experiment))),
      curves: [...this.curves].map(([experiment, c]): CurveView => ({ experiment, ...c, points: [...c.points] })),
      log: [...this.log],
    };
  }

  /** Time left at this attempt's pace, counting the finished part of trainings in flight. */
  private eta(jobs: readonly JobView[], elapsedMs: number): number | undefined {
    const inFlight = jobs.reduce((sum, j) => sum + (j.endStep > 0 ? j.step / j.endStep : 0), 0);
    const progressed = this.done - this.doneBefore + inFlight;
    if (this.total === 0 || progressed <= 0 || elapsedMs <= 0) return undefined;
    return Math.max(0, (elapsedMs * (this.total - this.done - inFlight)) / progressed);
  }
}

function analysisView(a: { experiment: string; analysis: string; result: unknown }, row: ResultRow | undefined): AnalysisView {
  if (!row) return a;
  return { ...a, kind: row.kind, seed: row.seed, rewindStep: row.rewindStep, round: row.round, weightsRemaining: row.weightsRemaining };
}

function ticketView(t: Ticket, row: ResultRow | undefined): TicketView {
  if (!row) return t;
  return { ...t, rewindStep: row.rewindStep, round: row.round, weightsRemaining: row.weightsRemaining, finalAccuracy: row.finalAccuracy, bestAccuracy: row.bestAccuracy };
}
