/**
 * Embedded runs as dashboard sweeps: each run directory's spec names the sweep, its `events.jsonl` is
 * its history (tailed as `rewind run` appends to it), its checkpoints hold the lineage, and `run.pid`
 * names the process to stop on cancel.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sweepId as sweepIdOf } from '@rewind/core';
import { parseSweepSpec } from '@rewind/kinds';
import { EVENT_LOG_FILE, LocalDirStore, RUN_PID_FILE, readEventLog, runningPid, type TimedEvent } from '@rewind/local/files';
import { walkLineage } from '@rewind/runner';
import { parse } from 'yaml';
import { AmbiguousIdError, CannotCancelError, NotARunDirError, type SweepSource, SweepNotFoundError } from './source.ts';
import { lineageNode } from './lineage-node.ts';
import type { LineageGraph, SweepInfo, SweepState } from './views.ts';

/** How often a run directory's event log is checked for new lines. */
const POLL_MS = 500;
/** How long a cancel waits for the run to record that it stopped. */
const CANCEL_DEADLINE_MS = 30_000;

type TicketFound = Extract<TimedEvent, { type: 'ticket.found' }>;

interface RunDir {
  readonly dir: string;
  readonly info: SweepInfo;
}

export class RunDirSource implements SweepSource {
  private constructor(private readonly runs: readonly RunDir[]) {}

  /** Reads each directory's spec now, so a directory that is not a run is named at once. */
  static async open(dirs: readonly string[]): Promise<RunDirSource> {
    return new RunDirSource(await Promise.all(dirs.map(readRunDir)));
  }

  async sweeps(): Promise<SweepInfo[]> {
    return this.runs.map((r) => r.info);
  }

  async *events(sweepId: string, signal: AbortSignal): AsyncIterable<TimedEvent> {
    const path = join(this.run(sweepId).dir, EVENT_LOG_FILE);
    let offset = 0;
    while (!signal.aborted) {
      const chunk = await readEventLog(path, offset);
      offset = chunk.next;
      yield* chunk.events;
      if (chunk.events.length === 0) await sleep(POLL_MS, undefined, { signal }).catch(() => {});
    }
  }

  async cancel(sweepId: string): Promise<SweepState> {
    const { dir } = this.run(sweepId);
    const before = await this.stateOf(dir);
    if (before !== 'running') throw new CannotCancelError(`sweep ${sweepId} is ${before}, not running`);
    const pid = await runningPid(dir);
    if (pid === undefined) throw new CannotCancelError(`no \`rewind run\` is running sweep ${sweepId} (no live process in ${RUN_PID_FILE}); it may have been killed`);
    // What Ctrl-C does: the run stops at its next step, keeps its checkpoint, and records that it was cancelled.
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + CANCEL_DEADLINE_MS;
    while (Date.now() < deadline) {
      const state = await this.stateOf(dir);
      if (state !== 'running') return state;
      await sleep(200);
    }
    return 'running';
  }

  async lineage(sweepId: string, maskId: string): Promise<LineageGraph> {
    const { dir } = this.run(sweepId);
    const tickets = (await this.history(dir)).filter((e): e is TicketFound => e.type === 'ticket.found' && e.maskId.startsWith(maskId));
    if (new Set(tickets.map((t) => t.maskId)).size > 1) throw new AmbiguousIdError(`mask id prefix ${maskId} is ambiguous: give more digits`);
    const ticket = tickets[0];
    if (!ticket) throw new SweepNotFoundError(`no ticket of sweep ${sweepId} has a mask id starting with ${maskId}`);
    const store = new LocalDirStore(join(dir, 'checkpoints'));
    const [chain, rewind] = await Promise.all([walkLineage(store, ticket.maskId), walkLineage(store, ticket.rewindId)]);
    return { maskId: ticket.maskId, finalId: ticket.finalId, chain: chain.map(lineageNode), rewind: rewind.map(lineageNode) };
  }

  private run(sweepId: string): RunDir {
    const run = this.runs.find((r) => r.info.sweepId === sweepId);
    if (!run) throw new SweepNotFoundError(`no sweep ${sweepId} among this dashboard's run directories`);
    return run;
  }

  private async history(dir: string): Promise<TimedEvent[]> {
    const events: TimedEvent[] = [];
    for (let offset = 0; ; ) {
      const chunk = await readEventLog(join(dir, EVENT_LOG_FILE), offset);
      if (chunk.next === offset) return events;
      events.push(...chunk.events);
      offset = chunk.next;
    }
  }

  private async stateOf(dir: string): Promise<SweepState> {
    const last = (await this.history(dir)).findLast((e) => e.type === 'sweep.started' || e.type === 'sweep.finished');
    return last?.type === 'sweep.finished' ? last.state : 'running';
  }
}

async function readRunDir(dir: string): Promise<RunDir> {
  let text: string;
  try {
    text = await readFile(join(dir, 'spec.yaml'), 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no spec.yaml; is it a run directory of `rewind run`?' : (e as Error).message;
    throw new NotARunDirError(`cannot read ${join(dir, 'spec.yaml')}: ${why}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new NotARunDirError(`${join(dir, 'spec.yaml')} is not valid YAML: ${(e as Error).message}`);
  }
  const spec = parseSweepSpec(raw);
  return { dir, info: { sweepId: sweepIdOf(spec), name: spec.name, model: spec.model.name, dataset: spec.dataset.name } };
}
