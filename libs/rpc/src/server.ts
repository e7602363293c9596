/**
 * A gRPC server as every Rewind service runs it: its services plus grpc.health.v1, handlers run inside a
 * span continuing the caller's trace, and a shutdown that stops taking calls, lets running ones finish
 * (up to a grace period), then closes.
 */
import { Server, type ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthService, HealthState, ServingStatus } from './health.ts';
import { PLAINTEXT, serverCredentials, type TlsFiles, tlsFromEnv } from './tls.ts';

export interface GrpcServerOptions {
  /** Service name in logs and health (e.g. "rewind.v1.PrunerService"). */
  readonly services: readonly { name: string; definition: ServiceDefinition; implementation: UntypedServiceImplementation }[];
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Larger messages are refused; checkpoints stream in smaller pieces. */
  readonly maxMessageBytes?: number;
  /** Mutual TLS; by default from REWIND_TLS_* (refusing to start without them unless REWIND_INSECURE=1). */
  readonly tls?: TlsFiles | typeof PLAINTEXT;
  /**
   * Also answer grpc.health.v1, and nothing else, in plaintext on this port: Kubernetes' gRPC probes
   * speak no TLS. 0 picks a free port.
   */
  readonly healthPort?: number;
  /** Health shared with another server (a standby's probes); by default its own, for `services`. */
  readonly health?: HealthState;
}

export interface RunningServer {
  readonly port: number;
  /** The plaintext health port, if one was asked for. */
  readonly healthPort?: number;
  readonly transport: 'mutual TLS' | 'plaintext';
  readonly health: HealthState;
  /** Graceful: health NOT_SERVING, finish in-flight calls for up to `graceMs`, then force. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningServer> {
  const max = options.maxMessageBytes ?? 8 * 1024 * 1024;
  const server = new Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
  const health = options.health ?? new HealthState(options.services.map((s) => s.name));
  server.addService(HealthService, health.implementation);
  for (const s of options.services) server.addService(s.definition, s.implementation);
  const servers = [server];
  const tls = options.tls ?? tlsFromEnv();
  const port = await bind(server, options.host, options.port, serverCredentials(tls));
  let healthPort: number | undefined;
  if (options.healthPort !== undefined) {
    const probes = new Server();
    probes.addService(HealthService, health.implementation);
    servers.push(probes);
    healthPort = await bind(probes, options.host, options.healthPort, serverCredentials(PLAINTEXT));
  }
  return {
    port,
    healthPort,
    transport: tls === undefined || tls === PLAINTEXT ? 'plaintext' : 'mutual TLS',
    health,
    async shutdown(graceMs = 10_000) {
      health.set(ServingStatus.NOT_SERVING);
      health.close();
      await Promise.all(servers.map((s) => stop(s, graceMs)));
    },
  };
}

/** For a service's banner: where it listens, how, and where its probes go. */
export function listeningOn(host: string, server: RunningServer): string {
  const probes = server.healthPort === undefined ? '' : `, health probes on ${host}:${server.healthPort} (plaintext)`;
  return `listening on ${host}:${server.port} (${server.transport})${probes}`;
}

/**
 * A server that answers only grpc.health.v1, in plaintext: trainers' and plug-ins' probes, and a standby
 * coordinator's (given the health its gRPC server will share once it leads).
 */
export function startHealthServer(host: string, port: number, health?: HealthState): Promise<RunningServer> {
  return startGrpcServer({ host, port, services: [], tls: PLAINTEXT, health });
}

function bind(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, credentials, (err, p) => (err ? reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`)) : resolve(p))),
  );
}

function stop(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
