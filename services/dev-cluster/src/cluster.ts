/**
 * The whole system on one machine, every part its own process: nats-server, s3rver, checkpoint-store,
 * pruner, stability-analyzer, coordinator, N trainers and any analysis plug-ins. Used by scripts/dev-cluster.sh and the
 * integration tests, so what the tests exercise is what a developer runs. Every wire is authenticated as
 * on Kubernetes: the cluster makes its own CA and gives each process its certificate (mutual TLS on gRPC;
 * TLS and per-role permissions on NATS).
 */
import { join } from 'node:path';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { clientCredentials, type TlsFiles, tlsFromEnv } from '@rewind/rpc';
import { type Certificates, makeCertificates } from './certificates.ts';
import { Child } from './child-process.ts';
import { freePort } from './free-port.ts';
import { type LocalServer, S3RVER_CREDENTIALS, startNatsServer, startS3rver } from './local-servers.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

export interface ClusterOptions {
  /** Holds the servers' data and, if `traces`, one OTLP-JSON file per process. */
  readonly dir: string;
  readonly trainers: number;
  readonly echo?: boolean;
  readonly traces?: boolean;
  /** Trainer heartbeat window; short in tests so a killed trainer's job comes back quickly. */
  readonly ackWaitMs?: number;
  /** Extra environment for every service. */
  readonly env?: Readonly<Record<string, string>>;
  /** Analysis plug-ins to start, by name: `sparsity` runs services/plugin-sparsity. */
  readonly plugins?: readonly string[];
}

/** Certificates the cluster makes: the servers' and services', `cli` for people and tests, `operator` for NATS inspections. */
const IDENTITIES = ['nats', 'checkpoint-store', 'pruner', 'stability-analyzer', 'coordinator', 'trainer', 'plugin', 'cli', 'operator'];

export interface Cluster {
  readonly certificates: Certificates;
  /** REWIND_TLS_* for a `rewind` command run against this cluster. */
  readonly cliEnv: Readonly<Record<string, string>>;
  /** The same identity for gRPC clients in this process. */
  readonly credentials: ChannelCredentials;
  /** NATS's operator identity (full access), for inspections. */
  readonly operatorTls: TlsFiles;
  readonly nats: LocalServer;
  readonly s3: LocalServer;
  readonly store: Child;
  readonly pruner: Child;
  readonly analyzer: Child;
  coordinator: Child;
  readonly trainers: Child[];
  readonly plugins: Child[];
  readonly addresses: Readonly<Record<'coordinator' | 'store' | 'pruner' | 'analyzer', string>>;
  startTrainer(): Promise<Child>;
  /** Starts (another instance of) the plug-in services/plugin-<name>. */
  startPlugin(name: string): Promise<Child>;
  /** Starts the coordinator again (after it was stopped or killed), on the same port. */
  restartCoordinator(): Promise<Child>;
  /** Another coordinator replica, on its own port: it waits for the leader lease and takes over when it can. */
  startStandbyCoordinator(): Promise<{ child: Child; address: string }>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const started: Child[] = [];
  const echo = options.echo ?? false;
  let traceSeq = 0;
  const certificates = await makeCertificates(join(options.dir, 'certificates'), IDENTITIES);
  const service = async (name: string, entry: string, env: Record<string, string>, ready: RegExp, identity = entry): Promise<Child> => {
    const child = await Child.start({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', join(ROOT, 'services', entry, 'src/main.ts')],
      env: {
        ...certificates.env(identity),
        ...options.env,
        ...env,
        ...(options.traces ? { REWIND_TRACE_FILE: join(options.dir, `trace-${name}-${traceSeq++}.jsonl`) } : {}),
      },
      readyWhen: ready,
      echo,
    });
    started.push(child);
    return child;
  };

  try {
    const nats = await startNatsServer(join(options.dir, 'nats'), { echo: false, tls: certificates.files('nats') });
    started.push(nats.child);
    const s3 = await startS3rver(join(options.dir, 's3'), { echo: false });
    started.push(s3.child);
    const [storePort, prunerPort, analyzerPort, coordinatorPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const addresses = {
      store: `127.0.0.1:${storePort}`,
      pruner: `127.0.0.1:${prunerPort}`,
      analyzer: `127.0.0.1:${analyzerPort}`,
      coordinator: `127.0.0.1:${coordinatorPort}`,
    };
    const store = await service(
      'checkpoint-store',
      'checkpoint-store',
      {
        HOST: '127.0.0.1',
        PORT: String(storePort),
        S3_URL: s3.url,
        S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey,
        S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey,
      },
      /listening on/,
    );
    const [pruner, analyzer] = await Promise.all([
      service('pruner', 'pruner', { HOST: '127.0.0.1', PORT: String(prunerPort), STORE_ADDRESS: addresses.store }, /listening on/),
      service(
        'stability-analyzer',
        'stability-analyzer',
        { HOST: '127.0.0.1', PORT: String(analyzerPort), STORE_ADDRESS: addresses.store },
        /listening on/,
      ),
    ]);
    let trainerSeq = 0;
    const startTrainer = async (): Promise<Child> => {
      const n = ++trainerSeq;
      const healthPort = await freePort();
      const child = await service(
        `trainer-${n}`,
        'trainer',
        {
          TRAINER_NAME: `trainer-${n}`,
          HOST: '127.0.0.1',
          HEALTH_PORT: String(healthPort),
          NATS_URL: nats.url,
          STORE_ADDRESS: addresses.store,
          ACK_WAIT_MS: String(options.ackWaitMs ?? 30_000),
        },
        /taking jobs/,
        'trainer',
      );
      cluster.trainers.push(child);
      return child;
    };
    let coordinatorSeq = 0;
    /** A coordinator replica; ready when it leads, or (a standby) when it waits for the lease. */
    const startCoordinator = (port: number, ready: RegExp) => {
      const name = `coordinator-${++coordinatorSeq}`;
      return service(
        name,
        'coordinator',
        {
          COORDINATOR_NAME: name,
          HOST: '127.0.0.1',
          PORT: String(port),
          NATS_URL: nats.url,
          STORE_ADDRESS: addresses.store,
          PRUNER_ADDRESS: addresses.pruner,
          ANALYZER_ADDRESS: addresses.analyzer,
        },
        ready,
      );
    };
    let pluginSeq = 0;
    const startPlugin = async (name: string): Promise<Child> => {
      const healthPort = await freePort();
      const child = await service(
        `plugin-${name}-${++pluginSeq}`,
        `plugin-${name}`,
        {
          HOST: '127.0.0.1',
          HEALTH_PORT: String(healthPort),
          NATS_URL: nats.url,
          STORE_ADDRESS: addresses.store,
          ACK_WAIT_MS: String(options.ackWaitMs ?? 30_000),
        },
        /consuming/,
        'plugin',
      );
      cluster.plugins.push(child);
      return child;
    };
    const cli = tlsFromEnv(certificates.env('cli'))!;
    const cluster: Cluster = {
      certificates,
      cliEnv: certificates.env('cli'),
      credentials: clientCredentials(cli),
      operatorTls: tlsFromEnv(certificates.env('operator'))!,
      nats,
      s3,
      store,
      pruner,
      analyzer,
      coordinator: await startCoordinator(coordinatorPort, /listening on/),
      trainers: [],
      plugins: [],
      addresses,
      startTrainer,
      startPlugin,
      async restartCoordinator() {
        await cluster.coordinator.stop();
        cluster.coordinator = await startCoordinator(coordinatorPort, /listening on/);
        return cluster.coordinator;
      },
      async startStandbyCoordinator() {
        const port = await freePort();
        return { child: await startCoordinator(port, /waiting for the leader lease/), address: `127.0.0.1:${port}` };
      },
      async stop() {
        // Clients first, servers last, so every service can drain cleanly.
        for (const child of [...started].reverse()) await child.stop();
      },
    };
    for (let i = 0; i < options.trainers; i++) await startTrainer();
    for (const name of options.plugins ?? []) await startPlugin(name);
    return cluster;
  } catch (err) {
    for (const child of [...started].reverse()) await child.stop(2000);
    throw err;
  }
}
