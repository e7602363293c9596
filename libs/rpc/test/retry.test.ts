import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrpcPruner, PLAINTEXT, PrunerServiceService, RemoteError, ServerUnavailableError, startGrpcServer, unaryHandler } from '../src/index.ts';

const JOB = {
  weightsId: 'a'.repeat(64),
  prunable: ['fc1.kernel'],
  method: { kind: 'random_like', seed: 1 },
  maskId: 'b'.repeat(64),
  lineage: { experiment: 'e' },
} as const;

/** A port nothing listens on: bound by a server that is then shut down. */
async function freePort(): Promise<number> {
  const server = await prunerAnswering(0, '');
  await server.shutdown(0);
  return server.port;
}

const prunerAnswering = (port: number, maskId: string) =>
  startGrpcServer({
    tls: PLAINTEXT,
    host: '127.0.0.1',
    port,
    services: [{ name: 'rewind.v1.PrunerService', definition: PrunerServiceService, implementation: { prune: unaryHandler('prune', async () => ({ maskId })) } }],
  });

describe('retries between services', () => {
  it('rides out a server that is down, logging each wait, and gets the answer once it is back', async () => {
    const port = await freePort();
    const lines: string[] = [];
    // Unbounded attempts: only the deadline ends the retries, and the server comes back well before it.
    const client = new GrpcPruner(`127.0.0.1:${port}`, { retry: { deadlineMs: 600_000, baseDelayMs: 20, maxDelayMs: 200, log: (l) => lines.push(l) } });
    const answer = client.prune(JOB);
    while (lines.length < 3) await new Promise((r) => setTimeout(r, 20));
    const server = await prunerAnswering(port, 'c'.repeat(64));
    try {
      assert.equal(await answer, 'c'.repeat(64));
      assert.ok(lines.every((l) => /^pruner at 127\.0\.0\.1:\d+ is unavailable \(attempt \d+: .*\); retrying, giving up in \d+ s$/.test(l)), lines.join('\n'));
    } finally {
      client.close();
      await server.shutdown(1000);
    }
  });

  it('gives up at its deadline with an error naming the server, the attempts and the time', async () => {
    const port = await freePort();
    const client = new GrpcPruner(`127.0.0.1:${port}`, { retry: { deadlineMs: 300, baseDelayMs: 20, maxDelayMs: 50 } });
    await assert.rejects(client.prune(JOB), (err: Error) => {
      assert.ok(err instanceof ServerUnavailableError);
      assert.match(err.message, new RegExp(`^pruner at 127\\.0\\.0\\.1:${port} is unavailable after \\d+ attempts over \\d+ s: `));
      return true;
    });
    client.close();
  });

  it('does not retry an answer that is not UNAVAILABLE', async () => {
    const server = await startGrpcServer({
      tls: PLAINTEXT,
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'rewind.v1.PrunerService',
          definition: PrunerServiceService,
          implementation: {
            prune: unaryHandler('prune', async () => {
              calls++;
              throw Object.assign(new Error('no such weights'), { name: 'NotFoundError' });
            }),
          },
        },
      ],
    });
    let calls = 0;
    const client = new GrpcPruner(`127.0.0.1:${server.port}`, { retry: { deadlineMs: 600_000, baseDelayMs: 20 } });
    await assert.rejects(client.prune(JOB), (err: Error) => err instanceof RemoteError && err.code === 5);
    assert.equal(calls, 1);
    client.close();
    await server.shutdown(1000);
  });
});
