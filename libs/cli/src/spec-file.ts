/** Reads a sweep spec from a YAML file, with errors that say which file and which field. */
import { readFile } from 'node:fs/promises';
import type { SweepSpec } from '@rewind/core';
import { parseSweepSpec } from '@rewind/kinds';
import { parse } from 'yaml';

export class UsageError extends Error {
  override name = 'UsageError';
}

export async function readSpecFile(path: string): Promise<{ spec: SweepSpec; text: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read spec ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new UsageError(`spec ${path} is not valid YAML: ${(e as Error).message}`);
  }
  return { spec: parseSweepSpec(raw), text };
}
