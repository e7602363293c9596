/**
 * infra/k8s/dashboard: base + the component renders with `kubectl kustomize`; the coordinator serves the
 * dashboard beyond localhost only with the token from its Secret, and the Service and NetworkPolicy let it in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

const K8S = new URL('../../../infra/k8s/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rewind-dashboard-k8s-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

function render(): K8sObject[] {
  cpSync(K8S, join(work, 'k8s'), { recursive: true });
  writeFileSync(join(work, 'k8s/base/secrets/s3.env'), 'S3_ACCESS_KEY=svc-test\nS3_SECRET_KEY=test-secret\n');
  writeFileSync(join(work, 'k8s/base/secrets/minio-root.env'), 'MINIO_ROOT_USER=root-test\nMINIO_ROOT_PASSWORD=test-password\n');
  mkdirSync(join(work, 'k8s/overlays/watched'));
  writeFileSync(join(work, 'k8s/overlays/watched/kustomization.yaml'), 'resources: [../../base]\ncomponents: [../../dashboard]\n');
  const text = execFileSync('kubectl', ['kustomize', join(work, 'k8s/overlays/watched')], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJSON() as K8sObject);
}

test('the coordinator serves the dashboard on 8080 with the token from its Secret; the Service and policy let it in', () => {
  const objects = render();
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const deployment = find('Deployment', 'coordinator');
  assert.doesNotThrow(() => new Deployment(deployment as never).validate());
  type Container = { env: { name: string; value?: string; valueFrom?: unknown }[]; ports: { name: string; containerPort: number }[] };
  const container = (deployment.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.valueFrom]));
  assert.equal(env.DASHBOARD_PORT, '8080');
  assert.equal(env.DASHBOARD_HOST, '0.0.0.0');
  assert.deepEqual(env.REWIND_DASHBOARD_TOKEN, { secretKeyRef: { name: 'rewind-dashboard', key: 'token' } });
  assert.ok(container.ports.some((p) => p.name === 'dashboard' && p.containerPort === 8080));
  const service = find('Service', 'coordinator');
  assert.doesNotThrow(() => new Service(service as never).validate());
  assert.ok((service.spec as { ports: { name: string; port: number; targetPort: string }[] }).ports.some((p) => p.port === 8080 && p.targetPort === 'dashboard'));
  const policy = find('NetworkPolicy', 'coordinator-ingress');
  assert.doesNotThrow(() => new NetworkPolicy(policy as never).validate());
  assert.deepEqual((policy.spec as { ingress: { ports: { port: number }[] }[] }).ingress[0]!.ports.map((p) => p.port).sort(), [7000, 8080]);
});
