/**
 * infra/k8s rendered as an operator would: the base plus kustomize components, with stand-in values for
 * the Secrets an operator creates (never committed), through `kubectl kustomize`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const K8S = new URL('../../infra/k8s/', import.meta.url).pathname;

export interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** Every object of `base` with `components` (directory names under infra/k8s) applied. */
export function renderWithComponents(components: readonly string[]): K8sObject[] {
  const work = mkdtempSync(join(tmpdir(), 'rewind-k8s-'));
  try {
    cpSync(K8S, join(work, 'k8s'), { recursive: true });
    writeFileSync(join(work, 'k8s/base/secrets/s3.env'), 'S3_ACCESS_KEY=svc-test\nS3_SECRET_KEY=test-secret\n');
    writeFileSync(join(work, 'k8s/base/secrets/minio-root.env'), 'MINIO_ROOT_USER=root-test\nMINIO_ROOT_PASSWORD=test-password\n');
    writeFileSync(join(work, 'k8s/base/secrets/datasets.env'), 'S3_ACCESS_KEY=data-test\nS3_SECRET_KEY=test-data-secret\n');
    mkdirSync(join(work, 'k8s/overlays/rendered'));
    const list = components.map((c) => `../../${c}`).join(', ');
    writeFileSync(join(work, 'k8s/overlays/rendered/kustomization.yaml'), `resources: [../../base]\ncomponents: [${list}]\n`);
    const text = execFileSync('kubectl', ['kustomize', join(work, 'k8s/overlays/rendered')], { encoding: 'utf8' });
    return parseAllDocuments(text)
      .map((d) => d.toJSON() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
