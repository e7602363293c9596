/**
 * The cluster on paper, checked on one machine: one coordinator (and a standby) drives N concurrent IMP
 * runs fed by simulated trainers, over real NATS JetStream, a real S3 server and real gRPC, with only the
 * training simulated (bench/scale/simulated-trainer.ts). For each N it prints:
 *   - dispatch latency (queued → taken, for jobs queued with no backlog and a trainer free), queue wait
 *     (the same for every job, so it includes waiting for a trainer), and the coordinator's turnaround
 *     (a run's job finished → its next job queued, which includes the real pruner's call), p50/p99;
 *   - completion throughput; the coordinator's peak RSS and mean CPU;
 *   - after a SIGKILL of the leader at 40% of the work, the time until every run it left waiting has
 *     its next job queued by the standby that took over.
 * Usage: npx tsx bench/scale.ts [--runs 100,1000,10000] [--trainers 500] [--job-ms 5,1000] [--no-kill] [--logs]
 * (--logs echoes every service's output on stderr, for finding what went wrong).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoordinatorClient } from '@rewind/cluster-client';
import { Child, type Cluster, startCluster } from '@rewind/dev-cluster';
import { SweepState } from '@rewind/rpc';
import type { JobLine } from './scale/simulated-trainer.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100,1000,10000' },
    trainers: { type: 'string', default: '500' },
    'trainer-processes': { type: 'string', default: '4' },
    'job-ms': { type: 'string', default: '5,1000' },
    rounds: { type: 'string', default: '2' },
    'no-kill': { type: 'boolean', default: false },
    logs: { type: 'boolean', default: false },
    'deadline-min': { type: 'string', default: '60' },
  },
});
/** A sweep holds at most 10 seeds × 10 rewind points = 100 IMP runs; more runs are more sweeps. */
const SEEDS_PER_SWEEP = 10;

function usage(message: string): never {
  console.error(`bench/scale.ts: ${message}`);
  process.exit(2);
}

/** A whole number in [min, max] from a flag, or a clear error naming the flag. */
function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) usage(`--${flag} must be a whole number in [${min}, ${max}], got ${JSON.stringify(text)}`);
  return n;
}
const TRAINERS = wholeNumber('trainers', args.trainers!, 1, 5000);
const PROCESSES = wholeNumber('trainer-processes', args['trainer-processes']!, 1, Math.min(64, TRAINERS));
const ROUNDS = wholeNumber('rounds', args.rounds!, 1, 20);
const DEADLINE_MIN = wholeNumber('deadline-min', args['deadline-min']!, 1, 24 * 60);
const [MIN_JOB_MS, MAX_JOB_MS] = args['job-ms']!.split(',').map((t) => wholeNumber('job-ms', t, 1, 600_000));
if (MIN_JOB_MS === undefined || MAX_JOB_MS === undefined || MIN_JOB_MS > MAX_JOB_MS) usage(`--job-ms must be "min,max" in ms with min ≤ max, got ${JSON.stringify(args['job-ms'])}`);
const RUNS = args.runs!.split(',').map((t) => {
  const runs = wholeNumber('runs', t, SEEDS_PER_SWEEP, 100_000);
  // Whole sweeps: 10 seeds × 1–10 rewind points, or several sweeps of 100 runs.
  if (runs % SEEDS_PER_SWEEP !== 0 || (runs > 100 && runs % 100 !== 0)) usage(`--runs: ${runs} is not a multiple of 10 (up to 100) or of 100`);
  return runs;
});
const COORDINATOR_HEAP_MB = 640;
const SIMULATOR = new URL('scale/simulated-trainer.ts', import.meta.url).pathname;

interface Figures {
  runs: number;
  sweeps: number;
  jobs: number;
  wallS: number;
  /** p50, p99 and how many jobs were queued with no backlog and a trainer free. */
  dispatch: [number, number, number];
  queueWait: [number, number];
  turnaround: [number, number];
  jobsPerS: number;
  rssPeakMiB: number;
  cpuMeanPct: number;
  recovery?: { handoverMs: number; stalledRuns: number; recoveryMs: number };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

function specs(runs: number): object[] {
  const perSweep = Math.min(runs, SEEDS_PER_SWEEP * 10);
  return Array.from({ length: Math.ceil(runs / perSweep) }, (_, i) => ({
    name: `scale-${runs}-${i}`,
    model: { name: 'mnist_lenet_300_100' },
    dataset: { name: 'synthetic' },
    training: { lr: 0.1, batch_size: 32, steps: '20it', eval_every: '20it' },
    pruning: { rounds: ROUNDS, exclude: [] },
    // Distinct seeds per sweep, so no two sweeps share an experiment (the ledger would run it once).
    seeds: Array.from({ length: SEEDS_PER_SWEEP }, (_, s) => i * SEEDS_PER_SWEEP + s + 1),
    rewind: Array.from({ length: perSweep / SEEDS_PER_SWEEP }, (_, k) => `${k + 1}it`),
  }));
}

/** RSS (MiB) and CPU seconds of a process, from /proc. */
function sample(pid: number): { rssMiB: number; cpuS: number } | undefined {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { rssMiB: rss, cpuS: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return undefined;
  }
}

async function startSimulators(cluster: Cluster, dir: string): Promise<Child[]> {
  const per = Math.ceil(TRAINERS / PROCESSES);
  return Promise.all(
    Array.from({ length: PROCESSES }, (_, i) =>
      Child.start({
        name: `sim-${i}`,
        command: process.execPath,
        args: ['--import', 'tsx', SIMULATOR],
        env: {
          ...cluster.certificates.env('trainer'),
          NATS_URL: cluster.nats.url,
          STORE_ADDRESS: cluster.addresses.store,
          SIM_WORKERS: String(Math.min(per, TRAINERS - i * per)),
          SIM_JOB_MS: `${MIN_JOB_MS},${MAX_JOB_MS}`,
          SIM_LOG: join(dir, `jobs-${i}.jsonl`),
          SIM_NAME: `sim-${i}`,
        },
        readyWhen: /simulated trainers taking jobs/,
        echo: args.logs,
        readyTimeoutMs: 300_000,
      }),
    ),
  );
}

async function readJobs(dir: string): Promise<JobLine[]> {
  const seen = new Map<string, JobLine>();
  for (const f of (await readdir(dir)).filter((f) => f.startsWith('jobs-'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const job = JSON.parse(line) as JobLine;
      if (!seen.has(job.job)) seen.set(job.job, job);
    }
  }
  return [...seen.values()];
}

/**
 * Queue waits of the jobs queued while no other job waited and fewer than `trainers` ran: what dispatch
 * itself costs. The other jobs' waits are for a trainer to become free (the backlog), not for dispatch.
 */
function dispatchWaits(jobs: readonly JobLine[], trainers: number): number[] {
  const queued = jobs.map((j) => j.queuedAt).sort((a, b) => a - b);
  const taken = jobs.map((j) => j.takenAt).sort((a, b) => a - b);
  const done = jobs.map((j) => j.doneAt).sort((a, b) => a - b);
  // How many of `sorted` are < t (or ≤ t).
  const below = (sorted: number[], t: number, inclusive = false): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < t || (inclusive && sorted[mid] === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return jobs
    .filter((j) => {
      const waiting = below(queued, j.queuedAt) - below(taken, j.queuedAt);
      const running = below(taken, j.queuedAt, true) - below(done, j.queuedAt, true);
      return waiting <= 0 && running < trainers;
    })
    .map((j) => j.takenAt - j.queuedAt);
}

/** Each ticket job's predecessor: round 1 follows its trunk, round r its chain's round r − 1. */
function predecessors(jobs: readonly JobLine[]): Array<{ job: JobLine; before: JobLine }> {
  const byKey = new Map<string, JobLine>();
  for (const j of jobs) byKey.set(j.round === undefined ? `trunk ${j.trunk}` : `${j.trunk} ${j.k} ${j.round}`, j);
  return jobs.flatMap((job) => {
    if (job.round === undefined) return [];
    const before = byKey.get(job.round === 1 ? `trunk ${job.trunk}` : `${job.trunk} ${job.k} ${job.round - 1}`);
    return before ? [{ job, before }] : [];
  });
}

async function measure(runs: number): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), `rewind-scale-${runs}-`));
  // The coordinators run with their Deployment's heap limit (infra/k8s/base/coordinator.yaml).
  const cluster = await startCluster({ dir, trainers: 0, env: { REWIND_THREADS: '1' }, coordinatorHeapMb: COORDINATOR_HEAP_MB, echo: args.logs });
  const kill = !args['no-kill'];
  const standby = kill ? await cluster.startStandbyCoordinator() : undefined;
  const simulators = await startSimulators(cluster, dir);
  let client = new CoordinatorClient(cluster.addresses.coordinator, { credentials: cluster.credentials, retry: { attempts: 40, baseDelayMs: 250 } });
  let pid = cluster.coordinator.pid;
  const samples: Array<{ at: number; rssMiB: number; cpuS: number; pid: number }> = [];
  const sampler = setInterval(() => {
    const s = sample(pid);
    if (s) samples.push({ at: Date.now(), pid, ...s });
  }, 500);
  let recovery: Figures['recovery'];
  let killAt = 0;
  let leaderAt = 0;
  try {
    const submitted = await Promise.all(specs(runs).map((s) => client.submit(JSON.stringify(s))));
    const sweepIds = submitted.map((s) => s.sweepId);
    const started = Date.now();
    const deadline = started + DEADLINE_MIN * 60_000;
    process.stderr.write(`${runs} runs: ${sweepIds.length} sweeps submitted\n`);
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const statuses = await Promise.all(sweepIds.map(async (id) => (await client.get(id)).status!));
      const done = statuses.reduce((n, s) => n + s.done, 0);
      const total = statuses.reduce((n, s) => n + s.total, 0);
      const failed = statuses.find((s) => s.state === SweepState.SWEEP_STATE_FAILED);
      if (failed) throw new Error(`sweep ${failed.sweepId} failed: ${failed.error}`);
      process.stderr.write(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${done}/${total} trainings\n`);
      if (statuses.every((s) => s.state === SweepState.SWEEP_STATE_SUCCEEDED)) break;
      if (Date.now() > deadline) throw new Error(`not finished after ${DEADLINE_MIN} min`);
      // Once every sweep has planned its work (a sweep not yet started reports 0 of 0), so 40% is of the whole.
      if (standby && killAt === 0 && statuses.every((s) => s.total > 0) && done >= 0.4 * total) {
        killAt = Date.now();
        await cluster.coordinator.kill();
        await standby.child.waitFor(/leading/, 120_000);
        leaderAt = Date.now();
        pid = standby.child.pid;
        client.close();
        client = new CoordinatorClient(standby.address, { credentials: cluster.credentials, retry: { attempts: 40, baseDelayMs: 250 } });
        process.stderr.write(`  leader SIGKILLed; the standby leads after ${leaderAt - killAt} ms\n`);
      }
    }
    const wallS = (Date.now() - started) / 1000;
    const jobs = await readJobs(dir);
    const follows = predecessors(jobs);
    if (killAt > 0) {
      // Runs the dead leader left waiting: their job had finished before the standby led, their next was queued after the kill.
      const stalled = follows.filter(({ job, before }) => before.doneAt < leaderAt && job.queuedAt > killAt);
      recovery = { handoverMs: leaderAt - killAt, stalledRuns: stalled.length, recoveryMs: Math.max(0, ...stalled.map(({ job }) => job.queuedAt - killAt)) };
    }
    const waits = jobs.map((j) => j.takenAt - j.queuedAt);
    const dispatch = dispatchWaits(jobs, TRAINERS);
    // The turnaround outside the handover: what a healthy coordinator takes.
    const turns = follows.filter(({ job }) => killAt === 0 || job.queuedAt < killAt || job.queuedAt > leaderAt + (recovery?.recoveryMs ?? 0)).map(({ job, before }) => job.queuedAt - before.doneAt);
    const cpu = [...new Set(samples.map((s) => s.pid))].reduce((sum, p) => {
      const mine = samples.filter((s) => s.pid === p);
      return sum + (mine.at(-1)!.cpuS - mine[0]!.cpuS);
    }, 0);
    const span = (samples.at(-1)!.at - samples[0]!.at) / 1000;
    return {
      runs,
      sweeps: sweepIds.length,
      jobs: jobs.length,
      wallS,
      dispatch: [quantile(dispatch, 0.5), quantile(dispatch, 0.99), dispatch.length],
      queueWait: [quantile(waits, 0.5), quantile(waits, 0.99)],
      turnaround: [quantile(turns, 0.5), quantile(turns, 0.99)],
      jobsPerS: jobs.length / wallS,
      rssPeakMiB: Math.max(...samples.map((s) => s.rssMiB)),
      cpuMeanPct: (100 * cpu) / span,
      ...(recovery ? { recovery } : {}),
    };
  } finally {
    clearInterval(sampler);
    client.close();
    await Promise.all(simulators.map((s) => s.stop()));
    await standby?.child.stop();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const results: Figures[] = [];
for (const runs of RUNS) {
  const f = await measure(runs);
  results.push(f);
  console.log(JSON.stringify(f));
}
const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(`\n${TRAINERS} simulated trainers, jobs ${args['job-ms']} ms (log-uniform), ${ROUNDS} pruning rounds per run; targets at 10,000 runs: p99 dispatch ≤ 100 ms, RSS ≤ 1 GiB, recovery ≤ 10 s`);
console.log('| runs | sweeps | jobs | wall | jobs/s | dispatch p50 / p99 (jobs) | queue wait p50 / p99 | turnaround p50 / p99 | coordinator RSS peak | CPU mean | handover | recovery (runs) |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const f of results) {
  const r = f.recovery;
  console.log(
    `| ${f.runs} | ${f.sweeps} | ${f.jobs} | ${f.wallS.toFixed(0)} s | ${f.jobsPerS.toFixed(1)} | ${ms(f.dispatch[0])} / ${ms(f.dispatch[1])} (${f.dispatch[2]}) | ${ms(f.queueWait[0])} / ${ms(f.queueWait[1])} | ${ms(f.turnaround[0])} / ${ms(f.turnaround[1])} | ${f.rssPeakMiB.toFixed(0)} MiB | ${f.cpuMeanPct.toFixed(0)}% | ${r ? ms(r.handoverMs) : '–'} | ${r ? `${ms(r.recoveryMs)} (${r.stalledRuns})` : '–'} |`,
  );
}
process.exit(0);
