/**
 * Training throughput of tfjs on the GPU (the engine's `webgpu` backend) against PyTorch CUDA on
 * the same card (bench/torch_cuda.py), for the engine's models at the batch sizes IMP uses and
 * ResNet-50 at 224x224 as ImageNet trains it. PyTorch runs twice, in one process per workload: plain
 * fp32 eager ("torch"), and what a user would pick ("pick": TF32, bf16 autocast + channels_last for
 * conv nets, the whole step as a CUDA graph for LeNet and Conv-2). Both
 * sides keep batch, weights and masks on the device, read nothing back per step, and stop the
 * clock only after the device has finished (one readback / `cuda.synchronize()`).
 *
 *   tsx bench/gpu.ts [--steps 50] [--warmup 5] [--workloads lenet-60,conv2-512] [--kernels stock|rewind] [--replay on|off] [--skip-torch]
 *
 * --kernels sets REWIND_WEBGPU_KERNELS before the backend starts (default: that variable, else
 * `rewind`): `stock` is tfjs-backend-webgpu alone, `rewind` adds Rewind's WGSL kernels. tfjs kernels
 * are registered once per process, so comparing the two takes two runs (the bundle's `run.sh --compare`).
 * --replay (default: REWIND_STEP_REPLAY, else `on`) replays each step from a recording after the
 * second (libs/engine/src/step-replay.ts); `off` runs every step's ops through tfjs.
 * Without a GPU it runs on the best CPU backend (and PyTorch on the CPU) and says so, so the path
 * can be checked anywhere. `PYTHON` names the interpreter that has PyTorch (default `python3`).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALL_WORKLOADS, applyKernels, backendLabel, chooseWorkloads, defaultKernels, positiveInt, skipReason, stepsFor, type Workload } from './gpu-workloads.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
    workloads: { type: 'string', default: ALL_WORKLOADS },
    kernels: { type: 'string', default: defaultKernels() },
    replay: { type: 'string', default: process.env.REWIND_STEP_REPLAY || 'on' },
    'skip-torch': { type: 'boolean', default: false },
  },
});
const steps = positiveInt('steps', args.steps);
const warmup = positiveInt('warmup', args.warmup, true);
const chosen = chooseWorkloads(args.workloads);
const kernels = applyKernels(args.kernels);
// Imported only now: the engine and its backends load with REWIND_WEBGPU_KERNELS already set.
const { maskedSgd, startBackend, syntheticBatch, timeSteps } = await import('./gpu-loop.ts');
const { stepReplaySetting } = await import('@rewind/engine');
const replay = stepReplaySetting(args.replay);

interface TorchResult {
  readonly mode: 'eager' | 'user';
  readonly exPerSec: number;
  readonly msPerStep: number;
  readonly device: string;
  /** null when it was not finite. */
  readonly lastLoss?: number | null;
  readonly torch?: string;
  readonly cudnnBenchmark?: boolean;
  readonly tf32Matmul?: boolean;
  readonly tf32Cudnn?: boolean;
  readonly autocast?: string | null;
  readonly channelsLast?: boolean;
  readonly cudaGraph?: boolean;
}
type TorchRun = TorchResult | { why: string };

const started = await startBackend();
const label = backendLabel(started.backend, kernels);
console.log(
  `bench:gpu — tfjs ${started.backend} (REWIND_WEBGPU_KERNELS=${kernels}, step replay ${replay}) vs PyTorch; ${warmup} warm-up + ${steps} timed steps per row`,
);
if (started.note) console.log(`note: ${started.note}`);
console.log(
  `${'workload'.padEnd(14)} ${'tfjs ex/s'.padStart(10)} ${'tfjs ms'.padStart(9)} ${'queue ms'.padStart(9)} ${'torch ex/s'.padStart(11)} ${'torch ms'.padStart(9)}  ${'tfjs/torch'.padStart(10)} ${'pick ex/s'.padStart(11)} ${'pick ms'.padStart(9)}  ${'tfjs/pick'.padStart(9)}  notes`,
);

const settings = new Map<string, TorchResult>();
let failed = false;
for (const w of chosen) {
  const skipped = skipReason(started.backend, w);
  const [eager, pick] = args['skip-torch'] || skipped ? [{ why: 'skipped' }, { why: 'skipped' }] : runTorch(w);
  for (const run of [eager, pick]) if ('exPerSec' in run && !settings.has(run.mode)) settings.set(run.mode, run);
  let tfjs: { exPerSec: number; msPerStep: number; enqueueMsPerStep: number; lastLoss: number } | { error: string } | undefined;
  if (!skipped) {
    try {
      tfjs = await runTfjs(w);
    } catch (error) {
      tfjs = { error: (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200) };
      failed = true;
    }
  }
  const ok = tfjs && 'exPerSec' in tfjs ? tfjs : undefined;
  const ratio = (torch: TorchRun) => (ok && 'exPerSec' in torch ? (ok.exPerSec / torch.exPerSec).toFixed(3) : '-');
  const cells = [
    w.id.padEnd(14),
    (ok ? ok.exPerSec.toFixed(0) : '-').padStart(10),
    (ok ? ok.msPerStep.toFixed(2) : '-').padStart(9),
    (ok ? ok.enqueueMsPerStep.toFixed(2) : '-').padStart(9),
    ('exPerSec' in eager ? eager.exPerSec.toFixed(0) : '-').padStart(11),
    ('msPerStep' in eager ? eager.msPerStep.toFixed(2) : '-').padStart(9),
    ` ${ratio(eager).padStart(10)}`,
    ('exPerSec' in pick ? pick.exPerSec.toFixed(0) : '-').padStart(11),
    ('msPerStep' in pick ? pick.msPerStep.toFixed(2) : '-').padStart(9),
    ` ${ratio(pick).padStart(9)}`,
  ];
  const notes = [
    skipped ? `skipped: ${skipped}` : '',
    'device' in eager ? eager.device : skipped || args['skip-torch'] ? '' : `torch unavailable: ${'why' in eager ? eager.why : '?'}`,
    'exPerSec' in pick ? `pick: ${pickLabel(pick)}` : 'why' in pick && !skipped && !args['skip-torch'] ? `pick unavailable: ${pick.why}` : '',
    tfjs && 'error' in tfjs ? `tfjs FAILED: ${tfjs.error}` : '',
    ok && !Number.isFinite(ok.lastLoss) ? `tfjs loss ${ok.lastLoss}` : '',
    [eager, pick].some((run) => 'lastLoss' in run && run.lastLoss === null) ? 'torch loss not finite' : '',
  ].filter(Boolean);
  console.log(`${cells.join(' ')}  ${notes.join('; ')}`);
}
for (const [mode, { torch, cudnnBenchmark, tf32Matmul, tf32Cudnn }] of settings) {
  console.log(`torch ${torch ?? '?'} ${mode === 'eager' ? 'torch' : 'pick'} column: cudnn.benchmark=${cudnnBenchmark}, allow_tf32 matmul=${tf32Matmul} cudnn=${tf32Cudnn}`);
}
console.log(`tfjs ${label}`);
if (failed) process.exitCode = 1;

/** What the user's pick turned on for a row: bf16 autocast, channels_last, a CUDA graph (always TF32). */
function pickLabel(run: TorchResult): string {
  const parts = ['tf32', run.autocast ? `${run.autocast} autocast` : '', run.channelsLast ? 'channels_last' : '', run.cudaGraph ? 'CUDA graph' : ''];
  return parts.filter(Boolean).join(' + ');
}

async function runTfjs(w: Workload): Promise<{ exPerSec: number; msPerStep: number; enqueueMsPerStep: number; lastLoss: number }> {
  const trainer = maskedSgd(w.model, w.inputShape, w.numClasses, 0, replay);
  const batch = syntheticBatch(w.batch, w.inputShape, w.numClasses);
  try {
    const { msPerStep, enqueueMsPerStep, lastLoss } = await timeSteps(trainer, batch, warmup, stepsFor(w, steps));
    return { exPerSec: (w.batch * 1000) / msPerStep, msPerStep, enqueueMsPerStep, lastLoss };
  } finally {
    trainer.dispose();
    batch.x.dispose();
    batch.y.dispose();
  }
}

/** Both PyTorch columns for `w` (eager, then the user's pick), from one Python process. */
function runTorch(w: Workload): [TorchRun, TorchRun] {
  const script = fileURLToPath(new URL('torch_cuda.py', import.meta.url));
  const child = spawnSync(
    process.env.PYTHON || 'python3',
    [script, '--model', w.torchModel, '--batch', String(w.batch), '--steps', String(stepsFor(w, steps)), '--warmup', String(warmup), '--modes', 'eager,user'],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const results = new Map<string, TorchRun>();
  for (const line of child.stdout?.split('\n').filter((l) => l.startsWith('{')) ?? []) {
    try {
      const result = JSON.parse(line) as TorchResult;
      results.set(result.mode, result);
    } catch {
      // An unreadable line leaves its column to the error below.
    }
  }
  const stderr = (child.stderr ?? '').trim().split('\n');
  const why = { why: (child.error?.message ?? stderr.at(-1) ?? `exit ${child.status}`).slice(0, 160) };
  return [results.get('eager') ?? why, results.get('user') ?? why];
}
