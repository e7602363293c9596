/**
 * Picks the tfjs backend that runs training: the fastest one present, or the one asked for through
 * the `preference` argument or else `REWIND_BACKEND`. Logs the choice in one line; callers record it.
 * Registers tfjs's gradients first: whatever starts a backend may train.
 */
import { registerGradients } from '../gradients.ts';
import { CANDIDATES } from './candidates.ts';

export interface BackendChoice {
  /** The candidate id (`tensorflow-gpu`, `webgpu`, `tensorflow`, `rewind-native`, `wasm`, `cpu`). */
  readonly name: string;
  /** Why this one: what it runs on, and why faster ones were passed over. */
  readonly reason: string;
}

export const BACKEND_IDS: readonly string[] = CANDIDATES.map((c) => c.id);
const AUTO = 'auto';

export async function initBackend(preference?: string): Promise<BackendChoice> {
  await registerGradients();
  const requested = preference || process.env.REWIND_BACKEND || AUTO;
  if (requested !== AUTO) return initRequested(requested);

  const passedOver: string[] = [];
  for (const candidate of CANDIDATES) {
    const probe = await candidate.activate();
    if (probe.ok) {
      const reason = passedOver.length ? `${probe.detail}; passed over: ${passedOver.join('; ')}` : probe.detail;
      console.error(`rewind: training backend ${candidate.id} (${probe.detail})`);
      return { name: candidate.id, reason };
    }
    passedOver.push(`${candidate.id}: ${probe.why}`);
    if (candidate.expected) console.warn(`rewind: backend ${candidate.id} unavailable, falling back (${probe.why})`);
  }
  throw new Error(`no tfjs backend could start: ${passedOver.join('; ')}`);
}

async function initRequested(requested: string): Promise<BackendChoice> {
  const candidate = CANDIDATES.find((c) => c.id === requested);
  if (!candidate) {
    throw new Error(`unknown backend '${requested}' (REWIND_BACKEND / preference); allowed: ${[AUTO, ...BACKEND_IDS].join(', ')}`);
  }
  const probe = await candidate.activate();
  // An explicit request is not silently downgraded: the caller asked for these kernels.
  if (!probe.ok) throw new Error(`backend '${requested}' was requested but is unavailable: ${probe.why}`);
  console.error(`rewind: training backend ${candidate.id} (${probe.detail}; requested)`);
  return { name: candidate.id, reason: `requested; ${probe.detail}` };
}
