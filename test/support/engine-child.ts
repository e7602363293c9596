/**
 * Run in a child process by tests that need a fresh tfjs backend choice (REWIND_BACKEND and the like are
 * read once per process). Prints one JSON line on stdout:
 *   backend                       → the engine's BackendChoice
 *   train <dataset> <steps>       → a short LeNet-300-100 run (batch 60): backend, final test loss and accuracy, train loss,
 *                                   a SHA-256 of the final weights, and of the weights read mid-run (a checkpoint every
 *                                   10 steps, a snapshot at 15)
 *   train-after-gpu-error         → the same on synthetic data after the device reported an invalid shader: the error's name and message
 * mnist and fashion_mnist train on a 6,000-image subset: shorter, and a training split kept on the device
 * must fit lavapipe's 128 MiB storage-buffer binding limit (the full split is 188 MB).
 */
import { createHash } from 'node:crypto';
import type { DatasetName, ModelHparams, TensorSet } from '@rewind/core';
import { ensureBackend, getModel, train } from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';

const [mode, dataset = 'synthetic', steps = '30'] = process.argv.slice(2);

/** SHA-256 of a set of weights, in name order. */
function weightsHash(params: TensorSet): string {
  const hash = createHash('sha256');
  for (const [name, t] of Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(name).update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return hash.digest('hex');
}

async function trainLenet(name: DatasetName, endStep: number) {
  const reads: string[] = [];
  const model: ModelHparams = { name: 'mnist_lenet_300_100', width: 1, initSeed: 11 };
  const inputShape = name === 'synthetic' ? ([16, 16, 3] as const) : ([28, 28, 1] as const);
  const outcome = await train({
    model,
    dataset: { name, dir: '', trainSubset: name === 'synthetic' ? 0 : 6000 },
    training: {
      optimizer: 'sgd',
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 0,
      batchSize: 60,
      steps: { epochs: 0, iterations: endStep },
      warmup: { epochs: 0, iterations: 0 },
      milestones: [],
      gamma: 0.1,
      dataOrderSeed: 0,
      evalEvery: { epochs: 0, iterations: 0 },
    },
    start: { step: 0, ...getModel(model.name).init(model, inputShape, 10), momentum: {} },
    endStep,
    checkpointEvery: 10,
    snapshotAt: [15],
    onCheckpoint: async (state) => void reads.push(`checkpoint ${state.step} ${weightsHash(state.params)}`),
    onSnapshot: async (state) => void reads.push(`snapshot ${state.step} ${weightsHash(state.params)}`),
  });
  const final = outcome.evals.at(-1)!;
  return { backend: outcome.backend, loss: final.loss, accuracy: final.accuracy, trainLoss: outcome.trainLoss, weightsHash: weightsHash(outcome.final.params), reads };
}

/** Compiles an invalid shader on the backend's device, as a broken kernel would, then trains. */
async function trainAfterGpuError() {
  await ensureBackend();
  (tf.backend() as unknown as { device: GPUDevice }).device.createShaderModule({ code: 'fn broken( {' });
  try {
    return await trainLenet('synthetic', 5);
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message };
  }
}

const result =
  mode === 'backend' ? await ensureBackend() : mode === 'train-after-gpu-error' ? await trainAfterGpuError() : await trainLenet(dataset as DatasetName, Number(steps));
console.log(JSON.stringify(result));
