/**
 * How the JetStream streams and KV buckets are declared. The replica count comes from the deployment:
 * 1 on a single nats-server, 3 on the Kubernetes JetStream cluster (infra/k8s/base/config.yaml).
 */
export interface JetStreamLayout {
  /** How long a job's message id stays deduplicated: longer than any job's life. */
  readonly jobDedupeMs: number;
  /** How long a sweep's events stay deduplicated (a restarted coordinator re-emits finished work). */
  readonly eventDedupeMs: number;
  /** Copies of every stream and bucket across the JetStream cluster (JETSTREAM_REPLICAS). */
  readonly replicas: number;
}

export const DEFAULT_LAYOUT: JetStreamLayout = { jobDedupeMs: 6 * 3600_000, eventDedupeMs: 24 * 3600_000, replicas: 1 };

/** JetStream allows 1 to 5 replicas; anything else is refused here, before a stream is touched. */
export function layoutFromEnv(env: Readonly<Record<string, string | undefined>>): JetStreamLayout {
  const raw = env.JETSTREAM_REPLICAS;
  if (raw === undefined || raw === '') return DEFAULT_LAYOUT;
  if (!/^[1-5]$/.test(raw.trim())) throw new Error(`JETSTREAM_REPLICAS: "${raw}" is not a replica count; allowed values are 1 to 5`);
  return { ...DEFAULT_LAYOUT, replicas: Number(raw.trim()) };
}
