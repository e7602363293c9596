/** `rewind report <dir>`: the papers' two figures as SVG, and PNG where a browser is at hand. */
import { join } from 'node:path';
import { isTrunk, seriesOf } from '@rewind/core';
import { ANALYSES } from '@rewind/kinds';
import { accuracyVsSparsityFigure, instabilityVsRewindFigure, svgToPng } from '@rewind/report';
import { writeFileAtomic } from '@rewind/local';
import { isClusterSweep, loadResults } from '../results-source.ts';

/** Figures of a run directory (written into it), or of a cluster sweep (written into `out`, default runs/<sweep id>). */
export async function reportCommand(target: string, options: { coordinator?: string; out?: string } = {}): Promise<number> {
  const results = await loadResults(target, options.coordinator);
  const runDir = options.out ?? (isClusterSweep(target) ? join('runs', target) : target);
  const figures: [string, string][] = [];
  const main = results.rows.filter((r) => r.copy === 0);
  const rewindSteps = [...new Set(main.filter((r) => r.kind !== 'dense').map((r) => r.rewindStep))];
  const kinds = [...new Set(main.filter((x) => x.kind !== 'dense').map((x) => seriesOf(x)))];
  // A diverged training has no accuracy to plot (the tables name it). The dense trunk is every line's first
  // point; nets retrained from W_k are not its replicates.
  const accuracy = main
    .filter((r) => r.divergedAt === undefined && (r.kind !== 'dense' || isTrunk(r)))
    .flatMap((r) => {
      if (r.kind !== 'dense') return [{ series: seriesOf(r), weightsRemaining: r.weightsRemaining, testAccuracy: r.finalAccuracy, control: r.kind !== 'ticket' }];
      return kinds.map((series) => ({ series, weightsRemaining: 1, testAccuracy: r.finalAccuracy, control: !/^k=\d+it$/.test(series) }));
    });
  if (accuracy.length > 0) {
    figures.push(['accuracy-vs-weights-remaining', accuracyVsSparsityFigure(accuracy, { title: `${results.model}: test accuracy vs weights remaining` })]);
  } else {
    process.stdout.write('no accuracy figure: every training in this run diverged\n');
  }

  // Each analysis kind with a figure against k draws it for the tickets (and the dense net of round 0).
  for (const kind of ANALYSES) {
    const figure = kind.figure;
    const points = results.analyses
      .filter((a) => a.analysis === kind.name && (a.kind === 'ticket' || a.kind === 'dense'))
      .map((a) => ({ sparsityLabel: `${(100 * a.weightsRemaining).toFixed(1)}% remaining`, rewindStep: a.rewindStep, barrier: figure ? figure.value(a.result) : 0 }));
    if (figure && points.length > 0) figures.push([figure.file, instabilityVsRewindFigure(points, { title: `${results.model}: ${figure.title}` })]);
  }
  if (!figures.some(([name]) => name !== 'accuracy-vs-weights-remaining')) {
    process.stdout.write(`no linear-mode analyses in this run (rewind points: ${rewindSteps.join(', ')}): add a stability section to the spec for the instability figure\n`);
  }

  for (const [name, svg] of figures) {
    const svgPath = join(runDir, `${name}.svg`);
    await writeFileAtomic(svgPath, svg);
    const png = await svgToPng(svg, join(runDir, `${name}.png`));
    process.stdout.write(`wrote ${svgPath}${png.ok ? ` and ${name}.png` : ` (no PNG: ${png.reason})`}\n`);
  }
  return 0;
}
