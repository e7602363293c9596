/**
 * `run.pid` in a run directory: which process runs the sweep now, so `rewind dashboard` can stop it as
 * Ctrl-C would. Written at the start of `rewind run`, removed when it ends.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RUN_PID_FILE = 'run.pid';

export async function writeRunPid(dir: string): Promise<void> {
  await writeFile(join(dir, RUN_PID_FILE), `${process.pid}\n`);
}

export async function removeRunPid(dir: string): Promise<void> {
  await rm(join(dir, RUN_PID_FILE), { force: true });
}

/**
 * The pid in `run.pid` if that process is alive and is a `rewind` command: a run killed outright leaves
 * its file behind, and its pid may since belong to something else.
 */
export async function runningPid(dir: string): Promise<number | undefined> {
  const pid = Number((await readFile(join(dir, RUN_PID_FILE), 'utf8').catch(() => '')).trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // Where /proc exists, the process must be ours; elsewhere liveness is all there is to go by.
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' && process.platform !== 'linux' ? 'rewind' : ''));
  return command.includes('rewind') ? pid : undefined;
}
