/**
 * Runs child processes on lavapipe, Mesa's software Vulkan driver, so tests exercise the real WebGPU
 * path (Dawn, tfjs-backend-webgpu's WGSL shaders) on a machine without a GPU. The driver is unpacked by
 * scripts/fetch-software-vulkan.sh (scripts/setup.sh runs it); its env.sh says how to reach it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from '@rewind/dev-cluster';

export const SOFTWARE_VULKAN_DIR = fileURLToPath(new URL('../../.cache/software-vulkan', import.meta.url));

/** What env.sh sets, in the order its printf below prints them. */
const EXPORTED = ['VK_DRIVER_FILES', 'LD_LIBRARY_PATH', 'XDG_RUNTIME_DIR', 'GALLIVM_PERF', 'LP_NATIVE_VECTOR_WIDTH'] as const;

/**
 * process.env plus what `. .cache/software-vulkan/env.sh` exports, then `extra` (an undefined value
 * removes a variable). REWIND_BACKEND and REWIND_WEBGPU_ALLOW_SOFTWARE are dropped, so each test says
 * what it wants. Throws, naming the fetch script, when the driver is not there: no silent skip.
 */
export function softwareWebgpuEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const envFile = join(SOFTWARE_VULKAN_DIR, 'env.sh');
  const missing = () => new Error(`no software Vulkan driver (lavapipe) in ${SOFTWARE_VULKAN_DIR}: run scripts/fetch-software-vulkan.sh (scripts/setup.sh does)`);
  if (!existsSync(envFile)) throw missing();
  // env.sh is the one description of the setup, so it is sourced rather than re-derived here.
  const script = `. "$1" && printf '%s\\0' ${EXPORTED.map((name) => `"$${name}"`).join(' ')}`;
  const values = execFileSync('bash', ['-c', script, 'bash', envFile], { encoding: 'utf8' }).split('\0');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.REWIND_BACKEND;
  delete env.REWIND_WEBGPU_ALLOW_SOFTWARE;
  EXPORTED.forEach((name, i) => {
    env[name] = values[i];
  });
  if (!existsSync(env.VK_DRIVER_FILES!)) throw missing();
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node --import tsx <script> <args>` with `env`; a child still running after `timeoutMs` (stretched by
 * REWIND_TEST_TIME_SCALE, as lavapipe on a busy machine runs several times slower) is killed.
 */
export function runTsx(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<ChildResult> {
  const deadlineMs = scaled(timeoutMs);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      timeout: deadlineMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal) stderr += `\n(killed by ${signal}${signal === 'SIGKILL' ? ` after ${deadlineMs} ms?` : ''})`;
      resolve({ code, stdout, stderr });
    });
  });
}
