/**
 * The services image that scripts/build-images.sh builds from the committed tree: every service starts in
 * it as Kubernetes would run it (uid 10001, read-only root with a /tmp tmpfs) and answers its gRPC health
 * check. NATS and the S3 server run on the host. The image is tagged with the commit and reused: `npm test`
 * starts building it before the checks, and this test waits for that build (the script's lock).
 * `podman run` cannot start containers in the sandbox this was written in (crun: "setrlimit RLIMIT_NOFILE /
 * RLIMIT_NPROC: Operation not permitted"), so the test runs the image's own root filesystem, read-only as
 * `podman image mount` gives it, through unshare (a private mount namespace for /tmp, /dev and /proc) and
 * chroot as uid 10001.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata } from '@grpc/grpc-js';
import { freePort, type LocalServer, S3RVER_CREDENTIALS, scaled, startNatsServer, startS3rver } from '@rewind/dev-cluster';
// The generated health client itself: this test needs nothing else of @rewind/rpc.
import { HealthClient, HealthCheckResponse_ServingStatus as ServingStatus } from '../../libs/rpc/generated/grpc/health/v1/health.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const IMAGE = `localhost/rewind:${commit}`;

function imageExists(): boolean {
  try {
    execFileSync('podman', ['image', 'exists', IMAGE]);
    return true;
  } catch {
    return false;
  }
}

function healthy(address: string): Promise<boolean> {
  const client = new HealthClient(address, credentials.createInsecure());
  return new Promise<boolean>((resolve) => {
    client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 2_000 }, (err, res) => {
      client.close();
      resolve(!err && res.status === ServingStatus.SERVING);
    });
  });
}

describe('the services image', () => {
  let dir = '';
  let nats: LocalServer | undefined;
  let s3: LocalServer | undefined;
  let rootfs = '';
  const services: { name: string; process: ChildProcess; output: string[] }[] = [];

  before(async () => {
    if (!imageExists()) {
      execFileSync(join(ROOT, 'scripts/build-images.sh'), ['--if-missing', commit, 'rewind'], { cwd: ROOT, stdio: 'inherit', timeout: scaled(30 * 60_000) });
    }
    dir = await mkdtemp(join(tmpdir(), 'rewind-image-'));
    nats = await startNatsServer(join(dir, 'nats'));
    s3 = await startS3rver(join(dir, 's3'));
    rootfs = execFileSync('podman', ['image', 'mount', IMAGE], { encoding: 'utf8' }).trim();
  });

  after(async () => {
    // The whole process group: unshare's --kill-child does not reach a service that changed its user
    // (the kernel clears the parent-death signal when credentials change), so it would outlive the test.
    for (const s of services) if (s.process.pid) process.kill(-s.process.pid, 'SIGKILL');
    for (const s of services) {
      s.process.stdout?.destroy();
      s.process.stderr?.destroy();
      s.process.unref();
    }
    if (rootfs) execFileSync('podman', ['image', 'unmount', IMAGE], { stdio: 'ignore', timeout: scaled(60_000) });
    await nats?.child.stop();
    await s3?.child.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is configured to run as a non-root user', () => {
    const user = execFileSync('podman', ['image', 'inspect', '--format', '{{.Config.User}}', IMAGE], { encoding: 'utf8' }).trim();
    assert.equal(user, '10001:10001');
  });

  it('starts every service, each answering its gRPC health check', async () => {
    const [store, pruner, analyzer, coordinator, trainer, plugin] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
    const storeAddress = `127.0.0.1:${store}`;
    // Plaintext: this checks that the image runs every service; access.test.ts covers TLS.
    const common = { HOST: '127.0.0.1', NATS_URL: nats!.url, STORE_ADDRESS: storeAddress, REWIND_INSECURE: '1' };
    const wanted: [string, number, Record<string, string>][] = [
      ['checkpoint-store', store!, { PORT: String(store), S3_URL: s3!.url, S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey, S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey }],
      ['pruner', pruner!, { PORT: String(pruner) }],
      ['stability-analyzer', analyzer!, { PORT: String(analyzer) }],
      ['coordinator', coordinator!, { PORT: String(coordinator), PRUNER_ADDRESS: `127.0.0.1:${pruner}`, ANALYZER_ADDRESS: `127.0.0.1:${analyzer}` }],
      ['trainer', trainer!, { HEALTH_PORT: String(trainer), TRAINER_NAME: 'image-test' }],
      ['plugin-sparsity', plugin!, { HEALTH_PORT: String(plugin) }],
    ];
    for (const [service, , env] of wanted) {
      const envArgs = Object.entries({ ...common, ...env }).map(([k, v]) => `${k}=${v}`);
      const setup = `mount -t tmpfs tmpfs "$0/tmp" && mount --rbind /dev "$0/dev" && mount -t proc proc "$0/proc" && exec chroot --userspec=10001:10001 "$@"`;
      const child = spawn(
        'unshare',
        ['--mount', '--fork', '--kill-child', 'sh', '-ec', setup, rootfs, rootfs, '/usr/bin/env', '-i', '-C', '/app', 'PATH=/usr/local/bin:/usr/bin:/bin', ...envArgs,
          'node', '--import', 'tsx', `services/${service}/src/main.ts`],
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      const output: string[] = [];
      child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
      child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
      services.push({ name: service, process: child, output });
    }
    const deadline = Date.now() + scaled(180_000);
    const waiting = new Set(wanted.map(([service]) => service));
    while (waiting.size > 0 && Date.now() < deadline) {
      for (const [service, port] of wanted) {
        if (waiting.has(service) && (await healthy(`127.0.0.1:${port}`))) waiting.delete(service);
      }
      if (waiting.size > 0) await new Promise((r) => setTimeout(r, 1_000));
    }
    const logs = services.filter((s) => waiting.has(s.name)).map((s) => `${s.name}:\n${s.output.join('').slice(-2000)}`);
    assert.deepEqual([...waiting], [], `not serving:\n${logs.join('\n')}`);
  });
});
