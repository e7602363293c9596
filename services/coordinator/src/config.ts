import { EnvReader } from '@rewind/rpc';

export interface CoordinatorConfig {
  readonly host: string;
  readonly port: number;
  readonly natsUrl: string;
  readonly store: string;
  readonly pruner: string;
  readonly analyzer: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  const r = new EnvReader('coordinator', env);
  return r.done({
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 7000, 0, 65535),
    natsUrl: r.url('NATS_URL', ['nats', 'tls']),
    store: r.address('STORE_ADDRESS'),
    pruner: r.address('PRUNER_ADDRESS'),
    analyzer: r.address('ANALYZER_ADDRESS'),
  });
}
