/**
 * The IDX format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, type, rank), `rank` big-endian
 * uint32 dimensions, then the values. Only unsigned bytes (type 0x08) occur in these datasets.
 */
import { DatasetError } from './errors.ts';

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function parseIdx(bytes: Uint8Array, path: string, hint: string): IdxArray {
  const malformed = (detail: string) => new DatasetError('malformed', path, `not a valid IDX file: ${detail}`, hint);
  if (bytes.length < 4) throw malformed(`only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw malformed('bad magic number');
  if (bytes[2] !== UNSIGNED_BYTE) throw malformed(`element type 0x${bytes[2]!.toString(16)} is not unsigned byte`);
  const rank = bytes[3]!;
  const headerLength = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerLength) throw malformed(`truncated header for rank ${rank}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLength;
  if (actual !== expected) {
    throw malformed(`dimensions ${dims.join('x')} need ${expected} bytes of data, found ${actual}`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}
