/** Times one checkpoint read or write and counts its bytes, whichever store did it. */
import type { ServiceMetrics } from './service-metrics.ts';

export async function meterCheckpoint<T>(metrics: ServiceMetrics, operation: 'read' | 'write', io: () => Promise<T>, bytesOf: (result: T) => number): Promise<T> {
  const stop = metrics.checkpointSeconds.startTimer({ operation });
  const result = await io();
  stop();
  metrics.checkpointBytes.inc({ direction: operation }, bytesOf(result));
  return result;
}
