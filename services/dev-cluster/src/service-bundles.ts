/**
 * How the dev cluster starts a service, and tests the `rewind` CLI: from one ES module that esbuild
 * bundles from the TypeScript and the npm packages it imports, not through tsx. Under tsx every start
 * resolves and loads a few hundred modules through its hooks (about 2.7 CPU-seconds for a trainer on 2
 * cores); with only the workspace bundled, Node still resolved and wrapped some 400 CommonJS files of
 * grpc-js, nats, protobufjs and OpenTelemetry (0.75 CPU-s to the config check); bundled whole, 0.35. The
 * tests start services some hundred times and the CLI some dozens. The bundles are made once per process
 * from the sources as they are, so they are never stale. (libs/cli/test/cli-conventions.test.ts runs
 * bin/rewind.mjs itself, as users do.)
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = new URL('../../../', import.meta.url).pathname;
/** Inside the checkout, so that what stays external resolves from its node_modules. */
const OUT_DIR = join(ROOT, '.cache', 'service-bundles');

/** The services under services/<name>/src/main.ts the cluster may start. */
const SERVICE_ENTRIES = ['checkpoint-store', 'pruner', 'stability-analyzer', 'coordinator', 'trainer', 'plugin-sparsity'] as const;
/** Every bundled program, by name: the services and the CLI. */
const ENTRIES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(SERVICE_ENTRIES.map((e) => [e, join(ROOT, 'services', e, 'src', 'main.ts')])),
  rewind: join(ROOT, 'libs', 'cli', 'src', 'run-cli.ts'),
};

/** Packages that load a native addon relative to their own files: they stay in node_modules. */
const NATIVE_PACKAGES = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

/**
 * Gives each bundled TypeScript module its own `import.meta.url`, since the native addons, the decode
 * worker and the dashboard's static files are found next to their sources.
 */
const keepLocations: Plugin = {
  name: 'rewind-keep-locations',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (a) => ({
      contents: (await readFile(a.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href)),
      loader: 'ts',
    }));
  },
};

let bundles: Promise<ReadonlyMap<string, string>> | undefined;

const commandOf = async (entry: string): Promise<{ command: string; args: string[] }> => {
  bundles ??= bundleAll();
  return { command: process.execPath, args: [(await bundles).get(entry)!] };
};

/** The command line that starts `entry` (as `node <bundle>`), bundling every program on the first call. */
export async function serviceCommand(entry: string): Promise<{ command: string; args: string[] }> {
  if (!(SERVICE_ENTRIES as readonly string[]).includes(entry)) throw new Error(`no service '${entry}': the dev cluster starts ${SERVICE_ENTRIES.join(', ')}`);
  return commandOf(entry);
}

/** The command line that runs the `rewind` CLI (`node <bundle>`, then its arguments). */
export const rewindCommand = (): Promise<{ command: string; args: string[] }> => commandOf('rewind');

/**
 * Files are named by their content's hash and written whole (a temporary file, then a rename): test
 * files bundling at the same time write the same bytes to the same names, and a service never reads
 * half a file.
 */
async function bundleAll(): Promise<ReadonlyMap<string, string>> {
  const result = await build({
    entryPoints: ENTRIES,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: OUT_DIR,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    write: false,
    external: NATIVE_PACKAGES,
    // The CommonJS packages' require() of Node's modules, and of what esbuild cannot resolve statically.
    banner: { js: "import { createRequire as __rewindRequire } from 'node:module'; const require = __rewindRequire(import.meta.url);" },
    // tfjs declares its packages free of side effects, yet `import '@tensorflow/tfjs-backend-cpu'` is
    // there to register the cpu backend: keep every import.
    ignoreAnnotations: true,
    logLevel: 'silent',
    plugins: [keepLocations],
  });
  await mkdir(OUT_DIR, { recursive: true });
  const entries = new Map<string, string>();
  for (const file of result.outputFiles) {
    if (!existsSync(file.path)) {
      const temporary = `${file.path}.${process.pid}.tmp`;
      await writeFile(temporary, file.contents);
      await rename(temporary, file.path);
    }
    const entry = Object.keys(ENTRIES).find((e) => basename(file.path).startsWith(`${e}-`));
    if (entry) entries.set(entry, file.path);
  }
  return entries;
}
