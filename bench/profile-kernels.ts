/**
 * Where a training step's time goes, per tfjs kernel, on one backend: every kernel registered for
 * the backend is wrapped in a timer, a few steps run, and the kernels are listed by total time.
 * bench/engine.ts says how fast a model trains; this says which kernels to make faster.
 *
 *   REWIND_THREADS=1 node --import tsx bench/profile-kernels.ts [--model cifar_resnet_20] [--batch 128]
 *                                                               [--backend rewind-native] [--steps 3] [--shapes]
 *
 * --shapes splits each kernel's line by its inputs' shapes (which call sites are slow, not just which kernels).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs'; // registers gradients (tfjs-core's Node build has none)
import { getModel, initBackend, sgdStep } from '@rewind/engine';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'cifar_resnet_20' },
    batch: { type: 'string', default: '128' },
    backend: { type: 'string', default: 'rewind-native' },
    steps: { type: 'string', default: '3' },
    shapes: { type: 'boolean', default: false },
  },
});

const choice = await initBackend(args.backend);
const totals = new Map<string, { ms: number; calls: number }>();
for (const config of tf.getKernelsForBackend(choice.name)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: (kernelArgs) => {
      const start = performance.now();
      const out = inner(kernelArgs);
      const shapes = args.shapes ? ` ${Object.values(kernelArgs.inputs).map((t) => `[${t?.shape ?? ''}]`).join('')}` : '';
      const key = config.kernelName + shapes;
      const entry = totals.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += performance.now() - start;
      entry.calls++;
      totals.set(key, entry);
      return out;
    },
  });
}

const model = getModel(args.model as Parameters<typeof getModel>[0]);
const batch = Number(args.batch);
const shape = model.nominalInputShape;
const init = model.init({ name: model.name, width: 1, initSeed: 0 }, shape, 10);
const params = Object.fromEntries(Object.entries(init.params).map(([n, t]) => [n, tf.variable(tf.tensor(t.data, [...t.shape]), true, n)]));
const buffers = Object.fromEntries(Object.entries(init.buffers).map(([n, t]) => [n, tf.tensor(t.data, [...t.shape])]));
const slots = Object.values(params).map((param) => ({ param, momentum: tf.variable(tf.zerosLike(param), false) }));
const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D, 10);

async function step(): Promise<void> {
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(params, buffers, x, true);
    if (out.updatedBuffers) tf.dispose(Object.values(out.updatedBuffers));
    return tf.losses.softmaxCrossEntropy(y, out.logits) as tf.Scalar;
  }, Object.values(params));
  const ordered = Object.values(params).map((v) => grads[v.name]!);
  sgdStep(slots, ordered, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  tf.dispose(ordered);
  await value.data();
  value.dispose();
}

await step(); // warm-up: primitive creation and first-use allocations stay out of the figures
totals.clear();
const steps = Number(args.steps);
const start = performance.now();
for (let i = 0; i < steps; i++) await step();
const wall = (performance.now() - start) / steps;
const kernelMs = [...totals.values()].reduce((s, e) => s + e.ms, 0) / steps;
console.log(`${args.model} batch ${batch} on ${choice.name}: ${wall.toFixed(1)} ms/step (${((batch * 1000) / wall).toFixed(1)} ex/s), kernels ${kernelMs.toFixed(1)} ms/step`);
for (const [name, e] of [...totals].sort((p, q) => q[1].ms - p[1].ms).slice(0, 25)) {
  console.log(`${name.padEnd(args.shapes ? 56 : 24)} ${(e.ms / steps).toFixed(2).padStart(10)} ms/step ${String(e.calls / steps).padStart(6)} calls/step`);
}
