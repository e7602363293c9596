/**
 * Host-side parameter initialisation. Each tensor draws from its own stream
 * `rngFor(initSeed, 'init', name)`, so values depend only on the seed and the name, never on
 * the backend or on which other layers exist.
 */
import { type HostTensor, rngFor, sizeOf, type TensorSet } from '@rewind/core';
import type { ModelInit } from './model.ts';

export class ParamBuilder {
  private readonly params: Record<string, HostTensor> = {};
  private readonly buffers: Record<string, HostTensor> = {};

  constructor(private readonly initSeed: number) {}

  /** Dense layer `name.kernel` [in, out] and `name.bias` [out]. */
  dense(name: string, inputs: number, outputs: number): this {
    this.params[`${name}.kernel`] = this.kaiming(`${name}.kernel`, [inputs, outputs], inputs);
    this.params[`${name}.bias`] = filled([outputs], 0);
    return this;
  }

  /** Conv layer `name.kernel` [k, k, in, out], with `name.bias` [out] when asked. */
  conv(name: string, size: number, inputs: number, outputs: number, bias: boolean): this {
    this.params[`${name}.kernel`] = this.kaiming(`${name}.kernel`, [size, size, inputs, outputs], size * size * inputs);
    if (bias) this.params[`${name}.bias`] = filled([outputs], 0);
    return this;
  }

  batchNorm(name: string, channels: number): this {
    this.params[`${name}.gamma`] = filled([channels], 1);
    this.params[`${name}.beta`] = filled([channels], 0);
    this.buffers[`${name}.running_mean`] = filled([channels], 0);
    this.buffers[`${name}.running_var`] = filled([channels], 1);
    return this;
  }

  build(): ModelInit {
    return { params: this.params as TensorSet, buffers: this.buffers as TensorSet };
  }

  /** Kaiming normal with fan-in and the ReLU gain: std = sqrt(2 / fanIn). */
  private kaiming(name: string, shape: number[], fanIn: number): HostTensor {
    const rng = rngFor(this.initSeed, 'init', name);
    const std = Math.sqrt(2 / fanIn);
    const data = new Float32Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    return { shape, data };
  }
}

function filled(shape: number[], value: number): HostTensor {
  return { shape, data: new Float32Array(sizeOf(shape)).fill(value) };
}
