/**
 * The corrupt-checkpoint heal on the cluster: a byte of W_k flipped in S3's files mid-sweep. The trainer
 * that reads it fails its job naming the checkpoint; the coordinator has the trunk recompute it (which
 * stores it whole again), retries the job, and the sweep ends bit-identical to the embedded run.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoordinatorClient, renderEvent } from '@rewind/cluster-client';
import { type Cluster, startCluster } from '@rewind/dev-cluster';
import { contentId } from '@rewind/safetensors';
import { clusterFingerprint, embeddedRun, type Fingerprint, SPEC, tempDir } from './cluster-helpers.ts';

process.env.REWIND_THREADS ??= '1';

/** Where s3rver keeps an object's bytes. */
const objectFile = (dir: string, key: string) => join(dir, 's3', 'rewind-checkpoints', `${key}._S3rver_object`);

describe('the corrupt-checkpoint heal on the cluster', () => {
  let reference: Fingerprint;
  /** W_8, the rewind point whose second round runs late enough to flip it first. */
  let wk: string;
  let dir: string;
  let cluster: Cluster | undefined;

  before(async () => {
    const embedded = await embeddedRun();
    reference = embedded.fingerprint;
    wk = embedded.results.rows.find((r) => r.rewindStep === 8 && r.rewindId)!.rewindId!;
    dir = await tempDir('heal');
    // No read cache in the store (it would serve the bytes it verified before the flip); a corrupt job fails after 2 deliveries.
    cluster = await startCluster({ dir, trainers: 1, ackWaitMs: 3000, env: { REWIND_THREADS: process.env.REWIND_THREADS!, CACHE_MB: '0', MAX_DELIVER: '2' } });
  });

  after(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a byte of W_k flipped in S3 mid-sweep is recomputed by the trunk, and the sweep ends bit-identical', async (t) => {
    const c = cluster!;
    const client = new CoordinatorClient(c.addresses.coordinator, { credentials: c.credentials, retry: { attempts: 20, baseDelayMs: 250 } });
    const lines: string[] = [];
    let chunkFile = '';
    let flippedAt = 0;
    let healedAt = 0;
    let state = '';
    try {
      const { sweepId } = await client.submit(JSON.stringify(SPEC));
      for await (const e of client.watch(sweepId)) {
        const line = renderEvent(e);
        if (line) lines.push(line);
        const ev = e.event;
        // Round 2 trains from W_k again; round 1's control at k trains first, leaving time to flip it.
        if (ev?.$case === 'progress' && ev.value.label === 'k=8it round 1 ticket') {
          const manifest = JSON.parse(await readFile(objectFile(dir, `checkpoints/${wk}.json`), 'utf8'));
          chunkFile = objectFile(dir, `chunks/${manifest.chunks[0].sha256}`);
          const bytes = await readFile(chunkFile);
          bytes[bytes.length - 5]! ^= 0x01;
          await writeFile(chunkFile, bytes);
          flippedAt = Date.now();
        }
        if (ev?.$case === 'progress' && ev.value.label === 'k=8it round 2 ticket') healedAt = Date.now();
        if (ev?.$case === 'sweepFinished') state = ev.value.state === 2 ? 'succeeded' : `ended(${ev.value.state}): ${ev.value.error}`;
      }
    } finally {
      client.close();
    }
    assert.ok(flippedAt > 0, 'W_k was flipped');
    assert.equal(state, 'succeeded');
    assert.ok(
      lines.some((l) => new RegExp(`^checkpoint ${wk} is corrupt; recomputing it from trunk_[0-9a-f]{16}$`).test(l)),
      `watch shows the heal:\n${lines.join('\n')}`,
    );
    assert.deepEqual(await clusterFingerprint(c, Object.keys(reference)), reference);
    const manifest = JSON.parse(await readFile(objectFile(dir, `checkpoints/${wk}.json`), 'utf8'));
    assert.equal(contentId(await readFile(chunkFile)), manifest.chunks[0].sha256, 'the chunk in S3 is whole again');
    t.diagnostic(`from the flip to the k=8 round 2 ticket trained: ${((healedAt - flippedAt) / 1000).toFixed(1)} s`);
  });
});

