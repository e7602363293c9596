/**
 * infra/k8s/dashboard: base + the component renders with `kubectl kustomize`; the coordinator serves the
 * dashboard beyond localhost only with the token from its Secret, and the Service and NetworkPolicy let it in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Service } from 'kubernetes-models/v1';
import { renderWithComponents } from '../../../test/support/kustomize.ts';

test('the coordinator serves the dashboard on 8080 with the token from its Secret; the Service and policy let it in', () => {
  const objects = renderWithComponents(['dashboard']);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)! as { spec: Record<string, unknown> };
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
