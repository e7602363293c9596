/**
 * Experiments are named by a hash of their hyper-parameters (as open_lth does), so a result's path
 * says exactly what produced it, and a rerun of the same spec finds the work already done.
 */
import { createHash } from 'node:crypto';

/** JSON with keys sorted at every level, so equal values always serialise to equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function experimentId(kind: string, descriptor: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(descriptor)).digest('hex');
  return `${kind}_${digest.slice(0, 16)}`;
}
