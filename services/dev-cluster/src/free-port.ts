import { readFileSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports are taken below the kernel's ephemeral range: a port from that range (what listen(0) gives) can be
 * taken, between the pick and the server's bind, by any process's outgoing connection (seen: the store
 * failing with EADDRINUSE while another test file's services connected around it). A restarted server
 * keeps its port, so this also holds over its downtime.
 */
const FLOOR = 10_000;
const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
})();
/** Picks are recorded here, so that processes picking at the same time never get the same port. */
const PICKS_DIR = join(tmpdir(), 'rewind-ports');
/** A pick older than this is forgotten (its server, if still up, still holds the port itself). */
const PICK_HOLD_MS = 10 * 60_000;

/** A TCP port free right now on 127.0.0.1, for servers started in tests and dev runs. */
export async function freePort(): Promise<number> {
  if (EPHEMERAL_LOW - FLOOR >= 1_000) {
    await mkdir(PICKS_DIR, { recursive: true });
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = FLOOR + Math.floor(Math.random() * (EPHEMERAL_LOW - FLOOR));
      if ((await recordPick(port)) && (await bindable(port))) return port;
    }
  }
  return osPicked();
}

/** True if this process is the only one to have picked `port` lately. */
async function recordPick(port: number): Promise<boolean> {
  const path = join(PICKS_DIR, String(port));
  try {
    await writeFile(path, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const picked = await stat(path).catch(() => undefined);
    if (picked === undefined || Date.now() - picked.mtimeMs < PICK_HOLD_MS) return false;
    await rm(path, { force: true });
    return recordPick(port);
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Where there is no room below the ephemeral range: the port the OS picks. */
function osPicked(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
