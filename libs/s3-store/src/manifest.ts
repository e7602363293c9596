/**
 * A checkpoint's manifest: the only object that makes a checkpoint visible. It is written after every
 * chunk it names, so a crash mid-upload leaves unreferenced chunks, never a half-written checkpoint.
 */
import type { Lineage } from '@rewind/runner';

export type PayloadKind = 'state' | 'mask';

export interface ChunkRef {
  /** SHA-256 of the chunk's bytes; also its object name under `chunks/`. */
  readonly sha256: string;
  readonly size: number;
}

export interface Manifest {
  readonly version: 1;
  /** SHA-256 of the whole safetensors file. */
  readonly id: string;
  readonly payload: PayloadKind;
  readonly size: number;
  readonly chunks: readonly ChunkRef[];
  readonly lineage: Lineage;
  /** Trace and span of the first write (not part of the content): lets a ticket's spans link to it. */
  readonly writtenBy?: SpanRef;
}

export interface SpanRef {
  readonly traceId: string;
  readonly spanId: string;
}

export const manifestKey = (id: string): string => `checkpoints/${id}.json`;
export const chunkKey = (sha256: string): string => `chunks/${sha256}`;
export const refKey = (name: string): string => `refs/${name}`;
export const CHECKPOINT_PREFIX = 'checkpoints/';

/** Payload kind from the safetensors `format` metadata written by @rewind/safetensors. */
export function payloadOfFormat(format: string | undefined): PayloadKind {
  if (format === 'rewind.train_state.v1') return 'state';
  if (format === 'rewind.mask.v1') return 'mask';
  throw new Error(`not a Rewind checkpoint: safetensors format is ${JSON.stringify(format ?? null)}`);
}

export function parseManifest(text: string, id: string): Manifest {
  const m = JSON.parse(text) as Manifest;
  if (m.version !== 1 || m.id !== id || !Array.isArray(m.chunks)) {
    throw new Error(`manifest of checkpoint ${id} is malformed`);
  }
  return m;
}
