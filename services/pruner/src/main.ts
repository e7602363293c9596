/** pruner: stateless gRPC Pruner; weights and masks come from and go to the checkpoint-store. */
import { serveMetrics } from '@rewind/metrics';
import {
  DEFAULT_SERVICE_RETRY_DEADLINE_MS,
  EnvReader,
  GrpcCheckpointStore,
  listeningOn,
  pruneJobFromMessage,
  PrunerServiceService,
  runService,
  ServingStatus,
  serviceRetry,
  startGrpcServer,
  unaryHandler,
} from '@rewind/rpc';
import { LocalPruner } from '@rewind/local';
import { ATTR } from '@rewind/telemetry';

await runService('pruner', async () => {
  const env = new EnvReader('pruner');
  const config = env.done({
    host: env.listenHost(),
    port: env.int('PORT', 7002, 0, 65535),
    healthPort: env.optionalPort('HEALTH_PORT'),
    store: env.address('STORE_ADDRESS'),
    retryDeadlineS: env.int('RETRY_DEADLINE_S', DEFAULT_SERVICE_RETRY_DEADLINE_MS / 1000, 1, 24 * 3600),
  });
  const metrics = await serveMetrics('pruner');
  const store = new GrpcCheckpointStore(config.store, { retry: serviceRetry(config.retryDeadlineS * 1000) });
  const pruner = new LocalPruner(store);
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    healthPort: config.healthPort,
    services: [
      {
        name: 'rewind.v1.PrunerService',
        definition: PrunerServiceService,
        implementation: {
          prune: unaryHandler(
            'prune',
            async (request) => ({ maskId: await pruner.prune(pruneJobFromMessage(request)) }),
            (r) => ({ [ATTR.checkpoint]: r.weightsId, [ATTR.experiment]: r.lineage?.experiment ?? '' }),
          ),
        },
      },
    ],
  });
  server.health.set(ServingStatus.SERVING);
  return {
    banner: `pruner ${listeningOn(config.host, server)} (store ${config.store})`,
    async stop() {
      await server.shutdown();
      await metrics.server?.close();
      store.close();
    },
  };
});
