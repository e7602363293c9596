/** Shared by the cluster integration tests: the reference embedded run, and reading a cluster's results. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultRow } from '@rewind/core';
import { parseSweepSpec, type SweepResults, sweepResults } from '@rewind/kinds';
import { CoordinatorClient } from '@rewind/cluster-client';
import { Child, type Cluster, scaled, serviceCommand } from '@rewind/dev-cluster';
import { connectNats, JOB_RESULTS_BUCKET, KvLedger } from '@rewind/nats-ports';
import { FileLedger, LocalAnalyzer, LocalDirStore, LocalPruner, LocalTrainer } from '@rewind/local';
import { runSweep, type TrainingRecord } from '@rewind/runner';
import { runCli, writeSpec } from '../embedded/helpers.ts';

/** Real training on the synthetic set: long enough to kill a trainer mid-job, short enough for CI. */
export const SPEC = {
  name: 'cluster-imp',
  model: { name: 'mnist_lenet_300_100' },
  dataset: { name: 'synthetic' },
  training: { lr: 0.05, momentum: 0.9, weight_decay: 0.0001, batch_size: 32, steps: '96it', eval_every: '32it' },
  pruning: { rounds: 2, exclude: ['fc.kernel'] },
  rewind: ['0it', '8it'],
  controls: ['random_reinit'],
  checkpoint_every: '16it',
};

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `rewind-${prefix}-`));

/** What identifies a sweep's outcome exactly: per experiment, the content ids of its mask and final weights. */
export type Fingerprint = Record<string, { finalId: string; maskId?: string; rewindId?: string }>;

const fingerprintOf = (rows: readonly ResultRow[]): Fingerprint =>
  Object.fromEntries(
    rows.map((r) => [
      r.experiment,
      { finalId: r.finalId, ...(r.maskId ? { maskId: r.maskId } : {}), ...(r.rewindId ? { rewindId: r.rewindId } : {}) },
    ]),
  );

/** The same spec run embedded, in this process: its fingerprint, and its results as `rewind run` writes them. */
export async function embeddedRun(spec: object = SPEC): Promise<{ fingerprint: Fingerprint; results: SweepResults }> {
  const dir = await tempDir('embedded');
  const store = new LocalDirStore(join(dir, 'store'));
  const outcome = await runSweep(parseSweepSpec(spec), {
    store,
    ledger: new FileLedger(join(dir, 'ledger')),
    trainer: new LocalTrainer(store),
    pruner: new LocalPruner(store),
    analyzer: new LocalAnalyzer(store),
    events: { emit: () => {} },
  });
  return { fingerprint: fingerprintOf(outcome.rows), results: sweepResults(parseSweepSpec(spec), outcome) };
}

/**
 * The same spec run embedded by `rewind run` in a child process, with the cluster's thread count: its
 * fingerprint. Unlike `embeddedRun`, it can go on while this process drives a cluster, on the CPU that the
 * cluster leaves idle while it waits (an outage, a redelivery).
 */
export async function embeddedRunInChild(spec: object): Promise<Fingerprint> {
  const dir = await tempDir('embedded');
  try {
    const out = join(dir, 'run');
    const run = await runCli(['run', await writeSpec(dir, JSON.stringify(spec)), '--out', out], undefined, undefined, { REWIND_THREADS: process.env.REWIND_THREADS ?? '1' });
    if (run.code !== 0) throw new Error(`rewind run exited ${run.code ?? run.signal}:\n${run.stderr.slice(-3000)}`);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as SweepResults;
    return fingerprintOf(results.rows);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The cluster's results, read from its ledger for the experiments the embedded run produced. */
export async function clusterFingerprint(cluster: Cluster, experiments: readonly string[]): Promise<Fingerprint> {
  const nc = await connectNats(cluster.nats.url, { name: 'test-reader', tls: cluster.operatorTls });
  try {
    const ledger = await KvLedger.open(nc);
    const rows: ResultRow[] = [];
    for (const id of experiments) {
      const record = await ledger.get<TrainingRecord>(id);
      if (record) rows.push(record.row);
    }
    return fingerprintOf(rows);
  } finally {
    await nc.close();
  }
}

/** Every job outcome recorded in the job-results bucket: one per training, never more. */
export async function jobOutcomeCount(cluster: Cluster): Promise<number> {
  const nc = await connectNats(cluster.nats.url, { name: 'test-reader', tls: cluster.operatorTls });
  try {
    const kv = await nc.jetstream().views.kv(JOB_RESULTS_BUCKET);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    return keys.length;
  } finally {
    await nc.close();
  }
}

/** Submits the spec and follows its events to the end; `onEvent` may act mid-sweep (kill, restart). */
export async function runOnCluster(
  cluster: Cluster,
  onEvent: (label: string, done: number) => Promise<void> = async () => {},
): Promise<{ sweepId: string; state: string; tickets: number; labels: string[] }> {
  const client = new CoordinatorClient(cluster.addresses.coordinator, { credentials: cluster.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
  // The 9 trainings take under a minute on 2 idle cores; a stalled sweep fails with the services' last words.
  const deadline = AbortSignal.timeout(scaled(5 * 60_000));
  try {
    const { sweepId } = await client.submit(JSON.stringify(SPEC));
    const labels: string[] = [];
    let tickets = 0;
    let state = 'none';
    for await (const e of client.watch(sweepId, 0, deadline)) {
      const ev = e.event;
      if (ev?.$case === 'progress') {
        labels.push(ev.value.label);
        await onEvent(ev.value.label, ev.value.done);
      }
      if (ev?.$case === 'ticketFound') tickets++;
      if (ev?.$case === 'sweepFinished') state = ev.value.state === 2 ? 'succeeded' : `ended(${ev.value.state}): ${ev.value.error}`;
    }
    if (deadline.aborted) throw new Error(`sweep ${sweepId} did not finish within ${scaled(5 * 60_000)} ms; after ${labels.join(', ')}\n${lastWords(cluster)}`);
    return { sweepId, state, tickets, labels };
  } finally {
    client.close();
  }
}

/** The coordinator's and trainers' last log lines, for the message of a failed cluster test. */
export const lastWords = (cluster: Cluster): string =>
  [cluster.coordinator, ...cluster.trainers].map((child) => `${child.spec.name}:\n${child.log.slice(-2000)}`).join('\n');

/** One service on its own, in plaintext: for tests about answers, not transport (access.test.ts covers TLS). */
export const plaintextService = async (name: string, env: Record<string, string>): Promise<Child> =>
  Child.start({ name, ...(await serviceCommand(name)), env: { ...env, REWIND_INSECURE: '1' }, readyWhen: /listening on/, readyTimeoutMs: scaled(60_000) });
