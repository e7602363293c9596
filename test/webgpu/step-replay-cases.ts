/**
 * Child script: StepRunner with the webgpu recorder on a real WebGPU device. Each case prints one
 * JSON line. A "step" here is a small masked update of a variable from a batch, so the expected
 * values can be computed by running the same body through tfjs (a runner with replay off).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, meanSoftmaxCrossEntropy, StepRunner } from '@rewind/engine';

await initBackend('webgpu');

// 256 rows: tfjs's webgpu backend computes ops on inputs this large on the device, not on the host.
const ROWS = 256;
const batchAt = (step: number) => tf.tensor2d(Float32Array.from({ length: ROWS * 8 }, (_, i) => Math.sin(step * 31 + i)), [ROWS, 8]);
const labelsAt = (step: number) => tf.tensor1d(Int32Array.from({ length: ROWS }, (_, i) => (step + i) % 3), 'int32');
/** Where a step's batch lives: uploaded from the host by the replay, or already on the device (copied). */
const onDevice = (x: tf.Tensor) => {
  const y = tf.mul(x, 1);
  x.dispose();
  return y;
};

interface Model {
  readonly w: tf.Variable;
  readonly momentum: tf.Variable;
  readonly mask: tf.Tensor;
  dispose(): void;
}

function makeModel(): Model {
  const [w, momentum] = tf.tidy(() => [tf.variable(tf.tensor2d(Float32Array.from({ length: 8 * 3 }, (_, i) => Math.cos(i)), [8, 3])), tf.variable(tf.zeros([8, 3]))]);
  const mask = tf.tensor2d(Float32Array.from({ length: 8 * 3 }, (_, i) => (i % 5 === 0 ? 0 : 1)), [8, 3]);
  return { w, momentum, mask, dispose: () => tf.dispose([w, momentum, mask]) };
}

/** Loss of a linear softmax classifier and a hand-written momentum update: autograd, several kernels, in-place state. */
function stepOf(m: Model, lr: number, extra?: (intermediate: tf.Tensor) => void) {
  return ([x, labels]: readonly tf.Tensor[]): tf.Tensor[] => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = tf.matMul(x as tf.Tensor2D, m.w);
      extra?.(logits);
      return meanSoftmaxCrossEntropy(tf.oneHot(labels as tf.Tensor1D, 3), logits);
    }, [m.w]);
    tf.tidy(() => {
      const buf = tf.add(tf.mul(m.momentum, 0.9), tf.mul(grads[m.w.name]!, m.mask));
      m.momentum.assign(buf);
      m.w.assign(tf.mul(tf.sub(m.w, tf.mul(buf, lr)), m.mask));
    });
    tf.dispose(grads[m.w.name]);
    return [value];
  };
}

/** Runs `steps` steps through a fresh runner (replay on or off) and returns the per-step losses and final weights. */
async function run(
  replay: 'on' | 'off',
  steps: number,
  options: { extra?: (t: tf.Tensor) => void; replaceStateAt?: number; lrAt?: (step: number) => number; deviceBatches?: boolean } = {},
) {
  const m = makeModel();
  const runner = new StepRunner(() => [m.w, m.momentum, m.mask], replay);
  let bodyCalls = 0;
  let midWeights: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    if (step === options.replaceStateAt) m.w.assign(tf.mul(m.w, 2));
    const [x, labels] = options.deviceBatches ? [onDevice(batchAt(step)), labelsAt(step)] : [batchAt(step), labelsAt(step)];
    const lr = options.lrAt?.(step) ?? 0.1;
    const body = stepOf(m, lr, options.extra);
    const [loss] = runner.run(`lr ${lr}`, [x, labels], (inputs) => {
      bodyCalls++;
      return body(inputs);
    });
    tf.dispose([x, labels]);
    losses.push((await loss!.data())[0]!);
    loss!.dispose();
    // A read between steps (a checkpoint): tfjs keeps what it read, and later reads must not get that back.
    if (step === 2) midWeights = Array.from(await m.w.data());
  }
  const weights = Array.from(await m.w.data());
  runner.dispose();
  m.dispose();
  return { losses, weights, midWeights, bodyCalls, replays: runner.replays };
}

const memory = () => {
  const { numTensors, numBytesInGPU } = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  return { numTensors, numBytesInGPU };
};

const warnings: string[] = [];
console.warn = (message: unknown) => warnings.push(String(message));

const before = memory();
const plain = await run('off', 6);
const replayed = await run('on', 6);
const after = memory();
console.log(JSON.stringify({ case: 'replay', plain, replayed, before, after }));

// The GPU time of each kind of dispatch in a recording (bench/gpu-profile.ts prints it).
{
  const m = makeModel();
  const runner = new StepRunner(() => [m.w, m.momentum, m.mask]);
  const body = stepOf(m, 0.1);
  for (let step = 0; step < 3; step++) {
    const [x, labels] = [batchAt(step), labelsAt(step)];
    tf.dispose([...runner.run('lr 0.1', [x, labels], body), x, labels]);
  }
  const recording = runner.recording;
  const times = await recording?.timeDispatches?.(2);
  console.log(JSON.stringify({ case: 'dispatch times', summary: recording?.summary, times }));
  runner.dispose();
  m.dispose();
}

const fromDevice = { replayed: await run('on', 6, { deviceBatches: true }), plain: await run('off', 6, { deviceBatches: true }) };
console.log(JSON.stringify({ case: 'device batches', ...fromDevice }));

const afterReplacement = await run('on', 8, { replaceStateAt: 4 });
const plainReplacement = await run('off', 8, { replaceStateAt: 4 });
console.log(JSON.stringify({ case: 'state replaced', replayed: afterReplacement, plain: plainReplacement }));

// The learning rate steps down twice: three kinds, each recorded on its second step.
const lrAt = (step: number) => (step < 4 ? 0.1 : step < 8 ? 0.05 : 0.01);
const memoryBeforeKinds = memory();
const kinds = { replayed: await run('on', 12, { lrAt }), plain: await run('off', 12, { lrAt }) };
console.log(JSON.stringify({ case: 'kinds', ...kinds, before: memoryBeforeKinds, after: memory() }));

let leaked: tf.Tensor | undefined;
const stray = await run('on', 4, {
  extra: (logits) => {
    leaked?.dispose();
    leaked = tf.keep(tf.relu(logits));
  },
});
leaked?.dispose();
console.log(JSON.stringify({ case: 'stray buffer', result: stray, warnings: [...warnings] }));

warnings.length = 0;
// A read started inside the step (the webgpu backend has no synchronous read in Node).
const reads: Promise<unknown>[] = [];
const reading = await run('on', 4, {
  extra: (logits) => {
    const held = tf.keep(logits.clone());
    reads.push(held.data().finally(() => held.dispose()));
  },
});
await Promise.all(reads);
console.log(JSON.stringify({ case: 'read back', result: reading, warnings: [...warnings] }));
