import { createHash } from 'node:crypto';
import { CorruptCheckpointError } from '@rewind/core';

/** Checkpoints are addressed by the SHA-256 of their bytes, so any change of content is a change of id. */
export function contentId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class ChecksumMismatchError extends CorruptCheckpointError {
  override name = 'ChecksumMismatchError';
  constructor(
    readonly expected: string,
    readonly actual: string,
    where: string,
  ) {
    super(expected, `checkpoint ${expected} is corrupt (${where}): its bytes hash to ${actual}`);
  }
}

/** Throws unless `bytes` hash to `id`. */
export function verifyContent(id: string, bytes: Uint8Array, where: string): void {
  const actual = contentId(bytes);
  if (actual !== id) throw new ChecksumMismatchError(id, actual, where);
}
