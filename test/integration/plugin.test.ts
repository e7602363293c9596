/**
 * Analysis plug-ins end to end: the sparsity plug-in in its own process beside a real cluster (nats-server,
 * s3rver, every service) reports every ticket once, with sparsity matching the ticket's mask, survives
 * being SIGKILLed mid-sweep and replaying the whole stream without publishing twice, and its results
 * show up in `rewind analyses`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CoordinatorClient } from '@rewind/cluster-client';
import type { Mask } from '@rewind/core';
import { type Cluster, rewindCommand, startCluster } from '@rewind/dev-cluster';
import { connectNats, EVENTS_STREAM, pluginConsumer } from '@rewind/nats-ports';
import { type AnalysisCompleted, GrpcCheckpointStore, SparsityReport } from '@rewind/rpc';
import { tempDir } from './cluster-helpers.ts';

process.env.REWIND_THREADS ??= '1';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Two rounds from W_8, one built-in analysis (pruning stability at round 1): small enough for CI. */
const SPEC = {
  name: 'plugin-imp',
  model: { name: 'mnist_lenet_300_100' },
  dataset: { name: 'synthetic' },
  training: { lr: 0.05, momentum: 0.9, weight_decay: 0.0001, batch_size: 32, steps: '32it', eval_every: '32it' },
  pruning: { rounds: 2, exclude: ['fc.kernel'] },
  rewind: ['8it'],
  controls: [],
  checkpoint_every: '16it',
  stability: { analyses: ['pruning'], copies: 2, rounds: [1] },
};

const aliveByLayer = (mask: Mask) =>
  Object.fromEntries(Object.entries(mask).map(([name, t]) => [name, { weights: t.data.length, surviving: t.data.reduce((n, b) => n + b, 0) }]));

describe('analysis plug-ins', () => {
  let dir: string | undefined;
  let cluster: Cluster | undefined;

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the sparsity plug-in reports every ticket once, through a crash and a full replay, and `rewind analyses` shows it', async () => {
    dir = await tempDir('plugin');
    const c = await startCluster({ dir, trainers: 1, ackWaitMs: 3000, plugins: ['sparsity'], env: { REWIND_THREADS: process.env.REWIND_THREADS! } });
    cluster = c;
    const client = new CoordinatorClient(c.addresses.coordinator, { credentials: c.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
    const store = new GrpcCheckpointStore(c.addresses.store, { credentials: c.credentials });
    try {
      const { sweepId } = await client.submit(JSON.stringify(SPEC));
      const tickets = new Map<string, { maskId: string; rewindId: string; finalId: string }>();
      const remaining = new Map<string, number>();
      const saved = new Set<string>();
      let killed = false;
      for await (const e of client.watch(sweepId)) {
        const ev = e.event;
        if (ev?.$case === 'checkpointSaved') saved.add(ev.value.id);
        if (ev?.$case === 'roundCompleted') {
          // Every training's row is an event; the plug-in reports on the tickets (not their data-order copies).
          const row = JSON.parse(ev.value.rowJson);
          if (row.kind === 'ticket' && row.copy === 0) remaining.set(ev.value.experiment, row.weightsRemaining);
        }
        if (ev?.$case === 'ticketFound') {
          tickets.set(ev.value.experiment, ev.value);
          if (!killed) {
            // Mid-sweep, at its first ticket: the plug-in dies without cleanup and a new one takes over.
            killed = true;
            await c.plugins[0]!.kill();
            await c.startPlugin('sparsity');
          }
        }
        if (ev?.$case === 'sweepFinished') assert.equal(ev.value.state, 2, ev.value.error);
      }
      assert.equal(tickets.size, 2);
      for (const t of tickets.values()) {
        assert.ok(saved.has(t.finalId) && saved.has(t.rewindId), 'the trainer announced the checkpoints it wrote');
      }

      const pluginResults = async (): Promise<AnalysisCompleted[]> =>
        (await client.analyses(sweepId)).analyses.filter((a) => a.plugin?.name === 'sparsity');
      while ((await pluginResults()).length < tickets.size) await new Promise((r) => setTimeout(r, 200));

      // Losing the consumer replays every ticket; the stream drops each result as already published.
      const running = c.plugins.at(-1)!;
      assert.equal(await running.stop(), 0, 'drains and exits cleanly on SIGTERM');
      const nc = await connectNats(c.nats.url, { name: 'test', tls: c.operatorTls });
      await (await nc.jetstreamManager()).consumers.delete(EVENTS_STREAM, pluginConsumer('sparsity', '1.0.0'));
      await nc.close();
      const replayed = await c.startPlugin('sparsity');
      await replayed.waitFor(/already published[\s\S]*already published/, 30_000);

      const results = await pluginResults();
      assert.deepEqual(results.map((r) => r.experiment).sort(), [...tickets.keys()].sort(), 'one result per ticket, none twice');
      for (const r of results) {
        const ticket = tickets.get(r.experiment)!;
        const report = SparsityReport.fromJSON(JSON.parse(r.resultJson));
        assert.equal(r.plugin?.schema, 'rewind.plugins.sparsity.v1.SparsityReport');
        assert.deepEqual([report.maskId, report.rewindId, report.finalId], [ticket.maskId, ticket.rewindId, ticket.finalId]);
        const expected = aliveByLayer((await store.getMask(ticket.maskId)).value);
        assert.deepEqual(Object.keys(report.perLayer).sort(), Object.keys(expected).sort());
        for (const [name, s] of Object.entries(report.perLayer)) {
          assert.equal(s.weights, expected[name]!.weights, name);
          assert.equal(s.surviving, expected[name]!.surviving, name);
          assert.equal(s.sparsity, 1 - s.surviving / s.weights, name);
          assert.ok(s.signFlips <= s.surviving, name);
        }
        assert.equal(report.perLayer['fc.kernel']!.sparsity, 0, 'the excluded layer is never pruned');
        const total = report.total!;
        assert.equal(total.surviving / total.weights, remaining.get(r.experiment), 'matches the round\'s weights remaining');
        assert.equal(total.signFlips, Object.values(report.perLayer).reduce((n, s) => n + s.signFlips, 0));
        assert.ok(total.signFlips > 0, 'training from W_k flips some signs');
      }
      const byRound = [...remaining.values()].sort((a, b) => b - a);
      assert.ok(Math.abs(byRound[0]! - 0.8) < 0.01 && Math.abs(byRound[1]! - 0.64) < 0.01, `≈80% then ≈64% remain: ${byRound}`);

      const rewind = await rewindCommand();
      const { stdout } = await promisify(execFile)(
        rewind.command,
        [...rewind.args, 'analyses', sweepId, '--coordinator', c.addresses.coordinator],
        { cwd: ROOT, env: { ...process.env, ...c.cliEnv } },
      );
      const lines = stdout.trim().split('\n');
      assert.match(lines[0]!, /^k\s+round\s+analysis\s+version\s+experiment\s+result$/);
      for (const r of results) {
        assert.ok(lines.some((l) => l.includes(r.experiment) && /sparsity\s+1\.0\.0/.test(l) && l.includes(r.plugin!.summary)), stdout);
      }
      assert.match(stdout, /^8\s+1\s+pruning\s+built-in\s+\S+\s+normalized L2 distance/m, 'the built-in analysis is listed too');
    } finally {
      client.close();
      store.close();
    }
  });
});
