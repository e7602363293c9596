/**
 * One coordinator leads at a time: a lease in a JetStream KV bucket whose entries expire after the lease's
 * time to live. A candidate creates the key (only one create can succeed); the holder renews it every third
 * of the TTL with a compare-and-set on its own revision. A holder that cannot renew has lost the lease and
 * must stop driving sweeps at once (the coordinator exits); a holder that dies lets the key expire, and a
 * standby takes over within the TTL plus one poll.
 */
import { type KV, type NatsConnection, StorageType } from 'nats';

export const LEASES_BUCKET = 'rewind-leases';
const COORDINATOR_KEY = 'coordinator';

export interface LeaseOptions {
  /** Who asks, e.g. the pod's name: logged by whoever waits. */
  readonly holder: string;
  readonly ttlMs: number;
  /** JetStream replicas of the bucket (JETSTREAM_REPLICAS). */
  readonly replicas?: number;
  readonly log?: (line: string) => void;
}

export class LeaderLease {
  private revision = 0;
  private renewing: NodeJS.Timeout | undefined;
  private onLost: (err: Error) => void = () => {};
  /** Settles once a held lease is lost (a renewal refused or impossible). */
  readonly lost: Promise<Error> = new Promise((resolve) => {
    this.onLost = resolve;
  });

  private constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {}

  static async open(nc: NatsConnection, options: LeaseOptions): Promise<LeaderLease> {
    if (!(options.ttlMs >= 1000 && options.ttlMs <= 600_000)) throw new RangeError(`lease TTL ${options.ttlMs} ms is outside 1 s to 10 min`);
    const kv = await nc.jetstream().views.kv(LEASES_BUCKET, {
      history: 1,
      ttl: options.ttlMs,
      storage: StorageType.File,
      replicas: options.replicas ?? 1,
    });
    return new LeaderLease(kv, options);
  }

  /** The current holder, if any. */
  async holder(): Promise<string | undefined> {
    const entry = await this.kv.get(COORDINATOR_KEY);
    return entry?.operation === 'PUT' ? entry.string() : undefined;
  }

  /** Waits until this process holds the lease, polling every fifth of the TTL; then renews it until released. */
  async acquire(signal?: AbortSignal): Promise<void> {
    let reported = '';
    for (;;) {
      signal?.throwIfAborted();
      try {
        this.revision = await this.kv.create(COORDINATOR_KEY, this.options.holder);
        break;
      } catch (err) {
        const holder = await this.holder().catch(() => undefined);
        const why = holder === undefined ? (err as Error).message : `held by ${holder}`;
        if (why !== reported) this.options.log?.(`waiting for the leader lease (${why})`);
        reported = why;
      }
      await new Promise((r) => setTimeout(r, this.options.ttlMs / 5));
    }
    this.renewing = setInterval(() => void this.renew(), this.options.ttlMs / 3);
  }

  private async renew(): Promise<void> {
    try {
      this.revision = await this.kv.update(COORDINATOR_KEY, this.options.holder, this.revision);
    } catch (err) {
      clearInterval(this.renewing);
      this.onLost(new Error(`lost the leader lease: ${(err as Error).message}`));
    }
  }

  /** Gives the lease up at once (graceful shutdown), so a standby need not wait for it to expire. */
  async release(): Promise<void> {
    clearInterval(this.renewing);
    if (this.revision === 0) return;
    await this.kv.delete(COORDINATOR_KEY, { previousSeq: this.revision }).catch(() => {});
  }
}
