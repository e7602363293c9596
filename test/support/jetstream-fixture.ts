/**
 * For a describe block: a real nats-server with JetStream in a temporary folder, started before its
 * tests with the Rewind streams declared, and a connection to it; both are stopped and removed after.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type LocalServer, startNatsServer } from '@rewind/dev-cluster';
import { connectNats, declareJetStream } from '@rewind/nats-ports';
import type { NatsConnection } from 'nats';

export interface JetStreamFixture {
  /** The temporary folder (the server's store is under it), for the tests' own files too. */
  readonly dir: string;
  readonly url: string;
  readonly nc: NatsConnection;
}

/** Registers the before/after hooks; the fixture's fields are set once `before` has run. */
export function useJetStream(prefix: string): JetStreamFixture {
  const fixture = {} as { dir: string; url: string; nc: NatsConnection };
  let server: LocalServer | undefined;
  before(async () => {
    fixture.dir = await mkdtemp(join(tmpdir(), prefix));
    server = await startNatsServer(join(fixture.dir, 'js'));
    fixture.url = server.url;
    fixture.nc = await connectNats(server.url, { name: 'test' });
    await declareJetStream(fixture.nc);
  });
  after(async () => {
    await fixture.nc?.close();
    await server?.child.stop();
    if (fixture.dir) await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
