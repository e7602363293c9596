/** Errors across the wire: servers map domain errors to gRPC codes; clients name the server that failed. */
import { type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';

/** Errors whose class name says "the caller asked for something absent" or "the input is bad". */
const NOT_FOUND = new Set(['CheckpointNotFoundError', 'NotFoundError']);
const INVALID = new Set(['SpecError', 'JobError', 'SafetensorsFormatError', 'InvalidArgumentError', 'InvalidNameError', 'TypeError', 'RangeError']);
/** A checkpoint failed its hash check (here, or in the store this server read it from). */
const CORRUPT = new Set(['ChecksumMismatchError', 'CorruptCheckpointError']);
/** The request is fine but what it needs is not in shape: a running sweep's results, or data missing or malformed where the server reads it. */
const PRECONDITION = new Set(['FailedPreconditionError', 'DatasetError']);
/** A server this one depends on (S3, another service) is down: the caller may retry. */
const UNAVAILABLE = new Set(['S3UnavailableError', 'ServerUnavailableError']);

export class InvalidArgumentError extends Error {
  override name = 'InvalidArgumentError';
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The request is fine but the system is not in the state it needs (e.g. results of a running sweep). */
export class FailedPreconditionError extends Error {
  override name = 'FailedPreconditionError';
}

/** Codes a server passes on from a service it called: they describe the caller's request or a passing outage. */
const PASSED_ON = new Set<GrpcStatus>([
  GrpcStatus.NOT_FOUND,
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
]);

export function toServiceError(err: unknown): Partial<ServiceError> {
  const e = err as Error;
  if (err instanceof RemoteError && PASSED_ON.has(err.code)) return { code: err.code, details: e.message };
  const code = NOT_FOUND.has(e.name)
    ? GrpcStatus.NOT_FOUND
    : INVALID.has(e.name) || /is required|is not one of|not a checkpoint id|must /.test(e.message)
      ? GrpcStatus.INVALID_ARGUMENT
      : UNAVAILABLE.has(e.name)
        ? GrpcStatus.UNAVAILABLE
        : CORRUPT.has(e.name)
          ? GrpcStatus.DATA_LOSS
          : PRECONDITION.has(e.name)
            ? GrpcStatus.FAILED_PRECONDITION
            : e.name === 'AbortError'
            ? GrpcStatus.CANCELLED
            : GrpcStatus.INTERNAL;
  return { code, details: e.message ?? String(err) };
}

export class ServerUnavailableError extends Error {
  override name = 'ServerUnavailableError';
}

/** A failed call as a plain error: "<server> (<address>): <details>", keeping the gRPC code. */
export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(
    readonly server: string,
    readonly code: GrpcStatus,
    details: string,
  ) {
    super(`${server}: ${details}`);
  }
}
