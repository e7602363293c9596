/** `rewind run <spec> [--out DIR]`: a whole sweep in this process, resumable by running it again. */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type SweepSpec, sweepId } from '@rewind/core';
import { formatResults, sweepResults } from '@rewind/kinds';
import { EVENT_LOG_FILE, progressEvents, removeRunPid, SweepEventLog, writeFileAtomic, writeRunPid } from '@rewind/local';
import { runSweep, type TrainJob } from '@rewind/runner';
import { embeddedPorts } from '../embedded.ts';
import { ProgressBar } from '../progress-bar.ts';
import { readResults, writeResults } from '../results-file.ts';
import { readPreparedSpecFile } from '../spec-file.ts';

/** Where a sweep's state lives unless --out says otherwise: named by the spec and its hash. */
export function defaultRunDir(spec: SweepSpec): string {
  return join('runs', `${spec.name}-${sweepId(spec).slice('sweep_'.length, 'sweep_'.length + 8)}`);
}

/** How often a training's step and loss go to the event log (a cluster's trainers default to 5 s). */
const PROGRESS_LOG_EVERY_MS = 2000;

/** "dense trunk" or "k=200it round 3 (ticket_…)": what is training now, readable at a glance. */
function jobLabel(job: TrainJob): string {
  const { rewindStep, round, experiment } = job.lineage;
  return round === undefined ? 'dense trunk' : `k=${rewindStep}it round ${round} (${experiment.slice(0, 14)})`;
}

export async function runCommand(specPath: string, outDir: string | undefined): Promise<number> {
  const { spec, text } = await readPreparedSpecFile(specPath);
  const sweep = sweepId(spec);
  const runDir = outDir ?? defaultRunDir(spec);
  await writeFileAtomic(join(runDir, 'spec.yaml'), text);
  process.stderr.write(`rewind: sweep ${spec.name} (${sweep}) → ${runDir}; watch it live with: rewind dashboard ${runDir}\n`);

  const bar = new ProgressBar(process.stderr, spec.training.batchSize);
  const abort = new AbortController();
  const stop = () => {
    process.stderr.write('\nrewind: stopping; run the same command again to resume\n');
    abort.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // What `rewind dashboard` shows: every event with its time, trainers' progress throttled like a cluster's.
  const { log, attempt } = await SweepEventLog.open(join(runDir, EVENT_LOG_FILE));
  const logProgress = progressEvents({ emit: (e) => log.append(e) }, hostname(), PROGRESS_LOG_EVERY_MS);
  await writeRunPid(runDir);
  log.append({ type: 'sweep.started', attempt });
  try {
    const ports = embeddedPorts(runDir, {
      onEvent: (e) => {
        log.append(e);
        if (e.type === 'progress') {
          bar.update({ done: e.done, total: e.total });
          bar.finished(e.label);
        }
        if (e.type === 'checkpoint.corrupt') bar.interrupt(`rewind: checkpoint ${e.id} is corrupt; recomputing it from ${e.experiment}`);
      },
      // Most steps report no loss (the engine reads it back only now and then); the bar keeps the last one.
      onProgress: (p) => {
        logProgress(p);
        bar.update({ label: jobLabel(p.job), step: p.step, endStep: p.endStep, ...(p.trainLoss === undefined ? {} : { loss: p.trainLoss }) });
      },
    });
    const outcome = await runSweep(spec, ports, abort.signal).catch((e: Error) => {
      log.append(e.name === 'AbortError' ? { type: 'sweep.finished', state: 'cancelled' } : { type: 'sweep.finished', state: 'failed', error: e.message });
      throw e;
    });
    log.append({ type: 'sweep.finished', state: 'succeeded' });
    bar.close();
    await writeResults(runDir, sweepResults(spec, outcome));
    process.stdout.write('\n');
    process.stdout.write(formatResults(await readResults(runDir)));
    process.stdout.write(`\nwrote ${join(runDir, 'results.json')} and results.csv\n`);
    return 0;
  } finally {
    await removeRunPid(runDir);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
