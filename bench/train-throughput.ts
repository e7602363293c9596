/**
 * Steady-state training examples/s for LeNet-300-100 and Conv-2 on every backend available here, beside
 * PyTorch: bench/engine.ts restricted to those two models (extra flags pass through, e.g. --seconds 5).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('engine.ts', import.meta.url));
execFileSync(process.execPath, ['--import', 'tsx', engine, '--models', 'mnist_lenet_300_100,mnist_conv_2', ...process.argv.slice(2)], { stdio: 'inherit' });
