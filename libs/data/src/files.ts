/** Reads a dataset file whole, gunzipping it when it carries the gzip magic (not trusting the name). */
import { access, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './errors.ts';

export async function readDataFile(path: string, hint: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new DatasetError('missing', path, `cannot read dataset file: ${code ?? String(cause)}`, hint);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (cause) {
      throw new DatasetError('malformed', path, `corrupt gzip stream: ${(cause as Error).message}`, hint);
    }
  }
  return raw;
}

/** The first of `candidates` that exists, or a `missing` error naming them all. */
export async function firstExisting(candidates: readonly string[], hint: string): Promise<string> {
  for (const path of candidates) {
    try {
      await access(path);
      return path;
    } catch {
      // try the next spelling
    }
  }
  throw new DatasetError('missing', candidates.join(' or '), 'dataset file not found', hint);
}
