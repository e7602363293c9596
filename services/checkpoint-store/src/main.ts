/** checkpoint-store: gRPC CheckpointStore backed by S3/MinIO. */
import { CheckpointStoreServiceService, runService, ServingStatus, startGrpcServer } from '@rewind/rpc';
import { S3CheckpointStore } from '@rewind/s3-store';
import { readConfig } from './config.ts';
import { storeService } from './store-service.ts';

await runService('checkpoint-store', async () => {
  const config = readConfig();
  const store = await S3CheckpointStore.open(config.s3, config.s3Retry);
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    services: [{ name: 'rewind.v1.CheckpointStoreService', definition: CheckpointStoreServiceService, implementation: storeService(store) }],
  });
  server.health.set(ServingStatus.SERVING);
  return {
    banner: `checkpoint-store listening on ${config.host}:${server.port} (bucket ${config.s3.bucket} at ${config.s3.endPoint}:${config.s3.port})`,
    stop: () => server.shutdown(),
  };
});
