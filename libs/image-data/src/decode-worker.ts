/**
 * A decode worker: turns JPEG bytes into crops in the batch's shared buffer. The crop and flip of a
 * sample are drawn from rngFor(seed, 'augment', epoch, sample id), so they depend on nothing but those
 * three, whichever worker runs them.
 */
import { parentPort } from 'node:worker_threads';
import { rngFor } from '@rewind/core';
import { centerCrop, randomResizedCrop } from './crop.ts';
import { isCorruptJpeg, jpegAddon } from './jpeg.ts';

export interface DecodeTask {
  readonly task: number;
  readonly out: SharedArrayBuffer;
  readonly size: number;
  /** Evaluation: resize the shorter side to this, centre crop `size`. */
  readonly resize: number;
  readonly train: boolean;
  readonly seed: number;
  readonly epoch: number;
  readonly maxDenominator: number;
  readonly jobs: readonly { readonly slot: number; readonly id: number; readonly jpeg: Uint8Array }[];
}

export interface DecodeResult {
  readonly task: number;
  readonly failures: readonly { readonly slot: number; readonly message: string }[];
  /** How many images decoded at each DCT scale 1/1, 1/2, 1/4, 1/8. */
  readonly scales: readonly number[];
}

export function decodeInto(task: DecodeTask): DecodeResult {
  const addon = jpegAddon();
  const out = new Uint8Array(task.out);
  const failures: { slot: number; message: string }[] = [];
  const scales = [0, 0, 0, 0];
  const bytes = task.size * task.size * 3;
  for (const { slot, id, jpeg } of task.jobs) {
    try {
      const [width, height] = addon.jpegSize(jpeg);
      let box: ReturnType<typeof centerCrop>;
      let flip = false;
      if (task.train) {
        const rng = rngFor(task.seed, 'augment', task.epoch, id);
        box = randomResizedCrop(width, height, rng);
        flip = rng.next() < 0.5;
      } else {
        box = centerCrop(width, height, task.size, task.resize);
      }
      const denominator = addon.decodeCropResize(jpeg, box.x, box.y, box.width, box.height, task.size, task.size, flip, out, slot * bytes, task.maxDenominator);
      scales[Math.log2(denominator)]!++;
    } catch (error) {
      if (!isCorruptJpeg(error)) throw error;
      failures.push({ slot, message: (error as Error).message });
    }
  }
  return { task: task.task, failures, scales };
}

parentPort?.on('message', (task: DecodeTask) => {
  try {
    parentPort!.postMessage(decodeInto(task));
  } catch (error) {
    parentPort!.postMessage({ task: task.task, error: (error as Error).message });
  }
});
