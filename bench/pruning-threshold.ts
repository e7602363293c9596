/** Prints the time to pick the global pruning threshold over ResNet-50-sized weights (25M), and to apply it. */
import { applyThreshold, type Candidates, rngFor, selectThreshold } from '@rewind/core';

const LAYER_SIZES = [2_359_296, 1_048_576, 4_194_304, 2_097_152, 9_437_184, 4_194_304, 2_048_000, 181_184];
const rng = rngFor(0, 'bench');
const layers: Candidates[] = LAYER_SIZES.map((n) => {
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = rng.normal();
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = rng.next() < 0.8 ? 1 : 0;
  return { weights, keep };
});
const total = LAYER_SIZES.reduce((a, b) => a + b, 0);
const alive = layers.reduce((s, l) => s + l.keep.reduce((a, b) => a + b, 0), 0);
const count = Math.ceil(0.2 * alive);

const times: number[] = [];
const applyTimes: number[] = [];
for (let run = 0; run < 7; run++) {
  const t0 = performance.now();
  const threshold = selectThreshold(layers, count);
  const t1 = performance.now();
  applyThreshold(layers, threshold);
  applyTimes.push(performance.now() - t1);
  times.push(t1 - t0);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);
console.log(`weights: ${(total / 1e6).toFixed(1)}M (${(alive / 1e6).toFixed(1)}M alive), pruning ${count}`);
console.log(`threshold selection: median ${median(times)} ms over ${times.length} runs`);
console.log(`mask application:    median ${median(applyTimes)} ms`);
