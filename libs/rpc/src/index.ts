export * from './wire.ts';
export { HealthCheckRequest, HealthCheckResponse, HealthClient } from '../generated/grpc/health/v1/health.ts';
export { type CallSettings, channelOptions, DEFAULT_CALL_TIMEOUT_MS, deadlineOf, insecure, MAX_MESSAGE_BYTES, unary } from './client.ts';
export { ConfigError, EnvReader } from './env-config.ts';
export { FailedPreconditionError, InvalidArgumentError, NotFoundError, RemoteError, ServerUnavailableError, toServiceError } from './errors.ts';
export { callWithRetry, DEFAULT_RETRY, DEFAULT_SERVICE_RETRY_DEADLINE_MS, type RetryPolicy, serviceRetry } from './retry.ts';
export { type EventBody, eventFromMessage, eventKind, eventToMessage } from './event-convert.ts';
export { GrpcCheckpointStore, infoFromMessage, type RemoteCheckpointInfo } from './grpc-checkpoint-store.ts';
export { GrpcPruner, pruneJobFromMessage, pruneJobToMessage } from './grpc-pruner.ts';
export { streamHandler, unaryHandler } from './handlers.ts';
export { HealthState, ServingStatus } from './health.ts';
export * from './hparams-convert.ts';
export { jobFromMessage, jobToMessage, resultFromMessage, resultToMessage } from './job-convert.ts';
export { lineageFromMessage, lineageToMessage, type PartialLineage, partialLineageFromMessage } from './lineage-convert.ts';
export { runService, type Service } from './lifecycle.ts';
export { type GrpcServerOptions, type RunningServer, listeningOn, startGrpcServer, startHealthServer } from './server.ts';
export { channelCredentials, clientCredentials, PLAINTEXT, serverCredentials, type TlsFiles, tlsFromEnv } from './tls.ts';
export {
  analysisJobFromMessage,
  analysisJobToMessage,
  analysisResultFromMessage,
  analysisResultToMessage,
  distancesToMessage,
  GrpcAnalyzer,
  linearModeToMessage,
} from './grpc-analyzer.ts';
