/** The Ledger port on a JetStream KV bucket: finished work survives coordinator restarts. */
import type { Ledger } from '@rewind/runner';
import type { KV, NatsConnection } from 'nats';
import { LEDGER_BUCKET, safeKey } from './subjects.ts';

export class KvLedger implements Ledger {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket = LEDGER_BUCKET): Promise<KvLedger> {
    return new KvLedger(await nc.jetstream().views.kv(bucket, { bindOnly: true }));
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = await this.kv.get(safeKey(key));
    if (entry === null || entry.operation !== 'PUT' || entry.length === 0) return undefined;
    return entry.json<T>();
  }

  async put<T>(key: string, value: T): Promise<void> {
    await this.kv.put(safeKey(key), JSON.stringify(value));
  }
}
