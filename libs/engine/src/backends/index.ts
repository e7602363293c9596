/** Picks the tfjs backend that runs training. Placeholder until the backend layer lands: always `cpu`. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

export interface BackendChoice {
  readonly name: string;
  readonly reason: string;
}

export async function initBackend(_preference?: string): Promise<BackendChoice> {
  await tf.setBackend('cpu');
  return { name: 'cpu', reason: 'only backend wired so far' };
}
