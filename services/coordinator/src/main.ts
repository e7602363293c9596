/** coordinator: the cluster's front door. Sweeps run as actors over NATS, the pruner and the store. */
import { serveMetrics } from '@rewind/metrics';
import { connectNats, declareJetStream, KvLedger } from '@rewind/nats-ports';
import { CoordinatorServiceService, GrpcAnalyzer, GrpcCheckpointStore, GrpcPruner, runService, ServingStatus, listeningOn, startGrpcServer } from '@rewind/rpc';
import { readConfig } from './config.ts';
import { Coordinator } from './coordinator-service.ts';
import { SweepRecords } from './sweep-records.ts';

await runService('coordinator', async () => {
  const config = readConfig();
  const nc = await connectNats(config.natsUrl, { name: 'coordinator' });
  await declareJetStream(nc);
  const metrics = await serveMetrics('coordinator');
  const store = new GrpcCheckpointStore(config.store);
  const pruner = new GrpcPruner(config.pruner);
  const analyzer = new GrpcAnalyzer(config.analyzer);
  const log = (line: string) => process.stdout.write(`coordinator: ${line}\n`);
  const coordinator = new Coordinator({
    nc,
    store,
    pruner,
    analyzer,
    ledger: await KvLedger.open(nc),
    records: await SweepRecords.open(nc),
    log,
  });
  const resumed = await coordinator.resume();
  if (resumed > 0) log(`resumed ${resumed} running sweep(s)`);
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    healthPort: config.healthPort,
    services: [{ name: 'rewind.v1.CoordinatorService', definition: CoordinatorServiceService, implementation: coordinator.service }],
  });
  server.health.set(ServingStatus.SERVING);
  return {
    banner: `coordinator ${listeningOn(config.host, server)} (nats ${config.natsUrl}, store ${config.store}, pruner ${config.pruner}, analyzer ${config.analyzer})`,
    async stop() {
      await server.shutdown();
      await metrics.server?.close();
      await coordinator.stop();
      await nc.drain();
      store.close();
      pruner.close();
      analyzer.close();
    },
  };
});
