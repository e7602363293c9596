/**
 * Paces Dawn's event polling. While anything is pending (a buffer map, submitted work, an adapter),
 * Dawn's Node bindings call `setImmediate` with a fresh native callback that processes events and
 * schedules itself again (crbug.com/dawn/1127): a busy loop that holds a CPU core for the whole wait.
 * On a software adapter that core is the one the driver needs to compile and run the shaders (about
 * half of a lavapipe test's CPU time went to the loop); on a GPU node it is a core taken from input.
 *
 * Paced, a wait polls at `setImmediate`'s pace for its first `spinMs`, so a quick readback returns at
 * once, and then once a millisecond.
 */

type Immediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;
type Timeout = (callback: () => void, ms: number) => unknown;

export interface PollPacing {
  /** How long a wait polls at full speed before it polls once a millisecond. */
  spinMs: number;
}

/**
 * A `setImmediate` that passes every callback through except Dawn's polls (`isPoll`), which it paces.
 * A wait starts with a poll scheduled from outside a poll, and ends with a poll that schedules no other.
 */
export function pacedSetImmediate(
  immediate: Immediate,
  timeout: Timeout,
  isPoll: (callback: unknown) => boolean,
  pacing: PollPacing,
  now: () => number = () => performance.now(),
): Immediate {
  let waitStart: number | undefined;
  let rescheduled = false;
  return (callback, ...args) => {
    if (!isPoll(callback)) return immediate(callback, ...args);
    rescheduled = true;
    const at = now();
    waitStart ??= at;
    const poll = () => {
      rescheduled = false;
      callback();
      if (!rescheduled) waitStart = undefined;
    };
    return at - waitStart < pacing.spinMs ? immediate(poll) : timeout(poll, 1);
  };
}

/** Dawn's polls are native functions without a name; Node's own immediates and every JS caller's are not. */
const isDawnPoll = (callback: unknown): boolean =>
  typeof callback === 'function' && callback.name === '' && Function.prototype.toString.call(callback).includes('[native code]');

let installed: PollPacing | undefined;

/** Paces Dawn's polls in this process from now on (Dawn looks `setImmediate` up on every poll); a later call changes the spin. */
export function paceDawnPolling(spinMs: number): void {
  if (installed) {
    installed.spinMs = spinMs;
    return;
  }
  installed = { spinMs };
  const original = globalThis.setImmediate;
  const paced = pacedSetImmediate(original, setTimeout, isDawnPoll, installed);
  // Everything `setImmediate` carries (its promisified form, its name) stays as it was.
  globalThis.setImmediate = Object.defineProperties(paced, Object.getOwnPropertyDescriptors(original)) as unknown as typeof setImmediate;
}
