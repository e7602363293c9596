export { type ConnectOptions, connectNats, declareJetStream, NatsUnavailableError } from './connection.ts';
export { DEFAULT_LAYOUT, type JetStreamLayout, layoutFromEnv } from './layout.ts';
export { NatsEventSink, type ReplayOptions, replayEvents } from './event-stream.ts';
export { JobResults } from './job-results.ts';
export { KvLedger } from './kv-ledger.ts';
export { NatsTrainer, TrainJobFailedError } from './nats-trainer.ts';
export * from './subjects.ts';
export { type TrainerForSweep, TrainWorker, type TrainWorkerOptions } from './train-worker.ts';
export { type Handling, SerialPullLoop, type SerialPullOptions } from './serial-pull-loop.ts';
