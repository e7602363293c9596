import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainState } from '@rewind/core';
import {
  ChecksumMismatchError,
  contentId,
  decode,
  decodeMask,
  decodeState,
  encodeMask,
  encodeState,
  SafetensorsFormatError,
  verifyContent,
} from '../src/index.ts';

const state: TrainState = {
  step: 42,
  params: { 'fc1.kernel': { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -0]) } },
  buffers: { 'bn.running_mean': { shape: [1], data: Float32Array.from([0.25]) } },
  momentum: { 'fc1.kernel': { shape: [2, 3], data: Float32Array.from([0, 0, 1, 2, 3, 4]) } },
};

test('a train state survives the round trip bit for bit, lineage included', () => {
  const bytes = encodeState(state, { kind: 'final', experiment: 'abc' });
  const { state: back, lineage } = decodeState<{ kind: string }>(bytes);
  assert.equal(back.step, 42);
  assert.deepEqual(lineage, { kind: 'final', experiment: 'abc' });
  for (const group of ['params', 'buffers', 'momentum'] as const) {
    for (const [name, t] of Object.entries(state[group])) {
      assert.deepEqual(back[group][name]!.shape, t.shape);
      assert.deepEqual(new Uint8Array(back[group][name]!.data.buffer), new Uint8Array(t.data.buffer));
    }
  }
});

test('decoding a Buffer read from disk copies the tensors out of its pooled memory', () => {
  const bytes = encodeState(state, {});
  const pooled = Buffer.concat([Buffer.from('xyz'), Buffer.from(bytes)]).subarray(3);
  const { state: back } = decodeState(pooled);
  assert.deepEqual([...back.params['fc1.kernel']!.data], [...state.params['fc1.kernel']!.data]);
});

test('the file follows the safetensors layout: u64 header length, JSON header, aligned data', () => {
  const bytes = encodeState(state, {});
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
  assert.deepEqual(header['params/fc1.kernel'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.equal(bytes.length, 8 + n + 24 + 4 + 24);
});

test('encoding is deterministic, so equal content gets an equal id', () => {
  assert.equal(contentId(encodeState(state, { a: 1 })), contentId(encodeState(state, { a: 1 })));
  assert.notEqual(contentId(encodeState(state, { a: 1 })), contentId(encodeState(state, { a: 2 })));
  assert.equal(contentId(encodeState(state, { a: 1, b: 2 })), contentId(encodeState(state, { b: 2, a: 1 })), 'key order does not matter');
});

test('masks round-trip as U8', () => {
  const mask = { 'fc1.kernel': { shape: [2, 2], data: Uint8Array.from([1, 0, 0, 1]) } };
  const { mask: back } = decodeMask(encodeMask(mask, {}));
  assert.deepEqual([...back['fc1.kernel']!.data], [1, 0, 0, 1]);
});

test('a flipped byte is detected by the checksum', () => {
  const bytes = encodeState(state, {});
  const id = contentId(bytes);
  verifyContent(id, bytes, 'memory');
  const corrupt = bytes.slice();
  corrupt[corrupt.length - 3]! ^= 0x40;
  assert.throws(() => verifyContent(id, corrupt, 'memory'), ChecksumMismatchError);
});

test('truncated or foreign files are format errors, not garbage tensors', () => {
  const bytes = encodeState(state, {});
  assert.throws(() => decode(bytes.subarray(0, 4)), SafetensorsFormatError);
  assert.throws(() => decode(bytes.subarray(0, bytes.length - 10)), /do not fit/);
  assert.throws(() => decodeMask(bytes), /expected a rewind.mask.v1 file/);
});
