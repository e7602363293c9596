import { hostname } from 'node:os';
import { EnvReader } from '@rewind/rpc';

export interface CoordinatorConfig {
  /** This replica's name in the leader lease (the pod's name on Kubernetes). */
  readonly name: string;
  /** A dead leader's lease expires after this; a standby takes over within it plus a fifth. */
  readonly leaseTtlMs: number;
  readonly host: string;
  readonly port: number;
  /** Plaintext grpc.health.v1 for Kubernetes' probes (HEALTH_PORT); none if unset. */
  readonly healthPort: number | undefined;
  readonly natsUrl: string;
  readonly store: string;
  readonly pruner: string;
  readonly analyzer: string;
  /** The live dashboard (DASHBOARD_PORT); none if unset. Beyond loopback it needs REWIND_DASHBOARD_TOKEN. */
  readonly dashboard: { readonly host: string; readonly port: number; readonly token?: string } | undefined;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  const r = new EnvReader('coordinator', env);
  const dashboardPort = r.optionalPort('DASHBOARD_PORT');
  const token = env.REWIND_DASHBOARD_TOKEN || undefined;
  return r.done({
    name: r.string('COORDINATOR_NAME', `coordinator-${hostname()}-${process.pid}`),
    leaseTtlMs: r.int('LEASE_TTL_MS', 5000, 1000, 600_000),
    host: r.listenHost(),
    port: r.int('PORT', 7000, 0, 65535),
    healthPort: r.optionalPort('HEALTH_PORT'),
    natsUrl: r.url('NATS_URL', ['nats', 'tls']),
    store: r.address('STORE_ADDRESS'),
    pruner: r.address('PRUNER_ADDRESS'),
    analyzer: r.address('ANALYZER_ADDRESS'),
    dashboard: dashboardPort === undefined ? undefined : { host: r.string('DASHBOARD_HOST', '127.0.0.1'), port: dashboardPort, ...(token ? { token } : {}) },
  });
}
