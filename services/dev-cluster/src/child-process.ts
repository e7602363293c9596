/**
 * One child process of the local cluster: started with its output prefixed and kept, awaited until it
 * says it is ready, and stopped with SIGTERM (SIGKILL if it hangs) so its graceful shutdown runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Resolves once this text shows up on stdout or stderr. */
  readonly readyWhen: RegExp;
  readonly readyTimeoutMs?: number;
  /** Echo output lines (prefixed with the name) to this process's stderr. */
  readonly echo?: boolean;
}

export class Child {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly spec: ChildSpec,
    readonly process: ChildProcess,
  ) {
    this.exited = once(process, 'exit').then(([code]) => code as number | null);
  }

  static async start(spec: ChildSpec): Promise<Child> {
    const proc = spawn(spec.command, [...spec.args], {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = new Child(spec, proc);
    await child.waitFor(spec.readyWhen, spec.readyTimeoutMs ?? 60_000);
    return child;
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Not yet exited. */
  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Everything the process printed so far (for assertions and post-mortems). */
  get log(): string {
    return this.output;
  }

  /** Resolves when `pattern` appears in the output (already printed counts). */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => pattern.test(this.output);
      const onData = (data: Buffer): void => {
        // After the first wait, `collect` already records the output; recording it here too would double it.
        if (!this.collecting) this.record(data);
        if (check()) done(undefined);
      };
      const onExit = (code: number | null): void =>
        done(new Error(`${this.spec.name} exited (code ${code}) before printing ${pattern}:\n${this.output.slice(-4000)}`));
      const timer = setTimeout(
        () => done(new Error(`${this.spec.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.output.slice(-4000)}`)),
        timeoutMs,
      );
      const done = (err: Error | undefined): void => {
        clearTimeout(timer);
        this.process.stdout?.off('data', onData);
        this.process.stderr?.off('data', onData);
        this.process.off('exit', onExit);
        // Keep collecting output after the wait ends.
        this.collect();
        err ? reject(err) : resolve();
      };
      this.process.stdout?.on('data', onData);
      this.process.stderr?.on('data', onData);
      this.process.once('exit', onExit);
      if (this.process.exitCode !== null) onExit(this.process.exitCode);
      else if (check()) done(undefined);
    });
  }

  private record(data: Buffer): void {
    const text = data.toString();
    this.output += text;
    if (this.spec.echo) for (const line of text.split('\n')) if (line) process.stderr.write(`[${this.spec.name}] ${line}\n`);
  }

  private collecting = false;
  private collect(): void {
    if (this.collecting) return;
    this.collecting = true;
    const onData = (data: Buffer): void => this.record(data);
    this.process.stdout?.on('data', onData);
    this.process.stderr?.on('data', onData);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (!this.running) return this.process.exitCode;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Abrupt death, as when a node fails: no cleanup runs. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }
}
