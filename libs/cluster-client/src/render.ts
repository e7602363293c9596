/** Plain-text rendering of cluster answers for the terminal. */
import { type AnalysisCompleted, CheckpointKind, type LineageEntry, type SweepEventMessage, SweepState, type SweepStatus, type Ticket } from '@rewind/rpc';

const short = (id: string): string => id.slice(0, 12);

export function progressBar(done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

const STATE_NAMES: Record<number, string> = {
  [SweepState.SWEEP_STATE_SUCCEEDED]: 'succeeded',
  [SweepState.SWEEP_STATE_FAILED]: 'failed',
  [SweepState.SWEEP_STATE_CANCELLED]: 'cancelled',
  [SweepState.SWEEP_STATE_RUNNING]: 'running',
};

/** One line: the sweep's state and progress. */
export const renderStatus = (s: SweepStatus): string =>
  `sweep ${s.sweepId} ${STATE_NAMES[s.state] ?? 'unknown'} ${progressBar(s.done, s.total)}${s.error ? `: ${s.error}` : ''}`;

/** One line per event, or undefined for events not worth a line. */
export function renderEvent(e: SweepEventMessage): string | undefined {
  const ev = e.event;
  switch (ev?.$case) {
    case 'checkpointCorrupt':
      return `checkpoint ${ev.value.id} is corrupt; recomputing it from ${ev.value.experiment}`;
    case 'ticketFound':
      return `ticket ${ev.value.experiment}: mask ${short(ev.value.maskId)} rewinds to ${short(ev.value.rewindId)}`;
    case 'analysisCompleted':
      return `analysis ${ev.value.analysis} for ${ev.value.experiment} done`;
    case 'sweepFinished':
      return `sweep ${e.sweepId} ${STATE_NAMES[ev.value.state] ?? 'ended'}${ev.value.error ? `: ${ev.value.error}` : ''}`;
    case 'sweepResumed':
      return `sweep ${e.sweepId} resumed (attempt ${ev.value.attempt + 1}); finished trainings are not redone`;
    default:
      return undefined;
  }
}

function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function renderTickets(tickets: readonly Ticket[]): string {
  if (tickets.length === 0) return 'no tickets yet';
  const rows = tickets.map((t) => [String(t.rewindStep), String(t.round), t.experiment, short(t.maskId), short(t.rewindId)]);
  return table(['k', 'round', 'experiment', 'mask', 'rewind'], rows);
}

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** A built-in result in a few words; plug-ins bring their own summary line. */
function builtInSummary(analysis: string, resultJson: string): string {
  const r = JSON.parse(resultJson) as {
    total?: { l2Normalized: number; weightsCompared: number };
    trainBarrier?: number;
    testBarrier?: number;
    stable?: boolean;
  };
  if (r.total) return `normalized L2 distance ${r.total.l2Normalized.toFixed(4)} over ${r.total.weightsCompared} weights`;
  if (r.testBarrier !== undefined && r.trainBarrier !== undefined) {
    return `error barrier test ${percent(r.testBarrier)}, train ${percent(r.trainBarrier)}: ${r.stable ? 'stable' : 'unstable'}`;
  }
  return `${analysis}: ${resultJson.slice(0, 60)}`;
}

/** One row per analysis, placed by the ticket it is about (k and round) where it is about one. */
export function renderAnalyses(analyses: readonly AnalysisCompleted[], tickets: readonly Ticket[]): string {
  if (analyses.length === 0) return 'no analyses yet';
  const byExperiment = new Map(tickets.map((t) => [t.experiment, t]));
  const rows = analyses.map((a) => {
    const t = byExperiment.get(a.experiment);
    return {
      k: t?.rewindStep ?? Number.POSITIVE_INFINITY,
      round: t?.round ?? Number.POSITIVE_INFINITY,
      cells: [
        t ? String(t.rewindStep) : '-',
        t ? String(t.round) : '-',
        a.analysis,
        a.plugin ? a.plugin.version : 'built-in',
        a.experiment,
        a.plugin ? a.plugin.summary : builtInSummary(a.analysis, a.resultJson),
      ],
    };
  });
  rows.sort((x, y) => x.k - y.k || x.round - y.round);
  return table(['k', 'round', 'analysis', 'version', 'experiment', 'result'], rows.map((r) => r.cells));
}

const KIND_NAMES: Record<number, string> = {
  [CheckpointKind.CHECKPOINT_KIND_INIT]: 'init',
  [CheckpointKind.CHECKPOINT_KIND_SNAPSHOT]: 'snapshot',
  [CheckpointKind.CHECKPOINT_KIND_FINAL]: 'final',
  [CheckpointKind.CHECKPOINT_KIND_MASK]: 'mask',
  [CheckpointKind.CHECKPOINT_KIND_RESUME]: 'resume',
};

/** The mask's chain, then (for a known ticket) the chain from its rewind point W_k. */
export function renderLineage(lineage: { readonly chain: readonly LineageEntry[]; readonly rewind: readonly LineageEntry[] }): string {
  const rewind = lineage.rewind.length > 0 ? `\nrewinds to W_k:\n${renderChain(lineage.rewind)}` : '';
  return `${renderChain(lineage.chain)}${rewind}`;
}

function renderChain(chain: readonly LineageEntry[]): string {
  return chain
    .map((entry, i) => {
      const l = entry.lineage;
      const where = [
        l?.round !== undefined ? `round ${l.round}` : '',
        l?.rewindStep !== undefined ? `k=${l.rewindStep}` : '',
        l?.step !== undefined ? `step ${l.step}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `${'  '.repeat(i)}${i ? '└ ' : ''}${KIND_NAMES[l?.kind ?? 0] ?? '?'} ${short(entry.id)} (${l?.experiment ?? '?'}${where ? `, ${where}` : ''})`;
    })
    .join('\n');
}
