/**
 * JETSTREAM_REPLICAS: read and bounded, then applied to every stream and KV bucket. The replicated case
 * runs on a real 3-node nats-server JetStream cluster, as the Kubernetes manifests deploy it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Child, freePort, scaled } from '@rewind/dev-cluster';
import type { NatsConnection } from 'nats';
// The modules themselves, not the package index: these tests need nothing of the runner behind it.
import { connectNats, declareJetStream } from '../src/connection.ts';
import { DEFAULT_LAYOUT, layoutFromEnv } from '../src/layout.ts';
import { EVENTS_STREAM, JOBS_STREAM, LEDGER_BUCKET } from '../src/subjects.ts';

describe('JETSTREAM_REPLICAS', () => {
  it('defaults to one replica and takes 1 to 5', () => {
    assert.equal(layoutFromEnv({}).replicas, 1);
    assert.equal(layoutFromEnv({ JETSTREAM_REPLICAS: '' }), DEFAULT_LAYOUT);
    assert.equal(layoutFromEnv({ JETSTREAM_REPLICAS: '3' }).replicas, 3);
    assert.equal(layoutFromEnv({ JETSTREAM_REPLICAS: '5' }).jobDedupeMs, DEFAULT_LAYOUT.jobDedupeMs);
  });

  it('refuses anything else, naming the variable and the allowed range', () => {
    for (const bad of ['0', '6', '3.5', '-1', 'three', '1e1', '03']) {
      assert.throws(() => layoutFromEnv({ JETSTREAM_REPLICAS: bad }), /JETSTREAM_REPLICAS: ".*" is not a replica count; allowed values are 1 to 5/);
    }
  });
});

describe('streams and buckets on a 3-node JetStream cluster', () => {
  let dir = '';
  const servers: Child[] = [];
  let nc: NatsConnection | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-js-cluster-'));
    const clients = [await freePort(), await freePort(), await freePort()];
    const routes = [await freePort(), await freePort(), await freePort()];
    const routeUrls = routes.map((p) => `nats://127.0.0.1:${p}`).join(',');
    for (let i = 0; i < 3; i++) {
      servers.push(
        await Child.start({
          name: `nats-${i}`,
          command: process.env.NATS_SERVER_BIN ?? 'nats-server',
          args: ['-a', '127.0.0.1', '-p', String(clients[i]), '-js', '-sd', join(dir, `n${i}`), '--server_name', `n${i}`,
            '--cluster_name', 'rewind', '--cluster', `nats://127.0.0.1:${routes[i]}`, '--routes', routeUrls],
          readyWhen: /Server is ready/,
          readyTimeoutMs: scaled(30_000),
        }),
      );
    }
    nc = await connectNats(clients.map((p) => `nats://127.0.0.1:${p}`).join(','), { name: 'replicas-test' });
  });

  after(async () => {
    await nc?.close();
    for (const s of servers) await s.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('declares every stream and the ledger bucket with three replicas', async () => {
    const deadline = Date.now() + scaled(30_000);
    // The cluster elects its metadata leader shortly after the servers are up; until then JetStream answers "unavailable".
    for (;;) {
      try {
        await declareJetStream(nc!, layoutFromEnv({ JETSTREAM_REPLICAS: '3' }));
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const jsm = await nc!.jetstreamManager();
    for (const stream of [JOBS_STREAM, EVENTS_STREAM, `KV_${LEDGER_BUCKET}`]) {
      const info = await jsm.streams.info(stream);
      assert.equal(info.config.num_replicas, 3, `${stream} replicas`);
      assert.equal(info.cluster?.replicas?.length, 2, `${stream} has a leader and two followers`);
    }
  });
});
