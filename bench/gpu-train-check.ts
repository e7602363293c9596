/**
 * A short Fashion-MNIST run on the GPU backend: LeNet-300-100, half of each layer masked, masked
 * SGD at batch 60; fails (exit 1) unless test accuracy rises to `--min-accuracy`. It shows the
 * webgpu kernels train correctly, which throughput figures alone do not. Like the bench, it keeps
 * the data on the device: the training split, its one-hot labels and every step's example indices
 * are uploaded once, each batch is gathered there, and the loss is read only at the end (the first
 * and the last step's). It trains on the first `--train-examples` (12000: 38 MB of images in one
 * tensor, under every WebGPU adapter's storage-binding limit; all 60000 exceed lavapipe's 128 MiB).
 * The kernel set follows REWIND_WEBGPU_KERNELS (default `rewind`).
 *
 *   tsx bench/gpu-train-check.ts [--steps 500] [--min-accuracy 0.75] [--train-examples 12000] [--data /usr/share/datasets/fashion-mnist]
 */
import { parseArgs } from 'node:util';
import { exampleSize, headOf, loadDataset } from '@rewind/data';
import { DataOrder, evaluateOnDevice, iterationsPerEpoch, splitEvalSet, tuneKernels } from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';
import { maskedSgd, startBackend } from './gpu-loop.ts';
import { backendLabel, defaultKernels } from './gpu-workloads.ts';

const BATCH = 60;

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '500' },
    'min-accuracy': { type: 'string', default: '0.75' },
    'train-examples': { type: 'string', default: '12000' },
    data: { type: 'string', default: '' },
  },
});
const steps = Number(args.steps);
const minAccuracy = Number(args['min-accuracy']);
const trainExamples = Number(args['train-examples']);
if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps must be a positive integer (got ${args.steps})`);
if (!(Number.isInteger(trainExamples) && trainExamples > 0)) throw new Error(`--train-examples must be a positive integer (got ${args['train-examples']})`);

const started = await startBackend();
if (started.note) console.log(`note: ${started.note}`);
const dataset = await loadDataset({ name: 'fashion_mnist', dir: args.data, trainSubset: 0 });
const train = headOf(dataset.train, Math.min(trainExamples, dataset.train.count), exampleSize(dataset));
const trainer = maskedSgd('mnist_lenet_300_100', dataset.inputShape, dataset.numClasses);
const accuracy = async () =>
  (await evaluateOnDevice(trainer.model, trainer.params, trainer.buffers, splitEvalSet(dataset.test, dataset.inputShape))).accuracy;

const before = await accuracy();
const order = new DataOrder(0, train.count, BATCH, iterationsPerEpoch(train.count, BATCH));
const allIndices = new Int32Array(steps * BATCH);
for (let step = 0; step < steps; step++) allIndices.set(order.indicesAt(step), step * BATCH);
const [h, w, c] = dataset.inputShape;
const images = tf.tensor4d(train.images, [train.count, h, w, c]);
const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(train.labels), 'int32'), dataset.numClasses));
const indices = tf.tensor1d(allIndices, 'int32');
let first: tf.Scalar | undefined;
let last: tf.Scalar | undefined;
for (let step = 0; step < steps; step++) {
  const [x, y] = tf.tidy(() => {
    const batch = tf.slice(indices, [step * BATCH], [BATCH]);
    return [tf.gather(images, batch) as tf.Tensor4D, tf.gather(oneHot, batch) as tf.Tensor2D];
  });
  const loss = trainer.step(x!, y!);
  tf.dispose([x!, y!]);
  // As train() does: the first step's kernels are tuned before the step is recorded.
  if (step === 0) await tuneKernels();
  if (step === 0) first = loss;
  else {
    last?.dispose();
    last = loss;
  }
}
const [firstLoss, lastLoss] = [(await first!.data())[0]!, (await (last ?? first)!.data())[0]!];
tf.dispose([first!, ...(last ? [last] : []), images, oneHot, indices]);
const after = await accuracy();
trainer.dispose();

const passed = after >= minAccuracy && after > before && Number.isFinite(lastLoss);
console.log(
  `train-check ${passed ? 'PASS' : 'FAIL'}: ${backendLabel(started.backend, defaultKernels())}, ${steps} steps on ${train.count} examples, ` +
    `loss ${firstLoss.toFixed(3)} -> ${lastLoss.toFixed(3)}, test accuracy ${before.toFixed(3)} -> ${after.toFixed(3)} on ${dataset.test.count} (need ${minAccuracy})`,
);
process.exitCode = passed ? 0 : 1;
