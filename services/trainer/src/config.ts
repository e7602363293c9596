import { hostname } from 'node:os';
import { DEFAULT_SERVICE_RETRY_DEADLINE_MS, EnvReader } from '@rewind/rpc';

export interface TrainerConfig {
  readonly name: string;
  readonly natsUrl: string;
  readonly store: string;
  /** gRPC health endpoint for liveness/readiness probes. */
  readonly healthHost: string;
  readonly healthPort: number;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  /** On SIGTERM, how long the current job may run on before it is handed back. */
  readonly shutdownGraceMs: number;
  /** How long checkpoint-store calls are retried while it is unavailable. */
  readonly retryDeadlineMs: number;
  /** How long a job outlasts a store outage (past its retries) on one delivery, resuming from its checkpoint. */
  readonly outageDeadlineMs: number;
  /** At most one `job.progress` event per job this often (and always its last step). */
  readonly progressEveryMs: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): TrainerConfig {
  const r = new EnvReader('trainer', env);
  return r.done({
    name: r.string('TRAINER_NAME', `trainer-${hostname()}-${process.pid}`),
    natsUrl: r.url('NATS_URL', ['nats', 'tls']),
    store: r.address('STORE_ADDRESS'),
    healthHost: r.listenHost(),
    healthPort: r.int('HEALTH_PORT', 7004, 0, 65535),
    ackWaitMs: r.int('ACK_WAIT_MS', 30_000, 1000),
    maxDeliver: r.int('MAX_DELIVER', 5, 1, 100),
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 20_000, 0),
    retryDeadlineMs: r.int('RETRY_DEADLINE_S', DEFAULT_SERVICE_RETRY_DEADLINE_MS / 1000, 1, 24 * 3600) * 1000,
    outageDeadlineMs: r.int('OUTAGE_DEADLINE_S', 6 * 3600, 0, 7 * 24 * 3600) * 1000,
    progressEveryMs: r.int('PROGRESS_EVERY_MS', 5000, 500, 600_000),
  });
}
