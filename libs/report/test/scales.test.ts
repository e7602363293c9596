import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  escapeXml,
  formatPercent,
  formatSteps,
  linearScale,
  logScale,
  niceTicks,
  pointScale,
  thinTicks,
} from '@rewind/report';

describe('scales', () => {
  it('maps linearly, including reversed ranges', () => {
    const s = linearScale([0, 10], [100, 0]);
    assert.deepEqual([s(0), s(5), s(10)], [100, 50, 0]);
  });

  it('maps logarithmically and refuses non-positive domains', () => {
    const s = logScale([1, 0.01], [0, 200]);
    assert.ok(Math.abs(s(0.1) - 100) < 1e-9);
    assert.throws(() => logScale([0, 1], [0, 1]), /positive/);
  });

  it('places ordinal values evenly and rejects unknown ones', () => {
    const s = pointScale([0, 100, 5000], [10, 30]);
    assert.deepEqual([s(0), s(100), s(5000)], [10, 20, 30]);
    assert.throws(() => s(7), /not one of/);
    assert.equal(pointScale([3], [10, 30])(3), 20);
  });

  it('picks round ticks that enclose the data', () => {
    assert.deepEqual(niceTicks(0.62, 0.94), [0.6, 0.7, 0.8, 0.9, 1]);
    assert.deepEqual(niceTicks(0.3, 0.7, 4), [0.3, 0.4, 0.5, 0.6, 0.7]);
    assert.deepEqual(niceTicks(0, 0.2), [0, 0.05, 0.1, 0.15, 0.2]);
    assert.deepEqual(niceTicks(0.5, 0.5), [0.5]);
  });

  it('thins ticks that would crowd each other', () => {
    assert.deepEqual(thinTicks([0, 1, 2, 3, 4, 10], linearScale([0, 10], [0, 100]), 25), [0, 3, 10]);
  });
});

describe('labels', () => {
  it('formats percentages, steps and escapes XML', () => {
    assert.deepEqual([1, 0.512, 0.0687, 0].map(formatPercent), ['100', '51.2', '6.87', '0']);
    assert.deepEqual([0, 500, 2000, 12500, 1500000].map(formatSteps), ['0', '500', '2K', '12.5K', '1.5M']);
    assert.equal(escapeXml(`<a & 'b' "c">`), '&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;');
  });
});
