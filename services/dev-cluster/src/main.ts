/**
 * `scripts/dev-cluster.sh [trainers]`: the whole cluster on this machine. Prints where each part
 * listens; Ctrl-C stops every process cleanly (services first, servers last).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from './cluster.ts';

const trainers = Number(process.argv[2] ?? process.env.TRAINERS ?? 2);
if (!Number.isInteger(trainers) || trainers < 1) {
  process.stderr.write(`usage: dev-cluster [trainers ≥ 1], got "${process.argv[2]}"\n`);
  process.exit(2);
}
const dir = process.env.REWIND_DEV_DIR ?? (await mkdtemp(join(tmpdir(), 'rewind-dev-')));
process.stdout.write(`starting a Rewind cluster with ${trainers} trainer(s) in ${dir} …\n`);
const cluster = await startCluster({ dir, trainers, echo: process.env.ECHO === '1', traces: true, plugins: ['sparsity'] });
const line = (name: string, where: string) => process.stdout.write(`  ${name.padEnd(20)} ${where}\n`);
line('nats-server', `${cluster.nats.url} (pid ${cluster.nats.child.pid})`);
line('s3rver', `${cluster.s3.url} (pid ${cluster.s3.child.pid}, S3RVER/S3RVER)`);
line('checkpoint-store', `${cluster.addresses.store} (pid ${cluster.store.pid})`);
line('pruner', `${cluster.addresses.pruner} (pid ${cluster.pruner.pid})`);
line('stability-analyzer', `${cluster.addresses.analyzer} (pid ${cluster.analyzer.pid})`);
line('coordinator', `${cluster.addresses.coordinator} (pid ${cluster.coordinator.pid})`);
line('dashboard', cluster.dashboard);
for (const t of cluster.trainers) line(t.spec.name, `pid ${t.pid}`);
for (const p of cluster.plugins) line(p.spec.name, `pid ${p.pid}`);
process.stdout.write(`traces: ${dir}/trace-*.jsonl (OTLP-JSON)\n`);
process.stdout.write(`certificates: ${cluster.certificates.dir} (this cluster's own CA; every connection needs one of its certificates)\n`);
const cliEnv = Object.entries(cluster.cliEnv).map(([k, v]) => `${k}=${v}`).join(' ');
process.stdout.write(
  `first: export ${cliEnv}\n` +
    `try: rewind submit examples/quick.yaml --coordinator ${cluster.addresses.coordinator}\n` +
    `then: rewind analyses <sweep> --coordinator ${cluster.addresses.coordinator}\nCtrl-C stops everything.\n`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping …\n');
  await cluster.stop();
  process.stdout.write('all processes stopped\n');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
