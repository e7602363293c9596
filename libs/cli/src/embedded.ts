/** The embedded mode: every port in this process, all state in one run directory. */
import { join } from 'node:path';
import { FileLedger, type JobProgress, LocalAnalyzer, LocalDirStore, LocalPruner, LocalTrainer, serialTrainer } from '@rewind/local';
import type { SweepEvent, SweepPorts } from '@rewind/runner';

export interface EmbeddedHooks {
  onEvent?(event: SweepEvent): void;
  onProgress?(progress: JobProgress): void;
}

export function embeddedPorts(runDir: string, hooks: EmbeddedHooks = {}): SweepPorts {
  const store = new LocalDirStore(join(runDir, 'checkpoints'));
  return {
    store,
    ledger: new FileLedger(runDir),
    trainer: serialTrainer(new LocalTrainer(store, hooks.onProgress ? { onProgress: hooks.onProgress } : {})),
    pruner: new LocalPruner(store),
    analyzer: new LocalAnalyzer(store),
    events: { emit: (event) => hooks.onEvent?.(event) },
  };
}
