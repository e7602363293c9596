/**
 * Errors a GPU device reports asynchronously: a shader that fails to compile, an invalid binding or
 * dispatch. tfjs does not surface them; the op's output is then garbage (often NaN) and training
 * would carry on. The first one is kept, and training checks after every readback.
 */
let firstError: string | undefined;

export class BackendFailedError extends Error {
  override readonly name = 'BackendFailedError';
}

/** Subscribes to `device`'s uncaptured errors (a WebGPU GPUDevice is an EventTarget). */
export function watchDeviceErrors(device: EventTarget, backendName: string): void {
  device.addEventListener('uncapturederror', (event) => {
    const message = String((event as Event & { error?: { message?: string } }).error?.message ?? 'unknown GPU error');
    firstError ??= `${backendName}: ${message.split('\n')[0]}`;
  });
}

/** Throws if a device has reported an error since the process started: every result since is suspect. */
export function throwIfBackendFailed(): void {
  if (firstError) throw new BackendFailedError(`the training backend reported a GPU error, so results computed since are invalid (${firstError})`);
}
