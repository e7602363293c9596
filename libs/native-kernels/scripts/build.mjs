// Builds the native kernels addon with one plain g++ call (run by the root postinstall).
// A failed build must never fail `npm install`: Rewind then runs on the next backend down,
// so this prints one warning line and exits 0.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'build', 'rewind_native.node');
const nodeHeaders = join(dirname(dirname(process.execPath)), 'include', 'node');

const args = [
  '-O3',
  '-march=native',
  '-std=c++17',
  '-fPIC',
  '-shared',
  '-fopenmp',
  '-DNODE_GYP_MODULE_NAME=rewind_native',
  `-I${nodeHeaders}`,
  '-I/usr/include/node',
  '-I/usr/include/x86_64-linux-gnu/openblas-pthread',
  join(root, 'native', 'rewind_native.cc'),
  '-o',
  output,
  '-lopenblas',
  '-ldnnl',
];

try {
  mkdirSync(dirname(output), { recursive: true });
  execFileSync(process.env.CXX ?? 'g++', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  console.log(`rewind-native: built ${output}`);
} catch (error) {
  const stderr = String(error?.stderr ?? error?.message ?? error);
  const firstError = stderr.split('\n').find((line) => line.includes('error')) ?? stderr.split('\n')[0];
  console.warn(`rewind-native: addon not built, falling back to slower backends (${firstError?.trim()})`);
}
