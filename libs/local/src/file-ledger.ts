/** The embedded default's ledger: one JSON file per finished experiment, named by its hash. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';
import type { Ledger } from '@rewind/runner';

export class FileLedger implements Ledger {
  constructor(readonly dir: string) {}

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put<T>(key: string, value: T): Promise<void> {
    await writeFileAtomic(this.path(key), `${JSON.stringify(value, null, 2)}\n`);
  }

  private path(key: string): string {
    return join(this.dir, 'experiments', encodeURIComponent(key), 'result.json');
  }
}
