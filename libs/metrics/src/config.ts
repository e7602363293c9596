/** Where a service serves /metrics: REWIND_METRICS_PORT (unset: not served), _HOST (127.0.0.1), _TOKEN. */
import { MetricsConfigError } from './metrics-server.ts';

export interface MetricsConfig {
  readonly host: string;
  readonly port: number;
  readonly token?: string;
}

export function metricsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MetricsConfig | undefined {
  const portText = env.REWIND_METRICS_PORT;
  if (portText === undefined || portText === '') return undefined;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MetricsConfigError(`REWIND_METRICS_PORT must be a port number (0 for any free port), found ${JSON.stringify(portText)}`);
  const token = env.REWIND_METRICS_TOKEN || undefined;
  return { host: env.REWIND_METRICS_HOST || '127.0.0.1', port, ...(token ? { token } : {}) };
}
