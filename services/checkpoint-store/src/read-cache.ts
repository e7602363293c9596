/**
 * Checkpoints never change under their id, so the store keeps the ones it just wrote or read in memory,
 * bounded in bytes. Most reads are of exactly those: the final weights a trainer just saved (read by the
 * pruner), the mask the pruner just wrote (read by the coordinator and the next trainer), the W_k every
 * round of a run starts from. Only bytes that hashed to their id enter, so a hit is as safe as a read.
 */
import type { CheckpointInfo, S3CheckpointStore } from '@rewind/s3-store';
import { LRUCache } from 'lru-cache';

interface Entry {
  readonly info: CheckpointInfo;
  readonly bytes: Uint8Array;
}

export function withReadCache(store: S3CheckpointStore, maxBytes: number): S3CheckpointStore {
  if (maxBytes === 0) return store;
  // One large checkpoint must not flush all the small ones.
  const maxEntryBytes = Math.floor(maxBytes / 8);
  const cache = new LRUCache<string, Entry>({ maxSize: maxBytes, maxEntrySize: maxEntryBytes, sizeCalculation: (e) => Math.max(1, e.bytes.length) });
  const cached: Partial<S3CheckpointStore> = {
    async getBytes(id) {
      const hit = cache.get(id);
      if (hit) return hit;
      const read = await store.getBytes(id);
      cache.set(id, read);
      return read;
    },
    async putBytes(pieces, expected, writtenBy) {
      const kept: Uint8Array[] = [];
      let size = 0;
      async function* keeping(): AsyncGenerator<Uint8Array> {
        for await (const piece of pieces) {
          size += piece.length;
          if (size <= maxEntryBytes) kept.push(piece);
          yield piece;
        }
      }
      const info = await store.putBytes(keeping(), expected, writtenBy);
      if (size <= maxEntryBytes) cache.set(info.id, { info, bytes: new Uint8Array(Buffer.concat(kept)) });
      return info;
    },
    async stat(id) {
      return cache.get(id)?.info ?? store.stat(id);
    },
    async lineage(id) {
      return cache.get(id)?.info.lineage ?? store.lineage(id);
    },
  };
  // The rest (getState, getMask, refs, lists) is the store's own, reading through the cached getBytes.
  return Object.assign(Object.create(store) as S3CheckpointStore, cached);
}
