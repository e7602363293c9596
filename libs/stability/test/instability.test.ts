import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TensorSet } from '@rewind/core';
import {
  alphaGrid,
  DEFAULT_INSTABILITY_THRESHOLD,
  errorBarrier,
  instabilityFromPath,
  measureInstability,
  type NetworkWeights,
} from '@rewind/stability';

describe('errorBarrier', () => {
  it('is zero on a constant path', () => {
    assert.equal(errorBarrier(alphaGrid(30).map((alpha) => ({ alpha, error: 0.1 }))), 0);
  });

  it('recovers a constructed bump above the mean of the endpoints', () => {
    // Endpoints 0.10 and 0.14 (mean 0.12), linear in between, plus a triangular bump of 0.05 at α = 0.4.
    const points = alphaGrid(11).map((alpha) => ({
      alpha,
      error: 0.1 + 0.04 * alpha + Math.max(0, 0.05 - 0.25 * Math.abs(alpha - 0.4)),
    }));
    // Peak at α=0.4: 0.1 + 0.016 + 0.05 = 0.166.
    assert.ok(Math.abs(errorBarrier(points) - (0.166 - 0.12)) < 1e-12);
  });

  it('measures from the endpoint mean, so a monotone path has a barrier of half its rise', () => {
    const points = alphaGrid(5).map((alpha) => ({ alpha, error: 0.2 * alpha }));
    assert.ok(Math.abs(errorBarrier(points) - 0.1) < 1e-12);
  });

  it('needs both endpoints and finite errors', () => {
    assert.throws(() => errorBarrier([{ alpha: 0, error: 0.1 }]), /endpoints/);
    assert.throws(
      () =>
        errorBarrier([
          { alpha: 0, error: 0.1 },
          { alpha: 1, error: Number.NaN },
        ]),
      /not finite/,
    );
  });
});

describe('instabilityFromPath', () => {
  const path = [
    { alpha: 1, trainError: 0.0, testError: 0.1 },
    { alpha: 0, trainError: 0.0, testError: 0.1 },
    { alpha: 0.5, trainError: 0.03, testError: 0.115 },
  ];

  it('reports both barriers and decides on the test barrier against 2% by default', () => {
    const result = instabilityFromPath(path);
    assert.equal(result.threshold, DEFAULT_INSTABILITY_THRESHOLD);
    assert.equal(result.trainBarrier, 0.03);
    assert.ok(Math.abs(result.testBarrier - 0.015) < 1e-12);
    assert.equal(result.stable, true);
    assert.deepEqual(
      result.path.map((p) => p.alpha),
      [0, 0.5, 1],
    );
  });

  it('honours the criterion and threshold', () => {
    assert.equal(instabilityFromPath(path, { criterion: 'train' }).stable, false);
    assert.equal(instabilityFromPath(path, { criterion: 'both' }).stable, false);
    assert.equal(instabilityFromPath(path, { criterion: 'train', threshold: 0.05 }).stable, true);
    // Strictly below: a barrier equal to the threshold is unstable.
    assert.equal(instabilityFromPath(path, { criterion: 'train', threshold: 0.03 }).stable, false);
  });
});

describe('measureInstability', () => {
  it('evaluates the interpolated network at every alpha and takes the barrier', async () => {
    const weights = (v: number): NetworkWeights => ({
      params: { w: { shape: [1], data: Float32Array.of(v) } } as TensorSet,
      buffers: {},
    });
    const seen: number[] = [];
    // Error is a bump in the weight value itself: the path from w=−1 to w=1 crosses w=0, where error peaks.
    const result = await measureInstability({
      first: weights(-1),
      second: weights(1),
      alphas: alphaGrid(5),
      evaluate: async (point, alpha) => {
        seen.push(alpha);
        const w = point.params.w!.data[0]!;
        return { trainError: 0.1 * (1 - Math.abs(w)), testError: 0.2 + 0.5 * (1 - Math.abs(w)) };
      },
    });
    assert.deepEqual(seen, [0, 0.25, 0.5, 0.75, 1]);
    assert.ok(Math.abs(result.trainBarrier - 0.1) < 1e-9);
    assert.ok(Math.abs(result.testBarrier - 0.5) < 1e-9);
    assert.equal(result.stable, false);
    assert.equal(result.path.length, 5);
  });
});
