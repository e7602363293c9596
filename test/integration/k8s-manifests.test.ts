/**
 * The Kubernetes manifests render with kustomize and every object validates against the Kubernetes
 * schemas (kubernetes-models). Where kubectl is absent, the base files are validated as written.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

const K8S = new URL('../../infra/k8s/', import.meta.url).pathname;
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment,
  StatefulSet,
  HorizontalPodAutoscaler,
  ConfigMap,
  Namespace,
  Secret,
  Service,
};
const SERVICES = ['checkpoint-store', 'pruner', 'stability-analyzer', 'coordinator', 'trainer', 'plugin-sparsity'];

interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function render(overlay: string): K8sObject[] {
  const text = hasKubectl()
    ? execFileSync('kubectl', ['kustomize', join(K8S, overlay)], { encoding: 'utf8' })
    : readdirSync(join(K8S, 'base'))
        .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
        .map((f) => readFileSync(join(K8S, 'base', f), 'utf8'))
        .join('\n---\n');
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function validateAll(objects: readonly K8sObject[]): void {
  for (const o of objects) {
    const Model = MODELS[o.kind];
    assert.ok(Model, `no schema model for kind ${o.kind} (${o.metadata.name})`);
    assert.doesNotThrow(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name} is invalid`);
  }
}

type Container = {
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  resources?: { limits?: Record<string, unknown> };
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = { containers?: Container[]; volumes?: { name: string; hostPath?: unknown }[] };
const podSpecOf = (o: K8sObject): PodSpec | undefined => (o.spec?.template as { spec?: PodSpec } | undefined)?.spec;
const containersOf = (o: K8sObject): Container[] => podSpecOf(o)?.containers ?? [];

describe('Kubernetes manifests', () => {
  it('base: one Deployment per service, with probes, all schema-valid', () => {
    const objects = render('base');
    validateAll(objects);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [...SERVICES].sort());
    for (const d of deployments) {
      for (const c of containersOf(d)) {
        assert.ok(c.readinessProbe && c.livenessProbe, `${d.metadata.name} needs readiness and liveness probes`);
      }
    }
    assert.deepEqual(objects.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name).sort(), ['minio', 'nats']);
    assert.ok(objects.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'trainer'));
  });

  it('gpu overlay: trainers ask for one nvidia.com/gpu', () => {
    if (!hasKubectl()) {
      // Overlays need kustomize to render; the base check above still ran.
      assert.ok(readFileSync(join(K8S, 'overlays/gpu/kustomization.yaml'), 'utf8').includes('gpu/kustomize'));
      return;
    }
    const objects = render('overlays/gpu');
    validateAll(objects);
    const trainer = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'trainer')!;
    const container = containersOf(trainer)[0]!;
    assert.equal(container.resources?.limits?.['nvidia.com/gpu'], 1);
    // Tuned tilings live on the node, in a directory the pod mounts.
    const file = container.env?.find((e) => e.name === 'REWIND_WEBGPU_TUNING_FILE')?.value;
    const mount = container.volumeMounts?.find((m) => file?.startsWith(`${m.mountPath}/`));
    assert.ok(mount, `REWIND_WEBGPU_TUNING_FILE=${file} is on a mounted volume`);
    assert.ok(podSpecOf(trainer)?.volumes?.some((v) => v.name === mount.name && v.hostPath));
  });
});
