/** One status line for a long sweep: overall trainings, the current job's steps, and its speed. */

export interface ProgressLine {
  done: number;
  total: number;
  label: string;
  step: number;
  endStep: number;
  loss: number;
}

export class ProgressBar {
  private readonly state: ProgressLine = { done: 0, total: 0, label: '', step: 0, endStep: 0, loss: Number.NaN };
  private lastDraw = 0;
  private stepClock = { step: 0, at: performance.now(), rate: 0 };

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly examplesPerStep: number,
  ) {}

  update(patch: Partial<ProgressLine>): void {
    const stepBack = patch.step !== undefined && patch.step < this.state.step;
    if (stepBack) this.stepClock = { step: patch.step!, at: performance.now(), rate: 0 };
    // A patch without `loss` keeps the last one, but not across jobs: a new job shows none until it reports one.
    if (stepBack || (patch.label !== undefined && patch.label !== this.state.label)) this.state.loss = Number.NaN;
    Object.assign(this.state, patch);
    const now = performance.now();
    if (now - this.stepClock.at > 1000) {
      this.stepClock = { step: this.state.step, at: now, rate: ((this.state.step - this.stepClock.step) * 1000) / (now - this.stepClock.at) };
    }
    if (this.out.isTTY && now - this.lastDraw > 100) {
      this.lastDraw = now;
      this.out.write(`\r${this.render()}\x1b[K`);
    }
  }

  /** A finished training: on a terminal the bar moves on; in a log, one line per training. */
  finished(label: string): void {
    if (this.out.isTTY) this.update({});
    else this.out.write(`[${this.state.done}/${this.state.total}] ${label}\n`);
  }

  close(): void {
    if (this.out.isTTY) this.out.write('\n');
  }

  private render(): string {
    const { done, total, label, step, endStep, loss } = this.state;
    const width = 24;
    const filled = total ? Math.round((width * done) / total) : 0;
    const speed = this.stepClock.rate ? ` · ${Math.round(this.stepClock.rate * this.examplesPerStep)} ex/s` : '';
    const lossText = Number.isFinite(loss) ? ` · loss ${loss.toFixed(3)}` : '';
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} · ${label} · step ${step}/${endStep}${lossText}${speed}`;
  }
}
