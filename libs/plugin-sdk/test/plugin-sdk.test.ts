import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EVENTS_STREAM, NatsEventSink, pluginConsumer, replayEvents } from '@rewind/nats-ports';
import { ConfigError } from '@rewind/rpc';
import { LocalDirStore } from '@rewind/local';
import { type DomainEvent, definePlugin, PluginDefinitionError, PluginWorker, readPluginConfig } from '../src/index.ts';
import { useJetStream } from '../../../test/support/jetstream-fixture.ts';

describe('definePlugin and readPluginConfig', () => {
  it('rejects a bad definition, naming every problem', () => {
    assert.throws(
      () => definePlugin({ name: 'Bad Name', version: 'v1', schema: 'Report', on: [], analyze: async () => undefined }),
      (err: Error) => {
        assert.ok(err instanceof PluginDefinitionError);
        for (const part of [/name "Bad Name"/, /version "v1"/, /schema "Report"/, /at least one of/]) assert.match(err.message, part);
        return true;
      },
    );
  });

  it('reports every bad variable at once', () => {
    assert.throws(
      () => readPluginConfig('sparsity', { STORE_ADDRESS: 'nowhere', HEALTH_PORT: '99999' }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /plugin sparsity/);
        assert.match(err.message, /NATS_URL is required/);
        assert.match(err.message, /STORE_ADDRESS="nowhere" is not host:port/);
        assert.match(err.message, /HEALTH_PORT="99999"/);
        return true;
      },
    );
  });
});

describe('PluginWorker against a real nats-server', () => {
  const js = useJetStream('rewind-plugin-');
  const quiet = () => {};

  const ticket = (experiment: string) => ({ type: 'ticket.found', experiment, maskId: `m-${experiment}`, rewindId: 'w-k', finalId: `f-${experiment}` }) as const;

  /** The plug-in's results in the sweep's stream, in order. */
  const results = async (sweepId: string) => {
    const out = [];
    for await (const e of replayEvents(js.nc, sweepId, { kind: 'analysis_completed', follow: false })) {
      if (e.event?.$case === 'analysisCompleted' && e.event.value.plugin) out.push(e.event.value);
    }
    return out;
  };

  const until = async (check: () => Promise<boolean>) => {
    while (!(await check())) await new Promise((r) => setTimeout(r, 50));
  };

  it('analyses each wanted event once: retries failures, skips other kinds and its own results, carries on after a restart, and a replay publishes nothing twice', async () => {
    const sweep = 'sweep-plugin';
    const sink = new NatsEventSink(js.nc, sweep);
    const seen: string[] = [];
    let failOnce = true;
    const plugin = definePlugin({
      name: 'counter',
      version: '1.0.0',
      schema: 'test.v1.Count',
      on: ['ticket.found', 'analysis.completed'],
      async analyze(event: DomainEvent<'ticket.found' | 'analysis.completed'>, ctx) {
        if (event.type === 'analysis.completed') return undefined;
        seen.push(`${event.experiment}#${ctx.delivery}`);
        if (event.experiment === 'e2' && failOnce) {
          failOnce = false;
          throw new Error('store hiccup');
        }
        return { result: { finalId: event.finalId, sequence: ctx.sequence }, summary: `counted ${event.experiment}` };
      },
    });
    const store = new LocalDirStore(join(js.dir, 'store'));
    const open = () => PluginWorker.open(js.nc, plugin, store, { ackWaitMs: 5000, maxDeliver: 3, log: quiet });

    await sink.emit({ type: 'progress', done: 1, total: 3, label: 'trunk' });
    await sink.emit(ticket('e1'));
    await sink.emit({ type: 'analysis.completed', experiment: 'e1', analysis: 'pruning', result: { l2: 1 } });
    await sink.emit(ticket('e2'));
    const first = await open();
    first.start();
    await until(async () => (await results(sweep)).length === 2);
    await first.stop(1000);
    // e2 is retried after its failure, within maxDeliver; under load a pull that expires just as the
    // server sends can spend a delivery, so the retry may be the third. Other kinds are skipped.
    assert.equal(seen.length, 3, `seen: ${seen.join(', ')}`);
    assert.deepEqual(seen.slice(0, 2), ['e1#1', 'e2#1'], 'the built-in analysis and its own results skipped');
    assert.match(seen[2]!, /^e2#[23]$/, 'e2 retried after its failure');

    // A restarted plug-in carries on from its durable consumer's ack floor.
    await sink.emit(ticket('e3'));
    const second = await open();
    second.start();
    await until(async () => (await results(sweep)).length === 3);
    await second.stop(1000);
    assert.deepEqual(seen.slice(3), ['e3#1']);

    // Losing the consumer replays everything; the stream drops every result as already published.
    await (await js.nc.jetstreamManager()).consumers.delete(EVENTS_STREAM, pluginConsumer('counter', '1.0.0'));
    const replay = await open();
    replay.start();
    await until(async () => seen.length === 7);
    await replay.stop(1000);
    const published = await results(sweep);
    assert.deepEqual(
      published.map((r) => [r.experiment, r.analysis, r.plugin?.version, r.plugin?.schema, r.plugin?.summary]),
      [
        ['e1', 'counter', '1.0.0', 'test.v1.Count', 'counted e1'],
        ['e2', 'counter', '1.0.0', 'test.v1.Count', 'counted e2'],
        ['e3', 'counter', '1.0.0', 'test.v1.Count', 'counted e3'],
      ],
    );
    const e1 = published[0]!;
    assert.equal(JSON.parse(e1.resultJson).finalId, 'f-e1');
    assert.equal(e1.plugin?.sourceSequence, JSON.parse(e1.resultJson).sequence, 'points at the event it analysed');
  });
});
