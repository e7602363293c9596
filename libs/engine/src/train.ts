/**
 * `train`: masked SGD from any TrainState to `endStep`. Everything that varies along the run
 * (learning rate, batch order, augmentation) is a pure function of the step, and the state carries
 * the rest, so a run resumed from a checkpoint or rewound to W_k continues bit-identically.
 */
import type { TrainState } from '@rewind/core';
import { type Dataset, exampleSize, loadDataset } from '@rewind/data';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalResult, TrainOutcome, TrainRequest } from './api.ts';
import { augmentationFor, augmentBatch } from './augment.ts';
import { DataOrder, gatherBatch, type HostBatch } from './batches.ts';
import { DeviceState } from './device-state.ts';
import { iterationsPerEpoch, toIterations } from './duration.ts';
import { evaluateOnDevice } from './evaluate.ts';
import type { ModelDefinition } from './models/model.ts';
import { checkInputShape, getModel } from './models/registry.ts';
import { sgdStep } from './optimizer.ts';
import { ensureBackend } from './runtime.ts';
import { lrAt, scheduleFor } from './schedule.ts';
import { validateRequest } from './validate.ts';

export async function train(req: TrainRequest): Promise<TrainOutcome> {
  const backend = await ensureBackend();
  const dataset = await loadDataset(req.dataset);
  const model = getModel(req.model.name);
  checkInputShape(model, dataset.inputShape);
  validateRequest(model, req.start, req.mask, req.endStep, dataset.numClasses);
  const augmentation = augmentationFor(req.dataset, dataset);

  const { training } = req;
  const ipe = iterationsPerEpoch(dataset.train.count, training.batchSize);
  const schedule = scheduleFor(training, ipe);
  const evalEvery = toIterations(training.evalEvery, ipe);
  const snapshotAt = new Set(req.snapshotAt ?? []);
  const checkpointEvery = req.checkpointEvery ?? 0;
  const order = new DataOrder(training.dataOrderSeed, dataset.train.count, training.batchSize, ipe);
  const isBoundary = (step: number, every: number) => every > 0 && step > req.start.step && step % every === 0;

  const state = DeviceState.upload(req.start, req.mask);
  try {
    const evals: EvalResult[] = [];
    const evaluateAt = async (step: number) => {
      const result = await evaluateOnDevice(model, state.params, state.buffers, dataset.test, dataset.inputShape);
      const evaluation: EvalResult = { step, ...result };
      evals.push(evaluation);
      req.onEval?.(evaluation);
    };
    let intervalLoss = 0;
    let intervalSteps = 0;
    for (let step = req.start.step; ; step++) {
      // Work on the state after `step` iterations, before taking the next one.
      if (step < req.endStep && isBoundary(step, evalEvery)) {
        await evaluateAt(step);
        intervalLoss = 0;
        intervalSteps = 0;
      }
      if (snapshotAt.has(step)) await req.onSnapshot?.(await state.toHost(step));
      if (step < req.endStep && isBoundary(step, checkpointEvery)) await req.onCheckpoint?.(await state.toHost(step));
      if (step === req.endStep) break;
      req.signal?.throwIfAborted();

      const gathered = gatherBatch(dataset.train, order.indicesAt(step), exampleSize(dataset));
      // Only training batches are augmented; evaluation reads the splits as they are.
      const batch = augmentation ? augmentBatch(gathered, dataset.inputShape, augmentation, training.dataOrderSeed, step) : gathered;
      const loss = await trainStep(model, state, dataset, batch, {
        lr: lrAt(schedule, step),
        momentum: training.momentum,
        weightDecay: training.weightDecay,
      });
      intervalLoss += loss;
      intervalSteps++;
      req.onProgress?.({ step: step + 1, endStep: req.endStep, trainLoss: loss });
    }
    await evaluateAt(req.endStep);
    const final: TrainState = await state.toHost(req.endStep);
    return { final, evals, trainLoss: intervalLoss / intervalSteps, backend: backend.name };
  } finally {
    state.dispose();
  }
}

async function trainStep(
  model: ModelDefinition,
  state: DeviceState,
  dataset: Dataset,
  batch: HostBatch,
  hyper: { lr: number; momentum: number; weightDecay: number },
): Promise<number> {
  const [h, w, c] = dataset.inputShape;
  const trainable = state.trainable;
  let updatedBuffers: Record<string, tf.Tensor> | undefined;
  const { value, grads } = tf.tidy(() => {
    const x = tf.tensor4d(batch.images, [batch.labels.length, h, w, c]);
    const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), dataset.numClasses);
    return tf.variableGrads(() => {
      const out = model.forward(state.params, state.buffers, x, true);
      // Running statistics leave the gradient scope alive; replaceBuffers disposes them.
      if (out.updatedBuffers) {
        updatedBuffers = out.updatedBuffers;
        for (const t of Object.values(updatedBuffers)) tf.keep(t);
      }
      return tf.losses.softmaxCrossEntropy(y, out.logits) as tf.Scalar;
    }, trainable);
  });
  const ordered = trainable.map((v) => grads[v.name]!);
  sgdStep(state.slots(), ordered, hyper);
  tf.dispose(ordered);
  if (updatedBuffers) state.replaceBuffers(updatedBuffers);
  state.markStepped();
  const [loss] = await value.data();
  value.dispose();
  return loss!;
}
