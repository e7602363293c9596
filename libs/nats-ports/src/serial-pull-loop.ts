/**
 * One message at a time from a durable JetStream pull consumer: the delivery rules trainers and
 * plug-ins share. While a message is handled, `working()` heartbeats keep JetStream from redelivering
 * it. A handler that fails has its message released at once on shutdown, retried after a growing
 * delay, or given up after `maxDeliver` attempts (at once if the error is one no retry can mend). A
 * handler that fails because a service it needs is down is run again on the same delivery, with
 * heartbeats, until the outage deadline: an outage uses up no deliveries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, JsMsg, NatsConnection } from 'nats';

/** Between tries during an outage: doubling from the first to the last. */
const OUTAGE_FIRST_WAIT_MS = 1000;
const OUTAGE_MAX_WAIT_MS = 60_000;

export interface SerialPullOptions {
  /** Without a heartbeat for this long, a message is redelivered. */
  readonly ackWaitMs: number;
  /** Deliveries before a message that keeps failing is given up. */
  readonly maxDeliver: number;
  /** How long a message's work may wait out an outage (see `Handling.isOutage`) on one delivery; 0: not at all. */
  readonly outageDeadlineMs?: number;
  readonly log: (line: string) => void;
}

/** What `settle` needs to know about the message being handled. */
export interface Handling {
  readonly msg: JsMsg;
  readonly signal: AbortSignal;
  /** Names the message in logs, e.g. "job ticket_…". */
  readonly label: string;
  /** Records a message given up for good, before it is terminated. */
  readonly giveUp?: (why: string) => Promise<unknown>;
  /** True for an error that every retry would meet again (e.g. a corrupt input): the message is given up at once. */
  readonly isFinal?: (err: unknown) => boolean;
  /** True for an error that says a service the work needs is down (it will be back): tried again, same delivery. */
  readonly isOutage?: (err: unknown) => boolean;
  /** Where this message's lines go (e.g. also to its sweep's watchers); the loop's log if absent. */
  readonly log?: (line: string) => void;
}

export class SerialPullLoop {
  private stopping = false;
  private current: { abort: AbortController; done: Promise<void> } | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly consumer: Consumer,
    private readonly options: SerialPullOptions,
    private readonly handle: (msg: JsMsg, signal: AbortSignal) => Promise<void>,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** The consumer's messages until `stop`; a message pulled while stopping goes back at once. */
  private async *deliveries(): AsyncGenerator<JsMsg> {
    while (!this.stopping && !this.nc.isClosed()) {
      let msg: JsMsg | null;
      try {
        msg = await this.consumer.next({ expires: 1000 });
      } catch (err) {
        if (this.stopping) return;
        this.options.log(`pull failed, retrying: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (msg === null) continue;
      if (this.stopping) {
        msg.nak();
        return;
      }
      yield msg;
    }
  }

  private async run(): Promise<void> {
    for await (const msg of this.deliveries()) {
      const abort = new AbortController();
      const done = this.handle(msg, abort.signal).catch((err) => this.options.log(`handling failed: ${(err as Error).message}`));
      this.current = { abort, done };
      await done;
      this.current = undefined;
    }
  }

  /** Runs `work` with heartbeats; if it throws, settles the message by the rules above. */
  async settle(handling: Handling, work: () => Promise<void>): Promise<void> {
    const { msg, signal, label } = handling;
    const log = handling.log ?? this.options.log;
    const delivery = msg.info.redeliveryCount;
    const heartbeat = setInterval(() => msg.working(), Math.max(100, this.options.ackWaitMs / 3));
    try {
      await this.outlastingOutages(handling, log, work);
    } catch (err) {
      const why = (err as Error).message;
      if (this.nc.isClosed()) {
        log(`lost the NATS connection during ${label}; it will be redelivered`);
      } else if (signal.aborted) {
        // Shutting down: hand the message to another replica now rather than after ack-wait.
        msg.nak();
        log(`released ${label} on shutdown`);
      } else if (delivery >= this.options.maxDeliver || handling.isFinal?.(err)) {
        await handling.giveUp?.(why);
        msg.term();
        log(`gave up on ${label} after ${delivery} attempt${delivery === 1 ? '' : 's'}: ${why}`);
      } else {
        msg.nak(1000 * delivery);
        log(`${label} failed, will retry: ${why}`);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Runs `work`, again after each outage error while the outage deadline allows; other errors pass. */
  private async outlastingOutages({ signal, label, isOutage }: Handling, log: (line: string) => void, work: () => Promise<void>): Promise<void> {
    const until = Date.now() + (this.options.outageDeadlineMs ?? 0);
    for (let wait = OUTAGE_FIRST_WAIT_MS; ; wait = Math.min(2 * wait, OUTAGE_MAX_WAIT_MS)) {
      try {
        return await work();
      } catch (err) {
        if (!isOutage?.(err) || signal.aborted || this.nc.isClosed() || Date.now() + wait > until) throw err;
        log(`${label} waits out an outage: ${(err as Error).message}; trying again in ${wait / 1000} s on the same delivery`);
        await sleep(wait, undefined, { signal }).catch(() => {});
        if (signal.aborted) throw err;
      }
    }
  }

  /** Stops taking messages; lets the current one finish for up to `graceMs`, then aborts it (it is released). */
  async stop(graceMs: number, reason: string): Promise<void> {
    this.stopping = true;
    const current = this.current;
    if (current) {
      // The grace timer is cancelled either way: left pending, it would hold the process open after the job ended.
      const grace = new AbortController();
      const finished = await Promise.race([current.done.then(() => true), sleep(graceMs, false, { signal: grace.signal }).catch(() => false)]);
      grace.abort();
      if (!finished) {
        current.abort.abort(new Error(reason));
        await current.done;
      }
    }
    await this.loop;
  }
}
