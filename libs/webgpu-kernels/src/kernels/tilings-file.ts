/**
 * Tuned tilings kept across processes, so each GPU model is tuned once rather than by every
 * trainer process: a JSON file of product → tiling name per device (the adapter, its limits, and
 * the tuning limit). Only speed depends on it, never results, so a file that cannot be read or
 * parsed is set aside with a warning and the products are tuned again.
 * `REWIND_WEBGPU_TUNING_FILE`: its path, or `none`; default `$XDG_CACHE_HOME/rewind/webgpu-tilings.json`
 * (`~/.cache/...` without XDG_CACHE_HOME).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface Contents {
  readonly version: 1;
  readonly devices: Record<string, Record<string, string>>;
}

export class TilingsFile {
  private warned = false;

  constructor(
    readonly path: string,
    /** Names the device the tilings were timed on. */
    private readonly device: string,
  ) {}

  /** This device's tilings by product, as names; empty when there is no file yet or it is unreadable. */
  load(): Map<string, string> {
    return new Map(Object.entries(this.read().devices[this.device] ?? {}));
  }

  /** Adds `tilings` to this device's, keeping what other processes and devices wrote meanwhile. */
  save(tilings: ReadonlyMap<string, string>): void {
    const contents = this.read();
    const devices = { ...contents.devices, [this.device]: { ...contents.devices[this.device], ...Object.fromEntries(tilings) } };
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      // Written whole, then renamed: a reader never sees half a file.
      const temporary = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify({ version: 1, devices } satisfies Contents, null, 1)}\n`);
      renameSync(temporary, this.path);
    } catch (error) {
      this.warn(`cannot write it (${(error as Error).message})`);
    }
  }

  private read(): Contents {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`cannot read it (${(error as Error).message})`);
      return { version: 1, devices: {} };
    }
    try {
      const parsed = JSON.parse(text) as Partial<Contents>;
      if (parsed.version === 1 && typeof parsed.devices === 'object' && parsed.devices !== null) return parsed as Contents;
      this.warn('not a version 1 tilings file');
    } catch (error) {
      this.warn(`not JSON (${(error as Error).message})`);
    }
    return { version: 1, devices: {} };
  }

  private warn(why: string): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(`rewind: webgpu tilings file ${this.path}: ${why}; its products are tuned again (REWIND_WEBGPU_TUNING_FILE=none turns the file off)`);
  }
}
