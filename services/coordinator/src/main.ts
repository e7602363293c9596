/**
 * coordinator: the cluster's front door. Sweeps run as actors over NATS, the pruner and the store. Any
 * number of replicas may run: the one holding the leader lease serves and drives sweeps, the others wait
 * (alive, not ready) and the first to get the lease after the leader dies resumes every running sweep.
 */
import { startDashboard } from '@rewind/dashboard';
import { serveMetrics } from '@rewind/metrics';
import { connectNats, declareJetStream, JobOutcomeWatch, JobResults, KvLedger, LeaderLease, layoutFromEnv } from '@rewind/nats-ports';
import {
  CoordinatorServiceService,
  GrpcAnalyzer,
  GrpcCheckpointStore,
  GrpcPruner,
  HealthState,
  listeningOn,
  runService,
  ServingStatus,
  startGrpcServer,
  startHealthServer,
} from '@rewind/rpc';
import { readConfig } from './config.ts';
import { Coordinator } from './coordinator-service.ts';
import { ClusterSweepSource } from './dashboard-source.ts';
import { SweepRecords } from './sweep-records.ts';

const SERVICE = 'rewind.v1.CoordinatorService';

await runService('coordinator', async () => {
  const config = readConfig();
  const log = (line: string) => process.stdout.write(`coordinator ${config.name}: ${line}\n`);
  // Probes first: a standby is alive ("") but not ready (SERVICE) until it leads.
  const health = new HealthState([SERVICE]);
  const probes = config.healthPort === undefined ? undefined : await startHealthServer(config.host, config.healthPort, health);
  health.set(ServingStatus.SERVING, '');
  const nc = await connectNats(config.natsUrl, { name: config.name });
  await declareJetStream(nc);
  const lease = await LeaderLease.open(nc, { holder: config.name, ttlMs: config.leaseTtlMs, replicas: layoutFromEnv(process.env).replicas, log });
  await lease.acquire();
  log('leading');
  void lease.lost.then((err) => {
    // Another replica may lead by now: driving sweeps on would do their work twice. Exit and come back as a standby.
    log(`${err.message}; exiting`);
    process.exit(1);
  });
  const metrics = await serveMetrics('coordinator');
  const store = new GrpcCheckpointStore(config.store);
  const pruner = new GrpcPruner(config.pruner);
  const analyzer = new GrpcAnalyzer(config.analyzer);
  const outcomes = new JobOutcomeWatch(await JobResults.open(nc));
  const records = await SweepRecords.open(nc);
  const coordinator = new Coordinator({ nc, store, pruner, analyzer, ledger: await KvLedger.open(nc), outcomes, records, log });
  const resumed = await coordinator.resume();
  if (resumed > 0) log(`resumed ${resumed} running sweep(s)`);
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    health,
    services: [{ name: SERVICE, definition: CoordinatorServiceService, implementation: coordinator.service }],
  });
  health.set(ServingStatus.SERVING);
  const dashboard = config.dashboard && (await startDashboard({ ...config.dashboard, source: new ClusterSweepSource(nc, records, coordinator), log }));
  // The address carries the token: logged without it.
  if (dashboard) log(`dashboard on http://${config.dashboard!.host}:${dashboard.port}/${config.dashboard!.token ? ' (open it with ?token=<REWIND_DASHBOARD_TOKEN>)' : ''}`);
  const probesAt = probes ? `, health probes on ${config.host}:${probes.port} (plaintext)` : '';
  return {
    banner: `coordinator ${config.name} ${listeningOn(config.host, server)}${probesAt} (nats ${config.natsUrl}, store ${config.store}, pruner ${config.pruner}, analyzer ${config.analyzer})`,
    async stop() {
      await dashboard?.close();
      await server.shutdown();
      await probes?.shutdown();
      await metrics.server?.close();
      await coordinator.stop();
      await outcomes.stop();
      await lease.release();
      await nc.drain();
      store.close();
      pruner.close();
      analyzer.close();
    },
  };
});
