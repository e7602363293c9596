import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AccuracyRow, accuracyVsSparsityFigure, instabilityVsRewindFigure, plotArea } from '@rewind/report';
import { count, drawnSeries } from './svg-inspect.ts';

// Each round keeps 80% of the weights, as in IMP with a pruning fraction of 0.2.
const levels = Array.from({ length: 7 }, (_, round) => 0.8 ** round);

function accuracyRows(): AccuracyRow[] {
  const rows: AccuracyRow[] = [];
  for (const [series, drop] of [
    ['rewind k=0', 0.2],
    ['rewind k=500', 0.05],
  ] as const) {
    for (const w of levels) rows.push({ series, weightsRemaining: w, testAccuracy: 0.9 - drop * (1 - w) });
  }
  for (const w of levels) {
    rows.push({ series: 'random reinit', weightsRemaining: w, testAccuracy: 0.9 - 0.4 * (1 - w), control: true });
  }
  return rows;
}

const increasing = (xs: readonly number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

describe('accuracyVsSparsityFigure', () => {
  const svg = accuracyVsSparsityFigure(accuracyRows());
  const series = drawnSeries(svg);

  it('draws one path per series, in order of first appearance, with a legend entry each', () => {
    assert.deepEqual(
      series.map((s) => s.label),
      ['rewind k=0', 'rewind k=500', 'random reinit'],
    );
    assert.equal(count(svg, /<g class="legend-entry"/g), 3);
    assert.ok(series.every((s) => s.points.length === levels.length));
  });

  it('dashes the controls only', () => {
    assert.deepEqual(
      series.map((s) => s.dashed),
      [false, false, true],
    );
  });

  it('puts 100% on the left and decreases to the right on a log scale', () => {
    const xs = series[0]!.points.map((p) => p.x);
    assert.ok(increasing(xs), `x should grow as weights remaining shrink: ${xs}`);
    const area = plotArea(760, 440);
    assert.equal(xs[0], area.left);
    assert.equal(xs.at(-1), area.right);
    // The levels are a geometric sequence (×0.8), so a log axis spaces them evenly.
    const gaps = xs.slice(1).map((x, i) => x - xs[i]!);
    for (const gap of gaps) assert.ok(Math.abs(gap - gaps[0]!) < 0.02, `uneven gaps ${gaps}`);
  });

  it('maps higher accuracy higher up the page', () => {
    // Accuracy falls with sparsity on every series, so SVG y (downwards) must grow along each path.
    for (const s of series) assert.ok(increasing(s.points.map((p) => p.y)), s.label);
    // At the sparsest level the control is worst, so lowest on the page.
    const last = series.map((s) => s.points.at(-1)!.y);
    assert.ok(last[2]! > last[0]! && last[0]! > last[1]!);
  });

  it('labels axes and ticks in percent', () => {
    assert.match(svg, /Percent of weights remaining \(log scale\)/);
    assert.match(svg, /Test accuracy \(%\)/);
    assert.match(svg, />100<\/text>/);
    assert.match(svg, />51\.2<\/text>/);
    assert.ok(count(svg, /class="tick x-tick"/g) >= 3);
  });

  it('averages replicates into one point with a min–max whisker', () => {
    const svg = accuracyVsSparsityFigure([
      { series: 'k=0', weightsRemaining: 1, testAccuracy: 0.8 },
      { series: 'k=0', weightsRemaining: 1, testAccuracy: 0.9 },
      { series: 'k=0', weightsRemaining: 0.5, testAccuracy: 0.7 },
    ]);
    assert.equal(drawnSeries(svg)[0]!.points.length, 2);
    assert.equal(count(svg, /class="whisker"/g), 1);
  });

  it('escapes labels and rejects fractions outside (0, 1]', () => {
    const svg = accuracyVsSparsityFigure([{ series: 'a<b & "c"', weightsRemaining: 1, testAccuracy: 0.5 }]);
    assert.equal(drawnSeries(svg)[0]!.label, 'a<b & "c"');
    assert.ok(!svg.includes('a<b'));
    assert.throws(() => accuracyVsSparsityFigure([{ series: 's', weightsRemaining: 51.2, testAccuracy: 0.5 }]), /\(0, 1\]/);
    assert.throws(() => accuracyVsSparsityFigure([]), /no rows/);
  });
});

describe('instabilityVsRewindFigure', () => {
  const steps = [0, 100, 500, 2000, 10000];
  const rows = steps.flatMap((rewindStep, i) => [
    { sparsityLabel: '51.2%', rewindStep, barrier: 0.1 / (i + 1) },
    { sparsityLabel: '16.8%', rewindStep, barrier: 0.2 / (i + 1) },
  ]);
  const svg = instabilityVsRewindFigure(rows);
  const series = drawnSeries(svg);

  it('draws one solid path per sparsity level', () => {
    assert.deepEqual(
      series.map((s) => [s.label, s.dashed, s.points.length]),
      [
        ['51.2%', false, 5],
        ['16.8%', false, 5],
      ],
    );
  });

  it('spaces rewind steps evenly from left to right', () => {
    const xs = series[0]!.points.map((p) => p.x);
    assert.ok(increasing(xs));
    const gaps = xs.slice(1).map((x, i) => x - xs[i]!);
    for (const gap of gaps) assert.ok(Math.abs(gap - gaps[0]!) < 0.02);
    assert.match(svg, />2K<\/text>/);
    assert.match(svg, />10K<\/text>/);
  });

  it('draws the 2% threshold dashed, where a 2% barrier would sit', () => {
    assert.match(svg, /2% threshold/);
    const rule = svg.match(/<g class="rule"><line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="([\d.]+)"[^>]*stroke-dasharray/);
    assert.ok(rule, 'a dashed horizontal rule');
    // The 51.2% series reaches exactly 0.02 at its last step (0.1 / 5).
    assert.equal(Number(rule[1]), series[0]!.points.at(-1)!.y);
    assert.equal(rule[1], rule[2]);
  });

  it('maps a larger barrier higher up the page', () => {
    for (const s of series) assert.ok(increasing(s.points.map((p) => p.y)));
    assert.ok(series[1]!.points[0]!.y < series[0]!.points[0]!.y);
  });

  it('follows a custom threshold', () => {
    assert.match(instabilityVsRewindFigure(rows, { threshold: 0.05 }), /5% threshold/);
  });
});
