import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  accuracyVsSparsityFigure,
  colorOf,
  instabilityVsRewindFigure,
  svgToPng,
  withSvgPage,
} from '@rewind/report';
import { countColor, decodePng } from './png-pixels.ts';

// Real chromium (Debian's package) renders the figures; the project installs it with `apt-get install -y chromium`.
const levels = Array.from({ length: 8 }, (_, round) => 0.8 ** round);
const accuracySvg = accuracyVsSparsityFigure([
  ...levels.map((w) => ({ series: 'rewind k=0', weightsRemaining: w, testAccuracy: 0.9 - 0.2 * (1 - w) })),
  ...levels.map((w) => ({ series: 'rewind k=500', weightsRemaining: w, testAccuracy: 0.9 - 0.02 * (1 - w) })),
  ...levels.map((w) => ({ series: 'random reinit', weightsRemaining: w, testAccuracy: 0.9 - 0.4 * (1 - w), control: true })),
]);
const instabilitySvg = instabilityVsRewindFigure(
  [0, 100, 500, 2000].flatMap((rewindStep, i) => [
    { sparsityLabel: '51.2%', rewindStep, barrier: 0.1 / (i + 1) },
    { sparsityLabel: '16.8%', rewindStep, barrier: 0.3 / (i + 1) },
  ]),
);

/** Opens `svg` as an XML document in chromium; its XML parser replaces a malformed one with a parser error. */
async function isWellFormed(svg: string): Promise<boolean> {
  const outcome = await withSvgPage('', async (page) => {
    await page.goto(`data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`);
    return (await page.locator('parsererror').count()) === 0;
  });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
  return outcome.value;
}

describe('figures in chromium', () => {
  it('are well-formed XML (and the check itself catches a broken document)', async () => {
    assert.equal(await isWellFormed(accuracySvg), true);
    assert.equal(await isWellFormed(instabilitySvg), true);
    assert.equal(await isWellFormed('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'), false);
  });

  it('render one visible path per series, with markers laid out left to right as weights shrink', async () => {
    const outcome = await withSvgPage(accuracySvg, async (page) => {
      const paths = page.locator('path.series');
      const markers = await page.locator('g.series-group').first().locator('circle').all();
      return {
        labels: await paths.evaluateAll((elements) => elements.map((e) => e.getAttribute('data-series'))),
        widths: await Promise.all((await paths.all()).map(async (p) => (await p.boundingBox())?.width ?? 0)),
        legend: await page.locator('g.legend-entry').count(),
        markerX: await Promise.all(markers.map(async (m) => (await m.boundingBox())?.x ?? Number.NaN)),
        dashed: await paths.evaluateAll((elements) =>
          elements.map((e) => e.ownerDocument.defaultView?.getComputedStyle(e).strokeDasharray !== 'none'),
        ),
      };
    });
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
    const drawn = outcome.value;
    assert.deepEqual(drawn.labels, ['rewind k=0', 'rewind k=500', 'random reinit']);
    assert.equal(drawn.legend, 3);
    assert.ok(drawn.widths.every((w) => w > 100), `paths span the plot: ${drawn.widths}`);
    assert.equal(drawn.markerX.length, levels.length);
    assert.ok(drawn.markerX.every((x, i) => i === 0 || x > drawn.markerX[i - 1]!));
    assert.deepEqual(drawn.dashed, [false, false, true]);
  });
});

describe('svgToPng', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-report-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a PNG at twice the figure size, with the series colours in it', async () => {
    const path = join(dir, 'instability.png');
    assert.deepEqual(await svgToPng(instabilitySvg, path), { ok: true });
    const png = await readFile(path);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR, the first chunk, holds width and height as big-endian 32-bit integers at bytes 16 and 20.
    assert.equal(png.readUInt32BE(16), 2 * 760);
    assert.equal(png.readUInt32BE(20), 2 * 440);
    assert.ok(png.length > 10_000, `a real figure, not a blank page: ${png.length} bytes`);

    const pixels = decodePng(png);
    const [first, second, unused] = [colorOf(0), colorOf(1), colorOf(5)].map((hex) => countColor(pixels, hex));
    assert.ok(first! > 500 && second! > 500, `both series drawn: ${first}, ${second} pixels`);
    assert.equal(unused, 0, 'a colour no series uses is absent');
  });

  it('says why, in one line, when chromium is not there', async () => {
    const outcome = await svgToPng(accuracySvg, join(dir, 'never.png'), { executablePath: join(dir, 'no-chromium') });
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && /^chromium not found at .*no-chromium/.test(outcome.reason) && !outcome.reason.includes('\n'));
  });
});
