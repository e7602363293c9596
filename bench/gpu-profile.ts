/**
 * Where a training step's time goes, kernel by kernel: for each workload a few warm-up steps run,
 * then the step time is measured (as bench/gpu.ts does) with steps through tfjs and, where the
 * backend records steps, replayed. Then one step's kernel launches are recorded with their inputs
 * and attributes, identical launches (kernel, input shapes and dtypes, attributes) are grouped, and
 * each group is timed by re-launching that kernel alone through tfjs: `--reps` or more launches back
 * to back, then one readback, wall-clock ms per launch (the readback's own cost subtracted). A tiny
 * Add is timed the same way: the per-dispatch floor, mostly host work. Works on any backend (on the
 * CPU ones a kernel runs synchronously, so this times its compute).
 * On webgpu a second table gives the GPU's own time: each kind of dispatch in the replayed step's
 * recording, repeated in one submit, so no per-launch host cost is in it.
 *
 *   tsx bench/gpu-profile.ts [--workloads lenet-60,conv2-60] [--warmup 3] [--steps 10] [--reps 20] [--top 12] [--kernels stock|rewind]
 *
 * tf.profile() records kernel names and shapes but not attributes, so a launch could not be
 * replayed from it; instead the engine's `runKernelFunc` (which every `runKernel` goes through) is
 * wrapped for the recorded step. Only outermost registered kernels are recorded (a kernel that
 * launches others through the engine is replayed whole); customGrad wrappers are not kernels, the
 * kernels inside them are. Each group's inputs are kept alive with `tf.clone` (a new reference to the
 * same device buffer, no copy), so the replay sees the step's real values.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { ALL_WORKLOADS, applyKernels, backendLabel, chooseWorkloads, defaultKernels, positiveInt, skipReason, type Workload } from './gpu-workloads.ts';

const { values: args } = parseArgs({
  options: {
    workloads: { type: 'string', default: ALL_WORKLOADS },
    warmup: { type: 'string', default: '3' },
    steps: { type: 'string', default: '10' },
    reps: { type: 'string', default: '20' },
    top: { type: 'string', default: '12' },
    kernels: { type: 'string', default: defaultKernels() },
  },
});
const warmup = positiveInt('warmup', args.warmup, true);
const steps = positiveInt('steps', args.steps);
const reps = positiveInt('reps', args.reps);
const top = positiveInt('top', args.top);
const chosen = chooseWorkloads(args.workloads);
const kernels = applyKernels(args.kernels);
// Imported only now: the engine and its backends load with REWIND_WEBGPU_KERNELS already set.
const { drain, maskedSgd, startBackend, syntheticBatch, timeSteps } = await import('./gpu-loop.ts');
type Timing = Awaited<ReturnType<typeof timeSteps>>;
type DispatchTime = import('@rewind/engine/backend-contract').DispatchTime;

/** One group of identical launches in the recorded step. */
interface Group {
  readonly kernel: string;
  readonly shapes: string;
  /** Clones of the first launch's inputs, kept until the workload is done. */
  readonly inputs: tf.NamedTensorMap;
  readonly attrs: tf.NamedAttrMap;
  launches: number;
  msPerLaunch?: number;
  error?: string;
}

interface KernelInvocation {
  readonly kernelName?: string;
  readonly inputs: tf.NamedTensorMap;
  readonly attrs?: tf.NamedAttrMap;
}
type RunKernelFunc = (this: unknown, params: KernelInvocation) => unknown;

const started = await startBackend();
const label = backendLabel(started.backend, kernels);
console.log(
  `gpu-profile — tfjs ${started.backend} (REWIND_WEBGPU_KERNELS=${kernels}); ${warmup} warm-up + ${steps} timed steps, at least ${reps} replays per kernel group`,
);
if (started.note) console.log(`note: ${started.note}`);

const drainMs = await medianMs(5, drain);
// Two device-resident 4096-value tensors (the webgpu backend runs tiny all-host ops on the CPU).
const tinyA = tf.fill([4096], 1);
const tinyB = tf.fill([4096], 2);
const tinyMs = await perLaunchMs(() => tf.dispose(tf.engine().runKernel('Add', { a: tinyA, b: tinyB })));
tf.dispose([tinyA, tinyB]);
console.log(`readback (drain) ${drainMs.toFixed(3)} ms; tiny dispatch (Add of 4096) ${tinyMs.toFixed(4)} ms per launch`);

let failed = false;
for (const w of chosen) {
  const skipped = skipReason(started.backend, w);
  if (skipped) {
    console.log(`\n${w.id}: skipped (${skipped})`);
    continue;
  }
  try {
    await profile(w);
  } catch (error) {
    failed = true;
    console.log(`\n${w.id}: FAILED: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
  }
}
if (failed) process.exitCode = 1;

async function profile(w: Workload): Promise<void> {
  const batch = syntheticBatch(w.batch, w.inputShape, w.numClasses);
  let groups: Group[] = [];
  try {
    // Steps through tfjs: timed, then one recorded kernel by kernel. Then the same model replaying its steps.
    // One at a time: tfjs variable names are global.
    const trainer = maskedSgd(w.model, w.inputShape, w.numClasses, 0, 'off');
    let throughTfjs: Timing;
    try {
      throughTfjs = await timeSteps(trainer, batch, warmup, steps);
      groups = record(() => trainer.step(batch.x, batch.y).dispose());
    } finally {
      trainer.dispose();
    }
    const replaying = maskedSgd(w.model, w.inputShape, w.numClasses, 0, 'on');
    let replayed: Timing | undefined;
    let gpuTimes: DispatchTime[] | undefined;
    try {
      if (replaying.replays) {
        replayed = await timeSteps(replaying, batch, Math.max(warmup, 2), steps);
        gpuTimes = await replaying.recording?.timeDispatches?.(reps);
      }
    } finally {
      replaying.dispose();
    }
    await drain();
    for (const g of groups) {
      try {
        g.msPerLaunch = await perLaunchMs(() => tf.dispose(tf.engine().runKernel(g.kernel, g.inputs, g.attrs) as tf.Tensor | tf.Tensor[]));
      } catch (error) {
        g.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80);
      }
    }
    report(w, throughTfjs, replayed, groups);
    if (gpuTimes) reportGpuTimes(replayed!, gpuTimes);
  } finally {
    for (const g of groups) tf.dispose(Object.values(g.inputs).filter((t): t is tf.Tensor => t != null));
    tf.dispose([batch.x, batch.y]);
  }
}

/** Runs `step` with every outermost kernel launch recorded, grouped by (kernel, inputs, attrs). */
function record(step: () => void): Group[] {
  const engine = tf.engine() as unknown as { runKernelFunc: RunKernelFunc };
  const original = engine.runKernelFunc;
  const groups = new Map<string, Group>();
  let depth = 0;
  let cloning = false;
  engine.runKernelFunc = function (this: unknown, params: KernelInvocation) {
    if (cloning || depth > 0 || params.kernelName == null) return original.call(this, params);
    const { kernelName, inputs } = params;
    const attrs = params.attrs ?? {};
    const entries = Object.entries(inputs);
    let attrKey: string;
    try {
      attrKey = JSON.stringify(attrs);
    } catch {
      attrKey = `#${groups.size}`; // not comparable: a group of its own
    }
    const key = `${kernelName}|${entries.map(([k, t]) => `${k}:${t?.dtype}[${t?.shape ?? ''}]`).join(',')}|${attrKey}`;
    const group = groups.get(key);
    if (group) group.launches++;
    else {
      cloning = true;
      try {
        const kept: tf.NamedTensorMap = {};
        for (const [k, t] of entries) kept[k] = t == null ? t : tf.keep(tf.clone(t));
        const shapes = entries.map(([, t]) => (t == null ? '-' : `[${t.shape.join(',')}]`)).join(' ');
        groups.set(key, { kernel: kernelName, shapes, inputs: kept, attrs, launches: 1 });
      } finally {
        cloning = false;
      }
    }
    depth++;
    try {
      return original.call(this, params);
    } finally {
      depth--;
    }
  };
  try {
    step();
  } finally {
    // The method lives on the Engine prototype: dropping the own property restores it.
    delete (engine as { runKernelFunc?: RunKernelFunc }).runKernelFunc;
    if (engine.runKernelFunc !== original) engine.runKernelFunc = original;
  }
  return [...groups.values()];
}

/**
 * Wall-clock ms per launch of `launch`: once untimed (pipeline creation, buffer pool), then `n`
 * launches back to back and one readback, less the readback's own time; the best of three such runs.
 * `n` starts at `reps` and grows 4x while the launches take under 10x the readback (up to 64x
 * `reps`), so the readback's jitter does not swamp short kernels.
 */
async function perLaunchMs(launch: () => void): Promise<number> {
  const timed = async (n: number) => {
    const start = performance.now();
    for (let i = 0; i < n; i++) launch();
    await drain();
    return performance.now() - start - drainMs;
  };
  launch();
  await drain();
  let n = reps;
  let best = await timed(n);
  while (best < 10 * drainMs && n < 64 * reps) {
    n *= 4;
    best = await timed(n);
  }
  for (let i = 0; i < 2; i++) best = Math.min(best, await timed(n));
  return Math.max(0, best) / n;
}

async function medianMs(times: number, run: () => Promise<void>): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

function report(w: Workload, throughTfjs: Timing, replayed: Timing | undefined, groups: readonly Group[]): void {
  const total = (g: Group) => (g.msPerLaunch ?? 0) * g.launches;
  const launches = groups.reduce((s, g) => s + g.launches, 0);
  const sum = groups.reduce((s, g) => s + total(g), 0);
  const sorted = [...groups].sort((a, b) => total(b) - total(a));
  // Same kernel and shapes but other attributes or dtypes: numbered so the rows stay distinct.
  const seen = new Map<string, number>();
  const names = new Map<Group, string>();
  for (const g of groups) {
    const n = (seen.get(`${g.kernel} ${g.shapes}`) ?? 0) + 1;
    seen.set(`${g.kernel} ${g.shapes}`, n);
    names.set(g, n > 1 ? `${g.kernel}#${n}` : g.kernel);
  }
  const timing = (t: Timing) => `${t.msPerStep.toFixed(3)} ms/step (${((w.batch * 1000) / t.msPerStep).toFixed(0)} ex/s, queued in ${t.enqueueMsPerStep.toFixed(3)} ms)`;
  console.log(
    `\n${w.id} (batch ${w.batch}) on ${label}: steps through tfjs ${timing(throughTfjs)}; ` +
      `replayed from a recording ${replayed ? timing(replayed) : '- (no step recorder on this backend)'}; ` +
      `${launches} launches/step in ${groups.length} groups; re-launched one group at a time they sum to ${sum.toFixed(3)} ms/step; ` +
      `${launches} x tiny dispatch = ${(launches * tinyMs).toFixed(3)} ms`,
  );
  console.log(`${'kernel'.padEnd(28)} ${'n'.padStart(3)} ${'ms/launch'.padStart(10)} ${'ms/step'.padStart(9)} ${'%'.padStart(5)}  input shapes`);
  for (const g of sorted.slice(0, top)) {
    const perLaunch = g.msPerLaunch === undefined ? '-' : g.msPerLaunch.toFixed(4);
    const share = sum > 0 ? ((100 * total(g)) / sum).toFixed(1) : '-';
    const shapes = g.shapes.length > 72 ? `${g.shapes.slice(0, 69)}...` : g.shapes;
    console.log(
      `${names.get(g)!.padEnd(28)} ${String(g.launches).padStart(3)} ${perLaunch.padStart(10)} ${total(g).toFixed(3).padStart(9)} ${share.padStart(5)}  ${shapes}${g.error ? `  replay failed: ${g.error}` : ''}`,
    );
  }
  const rest = sorted.slice(top);
  if (rest.length > 0) {
    const restMs = rest.reduce((s, g) => s + total(g), 0);
    const restLaunches = rest.reduce((s, g) => s + g.launches, 0);
    console.log(`(${rest.length} more groups, ${restLaunches} launches: ${restMs.toFixed(3)} ms/step)`);
  }
  const failures = groups.filter((g) => g.error);
  if (failures.length > 0) console.log(`replay failed for ${failures.length} groups: ${[...new Set(failures.map((g) => g.kernel))].join(', ')}`);
}

/** The replayed step's dispatches, each kind timed alone on the GPU: where the GPU's time goes. */
function reportGpuTimes(replayed: Timing, times: readonly DispatchTime[]): void {
  const total = (t: DispatchTime) => t.msPerLaunch * t.launches;
  const sum = times.reduce((s, t) => s + total(t), 0);
  const launches = times.reduce((s, t) => s + t.launches, 0);
  console.log(
    `GPU time of the replayed step's ${launches} dispatches (${times.length} kinds, each repeated in one submit): ${sum.toFixed(3)} ms/step, ` +
      `against ${replayed.msPerStep.toFixed(3)} ms/step replayed`,
  );
  console.log(`${'kernel (tfjs shader key)'.padEnd(60)} ${'n'.padStart(3)} ${'ms/launch'.padStart(10)} ${'ms/step'.padStart(9)} ${'%'.padStart(5)}  workgroups`);
  const sorted = [...times].sort((a, b) => total(b) - total(a));
  for (const t of sorted.slice(0, top)) {
    const kernel = t.kernel.length > 60 ? `${t.kernel.slice(0, 57)}...` : t.kernel;
    const share = sum > 0 ? ((100 * total(t)) / sum).toFixed(1) : '-';
    console.log(`${kernel.padEnd(60)} ${String(t.launches).padStart(3)} ${t.msPerLaunch.toFixed(4).padStart(10)} ${total(t).toFixed(3).padStart(9)} ${share.padStart(5)}  ${t.workgroups}`);
  }
  const rest = sorted.slice(top);
  if (rest.length > 0) console.log(`(${rest.length} more kinds: ${rest.reduce((s, t) => s + total(t), 0).toFixed(3)} ms/step)`);
}
