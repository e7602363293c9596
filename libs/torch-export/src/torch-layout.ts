/**
 * Rewind's tensors under PyTorch's names and layouts, so `model.load_state_dict` takes a ticket:
 * dense kernels [in, out] become `weight` [out, in]; conv kernels HWIO become OIHW; batch norm's gamma and
 * beta become `weight` and `bias`, with `num_batches_tracked`; a dense layer fed by a flattened feature map
 * has its inputs reordered from NHWC's (h, w, c) to NCHW's (c, h, w). Pruned layers are written as
 * torch.nn.utils.prune leaves them: `weight_orig` and a BOOL `weight_mask`.
 */
import type { Mask, ModelName, TrainState } from '@rewind/core';
import type { Entry } from '@rewind/safetensors';

export interface TorchExportOptions {
  readonly model: ModelName;
  /** The dataset's [height, width, channels]: where a model flattens a feature map, it fixes the order. */
  readonly inputShape: readonly [number, number, number];
  /** `prune`: pruned layers as `weight_orig` + `weight_mask`; `none`: plain `weight`, zero where pruned. */
  readonly masks: 'prune' | 'none';
}

/** The dense layer that reads a flattened feature map, and that map's [h, w, c]; none after global pooling. */
export interface FlattenedInput {
  readonly layer: string;
  readonly shape: readonly [number, number, number];
}

const CONV_PAIR_FILTERS = [64, 128, 256];

export function flattenedInputOf(model: ModelName, [h, w, c]: readonly [number, number, number]): FlattenedInput | undefined {
  if (model === 'mnist_lenet_300_100') return { layer: 'fc1', shape: [h, w, c] };
  const conv = /^mnist_conv_(\d)$/.exec(model);
  if (conv) {
    const pairs = Number(conv[1]) / 2;
    return { layer: 'fc1', shape: [Math.floor(h / 2 ** pairs), Math.floor(w / 2 ** pairs), CONV_PAIR_FILTERS[pairs - 1]!] };
  }
  return undefined;
}

/** torchvision's ResNets keep the projection shortcut as `downsample.0` (conv) and `downsample.1` (BN). */
function torchModuleName(model: ModelName, module: string): string {
  if (!model.startsWith('imagenet_resnet_')) return module;
  return module.replace(/\.downsample\.conv$/, '.downsample.0').replace(/\.downsample\.bn$/, '.downsample.1');
}

/** The state dict's entries, sorted by name. Throws if a tensor's shape does not fit the model's layout. */
export function toTorchStateDict(state: TrainState, mask: Mask | undefined, options: TorchExportOptions): [string, Entry][] {
  const flattened = flattenedInputOf(options.model, options.inputShape);
  const out = new Map<string, Entry>();
  for (const [name, t] of Object.entries(state.params)) {
    const dot = name.lastIndexOf('.');
    const module = torchModuleName(options.model, name.slice(0, dot));
    const leaf = name.slice(dot + 1);
    if (leaf !== 'kernel') {
      const torchLeaf = { bias: 'bias', gamma: 'weight', beta: 'bias' }[leaf];
      if (!torchLeaf) throw new Error(`cannot export parameter ${name}: no PyTorch name for "${leaf}"`);
      out.set(`${module}.${torchLeaf}`, { dtype: 'F32', shape: [...t.shape], data: t.data });
      continue;
    }
    const layout = kernelLayout(name, t.shape, module === flattened?.layer ? flattened.shape : undefined);
    const weight = permute(t.data, layout);
    const m = mask?.[name];
    if (m && options.masks === 'prune') {
      out.set(`${module}.weight_orig`, { dtype: 'F32', shape: layout.torchShape, data: weight });
      out.set(`${module}.weight_mask`, { dtype: 'BOOL', shape: layout.torchShape, data: permute(m.data, layout) });
    } else {
      const kept = m ? permute(m.data, layout) : undefined;
      out.set(`${module}.weight`, { dtype: 'F32', shape: layout.torchShape, data: kept ? weight.map((v, i) => (kept[i] ? v : 0)) : weight });
    }
  }
  for (const [name, t] of Object.entries(state.buffers)) {
    const dot = name.lastIndexOf('.');
    const module = torchModuleName(options.model, name.slice(0, dot));
    out.set(`${module}.${name.slice(dot + 1)}`, { dtype: 'F32', shape: [...t.shape], data: t.data });
    // Torch's batch norm counts its training batches; with a fixed momentum it never reads the count.
    if (name.endsWith('.running_mean')) out.set(`${module}.num_batches_tracked`, { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(state.step)) });
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

interface Layout {
  /** The kernel viewed as [h, w, in, out] (a dense kernel: [1, 1, in, out], or the flattened map's [h, w, c, out]). */
  readonly hwio: readonly [number, number, number, number];
  readonly torchShape: number[];
}

function kernelLayout(name: string, shape: readonly number[], flattenedFrom: readonly [number, number, number] | undefined): Layout {
  if (shape.length === 4) {
    const [kh, kw, i, o] = shape as [number, number, number, number];
    return { hwio: [kh, kw, i, o], torchShape: [o, i, kh, kw] };
  }
  if (shape.length !== 2) throw new Error(`cannot export kernel ${name} of shape [${shape}]: expected a dense [in, out] or conv [h, w, in, out] kernel`);
  const [inputs, outputs] = shape as [number, number];
  if (!flattenedFrom) return { hwio: [1, 1, inputs, outputs], torchShape: [outputs, inputs] };
  const [h, w, c] = flattenedFrom;
  if (h * w * c !== inputs) throw new Error(`cannot export kernel ${name}: ${inputs} inputs do not match a flattened ${h}x${w}x${c} feature map`);
  return { hwio: [h, w, c, outputs], torchShape: [outputs, inputs] };
}

/** [h, w, i, o] → [o, i, h, w], the one permutation every kernel needs. */
function permute<T extends Float32Array | Uint8Array>(data: T, { hwio: [h, w, i, o] }: Layout): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < i; c++) {
        const from = ((y * w + x) * i + c) * o;
        for (let k = 0; k < o; k++) out[((k * i + c) * h + y) * w + x] = data[from + k]!;
      }
    }
  }
  return out;
}
