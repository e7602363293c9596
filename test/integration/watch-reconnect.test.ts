/**
 * `watch` across coordinator restarts: each broken stream is reconnected after the last event seen, and
 * the abort listener it adds goes with it (they used to pile up into a MaxListenersExceededWarning).
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { CoordinatorClient } from '@rewind/cluster-client';
import {
  CoordinatorServiceService,
  type CoordinatorServiceServer,
  PLAINTEXT,
  ServerUnavailableError,
  type SweepEventMessage,
  startGrpcServer,
  streamHandler,
} from '@rewind/rpc';

/** One more than Node's default listener limit, past which the warning appeared. */
const BREAKS = 11;

describe('watch reconnects', () => {
  it('survives more stream breaks than the listener limit, with one abort listener at a time, and misses no event', async () => {
    let calls = 0;
    const afters: number[] = [];
    const implementation: Partial<CoordinatorServiceServer> = {
      watchSweep: streamHandler('sweep.watch', async (request, call) => {
        calls++;
        afters.push(request.afterSequence);
        const sequence = request.afterSequence + 1;
        if (calls <= BREAKS) {
          call.write({ event: { sweepId: request.sweepId, sequence, storedAtMs: 0, event: { $case: 'progress', value: { done: sequence, total: BREAKS + 1, label: '' } } } });
          throw new ServerUnavailableError('coordinator restarting');
        }
        call.write({ event: { sweepId: request.sweepId, sequence, storedAtMs: 0, event: { $case: 'sweepFinished', value: { state: 0, error: '', attempt: 0 } } } });
      }),
    };
    const server = await startGrpcServer({
      tls: PLAINTEXT,
      host: '127.0.0.1',
      port: 0,
      services: [{ name: "rewind.v1.CoordinatorService", definition: CoordinatorServiceService, implementation: implementation as UntypedServiceImplementation }],
    });
    const client = new CoordinatorClient(`127.0.0.1:${server.port}`);
    const abort = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const seen: SweepEventMessage[] = [];
    let mostListeners = 0;
    try {
      for await (const event of client.watch('sweep_1', 0, abort.signal)) {
        seen.push(event);
        mostListeners = Math.max(mostListeners, getEventListeners(abort.signal, 'abort').length);
      }
    } finally {
      process.off('warning', onWarning);
      client.close();
      await server.shutdown(1000);
    }
    assert.deepEqual(
      seen.map((e) => e.sequence),
      Array.from({ length: BREAKS + 1 }, (_, i) => i + 1),
    );
    assert.deepEqual(afters, Array.from({ length: BREAKS + 1 }, (_, i) => i));
    assert.equal(mostListeners, 1);
    assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
    assert.deepEqual(
      warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
      [],
    );
  });
});
