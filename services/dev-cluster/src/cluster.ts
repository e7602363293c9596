/**
 * The whole system on one machine, every part its own process: nats-server, s3rver, checkpoint-store,
 * pruner, stability-analyzer, coordinator, N trainers and any analysis plug-ins. Used by scripts/dev-cluster.sh and the
 * integration tests, so what the tests exercise is what a developer runs. Every wire is authenticated as
 * on Kubernetes: the cluster makes its own CA and gives each process its certificate (mutual TLS on gRPC;
 * TLS and per-role permissions on NATS; https to the S3 server).
 */
import { join } from 'node:path';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { clientCredentials, type TlsFiles, tlsFromEnv } from '@rewind/rpc';
import { type Certificates, makeCertificates } from './certificates.ts';
import { Child } from './child-process.ts';
import { freePort } from './free-port.ts';
import { type LocalServer, S3RVER_CREDENTIALS, startNatsServer, startS3rver } from './local-servers.ts';
import { serviceCommand } from './service-bundles.ts';

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
  /** The coordinators' V8 heap limit in MiB, as their Deployment sets it (NODE_OPTIONS); Node's default if unset. */
  readonly coordinatorHeapMb?: number;
  /** Analysis plug-ins to start, by name: `sparsity` runs services/plugin-sparsity. */
  readonly plugins?: readonly string[];
}

/** Certificates the cluster makes: the servers' and services', `cli` for people and tests, `operator` for NATS inspections. */
const IDENTITIES = ['nats', 's3', 'checkpoint-store', 'pruner', 'stability-analyzer', 'coordinator', 'trainer', 'plugin', 'cli', 'operator'];

/** The parts a test may kill and start again (on the same port, with the same data). */
export type Part = 'nats' | 's3' | 'store' | 'pruner' | 'analyzer';

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
  /** The live dashboard the leading coordinator serves (loopback, so no token). */
  readonly dashboard: string;
  startTrainer(): Promise<Child>;
  /** Starts (another instance of) the plug-in services/plugin-<name>. */
  startPlugin(name: string): Promise<Child>;
  /** Starts the coordinator again (after it was stopped or killed), on the same port. */
  restartCoordinator(): Promise<Child>;
  /** Another coordinator replica, on its own port: it waits for the leader lease and takes over when it can. */
  startStandbyCoordinator(): Promise<{ child: Child; address: string }>;
  /** SIGKILLs a part, as a node failure would; nats-server and the S3 server keep their data directories. */
  kill(part: Part): Promise<void>;
  /** Starts a killed part again, on its port. */
  revive(part: Part): Promise<void>;
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
      ...(await serviceCommand(entry)),
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
    const [natsPort, s3Port, storePort, prunerPort, analyzerPort, coordinatorPort, dashboardPort] = (await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => freePort()))) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const startNats = async () => {
      const server = await startNatsServer(join(options.dir, 'nats'), { port: natsPort, echo: false, tls: certificates.files('nats') });
      started.push(server.child);
      return server;
    };
    const startS3 = async () => {
      const server = await startS3rver(join(options.dir, 's3'), { port: s3Port, echo: false, tls: certificates.files('s3') });
      started.push(server.child);
      return server;
    };
    let nats = await startNats();
    let s3 = await startS3();
    const addresses = {
      store: `127.0.0.1:${storePort}`,
      pruner: `127.0.0.1:${prunerPort}`,
      analyzer: `127.0.0.1:${analyzerPort}`,
      coordinator: `127.0.0.1:${coordinatorPort}`,
    };
    const startStore = () =>
      service(
        'checkpoint-store',
        'checkpoint-store',
        {
          HOST: '127.0.0.1',
          PORT: String(storePort),
          S3_URL: s3.url,
          S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey,
          S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey,
          S3_CA_FILE: certificates.files('s3').ca,
        },
        /listening on/,
      );
    const startPruner = () => service('pruner', 'pruner', { HOST: '127.0.0.1', PORT: String(prunerPort), STORE_ADDRESS: addresses.store }, /listening on/);
    const startAnalyzer = () =>
      service('stability-analyzer', 'stability-analyzer', { HOST: '127.0.0.1', PORT: String(analyzerPort), STORE_ADDRESS: addresses.store }, /listening on/);
    let store = await startStore();
    let [pruner, analyzer] = await Promise.all([startPruner(), startAnalyzer()]);
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
          // Whichever replica leads serves it: the port is free again once a leader is gone.
          DASHBOARD_PORT: String(dashboardPort),
          ...(options.coordinatorHeapMb ? { NODE_OPTIONS: `--max-old-space-size=${options.coordinatorHeapMb}` } : {}),
        },
        ready,
      );
    };
    let stopping = false;
    /**
     * As Kubernetes restarts a container that exits: a coordinator that exits by itself with an error (it
     * lost its leader lease) is started again. One stopped or killed by the caller is not.
     */
    const supervised = async (child: Child): Promise<Child> => {
      void child.exited.then(async (code) => {
        if (code === null || code === 0 || stopping || cluster.coordinator !== child) return;
        await new Promise((r) => setTimeout(r, 1000));
        if (stopping) return;
        cluster.coordinator = await supervised(await startCoordinator(coordinatorPort, /listening on/));
      });
      return child;
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
      get nats() {
        return nats;
      },
      get s3() {
        return s3;
      },
      get store() {
        return store;
      },
      get pruner() {
        return pruner;
      },
      get analyzer() {
        return analyzer;
      },
      coordinator: await supervised(await startCoordinator(coordinatorPort, /listening on/)),
      trainers: [],
      plugins: [],
      addresses,
      dashboard: `http://127.0.0.1:${dashboardPort}/`,
      startTrainer,
      startPlugin,
      async restartCoordinator() {
        await cluster.coordinator.stop();
        cluster.coordinator = await supervised(await startCoordinator(coordinatorPort, /listening on/));
        return cluster.coordinator;
      },
      async kill(part) {
        const child = { nats: nats.child, s3: s3.child, store, pruner, analyzer }[part];
        await child.kill();
      },
      async revive(part) {
        if (part === 'nats') nats = await startNats();
        else if (part === 's3') s3 = await startS3();
        else if (part === 'store') store = await startStore();
        else if (part === 'pruner') pruner = await startPruner();
        else analyzer = await startAnalyzer();
      },
      async startStandbyCoordinator() {
        const port = await freePort();
        return { child: await startCoordinator(port, /waiting for the leader lease/), address: `127.0.0.1:${port}` };
      },
      async stop() {
        stopping = true;
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
