/**
 * The safetensors container (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length, a JSON header, then the raw little-endian tensor bytes. Readable by PyTorch tooling.
 */

/** F32 and U8 for Rewind's own files; BOOL and I64 for exports that PyTorch loads (masks, BN batch counts). */
export type Dtype = 'F32' | 'U8' | 'BOOL' | 'I64';

export interface Entry {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint8Array | BigInt64Array;
}

export interface Decoded {
  readonly entries: ReadonlyMap<string, Entry>;
  readonly metadata: Readonly<Record<string, string>>;
}

export class SafetensorsFormatError extends Error {
  override name = 'SafetensorsFormatError';
}

const BYTES_PER: Record<Dtype, number> = { F32: 4, U8: 1, BOOL: 1, I64: 8 };

/** Entries are written in the given order and the header is padded, so equal input gives equal bytes. */
export function encode(entries: Iterable<[string, Entry]>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const list = [...entries];
  let offset = 0;
  for (const [name, e] of list) {
    const bytes = e.data.length * BYTES_PER[e.dtype];
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad so tensor data starts 8-byte aligned, as the reference implementation does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, e] of list) {
    const view = new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength);
    out.set(view, at);
    at += view.length;
  }
  return out;
}

export function decode(bytes: Uint8Array): Decoded {
  if (bytes.length < 8) throw new SafetensorsFormatError(`file too short (${bytes.length} bytes)`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new SafetensorsFormatError(`header length ${headerLength} exceeds file size`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8'));
  } catch (e) {
    throw new SafetensorsFormatError(`header is not JSON: ${(e as Error).message}`);
  }
  const dataStart = 8 + headerLength;
  const entries = new Map<string, Entry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = raw as { dtype: Dtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES_PER)) throw new SafetensorsFormatError(`tensor ${name}: unsupported dtype ${dtype}`);
    const [begin, end] = data_offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES_PER[dtype] || dataStart + end > bytes.length) {
      throw new SafetensorsFormatError(`tensor ${name}: offsets [${begin}, ${end}] do not fit shape [${shape}] or the file`);
    }
    // Copy out (a Buffer's slice would be a view): the source may be unaligned, and callers own their tensors.
    const slice = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
    const data = dtype === 'F32' ? new Float32Array(slice.buffer, 0, count) : dtype === 'I64' ? new BigInt64Array(slice.buffer, 0, count) : slice;
    entries.set(name, { dtype, shape, data });
  }
  return { entries, metadata };
}
