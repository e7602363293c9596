/** retryNats: a failure the server's return cures is retried until it passes; any other fails at once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from 'nats';
import { isTransientNatsError, NATS_MAX_IN_FLIGHT, retryNats } from '../src/nats-retry.ts';

const natsError = (code: string, message = code) => Object.assign(new Error(message), { code });

test('transient NATS failures (timeouts, no responders, a leader election) are retried, each logged', async () => {
  const failures = [natsError(ErrorCode.Timeout), natsError(ErrorCode.NoResponders), new Error('JetStream system temporarily unavailable')];
  const logged: string[] = [];
  let calls = 0;
  const value = await retryNats(
    'writing x',
    async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 42;
    },
    { log: (line) => logged.push(line) },
  );
  assert.equal(value, 42);
  assert.equal(calls, 4);
  assert.equal(logged.length, 3);
  assert.match(logged[0]!, /^NATS: writing x failed \(TIMEOUT\), attempt 1; retrying$/);
});

test('other failures pass at once, unchanged; a closed connection is not transient', async () => {
  let calls = 0;
  const refused = natsError(ErrorCode.PermissionsViolation, 'Permissions Violation for Publish to "x"');
  await assert.rejects(
    retryNats('writing x', async () => {
      calls++;
      throw refused;
    }),
    (err) => err === refused,
  );
  assert.equal(calls, 1);
  assert.equal(isTransientNatsError(natsError(ErrorCode.ConnectionClosed)), false);
});

test('an outage longer than the deadline fails with the last error', async () => {
  let calls = 0;
  await assert.rejects(
    retryNats(
      'reading y',
      async () => {
        calls++;
        throw natsError(ErrorCode.Timeout);
      },
      { deadlineMs: 600, log: () => {} },
    ),
    /TIMEOUT/,
  );
  assert.ok(calls >= 2, `${calls} calls`);
});

test(`a burst of calls has at most ${NATS_MAX_IN_FLIGHT} with the server at once, and every one completes`, async () => {
  let now = 0;
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 5 * NATS_MAX_IN_FLIGHT }, (_, i) =>
      retryNats(`reading ${i}`, async () => {
        peak = Math.max(peak, ++now);
        await new Promise((r) => setTimeout(r, 1));
        now--;
        return i;
      }),
    ),
  );
  assert.equal(peak, NATS_MAX_IN_FLIGHT);
  assert.deepEqual(results, Array.from({ length: 5 * NATS_MAX_IN_FLIGHT }, (_, i) => i));
});
