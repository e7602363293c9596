/**
 * open_lth's `cifar_resnet_20`: a 3x3 stem, three segments of three basic blocks with 16W, 32W
 * and 64W filters (W = `width`), 1x1 projection shortcuts where a segment downsamples, global
 * average pooling and the classifier. Convs have no bias; every conv is followed by batch norm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ParamBuilder } from './init.ts';
import type { ModelDefinition } from './model.ts';
import { batchNorm, conv, dense, globalAveragePool } from './ops.ts';

const SEGMENT_FILTERS = [16, 32, 64];
const BLOCKS_PER_SEGMENT = 3;

interface Block {
  readonly name: string;
  readonly downsample: boolean;
}

const BLOCKS: readonly Block[] = SEGMENT_FILTERS.flatMap((_, segment) =>
  Array.from({ length: BLOCKS_PER_SEGMENT }, (_, b) => ({
    name: `blocks.${segment * BLOCKS_PER_SEGMENT + b}`,
    downsample: segment > 0 && b === 0,
  })),
);

export const cifarResnet20: ModelDefinition = {
  name: 'cifar_resnet_20',
  nominalInputShape: [32, 32, 3],
  minInputSize: 4,
  prunable: [
    'conv.kernel',
    ...BLOCKS.flatMap((b) => [
      `${b.name}.conv1.kernel`,
      `${b.name}.conv2.kernel`,
      ...(b.downsample ? [`${b.name}.shortcut.conv.kernel`] : []),
    ]),
    'fc.kernel',
  ],
  outputLayer: 'fc.kernel',
  init(hp, [, , c], numClasses) {
    const filters = SEGMENT_FILTERS.map((f) => f * hp.width);
    if (!filters.every((f) => Number.isInteger(f) && f > 0)) {
      throw new RangeError(`cifar_resnet_20 width ${hp.width} does not give whole filter counts (16 x width)`);
    }
    const builder = new ParamBuilder(hp.initSeed);
    let current = filters[0]!;
    builder.conv('conv', 3, c, current, false).batchNorm('bn', current);
    BLOCKS.forEach((block, i) => {
      const out = filters[Math.floor(i / BLOCKS_PER_SEGMENT)]!;
      builder.conv(`${block.name}.conv1`, 3, current, out, false).batchNorm(`${block.name}.bn1`, out);
      builder.conv(`${block.name}.conv2`, 3, out, out, false).batchNorm(`${block.name}.bn2`, out);
      if (block.downsample) {
        builder.conv(`${block.name}.shortcut.conv`, 1, current, out, false).batchNorm(`${block.name}.shortcut.bn`, out);
      }
      current = out;
    });
    return builder.dense('fc', current, numClasses).build();
  },
  forward(params, buffers, x, training) {
    const updates: Record<string, tf.Tensor> = {};
    const bn = (name: string, y: tf.Tensor4D) => batchNorm(params, buffers, name, y, training, updates);
    let y = tf.relu(bn('bn', conv(params, 'conv', x)));
    for (const { name, downsample } of BLOCKS) {
      const stride = downsample ? 2 : 1;
      let out = tf.relu(bn(`${name}.bn1`, conv(params, `${name}.conv1`, y, stride)));
      out = bn(`${name}.bn2`, conv(params, `${name}.conv2`, out));
      const shortcut = downsample ? bn(`${name}.shortcut.bn`, conv(params, `${name}.shortcut.conv`, y, 2)) : y;
      y = tf.relu(tf.add<tf.Tensor4D>(out, shortcut));
    }
    const logits = dense(params, 'fc', globalAveragePool(y));
    return training ? { logits, updatedBuffers: updates } : { logits };
  },
};
