/**
 * What watching costs a sweep: the same embedded sweep, timed alone and with `rewind dashboard` serving it
 * to a headless Chromium page that stays open (live snapshots, figures redrawn) for the whole run.
 * Runs alternate (alone, watched, alone, …) so drift on a shared machine hits both alike; each run
 * starts from an empty run directory. Prints each wall time, the medians and their ratio.
 * Usage: npx tsx bench/dashboard-overhead.ts [--pairs 3] [--spec examples/quick.yaml]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM_PATH } from '@rewind/report';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({ options: { pairs: { type: 'string', default: '3' }, spec: { type: 'string', default: 'examples/quick.yaml' } } });
const BIN = new URL('../libs/cli/bin/rewind.mjs', import.meta.url).pathname;

function start(argv: string[]) {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function waitFor<T>(what: string, read: () => T | undefined, ms = 60_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const value = read();
    if (value !== undefined) return value;
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** One sweep from an empty run directory; with `watched`, a dashboard and a browser page follow it. */
async function timedRun(watched: boolean): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-overhead-'));
  try {
    const began = performance.now();
    const run = start(['run', args.spec!, '--out', join(dir, 'run')]);
    let stopWatching = async () => {};
    if (watched) {
      await waitFor('the run directory', () => (existsSync(join(dir, 'run', 'spec.yaml')) ? true : undefined));
      const dashboard = start(['dashboard', join(dir, 'run'), '--port', '0']);
      const url = await waitFor('the dashboard address', () => /http:\/\/\S+/.exec(dashboard.stdout())?.[0]);
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(url);
      stopWatching = async () => {
        await browser.close();
        dashboard.child.kill('SIGTERM');
        await dashboard.exited;
      };
    }
    const code = await run.exited;
    const wall = (performance.now() - began) / 1000;
    await stopWatching();
    if (code !== 0) throw new Error(`rewind run exited ${code}: ${run.stderr().slice(-400)}`);
    return wall;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const alone: number[] = [];
const watched: number[] = [];
for (let i = 0; i < Number(args.pairs); i++) {
  alone.push(await timedRun(false));
  watched.push(await timedRun(true));
  process.stdout.write(`pair ${i + 1}: alone ${alone.at(-1)!.toFixed(1)} s, watched ${watched.at(-1)!.toFixed(1)} s\n`);
}
const ratio = median(watched) / median(alone);
process.stdout.write(`\n${args.spec}, ${alone.length} pairs\n`);
process.stdout.write(`| | median wall | runs |\n|---|---|---|\n`);
process.stdout.write(`| alone | ${median(alone).toFixed(1)} s | ${alone.map((x) => x.toFixed(1)).join(', ')} |\n`);
process.stdout.write(`| watched (dashboard + browser) | ${median(watched).toFixed(1)} s | ${watched.map((x) => x.toFixed(1)).join(', ')} |\n`);
process.stdout.write(`overhead: ${((ratio - 1) * 100).toFixed(1)}% (watched / alone = ${ratio.toFixed(3)})\n`);
