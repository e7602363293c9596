/** checkpoint-store: gRPC CheckpointStore backed by S3/MinIO. */
import { meterCheckpoint, serveMetrics } from '@rewind/metrics';
import { CheckpointStoreServiceService, runService, ServingStatus, listeningOn, startGrpcServer } from '@rewind/rpc';
import { S3CheckpointStore } from '@rewind/s3-store';
import { readConfig } from './config.ts';
import { withReadCache } from './read-cache.ts';
import { storeService } from './store-service.ts';

await runService('checkpoint-store', async () => {
  const config = readConfig();
  const store = withReadCache(await S3CheckpointStore.open(config.s3, config.s3Retry), config.cacheBytes);
  const metrics = await serveMetrics('checkpoint-store');
  const metered: S3CheckpointStore = Object.assign(Object.create(store), {
    putBytes: (...args: Parameters<S3CheckpointStore['putBytes']>) => meterCheckpoint(metrics, 'write', () => store.putBytes(...args), (info) => info.size),
    getBytes: (id: string) => meterCheckpoint(metrics, 'read', () => store.getBytes(id), (r) => r.bytes.length),
  });
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    healthPort: config.healthPort,
    services: [{ name: 'rewind.v1.CheckpointStoreService', definition: CheckpointStoreServiceService, implementation: storeService(metered) }],
  });
  server.health.set(ServingStatus.SERVING);
  return {
    banner: `checkpoint-store ${listeningOn(config.host, server)} (bucket ${config.s3.bucket} at ${config.s3.endPoint}:${config.s3.port})`,
    stop: async () => {
      await server.shutdown();
      await metrics.server?.close();
    },
  };
});
