/**
 * Corrupt checkpoints heal. Every checkpoint a sweep uses was produced by one of its experiments, and
 * training is deterministic: when a step fails on a checkpoint that fails its hash check, the experiment
 * that produced it runs again, must store the very same id (its put replaces the corrupt copy), and the
 * step is retried. Each checkpoint is recomputed at most once per run and each step retried at most once
 * per checkpoint, so a fault that persists ends the sweep with an error naming the checkpoint.
 */
import { CorruptCheckpointError, corruptCheckpointId } from '@rewind/core';
import type { EventSink } from './ports.ts';
import type { TrainingRecord } from './sweep-run.ts';

/** An experiment's work, run as the job named. */
export type Work = (jobId: string) => Promise<TrainingRecord>;

interface Producer {
  readonly experiment: string;
  /** Which of the record's checkpoints it is ("final", "snapshot 10", "mask"). */
  readonly role: string;
  readonly work: Work;
}

export class Healer {
  private readonly producers = new Map<string, Producer>();
  private readonly heals = new Map<string, Promise<void>>();

  constructor(private readonly events: EventSink) {}

  /** Notes the checkpoints `experiment` produced; a mask it was given (`givenMask`) is not its own. */
  produced(experiment: string, record: TrainingRecord, work: Work, givenMask?: string): void {
    for (const [role, id] of checkpointsOf(record)) {
      if (role !== 'mask' || id !== givenMask) this.producers.set(id, { experiment, role, work });
    }
  }

  /**
   * Runs `step`; if it fails on a corrupt checkpoint, heals that checkpoint and runs it again. `healed` starts
   * with the checkpoints being recomputed around this step: waiting for one of those would wait for itself.
   */
  async healing<T>(step: () => Promise<T>, healed = new Set<string>()): Promise<T> {
    for (;;) {
      try {
        return await step();
      } catch (err) {
        const id = corruptCheckpointId(err);
        if (id === undefined || healed.has(id)) throw err;
        healed.add(id);
        let heal = this.heals.get(id);
        if (heal === undefined) {
          heal = this.recompute(id, err, healed);
          this.heals.set(id, heal);
        }
        await heal;
      }
    }
  }

  private async recompute(id: string, err: unknown, around: ReadonlySet<string>): Promise<void> {
    const producer = this.producers.get(id);
    if (producer === undefined) {
      throw new CorruptCheckpointError(id, `${(err as Error).message}; this sweep did not produce checkpoint ${id}, so it cannot recompute it`, { cause: err });
    }
    const { experiment, role, work } = producer;
    await this.events.emit({ type: 'checkpoint.corrupt', id, experiment });
    // A job id of its own: the experiment's finished job (its outcome, its resume checkpoint) would answer without training.
    const again = await this.healing(() => work(`${experiment}.recompute-${id.slice(0, 12)}-${Date.now().toString(36)}`), new Set(around));
    const got = checkpointsOf(again).get(role);
    if (got !== id) throw new CorruptCheckpointError(id, `checkpoint ${id} is corrupt and recomputing ${experiment} gave ${got ?? `no ${role}`}`, { cause: err });
  }
}

function checkpointsOf({ result, row }: TrainingRecord): Map<string, string> {
  return new Map([
    ['final', result.finalId],
    ...Object.entries(result.snapshotIds).map(([step, id]): [string, string] => [`snapshot ${step}`, id]),
    ...(row.maskId ? [['mask', row.maskId] as [string, string]] : []),
  ]);
}
