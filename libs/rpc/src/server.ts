/**
 * A gRPC server as every Rewind service runs it: its services plus grpc.health.v1, handlers run inside a
 * span continuing the caller's trace, and a shutdown that stops taking calls, lets running ones finish
 * (up to a grace period), then closes.
 */
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthService, HealthState, ServingStatus } from './health.ts';
import { serverCredentials, type TlsFiles, tlsFromEnv } from './tls.ts';

export interface GrpcServerOptions {
  /** Service name in logs and health (e.g. "rewind.v1.PrunerService"). */
  readonly services: readonly { name: string; definition: ServiceDefinition; implementation: UntypedServiceImplementation }[];
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Larger messages are refused; checkpoints stream in smaller pieces. */
  readonly maxMessageBytes?: number;
  /** Mutual TLS; by default from REWIND_TLS_* (plaintext if unset). */
  readonly tls?: TlsFiles;
}

export interface RunningServer {
  readonly port: number;
  readonly health: HealthState;
  /** Graceful: health NOT_SERVING, finish in-flight calls for up to `graceMs`, then force. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningServer> {
  const max = options.maxMessageBytes ?? 8 * 1024 * 1024;
  const server = new Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
  const health = new HealthState(options.services.map((s) => s.name));
  server.addService(HealthService, health.implementation);
  for (const s of options.services) server.addService(s.definition, s.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, serverCredentials(options.tls ?? tlsFromEnv()), (err, p) =>
      err ? reject(new Error(`cannot listen on ${options.host}:${options.port}: ${err.message}`)) : resolve(p),
    ),
  );
  return {
    port,
    health,
    async shutdown(graceMs = 10_000) {
      health.set(ServingStatus.NOT_SERVING);
      health.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
