/** The CheckpointStore gRPC API over an S3CheckpointStore: streams in and out, nothing else. */
import type { ServerReadableStream } from '@grpc/grpc-js';
import {
  type CheckpointInfo,
  type CheckpointStoreServiceServer,
  InvalidArgumentError,
  lineageToMessage,
  PayloadKind,
  type PutCheckpointRequest,
  streamHandler,
  toServiceError,
  unaryHandler,
} from '@rewind/rpc';
import type { CheckpointInfo as StoredInfo, S3CheckpointStore } from '@rewind/s3-store';
import { ATTR, activeSpanRef, contextFromMetadata, inSpan } from '@rewind/telemetry';

const PIECE_BYTES = 1024 * 1024;

function infoMessage(info: StoredInfo): CheckpointInfo {
  return {
    id: info.id,
    payload: info.payload === 'mask' ? PayloadKind.PAYLOAD_KIND_MASK : PayloadKind.PAYLOAD_KIND_STATE,
    size: info.size,
    lineage: lineageToMessage(info.lineage),
    writtenBy: info.writtenBy,
  };
}

/** The uploaded bytes, after checking the stream starts with a header and delivers exactly its size. */
async function* uploadedBytes(call: ServerReadableStream<PutCheckpointRequest, unknown>, header: { payload?: 'state' | 'mask' }) {
  let expected: number | undefined;
  let received = 0;
  for await (const message of call) {
    const part = (message as PutCheckpointRequest).part;
    if (part?.$case === 'header') {
      if (expected !== undefined) throw new InvalidArgumentError('checkpoint upload sent two headers');
      expected = part.value.size;
      header.payload = part.value.payload === PayloadKind.PAYLOAD_KIND_MASK ? 'mask' : 'state';
    } else if (part?.$case === 'data') {
      if (expected === undefined) throw new InvalidArgumentError('checkpoint upload must start with its header');
      received += part.value.length;
      if (received > expected) throw new InvalidArgumentError(`checkpoint upload is longer than the ${expected} bytes announced`);
      yield part.value;
    }
  }
  if (expected === undefined || received !== expected) {
    throw new InvalidArgumentError(`checkpoint upload ended after ${received} of ${expected ?? '?'} bytes`);
  }
}

export function storeService(store: S3CheckpointStore): CheckpointStoreServiceServer {
  return {
    putCheckpoint: (call, callback) => {
      inSpan('checkpoint.put', { parent: contextFromMetadata(call.metadata) }, async (span) => {
        const header: { payload?: 'state' | 'mask' } = {};
        const info = await store.putBytes(uploadedBytes(call, header), undefined, activeSpanRef());
        if (header.payload !== undefined && header.payload !== info.payload) {
          throw new InvalidArgumentError(`checkpoint upload was declared a ${header.payload} but holds a ${info.payload}`);
        }
        span.setAttribute(ATTR.checkpoint, info.id);
        span.setAttribute(ATTR.experiment, info.lineage.experiment);
        return { id: info.id };
      }).then(
        (res) => callback(null, res),
        (err) => callback(toServiceError(err)),
      );
    },
    getCheckpoint: streamHandler(
      'checkpoint.get',
      async (request, call) => {
        const { info, bytes } = await store.getBytes(request.id);
        call.write({ part: { $case: 'info', value: infoMessage(info) } });
        for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
          call.write({ part: { $case: 'data', value: Buffer.from(bytes.subarray(at, at + PIECE_BYTES)) } });
        }
      },
      (r) => ({ [ATTR.checkpoint]: r.id }),
    ),
    statCheckpoint: unaryHandler('checkpoint.stat', async (r) => {
      const info = await store.stat(r.id);
      if (info === undefined) throw Object.assign(new Error(`checkpoint ${r.id} not found`), { name: 'NotFoundError' });
      return { info: infoMessage(info) };
    }),
    listCheckpoints: unaryHandler('checkpoint.list', async (r) => {
      const page = await store.list(r.prefix, r.pageSize || 100, r.pageToken);
      return { checkpoints: page.items.map(infoMessage), nextPageToken: page.next };
    }),
    getLineage: unaryHandler('checkpoint.lineage', async (r) => ({ lineage: lineageToMessage(await store.lineage(r.id)) })),
    setRef: unaryHandler('checkpoint.set_ref', async (r) => {
      await store.setRef(r.name, r.id);
      return {};
    }),
    getRef: unaryHandler('checkpoint.get_ref', async (r) => ({ id: await store.getRef(r.name) })),
  };
}
