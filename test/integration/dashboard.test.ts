/**
 * The live dashboard in a real browser (headless Chromium), against a real running sweep: embedded
 * (`rewind run` and `rewind dashboard` as two processes) and on the dev cluster (served by the
 * coordinator). Each run must show progress and ETA moving, a row arriving in the accuracy figure,
 * a ticket's lineage reaching its rewind point W_k, and cancel stopping the sweep.
 * Screenshots go to $REWIND_TEST_ARTIFACTS (default: the temp directory); the test prints where.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CoordinatorClient } from '@rewind/cluster-client';
import { type Cluster, rewindCommand, scaled, startCluster } from '@rewind/dev-cluster';
import { CHROMIUM_PATH } from '@rewind/report';
import { type Browser, chromium, type Page } from 'playwright-core';
import { lastWords, tempDir } from './cluster-helpers.ts';

const REWIND = await rewindCommand();
const ARTIFACTS = process.env.REWIND_TEST_ARTIFACTS ?? join(tmpdir(), 'rewind-dashboard-screens');
const THREADS = process.env.REWIND_THREADS ?? '1';

/** Trainings of a few seconds each, so progress is seen moving; cancel ends the sweep long before its end. */
const SPEC = (dataset: string) => `
name: dashboard-live
model: { name: mnist_lenet_300_100 }
seeds: [1]
dataset: ${dataset}
training: { lr: 0.05, batch_size: 32, steps: 1000it, eval_every: 500it }
pruning: { rounds: 4, exclude: [fc.kernel] }
rewind: [0it, 100it]
controls: [random_pruning]
checkpoint_every: 500it
`;

const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();

/** Polls until `read` gives a value `ok` accepts (deadline scaled by REWIND_TEST_TIME_SCALE). */
async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 120_000): Promise<T> {
  const deadline = Date.now() + scaled(ms);
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not seen within ${scaled(ms)} ms (last: ${JSON.stringify(last)})`);
}

/** What both modes must show, in the order a user sees it; screenshots along the way. */
async function checkDashboard(page: Page, name: string): Promise<void> {
  await until('the sweep shows as running', () => text(page, '#sweep-state'), (s) => s.startsWith('running'));
  // Progress moves: a job's step rises between two updates, and an ETA appears and changes.
  const step = () => page.locator('#jobs tr[data-job]').first().getAttribute('data-step').catch(() => null);
  const first = Number(await until('a training in flight', step, (s) => s !== null && Number(s) > 0));
  await until('its step moves on', step, (s) => s !== null && Number(s) !== first);
  await until("its trainer's log line", () => text(page, '#jobs tr[data-job] .job-log'), (s) => /took job/.test(s));
  const eta = await until('an ETA', () => text(page, '#sweep-eta'), (s) => /\d/.test(s));
  await until('the ETA changes', () => text(page, '#sweep-eta'), (s) => /\d/.test(s) && s !== eta);
  assert.match(await text(page, '#sweep-elapsed'), /\d/);

  // Rows arrive in the accuracy figure as rounds end (round 0 is the trunk; then tickets and controls).
  const dots = () => page.locator('#fig-accuracy svg circle').count();
  const rows = async () => Number((await page.locator('body').getAttribute('data-rows')) ?? 0);
  const before = await rows();
  const dotsBefore = await dots();
  await until('a new result row', rows, (n) => n > before);
  await until('a dot for it in the accuracy figure', dots, (n) => n > dotsBefore);
  assert.match(await text(page, '#sweep-progress'), /^\d+\/\d+ trainings/);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-running.png`), fullPage: true });

  // A ticket's lineage, down to its rewind checkpoint W_k and on to the trunk.
  const ticket = page.locator('#tickets tr[data-mask]').first();
  await until('a ticket', () => ticket.count(), (n) => n > 0);
  await ticket.click();
  await until('the lineage reaches W_k', () => page.locator('#lineage [data-role="rewind"]').count(), (n) => n > 0);
  assert.match(await text(page, '#lineage [data-role="rewind"]'), /W_k/);
  assert.ok((await page.locator('#lineage [data-role="mask"]').count()) > 0, 'the mask is in the graph');
  assert.match(await text(page, '#lineage [data-role="trunk"]'), /trunk_[0-9a-f]{16}/, 'W_k leads to its trunk');
  await page.locator('#lineage').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, `${name}-lineage.png`), fullPage: true });

  // Cancel stops the sweep; the page says so.
  await page.locator('#cancel').click();
  await until('the sweep shows as cancelled', () => text(page, '#sweep-state'), (s) => s.startsWith('cancelled'));
  assert.ok(await page.locator('#cancel').isDisabled(), 'no second cancel');
  await page.screenshot({ path: join(ARTIFACTS, `${name}-cancelled.png`), fullPage: true });
}

async function openPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  await page.goto(url);
  return page;
}

interface Rewind {
  readonly child: ChildProcess;
  /** Its stdout so far. */
  stdout(): string;
  readonly exited: Promise<{ code: number | null; stderr: string }>;
}

/** Spawns `rewind <args>`. */
function rewind(args: string[]): Rewind {
  const child = spawn(REWIND.command, [...REWIND.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REWIND_THREADS: THREADS } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, stdout: () => stdout, exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr }))) };
}

describe('live dashboard in a browser', { concurrency: false }, () => {
  let browser: Browser | undefined;
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    await browser?.close();
  });

  const launch = async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    browser ??= await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
    return browser;
  };

  test('embedded: rewind run, watched and cancelled through rewind dashboard', async (t) => {
    const dir = await tempDir('dashboard-embedded');
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const specPath = join(dir, 'spec.yaml');
    await writeFile(specPath, SPEC('{ name: fashion_mnist, dir: /usr/share/datasets/fashion-mnist }'));
    const runDir = join(dir, 'run');
    const run = rewind(['run', specPath, '--out', runDir]);
    cleanup.push(async () => run.child.kill('SIGKILL'));
    await until('the run directory', async () => existsSync(join(runDir, 'spec.yaml')), Boolean, 60_000);
    const dashboard = rewind(['dashboard', runDir, '--port', '0']);
    cleanup.push(async () => dashboard.child.kill('SIGTERM'));
    const url = await until('the dashboard address', async () => /http:\/\/\S+/.exec(dashboard.stdout())?.[0], (u) => u !== undefined, 60_000);
    const errors: string[] = [];
    const page = await openPage(await launch(), url!, errors);
    await checkDashboard(page, 'embedded');
    const ended = await run.exited;
    assert.equal(ended.code, 130, `rewind run stops as on Ctrl-C: ${ended.stderr.slice(-500)}`);
    assert.match(ended.stderr, /run the same command again to resume/);
    assert.deepEqual(errors, [], 'no errors in the page');
    t.diagnostic(`screenshots: ${ARTIFACTS}/embedded-*.png`);
  });

  test('cluster: the coordinator serves it; a submitted sweep watched and cancelled', async (t) => {
    const dir = await tempDir('dashboard-cluster');
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const cluster: Cluster = await startCluster({ dir, trainers: 1, env: { REWIND_THREADS: THREADS, PROGRESS_EVERY_MS: '500' } });
    cleanup.push(() => cluster.stop());
    const client = new CoordinatorClient(cluster.addresses.coordinator, { credentials: cluster.credentials });
    cleanup.push(async () => client.close());
    const { parse } = await import('yaml');
    const { sweepId } = await client.submit(JSON.stringify(parse(SPEC('{ name: synthetic }'))));
    const errors: string[] = [];
    const page = await openPage(await launch(), `${cluster.dashboard}#sweep=${sweepId}`, errors);
    try {
      await checkDashboard(page, 'cluster');
    } catch (error) {
      // What the services said, for the post-mortem of a run that never ends or never cancels.
      throw new Error(`${(error as Error).message}\n${lastWords(cluster)}`);
    }
    const { status } = await client.get(sweepId);
    assert.equal(status?.state, 4, 'the coordinator records the sweep as cancelled');
    assert.deepEqual(errors, [], 'no errors in the page');
    t.diagnostic(`screenshots: ${ARTIFACTS}/cluster-*.png`);
  });
});
