/** Field checks for analysis jobs that come over the wire: every failure names the field. */
import { checkCheckpointId, InvalidNameError } from '@rewind/core';
import { JobError } from './kind.ts';

type Raw = Readonly<Record<string, unknown>>;

export function checkpointId(raw: Raw, field: string): string {
  const v = raw[field];
  if (typeof v !== 'string') throw new JobError(`${field}: a checkpoint id is required`);
  try {
    return checkCheckpointId(v, field);
  } catch (e) {
    throw e instanceof InvalidNameError ? new JobError(e.message) : e;
  }
}

export function optionalCheckpointId(raw: Raw, field: string): { readonly [k: string]: string } {
  return raw[field] === undefined ? {} : { [field]: checkpointId(raw, field) };
}

export function checkpointIds(raw: Raw, field: string, min: number, max = 64): string[] {
  const v = raw[field];
  if (!Array.isArray(v) || v.length < min || v.length > max) throw new JobError(`${field}: ${min} to ${max} checkpoint ids are required`);
  return v.map((_, i) => checkpointId(v as unknown as Raw, String(i)));
}

export function names(raw: Raw, field: string, max = 10_000): string[] {
  const v = raw[field];
  if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 200)) {
    throw new JobError(`${field}: a list of at most ${max} layer names is required`);
  }
  return v as string[];
}

export function number(raw: Raw, field: string, min: number, max: number, integer = false): number {
  const v = raw[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new JobError(`${field}: ${integer ? 'an integer' : 'a number'} in [${min}, ${max}] is required, found ${JSON.stringify(v)}`);
  }
  return v;
}

export function object<T>(raw: Raw, field: string): T {
  const v = raw[field];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new JobError(`${field}: a mapping is required`);
  return v as T;
}
