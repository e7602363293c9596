/**
 * trainer: takes jobs from the JetStream work queue and trains them in-process (LocalTrainer) against
 * the checkpoint-store. Stateless: any number of copies share the queue; a redelivered job resumes
 * from the ref `resume/<job id>` its previous trainer saved. Every checkpoint it writes is announced as
 * `checkpoint.saved` on the job's sweep's event stream.
 */
import { connectNats, declareJetStream, NatsEventSink, SWEEPS_BUCKET, safeKey, TrainWorker } from '@rewind/nats-ports';
import { GrpcCheckpointStore, runService, ServingStatus, serviceRetry, startGrpcServer } from '@rewind/rpc';
import { LocalTrainer } from '@rewind/train-job';
import { readConfig } from './config.ts';

await runService('trainer', async () => {
  const config = readConfig();
  const nc = await connectNats(config.natsUrl, { name: config.name });
  await declareJetStream(nc);
  const store = new GrpcCheckpointStore(config.store, { retry: serviceRetry(config.retryDeadlineMs) });
  const sweeps = await nc.jetstream().views.kv(SWEEPS_BUCKET);
  const silent = new LocalTrainer(store);
  const trainerFor = (sweepId: string): LocalTrainer => {
    // A job published without a sweep id has no event stream to announce on.
    if (sweepId === '') return silent;
    const sink = new NatsEventSink(nc, sweepId);
    return new LocalTrainer(store, { onCheckpointSaved: (id, lineage) => sink.emit({ type: 'checkpoint.saved', id, lineage }) });
  };
  const worker = await TrainWorker.open(nc, trainerFor, {
    name: config.name,
    ackWaitMs: config.ackWaitMs,
    maxDeliver: config.maxDeliver,
    isCancelled: async (sweepId) => (await sweeps.get(safeKey(`${sweepId}.cancelled`)))?.operation === 'PUT',
  });
  const health = await startGrpcServer({ host: config.healthHost, port: config.healthPort, services: [] });
  worker.start();
  health.health.set(ServingStatus.SERVING);
  return {
    banner: `trainer ${config.name} taking jobs from ${config.natsUrl} (store ${config.store}, health on ${config.healthHost}:${health.port})`,
    async stop() {
      health.health.set(ServingStatus.NOT_SERVING);
      await worker.stop(config.shutdownGraceMs);
      await nc.drain();
      await health.shutdown();
      store.close();
    },
  };
});
