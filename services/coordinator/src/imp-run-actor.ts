/**
 * One actor per IMP run (a trunk's chain of rounds from one rewind point W_k). It turns the run's
 * tickets into records and into spans that carry the rewind checkpoint's id and link to the span that
 * wrote it, so every ticket in a trace leads back to its W_k.
 */
import type { Context } from '@opentelemetry/api';
import type { GrpcCheckpointStore } from '@rewind/rpc';
import { ATTR, inSpan, linkTo } from '@rewind/telemetry';
import { Mailbox } from './mailbox.ts';
import type { SweepRecords, TicketRecord } from './sweep-records.ts';

export type ImpRunMessage = { readonly type: 'ticket'; readonly experiment: string; readonly maskId: string };

export class ImpRunActor {
  private readonly mailbox: Mailbox<ImpRunMessage>;
  private rewind: ReturnType<GrpcCheckpointStore['stat']> | undefined;

  constructor(
    readonly sweepId: string,
    readonly rewindId: string,
    private readonly store: GrpcCheckpointStore,
    private readonly records: SweepRecords,
    private readonly trace: Context,
  ) {
    this.mailbox = new Mailbox((m) => this.onTicket(m));
  }

  send(message: ImpRunMessage): Promise<void> {
    return this.mailbox.send(message);
  }

  /** Resolves once every ticket sent so far is recorded. */
  idle(): Promise<void> {
    return this.mailbox.idle();
  }

  private async onTicket(m: ImpRunMessage): Promise<void> {
    // Every ticket of the run links to the same W_k: ask the store once.
    this.rewind ??= this.store.stat(this.rewindId);
    const [rewind, mask] = await Promise.all([this.rewind, this.store.lineage(m.maskId)]);
    const ticket: TicketRecord = {
      experiment: m.experiment,
      maskId: m.maskId,
      rewindId: this.rewindId,
      round: mask.round ?? 0,
      rewindStep: mask.rewindStep ?? 0,
    };
    await inSpan(
      'ticket.found',
      {
        parent: this.trace,
        attributes: {
          [ATTR.sweep]: this.sweepId,
          [ATTR.experiment]: m.experiment,
          [ATTR.mask]: m.maskId,
          [ATTR.rewindCheckpoint]: this.rewindId,
          [ATTR.round]: ticket.round,
          'rewind.rewind_step': ticket.rewindStep,
        },
        links: rewind?.writtenBy ? [linkTo(rewind.writtenBy, { [ATTR.checkpoint]: this.rewindId })] : [],
      },
      () => this.records.putTicket(this.sweepId, ticket),
    );
  }
}
