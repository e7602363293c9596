/** stability-analyzer: stateless gRPC service comparing weight sets and evaluating linear paths. */
import { serveMetrics } from '@rewind/metrics';
import { EnvReader, GrpcCheckpointStore, runService, ServingStatus, StabilityAnalyzerServiceService, startGrpcServer } from '@rewind/rpc';
import { analyzerService } from './analyzer.ts';

await runService('stability-analyzer', async () => {
  const env = new EnvReader('stability-analyzer');
  const config = env.done({
    host: env.string('HOST', '0.0.0.0'),
    port: env.int('PORT', 7003, 0, 65535),
    store: env.address('STORE_ADDRESS'),
  });
  const metrics = await serveMetrics('stability-analyzer');
  const store = new GrpcCheckpointStore(config.store);
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    services: [{ name: 'rewind.v1.StabilityAnalyzerService', definition: StabilityAnalyzerServiceService, implementation: analyzerService(store) }],
  });
  server.health.set(ServingStatus.SERVING);
  return {
    banner: `stability-analyzer listening on ${config.host}:${server.port} (store ${config.store})`,
    async stop() {
      await server.shutdown();
      await metrics.server?.close();
      store.close();
    },
  };
});
