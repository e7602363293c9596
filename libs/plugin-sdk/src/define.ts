/** What a plug-in is: a name, a version, the events it reads and the analysis it runs on each. */
import type { CheckpointStore, SweepEvent } from '@rewind/runner';

/** The domain events a plug-in may subscribe to. */
export type PluginEventType = 'checkpoint.saved' | 'round.completed' | 'ticket.found' | 'analysis.completed';
export type DomainEvent<T extends PluginEventType = PluginEventType> = Extract<SweepEvent, { type: T }>;

export interface PluginContext {
  /** The checkpoint-store (gRPC): read masks and weights by the ids the event carries. */
  readonly store: CheckpointStore;
  readonly sweepId: string;
  /** The event's REWIND_EVENTS stream sequence. */
  readonly sequence: number;
  /** 1 on first delivery; more after a failure or a crash of the previous attempt. */
  readonly delivery: number;
  /** Aborted when the plug-in shuts down and its grace period ran out. */
  readonly signal: AbortSignal;
  log(line: string): void;
}

export interface AnalysisOutput {
  /** The payload: the proto3 JSON form of the message `schema` names. */
  readonly result: unknown;
  /** One line for people, shown by `rewind analyses`. */
  readonly summary: string;
}

export interface PluginDefinition<T extends PluginEventType = PluginEventType> {
  /** [a-z0-9-]{1,64}; also names the durable consumer. */
  readonly name: string;
  /** Semantic version; a new version re-analyses the whole stream (docs/plugins.md). */
  readonly version: string;
  /** Fully-qualified protobuf message name of the result, e.g. `rewind.plugins.sparsity.v1.SparsityReport`. */
  readonly schema: string;
  readonly on: readonly T[];
  /** The analysis of one event; undefined publishes nothing (the event is not of interest). Throw to retry. */
  analyze(event: DomainEvent<T>, ctx: PluginContext): Promise<AnalysisOutput | undefined>;
}

export class PluginDefinitionError extends Error {
  override name = 'PluginDefinitionError';
}

const EVENT_TYPES: readonly PluginEventType[] = ['checkpoint.saved', 'round.completed', 'ticket.found', 'analysis.completed'];

/** Checks the definition once, at start, listing every problem. */
export function definePlugin<T extends PluginEventType>(plugin: PluginDefinition<T>): PluginDefinition<T> {
  const problems: string[] = [];
  if (!/^[a-z0-9-]{1,64}$/.test(plugin.name)) problems.push(`name "${plugin.name}" must be 1-64 of [a-z0-9-]`);
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(plugin.version)) problems.push(`version "${plugin.version}" must be semantic (1.2.3)`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(plugin.schema)) {
    problems.push(`schema "${plugin.schema}" must be a fully-qualified protobuf message name`);
  }
  if (plugin.on.length === 0) problems.push(`on: subscribe to at least one of ${EVENT_TYPES.join(', ')}`);
  for (const t of plugin.on) if (!EVENT_TYPES.includes(t)) problems.push(`on: unknown event "${t}"; allowed are ${EVENT_TYPES.join(', ')}`);
  if (problems.length > 0) throw new PluginDefinitionError(`plug-in ${plugin.name}: ${problems.join('; ')}`);
  return plugin;
}

/** The experiment an event is about: results are published once per (plug-in, version, experiment). */
export function experimentOf(event: DomainEvent): string {
  return event.type === 'checkpoint.saved' ? event.lineage.experiment : event.experiment;
}

/** The event's subject token on REWIND_EVENTS (`ticket.found` → `ticket_found`). */
export const subjectToken = (type: PluginEventType): string => type.replace('.', '_');
