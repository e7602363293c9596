/**
 * A plug-in's side of REWIND_EVENTS: a durable pull consumer of its own, one event at a time. Each event
 * is analysed inside a span continuing the event's trace, the result is published with a message id
 * naming (sweep, plug-in, version, experiment), and only then is the event acked, so a crash at any
 * point means a redelivery whose result the stream drops as a duplicate.
 */
import { ALL_EVENTS_FILTER, EVENTS_STREAM, eventKindFilter, NatsEventSink, pluginConsumer, SerialPullLoop } from '@rewind/nats-ports';
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
  private readonly loop: SerialPullLoop;

  private constructor(
    private readonly nc: NatsConnection,
    consumer: Consumer,
    private readonly plugin: PluginDefinition<T>,
    private readonly store: CheckpointStore,
    private readonly options: PluginWorkerOptions,
    /** The durable consumer's name and subject filter, for banners and docs. */
    readonly durable: string,
    readonly filter: string,
  ) {
    this.loop = new SerialPullLoop(nc, consumer, { ...options, log: (l) => this.log(l) }, (msg, signal) => this.handle(msg, signal));
  }

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
    this.loop.start();
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
    await this.loop.settle({ msg, signal, label: `event ${msg.seq} (${experiment})` }, async () => {
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
    });
  }

  /** Stops taking events; lets the current analysis finish for up to `graceMs`, then aborts and releases it. */
  stop(graceMs: number): Promise<void> {
    return this.loop.stop(graceMs, 'plug-in shutting down');
  }
}
