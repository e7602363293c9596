/**
 * Names on the NATS side of the contract (documented with the payloads in proto/rewind/v1/jobs.proto
 * and events.proto). Versioned with the protobuf package: a breaking change gets rewind.v2 subjects.
 */
export const JOBS_STREAM = 'REWIND_JOBS';
export const TRAIN_SUBJECT = 'rewind.v1.jobs.train';
export const TRAINERS_CONSUMER = 'trainers';

export const EVENTS_STREAM = 'REWIND_EVENTS';
export const eventSubject = (sweepId: string, kind: string): string => `rewind.v1.events.${sweepId}.${kind}`;
export const sweepEventsFilter = (sweepId: string): string => `rewind.v1.events.${sweepId}.>`;
/** One kind of event across every sweep (what an analysis plug-in subscribes to). */
export const eventKindFilter = (kind: string): string => `rewind.v1.events.*.${kind}`;
export const ALL_EVENTS_FILTER = 'rewind.v1.events.>';
/** An analysis plug-in's durable consumer on EVENTS_STREAM: one per plug-in version (docs/plugins.md). */
export const pluginConsumer = (name: string, version: string): string => `plugin-${name}-${version.replace(/[^A-Za-z0-9_-]/g, '_')}`;

export const LEDGER_BUCKET = 'rewind-ledger';
export const JOB_RESULTS_BUCKET = 'rewind-job-results';
export const SWEEPS_BUCKET = 'rewind-sweeps';

/** Subject tokens and KV keys allow [-/_=.A-Za-z0-9]; anything else (and '=') is escaped as =XX, injectively. */
export function safeKey(key: string): string {
  if (key === '') throw new Error('empty key');
  return key.replace(/[^-/_.A-Za-z0-9]/g, (c) =>
    [...Buffer.from(c)].map((b) => `=${b.toString(16).padStart(2, '0')}`).join(''),
  );
}

/** A sweep id used as a subject token must be one token: no dots or wildcards. */
export function checkSweepId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new Error(`sweep id "${id}" must be 1-128 of [A-Za-z0-9_-]`);
  return id;
}

/** The key in SWEEPS_BUCKET that marks a sweep cancelled: the coordinator writes it, trainers check it. */
export function cancelledKey(sweepId: string): string {
  return safeKey(`${sweepId}.cancelled`);
}
