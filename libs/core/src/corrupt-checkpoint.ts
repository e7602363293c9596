/**
 * A stored checkpoint whose bytes fail their hash check. It is never used; since every checkpoint is a
 * deterministic function of its lineage, whoever produced it can recompute it and store it again.
 */
export class CorruptCheckpointError extends Error {
  override name = 'CorruptCheckpointError';
  constructor(
    readonly id: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The canonical wording every port keeps, so the id survives as text (a trainer's recorded failure, a gRPC status). */
const CORRUPT = /checkpoint ([0-9a-f]{64}) is corrupt/;

/** The id of the corrupt checkpoint `err` is about, or undefined if it is about something else. */
export function corruptCheckpointId(err: unknown): string | undefined {
  if (err instanceof CorruptCheckpointError) return err.id;
  return err instanceof Error ? CORRUPT.exec(err.message)?.[1] : undefined;
}
