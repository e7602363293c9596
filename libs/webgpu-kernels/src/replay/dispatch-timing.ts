/**
 * GPU time of each kind of dispatch in a recorded step, for profiling: the dispatch is encoded many
 * times into one compute pass and submitted once, so the host's cost per launch (tfjs, dawn.node)
 * is out of the figure, unlike re-launching a kernel through tfjs. Dawn puts a barrier between the
 * repeats (each writes the same output), so they run one after another, as in the step.
 * The repeats overwrite what the step computed, the state's new values included: profile only.
 */
import type { DispatchTime } from '@rewind/engine/backend-contract';
import type { Command } from './commands.ts';
import type { WebgpuInternals } from '../internals.ts';

type Dispatch = Extract<Command, { kind: 'dispatch' }>;

export async function timeDispatches(b: WebgpuInternals, commands: readonly Command[], repeats: number): Promise<DispatchTime[]> {
  const kernelOf = shaderKeys(b);
  const kinds = new Map<string, { readonly dispatch: Dispatch; readonly kernel: string; launches: number }>();
  for (const c of commands) {
    if (c.kind !== 'dispatch') continue;
    const kernel = kernelOf.get(c.pipeline) ?? (c.pipeline.label || 'unnamed pipeline');
    const key = `${kernel} ${c.groups.join('x')}`;
    const kind = kinds.get(key);
    if (kind) kind.launches++;
    else kinds.set(key, { dispatch: c, kernel, launches: 1 });
  }
  const floor = await bestOf(5, () => submitAndWait(b, () => {}));
  const times: DispatchTime[] = [];
  for (const { dispatch, kernel, launches } of kinds.values()) {
    const run = (n: number) =>
      submitAndWait(b, (pass) => {
        pass.setPipeline(dispatch.pipeline);
        pass.setBindGroup(0, dispatch.bindGroup);
        for (let i = 0; i < n; i++) pass.dispatchWorkgroups(...dispatch.groups);
      });
    await run(1);
    // Enough repeats that the submit's own latency is a small part of the measured time.
    let n = repeats;
    let ms = await bestOf(3, () => run(n));
    while (ms < 20 * floor && n < 64 * repeats) {
      n *= 4;
      ms = await bestOf(3, () => run(n));
    }
    times.push({ kernel, workgroups: dispatch.groups.join('x'), launches, msPerLaunch: Math.max(0, ms - floor) / n });
  }
  return times;
}

/** Wall ms from submitting one compute pass (what `encode` puts in it) to the queue having finished it. */
async function submitAndWait(b: WebgpuInternals, encode: (pass: GPUComputePassEncoder) => void): Promise<number> {
  const encoder = b.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encode(pass);
  pass.end();
  const commandBuffer = encoder.finish();
  const start = performance.now();
  b.queue.submit([commandBuffer]);
  await b.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

async function bestOf(times: number, measure: () => Promise<number>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) best = Math.min(best, await measure());
  return best;
}

/** tfjs's shader key for each compiled pipeline (its pipeline cache, inverted): names the kernel and its variant. */
function shaderKeys(b: WebgpuInternals): Map<GPUComputePipeline, string> {
  const cache = (b as unknown as { pipelineCache?: Record<string, unknown> }).pipelineCache ?? {};
  return new Map(Object.entries(cache).map(([key, pipeline]) => [pipeline as GPUComputePipeline, key]));
}
