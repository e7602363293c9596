/** Plain-text rendering of cluster answers for the terminal. */
import { CheckpointKind, type LineageEntry, type SweepEventMessage, SweepState, type Ticket } from '@rewind/rpc';

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

/** One line per event, or undefined for events not worth a line. */
export function renderEvent(e: SweepEventMessage): string | undefined {
  const ev = e.event;
  switch (ev?.$case) {
    case 'progress':
      return `${progressBar(ev.value.done, ev.value.total)} ${ev.value.label}`;
    case 'ticketFound':
      return `ticket ${ev.value.experiment}: mask ${short(ev.value.maskId)} rewinds to ${short(ev.value.rewindId)}`;
    case 'analysisCompleted':
      return `analysis ${ev.value.analysis} for ${ev.value.experiment} done`;
    case 'sweepFinished':
      return `sweep ${e.sweepId} ${STATE_NAMES[ev.value.state] ?? 'ended'}${ev.value.error ? `: ${ev.value.error}` : ''}`;
    default:
      return undefined;
  }
}

export function renderTickets(tickets: readonly Ticket[]): string {
  if (tickets.length === 0) return 'no tickets yet';
  const rows = tickets.map((t) => [String(t.rewindStep), String(t.round), t.experiment, short(t.maskId), short(t.rewindId)]);
  const header = ['k', 'round', 'experiment', 'mask', 'rewind'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

const KIND_NAMES: Record<number, string> = {
  [CheckpointKind.CHECKPOINT_KIND_INIT]: 'init',
  [CheckpointKind.CHECKPOINT_KIND_SNAPSHOT]: 'snapshot',
  [CheckpointKind.CHECKPOINT_KIND_FINAL]: 'final',
  [CheckpointKind.CHECKPOINT_KIND_MASK]: 'mask',
  [CheckpointKind.CHECKPOINT_KIND_RESUME]: 'resume',
};

export function renderLineage(chain: readonly LineageEntry[]): string {
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
