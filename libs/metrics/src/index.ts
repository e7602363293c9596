export { type MetricsConfig, metricsConfigFromEnv } from './config.ts';
export { isLoopback, MetricsConfigError, secretMatches, type MetricsServer, type MetricsServerOptions, startMetricsServer } from './metrics-server.ts';
export { type ServedMetrics, serveMetrics } from './serve.ts';
export { type QueueInfo, type ServiceMetrics, serviceMetrics } from './service-metrics.ts';
export { type JobMeter, jobMeter } from './job-meter.ts';
export { meterCheckpoint } from './checkpoint-meter.ts';
