/** Sweep state in JetStream KV (bucket rewind-sweeps): what a restarted coordinator needs to carry on. */
import type { NatsConnection } from 'nats';
import { cancelledKey, type RetryingKv, retryingKv, retryNats, SWEEPS_BUCKET, safeKey } from '@rewind/nats-ports';

export type SweepPhase = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface SweepRecord {
  readonly sweepId: string;
  /** The validated spec, as submitted (JSON). */
  readonly specJson: string;
  readonly phase: SweepPhase;
  readonly done: number;
  readonly total: number;
  readonly error: string;
  /** W3C traceparent of the sweep's root span: a resumed sweep continues the same trace. */
  readonly traceparent: string;
  /** How many times the sweep was resumed after failing or being cancelled (absent in older records: 0). */
  readonly attempt?: number;
}

export interface TicketRecord {
  readonly experiment: string;
  readonly maskId: string;
  readonly rewindId: string;
  readonly round: number;
  readonly rewindStep: number;
}

const ticketPrefix = (sweepId: string): string => `${sweepId}.tickets.`;
const resultsKey = (sweepId: string): string => safeKey(`${sweepId}.results`);

export class SweepRecords {
  private constructor(private readonly kv: RetryingKv) {}

  static async open(nc: NatsConnection): Promise<SweepRecords> {
    const kv = await retryNats('opening the sweep records', () => nc.jetstream().views.kv(SWEEPS_BUCKET, { bindOnly: true }));
    return new SweepRecords(retryingKv(kv, 'sweep record'));
  }

  async get(sweepId: string): Promise<SweepRecord | undefined> {
    const e = await this.kv.get(sweepId);
    return e?.operation === 'PUT' ? e.json<SweepRecord>() : undefined;
  }

  /** Creates the record; false if the sweep already exists (submitting is idempotent). */
  async create(record: SweepRecord): Promise<boolean> {
    try {
      await this.kv.create(record.sweepId, JSON.stringify(record));
      return true;
    } catch {
      if ((await this.get(record.sweepId)) === undefined) throw new Error(`could not record sweep ${record.sweepId}`);
      return false;
    }
  }

  async update(sweepId: string, change: Partial<SweepRecord>): Promise<SweepRecord> {
    const current = await this.get(sweepId);
    if (current === undefined) throw new Error(`sweep ${sweepId} is not recorded`);
    const next = { ...current, ...change };
    await this.kv.put(sweepId, JSON.stringify(next));
    return next;
  }

  async running(): Promise<SweepRecord[]> {
    return (await this.all()).filter((r) => r.phase === 'running');
  }

  /** Every sweep this cluster has recorded, in any phase. */
  async all(): Promise<SweepRecord[]> {
    const out: SweepRecord[] = [];
    for (const key of await this.keys()) {
      if (key.includes('.')) continue;
      const r = await this.get(key);
      if (r) out.push(r);
    }
    return out;
  }

  /** Keys are collected before any value is read: reading while the key listing runs cuts it short. */
  private async keys(filter?: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(filter)) keys.push(key);
    return keys;
  }

  async putTicket(sweepId: string, ticket: TicketRecord): Promise<void> {
    await this.kv.put(ticketPrefix(sweepId) + safeKey(ticket.experiment), JSON.stringify(ticket));
  }

  async tickets(sweepId: string): Promise<TicketRecord[]> {
    const out: TicketRecord[] = [];
    for (const key of await this.keys(`${ticketPrefix(sweepId)}>`)) {
      const e = await this.kv.get(key);
      if (e?.operation === 'PUT') out.push(e.json<TicketRecord>());
    }
    return out.sort((a, b) => a.rewindStep - b.rewindStep || a.round - b.round || a.experiment.localeCompare(b.experiment));
  }

  /** Every sweep's tickets whose mask id starts with `prefix`. */
  async ticketsByMask(prefix: string): Promise<TicketRecord[]> {
    const out: TicketRecord[] = [];
    for (const key of await this.keys('*.tickets.>')) {
      const e = await this.kv.get(key);
      if (e?.operation !== 'PUT') continue;
      const ticket = e.json<TicketRecord>();
      if (ticket.maskId.startsWith(prefix)) out.push(ticket);
    }
    return out;
  }

  /** A finished sweep's results (JSON of @rewind/kinds' SweepResults). */
  async putResults(sweepId: string, json: string): Promise<void> {
    await this.kv.put(resultsKey(sweepId), json);
  }

  async results(sweepId: string): Promise<string | undefined> {
    const e = await this.kv.get(resultsKey(sweepId));
    return e?.operation === 'PUT' ? e.string() : undefined;
  }

  /** Trainers check this marker before starting a job of the sweep. */
  async markCancelled(sweepId: string): Promise<void> {
    await this.kv.put(cancelledKey(sweepId), '1');
  }

  /** A failed or cancelled sweep runs again, as its next attempt; trainers take its jobs again. */
  async reopen(record: SweepRecord): Promise<SweepRecord> {
    await this.kv.delete(cancelledKey(record.sweepId));
    return this.update(record.sweepId, { phase: 'running', error: '', attempt: (record.attempt ?? 0) + 1 });
  }
}
