import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MODEL_NAMES, type ModelName, type TensorSet } from '@rewind/core';
import { ensureBackend, getModel, type InputShape, MODEL_LIST, type ModelInit } from '@rewind/engine';
import * as tf from '@tensorflow/tfjs-core';

before(() => ensureBackend());

const hp = (name: ModelName, initSeed = 7, width = 1) => ({ name, initSeed, width });

function count(set: TensorSet, filter: (name: string) => boolean = () => true): number {
  return Object.entries(set)
    .filter(([name]) => filter(name))
    .reduce((n, [, t]) => n + t.data.length, 0);
}

const isKernel = (name: string) => name.endsWith('.kernel');

// Initialising the big models takes a second each; tests that only read them share one init.
const inits = new Map<string, ModelInit>();
function initOf(name: ModelName, shape: InputShape, classes: number): ModelInit {
  const key = `${name} ${shape.join('x')} ${classes}`;
  let init = inits.get(key);
  if (!init) {
    init = getModel(name).init(hp(name), shape, classes);
    inits.set(key, init);
  }
  return init;
}

test('the registry serves every model name of the spec', () => {
  assert.deepEqual([...MODEL_LIST], [...MODEL_NAMES]);
  for (const name of MODEL_NAMES) assert.equal(getModel(name).name, name);
});

test('parameter counts match the published architectures', () => {
  const total = (name: ModelName, shape: InputShape, classes: number) => count(initOf(name, shape, classes).params);
  const weights = (name: ModelName, shape: InputShape) => count(initOf(name, shape, 10).params, isKernel);
  assert.equal(total('mnist_lenet_300_100', [28, 28, 1], 10), 266_610);
  assert.equal(total('cifar_resnet_20', [32, 32, 3], 10), 272_474);
  assert.equal(total('imagenet_resnet_18', [32, 32, 3], 1000), 11_689_512);
  assert.equal(total('imagenet_resnet_50', [32, 32, 3], 1000), 25_557_032);
  const vgg16 = total('cifar_vgg_16', [32, 32, 3], 10);
  assert.ok(vgg16 > 14_700_000 && vgg16 < 14_750_000, `vgg16 ${vgg16}`);
  // Weight counts of the lottery ticket paper (Frankle & Carbin 2019, figure 2): 4.3M, 2.4M, 20M.
  assert.equal(Math.round(weights('mnist_conv_2', [32, 32, 3]) / 1e5), 43);
  assert.equal(Math.round(weights('mnist_conv_4', [32, 32, 3]) / 1e5), 24);
  assert.equal(Math.round(weights('cifar_vgg_19', [32, 32, 3]) / 1e6), 20);
  // Conv-6 by its layer list: convs 1,144,512 + dense 4096*256 + 256*256 + 256*10.
  assert.equal(weights('mnist_conv_6', [32, 32, 3]), 1_144_512 + 1_048_576 + 65_536 + 2_560);
});

test('ResNet-20 width multiplies every segment: twice the width quadruples the inner convs', () => {
  const model = getModel('cifar_resnet_20');
  const narrow = count(model.init(hp('cifar_resnet_20'), [32, 32, 3], 10).params, isKernel);
  const wide = count(model.init(hp('cifar_resnet_20', 7, 2), [32, 32, 3], 10).params, isKernel);
  // Every conv quadruples except the stem (3 input channels) and the classifier, which double.
  const fc = 64 * 10;
  const stem = 3 * 3 * 3 * 16;
  assert.equal(wide - 2 * fc - 2 * stem, 4 * (narrow - fc - stem));
});

test('init is a pure function of seed and parameter name', () => {
  const lenet = getModel('mnist_lenet_300_100');
  const a = lenet.init(hp('mnist_lenet_300_100', 3), [28, 28, 1], 10);
  const b = lenet.init(hp('mnist_lenet_300_100', 3), [28, 28, 1], 10);
  const fewerClasses = lenet.init(hp('mnist_lenet_300_100', 3), [28, 28, 1], 5);
  const otherSeed = lenet.init(hp('mnist_lenet_300_100', 4), [28, 28, 1], 10);
  assert.deepEqual(a, b);
  assert.deepEqual(fewerClasses.params['fc1.kernel'], a.params['fc1.kernel']);
  assert.notDeepEqual(otherSeed.params['fc1.kernel']!.data.subarray(0, 10), a.params['fc1.kernel']!.data.subarray(0, 10));
});

test('kernels are kaiming-normal for ReLU with fan-in; biases 0; batch norm scale 1, offset 0, stats 0/1', () => {
  const { params, buffers } = getModel('cifar_resnet_20').init(hp('cifar_resnet_20'), [32, 32, 3], 10);
  const kernel = params['blocks.8.conv2.kernel']!;
  assert.deepEqual(kernel.shape, [3, 3, 64, 64]);
  let sum = 0;
  let squares = 0;
  for (const v of kernel.data) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / kernel.data.length;
  const std = Math.sqrt(squares / kernel.data.length - mean * mean);
  const expected = Math.sqrt(2 / (3 * 3 * 64));
  assert.ok(Math.abs(std / expected - 1) < 0.02, `std ${std} vs ${expected}`);
  assert.ok(Math.abs(mean) < 0.01 * expected * 10);
  assert.ok(params['fc.bias']!.data.every((v) => v === 0));
  assert.ok(params['bn.gamma']!.data.every((v) => v === 1));
  assert.ok(params['bn.beta']!.data.every((v) => v === 0));
  assert.ok(buffers['blocks.3.shortcut.bn.running_mean']!.data.every((v) => v === 0));
  assert.ok(buffers['blocks.3.shortcut.bn.running_var']!.data.every((v) => v === 1));
});

test('prunable is exactly the conv and dense kernels, and includes the output layer', () => {
  for (const name of MODEL_NAMES) {
    const model = getModel(name);
    const classes = name.startsWith('imagenet') ? 1000 : 10;
    const { params } = initOf(name, [32, 32, 3], classes);
    assert.deepEqual([...model.prunable].sort(), Object.keys(params).filter(isKernel).sort(), name);
    assert.ok(model.prunable.includes(model.outputLayer), name);
    assert.equal(params[model.outputLayer]!.shape.at(-1), classes, name);
  }
});

interface ForwardCase {
  readonly name: ModelName;
  readonly shape: InputShape;
}

const FORWARD_CASES: readonly ForwardCase[] = [
  { name: 'mnist_lenet_300_100', shape: [28, 28, 1] },
  { name: 'mnist_conv_2', shape: [28, 28, 1] },
  { name: 'mnist_conv_2', shape: [32, 32, 3] },
  { name: 'mnist_conv_4', shape: [28, 28, 1] },
  { name: 'mnist_conv_4', shape: [32, 32, 3] },
  { name: 'mnist_conv_6', shape: [28, 28, 1] },
  { name: 'mnist_conv_6', shape: [32, 32, 3] },
  { name: 'cifar_resnet_20', shape: [32, 32, 3] },
  { name: 'cifar_vgg_16', shape: [16, 16, 3] },
  { name: 'cifar_vgg_19', shape: [16, 16, 3] },
  { name: 'imagenet_resnet_18', shape: [32, 32, 3] },
  { name: 'imagenet_resnet_50', shape: [32, 32, 3] },
];

for (const { name, shape } of FORWARD_CASES) {
  test(`${name} on ${shape.join('x')} gives [batch, classes] logits, and new BN statistics when training`, () => {
    const model = getModel(name);
    const classes = name.startsWith('imagenet') ? 1000 : 10;
    const { params, buffers } = initOf(name, shape, classes);
    const before = tf.memory().numTensors;
    const upload = (set: TensorSet) =>
      Object.fromEntries(Object.entries(set).map(([k, t]) => [k, tf.tensor(t.data, [...t.shape])]));
    const p = upload(params);
    const b = upload(buffers);
    tf.tidy(() => {
      const x = tf.randomNormal([1, ...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
      const inference = model.forward(p, b, x, false);
      assert.deepEqual(inference.logits.shape, [1, classes]);
      assert.equal(inference.updatedBuffers, undefined);
      assert.ok(Number.isFinite(tf.sum(tf.abs(inference.logits)).dataSync()[0]));
      const training = model.forward(p, b, x, true);
      assert.deepEqual(training.logits.shape, [1, classes]);
      const updated = Object.keys(training.updatedBuffers ?? {}).sort();
      assert.deepEqual(updated, Object.keys(buffers).sort());
    });
    tf.dispose([...Object.values(p), ...Object.values(b)]);
    assert.equal(tf.memory().numTensors, before);
  });
}
