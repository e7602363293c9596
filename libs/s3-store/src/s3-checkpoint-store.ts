/**
 * CheckpointStore on S3/MinIO. Checkpoints are the same safetensors bytes the embedded store writes, so
 * ids agree across modes. Layout: `chunks/<sha256>` (content-addressed pieces, shared between
 * checkpoints), `checkpoints/<id>.json` (manifest, written last), `refs/<name>` (mutable pointers).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CorruptCheckpointError, checkCheckpointId, checkPathName, type Mask, quoteBounded, type TrainState } from '@rewind/core';
import type { CheckpointStore, Lineage, StoredCheckpoint } from '@rewind/runner';
import { ChecksumMismatchError, contentId, decodeMask, decodeState, encodeMask, encodeState, verifyContent } from '@rewind/safetensors';
import type { Client } from 'minio';
import { s3Client } from './s3-client.ts';
import {
  CHECKPOINT_PREFIX,
  type ChunkRef,
  chunkKey,
  type Manifest,
  manifestKey,
  type PayloadKind,
  type SpanRef,
  parseManifest,
  payloadOfFormat,
  refKey,
} from './manifest.ts';
import type { S3Config } from './s3-config.ts';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.ts';
import { headerEnd, readMetadata } from './safetensors-header.ts';

export interface CheckpointInfo {
  readonly id: string;
  readonly payload: PayloadKind;
  readonly size: number;
  readonly lineage: Lineage;
  readonly writtenBy?: SpanRef;
}

export class CheckpointNotFoundError extends Error {
  override name = 'CheckpointNotFoundError';
}

/** A malformed request (bad prefix, page size); servers answer it with INVALID_ARGUMENT. */
export class InvalidArgumentError extends Error {
  override name = 'InvalidArgumentError';
}

const ID = /^[0-9a-f]{64}$/;

function isMissing(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export class S3CheckpointStore implements CheckpointStore {
  private readonly client: Client;
  private readonly server: string;

  private constructor(
    private readonly config: S3Config,
    private readonly retry: RetryPolicy,
  ) {
    this.client = s3Client(config);
    this.server = `${config.useSSL ? 'https' : 'http'}://${config.endPoint}:${config.port}`;
  }

  /** Connects (retrying while the server is down) and creates the bucket if it does not exist yet. */
  static async open(config: S3Config, retry: RetryPolicy = DEFAULT_RETRY): Promise<S3CheckpointStore> {
    const store = new S3CheckpointStore(config, retry);
    await store.call('bucket check', async () => {
      if (!(await store.client.bucketExists(config.bucket))) await store.client.makeBucket(config.bucket, config.region);
    });
    return store;
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(this.server, what, this.retry, fn);
  }

  private async getText(key: string): Promise<string | undefined> {
    try {
      return (await this.call(`get ${key}`, async () => readAll(await this.client.getObject(this.config.bucket, key)))).toString('utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private putObject(key: string, body: Buffer): Promise<unknown> {
    return this.call(`put ${key}`, () => this.client.putObject(this.config.bucket, key, body, body.length));
  }

  private async manifest(id: string): Promise<Manifest | undefined> {
    checkCheckpointId(id);
    const text = await this.getText(manifestKey(id));
    return text === undefined ? undefined : parseManifest(text, id);
  }

  private async requireManifest(id: string): Promise<Manifest> {
    const m = await this.manifest(id);
    if (m === undefined) throw new CheckpointNotFoundError(`checkpoint ${id} is not in bucket ${this.config.bucket}`);
    return m;
  }

  /**
   * Stores a safetensors checkpoint arriving in pieces of any size; returns its id. Chunks are uploaded as
   * they fill, so memory stays at one chunk; the manifest goes last.
   */
  async putBytes(
    pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected?: PayloadKind,
    writtenBy?: SpanRef,
  ): Promise<CheckpointInfo> {
    const whole = createHash('sha256');
    const chunks: ChunkRef[] = [];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let size = 0;
    let head = new Uint8Array(0);
    let metadata: Record<string, string> | undefined;

    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const body = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      const sha256 = createHash('sha256').update(body).digest('hex');
      await this.putObject(chunkKey(sha256), body);
      chunks.push({ sha256, size: body.length });
    };

    for await (const piece of pieces) {
      whole.update(piece);
      size += piece.length;
      if (metadata === undefined) {
        head = Buffer.concat([head, piece]);
        const end = headerEnd(head);
        if (end !== undefined && head.length >= end) metadata = readMetadata(head);
      }
      let rest = piece;
      while (rest.length > 0) {
        const take = Math.min(rest.length, this.config.chunkBytes - pendingBytes);
        pending.push(rest.subarray(0, take));
        pendingBytes += take;
        rest = rest.subarray(take);
        if (pendingBytes === this.config.chunkBytes) await flush();
      }
    }
    await flush();
    if (metadata === undefined) throw new InvalidArgumentError(`checkpoint upload of ${size} bytes is not a safetensors file`);
    const payload = uploadedPayload(metadata.format);
    if (expected !== undefined && payload !== expected) {
      throw new InvalidArgumentError(`checkpoint upload was declared a ${expected} but holds a ${payload}`);
    }
    const lineage = uploadedLineage(metadata.lineage);
    const id = whole.digest('hex');
    // A manifest naming exactly the chunks just written is already right; any other (unreadable, or the
    // leftover of a corrupt copy) is replaced, so storing a checkpoint again repairs it.
    const existing = await this.manifest(id).catch(() => undefined);
    if (existing !== undefined && sameChunks(existing.chunks, chunks) && describesSame(existing, { payload, size, lineage })) return infoOf(existing);
    const manifest: Manifest = { version: 1, id, payload, size, chunks, lineage, ...(writtenBy ? { writtenBy } : {}) };
    await this.putObject(manifestKey(id), Buffer.from(JSON.stringify(manifest)));
    return infoOf(manifest);
  }

  /** The checkpoint's bytes, every chunk and the whole verified against their hashes. */
  async getBytes(id: string): Promise<{ info: CheckpointInfo; bytes: Uint8Array }> {
    const m = await this.requireManifest(id);
    const parts: Buffer[] = [];
    for (const chunk of m.chunks) {
      const key = chunkKey(chunk.sha256);
      let body: Buffer;
      try {
        body = await this.call(`get ${key}`, async () => readAll(await this.client.getObject(this.config.bucket, key)));
      } catch (err) {
        if (isMissing(err)) throw new ChecksumMismatchError(id, 'missing', `chunk ${chunk.sha256} is gone`);
        throw err;
      }
      // Named by the checkpoint's id, not the chunk's: that is the id its producer can recompute.
      const actual = contentId(body);
      if (actual !== chunk.sha256) throw new ChecksumMismatchError(id, actual, `chunk ${key}`);
      parts.push(body);
    }
    // A plain Uint8Array, not a Buffer: Buffer#slice shares memory, which decoders copying via slice() don't expect.
    const bytes = new Uint8Array(Buffer.concat(parts));
    verifyContent(id, bytes, `bucket ${this.config.bucket}`);
    // The bytes are right; a manifest that parses yet misdescribes them (its payload, size or lineage) is
    // corrupt too: readers trust it, and storing the checkpoint again rewrites it.
    if (!describesSame(m, described(bytes))) {
      throw new CorruptCheckpointError(id, `checkpoint ${id} is corrupt (its manifest in bucket ${this.config.bucket} disagrees with its verified bytes)`);
    }
    return { info: infoOf(m), bytes };
  }

  async stat(id: string): Promise<CheckpointInfo | undefined> {
    const m = await this.manifest(id);
    return m === undefined ? undefined : infoOf(m);
  }

  /** Checkpoints whose id starts with `prefix`, in id order, a page at a time. */
  async list(prefix: string, pageSize = 100, pageToken = ''): Promise<{ items: CheckpointInfo[]; next: string }> {
    if (!/^[0-9a-f]{0,64}$/.test(prefix)) throw new InvalidArgumentError(`list prefix ${quoteBounded(prefix)} must be lowercase hex`);
    if (pageToken !== '') checkCheckpointId(pageToken, 'page token');
    const limit = Math.min(Math.max(pageSize, 1), 1000);
    const keys = await this.call('list checkpoints', async () => {
      const found: string[] = [];
      const start = pageToken === '' ? '' : manifestKey(pageToken);
      const stream = this.client.listObjectsV2(this.config.bucket, CHECKPOINT_PREFIX + prefix, true, start);
      for await (const item of stream) {
        const name = (item as { name?: string }).name;
        if (name !== undefined && name > start) found.push(name);
        if (found.length > limit) break;
      }
      stream.destroy();
      return found;
    });
    const ids = keys.map((k) => k.slice(CHECKPOINT_PREFIX.length, -'.json'.length)).filter((id) => ID.test(id));
    const page = ids.slice(0, limit);
    const items: CheckpointInfo[] = [];
    for (const id of page) {
      const info = await this.stat(id);
      if (info !== undefined) items.push(info);
    }
    return { items, next: ids.length > limit ? page[page.length - 1]! : '' };
  }

  async putState(state: TrainState, lineage: Lineage): Promise<string> {
    return (await this.putBytes([encodeState(state, lineage)], 'state')).id;
  }

  async getState(id: string): Promise<StoredCheckpoint<TrainState>> {
    const { info, bytes } = await this.getBytes(id);
    if (info.payload !== 'state') throw new Error(`checkpoint ${id} is a ${info.payload}, not a train state`);
    const { state, lineage } = decodeState<Lineage>(bytes);
    return { id, value: state, lineage };
  }

  async putMask(mask: Mask, lineage: Lineage): Promise<string> {
    return (await this.putBytes([encodeMask(mask, lineage)], 'mask')).id;
  }

  async getMask(id: string): Promise<StoredCheckpoint<Mask>> {
    const { info, bytes } = await this.getBytes(id);
    if (info.payload !== 'mask') throw new Error(`checkpoint ${id} is a ${info.payload}, not a mask`);
    const { mask, lineage } = decodeMask<Lineage>(bytes);
    return { id, value: mask, lineage };
  }

  async lineage(id: string): Promise<Lineage> {
    return (await this.requireManifest(id)).lineage;
  }

  async has(id: string): Promise<boolean> {
    return (await this.manifest(id)) !== undefined;
  }

  async setRef(name: string, id: string): Promise<void> {
    checkPathName('ref name', name);
    checkCheckpointId(id);
    await this.putObject(refKey(name), Buffer.from(id));
  }

  async getRef(name: string): Promise<string | undefined> {
    checkPathName('ref name', name);
    const id = await this.getText(refKey(name));
    // A ref written before names were checked, or by hand, is never passed on unchecked.
    return id === undefined ? undefined : checkCheckpointId(id.trim(), `ref ${name}`);
  }
}

const LINEAGE_KINDS: ReadonlySet<string> = new Set<Lineage['kind']>(['init', 'snapshot', 'final', 'mask', 'resume']);

/** What an upload's metadata says it is; anything else is the uploader's mistake. */
function uploadedPayload(format: string | undefined): PayloadKind {
  try {
    return payloadOfFormat(format);
  } catch (err) {
    throw new InvalidArgumentError(`checkpoint upload: ${(err as Error).message}`);
  }
}

function uploadedLineage(text: string | undefined): Lineage {
  let lineage: unknown;
  try {
    lineage = JSON.parse(text ?? '{}');
  } catch {
    throw new InvalidArgumentError('checkpoint upload: its lineage metadata is not JSON');
  }
  if (typeof lineage !== 'object' || lineage === null || Array.isArray(lineage)) {
    throw new InvalidArgumentError('checkpoint upload: its lineage metadata is not an object');
  }
  const { kind, experiment } = lineage as { kind?: unknown; experiment?: unknown };
  // Stored lineage is served back to every reader: one it can't describe would fail each of them.
  if (!LINEAGE_KINDS.has(kind as string) || typeof experiment !== 'string' || experiment === '') {
    throw new InvalidArgumentError(`checkpoint upload: its lineage needs a kind (${[...LINEAGE_KINDS].join(', ')}) and an experiment`);
  }
  return lineage as Lineage;
}

/** What a checkpoint's own bytes say it is. */
function described(bytes: Uint8Array): Pick<Manifest, 'payload' | 'size' | 'lineage'> {
  const metadata = readMetadata(bytes);
  return { payload: payloadOfFormat(metadata.format), size: bytes.length, lineage: uploadedLineage(metadata.lineage) };
}

function describesSame(m: Pick<Manifest, 'payload' | 'size' | 'lineage'>, actual: Pick<Manifest, 'payload' | 'size' | 'lineage'>): boolean {
  return m.payload === actual.payload && m.size === actual.size && JSON.stringify(m.lineage) === JSON.stringify(actual.lineage);
}

function sameChunks(a: readonly ChunkRef[], b: readonly ChunkRef[]): boolean {
  return a.length === b.length && a.every((c, i) => c.sha256 === b[i]!.sha256 && c.size === b[i]!.size);
}

function infoOf(m: Manifest): CheckpointInfo {
  return { id: m.id, payload: m.payload, size: m.size, lineage: m.lineage, ...(m.writtenBy ? { writtenBy: m.writtenBy } : {}) };
}
