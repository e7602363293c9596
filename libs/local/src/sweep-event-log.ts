/**
 * An embedded sweep's history, `events.jsonl` in its run directory: one JSON line per event with its
 * time, appended by `rewind run` and read, as it grows, by `rewind dashboard`. The cluster keeps the same
 * events in its NATS stream.
 */
import { appendFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { SweepEvent } from '@rewind/runner';

export type SweepOutcome = 'succeeded' | 'failed' | 'cancelled';

/** A sweep's events as both modes record them: the runner's events, its start and end, each with its time. */
export type TimedEvent = { readonly at: number } & (
  | SweepEvent
  | { readonly type: 'sweep.started'; readonly attempt: number }
  | { readonly type: 'sweep.finished'; readonly state: SweepOutcome; readonly error?: string }
);

export const EVENT_LOG_FILE = 'events.jsonl';

type Untimed = TimedEvent extends infer E ? (E extends unknown ? Omit<E, 'at'> : never) : never;

/**
 * Appends synchronously, so lines keep the order of events and a crash loses at most the line being
 * written. The log is for watching: if the disk refuses it, the sweep goes on and says so once.
 */
export class SweepEventLog {
  private warned = false;

  /** The log at `path` and how many attempts it already records: this run is attempt number `attempt`. */
  static async open(path: string): Promise<{ log: SweepEventLog; attempt: number }> {
    let attempt = 0;
    for (let offset = 0; ; ) {
      const chunk = await readEventLog(path, offset);
      if (chunk.next === offset) break;
      attempt += chunk.events.filter((e) => e.type === 'sweep.started').length;
      offset = chunk.next;
    }
    return { log: new SweepEventLog(path), attempt };
  }

  constructor(
    private readonly path: string,
    private readonly now: () => number = Date.now,
    private readonly warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  append(event: Untimed): void {
    try {
      appendFileSync(this.path, `${JSON.stringify({ at: this.now(), ...event })}\n`);
    } catch (e) {
      if (!this.warned) this.warn(`rewind: cannot write ${this.path} (${(e as Error).message}); the dashboard will not see this run's progress`);
      this.warned = true;
    }
  }
}

export interface EventLogChunk {
  readonly events: readonly TimedEvent[];
  /** Where the next read starts: after the last complete line. */
  readonly next: number;
  /** Lines that were not an event (a torn write, hand edits); they are skipped. */
  readonly unreadable: number;
}

/** Bytes read per call at most, so a huge log is read in steps rather than at once. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** The complete lines from byte `from` on; a line still being written waits for the next read. */
export async function readEventLog(path: string, from: number): Promise<EventLogChunk> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], next: from, unreadable: 0 };
    throw e;
  }
  try {
    // Followers call this twice a second: when nothing was appended, nothing is read or allocated.
    const unread = Math.min((await file.stat()).size - from, MAX_READ_BYTES);
    if (unread <= 0) return { events: [], next: from, unreadable: 0 };
    const buffer = Buffer.allocUnsafe(unread);
    const { bytesRead } = await file.read(buffer, 0, unread, from);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { events: [], next: from, unreadable: 0 };
    const events: TimedEvent[] = [];
    let unreadable = 0;
    for (const line of text.slice(0, end).split('\n')) {
      const event = parseLine(line);
      if (event) events.push(event);
      else if (line.trim() !== '') unreadable++;
    }
    return { events, next: from + Buffer.byteLength(text.slice(0, end + 1)), unreadable };
  } finally {
    await file.close();
  }
}

function parseLine(line: string): TimedEvent | undefined {
  try {
    const value = JSON.parse(line) as Partial<TimedEvent> | null;
    return value && typeof value === 'object' && typeof value.at === 'number' && typeof value.type === 'string' ? (value as TimedEvent) : undefined;
  } catch {
    return undefined;
  }
}
