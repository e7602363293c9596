/**
 * One status line for a long sweep: overall trainings, the current job's steps, loss and speed, elapsed
 * time and ETA. On a terminal it redraws in place; in a log it prints one line every `logEveryMs`.
 */

export interface ProgressLine {
  done: number;
  total: number;
  label: string;
  step: number;
  endStep: number;
  loss: number;
  /** The batch size, for examples/s (a watcher learns it from the first job's progress). */
  examplesPerStep: number;
}

export interface ProgressBarOptions {
  /** Without a terminal, a status line this often (default 30 s). */
  readonly logEveryMs?: number;
  /** Milliseconds, monotonic; tests pass their own. */
  readonly now?: () => number;
}

type Output = Pick<NodeJS.WriteStream, 'write' | 'isTTY'>;

export class ProgressBar {
  private readonly state: ProgressLine;
  private readonly now: () => number;
  private readonly logEveryMs: number;
  private readonly startedAt: number;
  private lastDraw: number;
  private lastLog: number;
  private stepClock: { step: number; at: number; rate: number };
  /** Where the sweep stood when training began here (finished work read back from a ledger costs no time). */
  private baseline: { fraction: number; at: number } | undefined;

  constructor(
    private readonly out: Output,
    examplesPerStep: number,
    options: ProgressBarOptions = {},
  ) {
    this.state = { done: 0, total: 0, label: '', step: 0, endStep: 0, loss: Number.NaN, examplesPerStep };
    this.now = options.now ?? (() => performance.now());
    this.logEveryMs = options.logEveryMs ?? 30_000;
    this.startedAt = this.now();
    this.lastDraw = this.startedAt - Number.POSITIVE_INFINITY;
    this.lastLog = this.startedAt;
    this.stepClock = { step: 0, at: this.startedAt, rate: 0 };
  }

  update(patch: Partial<ProgressLine>): void {
    const stepBack = patch.step !== undefined && patch.step < this.state.step;
    const now = this.now();
    if (stepBack) this.stepClock = { step: patch.step!, at: now, rate: 0 };
    // A patch without `loss` keeps the last one, but not across jobs: a new job shows none until it reports one.
    if (stepBack || (patch.label !== undefined && patch.label !== this.state.label)) this.state.loss = Number.NaN;
    // A training finished: its steps now count in `done`, not as the current job's.
    const finishedJob = patch.done !== undefined && patch.done > this.state.done && patch.step === undefined;
    Object.assign(this.state, patch);
    if (finishedJob) this.state.step = 0;
    if (patch.step !== undefined) this.baseline ??= { fraction: this.fraction(), at: now };
    if (now - this.stepClock.at > 1000) {
      this.stepClock = { step: this.state.step, at: now, rate: ((this.state.step - this.stepClock.step) * 1000) / (now - this.stepClock.at) };
    }
    if (this.out.isTTY && now - this.lastDraw > 100) {
      this.lastDraw = now;
      this.out.write(`\r${this.render(now)}\x1b[K`);
    } else if (!this.out.isTTY && now - this.lastLog >= this.logEveryMs) {
      this.lastLog = now;
      this.out.write(`${this.render(now)}\n`);
    }
  }

  /** A finished training: on a terminal the bar moves on; in a log, one line per training. */
  finished(label: string): void {
    if (this.out.isTTY) this.update({});
    else this.out.write(`[${this.state.done}/${this.state.total}] ${label} · elapsed ${duration(this.now() - this.startedAt)}\n`);
  }

  /** A line of its own (a ticket found, an error): on a terminal the status line is drawn again below it. */
  interrupt(line: string): void {
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K\n${this.render(this.now())}`);
    else this.out.write(`${line}\n`);
  }

  close(): void {
    if (this.out.isTTY) this.out.write('\n');
  }

  /** The sweep's progress in trainings, counting the current job's share of its steps. */
  private fraction(): number {
    const { done, total, step, endStep } = this.state;
    if (!total) return 0;
    const current = done < total && endStep > 0 ? Math.min(1, step / endStep) : 0;
    return Math.min(1, (done + current) / total);
  }

  private eta(now: number): string {
    if (!this.baseline) return '';
    const gained = this.fraction() - this.baseline.fraction;
    const spent = now - this.baseline.at;
    // Too little progress yet for a rate worth printing.
    if (gained <= 0 || spent < 1000) return '';
    return ` · ETA ${duration((spent * (1 - this.fraction())) / gained)}`;
  }

  private render(now: number): string {
    const { done, total, label, step, endStep, loss } = this.state;
    const width = 24;
    const filled = total ? Math.round((width * done) / total) : 0;
    const speed = this.stepClock.rate ? ` · ${Math.round(this.stepClock.rate * this.state.examplesPerStep)} ex/s` : '';
    const lossText = Number.isFinite(loss) ? ` · loss ${loss.toFixed(3)}` : '';
    const bar = this.out.isTTY ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
    return `${bar}${done}/${total} · ${label} · step ${step}/${endStep}${lossText}${speed} · elapsed ${duration(now - this.startedAt)}${this.eta(now)}`;
  }
}

/** 42s, 3m 05s, 2h 07m: precise enough to plan by, short enough for one line. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
