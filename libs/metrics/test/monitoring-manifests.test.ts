/**
 * infra/k8s/monitoring: base + the component renders with `kubectl kustomize`; the trainers and the
 * checkpoint-store get a token-protected metrics port, the PodMonitor scrapes it, and the Grafana dashboard
 * has the structure Grafana imports and queries only metrics the services export.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { serviceMetrics } from '@rewind/metrics';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { renderWithComponents } from '../../../test/support/kustomize.ts';

const K8S = new URL('../../../infra/k8s/', import.meta.url).pathname;
const DASHBOARD = join(K8S, 'monitoring/grafana-dashboard.json');
/** Grafana's reference to the dashboard's datasource variable, picked at import. */
const DATASOURCE_VARIABLE = '$' + '{datasource}';

const renderWithMonitoring = () => renderWithComponents(['monitoring']);

test('the component gives trainers and the checkpoint-store a token-protected metrics port that the PodMonitor scrapes', () => {
  const objects = renderWithMonitoring();
  for (const name of ['trainer', 'checkpoint-store']) {
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
    assert.doesNotThrow(() => new Deployment(deployment as never).validate(), name);
    const container = (deployment.spec as { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[]; ports: { name: string; containerPort: number }[] }[] } } }).template
      .spec.containers[0]!;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.REWIND_METRICS_PORT, '9464', name);
    assert.equal(env.REWIND_METRICS_HOST, '0.0.0.0', name);
    assert.deepEqual(env.REWIND_METRICS_TOKEN, { secretKeyRef: { name: 'rewind-metrics', key: 'token' } }, name);
    assert.ok(container.ports.some((p) => p.name === 'metrics' && p.containerPort === 9464), name);
  }
  const monitor = objects.find((o) => o.kind === 'PodMonitor')!;
  assert.equal((monitor as unknown as { apiVersion: string }).apiVersion, 'monitoring.coreos.com/v1');
  const endpoint = (monitor.spec as { podMetricsEndpoints: { port: string; path: string; bearerTokenSecret: unknown }[] }).podMetricsEndpoints[0]!;
  assert.deepEqual([endpoint.port, endpoint.path, endpoint.bearerTokenSecret], ['metrics', '/metrics', { name: 'rewind-metrics', key: 'token' }]);
  const dashboards = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'rewind-grafana-dashboard')!;
  assert.doesNotThrow(() => new ConfigMap(dashboards as never).validate());
  assert.equal(dashboards.metadata.labels?.grafana_dashboard, '1');
  assert.deepEqual(JSON.parse(dashboards.data!['rewind-sweep-health.json']!), JSON.parse(readFileSync(DASHBOARD, 'utf8')));
});

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: string; uid: string };
  targets: { refId: string; expr: string }[];
}

test("the Grafana dashboard has the structure Grafana imports, and queries only metrics the services export", async () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { title: string; uid: string; schemaVersion: number; panels: Panel[]; templating: { list: { name: string; type: string; query: string }[] } };
  assert.ok(dashboard.title && /^[\w-]{1,40}$/.test(dashboard.uid), 'a title and a uid Grafana accepts');
  assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36);
  assert.deepEqual(dashboard.templating.list.find((v) => v.name === 'datasource'), { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 });
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');

  const exported = (await serviceMetrics('trainer', async () => ({ pending: 0, ackPending: 0, redelivered: 0 })).registry.getMetricsAsJSON()).map((m) => m.name);
  const occupied = new Set<string>();
  for (const panel of dashboard.panels) {
    assert.ok(['timeseries', 'stat'].includes(panel.type), `${panel.title}: a built-in panel type`);
    const { x, y, w, h } = panel.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0, `${panel.title}: fits Grafana's 24-column grid`);
    for (let col = x; col < x + w; col++) {
      for (let row = y; row < y + h; row++) {
        assert.ok(!occupied.has(`${col},${row}`), `${panel.title} overlaps another panel`);
        occupied.add(`${col},${row}`);
      }
    }
    assert.deepEqual(panel.datasource, { type: 'prometheus', uid: DATASOURCE_VARIABLE }, panel.title);
    assert.ok(panel.targets.length > 0, `${panel.title} has queries`);
    for (const target of panel.targets) {
      assert.match(target.refId, /^[A-Z]$/);
      for (const [name] of target.expr.matchAll(/\b(?:rewind|process|nodejs)_\w+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        assert.ok(exported.includes(name) || exported.includes(base), `${panel.title}: ${name} is not a metric the services export`);
      }
    }
  }
});
