/**
 * Conv-2/4/6 of the lottery ticket paper: pairs of 3x3 convs (64,64 / +128,128 / +256,256), a 2x2
 * max-pool after each pair, then dense 256, 256 and the classifier.
 */
import type { ModelName } from '@rewind/core';
import * as tf from '@tensorflow/tfjs-core';
import { ParamBuilder } from './init.ts';
import type { ModelDefinition } from './model.ts';
import { conv, dense, flatten, maxPool2 } from './ops.ts';

const PAIR_FILTERS = [64, 128, 256];

function convNet(name: ModelName, pairs: number): ModelDefinition {
  const filters = PAIR_FILTERS.slice(0, pairs).flatMap((f) => [f, f]);
  const convNames = filters.map((_, i) => `conv${i + 1}`);
  return {
    name,
    nominalInputShape: [32, 32, 3],
    minInputSize: 2 ** pairs,
    prunable: [...convNames.map((n) => `${n}.kernel`), 'fc1.kernel', 'fc2.kernel', 'fc.kernel'],
    outputLayer: 'fc.kernel',
    init(hp, [h, w, c], numClasses) {
      const builder = new ParamBuilder(hp.initSeed);
      let channels = c;
      filters.forEach((f, i) => {
        builder.conv(convNames[i]!, 3, channels, f, true);
        channels = f;
      });
      const side = (s: number) => Math.floor(s / 2 ** pairs);
      return builder
        .dense('fc1', side(h) * side(w) * channels, 256)
        .dense('fc2', 256, 256)
        .dense('fc', 256, numClasses)
        .build();
    },
    forward(params, _buffers, x) {
      let y = x;
      convNames.forEach((n, i) => {
        y = tf.relu(conv(params, n, y));
        if (i % 2 === 1) y = maxPool2(y);
      });
      let z = tf.relu(dense(params, 'fc1', flatten(y)));
      z = tf.relu(dense(params, 'fc2', z));
      return { logits: dense(params, 'fc', z) };
    },
  };
}

export const mnistConv2 = convNet('mnist_conv_2', 1);
export const mnistConv4 = convNet('mnist_conv_4', 2);
export const mnistConv6 = convNet('mnist_conv_6', 3);
