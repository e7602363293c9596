import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { corruptCheckpointId, type Mask, type TrainState } from '@rewind/core';
import { freePort, type LocalServer, makeCertificates, S3RVER_CREDENTIALS, startS3rver } from '@rewind/dev-cluster';
import type { Lineage } from '@rewind/runner';
import { ChecksumMismatchError, contentId, encodeState } from '@rewind/safetensors';
import { Client } from 'minio';
import { CheckpointNotFoundError, parseS3Config, S3CheckpointStore, S3UnavailableError } from '../src/index.ts';

function stateOf(step: number, n: number): TrainState {
  const w = new Float32Array(n).map((_, i) => Math.sin(i + step));
  return {
    step,
    params: { 'fc1.weight': { shape: [n / 4, 4], data: w }, 'fc1.bias': { shape: [4], data: new Float32Array([1, 2, 3, 4]) } },
    buffers: {},
    momentum: {},
  };
}

const lineage: Lineage = { kind: 'snapshot', experiment: 'e1', trunk: 't1', rewindStep: 3, step: 3 };

describe('S3CheckpointStore against a real s3rver', () => {
  let dir: string;
  let s3: LocalServer;
  let store: S3CheckpointStore;
  let raw: Client;
  const chunkBytes = 1000;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-s3-'));
    s3 = await startS3rver(join(dir, 's3'));
    const config = parseS3Config({ url: s3.url, ...S3RVER_CREDENTIALS, bucket: 'ckpt-test', chunkBytes });
    store = await S3CheckpointStore.open(config);
    raw = new Client({ endPoint: '127.0.0.1', port: config.port, useSSL: false, ...S3RVER_CREDENTIALS, pathStyle: true });
  });

  after(async () => {
    await s3?.child.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a train state under the SHA-256 of its safetensors bytes and reads it back bit for bit', async () => {
    const state = stateOf(3, 1200);
    const id = await store.putState(state, lineage);
    assert.equal(id, contentId(encodeState(state, lineage)));
    const back = await store.getState(id);
    assert.deepEqual(back.lineage, lineage);
    assert.equal(back.value.step, 3);
    assert.deepEqual(back.value.params['fc1.weight']!.data, state.params['fc1.weight']!.data);
    assert.deepEqual(await store.lineage(id), lineage);
    assert.equal(await store.has(id), true);
  });

  it('splits objects into chunks no larger than the configured size', async () => {
    const state = stateOf(4, 4000); // ~16 KB of weights
    const { id, size } = await store.putBytes([encodeState(state, lineage)]);
    const chunks: { name: string; size: number }[] = [];
    for await (const o of raw.listObjectsV2('ckpt-test', 'chunks/', true)) chunks.push(o as { name: string; size: number });
    assert.ok(size > 4 * chunkBytes);
    assert.ok(chunks.length >= Math.ceil(size / chunkBytes));
    assert.ok(chunks.every((c) => c.size <= chunkBytes));
    assert.deepEqual((await store.getState(id)).value.params['fc1.weight']!.data, state.params['fc1.weight']!.data);
  });

  it('is idempotent: the same content gives the same id', async () => {
    const state = stateOf(5, 40);
    assert.equal(await store.putState(state, lineage), await store.putState(state, lineage));
  });

  it('stores masks and refuses to read a mask as a state', async () => {
    const mask: Mask = { 'fc1.weight': { shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) } };
    const maskLineage: Lineage = { kind: 'mask', experiment: 'e1', round: 1, parent: 'a'.repeat(64) };
    const id = await store.putMask(mask, maskLineage);
    const back = await store.getMask(id);
    assert.deepEqual(back.value['fc1.weight']!.data, mask['fc1.weight']!.data);
    assert.deepEqual(back.lineage, maskLineage);
    await assert.rejects(store.getState(id), /is a mask, not a train state/);
  });

  it('detects a corrupted chunk on read', async () => {
    const state = stateOf(6, 2000);
    const id = await store.putState(state, lineage);
    const manifest = JSON.parse((await streamText(await raw.getObject('ckpt-test', `checkpoints/${id}.json`))) as string);
    const victim = manifest.chunks[1].sha256 as string;
    const forged = Buffer.alloc(manifest.chunks[1].size, 7);
    await raw.putObject('ckpt-test', `chunks/${victim}`, forged, forged.length);
    await assert.rejects(store.getState(id), (err: Error) => {
      assert.ok(err instanceof ChecksumMismatchError);
      assert.equal(corruptCheckpointId(err), id, 'named by the checkpoint, not the chunk: its producer can recompute it');
      return true;
    });
    assert.equal(await store.putState(state, lineage), id);
    assert.deepEqual((await store.getState(id)).value.params, state.params, 'storing it again repaired it');
  });

  it('replaces a manifest it cannot read when the checkpoint is stored again', async () => {
    const state = stateOf(8, 40);
    const id = await store.putState(state, lineage);
    const garbled = Buffer.from('{"version":1,');
    await raw.putObject('ckpt-test', `checkpoints/${id}.json`, garbled, garbled.length);
    await assert.rejects(store.getState(id));
    assert.equal(await store.putState(state, lineage), id);
    assert.deepEqual((await store.getState(id)).value.params, state.params);
  });

  it('finds a manifest that parses but misdescribes its verified bytes corrupt, and storing again repairs it', async () => {
    const state = stateOf(9, 40);
    const id = await store.putState(state, lineage);
    const key = `checkpoints/${id}.json`;
    const honest = JSON.parse((await streamText(await raw.getObject('ckpt-test', key))) as string);
    for (const lie of [{ payload: 'mask' }, { size: honest.size + 1 }, { lineage: { ...honest.lineage, experiment: 'someone-else' } }]) {
      const garbled = Buffer.from(JSON.stringify({ ...honest, ...lie }));
      await raw.putObject('ckpt-test', key, garbled, garbled.length);
      await assert.rejects(store.getState(id), (err: Error) => {
        assert.equal(corruptCheckpointId(err), id, `${JSON.stringify(lie)}: named as a corrupt checkpoint, so its producer recomputes it`);
        assert.match(err.message, /manifest .* disagrees with its verified bytes/);
        return true;
      });
      assert.equal(await store.putState(state, lineage), id);
      const repaired = await store.getState(id);
      assert.deepEqual([repaired.value.params, repaired.lineage], [state.params, lineage], `${JSON.stringify(lie)}: storing it again repaired it`);
    }
  });

  it('refuses, at once, a client whose access key the S3 server does not know', async () => {
    const config = parseS3Config({ url: s3.url, accessKey: 'intruder', secretKey: 'guess', bucket: 'ckpt-test', chunkBytes });
    const began = Date.now();
    // The bucket check is a HEAD: the 403 has no body, so the client's words stand for the server's reason.
    await assert.rejects(S3CheckpointStore.open(config), /Valid and authorized credentials required|Access Key Id you provided does not exist/);
    assert.ok(Date.now() - began < 5000, 'a refusal is not retried as an outage');
  });

  it('never shows a checkpoint whose upload died before its manifest', async () => {
    const bytes = encodeState(stateOf(7, 4000), lineage);
    async function* dying() {
      yield bytes.subarray(0, 3 * chunkBytes);
      throw new Error('connection lost');
    }
    await assert.rejects(store.putBytes(dying()), /connection lost/);
    const id = contentId(bytes);
    assert.equal(await store.has(id), false);
    assert.equal(await store.stat(id), undefined);
    await assert.rejects(store.getState(id), CheckpointNotFoundError);
    assert.equal((await store.list(id.slice(0, 8))).items.length, 0);
  });

  it('lists checkpoints by id prefix, a page at a time', async () => {
    const ids = new Set<string>();
    for (let step = 10; step < 15; step++) ids.add(await store.putState(stateOf(step, 8), lineage));
    const seen: string[] = [];
    let token = '';
    do {
      const page = await store.list('', 2, token);
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((i) => i.id));
      token = page.next;
    } while (token !== '');
    assert.deepEqual([...seen].sort(), seen);
    for (const id of ids) assert.ok(seen.includes(id));
    const one = [...ids][0]!;
    const byPrefix = await store.list(one.slice(0, 10));
    assert.deepEqual(
      byPrefix.items.map((i) => i.id),
      [one],
    );
    assert.equal(byPrefix.items[0]!.payload, 'state');
  });

  it('keeps named refs, and reports unset ones as undefined', async () => {
    const id = await store.putState(stateOf(20, 8), lineage);
    assert.equal(await store.getRef('resume/job-1'), undefined);
    await store.setRef('resume/job-1', id);
    assert.equal(await store.getRef('resume/job-1'), id);
    await assert.rejects(store.setRef('bad name!', id), /ref name/);
    await assert.rejects(store.getState('not-an-id'), /not a checkpoint id/);
  });

  it('fails with an error naming the server when S3 is down', async () => {
    const port = await freePort();
    const config = parseS3Config({ url: `http://127.0.0.1:${port}`, ...S3RVER_CREDENTIALS, bucket: 'ckpt-test' });
    await assert.rejects(S3CheckpointStore.open(config, { attempts: 2, baseDelayMs: 10 }), (err: Error) => {
      assert.ok(err instanceof S3UnavailableError);
      assert.match(err.message, new RegExp(`http://127.0.0.1:${port}`));
      return true;
    });
  });

  it('rejects bad configuration clearly', () => {
    assert.throws(() => parseS3Config({ url: 'nope', accessKey: 'a', secretKey: 'b', bucket: 'ok-bucket' }), /not a URL/);
    assert.throws(() => parseS3Config({ url: 'http://x:1', accessKey: 'a', secretKey: 'b', bucket: 'Bad_Bucket' }), /bucket/);
    assert.throws(
      () => parseS3Config({ url: 'http://x:1', accessKey: 'a', secretKey: 'b', bucket: 'ok-bucket', chunkBytes: 64 * 2 ** 20 }),
      /chunk size/,
    );
    assert.throws(() => parseS3Config({ url: 'http://x:1', accessKey: 'a', secretKey: 'b', bucket: 'ok-bucket', ca: 'pem' }), /plain http/);
    assert.throws(() => parseS3Config({ url: 'https://x:1', accessKey: 'a', secretKey: 'b', bucket: 'ok-bucket', ca: 'pem' }), /no PEM certificate/);
  });
});

describe('S3CheckpointStore over https, as to an in-cluster MinIO signed by a private CA', () => {
  let dir: string;
  let s3: LocalServer;
  let ca: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-s3-tls-'));
    const certificates = await makeCertificates(join(dir, 'certificates'), ['s3']);
    s3 = await startS3rver(join(dir, 's3'), { tls: certificates.files('s3') });
    ca = await readFile(certificates.files('s3').ca, 'utf8');
  });

  after(async () => {
    await s3?.child.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores and reads checkpoints when it trusts the CA', async () => {
    assert.match(s3.url, /^https:/);
    const store = await S3CheckpointStore.open(parseS3Config({ url: s3.url, ...S3RVER_CREDENTIALS, bucket: 'tls-test', ca }));
    const state = stateOf(1, 400);
    const id = await store.putState(state, lineage);
    assert.deepEqual((await store.getState(id)).value.params['fc1.weight']?.data, state.params['fc1.weight']?.data);
  });

  it('refuses a server whose certificate it cannot verify, at once rather than retrying for minutes', async () => {
    const config = parseS3Config({ url: s3.url, ...S3RVER_CREDENTIALS, bucket: 'tls-test' });
    await assert.rejects(S3CheckpointStore.open(config, { deadlineMs: 60_000, baseDelayMs: 10 }), (err: Error) => {
      assert.ok(!(err instanceof S3UnavailableError), 'not an outage: retrying cannot help');
      assert.match(err.message, /certificate/);
      return true;
    });
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const part of stream) s += part.toString();
  return s;
}
