import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../src/free-port.ts';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
const PICKS = 30;

const listen = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });

test('ports come from below the ephemeral range, where no outgoing connection takes them, and can be bound', async () => {
  const ports = await Promise.all(Array.from({ length: PICKS }, () => freePort()));
  for (const port of ports) assert.ok(port >= 10_000 && port < ephemeralLow, `port ${port}`);
  for (const port of ports) await listen(port);
});

test('two processes picking never get the same port', async () => {
  // Enough picks that, drawn at random without the shared record, two sets would almost surely meet (98%).
  const many = 300;
  const script = `import { freePort } from './services/dev-cluster/src/free-port.ts';
    console.log(JSON.stringify(await Promise.all(Array.from({ length: ${many} }, () => freePort()))));`;
  const other = promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../../../', import.meta.url).pathname });
  const mine = await Promise.all(Array.from({ length: many }, () => freePort()));
  const theirs = JSON.parse((await other).stdout) as number[];
  assert.equal(theirs.length, many);
  assert.equal(new Set([...mine, ...theirs]).size, 2 * many);
});
