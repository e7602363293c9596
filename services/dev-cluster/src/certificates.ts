/**
 * The local cluster's own certificate authority, made by openssl at start: one certificate per identity
 * (CN=rewind-<identity>, valid for 127.0.0.1 and localhost, for both ends of a connection). Each process
 * gets its identity through REWIND_TLS_CA/CERT/KEY, which gRPC uses for mutual TLS and NATS to tell who
 * connects (nats-ports' NATS_PERMISSIONS); a Kubernetes cluster gets the same from cert-manager (infra/).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certificateSubject } from '@rewind/nats-ports';

const run = promisify(execFile);

export interface IdentityFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface Certificates {
  readonly dir: string;
  files(identity: string): IdentityFiles;
  /** REWIND_TLS_* naming the identity's files, for a child process. */
  env(identity: string): Record<string, string>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeCertificates(dir: string, identities: readonly string[], days = 30): Promise<Certificates> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', ...EC, '-days', String(days), '-subj', '/CN=rewind-dev-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  await writeFile(
    join(dir, 'identity.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n',
  );
  for (const identity of new Set(identities)) {
    if (!/^[a-z][a-z0-9-]{0,40}$/.test(identity)) throw new Error(`identity "${identity}" must be 1-41 of [a-z0-9-], starting with a letter`);
    await openssl('req', ...EC, '-subj', `/${certificateSubject(identity)}`, '-keyout', `${identity}.key`, '-out', `${identity}.csr`);
    await openssl(
      'x509', '-req', '-in', `${identity}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', String(days), '-extfile', 'identity.ext', '-out', `${identity}.crt`,
    );
  }
  const known = new Set(identities);
  const files = (identity: string): IdentityFiles => {
    if (!known.has(identity)) throw new Error(`no certificate for "${identity}"; made for ${[...known].join(', ')}`);
    return { ca: join(dir, 'ca.crt'), cert: join(dir, `${identity}.crt`), key: join(dir, `${identity}.key`) };
  };
  return {
    dir,
    files,
    env(identity) {
      const f = files(identity);
      return { REWIND_TLS_CA: f.ca, REWIND_TLS_CERT: f.cert, REWIND_TLS_KEY: f.key };
    },
  };
}
