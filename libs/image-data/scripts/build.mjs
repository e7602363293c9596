// Builds the JPEG addon (libjpeg-turbo's TurboJPEG API) with one plain g++ call (run by the root postinstall).
// Like the native kernels, a failed build never fails `npm install`: it prints one line, and the image
// datasets then say they need libturbojpeg0-dev when first used.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'build', 'rewind_jpeg.node');
const nodeHeaders = join(dirname(dirname(process.execPath)), 'include', 'node');

const args = [
  '-O3',
  '-march=native',
  '-std=c++17',
  '-fPIC',
  '-shared',
  '-DNODE_GYP_MODULE_NAME=rewind_jpeg',
  `-I${nodeHeaders}`,
  '-I/usr/include/node',
  join(root, 'native', 'rewind_jpeg.cc'),
  '-o',
  output,
  '-lturbojpeg',
];

try {
  mkdirSync(dirname(output), { recursive: true });
  execFileSync(process.env.CXX ?? 'g++', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  console.log(`rewind-jpeg: built ${output}`);
} catch (error) {
  const stderr = String(error?.stderr ?? error?.message ?? error);
  const firstError = stderr.split('\n').find((line) => line.includes('error')) ?? stderr.split('\n')[0];
  console.warn(`rewind-jpeg: addon not built, image datasets unavailable (${firstError?.trim()})`);
}
