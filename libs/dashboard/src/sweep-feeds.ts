/**
 * One feed per watched sweep, shared by every open page: the sweep's events are read and folded once,
 * and each change goes out as one snapshot to all of them, at most once per interval.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type SweepSource, SweepNotFoundError } from './source.ts';
import { SweepView } from './sweep-view.ts';
import type { SweepInfo } from './views.ts';

/** While a sweep runs and nothing happens, a snapshot still goes out this often, so elapsed and ETA move. */
const IDLE_RESEND_MS = 5000;

class Feed {
  readonly clients = new Set<ServerResponse>();
  private readonly view: SweepView;
  private readonly abort = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private sentVersion = -1;
  private sentAt = 0;
  private failure: string | undefined;

  constructor(info: SweepInfo, source: SweepSource, everyMs: number) {
    this.view = new SweepView(info);
    this.timer = setInterval(() => this.tick(), everyMs);
    void this.pump(source, info.sweepId);
  }

  private async pump(source: SweepSource, sweepId: string): Promise<void> {
    try {
      for await (const event of source.events(sweepId, this.abort.signal)) this.view.apply(event);
    } catch (e) {
      if (this.abort.signal.aborted) return;
      // Pages are told and closed; their EventSource reconnects, which opens a fresh feed.
      this.failure = (e as Error).message;
      this.tick();
    }
  }

  /** Sends the current snapshot to one page now (a page that just connected). */
  greet(res: ServerResponse): void {
    res.write(this.format(Date.now()));
  }

  private tick(): void {
    if (this.failure !== undefined) {
      for (const res of this.clients) res.end(`event: failure\ndata: ${JSON.stringify({ error: this.failure })}\n\n`);
      this.close();
      return;
    }
    const now = Date.now();
    const changed = this.view.version !== this.sentVersion;
    const idle = this.view.running && now - this.sentAt >= IDLE_RESEND_MS;
    if (!changed && !idle) return;
    this.sentVersion = this.view.version;
    this.sentAt = now;
    const message = this.format(now);
    for (const res of this.clients) res.write(message);
  }

  private format(now: number): string {
    return `event: snapshot\ndata: ${JSON.stringify(this.view.snapshot(now))}\n\n`;
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  close(): void {
    clearInterval(this.timer);
    this.abort.abort();
    this.clients.clear();
  }
}

export class SweepFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly source: SweepSource,
    private readonly everyMs: number,
  ) {}

  async stream(sweepId: string, req: IncomingMessage, res: ServerResponse, headers: Readonly<Record<string, string>>): Promise<void> {
    let feed = this.feeds.get(sweepId);
    if (!feed || feed.closed) {
      const info = (await this.source.sweeps()).find((s) => s.sweepId === sweepId);
      if (!info) throw new SweepNotFoundError(`no sweep ${sweepId}`);
      const current = this.feeds.get(sweepId);
      feed = current && !current.closed ? current : new Feed(info, this.source, this.everyMs);
      this.feeds.set(sweepId, feed);
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    feed.clients.add(res);
    feed.greet(res);
    const open = feed;
    req.on('close', () => {
      open.clients.delete(res);
      if (open.clients.size > 0) return;
      open.close();
      if (this.feeds.get(sweepId) === open) this.feeds.delete(sweepId);
    });
  }

  close(): void {
    for (const feed of this.feeds.values()) feed.close();
    this.feeds.clear();
  }
}
