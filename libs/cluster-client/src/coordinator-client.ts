/** A typed, promise-based Coordinator client: retries while the coordinator is down, then names it. */
import { Metadata } from '@grpc/grpc-js';
import {
  type CallSettings,
  callWithRetry,
  CoordinatorServiceClient,
  channelCredentials,
  channelOptions,
  DEFAULT_RETRY,
  type SweepEventMessage,
  unary,
} from '@rewind/rpc';

export class CoordinatorClient {
  readonly client: CoordinatorServiceClient;
  readonly settings: CallSettings;

  constructor(
    readonly address: string,
    settings: Partial<CallSettings> = {},
  ) {
    if (!/^[A-Za-z0-9._-]+:\d{1,5}$/.test(address)) throw new Error(`coordinator address "${address}" is not host:port`);
    this.client = new CoordinatorServiceClient(address, settings.credentials ?? channelCredentials(), channelOptions());
    this.settings = { server: `coordinator at ${address}`, ...settings };
  }

  close(): void {
    this.client.close();
  }

  submit = (specJson: string) => unary(this.settings, this.client.submitSweep.bind(this.client), { specJson });
  get = (sweepId: string) => unary(this.settings, this.client.getSweep.bind(this.client), { sweepId });
  tickets = (sweepId: string) => unary(this.settings, this.client.listTickets.bind(this.client), { sweepId });
  results = (sweepId: string) => unary(this.settings, this.client.getResults.bind(this.client), { sweepId });
  lineage = (maskId: string) => unary(this.settings, this.client.getTicketLineage.bind(this.client), { maskId });
  cancel = (sweepId: string) => unary(this.settings, this.client.cancelSweep.bind(this.client), { sweepId });
  resume = (sweepId: string) => unary(this.settings, this.client.resumeSweep.bind(this.client), { sweepId });
  analyses = (sweepId: string) => unary(this.settings, this.client.listAnalyses.bind(this.client), { sweepId });

  /**
   * The sweep's events from `afterSequence` on, until it finishes. If the stream breaks (coordinator
   * restarting), it reconnects after the last event seen, so nothing is missed or repeated.
   */
  async *watch(sweepId: string, afterSequence = 0, signal?: AbortSignal): AsyncGenerator<SweepEventMessage> {
    let after = afterSequence;
    for (;;) {
      const stream = await callWithRetry(this.settings.server, this.settings.retry ?? DEFAULT_RETRY, async () =>
        this.client.watchSweep({ sweepId, afterSequence: after }, new Metadata()),
      );
      // One listener per stream, removed with it: reconnects after coordinator restarts don't pile them up.
      const cancel = () => stream.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        for await (const response of stream) {
          const event = (response as { event?: SweepEventMessage }).event;
          if (event === undefined) continue;
          after = event.sequence;
          yield event;
          if (event.event?.$case === 'sweepFinished') return;
        }
        return;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (signal?.aborted) return;
        // 14 = UNAVAILABLE: the coordinator went away mid-stream; resume after the last event.
        if (code !== 14) throw err;
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    }
  }
}
