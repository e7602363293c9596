/**
 * What `rewind submit|watch|tickets|lineage` do against a cluster; the CLI parses arguments and prints.
 * Specs are read here (YAML or JSON) and sent as JSON; the coordinator validates them.
 */
import { readFile } from 'node:fs/promises';
import { type AnalysisCompleted, InvalidArgumentError, type LineageEntry, type SweepEventMessage, SweepState, type Ticket } from '@rewind/rpc';
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
): Promise<{ sweepId: string; created: boolean }> {
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
  const client = new CoordinatorClient(connection.coordinator);
  try {
    return await client.submit(JSON.stringify(raw));
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

export async function tickets(sweepId: string, connection: Connection): Promise<Ticket[]> {
  const client = new CoordinatorClient(connection.coordinator);
  try {
    return (await client.tickets(sweepId)).tickets;
  } finally {
    client.close();
  }
}

/** A finished sweep's results JSON (the run directory's results.json of an embedded run). */
export async function results(sweepId: string, connection: Connection): Promise<string> {
  const client = new CoordinatorClient(connection.coordinator);
  try {
    return (await client.results(sweepId)).resultsJson;
  } finally {
    client.close();
  }
}

export async function lineage(maskId: string, connection: Connection): Promise<LineageEntry[]> {
  const client = new CoordinatorClient(connection.coordinator);
  try {
    return (await client.lineage(maskId)).chain;
  } finally {
    client.close();
  }
}

/** The sweep's analyses (built-in and plug-in) with its tickets, which place them by rewind point and round. */
export async function analyses(sweepId: string, connection: Connection): Promise<{ analyses: AnalysisCompleted[]; tickets: Ticket[] }> {
  const client = new CoordinatorClient(connection.coordinator);
  try {
    const [found, listed] = await Promise.all([client.analyses(sweepId), client.tickets(sweepId)]);
    return { analyses: found.analyses, tickets: listed.tickets };
  } finally {
    client.close();
  }
}

export const isFailure = (e: SweepEventMessage): boolean =>
  e.event?.$case === 'sweepFinished' && e.event.value.state !== SweepState.SWEEP_STATE_SUCCEEDED;
