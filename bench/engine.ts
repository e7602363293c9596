/**
 * Training throughput of every backend Rewind can use on this machine, against a plain PyTorch loop
 * (bench/torch_baseline.py) at 1 and 2 threads, same models, batch sizes and SGD settings.
 *
 *   npm run bench:engine -- [--seconds 3] [--models mnist_lenet_300_100,mnist_conv_2,cifar_resnet_20[,cifar_vgg_16]]
 *                           [--backends rewind-native,wasm,cpu] [--threads 1,2]
 *
 * Each measurement runs in its own child process (`--worker`), so thread settings and backend
 * state never leak between rows. Steady state: 3 warm-up steps, then as many steps as fit in the
 * time budget. Prints a table of examples/s and the ratio to PyTorch at the same thread count.
 * VGG-16 (seconds per step on one core) runs only when named in --models. Ends with the global pruning
 * threshold time over 25M weights (bench/pruning-threshold.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Workload {
  model: 'mnist_lenet_300_100' | 'mnist_conv_2' | 'cifar_resnet_20' | 'cifar_vgg_16';
  torchModel: string;
  batch: number;
  inputShape: [number, number, number];
}

const WORKLOADS: Workload[] = [
  { model: 'mnist_lenet_300_100', torchModel: 'lenet_300_100', batch: 60, inputShape: [28, 28, 1] },
  { model: 'mnist_conv_2', torchModel: 'conv2', batch: 60, inputShape: [28, 28, 1] },
  { model: 'cifar_resnet_20', torchModel: 'resnet20', batch: 128, inputShape: [32, 32, 3] },
  { model: 'cifar_vgg_16', torchModel: 'vgg16', batch: 128, inputShape: [32, 32, 3] },
];
const DEFAULT_MODELS = ['mnist_lenet_300_100', 'mnist_conv_2', 'cifar_resnet_20'];

/** Known-hopeless pairs, skipped with a note instead of waiting minutes per step. */
const HOPELESS: Record<string, string> = {
  'cpu/mnist_conv_2': 'tfjs cpu Conv2DBackpropFilter takes minutes per step (415 s of a 424 s step measured)',
  'cpu/cifar_resnet_20': 'tfjs cpu convolutions are minutes per step at batch 128',
  'cpu/cifar_vgg_16': 'tfjs cpu convolutions are minutes per step at batch 128',
};

/** Backends whose kernels are single-threaded in Node: one measurement stands for every thread count. */
const SINGLE_THREADED = new Set(['wasm', 'cpu']);

const MOMENTUM = 0.9;
const WEIGHT_DECAY = 1e-4;
const LR = 0.01;

const { values: args } = parseArgs({
  options: {
    worker: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '3' },
    models: { type: 'string', default: DEFAULT_MODELS.join(',') },
    backends: { type: 'string', default: '' },
    threads: { type: 'string', default: '1,2' },
    model: { type: 'string' },
    backend: { type: 'string' },
  },
});

if (args.worker) {
  await worker(args.model, args.backend!, Number(args.seconds));
} else {
  await main();
}

async function main(): Promise<void> {
  const seconds = Number(args.seconds);
  const threadCounts = args.threads.split(',').map(Number);
  const workloads = WORKLOADS.filter((w) => args.models.split(',').includes(w.model));
  const backends = args.backends ? args.backends.split(',') : await availableBackends();
  ensureTorch();
  console.log(`bench:engine — ${seconds}s per row after warm-up; backends: ${backends.join(', ')}`);

  const rows: { model: string; backend: string; threads: number; exPerSec?: number; note?: string }[] = [];
  for (const w of workloads) {
    const torch = new Map<number, number>();
    for (const threads of threadCounts) {
      const out = execFileSync('/usr/bin/python3', [
        fileURLToPath(new URL('torch_baseline.py', import.meta.url)),
        ...['--model', w.torchModel, '--threads', String(threads), '--batch', String(w.batch), '--seconds', String(seconds)],
      ]);
      const exPerSec = (JSON.parse(String(out)) as { exPerSec: number }).exPerSec;
      torch.set(threads, exPerSec);
      rows.push({ model: w.model, backend: 'pytorch', threads, exPerSec });
      report(rows.at(-1)!, torch);
    }
    for (const backend of backends) {
      const hopeless = HOPELESS[`${backend}/${w.model}`];
      let single: { exPerSec?: number; note?: string } | undefined;
      for (const threads of threadCounts) {
        const result = hopeless ? { note: `skipped: ${hopeless}` } : (single ?? runWorker(w.model, backend, threads, seconds));
        if (SINGLE_THREADED.has(backend)) single = result;
        rows.push({ model: w.model, backend, threads, ...result });
        report(rows.at(-1)!, torch);
      }
    }
  }
  // Pruning cost at ResNet-50 scale, the other half of an IMP round.
  const pruning = fileURLToPath(new URL('pruning-threshold.ts', import.meta.url));
  console.log(execFileSync(process.execPath, ['--import', 'tsx', pruning], { encoding: 'utf8' }).trimEnd());
}

function report(row: { model: string; backend: string; threads: number; exPerSec?: number; note?: string }, torch: Map<number, number>): void {
  const base = torch.get(row.threads);
  const figure = row.exPerSec === undefined ? '' : row.exPerSec.toFixed(0).padStart(8);
  const ratio = row.exPerSec !== undefined && base ? `${(row.exPerSec / base).toFixed(2)}x torch` : '';
  console.log(`${row.model.padEnd(20)} ${row.backend.padEnd(14)} ${String(row.threads).padStart(2)} thr ${figure.padStart(8)} ex/s  ${ratio.padEnd(12)} ${row.note ?? ''}`);
}

function runWorker(model: string, backend: string, threads: number, seconds: number): { exPerSec?: number; note?: string } {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', '--model', model, '--backend', backend, '--seconds', String(seconds)],
    { env: { ...process.env, REWIND_THREADS: String(threads), OMP_NUM_THREADS: String(threads) }, encoding: 'utf8', timeout: (seconds + 120) * 1000 },
  );
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line) return JSON.parse(line) as { exPerSec?: number; note?: string };
  const why = (child.stderr || child.error?.message || 'no output').trim().split('\n').find((l) => /Error|error/.test(l)) ?? 'failed';
  return { note: `cannot train: ${why.trim().slice(0, 120)}` };
}

/** Every backend id the engine knows, minus those that can't start here (printed with the reason). */
async function availableBackends(): Promise<string[]> {
  const { BACKEND_IDS } = await import('../libs/engine/src/backends/index.ts');
  const present: string[] = [];
  for (const id of BACKEND_IDS) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', '--backend', id], { encoding: 'utf8' });
    const probe = JSON.parse(child.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{"why":"probe crashed"}') as { why?: string };
    if (probe.why) console.log(`${id}: not available here (${probe.why})`);
    else present.push(id);
  }
  return present;
}

/** PyTorch comes from Debian; install it when missing so the comparison always has its yardstick. */
function ensureTorch(): void {
  if (spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0) return;
  console.log('installing python3-torch (apt) for the PyTorch baseline...');
  execFileSync('apt-get', ['install', '-y', 'python3-torch', 'libopenblas0-pthread'], { stdio: 'inherit' });
}

async function worker(modelName: string | undefined, backend: string, seconds: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs'); // registers gradients (tfjs-core's Node build has none)
  const { getModel } = await import('@rewind/engine');
  const { initBackend } = await import('../libs/engine/src/backends/index.ts');
  const { sgdStep } = await import('../libs/engine/src/optimizer.ts');
  let choice: Awaited<ReturnType<typeof initBackend>>;
  try {
    choice = await initBackend(backend);
  } catch (error) {
    console.log(JSON.stringify({ why: error instanceof Error ? error.message : String(error) }));
    return;
  }
  const workload = WORKLOADS.find((w) => w.model === modelName);
  if (!workload) {
    console.log(JSON.stringify({ ok: true }));
    return;
  }
  const model = getModel(workload.model);
  const init = model.init({ name: workload.model, width: 1, initSeed: 0 }, workload.inputShape, 10);
  const params: Record<string, import('@tensorflow/tfjs-core').Variable> = {};
  for (const [name, t] of Object.entries(init.params)) params[name] = tf.variable(tf.tensor(t.data, [...t.shape]), true, `${name}`);
  const buffers: Record<string, import('@tensorflow/tfjs-core').Tensor> = {};
  for (const [name, t] of Object.entries(init.buffers)) buffers[name] = tf.tensor(t.data, [...t.shape]);
  const slots = Object.values(params).map((param) => ({ param, momentum: tf.variable(tf.zerosLike(param), false) }));
  const [h, w, c] = workload.inputShape;
  const x = tf.randomNormal([workload.batch, h, w, c], 0, 1, 'float32', 1) as import('@tensorflow/tfjs-core').Tensor4D;
  const y = tf.oneHot(tf.randomUniform([workload.batch], 0, 10, 'int32', 2) as import('@tensorflow/tfjs-core').Tensor1D, 10);

  const step = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(params, buffers, x, true);
      if (out.updatedBuffers) tf.dispose(Object.values(out.updatedBuffers));
      return tf.losses.softmaxCrossEntropy(y, out.logits) as import('@tensorflow/tfjs-core').Scalar;
    }, Object.values(params));
    const ordered = Object.values(params).map((v) => grads[v.name]!);
    sgdStep(slots, ordered, { lr: LR, momentum: MOMENTUM, weightDecay: WEIGHT_DECAY });
    tf.dispose(ordered);
    await value.data();
    value.dispose();
  };

  try {
    for (let i = 0; i < 3; i++) await step();
    let steps = 0;
    const start = performance.now();
    while (steps < 3 || performance.now() - start < seconds * 1000) {
      await step();
      steps++;
    }
    const elapsed = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ exPerSec: (steps * workload.batch) / elapsed, backend: choice.name }));
  } catch (error) {
    console.log(JSON.stringify({ note: `cannot train: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` }));
  }
}
