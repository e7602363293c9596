/** Shared by the embedded-mode tests: temporary run directories and the `rewind` CLI as a child process. */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rewindCommand, scaled } from '@rewind/dev-cluster';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `rewind-${prefix}-`));
}

export async function writeSpec(dir: string, yaml: string): Promise<string> {
  const path = join(dir, 'spec.yaml');
  await writeFile(path, yaml);
  return path;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `rewind <args>` (with `env` added), bundled as the dev cluster bundles services; `killWhen` may send
 * it `signal` once its stderr shows some progress. A child still running after `deadlineMs` (stretched by
 * REWIND_TEST_TIME_SCALE) is killed, and the result says so.
 */
export async function runCli(
  args: readonly string[],
  killWhen?: (stderr: string) => boolean,
  signal: NodeJS.Signals = 'SIGKILL',
  env: Record<string, string> = {},
  deadlineMs = 10 * 60_000,
): Promise<CliResult> {
  const rewind = await rewindCommand();
  const timeout = scaled(deadlineMs);
  return new Promise((resolve, reject) => {
    const child = spawn(rewind.command, [...rewind.args, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REWIND_THREADS: '1', ...env },
      timeout,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!signalled && killWhen?.(stderr)) signalled = child.kill(signal);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' && !signalled) stderr += `\n(killed after ${timeout} ms: no exit by the deadline)`;
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A small sweep on the synthetic dataset: fast enough for tests, real training all the same. */
export const SYNTHETIC_SPEC = `
name: synthetic-imp
model: { name: mnist_lenet_300_100 }
dataset: { name: synthetic }
training: { lr: 0.05, momentum: 0.9, weight_decay: 0.0001, batch_size: 32, steps: 48it, eval_every: 16it }
pruning: { rounds: 2, exclude: [fc.kernel] }
rewind: [0it, 8it]
controls: [random_reinit, random_pruning]
checkpoint_every: 8it
`;
