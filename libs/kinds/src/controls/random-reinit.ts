/**
 * Random reinitialisation (Frankle & Carbin 2019): the ticket's mask on fresh weights from the control's
 * seed, positioned at step k. A ticket that beats it owes its accuracy to the values it was rewound to.
 */
import type { ControlKind } from '../kind.ts';

export const randomReinit: ControlKind = {
  name: 'random_reinit',
  async branch({ rewindStep, ticketMaskId, seed }) {
    return { start: { initSeed: seed, step: rewindStep }, maskId: ticketMaskId };
  },
};
