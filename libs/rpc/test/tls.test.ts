/**
 * Mutual TLS on a real gRPC server, with certificates made by openssl: anonymous plaintext, TLS without a
 * client certificate, and a certificate from another CA are each refused; the right certificate gets in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChannelCredentials, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  clientCredentials,
  ConfigError,
  HealthClient,
  listeningOn,
  PLAINTEXT,
  PruneRequest,
  PrunerServiceClient,
  PrunerServiceService,
  type RunningServer,
  serverCredentials,
  ServingStatus,
  startGrpcServer,
  type TlsFiles,
  tlsFromEnv,
} from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rewind-tls-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, and a certificate it signs for `name` (valid for 127.0.0.1). */
function makeCa(ca: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
}
function makeCert(ca: string, name: string): TlsFiles {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  return { ca: readFileSync(join(dir, `${ca}.crt`)), cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

function healthStatus(address: string, creds: ChannelCredentials): Promise<{ code: number; details: string }> {
  const client = new HealthClient(address, creds);
  return new Promise((resolve) =>
    client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 10_000 }, (err: ServiceError | null) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' });
    }),
  );
}

describe('mutual TLS', () => {
  let server: RunningServer;
  let address: string;
  let client: TlsFiles;
  let rogue: TlsFiles;
  let serverFiles: TlsFiles;

  before(async () => {
    execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext; printf 'extendedKeyUsage=clientAuth\\n' > client.ext; cp client.ext rogue-client.ext`], { cwd: dir });
    makeCa('rewind-ca');
    makeCa('rogue-ca');
    serverFiles = makeCert('rewind-ca', 'server');
    client = makeCert('rewind-ca', 'client');
    rogue = makeCert('rogue-ca', 'rogue-client');
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [], tls: serverFiles });
    server.health.set(ServingStatus.SERVING);
    address = `127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server?.shutdown(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets in a client with a certificate from the CA', async () => {
    assert.equal((await healthStatus(address, clientCredentials(client))).code, status.OK);
  });

  it('refuses an anonymous plaintext client', async () => {
    assert.equal((await healthStatus(address, credentials.createInsecure())).code, status.UNAVAILABLE);
  });

  it('refuses a TLS client without a certificate', async () => {
    assert.equal((await healthStatus(address, credentials.createSsl(serverFiles.ca))).code, status.UNAVAILABLE);
  });

  it('refuses a client whose certificate another CA signed', async () => {
    // It trusts the server's CA, so only its own certificate can be the reason.
    const creds = credentials.createSsl(serverFiles.ca, rogue.key, rogue.cert);
    assert.equal((await healthStatus(address, creds)).code, status.UNAVAILABLE);
  });

  it('reads the files from REWIND_TLS_*, all or none, naming what is missing', () => {
    assert.equal(tlsFromEnv({}), undefined);
    const files = tlsFromEnv({ REWIND_TLS_CA: join(dir, 'rewind-ca.crt'), REWIND_TLS_CERT: join(dir, 'client.crt'), REWIND_TLS_KEY: join(dir, 'client.key') });
    assert.deepEqual(files, client);
    assert.throws(() => tlsFromEnv({ REWIND_TLS_CA: join(dir, 'rewind-ca.crt') }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /REWIND_TLS_CERT is required.*REWIND_TLS_KEY is required/);
      return true;
    });
    assert.throws(() => tlsFromEnv({ REWIND_TLS_CA: '/nonexistent/ca.crt', REWIND_TLS_CERT: 'x', REWIND_TLS_KEY: 'y' }), /REWIND_TLS_CA="\/nonexistent\/ca.crt" cannot be read: ENOENT/);
  });

  it('will not serve plaintext unless asked to: REWIND_INSECURE=1, or PLAINTEXT in the code', () => {
    assert.throws(() => serverCredentials(undefined, {}), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /mutual TLS only: set REWIND_TLS_CA, REWIND_TLS_CERT, REWIND_TLS_KEY.*or REWIND_INSECURE=1/);
      return true;
    });
    assert.ok(serverCredentials(undefined, { REWIND_INSECURE: '1' }));
    assert.ok(serverCredentials(PLAINTEXT, {}));
  });

  it('answers health probes in plaintext on the health port, which serves nothing else', async () => {
    const probed = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      healthPort: 0,
      services: [{ name: 'rewind.v1.PrunerService', definition: PrunerServiceService, implementation: { prune: (_call: unknown, cb: (e: null, r: object) => void) => cb(null, { maskId: 'x' }) } }],
      tls: serverFiles,
    });
    try {
      probed.health.set(ServingStatus.SERVING);
      assert.equal(probed.transport, 'mutual TLS');
      assert.match(listeningOn('127.0.0.1', probed), /listening on 127\.0\.0\.1:\d+ \(mutual TLS\), health probes on 127\.0\.0\.1:\d+ \(plaintext\)/);
      const probes = `127.0.0.1:${probed.healthPort}`;
      assert.equal((await healthStatus(probes, credentials.createInsecure())).code, status.OK);
      assert.equal((await healthStatus(`127.0.0.1:${probed.port}`, credentials.createInsecure())).code, status.UNAVAILABLE);
      const pruner = new PrunerServiceClient(probes, credentials.createInsecure());
      const code = await new Promise<number>((resolve) =>
        pruner.prune(PruneRequest.fromPartial({}), new Metadata(), { deadline: Date.now() + 10_000 }, (err: ServiceError | null) => resolve(err?.code ?? status.OK)),
      );
      pruner.close();
      assert.equal(code, status.UNIMPLEMENTED);
    } finally {
      await probed.shutdown(1000);
    }
  });
});
