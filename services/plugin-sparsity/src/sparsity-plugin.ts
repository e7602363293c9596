/**
 * The `sparsity` plug-in: for each ticket, its mask's per-layer sparsity and how many surviving weights
 * changed sign between W_k and the trained ticket. Payload: rewind.plugins.sparsity.v1.SparsityReport.
 */
import { definePlugin } from '@rewind/plugin-sdk';
import { SparsityReport } from '@rewind/rpc';
import { ticketStats } from '@rewind/weight-stats';

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

export const sparsityPlugin = definePlugin({
  name: 'sparsity',
  version: '1.0.0',
  schema: 'rewind.plugins.sparsity.v1.SparsityReport',
  on: ['ticket.found'],
  async analyze(ticket, { store }) {
    const [mask, rewind, final] = await Promise.all([
      store.getMask(ticket.maskId),
      store.getState(ticket.rewindId),
      store.getState(ticket.finalId),
    ]);
    const stats = ticketStats(mask.value, rewind.value.params, final.value.params);
    const report = SparsityReport.fromPartial({
      maskId: ticket.maskId,
      rewindId: ticket.rewindId,
      finalId: ticket.finalId,
      perLayer: stats.perLayer,
      total: stats.total,
    });
    return {
      result: SparsityReport.toJSON(report),
      summary: `${percent(1 - stats.total.sparsity)} remaining, ${percent(stats.total.signFlipFraction)} of survivors flipped sign`,
    };
  },
});
