/**
 * `train`: masked SGD from any TrainState to `endStep`. Everything that varies along the run
 * (learning rate, batch order, augmentation) is a pure function of the step, and the state carries
 * the rest, so a run resumed from a checkpoint or rewound to W_k continues bit-identically.
 *
 * Nothing is read back per step: the loss is summed on the device and read only when a progress
 * report carries it (every LOSS_REPORT_EVERY steps, at evaluation boundaries and at the end), so a
 * GPU's queue never drains mid-run for a number nobody looks at.
 */
import type { TrainState } from '@rewind/core';
import * as tf from '@tensorflow/tfjs-core';
import { type EvalResult, LOSS_REPORT_EVERY, type TrainOutcome, type TrainRequest } from './api.ts';
import { throwIfBackendFailed } from './backends/device-errors.ts';
import type { BatchSource } from './batch-source.ts';
import { DeviceState } from './device-state.ts';
import { iterationsPerEpoch, toIterations } from '@rewind/core';
import { evaluateOnDevice } from './evaluate.ts';
import { tuneKernels } from './kernel-tuning.ts';
import { meanSoftmaxCrossEntropy } from './loss.ts';
import type { ModelDefinition } from './models/model.ts';
import { checkInputShape, getModel } from './models/registry.ts';
import { type SgdStep, sgdStep } from './optimizer.ts';
import { ensureBackend } from './runtime.ts';
import { lrAt, scheduleFor } from './schedule.ts';
import { StepRunner } from './step-replay.ts';
import { openTrainingData } from './training-data.ts';
import { validateRequest } from './validate.ts';

export async function train(req: TrainRequest): Promise<TrainOutcome> {
  const backend = await ensureBackend();
  const data = await openTrainingData(req.dataset);
  const model = getModel(req.model.name);
  let batches: BatchSource | undefined;
  let state: DeviceState | undefined;
  const losses = new DeviceLossSum();
  const steps = new StepRunner(() => [...(state?.tensors() ?? []), ...(batches?.resident ?? [])]);
  try {
    checkInputShape(model, data.inputShape);
    validateRequest(model, req.start, req.mask, req.endStep, data.numClasses);
    const { training } = req;
    const ipe = iterationsPerEpoch(data.trainCount, training.batchSize);
    const schedule = scheduleFor(training, ipe);
    const evalEvery = toIterations(training.evalEvery, ipe);
    const snapshotAt = new Set(req.snapshotAt ?? []);
    const checkpointEvery = req.checkpointEvery ?? 0;
    const isBoundary = (step: number, every: number) => every > 0 && step > req.start.step && step % every === 0;
    state = DeviceState.upload(req.start, req.mask);
    const live = state;
    const source = await data.trainBatches(training, backend.name, req.start.step, req.endStep);
    batches = source;
    const evals: EvalResult[] = [];
    const evaluateAt = async (step: number) => {
      const result = await evaluateOnDevice(model, live.params, live.buffers, data.test);
      throwIfBackendFailed();
      const evaluation: EvalResult = { step, ...result };
      evals.push(evaluation);
      req.onEval?.(evaluation);
    };
    // Host sum of the loss windows read since the last evaluation; each window closes at a boundary.
    let intervalLoss = 0;
    let intervalSteps = 0;
    for (let step = req.start.step; ; step++) {
      // Work on the state after `step` iterations, before taking the next one.
      if (step < req.endStep && isBoundary(step, evalEvery)) {
        await evaluateAt(step);
        intervalLoss = 0;
        intervalSteps = 0;
      }
      if (snapshotAt.has(step)) await req.onSnapshot?.(await readState(live, step));
      if (step < req.endStep && isBoundary(step, checkpointEvery)) await req.onCheckpoint?.(await readState(live, step));
      if (step === req.endStep) break;
      req.signal?.throwIfAborted();

      losses.add(await trainStep(model, live, steps, data.numClasses, source, step, {
        lr: lrAt(schedule, step),
        momentum: training.momentum,
        weightDecay: training.weightDecay,
      }));
      // After a kind's first step, before it is recorded: the kernels it launched are tuned to the device.
      await tuneKernels();
      const done = step + 1;
      if (done === req.endStep || done % LOSS_REPORT_EVERY === 0 || isBoundary(done, evalEvery)) {
        const { sum, steps } = await losses.take();
        throwIfBackendFailed();
        intervalLoss += sum;
        intervalSteps += steps;
        req.onProgress?.({ step: done, endStep: req.endStep, trainLoss: sum / steps });
        // A turn of the event loop, so signals, timers and I/O get in even on a synchronous CPU backend.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else {
        req.onProgress?.({ step: done, endStep: req.endStep });
      }
    }
    await evaluateAt(req.endStep);
    const final = await readState(live, req.endStep);
    return { final, evals, trainLoss: intervalLoss / intervalSteps, backend: backend.name };
  } finally {
    steps.dispose();
    losses.dispose();
    state?.dispose();
    await batches?.dispose();
  }
}

/** The state on the host, refused if the device reported an error: a checkpoint must not keep garbage. */
async function readState(state: DeviceState, step: number): Promise<TrainState> {
  const host = await state.toHost(step);
  throwIfBackendFailed();
  return host;
}

/**
 * The sum of a run of per-step losses, kept on the device as a float32 scalar. Adding queues one
 * device op; only `take` reads back. The sum starts from an exact 0, so its value depends only on
 * the losses added since the last `take`, in order, and is deterministic.
 */
class DeviceLossSum {
  private sum: tf.Scalar = tf.scalar(0);
  private steps = 0;

  /** Takes ownership of `loss`. */
  add(loss: tf.Scalar): void {
    const next = tf.add(this.sum, loss) as tf.Scalar;
    tf.dispose([this.sum, loss]);
    this.sum = next;
    this.steps++;
  }

  /** Reads the sum and the number of losses in it, and starts again from 0. */
  async take(): Promise<{ sum: number; steps: number }> {
    const [sum] = await this.sum.data();
    const taken = { sum: sum!, steps: this.steps };
    this.sum.dispose();
    this.sum = tf.scalar(0);
    this.steps = 0;
    return taken;
  }

  dispose(): void {
    this.sum.dispose();
  }
}

/**
 * One masked SGD step on the batch at `step`; returns its mean loss, still on the device. Through
 * `steps`, a GPU replays it from a recording, batch gather included, once it has seen its kind twice.
 */
async function trainStep(
  model: ModelDefinition,
  state: DeviceState,
  steps: StepRunner,
  numClasses: number,
  batches: BatchSource,
  step: number,
  hyper: SgdStep,
): Promise<tf.Scalar> {
  const inputs = await batches.inputsAt(step);
  // The kind: what the recorded GPU work depends on besides the inputs' values and the state's.
  const kind = `${hyper.lr} ${hyper.momentum} ${hyper.weightDecay} ${inputs.map((t) => t.shape).join(' ')}`;
  try {
    const [loss] = steps.run(kind, inputs, (stepInputs) => [
      tf.tidy(() => {
        const { x, labels } = batches.batchOf(stepInputs);
        return lossAndUpdate(model, state, numClasses, x, labels, hyper);
      }),
    ]);
    state.markStepped();
    return loss as tf.Scalar;
  } finally {
    tf.dispose(inputs);
  }
}

/** Forward, backward and the masked SGD update of the state, in place; returns the mean loss. */
function lossAndUpdate(model: ModelDefinition, state: DeviceState, numClasses: number, x: tf.Tensor4D, labels: tf.Tensor1D, hyper: SgdStep): tf.Scalar {
  const trainable = state.trainable;
  let updatedBuffers: Record<string, tf.Tensor> | undefined;
  const { value, grads } = tf.tidy(() => {
    const y = tf.oneHot(labels, numClasses);
    return tf.variableGrads(() => {
      const out = model.forward(state.params, state.buffers, x, true);
      // Running statistics leave the gradient scope alive; replaceBuffers disposes them.
      if (out.updatedBuffers) {
        updatedBuffers = out.updatedBuffers;
        for (const t of Object.values(updatedBuffers)) tf.keep(t);
      }
      return meanSoftmaxCrossEntropy(y, out.logits);
    }, trainable);
  });
  const ordered = trainable.map((v) => grads[v.name]!);
  sgdStep(state.slots(), ordered, hyper);
  tf.dispose(ordered);
  if (updatedBuffers) state.replaceBuffers(updatedBuffers);
  return value;
}
