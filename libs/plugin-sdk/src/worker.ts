/**
 * A plug-in's side of REWIND_EVENTS: a durable pull consumer of its own, one event at a time. Each event
 * is analysed inside a span continuing the event's trace, the result is published with a message id
 * naming (sweep, plug-in, version, experiment), and only then is the event acked, so a crash at any
 * point means a redelivery whose result the stream drops as a duplicate.
 */
import { ALL_EVENTS_FILTER, EVENTS_STREAM, eventKindFilter, NatsEventSink, pluginConsumer } from '@rewind/nats-ports';
import { eventFromMessage, SweepEventMessage } from '@rewind/rpc';
import type { CheckpointStore } from '@rewind/runner';
import { ATTR, contextFromNatsHeaders, inSpan } from '@rewind/telemetry';
import { AckPolicy, type Consumer, DeliverPolicy, type JsMsg, type NatsConnection, nanos } from 'nats';
import { type DomainEvent, experimentOf, type PluginDefinition, type PluginEventType, subjectToken } from './define.ts';

export interface PluginWorkerOptions {
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly log?: (line: string) => void;
}

export class PluginWorker<T extends PluginEventType> {
  private stopping = false;
  private current: { abort: AbortController; done: Promise<void> } | undefined;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly consumer: Consumer,
    private readonly plugin: PluginDefinition<T>,
    private readonly store: CheckpointStore,
    private readonly options: PluginWorkerOptions,
    /** The durable consumer's name and subject filter, for banners and docs. */
    readonly durable: string,
    readonly filter: string,
  ) {}

  /** Creates the durable consumer on first start (from the stream's beginning); later starts carry on from its ack floor. */
  static async open<T extends PluginEventType>(
    nc: NatsConnection,
    plugin: PluginDefinition<T>,
    store: CheckpointStore,
    options: PluginWorkerOptions,
  ): Promise<PluginWorker<T>> {
    const durable = pluginConsumer(plugin.name, plugin.version);
    // nats-server 2.9 takes one filter per consumer: several kinds are read together and sorted here.
    const filter = plugin.on.length === 1 ? eventKindFilter(subjectToken(plugin.on[0]!)) : ALL_EVENTS_FILTER;
    const limits = { ack_wait: nanos(options.ackWaitMs), max_deliver: options.maxDeliver + 1 };
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.consumers.info(EVENTS_STREAM, durable);
      await jsm.consumers.update(EVENTS_STREAM, durable, limits);
    } catch {
      await jsm.consumers.add(EVENTS_STREAM, {
        durable_name: durable,
        filter_subject: filter,
        deliver_policy: DeliverPolicy.All,
        ack_policy: AckPolicy.Explicit,
        ...limits,
      });
    }
    const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, durable);
    return new PluginWorker(nc, consumer, plugin, store, options, durable, filter);
  }

  private log(line: string): void {
    (this.options.log ?? ((l) => process.stdout.write(`${l}\n`)))(`plugin ${this.plugin.name}: ${line}`);
  }

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
        this.log(`pull failed, retrying: ${(err as Error).message}`);
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
      const done = this.handle(msg, abort.signal).catch((err) => this.log(`event handling failed: ${(err as Error).message}`));
      this.current = { abort, done };
      await done;
      this.current = undefined;
    }
  }

  /** The event if this plug-in wants it: one of its kinds, and not one of its own results. */
  private wanted(msg: JsMsg): { sweepId: string; event: DomainEvent<T> } | undefined {
    const decoded = SweepEventMessage.decode(msg.data);
    const event = decoded.event ? eventFromMessage(decoded.event) : undefined;
    if (event === undefined || !(this.plugin.on as readonly string[]).includes(event.type)) return undefined;
    if (event.type === 'analysis.completed' && event.plugin?.name === this.plugin.name) return undefined;
    return { sweepId: decoded.sweepId, event: event as DomainEvent<T> };
  }

  private async handle(msg: JsMsg, signal: AbortSignal): Promise<void> {
    let wanted: ReturnType<typeof this.wanted>;
    try {
      wanted = this.wanted(msg);
    } catch (err) {
      this.log(`dropping undecodable event ${msg.seq}: ${(err as Error).message}`);
      msg.term();
      return;
    }
    if (wanted === undefined) {
      msg.ack();
      return;
    }
    const { sweepId, event } = wanted;
    const experiment = experimentOf(event);
    const delivery = msg.info.redeliveryCount;
    const { name, version, schema } = this.plugin;
    const heartbeat = setInterval(() => msg.working(), Math.max(100, this.options.ackWaitMs / 3));
    try {
      const outcome = await inSpan(
        'plugin.analyze',
        {
          parent: contextFromNatsHeaders(msg.headers),
          attributes: {
            [ATTR.sweep]: sweepId,
            [ATTR.experiment]: experiment,
            'rewind.plugin': `${name}@${version}`,
            'rewind.event.sequence': msg.seq,
            'rewind.event.delivery': delivery,
          },
        },
        async (span) => {
          const ctx = { store: this.store, sweepId, sequence: msg.seq, delivery, signal, log: (l: string) => this.log(l) };
          const output = await this.plugin.analyze(event, ctx);
          if (output === undefined) return 'nothing to publish';
          const ack = await new NatsEventSink(this.nc, sweepId).publish({
            $case: 'analysisCompleted',
            value: {
              experiment,
              analysis: name,
              resultJson: JSON.stringify(output.result),
              plugin: { name, version, schema, summary: output.summary, sourceSequence: msg.seq },
            },
          });
          span.setAttribute('rewind.plugin.duplicate', ack.duplicate);
          return ack.duplicate ? 'already published' : 'published';
        },
      );
      await msg.ackAck();
      this.log(`${(event as DomainEvent).type} ${experiment} (sweep ${sweepId}, event ${msg.seq}, delivery ${delivery}): ${outcome}`);
    } catch (err) {
      const why = (err as Error).message;
      if (this.nc.isClosed()) {
        this.log(`lost the NATS connection analysing event ${msg.seq}; it will be redelivered`);
      } else if (signal.aborted) {
        // Shutting down: hand the event to another replica now rather than after ack-wait.
        msg.nak();
        this.log(`released event ${msg.seq} on shutdown`);
      } else if (delivery >= this.options.maxDeliver) {
        msg.term();
        this.log(`gave up on event ${msg.seq} (${experiment}) after ${delivery} attempts: ${why}`);
      } else {
        msg.nak(1000 * delivery);
        this.log(`analysis of event ${msg.seq} (${experiment}) failed, will retry: ${why}`);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Stops taking events; lets the current analysis finish for up to `graceMs`, then aborts and naks it. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const current = this.current;
    if (current) {
      const finished = await Promise.race([
        current.done.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), graceMs)),
      ]);
      if (!finished) {
        current.abort.abort(new Error('plug-in shutting down'));
        await current.done;
      }
    }
    await this.loop;
  }
}
