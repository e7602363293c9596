/**
 * The standard grpc.health.v1 service. Overall health is the "" service; readiness flips to SERVING once
 * a server's dependencies are up and back to NOT_SERVING when it starts draining, so Kubernetes stops
 * routing to it before it goes away.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as Serving,
  type HealthServer,
} from '../generated/grpc/health/v1/health.ts';

export { HealthCheckResponse_ServingStatus as ServingStatus, HealthService } from '../generated/grpc/health/v1/health.ts';

export class HealthState {
  private readonly statuses = new Map<string, Serving>();
  private readonly watchers = new Set<{ service: string; call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse> }>();

  constructor(services: readonly string[]) {
    for (const s of ['', ...services]) this.statuses.set(s, Serving.NOT_SERVING);
  }

  /** Every service's status, or one service's (a standby is alive, "", but does not serve its service). */
  set(status: Serving, service?: string): void {
    for (const name of this.statuses.keys()) if (service === undefined || name === service) this.statuses.set(name, status);
    for (const w of this.watchers) if (service === undefined || w.service === service) w.call.write({ status });
  }

  readonly implementation: HealthServer = {
    check: (call, callback) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service ${call.request.service}` });
      else callback(null, { status });
    },
    list: (_call, callback) => {
      callback(null, { statuses: Object.fromEntries([...this.statuses].map(([k, status]) => [k, { status }])) });
    },
    watch: (call) => {
      const service = call.request.service;
      call.write({ status: this.statuses.get(service) ?? Serving.SERVICE_UNKNOWN });
      const watcher = { service, call };
      this.watchers.add(watcher);
      call.on('cancelled', () => this.watchers.delete(watcher));
    },
  };

  /** Ends open Watch streams so a server can shut down. */
  close(): void {
    for (const w of this.watchers) w.call.end();
    this.watchers.clear();
  }
}
