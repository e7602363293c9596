/**
 * Train states and masks as safetensors, with their lineage in the header's metadata. Lineage is written
 * as canonical JSON, so the content id never depends on the order an adapter built the object in.
 */
import { canonicalJson, type HostTensor, type Mask, type MaskTensor, type TensorSet, type TrainState } from '@rewind/core';
import { decode, encode, type Entry, SafetensorsFormatError } from './codec.ts';

const STATE_FORMAT = 'rewind.train_state.v1';
const MASK_FORMAT = 'rewind.mask.v1';
const GROUPS = ['params', 'buffers', 'momentum'] as const;

export function encodeState(state: TrainState, lineage: object): Uint8Array {
  const entries: [string, Entry][] = [];
  for (const group of GROUPS) {
    for (const [name, t] of Object.entries(state[group])) entries.push([`${group}/${name}`, { dtype: 'F32', ...t }]);
  }
  return encode(entries, { format: STATE_FORMAT, step: String(state.step), lineage: canonicalJson(lineage) });
}

export function decodeState<L>(bytes: Uint8Array): { state: TrainState; lineage: L } {
  const { entries, metadata } = decode(bytes);
  expectFormat(metadata, STATE_FORMAT);
  const groups: Record<(typeof GROUPS)[number], Record<string, HostTensor>> = { params: {}, buffers: {}, momentum: {} };
  for (const [key, e] of entries) {
    const slash = key.indexOf('/');
    const group = key.slice(0, slash) as (typeof GROUPS)[number];
    if (!(group in groups) || e.dtype !== 'F32') throw new SafetensorsFormatError(`unexpected tensor ${key} (${e.dtype})`);
    groups[group][key.slice(slash + 1)] = { shape: e.shape, data: e.data as Float32Array };
  }
  const state: TrainState = { step: Number(metadata.step), ...groups };
  return { state, lineage: JSON.parse(metadata.lineage ?? '{}') as L };
}

export function encodeMask(mask: Mask, lineage: object): Uint8Array {
  const entries: [string, Entry][] = Object.entries(mask).map(([name, t]) => [name, { dtype: 'U8', ...t }]);
  return encode(entries, { format: MASK_FORMAT, lineage: canonicalJson(lineage) });
}

export function decodeMask<L>(bytes: Uint8Array): { mask: Mask; lineage: L } {
  const { entries, metadata } = decode(bytes);
  expectFormat(metadata, MASK_FORMAT);
  const mask: Record<string, MaskTensor> = {};
  for (const [name, e] of entries) {
    if (e.dtype !== 'U8') throw new SafetensorsFormatError(`mask tensor ${name} has dtype ${e.dtype}, expected U8`);
    mask[name] = { shape: e.shape, data: e.data as Uint8Array };
  }
  return { mask, lineage: JSON.parse(metadata.lineage ?? '{}') as L };
}

/** Lineage alone, reading only the header. */
export function decodeLineage<L>(bytes: Uint8Array): L {
  return JSON.parse(decode(bytes).metadata.lineage ?? '{}') as L;
}

function expectFormat(metadata: Readonly<Record<string, string>>, format: string): void {
  if (metadata.format !== format) {
    throw new SafetensorsFormatError(`expected a ${format} file, found format ${JSON.stringify(metadata.format ?? null)}`);
  }
}

export type { TensorSet };
