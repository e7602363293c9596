/** The Ledger port on a JetStream KV bucket: finished work survives coordinator restarts. */
import type { Ledger } from '@rewind/runner';
import type { NatsConnection } from 'nats';
import { type RetryingKv, retryingKv, retryNats } from './nats-retry.ts';
import { LEDGER_BUCKET, safeKey } from './subjects.ts';

export class KvLedger implements Ledger {
  private constructor(private readonly kv: RetryingKv) {}

  static async open(nc: NatsConnection, bucket = LEDGER_BUCKET): Promise<KvLedger> {
    return new KvLedger(retryingKv(await retryNats('opening the ledger', () => nc.jetstream().views.kv(bucket, { bindOnly: true })), 'ledger entry'));
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
