/**
 * Runs test files two at a time in the order given, with the spec reporter, then prints the slowest
 * files. `node --test` cannot do this: Node 20 sorts its file arguments, so the longest files (the
 * cluster, chaos and software-WebGPU tests, under test/) started last and trailed the run alone.
 * The files' processes inherit this one's `--import tsx`.
 *
 *   node --import tsx scripts/run-tests.ts [--concurrency N] <file>...
 */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const { values, positionals: files } = parseArgs({ allowPositionals: true, options: { concurrency: { type: 'string', default: '2' } } });
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new Error(`--concurrency must be 1 to 16, not '${values.concurrency}'`);
if (files.length === 0) throw new Error('no test files given');

const SLOWEST_SHOWN = 10;
/** Each file's time: its top-level tests' durations, summed (hooks outside a test are not counted). */
const fileMs = new Map<string, number>();
const stream = run({ files, concurrency });
stream.on('test:pass', (e) => countTopLevel(e));
stream.on('test:fail', (e) => {
  process.exitCode = 1;
  countTopLevel(e);
});
function countTopLevel(e: { nesting: number; file?: string; details: { duration_ms: number } }) {
  if (e.nesting === 0 && e.file) fileMs.set(e.file, (fileMs.get(e.file) ?? 0) + e.details.duration_ms);
}
const report = stream.compose(new spec());
report.pipe(process.stdout);
report.on('end', () => {
  const slowest = [...fileMs].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_SHOWN);
  process.stdout.write(`\nslowest files (their tests' time):\n${slowest.map(([f, ms]) => `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${relative(process.cwd(), f)}`).join('\n')}\n`);
});
