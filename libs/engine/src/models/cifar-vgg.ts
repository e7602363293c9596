/**
 * open_lth's `cifar_vgg_16` / `cifar_vgg_19`: 3x3 conv (with bias) + batch norm + ReLU modules,
 * 2x2 max-pools between stages, then the classifier on the 512 pooled features.
 */
import type { ModelName } from '@rewind/core';
import * as tf from '@tensorflow/tfjs-core';
import { ParamBuilder } from './init.ts';
import type { ModelDefinition } from './model.ts';
import { batchNorm, conv, dense, globalAveragePool, maxPool2 } from './ops.ts';

type Plan = readonly (number | 'M')[];

const PLANS: Record<'cifar_vgg_16' | 'cifar_vgg_19', Plan> = {
  cifar_vgg_16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512],
  cifar_vgg_19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512],
};

function vgg(name: ModelName & keyof typeof PLANS): ModelDefinition {
  const plan = PLANS[name];
  const convCount = plan.filter((s) => s !== 'M').length;
  const convNames = Array.from({ length: convCount }, (_, i) => `conv${i + 1}`);
  return {
    name,
    nominalInputShape: [32, 32, 3],
    minInputSize: 16,
    prunable: [...convNames.map((n) => `${n}.kernel`), 'fc.kernel'],
    outputLayer: 'fc.kernel',
    init(hp, [, , c], numClasses) {
      const builder = new ParamBuilder(hp.initSeed);
      let channels = c;
      let i = 0;
      for (const spec of plan) {
        if (spec === 'M') continue;
        i++;
        builder.conv(`conv${i}`, 3, channels, spec, true).batchNorm(`bn${i}`, spec);
        channels = spec;
      }
      return builder.dense('fc', channels, numClasses).build();
    },
    forward(params, buffers, x, training) {
      const updates: Record<string, tf.Tensor> = {};
      let y = x;
      let i = 0;
      for (const spec of plan) {
        if (spec === 'M') {
          y = maxPool2(y);
          continue;
        }
        i++;
        y = tf.relu(batchNorm(params, buffers, `bn${i}`, conv(params, `conv${i}`, y), training, updates));
      }
      // open_lth average-pools the final 2x2 map of a 32x32 input; a global mean is the same there.
      const logits = dense(params, 'fc', globalAveragePool(y));
      return training ? { logits, updatedBuffers: updates } : { logits };
    },
  };
}

export const cifarVgg16 = vgg('cifar_vgg_16');
export const cifarVgg19 = vgg('cifar_vgg_19');
