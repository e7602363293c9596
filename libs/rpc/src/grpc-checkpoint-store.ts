/**
 * The CheckpointStore port as a client of the checkpoint-store service. Checkpoints cross the wire as
 * their safetensors bytes in 1 MiB pieces; ids are re-verified here, so a corrupt transfer is an error.
 */
import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import { CorruptCheckpointError, type Mask, type TrainState } from '@rewind/core';
import type { CheckpointStore, Lineage, StoredCheckpoint } from '@rewind/runner';
import { decodeMask, decodeState, encodeMask, encodeState, verifyContent } from '@rewind/safetensors';
import {
  type CheckpointInfo as InfoMessage,
  CheckpointStoreServiceClient,
  PayloadKind,
} from '../generated/rewind/v1/checkpoint_store.ts';
import { type CallSettings, channelOptions, deadlineOf, unary } from './client.ts';
import { RemoteError } from './errors.ts';
import { callWithRetry, serviceRetry } from './retry.ts';
import { channelCredentials } from './tls.ts';
import { lineageFromMessage } from './lineage-convert.ts';

const PIECE_BYTES = 1024 * 1024;
/** Per attempt: a checkpoint transfer that takes longer is retried, not waited on forever. */
const TRANSFER_TIMEOUT_MS = 5 * 60_000;

export interface RemoteCheckpointInfo {
  readonly id: string;
  readonly payload: 'state' | 'mask';
  readonly size: number;
  readonly lineage: Lineage;
  readonly writtenBy?: { traceId: string; spanId: string };
}

export function infoFromMessage(m: InfoMessage | undefined): RemoteCheckpointInfo {
  if (m === undefined) throw new Error('checkpoint info missing from response');
  return {
    id: m.id,
    payload: m.payload === PayloadKind.PAYLOAD_KIND_MASK ? 'mask' : 'state',
    size: m.size,
    lineage: lineageFromMessage(m.lineage, `checkpoint ${m.id}`),
    ...(m.writtenBy?.spanId ? { writtenBy: { traceId: m.writtenBy.traceId, spanId: m.writtenBy.spanId } } : {}),
  };
}

export class GrpcCheckpointStore implements CheckpointStore {
  private readonly client: CheckpointStoreServiceClient;
  private readonly settings: CallSettings;

  constructor(address: string, settings: Partial<CallSettings> = {}) {
    this.client = new CheckpointStoreServiceClient(address, settings.credentials ?? channelCredentials(), channelOptions());
    this.settings = { server: `checkpoint-store at ${address}`, retry: serviceRetry(), timeoutMs: TRANSFER_TIMEOUT_MS, ...settings };
  }

  close(): void {
    this.client.close();
  }

  async putBytes(bytes: Uint8Array, payload: 'state' | 'mask'): Promise<string> {
    return callWithRetry(this.settings.server, this.settings.retry ?? serviceRetry(), () =>
      new Promise<string>((resolve, reject) => {
        const call = this.client.putCheckpoint(new Metadata(), { deadline: deadlineOf(this.settings) }, (err: ServiceError | null, res) =>
          err ? reject(err) : resolve(res.id),
        );
        call.write({
          part: {
            $case: 'header',
            value: { payload: payload === 'state' ? PayloadKind.PAYLOAD_KIND_STATE : PayloadKind.PAYLOAD_KIND_MASK, size: bytes.length },
          },
        });
        for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
          call.write({ part: { $case: 'data', value: Buffer.from(bytes.subarray(at, at + PIECE_BYTES)) } });
        }
        call.end();
      }),
    );
  }

  async getBytes(id: string): Promise<{ info: RemoteCheckpointInfo; bytes: Uint8Array }> {
    try {
      return await this.fetchBytes(id);
    } catch (err) {
      // DATA_LOSS: the store found the checkpoint corrupt. Typed again, so callers can have it recomputed.
      if (err instanceof RemoteError && err.code === GrpcStatus.DATA_LOSS) throw new CorruptCheckpointError(id, err.message, { cause: err });
      throw err;
    }
  }

  private fetchBytes(id: string): Promise<{ info: RemoteCheckpointInfo; bytes: Uint8Array }> {
    return callWithRetry(this.settings.server, this.settings.retry ?? serviceRetry(), async () => {
      const stream = this.client.getCheckpoint({ id }, new Metadata(), { deadline: deadlineOf(this.settings) });
      let info: RemoteCheckpointInfo | undefined;
      const parts: Buffer[] = [];
      for await (const message of stream) {
        const part = (message as { part?: { $case: 'info'; value: InfoMessage } | { $case: 'data'; value: Buffer } }).part;
        if (part?.$case === 'info') info = infoFromMessage(part.value);
        else if (part?.$case === 'data') parts.push(part.value);
      }
      if (info === undefined) throw new Error(`${this.settings.server} sent checkpoint ${id} without its header`);
      // A plain Uint8Array: decoders copy tensors out with slice(), which on a Buffer would share memory.
      const bytes = new Uint8Array(Buffer.concat(parts));
      verifyContent(id, bytes, `received from ${this.settings.server}`);
      return { info, bytes };
    });
  }

  /** Info without the bytes, or undefined if absent. */
  async stat(id: string): Promise<RemoteCheckpointInfo | undefined> {
    try {
      const res = await unary(this.settings, this.client.statCheckpoint.bind(this.client), { id });
      return infoFromMessage(res.info);
    } catch (err) {
      if (err instanceof RemoteError && err.code === 5) return undefined;
      throw err;
    }
  }

  async list(prefix: string, pageSize = 100, pageToken = ''): Promise<{ items: RemoteCheckpointInfo[]; next: string }> {
    const res = await unary(this.settings, this.client.listCheckpoints.bind(this.client), { prefix, pageSize, pageToken });
    return { items: res.checkpoints.map(infoFromMessage), next: res.nextPageToken };
  }

  async putState(state: TrainState, lineage: Lineage): Promise<string> {
    return this.putBytes(encodeState(state, lineage), 'state');
  }

  async getState(id: string): Promise<StoredCheckpoint<TrainState>> {
    const { info, bytes } = await this.getBytes(id);
    if (info.payload !== 'state') throw new Error(`checkpoint ${id} is a ${info.payload}, not a train state`);
    const { state, lineage } = decodeState<Lineage>(bytes);
    return { id, value: state, lineage };
  }

  async putMask(mask: Mask, lineage: Lineage): Promise<string> {
    return this.putBytes(encodeMask(mask, lineage), 'mask');
  }

  async getMask(id: string): Promise<StoredCheckpoint<Mask>> {
    const { info, bytes } = await this.getBytes(id);
    if (info.payload !== 'mask') throw new Error(`checkpoint ${id} is a ${info.payload}, not a mask`);
    const { mask, lineage } = decodeMask<Lineage>(bytes);
    return { id, value: mask, lineage };
  }

  async lineage(id: string): Promise<Lineage> {
    const res = await unary(this.settings, this.client.getLineage.bind(this.client), { id });
    return lineageFromMessage(res.lineage, `checkpoint ${id}`);
  }

  async has(id: string): Promise<boolean> {
    return (await this.stat(id)) !== undefined;
  }

  async setRef(name: string, id: string): Promise<void> {
    await unary(this.settings, this.client.setRef.bind(this.client), { name, id });
  }

  async getRef(name: string): Promise<string | undefined> {
    return (await unary(this.settings, this.client.getRef.bind(this.client), { name })).id;
  }
}
