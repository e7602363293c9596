/** stability-analyzer: stateless gRPC service comparing weight sets and evaluating linear paths. */
import { serveMetrics } from '@rewind/metrics';
import { EnvReader, GrpcCheckpointStore, runService, ServingStatus, StabilityAnalyzerServiceService, listeningOn, startGrpcServer } from '@rewind/rpc';
import { analyzerService } from './analyzer.ts';

await runService('stability-analyzer', async () => {
  const env = new EnvReader('stability-analyzer');
  const config = env.done({
    host: env.listenHost(),
    port: env.int('PORT', 7003, 0, 65535),
    healthPort: env.optionalPort('HEALTH_PORT'),
    store: env.address('STORE_ADDRESS'),
  });
  const metrics = await serveMetrics('stability-analyzer');
  const store = new GrpcCheckpointStore(config.store);
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    healthPort: config.healthPort,
    services: [{ name: 'rewind.v1.StabilityAnalyzerService', definition: StabilityAnalyzerServiceService, implementation: analyzerService(store) }],
  });
  server.health.set(ServingStatus.SERVING);
  return {
    banner: `stability-analyzer ${listeningOn(config.host, server)} (store ${config.store})`,
    async stop() {
      await server.shutdown();
      await metrics.server?.close();
      store.close();
    },
  };
});
