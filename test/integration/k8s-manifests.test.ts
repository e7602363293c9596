/**
 * The Kubernetes manifests: every overlay renders with `kubectl kustomize`, every object validates against
 * its schema (kubernetes-models for Kubernetes, @kubernetes-models/keda for KEDA's ScaledObject), and the
 * rendered objects have the properties the design relies on: Pod Security "restricted" on every pod,
 * only the network flows the services need, replicated NATS and MinIO, scaling on queue backlog, no
 * committed credentials, and images a user can point at their own registry.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { certificateSubject, natsAuthorization } from '../../libs/nats-ports/src/permissions.ts';
import { EVENTS_STREAM, JOBS_STREAM, pluginConsumer, TRAINERS_CONSUMER } from '../../libs/nats-ports/src/subjects.ts';
import { renderWithComponents } from '../support/kustomize.ts';

const INFRA = new URL('../../infra/', import.meta.url).pathname;
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment,
  StatefulSet,
  Job,
  HorizontalPodAutoscaler,
  ScaledObject,
  Certificate,
  Issuer,
  NetworkPolicy,
  PodDisruptionBudget,
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
};
const SERVICES = ['checkpoint-store', 'pruner', 'stability-analyzer', 'coordinator', 'trainer', 'plugin-sparsity'];
const WORKLOADS = ['Deployment', 'StatefulSet', 'Job'];

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
type SecurityContext = {
  runAsNonRoot?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
};
type Container = {
  name: string;
  image: string;
  args?: string[];
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  resources?: { limits?: Record<string, unknown> };
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string }; fieldRef?: { fieldPath: string } } }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: SecurityContext;
  ports?: { name: string; containerPort: number }[];
};
type Probe = { grpc?: { port: number } };
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; hostPath?: unknown; emptyDir?: unknown; persistentVolumeClaim?: unknown; secret?: { secretName: string } }[];
  securityContext?: SecurityContext;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
};
const podSpecOf = (o: K8sObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;
const podLabelsOf = (o: K8sObject): Record<string, string> =>
  (o.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
const containersOf = (o: K8sObject): Container[] => [...(podSpecOf(o).initContainers ?? []), ...podSpecOf(o).containers];
const find = (objects: readonly K8sObject[], kind: string, name: string): K8sObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} is rendered`);
  return o;
};

/** The generated nats-config ConfigMap's files (its name carries a content hash). */
const natsConfig = (objects: readonly K8sObject[]): Record<string, string> => {
  const o = objects.find((x) => x.kind === 'ConfigMap' && x.metadata.name.startsWith('nats-config-'));
  assert.ok(o?.data, 'the nats-config ConfigMap is rendered');
  return o.data;
};

// The overlays render from a copy of infra/ with freshly generated credential files, as an operator's
// checkout would have them (infra/k8s/base/secrets/README.md); the repository holds none.
const work = mkdtempSync(join(tmpdir(), 'rewind-k8s-'));
after(() => rmSync(work, { recursive: true, force: true }));
cpSync(INFRA, join(work, 'infra'), { recursive: true, filter: (src) => !src.endsWith('.env') });
const credentials = {
  services: { S3_ACCESS_KEY: `svc-${randomBytes(4).toString('hex')}`, S3_SECRET_KEY: randomBytes(24).toString('hex') },
  root: { MINIO_ROOT_USER: `root-${randomBytes(4).toString('hex')}`, MINIO_ROOT_PASSWORD: randomBytes(24).toString('hex') },
  datasets: { S3_ACCESS_KEY: `data-${randomBytes(4).toString('hex')}`, S3_SECRET_KEY: randomBytes(24).toString('hex') },
};
const envFile = (values: Record<string, string>): string =>
  Object.entries(values)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
writeFileSync(join(work, 'infra/k8s/base/secrets/s3.env'), envFile(credentials.services));
writeFileSync(join(work, 'infra/k8s/base/secrets/minio-root.env'), envFile(credentials.root));
writeFileSync(join(work, 'infra/k8s/base/secrets/datasets.env'), envFile(credentials.datasets));

// kubectl >= 1.21 (kustomize v4+, for Components and regex patch targets); Debian bookworm's
// kubernetes-client (1.20) is too old, so the machine's kubectl is used, and its absence is an error.
function render(dir: string): K8sObject[] {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    throw new Error(e.code === 'ENOENT' ? 'kubectl (>= 1.21) is needed to render infra/k8s' : `kubectl kustomize ${dir}: ${e.stderr}`);
  }
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
const overlay = (path: string): string => join(work, 'infra/k8s', path);

function validateAll(objects: readonly K8sObject[]): void {
  for (const o of objects) {
    const Model = MODELS[o.kind];
    assert.ok(Model, `no schema model for kind ${o.kind} (${o.metadata.name})`);
    assert.doesNotThrow(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name} is invalid`);
  }
}

/** Pod Security "restricted", plus no service-account token and no host namespaces or paths. */
function assertRestricted(objects: readonly K8sObject[]): void {
  const workloads = objects.filter((o) => WORKLOADS.includes(o.kind));
  assert.ok(workloads.length >= SERVICES.length + 2, 'the services, NATS and MinIO are all checked');
  for (const w of workloads) {
    const where = `${w.kind}/${w.metadata.name}`;
    const pod = podSpecOf(w);
    assert.equal(pod.automountServiceAccountToken, false, `${where}: automountServiceAccountToken`);
    assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${where}: seccomp`);
    assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, `${where}: no host namespaces`);
    assert.ok(!(pod.volumes ?? []).some((v) => v.hostPath), `${where}: no hostPath volume`);
    for (const c of containersOf(w)) {
      const sc = c.securityContext;
      assert.equal(sc?.allowPrivilegeEscalation, false, `${where}/${c.name}: allowPrivilegeEscalation`);
      assert.equal(sc?.readOnlyRootFilesystem, true, `${where}/${c.name}: readOnlyRootFilesystem`);
      assert.deepEqual(sc?.capabilities?.drop, ['ALL'], `${where}/${c.name}: drops all capabilities`);
      assert.ok(!sc?.capabilities?.add?.length && !sc?.privileged, `${where}/${c.name}: adds nothing`);
      // A read-only root needs somewhere writable; every container has a volume on /tmp or its data dir.
      assert.ok(c.volumeMounts?.length, `${where}/${c.name}: has a writable volume`);
    }
  }
  const namespace = objects.find((o) => o.kind === 'Namespace');
  assert.equal(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
}

interface Rule {
  from?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown }[];
  to?: Rule['from'];
  ports?: { port: number }[];
}
/** Whether the rendered NetworkPolicies let pod `client` open TCP `port` on pod `server` (same namespace). */
function allowed(objects: readonly K8sObject[], client: string, server: string, port: number): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const selects = (o: K8sObject, name: string): boolean => {
    const labels = (o.spec as { podSelector: { matchLabels?: Record<string, string> } }).podSelector.matchLabels ?? {};
    return Object.entries(labels).every(([k, v]) => k === 'app.kubernetes.io/name' && v === name);
  };
  const peerMatches = (rule: Rule, peers: Rule['from'], name: string): boolean =>
    (rule.ports ?? []).some((p) => p.port === port) &&
    (peers ?? []).some((p) => !p.namespaceSelector && p.podSelector?.matchLabels?.['app.kubernetes.io/name'] === name);
  const ingressOk = policies.some(
    (p) => selects(p, server) && ((p.spec?.ingress as Rule[] | undefined) ?? []).some((r) => peerMatches(r, r.from, client)),
  );
  const egressOk = policies.some(
    (p) => selects(p, client) && ((p.spec?.egress as Rule[] | undefined) ?? []).some((r) => peerMatches(r, r.to, server)),
  );
  return ingressOk && egressOk;
}

describe('Kubernetes manifests', () => {
  const base = render(overlay('base'));
  const gpu = render(overlay('overlays/gpu'));
  const dev = render(overlay('overlays/dev'));

  it('every overlay renders and every object validates against its schema', () => {
    for (const objects of [base, gpu, dev]) validateAll(objects);
  });

  it('base: one Deployment per service, with probes', () => {
    const deployments = base.filter((o) => o.kind === 'Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [...SERVICES].sort());
    for (const d of deployments) {
      for (const c of containersOf(d)) {
        assert.ok(c.readinessProbe && c.livenessProbe, `${d.metadata.name} needs readiness and liveness probes`);
      }
    }
  });

  it('every pod of every overlay meets Pod Security "restricted" and mounts no service-account token', () => {
    for (const objects of [base, gpu, dev]) assertRestricted(objects);
  });

  it('NATS is a 3-node JetStream cluster with R3 streams; MinIO is distributed; the coordinator has a standby; all have disruption budgets', () => {
    const nats = find(base, 'StatefulSet', 'nats');
    assert.equal(nats.spec?.replicas, 3);
    const conf = natsConfig(base);
    const routes = /routes: \[([^\]]*)\]/.exec(conf['cluster.conf'] ?? '')?.[1]?.split(', ') ?? [];
    assert.deepEqual(routes, [0, 1, 2].map((i) => `nats://nats-${i}.nats-cluster:6222`));
    assert.match(conf['nats.conf']!, /^server_name: \$POD_NAME$/m);
    assert.match(conf['nats.conf']!, /^jetstream \{ store_dir: \/data \}$/m);
    assert.equal(find(base, 'ConfigMap', 'rewind-config').data?.JETSTREAM_REPLICAS, '3');

    const minio = find(base, 'StatefulSet', 'minio');
    assert.equal(minio.spec?.replicas, 4);
    assert.ok(containersOf(minio)[0]!.args?.includes('https://minio-{0...3}.minio-cluster.rewind.svc.cluster.local/data'), 'MinIO nodes speak https');
    for (const objects of [base, dev, gpu]) {
      const server = find(objects, 'StatefulSet', 'minio');
      const certs = podSpecOf(server).volumes?.find((v) => v.secret?.secretName === 'rewind-tls-minio');
      const mount = containersOf(server)[0]!.volumeMounts?.find((m) => m.name === certs?.name);
      assert.ok(mount, "MinIO's certificate is mounted");
      assert.ok(containersOf(server)[0]!.args?.includes(`--certs-dir=${mount.mountPath}`), 'MinIO reads its certificate where it is mounted');
    }
    assert.match(String(find(base, 'ConfigMap', 'rewind-config').data?.S3_URL), /^https:\/\//, 'the services reach S3 over https');
    const storeEnv = containersOf(find(base, 'Deployment', 'checkpoint-store'))[0]!.env ?? [];
    assert.ok(storeEnv.some((e) => e.name === 'S3_CA_FILE'), 'the checkpoint-store trusts the CA that signed MinIO');

    // The coordinator: a leader and a standby; only the leader is ready (it alone serves its service).
    const coordinator = find(base, 'Deployment', 'coordinator');
    assert.equal(coordinator.spec?.replicas, 2);
    const readiness = containersOf(coordinator)[0]!.readinessProbe as { grpc?: { service?: string } };
    assert.equal(readiness.grpc?.service, 'rewind.v1.CoordinatorService');
    assert.equal(containersOf(coordinator)[0]!.env?.find((e) => e.name === 'COORDINATOR_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    // Its V8 heap is capped below the pod's memory limit, with room for code and buffers, so it collects rather than gets OOM-killed.
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(containersOf(coordinator)[0]!.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1]);
    assert.equal(containersOf(coordinator)[0]!.resources?.limits?.memory, '1Gi');
    assert.ok(heapMb > 0 && heapMb <= 0.75 * 1024, `heap limit ${heapMb} MiB leaves a quarter of the 1Gi limit`);

    for (const [kind, name] of [['StatefulSet', 'nats'], ['StatefulSet', 'minio'], ['Deployment', 'coordinator']] as const) {
      const pdb = find(base, 'PodDisruptionBudget', name);
      assert.equal(pdb.spec?.maxUnavailable, 1);
      assert.deepEqual((pdb.spec as { selector: { matchLabels: unknown } }).selector.matchLabels, podLabelsOf(find(base, kind, name)));
    }
    // Single-node dev cluster: one replica of everything, and so one JetStream replica and no routes.
    assert.equal(find(dev, 'ConfigMap', 'rewind-config').data?.JETSTREAM_REPLICAS, '1');
    assert.doesNotMatch(natsConfig(dev)['cluster.conf']!, /^\s*(cluster|routes)\b/m);
    assert.equal(natsConfig(dev)['nats.conf'], conf['nats.conf']);
    for (const w of dev.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) assert.equal(w.spec?.replicas, 1, w.metadata.name);
    assert.ok(!dev.some((o) => ['ScaledObject', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'].includes(o.kind)));
  });

  it('queue workers scale on their JetStream consumer backlog; only CPU-bound services keep a CPU HPA', () => {
    const triggerOf = (o: K8sObject) => (o.spec as { triggers: { type: string; metadata: Record<string, string> }[] }).triggers[0]!;
    const trainer = find(base, 'ScaledObject', 'trainer');
    assert.equal((trainer.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name, 'trainer');
    assert.equal(triggerOf(trainer).type, 'nats-jetstream');
    assert.equal(triggerOf(trainer).metadata.stream, JOBS_STREAM);
    assert.equal(triggerOf(trainer).metadata.consumer, TRAINERS_CONSUMER);
    const plugin = find(base, 'ScaledObject', 'plugin-sparsity');
    assert.equal(triggerOf(plugin).metadata.stream, EVENTS_STREAM);
    assert.equal(triggerOf(plugin).metadata.consumer, pluginConsumer('sparsity', '1.0.0'));
    for (const so of [trainer, plugin]) {
      const [host, port] = triggerOf(so).metadata.natsServerMonitoringEndpoint!.split(':');
      assert.equal(host, 'nats.rewind.svc.cluster.local');
      const service = find(base, 'Service', 'nats');
      assert.ok((service.spec as { ports: { port: number }[] }).ports.some((p) => p.port === Number(port)), 'the monitoring port is on the nats Service');
    }
    const hpas = base.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name).sort();
    assert.deepEqual(hpas, ['checkpoint-store', 'pruner', 'stability-analyzer']);
    // GPU trainers cost money while idle: they scale from zero.
    assert.equal(find(gpu, 'ScaledObject', 'trainer').spec?.minReplicaCount, 0);
    assert.equal(trainer.spec?.minReplicaCount, 1);
  });

  it('network policies deny by default and allow only the flows the services need', () => {
    const deny = find(base, 'NetworkPolicy', 'default-deny');
    assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const needed: [string, string, number][] = [
      ['coordinator', 'nats', 4222],
      ['trainer', 'nats', 4222],
      ['plugin-sparsity', 'nats', 4222],
      ['nats', 'nats', 6222],
      ['coordinator', 'checkpoint-store', 7001],
      ['trainer', 'checkpoint-store', 7001],
      ['pruner', 'checkpoint-store', 7001],
      ['stability-analyzer', 'checkpoint-store', 7001],
      ['plugin-sparsity', 'checkpoint-store', 7001],
      ['coordinator', 'pruner', 7002],
      ['coordinator', 'stability-analyzer', 7003],
      ['checkpoint-store', 'minio', 9000],
      ['minio-setup', 'minio', 9000],
      ['minio', 'minio', 9000],
      // Image datasets' shards (read-only keys).
      ['trainer', 'minio', 9000],
      ['coordinator', 'minio', 9000],
      ['stability-analyzer', 'minio', 9000],
    ];
    for (const [client, server, port] of needed) assert.ok(allowed(base, client, server, port), `${client} → ${server}:${port} is allowed`);
    const refused: [string, string, number][] = [
      ['plugin-sparsity', 'minio', 9000],
      ['pruner', 'minio', 9000],
      ['trainer', 'pruner', 7002],
      ['pruner', 'nats', 4222],
      ['checkpoint-store', 'nats', 4222],
      ['stability-analyzer', 'nats', 4222],
      ['trainer', 'coordinator', 7000],
      ['coordinator', 'nats', 6222],
      ['checkpoint-store', 'checkpoint-store', 7001],
    ];
    for (const [client, server, port] of refused) assert.ok(!allowed(base, client, server, port), `${client} → ${server}:${port} is refused`);
  });

  it('every wire is authenticated: each pod holds its own certificate from the cluster CA, NATS maps it to a role', () => {
    const config = find(base, 'ConfigMap', 'rewind-config').data!;
    assert.match(config.NATS_URL!, /^tls:\/\//);
    const mountPath = '/etc/rewind/tls';
    assert.deepEqual([config.REWIND_TLS_CA, config.REWIND_TLS_CERT, config.REWIND_TLS_KEY], ['ca.crt', 'tls.crt', 'tls.key'].map((f) => `${mountPath}/${f}`));
    const certificates = base.filter((o) => o.kind === 'Certificate');
    const certificateFor = (secretName: string) => {
      const c = certificates.find((x) => (x.spec as { secretName: string }).secretName === secretName);
      assert.ok(c, `a Certificate writes ${secretName}`);
      const spec = c.spec as { commonName: string; dnsNames?: string[]; issuerRef: { name: string } };
      assert.equal(spec.issuerRef.name, 'rewind-ca', `${secretName} comes from the cluster CA`);
      return spec;
    };
    const natsUsers = new Set(natsAuthorization().users.map((u) => u.user));
    // Deployment → the identity its certificate names; the gRPC servers also by their Service's DNS name.
    const identities: Record<string, string> = {
      'checkpoint-store': 'checkpoint-store',
      pruner: 'pruner',
      'stability-analyzer': 'stability-analyzer',
      coordinator: 'coordinator',
      trainer: 'trainer',
      'plugin-sparsity': 'plugin',
    };
    for (const [name, identity] of Object.entries(identities)) {
      const deployment = find(base, 'Deployment', name);
      const container = containersOf(deployment)[0]!;
      const mount = container.volumeMounts?.find((m) => m.mountPath === mountPath);
      const volume = podSpecOf(deployment).volumes?.find((v) => v.name === mount?.name);
      assert.equal(volume?.secret?.secretName, `rewind-tls-${identity}`, `${name} mounts its own certificate`);
      const spec = certificateFor(`rewind-tls-${identity}`);
      assert.equal(`CN=${spec.commonName}`, certificateSubject(identity));
      if (['coordinator', 'trainer', 'plugin'].includes(identity)) assert.ok(natsUsers.has(certificateSubject(identity)), `${name} is a NATS user`);
      else assert.ok(!natsUsers.has(certificateSubject(identity)), `${name} has no business on NATS`);
      // Kubernetes' gRPC probes speak no TLS: they go to the plaintext health port, never the service's.
      const port = Number(container.env?.find((e) => e.name === 'PORT')?.value ?? Number.NaN);
      const healthPort = Number(container.env?.find((e) => e.name === 'HEALTH_PORT')?.value ?? Number.NaN);
      for (const probe of [container.readinessProbe, container.livenessProbe] as Probe[]) assert.equal(probe.grpc?.port, healthPort, `${name} probes its health port`);
      if (!Number.isNaN(port)) {
        assert.notEqual(port, healthPort);
        assert.ok(spec.dnsNames?.includes(name) && spec.dnsNames.includes(`${name}.rewind.svc`), `${name}'s certificate names its Service`);
      }
    }
    const nats = find(base, 'StatefulSet', 'nats');
    assert.ok(podSpecOf(nats).volumes?.some((v) => v.secret?.secretName === 'rewind-tls-nats'));
    assert.ok(certificateFor('rewind-tls-nats').dnsNames?.includes('*.nats-cluster'), 'routes verify each node by its name');
    const conf = natsConfig(base);
    assert.match(conf['nats.conf']!, /verify_and_map: true/);
    assert.match(conf['cluster.conf']!, /verify: true/);
    const authorization = /^authorization: (.*)$/m.exec(conf['nats.conf']!)?.[1];
    assert.equal(authorization, JSON.stringify(natsAuthorization()), 'nats.conf carries the permissions in libs/nats-ports (paste the expected line)');
  });

  it('credentials come from uncommitted files; MinIO root login is not the services login', () => {
    const secrets = base.filter((o) => o.kind === 'Secret');
    const decoded = (o: K8sObject): Record<string, string> =>
      Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    const services = secrets.find((s) => s.metadata.name.startsWith('rewind-s3-'));
    const root = secrets.find((s) => s.metadata.name.startsWith('minio-root-'));
    const datasets = secrets.find((s) => s.metadata.name.startsWith('rewind-datasets-'));
    assert.ok(services && root && datasets, 'the three Secrets are generated (with content-hash suffixes)');
    assert.deepEqual(decoded(services), credentials.services);
    assert.deepEqual(decoded(root), credentials.root);
    assert.deepEqual(decoded(datasets), credentials.datasets);

    const secretsUsedBy = (w: K8sObject): string[] =>
      containersOf(w).flatMap((c) => [
        ...(c.envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : [])),
        ...(c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
      ]);
    for (const w of base.filter((o) => WORKLOADS.includes(o.kind))) {
      const used = secretsUsedBy(w);
      if (w.metadata.name === 'minio') assert.deepEqual(used, [root.metadata.name]);
      else if (w.metadata.name === 'minio-setup') assert.deepEqual(used.sort(), [root.metadata.name, services.metadata.name, datasets.metadata.name].sort());
      else assert.ok(!used.includes(root.metadata.name), `${w.metadata.name} never sees MinIO's root login`);
    }
    assert.deepEqual(secretsUsedBy(find(base, 'Deployment', 'checkpoint-store')), [services.metadata.name]);
    // Readers of image datasets hold the read-only keys, never the checkpoint bucket's.
    for (const name of ['trainer', 'coordinator', 'stability-analyzer']) assert.deepEqual(secretsUsedBy(find(base, 'Deployment', name)), [datasets.metadata.name], name);
    for (const name of ['pruner', 'plugin-sparsity']) assert.deepEqual(secretsUsedBy(find(base, 'Deployment', name)), [], name);

    // Nothing under infra/ in the repository carries a credential.
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
    for (const file of files(INFRA)) {
      assert.ok(!file.endsWith('.env'), `${file} is a credential file in the checkout`);
      assert.ok(!readFileSync(file, 'utf8').includes('change-me-please'), `${file} holds the old committed password`);
    }
  });

  it('images: one name per image, and an overlay re-points both at another registry', () => {
    const imagesOf = (objects: readonly K8sObject[]) =>
      new Map(objects.filter((o) => o.kind === 'Deployment').map((d) => [d.metadata.name, containersOf(d)[0]!.image]));
    for (const [name, image] of imagesOf(base)) assert.equal(image, 'ghcr.io/rewind/rewind:0.1.0', name);
    assert.equal(imagesOf(gpu).get('trainer'), 'ghcr.io/rewind/rewind-gpu:0.1.0');

    // What `kustomize edit set image` writes into a user's overlay.
    const mine = join(work, 'infra/k8s/overlays/mine');
    cpSync(overlay('overlays/gpu'), mine, { recursive: true });
    const kustomization = readFileSync(join(mine, 'kustomization.yaml'), 'utf8');
    writeFileSync(
      join(mine, 'kustomization.yaml'),
      `${kustomization}\nimages:\n  - { name: ghcr.io/rewind/rewind, newName: registry.example.com/lab/rewind, newTag: "2.0" }\n` +
        '  - { name: ghcr.io/rewind/rewind-gpu, newName: registry.example.com/lab/rewind-gpu, newTag: "2.0" }\n',
    );
    const repointed = imagesOf(render(mine));
    for (const [name, image] of repointed) {
      assert.equal(image, name === 'trainer' ? 'registry.example.com/lab/rewind-gpu:2.0' : 'registry.example.com/lab/rewind:2.0', name);
    }
  });

  it('gpu overlay: trainers ask for one nvidia.com/gpu and keep tuned tilings on a shared volume', () => {
    const trainer = find(gpu, 'Deployment', 'trainer');
    const container = containersOf(trainer)[0]!;
    assert.equal(container.resources?.limits?.['nvidia.com/gpu'], 1);
    const file = container.env?.find((e) => e.name === 'REWIND_WEBGPU_TUNING_FILE')?.value;
    const mount = container.volumeMounts?.find((m) => file?.startsWith(`${m.mountPath}/`));
    assert.ok(mount, `REWIND_WEBGPU_TUNING_FILE=${file} is on a mounted volume`);
    const volume = podSpecOf(trainer).volumes?.find((v) => v.name === mount.name);
    assert.deepEqual(volume?.persistentVolumeClaim, { claimName: 'webgpu-tilings' });
    find(gpu, 'PersistentVolumeClaim', 'webgpu-tilings');
  });

  it('datasets-pvc component: the dataset readers mount one claim read-only, and stay restricted', () => {
    const objects = renderWithComponents(['datasets-pvc']) as K8sObject[];
    validateAll(objects);
    assertRestricted(objects);
    assert.deepEqual((find(objects, 'PersistentVolumeClaim', 'datasets').spec as { accessModes: string[] }).accessModes, ['ReadOnlyMany']);
    for (const name of ['trainer', 'coordinator', 'stability-analyzer']) {
      const deployment = find(objects, 'Deployment', name);
      const volume = podSpecOf(deployment).volumes?.find((v) => v.name === 'datasets');
      assert.deepEqual(volume?.persistentVolumeClaim, { claimName: 'datasets', readOnly: true }, name);
      const mount = containersOf(deployment)[0]!.volumeMounts?.find((m) => m.name === 'datasets');
      assert.deepEqual([mount?.mountPath, mount?.readOnly], ['/datasets', true], name);
    }
    for (const name of ['pruner', 'checkpoint-store', 'plugin-sparsity']) {
      assert.ok(!podSpecOf(find(objects, 'Deployment', name)).volumes?.some((v) => v.name === 'datasets'), `${name} has no business with the data`);
    }
  });
});
