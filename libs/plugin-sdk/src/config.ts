/** A plug-in's environment, validated at start like every service's: all problems in one error. */
import { EnvReader } from '@rewind/rpc';

export interface PluginConfig {
  readonly natsUrl: string;
  /** host:port of the checkpoint-store. */
  readonly store: string;
  /** gRPC health endpoint for liveness/readiness probes. */
  readonly healthHost: string;
  readonly healthPort: number;
  /** Without a heartbeat for this long, an event is redelivered (to this or another replica). */
  readonly ackWaitMs: number;
  /** Attempts at one event before it is given up (logged, not retried). */
  readonly maxDeliver: number;
  /** On SIGTERM, how long the current analysis may run on before it is handed back. */
  readonly shutdownGraceMs: number;
}

export function readPluginConfig(name: string, env: NodeJS.ProcessEnv = process.env): PluginConfig {
  const r = new EnvReader(`plugin ${name}`, env);
  return r.done({
    natsUrl: r.url('NATS_URL', ['nats', 'tls']),
    store: r.address('STORE_ADDRESS'),
    healthHost: r.string('HOST', '0.0.0.0'),
    healthPort: r.int('HEALTH_PORT', 7010, 0, 65535),
    ackWaitMs: r.int('ACK_WAIT_MS', 60_000, 1000),
    maxDeliver: r.int('MAX_DELIVER', 5, 1, 100),
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 20_000, 0),
  });
}
