/**
 * The dashboard server over real HTTP, on a run directory written as `rewind run` writes it: auth, the
 * snapshot stream following the event log as it grows, and clear answers to bad requests.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sweepId } from '@rewind/core';
import { parseSweepSpec } from '@rewind/kinds';
import { parse } from 'yaml';
import { RunDirSource } from '../src/run-dir-source.ts';
import { CSRF_HEADER, startDashboard } from '../src/server.ts';
import type { SweepSnapshot } from '../src/views.ts';

const SPEC = `name: served
model: { name: mnist_lenet_300_100 }
seeds: [1]
dataset: { name: fashion_mnist, dir: /nonexistent }
training: { lr: 0.1, batch_size: 60, steps: 600it, eval_every: 300it }
pruning: { strategy: global_magnitude, fraction: 0.2, rounds: 2 }
rewind: [0it]
`;

function runDir(): { dir: string; id: string; append: (e: object) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-dashboard-'));
  writeFileSync(join(dir, 'spec.yaml'), SPEC);
  const append = (e: object) => appendFileSync(join(dir, 'events.jsonl'), `${JSON.stringify(e)}\n`);
  append({ at: 1000, type: 'sweep.started', attempt: 0 });
  return { dir, id: sweepId(parseSweepSpec(parse(SPEC))), append };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(port: number, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers ?? {}, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} in 10 s`)));
    req.on('error', reject).end();
  });
}

/** Reads server-sent snapshots until one satisfies `done` (deadline 15 s). */
function snapshots(port: number, id: string, done: (s: SweepSnapshot) => boolean): Promise<SweepSnapshot> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/api/sweeps/${id}/events` }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /text\/event-stream/);
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split('\n').find((l) => l.startsWith('data: '));
          const snapshot = data && (JSON.parse(data.slice(6)) as SweepSnapshot);
          if (snapshot && done(snapshot)) {
            clearTimeout(timer);
            req.destroy();
            resolve(snapshot);
          }
        }
      });
    });
    const timer = setTimeout(() => req.destroy(new Error('no matching snapshot within 15 s')), 15_000);
    req.on('error', reject).end();
  });
}

test('snapshots follow the event log as the run appends to it; the page and its libraries are served', async (t) => {
  const run = runDir();
  const server = await startDashboard({ host: '127.0.0.1', port: 0, source: await RunDirSource.open([run.dir]), everyMs: 100, log: () => {} });
  t.after(() => server.close());
  const list = JSON.parse((await call(server.port, '/api/sweeps')).body);
  assert.deepEqual(list.sweeps, [{ sweepId: run.id, name: 'served', model: 'mnist_lenet_300_100', dataset: 'fashion_mnist' }]);
  const first = await snapshots(server.port, run.id, (s) => s.state === 'running');
  assert.equal(first.rows.length, 0);
  run.append({ at: 2000, type: 'progress', done: 1, total: 3, label: 'dense trunk', cached: false });
  // A torn write: the half line waits until it is complete.
  appendFileSync(join(run.dir, 'events.jsonl'), '{"at":3000,"type":"sweep.fin');
  const progressed = await snapshots(server.port, run.id, (s) => s.done === 1);
  assert.equal(progressed.total, 3);
  assert.equal(progressed.state, 'running');
  appendFileSync(join(run.dir, 'events.jsonl'), 'ished","state":"cancelled"}\n');
  assert.equal((await snapshots(server.port, run.id, (s) => s.state !== 'running')).state, 'cancelled');

  const page = await call(server.port, '/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  for (const path of ['/static/app.js', '/static/style.css', '/vendor/d3.min.js', '/vendor/plot.umd.min.js']) {
    const asset = await call(server.port, path);
    assert.equal(asset.status, 200, path);
    assert.match(String(asset.headers['content-type']), /^text\//, path);
  }
});

test('bad requests get a clear status and message; names never become paths', async (t) => {
  const run = runDir();
  run.append({ at: 2000, type: 'sweep.finished', state: 'succeeded' });
  const server = await startDashboard({ host: '127.0.0.1', port: 0, source: await RunDirSource.open([run.dir]), log: () => {} });
  t.after(() => server.close());
  const cases: [string, string, Record<string, string>, number, RegExp][] = [
    ['GET', '/static/../package.json', {}, 404, /no such page/],
    ['GET', '/static/%2e%2e/package.json', {}, 404, /no such page/],
    ['GET', '/api/sweeps/../../etc/passwd/events', {}, 404, /no such page/],
    ['GET', '/api/sweeps/sweep_XYZ/events', {}, 400, /16 hex digits/],
    ['GET', `/api/sweeps/sweep_${'0'.repeat(16)}/events`, {}, 404, /no sweep/],
    ['POST', `/api/sweeps/${run.id}/cancel`, {}, 403, new RegExp(CSRF_HEADER)],
    ['POST', `/api/sweeps/${run.id}/cancel`, { [CSRF_HEADER]: '1' }, 409, /succeeded, not running/],
    ['GET', `/api/sweeps/${run.id}/cancel`, {}, 405, /use POST/],
    ['GET', `/api/sweeps/${run.id}/lineage/zz`, {}, 400, /hex digits/],
    ['GET', `/api/sweeps/${run.id}/lineage/${'a'.repeat(12)}`, {}, 404, /no ticket/],
    ['GET', '/', { host: 'attacker.example:80' }, 421, /localhost/],
  ];
  for (const [method, path, headers, status, message] of cases) {
    const answer = await call(server.port, path, { method, headers });
    assert.equal(answer.status, status, `${method} ${path}: ${answer.body}`);
    assert.match(JSON.parse(answer.body).error, message, `${method} ${path}`);
  }
});

test('beyond loopback: no token, no start; with one, nothing without it, and ?token= becomes a cookie', async (t) => {
  const run = runDir();
  const source = await RunDirSource.open([run.dir]);
  await assert.rejects(startDashboard({ host: '0.0.0.0', port: 0, source }), /REWIND_DASHBOARD_TOKEN/);
  const token = 'correct horse battery staple';
  const server = await startDashboard({ host: '0.0.0.0', port: 0, token, source, log: () => {} });
  t.after(() => server.close());
  for (const path of ['/', '/static/app.js', '/api/sweeps', `/api/sweeps/${run.id}/events`, '/?token=wrong']) {
    const answer = await call(server.port, path);
    assert.equal(answer.status, 401, path);
    assert.ok(!answer.body.includes(token), 'the token is never echoed');
  }
  assert.equal((await call(server.port, '/api/sweeps', { headers: { authorization: `Bearer ${token}x` } })).status, 401);
  assert.equal((await call(server.port, '/api/sweeps', { headers: { authorization: `Bearer ${token}` } })).status, 200);
  const login = await call(server.port, `/?token=${encodeURIComponent(token)}`);
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/', 'the token leaves the address bar');
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  assert.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  assert.equal((await call(server.port, '/', { headers: { cookie } })).status, 200);
  assert.equal((await call(server.port, '/api/sweeps', { headers: { cookie: 'rewind_dashboard=%E0%A4%A' } })).status, 401, 'a malformed cookie is refused, not a crash');
});
