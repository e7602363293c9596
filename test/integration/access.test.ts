/**
 * Who gets in, on the real servers as the dev cluster configures them (its own CA, a certificate per
 * process): nats-server with TLS and per-role users, and the checkpoint-store's gRPC with mutual TLS.
 * Anonymous, certificate-less, foreign-CA and unknown identities are refused; each role can do its own
 * work on NATS and nothing that belongs to another (permissions.ts).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChannelCredentials, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  type Certificates,
  Child,
  freePort,
  type LocalServer,
  makeCertificates,
  S3RVER_CREDENTIALS,
  scaled,
  serviceCommand,
  startNatsServer,
  startS3rver,
} from '@rewind/dev-cluster';
import {
  connectNats,
  declareJetStream,
  EVENTS_STREAM,
  eventSubject,
  JOB_RESULTS_BUCKET,
  LEDGER_BUCKET,
  type NatsRole,
  SWEEPS_BUCKET,
  TRAIN_SUBJECT,
} from '@rewind/nats-ports';
import { CheckpointStoreServiceClient, channelOptions, clientCredentials, type TlsFiles, tlsFromEnv } from '@rewind/rpc';
import { connect, type NatsConnection } from 'nats';
import { tempDir } from './cluster-helpers.ts';

describe('authentication and permissions', () => {
  let dir = '';
  let certs: Certificates;
  let rogue: Certificates;
  let nats: LocalServer;
  let s3: LocalServer;
  let store: Child;
  let storeAddress = '';
  const open: NatsConnection[] = [];

  /** A certificate and key from the rogue CA, presented by a client that trusts the cluster's CA. */
  const foreign = (identity: string): TlsFiles => ({ ...tlsFromEnv(rogue.env(identity))!, ca: tlsFromEnv(certs.env(identity))!.ca });
  const as = async (role: NatsRole | 'pruner', tls: TlsFiles = tlsFromEnv(certs.env(role))!): Promise<NatsConnection> => {
    const nc = await connectNats(nats.url, { name: `access-${role}`, tls, attempts: 1 });
    open.push(nc);
    return nc;
  };
  /** The server's refusal of one publish by this identity, or '' if it was let through. */
  const refusal = async (nc: NatsConnection, subject: string): Promise<string> => {
    try {
      await nc.jetstream().publish(subject, new TextEncoder().encode('forged'), { timeout: scaled(5_000) });
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };

  const waitForLog = async (from: number, line: RegExp): Promise<void> => {
    const until = Date.now() + scaled(10_000);
    while (!line.test(nats.child.log.slice(from)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.match(nats.child.log.slice(from), line);
  };

  before(async () => {
    dir = await tempDir('access');
    const identities = ['nats', 'checkpoint-store', 'coordinator', 'trainer', 'plugin', 'operator', 'cli', 'pruner'];
    certs = await makeCertificates(join(dir, 'certs'), identities);
    rogue = await makeCertificates(join(dir, 'rogue'), identities);
    nats = await startNatsServer(join(dir, 'nats'), { tls: certs.files('nats') });
    await declareJetStream(await as('coordinator'));
    s3 = await startS3rver(join(dir, 's3'));
    const port = await freePort();
    storeAddress = `127.0.0.1:${port}`;
    store = await Child.start({
      name: 'checkpoint-store',
      ...(await serviceCommand('checkpoint-store')),
      env: {
        ...certs.env('checkpoint-store'),
        HOST: '127.0.0.1',
        PORT: String(port),
        S3_URL: s3.url,
        S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey,
        S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey,
      },
      readyWhen: /listening on/,
      readyTimeoutMs: scaled(60_000),
    });
  });

  after(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await store?.stop();
    await s3?.child.stop();
    await nats?.child.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('NATS', () => {
    it('refuses an anonymous plaintext client', async () => {
      await assert.rejects(connect({ servers: nats.url.replace('tls://', 'nats://'), timeout: scaled(5_000), maxReconnectAttempts: 0 }));
    });

    // TLS 1.3 clients finish their side of the handshake before the server checks their certificate, so the
    // client sees no answer (a timeout) while the server logs why it hung up: that line is the refusal.
    it('refuses a TLS client without a certificate', async () => {
      const seen = nats.child.log.length;
      const ca = tlsFromEnv(certs.env('cli'))!.ca.toString();
      await assert.rejects(connect({ servers: nats.url, tls: { ca }, timeout: scaled(3_000), maxReconnectAttempts: 0 }));
      await waitForLog(seen, /TLS handshake error: .*certificate/);
    });

    it('refuses a certificate from another CA', async () => {
      const seen = nats.child.log.length;
      const { ca, cert, key } = foreign('trainer');
      const tls = { ca: ca.toString(), cert: cert.toString(), key: key.toString() };
      await assert.rejects(connect({ servers: nats.url, tls, timeout: scaled(3_000), maxReconnectAttempts: 0 }));
      await waitForLog(seen, /TLS handshake error: .*certificate/);
    });

    it('refuses a certificate of the right CA whose identity is no NATS user', async () => {
      await assert.rejects(as('pruner'), /Authorization Violation/i);
    });

    it('lets only the coordinator write the ledger, the sweep records and jobs', async () => {
      const coordinator = await as('coordinator');
      assert.equal(await refusal(coordinator, `$KV.${LEDGER_BUCKET}.row`), '');
      assert.equal(await refusal(coordinator, `$KV.${SWEEPS_BUCKET}.sweep`), '');
      for (const role of ['trainer', 'plugin'] as const) {
        const nc = await as(role);
        for (const subject of [`$KV.${LEDGER_BUCKET}.row`, `$KV.${SWEEPS_BUCKET}.sweep`, TRAIN_SUBJECT]) {
          assert.match(await refusal(nc, subject), /Permissions Violation for Publish/, `${role} → ${subject}`);
        }
      }
    });

    it('lets only trainers write job results, and the coordinator only forget one through the JetStream API', async () => {
      assert.equal(await refusal(await as('trainer'), `$KV.${JOB_RESULTS_BUCKET}.job`), '');
      for (const role of ['coordinator', 'plugin'] as const) {
        assert.match(await refusal(await as(role), `$KV.${JOB_RESULTS_BUCKET}.job`), /Permissions Violation for Publish/, role);
      }
    });

    it('lets trainers and plug-ins publish only their own kind of event', async () => {
      const trainer = await as('trainer');
      const plugin = await as('plugin');
      assert.equal(await refusal(trainer, eventSubject('s1', 'checkpoint_saved')), '');
      assert.equal(await refusal(trainer, eventSubject('s1', 'job_progress')), '');
      assert.equal(await refusal(trainer, eventSubject('s1', 'job_log')), '');
      assert.match(await refusal(plugin, eventSubject('s1', 'job_progress')), /Permissions Violation/);
      assert.match(await refusal(plugin, eventSubject('s1', 'job_log')), /Permissions Violation/);
      assert.equal(await refusal(plugin, eventSubject('s1', 'analysis_completed')), '');
      assert.match(await refusal(trainer, eventSubject('s1', 'sweep_finished')), /Permissions Violation/);
      assert.match(await refusal(plugin, eventSubject('s1', 'round_completed')), /Permissions Violation/);
    });

    it('lets no role but the coordinator change or purge a stream', async () => {
      for (const role of ['trainer', 'plugin'] as const) {
        const jsm = await (await as(role)).jetstreamManager();
        await assert.rejects(jsm.streams.purge(`KV_${LEDGER_BUCKET}`), /Permissions Violation/, `${role} purges the ledger`);
        await assert.rejects(jsm.streams.delete(EVENTS_STREAM), /Permissions Violation/, `${role} deletes the events`);
      }
    });
  });

  describe('gRPC (checkpoint-store)', () => {
    const list = (creds: ChannelCredentials): Promise<number> => {
      const client = new CheckpointStoreServiceClient(storeAddress, creds, channelOptions());
      return new Promise((resolve) =>
        client.listCheckpoints({ prefix: '', pageSize: 10, pageToken: '' }, new Metadata(), { deadline: Date.now() + scaled(10_000) }, (err: ServiceError | null) => {
          client.close();
          resolve(err ? err.code : status.OK);
        }),
      );
    };

    it('lets in a client with a certificate from the cluster CA', async () => {
      assert.equal(await list(clientCredentials(tlsFromEnv(certs.env('cli')))), status.OK);
    });

    it('refuses anonymous, certificate-less and foreign-CA clients', async () => {
      const ca = tlsFromEnv(certs.env('cli'))!.ca;
      assert.equal(await list(credentials.createInsecure()), status.UNAVAILABLE);
      assert.equal(await list(credentials.createSsl(ca)), status.UNAVAILABLE);
      assert.equal(await list(clientCredentials(foreign('cli'))), status.UNAVAILABLE);
    });
  });
});
