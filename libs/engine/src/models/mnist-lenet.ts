/** LeNet-300-100 (open_lth `mnist_lenet_300_100`): dense 300, 100, then the classifier, ReLU between. */
import * as tf from '@tensorflow/tfjs-core';
import { ParamBuilder } from './init.ts';
import type { ModelDefinition } from './model.ts';
import { dense, flatten } from './ops.ts';

export const mnistLenet300100: ModelDefinition = {
  name: 'mnist_lenet_300_100',
  nominalInputShape: [28, 28, 1],
  minInputSize: 1,
  prunable: ['fc1.kernel', 'fc2.kernel', 'fc.kernel'],
  outputLayer: 'fc.kernel',
  init(hp, [h, w, c], numClasses) {
    return new ParamBuilder(hp.initSeed)
      .dense('fc1', h * w * c, 300)
      .dense('fc2', 300, 100)
      .dense('fc', 100, numClasses)
      .build();
  },
  forward(params, _buffers, x) {
    let y = tf.relu(dense(params, 'fc1', flatten(x)));
    y = tf.relu(dense(params, 'fc2', y));
    return { logits: dense(params, 'fc', y) };
  },
};
