/**
 * What watching costs a sweep: the same embedded sweep, timed alone and with `rewind dashboard` serving it
 * to a headless Chromium page that stays open (live snapshots, figures redrawn) for the whole run.
 * Runs alternate (alone, watched, alone, …) so drift on a shared machine hits both alike; each run
 * starts from an empty run directory. Prints each wall time, the medians and their ratio, and the CPU
 * time the watchers (dashboard process, browser and its children) used against the sweep's own: on a busy
 * 2-core machine wall times drift by several percent between runs, CPU seconds much less.
 * Usage: npx tsx bench/dashboard-overhead.ts [--pairs 3] [--spec examples/quick.yaml]
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** CPU seconds (user + system) used so far by a process and all its descendants (Linux /proc; clock ticks of 10 ms). */
function treeCpuSeconds(root: number): number {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        // Fields after the command name, which may hold spaces: state ppid … utime(14) stime(15).
        const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
        return [{ pid: Number(pid), ppid: Number(after[1]), ticks: Number(after[11]) + Number(after[12]) }];
      } catch {
        return [];
      }
    });
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) if (!inTree.has(s.pid) && inTree.has(s.ppid)) grew = inTree.add(s.pid).size > 0;
  }
  return stats.filter((s) => inTree.has(s.pid)).reduce((sum, s) => sum + s.ticks, 0) / 100;
}

interface Timed {
  readonly wall: number;
  /** CPU seconds of the sweep, and of its watchers: the dashboard server and the browser (0 when alone). */
  readonly sweepCpu: number;
  readonly dashboardCpu: number;
  readonly browserCpu: number;
}

/** One sweep from an empty run directory; with `watched`, a dashboard and a browser page follow it. */
async function timedRun(watched: boolean): Promise<Timed> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-overhead-'));
  try {
    const began = performance.now();
    const run = start(['run', args.spec!, '--out', join(dir, 'run')]);
    let stopWatching = async () => ({ dashboardCpu: 0, browserCpu: 0 });
    if (watched) {
      await waitFor('the run directory', () => (existsSync(join(dir, 'run', 'spec.yaml')) ? true : undefined));
      const dashboard = start(['dashboard', join(dir, 'run'), '--port', '0']);
      const url = await waitFor('the dashboard address', () => /http:\/\/\S+/.exec(dashboard.stdout())?.[0]);
      // Launched as a server, so its process (and the renderers under it) can be measured.
      const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
      const browserPid = server.process().pid!;
      const browser = await chromium.connect(server.wsEndpoint());
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(url);
      stopWatching = async () => {
        const cpu = { dashboardCpu: treeCpuSeconds(dashboard.child.pid!), browserCpu: treeCpuSeconds(browserPid) };
        await browser.close();
        await server.close();
        dashboard.child.kill('SIGTERM');
        await dashboard.exited;
        return cpu;
      };
    }
    // Sampled each second until it exits (a finished process leaves /proc): at most a second's CPU is missed.
    let sweepCpu = 0;
    const sampler = setInterval(() => (sweepCpu = Math.max(sweepCpu, treeCpuSeconds(run.child.pid!))), 1000);
    const code = await run.exited;
    clearInterval(sampler);
    const wall = (performance.now() - began) / 1000;
    const watchers = await stopWatching();
    if (code !== 0) throw new Error(`rewind run exited ${code}: ${run.stderr().slice(-400)}`);
    return { wall, sweepCpu, ...watchers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const alone: number[] = [];
const watched: number[] = [];
// The server's share is what a sweep pays wherever the browser runs; the browser's, only when it shares the machine.
const serverShare: number[] = [];
const browserShare: number[] = [];
for (let i = 0; i < Number(args.pairs); i++) {
  alone.push((await timedRun(false)).wall);
  const w = await timedRun(true);
  watched.push(w.wall);
  serverShare.push(w.dashboardCpu / w.sweepCpu);
  browserShare.push(w.browserCpu / w.sweepCpu);
  process.stdout.write(
    `pair ${i + 1}: alone ${alone.at(-1)!.toFixed(1)} s, watched ${w.wall.toFixed(1)} s; CPU-s: sweep ${w.sweepCpu.toFixed(1)}, dashboard ${w.dashboardCpu.toFixed(1)}, browser ${w.browserCpu.toFixed(1)}\n`,
  );
}
const ratio = median(watched) / median(alone);
process.stdout.write(`\n${args.spec}, ${alone.length} pairs\n`);
process.stdout.write(`| | median wall | runs |\n|---|---|---|\n`);
process.stdout.write(`| alone | ${median(alone).toFixed(1)} s | ${alone.map((x) => x.toFixed(1)).join(', ')} |\n`);
process.stdout.write(`| watched (dashboard + browser) | ${median(watched).toFixed(1)} s | ${watched.map((x) => x.toFixed(1)).join(', ')} |\n`);
process.stdout.write(`wall overhead: ${((ratio - 1) * 100).toFixed(1)}% (watched / alone = ${ratio.toFixed(3)})\n`);
const shares = (xs: number[]) => `median ${(100 * median(xs)).toFixed(2)}% (${xs.map((x) => `${(100 * x).toFixed(2)}%`).join(', ')})`;
process.stdout.write(`dashboard server's CPU against the sweep's: ${shares(serverShare)}\n`);
process.stdout.write(`browser's CPU (on the same machine) against the sweep's: ${shares(browserShare)}\n`);
