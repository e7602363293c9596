/**
 * Registers tfjs's gradient functions. tfjs-core's Node bundle ships none (only the `@tensorflow/tfjs`
 * bundle registers them, and tfjs-core's own per-op ESM files cannot be loaded by Node), so autodiff
 * would fail with "gradient function not found" without it. Loaded when a backend starts (initBackend),
 * not on import: that bundle also loads tfjs-layers, -converter, -data and -webgl, about half a
 * CPU-second that the processes which never start one (the store, the coordinator, `rewind show`) are spared.
 */
let registered: Promise<unknown> | undefined;

export function registerGradients(): Promise<unknown> {
  registered ??= import('@tensorflow/tfjs');
  return registered;
}
