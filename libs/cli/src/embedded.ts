/** The embedded mode: every port in this process, all state in one run directory. */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileLedger, type JobProgress, LocalAnalyzer, LocalDirStore, LocalPruner, LocalTrainer, loggedTrainer, serialTrainer } from '@rewind/local';
import type { SweepEvent, SweepPorts } from '@rewind/runner';

export interface EmbeddedHooks {
  onEvent?(event: SweepEvent): void;
  onProgress?(progress: JobProgress): void;
}

export function embeddedPorts(runDir: string, hooks: EmbeddedHooks = {}): SweepPorts {
  const store = new LocalDirStore(join(runDir, 'checkpoints'));
  const trainer = new LocalTrainer(store, hooks.onProgress ? { onProgress: hooks.onProgress } : {});
  const emit = (event: SweepEvent) => hooks.onEvent?.(event);
  return {
    store,
    ledger: new FileLedger(runDir),
    // Logged inside the serial queue, so "took job" is said when it starts, not when it is queued.
    trainer: serialTrainer(loggedTrainer(trainer, hostname(), emit)),
    pruner: new LocalPruner(store),
    analyzer: new LocalAnalyzer(store),
    events: { emit },
  };
}
