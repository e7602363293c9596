/**
 * One coordinator leads at a time: a lease in a JetStream KV bucket whose entries expire after the lease's
 * time to live. A candidate creates the key (only one create can succeed); the holder renews it every third
 * of the TTL with a compare-and-set on its own revision. A holder that cannot renew has lost the lease and
 * must stop driving sweeps at once (the coordinator exits); a holder that dies lets the key expire, and a
 * standby takes over within the TTL plus one poll.
 */
import { type KV, type NatsConnection, StorageType } from 'nats';
import { isTransientNatsError } from './nats-retry.ts';

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
  /** When the key was last written by us: the lease holds until a TTL after it. */
  private renewedAt = 0;
  private renewing: NodeJS.Timeout | undefined;
  private inFlight = false;
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
    // A renewal must fail fast enough to be tried again well within the TTL (JetStream's default wait is 5 s).
    const kv = await nc.jetstream({ timeout: options.ttlMs / 5 }).views.kv(LEASES_BUCKET, {
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
        this.renewedAt = Date.now();
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

  /**
   * A refused renewal (another revision: someone else holds the key) loses the lease at once. A renewal
   * that cannot reach NATS is tried again at the next tick while the lease still holds: no standby can
   * take it meanwhile, since it cannot reach NATS either, or the key has not expired.
   */
  private async renew(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    const started = Date.now();
    try {
      this.revision = await this.kv.update(COORDINATOR_KEY, this.options.holder, this.revision);
      this.renewedAt = started;
    } catch (err) {
      // A renewal that timed out may have been written after all: the key then still names us.
      const entry = await this.kv.get(COORDINATOR_KEY).catch(() => null);
      if (entry?.operation === 'PUT' && entry.string() === this.options.holder) {
        this.revision = entry.revision;
        this.renewedAt = entry.created.getTime();
        return;
      }
      const expiresIn = this.renewedAt + this.options.ttlMs - Date.now();
      if (isTransientNatsError(err) && expiresIn > 0) {
        this.options.log?.(`could not renew the leader lease (${(err as Error).message}); it holds ${expiresIn} ms more`);
        return;
      }
      clearInterval(this.renewing);
      this.onLost(new Error(`lost the leader lease: ${(err as Error).message}`));
    } finally {
      this.inFlight = false;
    }
  }

  /** Gives the lease up at once (graceful shutdown), so a standby need not wait for it to expire. */
  async release(): Promise<void> {
    clearInterval(this.renewing);
    if (this.revision === 0) return;
    await this.kv.delete(COORDINATOR_KEY, { previousSeq: this.revision }).catch(() => {});
  }
}
