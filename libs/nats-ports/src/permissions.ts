/**
 * Who may do what on NATS. Every process connects with its client certificate and nats-server maps the
 * certificate's subject to one user per role (`verify_and_map`), so there is no anonymous access and no
 * password to leak. Only the coordinator writes the ledger, the sweep records and jobs; only trainers
 * write job results; trainers and plug-ins publish only their own kind of event.
 */
import { EVENTS_STREAM, JOB_RESULTS_BUCKET, JOBS_STREAM } from './subjects.ts';

export type NatsRole = 'coordinator' | 'trainer' | 'plugin' | 'operator';
export const NATS_ROLES: readonly NatsRole[] = ['coordinator', 'trainer', 'plugin', 'operator'];

export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/** The subject of the certificate that a process or person of this identity holds. */
export const certificateSubject = (identity: string): string => `CN=rewind-${identity}`;
/** The user a role's certificate maps to: its subject. */
export const natsUser = (role: NatsRole): string => certificateSubject(role);

/** Reading streams and buckets and using consumers; nothing that creates, changes or purges a stream. */
const JETSTREAM_READ = [
  '$JS.API.INFO',
  '$JS.API.STREAM.INFO.*',
  '$JS.API.STREAM.NAMES',
  '$JS.API.STREAM.MSG.GET.*',
  '$JS.API.DIRECT.GET.>',
  '$JS.API.CONSUMER.>',
  '$JS.FC.>',
];
const REPLIES = ['_INBOX.>'];

export const NATS_PERMISSIONS: Readonly<Record<NatsRole, NatsPermissions>> = {
  coordinator: {
    // Everything but job results, which it only reads (and forgets a failure by purging, a JetStream API call).
    publish: { allow: ['>'], deny: [`$KV.${JOB_RESULTS_BUCKET}.>`] },
    subscribe: { allow: ['>'] },
  },
  trainer: {
    publish: {
      allow: [
        ...JETSTREAM_READ,
        `$JS.ACK.${JOBS_STREAM}.>`,
        `$KV.${JOB_RESULTS_BUCKET}.>`,
        'rewind.v1.events.*.checkpoint_saved',
        'rewind.v1.events.*.job_progress',
        'rewind.v1.events.*.job_log',
      ],
    },
    subscribe: { allow: REPLIES },
  },
  plugin: {
    publish: { allow: [...JETSTREAM_READ, `$JS.ACK.${EVENTS_STREAM}.>`, 'rewind.v1.events.*.analysis_completed'] },
    subscribe: { allow: REPLIES },
  },
  // People and their tools (the test suite's inspections, `nats` CLI sessions): full access.
  operator: { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } },
};

/** nats-server's `authorization` block: one user per role, named by its certificate, with its permissions. */
export function natsAuthorization(): { users: { user: string; permissions: NatsPermissions }[] } {
  return { users: NATS_ROLES.map((role) => ({ user: natsUser(role), permissions: NATS_PERMISSIONS[role] })) };
}
