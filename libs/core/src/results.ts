/** Result rows of a sweep, and their table and CSV forms. */
/** `dense` (the trunk, or round 0 retrained from W_k), `ticket`, or a control's name. */
export type RowKind = string;

export interface ResultRow {
  readonly experiment: string;
  readonly trunk: string;
  readonly seed: number;
  readonly kind: RowKind;
  readonly rewindStep: number;
  readonly round: number;
  readonly copy: number;
  /** Fraction of prunable weights alive (1 for the dense net). */
  readonly weightsRemaining: number;
  readonly finalAccuracy: number;
  readonly bestAccuracy: number;
  readonly trainLoss: number;
  readonly wallMs: number;
  readonly maskId?: string;
  readonly rewindId?: string;
  readonly finalId: string;
  readonly backend: string;
  /** The first evaluation step whose test loss was not finite: training diverged, its accuracy means nothing. */
  readonly divergedAt?: number;
}

const COLUMNS: readonly (keyof ResultRow)[] = [
  'experiment',
  'trunk',
  'seed',
  'kind',
  'rewindStep',
  'round',
  'copy',
  'weightsRemaining',
  'finalAccuracy',
  'bestAccuracy',
  'trainLoss',
  'wallMs',
  'maskId',
  'rewindId',
  'finalId',
  'backend',
  'divergedAt',
];

export function toCsv(rows: readonly ResultRow[]): string {
  const cell = (v: unknown) => (v === undefined ? '' : String(v));
  return `${[COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\n')}\n`;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}`;

/** The dense trunk itself: the one dense net per seed, trained from initialisation on the spec's data order. */
export function isTrunk(row: ResultRow): boolean {
  return row.experiment === row.trunk;
}

/** The label of a line in the accuracy plot: "k=100it", "k=100it random_reinit", "dense". */
export function seriesOf(row: ResultRow): string {
  if (row.kind === 'dense') return 'dense';
  return row.kind === 'ticket' ? `k=${row.rewindStep}it` : `k=${row.rewindStep}it ${row.kind}`;
}

/**
 * Test accuracy (%) by round and series, averaged over seeds: the "accuracy vs weights remaining"
 * table of the papers. Only the spec's own data order (copy 0) counts here.
 */
export function formatAccuracyTable(rows: readonly ResultRow[]): string {
  const main = rows.filter((r) => r.copy === 0);
  // Dense nets retrained from W_k > 0 are not replicates of the trunk: the dense accuracy is the trunks'.
  const dense = main.filter(isTrunk);
  const series = [...new Set(main.filter((r) => r.kind !== 'dense').map(seriesOf))];
  const rounds = [...new Set(main.map((r) => r.round))].sort((a, b) => a - b);
  const header = ['round', 'weights %', ...series];
  const lines: string[][] = [];
  for (const round of rounds) {
    const atRound = main.filter((r) => r.round === round);
    const remaining = mean(atRound.map((r) => r.weightsRemaining));
    const cells = series.map((s) => accuracyCell(round === 0 ? dense : atRound.filter((r) => seriesOf(r) === s), ''));
    lines.push([String(round), pct(remaining), ...cells]);
  }
  const diverged = main.filter((r) => r.divergedAt !== undefined);
  const notes = diverged.map((r) => `diverged: ${r.experiment} (${seriesOf(r)}, round ${r.round}) at step ${r.divergedAt}: its test loss is not finite\n`);
  return `${renderTable(header, lines)}\ndense test accuracy: ${accuracyCell(dense, '%') || '-'}  (round 0 is the dense trunk for every k)\n${notes.join('')}`;
}

/** Mean accuracy of the rows; a diverged row is counted out and named, never averaged in as chance. */
function accuracyCell(rows: readonly ResultRow[], unit: string): string {
  const trained = rows.filter((r) => r.divergedAt === undefined);
  if (rows.length === 0) return '';
  if (trained.length === 0) return `diverged@${Math.min(...rows.map((r) => r.divergedAt!))}`;
  const accuracy = `${pct(mean(trained.map((r) => r.finalAccuracy)))}${unit}`;
  return trained.length < rows.length ? `${accuracy} (${rows.length - trained.length} diverged)` : accuracy;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

export function renderTable(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n');
}
