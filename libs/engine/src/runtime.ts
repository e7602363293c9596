/** Starts the tfjs backend once per process; training and evaluation both await it. */
import { type BackendChoice, initBackend } from './backends/index.ts';

let ready: Promise<BackendChoice> | undefined;

export function ensureBackend(): Promise<BackendChoice> {
  ready ??= initBackend().catch((error: unknown) => {
    // Let a later call try again rather than replaying the failure forever.
    ready = undefined;
    throw error;
  });
  return ready;
}
