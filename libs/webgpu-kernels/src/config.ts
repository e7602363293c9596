/**
 * The webgpu backend's settings, read from the environment once, when the backend starts, and checked
 * together: every wrong value is named in one error, before Dawn or any kernel starts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stepReplaySetting } from '@rewind/engine/backend-contract';

export type WebgpuKernelSet = 'rewind' | 'stock';

export interface WebgpuConfig {
  /** REWIND_WEBGPU_ALLOW_SOFTWARE=1: a software adapter (lavapipe) may train; tests use it to run the real WGSL. */
  readonly allowSoftware: boolean;
  /** REWIND_WEBGPU_KERNELS: Rewind's WGSL kernels over tfjs's (default), or tfjs's alone (`stock`), to compare. */
  readonly kernels: WebgpuKernelSet;
  /** REWIND_WEBGPU_SUBMIT_BATCH: dispatches tfjs records before it submits (tfjs's default, 15, when absent). */
  readonly submitBatch: number | undefined;
  /**
   * REWIND_WEBGPU_TUNE: the most tilings timed per product (0: off), or `default`: on (32) except on a
   * software adapter, whose timings say nothing about a GPU, or where a fixed tiling is asked for.
   */
  readonly tilingsPerProduct: number | 'default';
  /** REWIND_WEBGPU_GEMM_VARIANT: one tiling for every product whose grid it fits, for tuning by hand. */
  readonly gemmVariant: string | undefined;
  /** REWIND_WEBGPU_TUNING_FILE: where tunings are kept per device; `none` keeps none. */
  readonly tilingsFile: string | undefined;
  /** REWIND_STEP_REPLAY: whether training steps are replayed from a recording (default on). */
  readonly stepReplay: 'on' | 'off';
}

/** Most tilings timed per product when tuning is on: each is a shader to compile, which some drivers take long over. */
export const DEFAULT_TILINGS_PER_PRODUCT = 32;

const problems = (found: string[]) => (found.length === 1 ? found[0]! : `${found.length} webgpu settings are wrong: ${found.join('; ')}`);

export function readWebgpuConfig(env: Readonly<Record<string, string | undefined>> = process.env): WebgpuConfig {
  const wrong: string[] = [];
  const kernels = env.REWIND_WEBGPU_KERNELS || 'rewind';
  if (kernels !== 'rewind' && kernels !== 'stock') wrong.push(`REWIND_WEBGPU_KERNELS must be 'rewind' or 'stock' (got '${kernels}')`);

  let submitBatch: number | undefined;
  if (env.REWIND_WEBGPU_SUBMIT_BATCH) {
    submitBatch = Number(env.REWIND_WEBGPU_SUBMIT_BATCH);
    if (!(Number.isInteger(submitBatch) && submitBatch >= 1)) {
      wrong.push(`REWIND_WEBGPU_SUBMIT_BATCH must be a positive integer (got '${env.REWIND_WEBGPU_SUBMIT_BATCH}')`);
    }
  }

  const tune = env.REWIND_WEBGPU_TUNE;
  let tilingsPerProduct: number | 'default' = 'default';
  if (tune === 'off') tilingsPerProduct = 0;
  else if (tune === 'on') tilingsPerProduct = DEFAULT_TILINGS_PER_PRODUCT;
  else if (tune) {
    tilingsPerProduct = Number(tune);
    if (!(Number.isInteger(tilingsPerProduct) && tilingsPerProduct >= 1)) {
      wrong.push(`REWIND_WEBGPU_TUNE must be 'on', 'off' or the most tilings to time per product, a positive integer (got '${tune}')`);
    }
  }

  let stepReplay: 'on' | 'off' = 'on';
  try {
    stepReplay = stepReplaySetting(env.REWIND_STEP_REPLAY || 'on');
  } catch (error) {
    wrong.push((error as Error).message);
  }

  const file = env.REWIND_WEBGPU_TUNING_FILE;
  const tilingsFile = file === 'none' ? undefined : file || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rewind', 'webgpu-tilings.json');
  if (wrong.length > 0) throw new Error(problems(wrong));
  return {
    allowSoftware: env.REWIND_WEBGPU_ALLOW_SOFTWARE === '1',
    kernels: kernels as WebgpuKernelSet,
    submitBatch,
    tilingsPerProduct,
    gemmVariant: env.REWIND_WEBGPU_GEMM_VARIANT || undefined,
    tilingsFile,
    stepReplay,
  };
}

/** How many tilings to time per product on this adapter (0: tuning off). */
export function tilingsToTime(config: WebgpuConfig, softwareAdapter: boolean): number {
  if (config.kernels === 'stock') return 0;
  if (config.tilingsPerProduct !== 'default') return config.tilingsPerProduct;
  return softwareAdapter || config.gemmVariant ? 0 : DEFAULT_TILINGS_PER_PRODUCT;
}
