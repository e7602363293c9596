/**
 * What `rewind submit|watch|cancel|resume|tickets|lineage` do against a cluster; the CLI parses arguments and prints.
 * Specs are read here (YAML or JSON) and sent as JSON; the coordinator validates them.
 */
import { readFile } from 'node:fs/promises';
import { type AnalysisCompleted, InvalidArgumentError, type LineageEntry, type SweepEventMessage, SweepState, type SweepStatus, type Ticket } from '@rewind/rpc';
import { CoordinatorClient } from './coordinator-client.ts';

export interface Connection {
  /** host:port of the coordinator. */
  readonly coordinator: string;
}

/** Parses the spec text (YAML is accepted if the CLI passes a parser; JSON otherwise). */
export async function submit(
  specPath: string,
  connection: Connection,
  parse: (text: string) => unknown = JSON.parse,
): Promise<{ sweepId: string; created: boolean; resumed: boolean }> {
  let text: string;
  try {
    text = await readFile(specPath, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new InvalidArgumentError(`cannot read spec ${specPath}: ${why}`);
  }
  let raw: unknown;
  try {
    // Bad syntax, duplicate keys, alias bombs and nesting too deep to parse are the user's input: exit 2, no stack.
    raw = parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`spec ${specPath} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  return withClient(connection, (client) => client.submit(JSON.stringify(raw)));
}

/** Opens a client for one command and closes it after. */
async function withClient<T>(connection: Connection, use: (client: CoordinatorClient) => Promise<T>): Promise<T> {
  const client = new CoordinatorClient(connection.coordinator);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

export async function* watch(sweepId: string, connection: Connection, signal?: AbortSignal): AsyncGenerator<SweepEventMessage> {
  const client = new CoordinatorClient(connection.coordinator);
  try {
    yield* client.watch(sweepId, 0, signal);
  } finally {
    client.close();
  }
}

export const tickets = (sweepId: string, connection: Connection): Promise<Ticket[]> =>
  withClient(connection, async (client) => (await client.tickets(sweepId)).tickets);

/** A finished sweep's results JSON (the run directory's results.json of an embedded run). */
export const results = (sweepId: string, connection: Connection): Promise<string> =>
  withClient(connection, async (client) => (await client.results(sweepId)).resultsJson);

/** A ticket's mask back to the trunk's initial weights, and its rewind point W_k back to the trunk's. */
export const lineage = (maskId: string, connection: Connection): Promise<{ chain: LineageEntry[]; rewind: LineageEntry[] }> =>
  withClient(connection, (client) => client.lineage(maskId));

/** Stops a running sweep: queued trainings are dropped; `resume` carries it on later. */
export const cancel = (sweepId: string, connection: Connection): Promise<SweepStatus | undefined> =>
  withClient(connection, async (client) => (await client.cancel(sweepId)).status);

/** Runs a failed or cancelled sweep again from its ledger. */
export const resume = (sweepId: string, connection: Connection): Promise<SweepStatus | undefined> =>
  withClient(connection, async (client) => (await client.resume(sweepId)).status);

/** The sweep's analyses (built-in and plug-in) with its tickets, which place them by rewind point and round. */
export const analyses = (sweepId: string, connection: Connection): Promise<{ analyses: AnalysisCompleted[]; tickets: Ticket[] }> =>
  withClient(connection, async (client) => {
    const [found, listed] = await Promise.all([client.analyses(sweepId), client.tickets(sweepId)]);
    return { analyses: found.analyses, tickets: listed.tickets };
  });

export const isFailure = (e: SweepEventMessage): boolean =>
  e.event?.$case === 'sweepFinished' && e.event.value.state !== SweepState.SWEEP_STATE_SUCCEEDED;
