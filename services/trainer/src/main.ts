/**
 * trainer: takes jobs from the JetStream work queue and trains them in-process (LocalTrainer) against
 * the checkpoint-store. Stateless: any number of copies share the queue; a redelivered job resumes
 * from the ref `resume/<job id>` its previous trainer saved. Every checkpoint it writes is announced as
 * `checkpoint.saved` on the job's sweep's event stream, and its progress as throttled `job.progress`.
 */
import { jobMeter, serveMetrics } from '@rewind/metrics';
import { awaitJetStream, connectNats, JOBS_STREAM, NatsEventSink, cancelledKey, SWEEPS_BUCKET, TRAINERS_CONSUMER, TrainWorker } from '@rewind/nats-ports';
import { GrpcCheckpointStore, runService, ServingStatus, serviceRetry, startHealthServer } from '@rewind/rpc';
import type { Trainer } from '@rewind/runner';
import { type JobProgress, LocalTrainer, progressEvents } from '@rewind/local';
import { readConfig } from './config.ts';

await runService('trainer', async () => {
  const config = readConfig();
  const nc = await connectNats(config.natsUrl, { name: config.name });
  await awaitJetStream(nc);
  const store = new GrpcCheckpointStore(config.store, { retry: serviceRetry(config.retryDeadlineMs) });
  const sweeps = await nc.jetstream().views.kv(SWEEPS_BUCKET, { bindOnly: true });
  const jsm = await nc.jetstreamManager();
  const metrics = await serveMetrics('trainer', async () => {
    const queue = await jsm.consumers.info(JOBS_STREAM, TRAINERS_CONSUMER);
    return { pending: queue.num_pending, ackPending: queue.num_ack_pending, redelivered: queue.num_redelivered };
  });
  const meter = jobMeter(metrics);
  const onProgress = (p: JobProgress) => meter.progress(p.job.id, p.step, p.job.training.batchSize);
  const metered = (trainer: LocalTrainer): Trainer => ({ train: (job, signal) => meter.track(() => trainer.train(job, signal)) });
  const silent = metered(new LocalTrainer(store, { onProgress }));
  const trainerFor = (sweepId: string): Trainer => {
    // A job published without a sweep id has no event stream to announce on.
    if (sweepId === '') return silent;
    const sink = new NatsEventSink(nc, sweepId);
    const publish = progressEvents(sink, config.name, config.progressEveryMs);
    return metered(
      new LocalTrainer(store, {
        onProgress: (p) => {
          onProgress(p);
          publish(p);
        },
        onCheckpointSaved: (id, lineage) => sink.emit({ type: 'checkpoint.saved', id, lineage }),
      }),
    );
  };
  const worker = await TrainWorker.open(nc, trainerFor, {
    name: config.name,
    ackWaitMs: config.ackWaitMs,
    maxDeliver: config.maxDeliver,
    outageDeadlineMs: config.outageDeadlineMs,
    isCancelled: async (sweepId) => (await sweeps.get(cancelledKey(sweepId)))?.operation === 'PUT',
    // Best effort, like progress: a line lost costs a watcher a line, never the job.
    onJobLog: (sweepId, job, line) =>
      void Promise.resolve(new NatsEventSink(nc, sweepId).emit({ type: 'job.log', experiment: job.lineage.experiment, jobId: job.id, trainer: config.name, line })).catch(() => {}),
  });
  const health = await startHealthServer(config.healthHost, config.healthPort);
  worker.start();
  health.health.set(ServingStatus.SERVING);
  return {
    banner: `trainer ${config.name} taking jobs from ${config.natsUrl} (store ${config.store}, health on ${config.healthHost}:${health.port})`,
    async stop() {
      health.health.set(ServingStatus.NOT_SERVING);
      await worker.stop(config.shutdownGraceMs);
      await nc.drain();
      await health.shutdown();
      await metrics.server?.close();
      store.close();
    },
  };
});
