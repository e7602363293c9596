import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@rewind/rpc';
import { readConfig } from '../src/config.ts';
import { Mailbox } from '../src/mailbox.ts';

describe('coordinator', () => {
  it('reports every configuration problem at once, naming the variables', () => {
    assert.throws(
      () => readConfig({ NATS_URL: 'http://x:4222', PRUNER_ADDRESS: 'pruner', PORT: '99999' }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        for (const expected of ['PORT="99999"', 'NATS_URL="http://x:4222" must use nats or tls', 'STORE_ADDRESS is required', 'PRUNER_ADDRESS="pruner" is not host:port', 'ANALYZER_ADDRESS is required']) {
          assert.ok(err.message.includes(expected), `missing "${expected}" in:\n${err.message}`);
        }
        return true;
      },
    );
    const ok = readConfig({ NATS_URL: 'nats://n:4222', STORE_ADDRESS: 's:1', PRUNER_ADDRESS: 'p:2', ANALYZER_ADDRESS: 'a:3' });
    assert.equal(ok.port, 7000);
  });

  it('handles an actor’s messages one at a time, in order, past a failing one', async () => {
    const seen: number[] = [];
    let active = 0;
    const box = new Mailbox<number>(async (n) => {
      assert.equal(++active, 1, 'never two messages at once');
      await new Promise((r) => setTimeout(r, 5 - n));
      active--;
      if (n === 2) throw new Error('bad message');
      seen.push(n);
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => box.send(n)));
    assert.deepEqual(seen, [1, 3, 4]);
    assert.equal(results[1]!.status, 'rejected');
  });
});
