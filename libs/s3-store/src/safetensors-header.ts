/**
 * Reads a safetensors file's `__metadata__` from its first bytes, so a streamed upload learns its
 * format and lineage without holding the whole file in memory.
 */
import { SafetensorsFormatError } from '@rewind/safetensors';

/** How many leading bytes the header needs, or undefined if fewer than 8 bytes are known yet. */
export function headerEnd(prefix: Uint8Array): number | undefined {
  if (prefix.length < 8) return undefined;
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > 100_000_000n) throw new SafetensorsFormatError(`safetensors header claims ${length} bytes`);
  return 8 + Number(length);
}

export function readMetadata(prefix: Uint8Array): Record<string, string> {
  const end = headerEnd(prefix);
  if (end === undefined || prefix.length < end) throw new SafetensorsFormatError('the safetensors header is truncated');
  let header: { __metadata__?: Record<string, string> };
  try {
    header = JSON.parse(new TextDecoder().decode(prefix.subarray(8, end)));
  } catch {
    throw new SafetensorsFormatError('the safetensors header is not JSON');
  }
  return header.__metadata__ ?? {};
}
