/**
 * How the dev cluster starts a service, and tests the `rewind` CLI: from one ES module that esbuild
 * bundles from the TypeScript and the npm packages it imports, not through tsx. Under tsx every start
 * resolves and loads a few hundred modules through its hooks (about 2.7 CPU-seconds for a trainer on 2
 * cores); with only the workspace bundled, Node still resolved and wrapped some 400 CommonJS files of
 * grpc-js, nats, protobufjs and OpenTelemetry (0.75 CPU-s to the config check); bundled whole, 0.35. The
 * tests start services some hundred times and the CLI some dozens. Bundling takes about 7 CPU-s, so the
 * bundles are kept with a list of what they were made from, and made again when any of it changed: they
 * are never stale. (libs/cli/test/cli-conventions.test.ts runs bin/rewind.mjs itself, as users do.)
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin, version as esbuildVersion } from 'esbuild';

const ROOT = new URL('../../../', import.meta.url).pathname;
/** Inside the checkout, so that what stays external resolves from its node_modules. */
const OUT_DIR = join(ROOT, '.cache', 'service-bundles');
/** What the bundles in OUT_DIR were made from, and how (see `Made`). */
const MADE = join(OUT_DIR, 'made.json');
/** How bundles are made: this file and esbuild's version. Bundles made otherwise are made again. */
const RECIPE = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).update(esbuildVersion).digest('hex');

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
  bundles ??= reusedBundles().then((made) => made ?? bundleAll());
  return { command: process.execPath, args: [(await bundles).get(entry)!] };
};

/** The command line that starts `entry` (as `node <bundle>`), bundling every program on the first call. */
export async function serviceCommand(entry: string): Promise<{ command: string; args: string[] }> {
  if (!(SERVICE_ENTRIES as readonly string[]).includes(entry)) throw new Error(`no service '${entry}': the dev cluster starts ${SERVICE_ENTRIES.join(', ')}`);
  return commandOf(entry);
}

/** The command line that runs the `rewind` CLI (`node <bundle>`, then its arguments). */
export const rewindCommand = (): Promise<{ command: string; args: string[] }> => commandOf('rewind');

/** The last bundles made: by which recipe, from which files (each with its identity), into which files. */
interface Made {
  readonly recipe: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: readonly string[];
  readonly entries: Readonly<Record<string, string>>;
}

/** A file's identity: a rewrite or a replacement (npm install) changes its inode, size or mtime. */
async function identity(path: string): Promise<string> {
  const s = await stat(join(ROOT, path));
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** The last bundles made, if this recipe made them and none of their inputs changed since. */
async function reusedBundles(): Promise<ReadonlyMap<string, string> | undefined> {
  let made: Made;
  try {
    made = JSON.parse(await readFile(MADE, 'utf8')) as Made;
  } catch {
    return undefined;
  }
  if (made.recipe !== RECIPE || !made.outputs.every((path) => existsSync(path))) return undefined;
  const now = await Promise.all(Object.keys(made.inputs).map((path) => identity(path).catch(() => 'gone')));
  if (Object.values(made.inputs).some((was, i) => was !== now[i])) return undefined;
  return new Map(Object.entries(made.entries));
}

/** Writes `bytes` to `path` whole (a temporary file, then a rename): a reader never sees half a file. */
async function writeWhole(path: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/**
 * Files are named by their content's hash: test files bundling at the same time write the same bytes to
 * the same names.
 */
async function bundleAll(): Promise<ReadonlyMap<string, string>> {
  const startedMs = Date.now();
  const result = await build({
    entryPoints: ENTRIES,
    absWorkingDir: ROOT,
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
    metafile: true,
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
    if (!existsSync(file.path)) await writeWhole(file.path, file.contents);
    const entry = Object.keys(ENTRIES).find((e) => basename(file.path).startsWith(`${e}-`));
    if (entry) entries.set(entry, file.path);
  }
  const inputs = Object.keys(result.metafile.inputs);
  const identities = await Promise.all(inputs.map(identity));
  // A file written while esbuild ran may have been read before or after: such bundles are not kept.
  if (identities.some((id) => Number(id.split(':')[2]) >= startedMs)) return entries;
  const made: Made = {
    recipe: RECIPE,
    inputs: Object.fromEntries(inputs.map((path, i) => [path, identities[i]!])),
    outputs: result.outputFiles.map((file) => file.path),
    entries: Object.fromEntries(entries),
  };
  await writeWhole(MADE, JSON.stringify(made));
  return entries;
}
