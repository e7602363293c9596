/** The embedded default's checkpoint store: content-addressed safetensors files in a directory. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mask, TrainState } from '@rewind/core';
import { contentId, decodeLineage, decodeMask, decodeState, encodeMask, encodeState, verifyContent } from '@rewind/safetensors';
import { writeFileAtomic } from './atomic-file.ts';
import type { CheckpointStore, Lineage, StoredCheckpoint } from '@rewind/runner';

export class CheckpointNotFoundError extends Error {
  override name = 'CheckpointNotFoundError';
}

export class LocalDirStore implements CheckpointStore {
  constructor(readonly dir: string) {}

  private objectPath(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new CheckpointNotFoundError(`${JSON.stringify(id)} is not a checkpoint id (64 hex digits)`);
    return join(this.dir, 'objects', id.slice(0, 2), `${id}.safetensors`);
  }

  private async put(bytes: Uint8Array): Promise<string> {
    const id = contentId(bytes);
    await writeFileAtomic(this.objectPath(id), bytes);
    return id;
  }

  /** Reads and verifies: a corrupt file is an error, never silently wrong weights. */
  private async read(id: string): Promise<Uint8Array> {
    const path = this.objectPath(id);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointNotFoundError(`checkpoint ${id} is not in ${this.dir}`);
      throw e;
    }
    verifyContent(id, bytes, path);
    return bytes;
  }

  putState(state: TrainState, lineage: Lineage): Promise<string> {
    return this.put(encodeState(state, lineage));
  }

  async getState(id: string): Promise<StoredCheckpoint<TrainState>> {
    const { state, lineage } = decodeState<Lineage>(await this.read(id));
    return { id, value: state, lineage };
  }

  putMask(mask: Mask, lineage: Lineage): Promise<string> {
    return this.put(encodeMask(mask, lineage));
  }

  async getMask(id: string): Promise<StoredCheckpoint<Mask>> {
    const { mask, lineage } = decodeMask<Lineage>(await this.read(id));
    return { id, value: mask, lineage };
  }

  async lineage(id: string): Promise<Lineage> {
    return decodeLineage<Lineage>(await this.read(id));
  }

  async has(id: string): Promise<boolean> {
    try {
      await readFile(this.objectPath(id));
      return true;
    } catch {
      return false;
    }
  }

  async setRef(name: string, id: string): Promise<void> {
    await writeFileAtomic(this.refPath(name), id);
  }

  async getRef(name: string): Promise<string | undefined> {
    try {
      return (await readFile(this.refPath(name), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  private refPath(name: string): string {
    return join(this.dir, 'refs', ...name.split('/').map(encodeURIComponent));
  }
}
