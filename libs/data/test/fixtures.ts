/** Writers for tiny dataset files in the real on-disk formats, so readers are tested on bytes. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rewind-data-'));
}

export function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header.set([0, 0, 0x08, dims.length]);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** `count` 28x28 images where image n has every pixel equal to n, labels n % 10. */
export async function writeMnistFiles(dir: string, count: number, gzip: boolean): Promise<void> {
  const images = new Uint8Array(count * 28 * 28);
  for (let n = 0; n < count; n++) images.fill(n, n * 784, (n + 1) * 784);
  const labels = Uint8Array.from({ length: count }, (_, n) => n % 10);
  for (const prefix of ['train', 't10k']) {
    await writeMaybeGzip(join(dir, `${prefix}-images-idx3-ubyte`), idxBytes([count, 28, 28], images), gzip);
    await writeMaybeGzip(join(dir, `${prefix}-labels-idx1-ubyte`), idxBytes([count], labels), gzip);
  }
}

async function writeMaybeGzip(path: string, bytes: Uint8Array, gzip: boolean): Promise<void> {
  await (gzip ? writeFile(`${path}.gz`, gzipSync(bytes)) : writeFile(path, bytes));
}

/** One CIFAR record: pixel value at (row, col, channel) is (row + col + 50 * channel) & 255. */
export function cifarRecord(label: number): Uint8Array {
  const record = new Uint8Array(1 + 3072);
  record[0] = label;
  for (let c = 0; c < 3; c++) {
    for (let row = 0; row < 32; row++) {
      for (let col = 0; col < 32; col++) record[1 + c * 1024 + row * 32 + col] = (row + col + 50 * c) & 255;
    }
  }
  return record;
}

export async function writeCifarFiles(dir: string, recordsPerFile: number): Promise<void> {
  const files = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin');
  for (const [f, file] of files.entries()) {
    const bytes = new Uint8Array(recordsPerFile * 3073);
    for (let n = 0; n < recordsPerFile; n++) bytes.set(cifarRecord((f + n) % 10), n * 3073);
    await writeFile(join(dir, file), bytes);
  }
}
