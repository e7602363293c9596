/**
 * A short Fashion-MNIST run on the GPU backend: LeNet-300-100, half of each layer masked, masked
 * SGD at batch 60; fails (exit 1) unless test accuracy rises to `--min-accuracy`. It shows the
 * webgpu kernels train correctly, which throughput figures alone do not.
 *
 *   tsx bench/gpu-train-check.ts [--steps 500] [--min-accuracy 0.75] [--data /usr/share/datasets/fashion-mnist]
 */
import { parseArgs } from 'node:util';
import { exampleSize, loadDataset } from '@rewind/data';
import { DataOrder, gatherBatch, iterationsPerEpoch } from '@rewind/engine';
import { evaluateOnDevice } from '../libs/engine/src/evaluate.ts';
import { maskedSgd, startBackend } from './gpu-loop.ts';

const BATCH = 60;

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '500' },
    'min-accuracy': { type: 'string', default: '0.75' },
    data: { type: 'string', default: '' },
  },
});
const steps = Number(args.steps);
const minAccuracy = Number(args['min-accuracy']);
if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps must be a positive integer (got ${args.steps})`);

const started = await startBackend();
if (started.note) console.log(`note: ${started.note}`);
const dataset = await loadDataset({ name: 'fashion_mnist', dir: args.data, trainSubset: 0 });
const trainer = maskedSgd('mnist_lenet_300_100', dataset.inputShape, dataset.numClasses);
const accuracy = async () =>
  (await evaluateOnDevice(trainer.model, trainer.params, trainer.buffers, dataset.test, dataset.inputShape)).accuracy;

const before = await accuracy();
const order = new DataOrder(0, dataset.train.count, BATCH, iterationsPerEpoch(dataset.train.count, BATCH));
let loss = Number.NaN;
for (let step = 0; step < steps; step++) {
  const batch = gatherBatch(dataset.train, order.indicesAt(step), exampleSize(dataset));
  loss = await trainer.step(batch.images, batch.labels);
}
const after = await accuracy();
trainer.dispose();

const passed = after >= minAccuracy && after > before && Number.isFinite(loss);
console.log(
  `train-check ${passed ? 'PASS' : 'FAIL'}: ${started.backend}, ${steps} steps on ${dataset.train.count} examples, ` +
    `last loss ${loss.toFixed(3)}, test accuracy ${before.toFixed(3)} -> ${after.toFixed(3)} on ${dataset.test.count} (need ${minAccuracy})`,
);
process.exitCode = passed ? 0 : 1;
