import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvReader } from '../src/index.ts';

describe('listen address', () => {
  it('is HOST if set, else the pod address, else loopback: never every interface by default', () => {
    assert.equal(new EnvReader('s', {}).listenHost(), '127.0.0.1');
    assert.equal(new EnvReader('s', { POD_IP: '10.1.2.3' }).listenHost(), '10.1.2.3');
    assert.equal(new EnvReader('s', { POD_IP: '10.1.2.3', HOST: '0.0.0.0' }).listenHost(), '0.0.0.0');
  });
});
