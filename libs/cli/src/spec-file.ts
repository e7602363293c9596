/** Reads a sweep spec from a YAML file, with errors that say which file and which field. */
import { readFile } from 'node:fs/promises';
import { indexPins, type SweepSpec } from '@rewind/core';
import { prepareSpec } from '@rewind/engine';
import { parseSweepSpec } from '@rewind/kinds';
import { parse, parseDocument } from 'yaml';

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

/**
 * The spec ready to run: checked against its model and data (prepareSpec), and its text with what an image
 * dataset's index said pinned (classes, train_size), so the copy kept in a run directory plans the same sweep.
 */
export async function readPreparedSpecFile(path: string): Promise<{ spec: SweepSpec; text: string }> {
  const written = await readSpecFile(path);
  const spec = await prepareSpec(written.spec);
  const pins = indexPins(spec);
  if (!pins) return { spec, text: written.text };
  // Set in the document, so that the user's comments and layout stay in the kept copy.
  const doc = parseDocument(written.text);
  for (const [key, value] of Object.entries(pins)) doc.setIn(['dataset', key], value);
  return { spec, text: doc.toString() };
}
