/**
 * The passes of the webgpu column sum (Sum and Mean over all but the last axis, batch norm's
 * statistics): what they add depends on the shape alone, every row is covered, and no pass needs
 * more workgroups than a grid dimension holds. The kernels themselves run in test/webgpu/kernel-parity.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnSumPasses } from '../src/kernels/column-sum.ts';

const GRID_LIMIT = 65535;

test('Conv-2 at batch 512: 401,408 rows of 64 channels in four passes, 64 rows a workgroup', () => {
  const passes = columnSumPasses(512 * 28 * 28, 64);
  assert.deepEqual(
    passes.map((p) => [p.rows, p.chunks]),
    [
      [401408, 6272],
      [6272, 98],
      [98, 2],
      [2, 1],
    ],
  );
  for (const p of passes) assert.deepEqual([p.columnLanes, p.rowLanes, p.rowsPerThread], [64, 4, 16]);
});

test('few columns get fewer column threads and more row threads', () => {
  assert.deepEqual(
    [1, 3, 10, 64, 300].map((cols) => columnSumPasses(100, cols)[0]!).map((p) => [p.columnLanes, p.rowLanes]),
    [
      [1, 256],
      [4, 64],
      [16, 16],
      [64, 4],
      [64, 4],
    ],
  );
});

test('each pass covers its rows, feeds its chunks to the next, ends in one, and fits the grid', () => {
  // The last three would need more than 65,535 workgroups at 16 rows a thread (as an ImageNet batch norm at batch 1024 does).
  for (const [rows, cols] of [
    [1, 1],
    [4096, 8],
    [4097, 8],
    [65535 * 64 + 1, 64],
    [1024 * 112 * 112, 64],
    [3e8, 1],
  ] as const) {
    const passes = columnSumPasses(rows, cols);
    assert.equal(passes[0]!.rows, rows);
    assert.equal(passes.at(-1)!.chunks, 1);
    passes.forEach((p, i) => {
      assert.ok(p.chunks <= GRID_LIMIT, `${rows}x${cols} pass ${i}: ${p.chunks} chunks`);
      assert.ok(p.chunks * p.rowLanes * p.rowsPerThread >= p.rows, `${rows}x${cols} pass ${i} leaves rows out`);
      assert.ok((p.chunks - 1) * p.rowLanes * p.rowsPerThread < p.rows, `${rows}x${cols} pass ${i} has an empty chunk`);
      if (i > 0) assert.equal(p.rows, passes[i - 1]!.chunks);
    });
  }
  assert.ok(columnSumPasses(1024 * 112 * 112, 64)[0]!.rowsPerThread > 16);
});
