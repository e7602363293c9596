/** Model lookup by open_lth name, and the input check every caller needs before `init`. */
import { MODEL_NAMES, type ModelName } from '@rewind/core';
import { cifarResnet20 } from './cifar-resnet.ts';
import { cifarVgg16, cifarVgg19 } from './cifar-vgg.ts';
import { imagenetResnet18, imagenetResnet50 } from './imagenet-resnet.ts';
import { mnistConv2, mnistConv4, mnistConv6 } from './mnist-conv.ts';
import { mnistLenet300100 } from './mnist-lenet.ts';
import type { InputShape, ModelDefinition } from './model.ts';

const MODELS: Record<ModelName, ModelDefinition> = {
  mnist_lenet_300_100: mnistLenet300100,
  mnist_conv_2: mnistConv2,
  mnist_conv_4: mnistConv4,
  mnist_conv_6: mnistConv6,
  cifar_resnet_20: cifarResnet20,
  cifar_vgg_16: cifarVgg16,
  cifar_vgg_19: cifarVgg19,
  imagenet_resnet_18: imagenetResnet18,
  imagenet_resnet_50: imagenetResnet50,
};

export const MODEL_LIST: readonly ModelName[] = MODEL_NAMES;

export function getModel(name: ModelName): ModelDefinition {
  const model = MODELS[name];
  if (!model) throw new Error(`unknown model ${JSON.stringify(name)}; known: ${MODEL_NAMES.join(', ')}`);
  return model;
}

/** Throws a readable error when `inputShape` is too small for the model's downsampling. */
export function checkInputShape(model: ModelDefinition, inputShape: InputShape): void {
  const [h, w, c] = inputShape;
  const ok = [h, w, c].every((d) => Number.isInteger(d) && d > 0);
  if (!ok || h < model.minInputSize || w < model.minInputSize) {
    throw new Error(
      `${model.name} needs inputs of at least ${model.minInputSize}x${model.minInputSize} (designed for ` +
        `${model.nominalInputShape.join('x')}), got ${inputShape.join('x')}`,
    );
  }
}
