/**
 * Training throughput of tfjs on the GPU (the engine's `webgpu` backend) against PyTorch CUDA on
 * the same card (bench/torch_cuda.py), for the engine's models at the batch sizes IMP uses.
 *
 *   tsx bench/gpu.ts [--steps 50] [--warmup 5] [--workloads lenet-60,conv2-512]
 *
 * Without a GPU it runs on the best CPU backend (and PyTorch on the CPU) and says so, so the path
 * can be checked anywhere. `PYTHON` names the interpreter that has PyTorch (default `python3`).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ModelName } from '@rewind/core';
import type { InputShape } from '@rewind/engine';
import { maskedSgd, startBackend } from './gpu-loop.ts';

interface Workload {
  readonly id: string;
  readonly model: ModelName;
  readonly torchModel: string;
  readonly batch: number;
  readonly inputShape: InputShape;
}

const MNIST: InputShape = [28, 28, 1];
const WORKLOADS: readonly Workload[] = [
  { id: 'lenet-60', model: 'mnist_lenet_300_100', torchModel: 'lenet_300_100', batch: 60, inputShape: MNIST },
  { id: 'lenet-1024', model: 'mnist_lenet_300_100', torchModel: 'lenet_300_100', batch: 1024, inputShape: MNIST },
  { id: 'conv2-60', model: 'mnist_conv_2', torchModel: 'conv2', batch: 60, inputShape: MNIST },
  { id: 'conv2-512', model: 'mnist_conv_2', torchModel: 'conv2', batch: 512, inputShape: MNIST },
  { id: 'resnet20-128', model: 'cifar_resnet_20', torchModel: 'resnet20', batch: 128, inputShape: [32, 32, 3] },
];

/** Backends that cannot train convolutions in useful time (cpu: minutes a step; wasm: no Conv2DBackpropFilter). */
const NO_CONV_TRAINING = new Set(['cpu', 'wasm']);

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
    workloads: { type: 'string', default: WORKLOADS.map((w) => w.id).join(',') },
  },
});
const steps = Number(args.steps);
const warmup = Number(args.warmup);
const chosen = args.workloads.split(',').map((id) => {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (!workload) throw new Error(`unknown workload '${id}'; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
  return workload;
});
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(warmup) && warmup >= 0)) {
  throw new Error(`--steps must be a positive integer and --warmup a non-negative one (got ${args.steps}, ${args.warmup})`);
}

const started = await startBackend();
console.log(`bench:gpu — tfjs ${started.backend} vs PyTorch; ${warmup} warm-up + ${steps} timed steps per row`);
if (started.note) console.log(`note: ${started.note}`);
console.log(`${'workload'.padEnd(14)} ${'tfjs ex/s'.padStart(10)} ${'torch ex/s'.padStart(11)}  ${'tfjs/torch'.padStart(10)}  torch device`);

for (const w of chosen) {
  const torch = runTorch(w);
  const tfjs = NO_CONV_TRAINING.has(started.backend) && w.model !== 'mnist_lenet_300_100' ? undefined : await runTfjs(w);
  const ratio = tfjs !== undefined && 'exPerSec' in torch ? (tfjs / torch.exPerSec).toFixed(3) : '-';
  const torchFigure = 'exPerSec' in torch ? torch.exPerSec.toFixed(0) : '-';
  const tfjsFigure = tfjs === undefined ? '-' : tfjs.toFixed(0);
  const torchDevice = 'device' in torch ? torch.device : `unavailable: ${torch.why}`;
  const skipped = tfjs === undefined ? `  (tfjs skipped: ${started.backend} cannot train convolutions in useful time)` : '';
  console.log(`${w.id.padEnd(14)} ${tfjsFigure.padStart(10)} ${torchFigure.padStart(11)}  ${ratio.padStart(10)}  ${torchDevice}${skipped}`);
}

async function runTfjs(w: Workload): Promise<number> {
  const trainer = maskedSgd(w.model, w.inputShape, 10);
  const [h, wd, c] = w.inputShape;
  // Fixed synthetic batch: throughput does not depend on the pixel values.
  const images = Float32Array.from({ length: w.batch * h * wd * c }, (_, i) => Math.sin(i));
  const labels = Int32Array.from({ length: w.batch }, (_, i) => i % 10);
  try {
    for (let i = 0; i < warmup; i++) await trainer.step(images, labels);
    const start = performance.now();
    for (let i = 0; i < steps; i++) await trainer.step(images, labels);
    return (steps * w.batch) / ((performance.now() - start) / 1000);
  } finally {
    trainer.dispose();
  }
}

function runTorch(w: Workload): { exPerSec: number; device: string } | { why: string } {
  const script = fileURLToPath(new URL('torch_cuda.py', import.meta.url));
  const child = spawnSync(
    process.env.PYTHON || 'python3',
    [script, '--model', w.torchModel, '--batch', String(w.batch), '--steps', String(steps), '--warmup', String(warmup)],
    { encoding: 'utf8' },
  );
  const line = child.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (line) return JSON.parse(line) as { exPerSec: number; device: string };
  const stderr = (child.stderr ?? '').trim().split('\n');
  return { why: (child.error?.message ?? stderr.at(-1) ?? `exit ${child.status}`).slice(0, 160) };
}
