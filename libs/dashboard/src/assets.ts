/** The page and the two libraries it draws with, read once: the only files the server ever sends. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const require = createRequire(import.meta.url);
const own = (name: string) => fileURLToPath(new URL(`../static/${name}`, import.meta.url));
// Both packages export their browser build only under the `umd` condition: found beside their entry point.
const umd = (pkg: string, file: string) => join(dirname(require.resolve(pkg)), '../dist', file);

const FILES: Readonly<Record<string, readonly [path: string, type: string]>> = {
  '/': [own('index.html'), 'text/html; charset=utf-8'],
  '/static/app.js': [own('app.js'), 'text/javascript; charset=utf-8'],
  '/static/style.css': [own('style.css'), 'text/css; charset=utf-8'],
  '/vendor/d3.min.js': [umd('d3', 'd3.min.js'), 'text/javascript; charset=utf-8'],
  '/vendor/plot.umd.min.js': [umd('@observablehq/plot', 'plot.umd.min.js'), 'text/javascript; charset=utf-8'],
};

/** URL path → file: a fixed table, so no request names a path on disk. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  return new Map(Object.entries(FILES).map(([url, [path, type]]) => [url, { body: readFileSync(path), type }]));
}
