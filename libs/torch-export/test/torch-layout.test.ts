/** The PyTorch layout, index by index, on small hand-made tensors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor, TrainState } from '@rewind/core';
import { toTorchStateDict } from '@rewind/torch-export';

const tensor = (shape: number[]): HostTensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i) });
const state = (params: Record<string, HostTensor>, buffers: Record<string, HostTensor> = {}): TrainState => ({ step: 7, params, buffers, momentum: {} });
const asObject = (entries: ReturnType<typeof toTorchStateDict>) => Object.fromEntries(entries.map(([n, e]) => [n, { dtype: e.dtype, shape: e.shape, data: [...e.data] }]));

test('a dense kernel [in, out] becomes weight [out, in]; biases keep their name', () => {
  const out = asObject(
    toTorchStateDict(state({ 'fc.kernel': tensor([2, 3]), 'fc.bias': tensor([3]) }), undefined, {
      model: 'cifar_resnet_20',
      inputShape: [32, 32, 3],
      masks: 'prune',
    }),
  );
  // kernel[i][o] = 3i + o; weight[o][i] must equal it.
  assert.deepEqual(out['fc.weight'], { dtype: 'F32', shape: [3, 2], data: [0, 3, 1, 4, 2, 5] });
  assert.deepEqual(out['fc.bias']!.data, [0, 1, 2]);
});

test('a conv kernel HWIO becomes OIHW', () => {
  const out = asObject(toTorchStateDict(state({ 'conv.kernel': tensor([1, 2, 2, 3]) }), undefined, { model: 'cifar_resnet_20', inputShape: [32, 32, 3], masks: 'prune' }));
  const w = out['conv.weight']!;
  assert.deepEqual(w.shape, [3, 2, 1, 2]);
  // HWIO index ((h*2 + x)*2 + i)*3 + o = value; OIHW index ((o*2 + i)*1 + h)*2 + x.
  for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let x = 0; x < 2; x++) assert.equal(w.data[(o * 2 + i) * 2 + x], (x * 2 + i) * 3 + o);
});

test("LeNet's first layer reads NCHW's (c, h, w) order instead of NHWC's (h, w, c)", () => {
  const out = asObject(toTorchStateDict(state({ 'fc1.kernel': tensor([4, 1]) }), undefined, { model: 'mnist_lenet_300_100', inputShape: [1, 2, 2], masks: 'prune' }));
  // Rows in NHWC order: (x0,c0)=0, (x0,c1)=1, (x1,c0)=2, (x1,c1)=3; NCHW order: (c0,x0), (c0,x1), (c1,x0), (c1,x1).
  assert.deepEqual(out['fc1.weight']!.data, [0, 2, 1, 3]);
  assert.throws(
    () => toTorchStateDict(state({ 'fc1.kernel': tensor([5, 1]) }), undefined, { model: 'mnist_lenet_300_100', inputShape: [1, 2, 2], masks: 'prune' }),
    /5 inputs do not match a flattened 1x2x2 feature map/,
  );
});

test('batch norm is weight, bias, running statistics and num_batches_tracked (the step, as I64)', () => {
  const entries = toTorchStateDict(state({ 'bn.gamma': tensor([2]), 'bn.beta': tensor([2]) }, { 'bn.running_mean': tensor([2]), 'bn.running_var': tensor([2]) }), undefined, {
    model: 'cifar_resnet_20',
    inputShape: [32, 32, 3],
    masks: 'prune',
  });
  assert.deepEqual(
    entries.map(([n, e]) => [n, e.dtype]),
    [
      ['bn.bias', 'F32'],
      ['bn.num_batches_tracked', 'I64'],
      ['bn.running_mean', 'F32'],
      ['bn.running_var', 'F32'],
      ['bn.weight', 'F32'],
    ],
  );
  assert.equal(entries[1]![1].data[0], 7n);
});

test('pruned layers as torch.nn.utils.prune leaves them, or as plain weights zeroed by the mask', () => {
  const mask = { 'fc.kernel': { shape: [2, 2], data: Uint8Array.of(1, 0, 1, 1) } };
  const params = { 'fc.kernel': { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } };
  const pruned = asObject(toTorchStateDict(state(params), mask, { model: 'cifar_resnet_20', inputShape: [32, 32, 3], masks: 'prune' }));
  assert.deepEqual(Object.keys(pruned), ['fc.weight_mask', 'fc.weight_orig']);
  assert.deepEqual(pruned['fc.weight_orig']!.data, [1, 3, 2, 4]);
  assert.deepEqual(pruned['fc.weight_mask'], { dtype: 'BOOL', shape: [2, 2], data: [1, 1, 0, 1] });
  const plain = asObject(toTorchStateDict(state(params), mask, { model: 'cifar_resnet_20', inputShape: [32, 32, 3], masks: 'none' }));
  assert.deepEqual(plain['fc.weight']!.data, [1, 3, 0, 4]);
});

test("ImageNet ResNets' projection shortcuts take torchvision's downsample.0 / downsample.1 names", () => {
  const entries = toTorchStateDict(
    state({ 'layer2.0.downsample.conv.kernel': tensor([1, 1, 1, 1]), 'layer2.0.downsample.bn.gamma': tensor([1]) }),
    undefined,
    { model: 'imagenet_resnet_18', inputShape: [224, 224, 3], masks: 'prune' },
  );
  assert.deepEqual(
    entries.map(([n]) => n),
    ['layer2.0.downsample.0.weight', 'layer2.0.downsample.1.weight'],
  );
});

test('an unknown parameter kind is an error, not a silently wrong file', () => {
  assert.throws(
    () => toTorchStateDict(state({ 'x.scale': tensor([1]) }), undefined, { model: 'cifar_resnet_20', inputShape: [32, 32, 3], masks: 'prune' }),
    /no PyTorch name for "scale"/,
  );
});
