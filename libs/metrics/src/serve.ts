/** One call per service: its metrics, served where the environment says (or kept in memory if nowhere). */
import { metricsConfigFromEnv } from './config.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';
import { type QueueInfo, type ServiceMetrics, serviceMetrics } from './service-metrics.ts';

export interface ServedMetrics extends ServiceMetrics {
  /** Undefined when REWIND_METRICS_PORT is unset. */
  readonly server: MetricsServer | undefined;
}

export async function serveMetrics(service: string, queueInfo?: () => Promise<QueueInfo>, env: NodeJS.ProcessEnv = process.env): Promise<ServedMetrics> {
  const metrics = serviceMetrics(service, queueInfo);
  const config = metricsConfigFromEnv(env);
  const server = config ? await startMetricsServer({ ...config, registry: metrics.registry }) : undefined;
  if (server) process.stderr.write(`${service}: metrics on http://${config!.host}:${server.port}/metrics${config!.token ? ' (bearer token)' : ''}\n`);
  return { ...metrics, server };
}
