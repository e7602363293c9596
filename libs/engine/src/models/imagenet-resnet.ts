/**
 * torchvision-shaped ImageNet ResNets: a 7x7/2 stem and 3x3/2 max-pool, four stages (64..512
 * planes) of basic (ResNet-18) or bottleneck (ResNet-50, stride on the 3x3) blocks with 1x1
 * projection shortcuts where the shape changes, global average pooling and the classifier.
 */
import type { ModelName } from '@rewind/core';
import * as tf from '@tensorflow/tfjs-core';
import { ParamBuilder } from './init.ts';
import type { ModelDefinition } from './model.ts';
import { batchNorm, conv, dense, globalAveragePool } from './ops.ts';

const STAGE_PLANES = [64, 128, 256, 512];

interface Variant {
  readonly blocksPerStage: readonly number[];
  readonly bottleneck: boolean;
}

interface Block {
  readonly name: string;
  readonly stride: number;
  readonly inputs: number;
  readonly planes: number;
  readonly outputs: number;
  readonly projection: boolean;
}

function blocksOf({ blocksPerStage, bottleneck }: Variant): Block[] {
  const expansion = bottleneck ? 4 : 1;
  const blocks: Block[] = [];
  let inputs = 64;
  blocksPerStage.forEach((count, stage) => {
    const planes = STAGE_PLANES[stage]!;
    for (let b = 0; b < count; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const outputs = planes * expansion;
      blocks.push({
        name: `layer${stage + 1}.${b}`,
        stride,
        inputs,
        planes,
        outputs,
        projection: stride !== 1 || inputs !== outputs,
      });
      inputs = outputs;
    }
  });
  return blocks;
}

function convNamesOf(bottleneck: boolean): string[] {
  return bottleneck ? ['conv1', 'conv2', 'conv3'] : ['conv1', 'conv2'];
}

function resnet(name: ModelName, variant: Variant): ModelDefinition {
  const blocks = blocksOf(variant);
  const { bottleneck } = variant;
  return {
    name,
    nominalInputShape: [224, 224, 3],
    minInputSize: 32,
    prunable: [
      'conv1.kernel',
      ...blocks.flatMap((b) => [
        ...convNamesOf(bottleneck).map((c) => `${b.name}.${c}.kernel`),
        ...(b.projection ? [`${b.name}.downsample.conv.kernel`] : []),
      ]),
      'fc.kernel',
    ],
    outputLayer: 'fc.kernel',
    init(hp, [, , c], numClasses) {
      const builder = new ParamBuilder(hp.initSeed);
      builder.conv('conv1', 7, c, 64, false).batchNorm('bn1', 64);
      for (const b of blocks) {
        if (bottleneck) {
          builder.conv(`${b.name}.conv1`, 1, b.inputs, b.planes, false).batchNorm(`${b.name}.bn1`, b.planes);
          builder.conv(`${b.name}.conv2`, 3, b.planes, b.planes, false).batchNorm(`${b.name}.bn2`, b.planes);
          builder.conv(`${b.name}.conv3`, 1, b.planes, b.outputs, false).batchNorm(`${b.name}.bn3`, b.outputs);
        } else {
          builder.conv(`${b.name}.conv1`, 3, b.inputs, b.planes, false).batchNorm(`${b.name}.bn1`, b.planes);
          builder.conv(`${b.name}.conv2`, 3, b.planes, b.planes, false).batchNorm(`${b.name}.bn2`, b.planes);
        }
        if (b.projection) {
          builder.conv(`${b.name}.downsample.conv`, 1, b.inputs, b.outputs, false);
          builder.batchNorm(`${b.name}.downsample.bn`, b.outputs);
        }
      }
      return builder.dense('fc', blocks.at(-1)!.outputs, numClasses).build();
    },
    forward(params, buffers, x, training) {
      const updates: Record<string, tf.Tensor> = {};
      const bn = (n: string, y: tf.Tensor4D) => batchNorm(params, buffers, n, y, training, updates);
      let y = tf.relu(bn('bn1', conv(params, 'conv1', x, 2)));
      y = tf.maxPool(y, 3, 2, 1);
      for (const b of blocks) {
        let out: tf.Tensor4D;
        if (bottleneck) {
          out = tf.relu(bn(`${b.name}.bn1`, conv(params, `${b.name}.conv1`, y)));
          out = tf.relu(bn(`${b.name}.bn2`, conv(params, `${b.name}.conv2`, out, b.stride)));
          out = bn(`${b.name}.bn3`, conv(params, `${b.name}.conv3`, out));
        } else {
          out = tf.relu(bn(`${b.name}.bn1`, conv(params, `${b.name}.conv1`, y, b.stride)));
          out = bn(`${b.name}.bn2`, conv(params, `${b.name}.conv2`, out));
        }
        const shortcut = b.projection
          ? bn(`${b.name}.downsample.bn`, conv(params, `${b.name}.downsample.conv`, y, b.stride))
          : y;
        y = tf.relu(tf.add<tf.Tensor4D>(out, shortcut));
      }
      const logits = dense(params, 'fc', globalAveragePool(y));
      return training ? { logits, updatedBuffers: updates } : { logits };
    },
  };
}

export const imagenetResnet18 = resnet('imagenet_resnet_18', { blocksPerStage: [2, 2, 2, 2], bottleneck: false });
export const imagenetResnet50 = resnet('imagenet_resnet_50', { blocksPerStage: [3, 4, 6, 3], bottleneck: true });
