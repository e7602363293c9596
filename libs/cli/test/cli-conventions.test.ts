/** The CLI's conventions: --help on every command, --version, parse errors that say what to do (exit 2). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { scaled } from '@rewind/dev-cluster';

const BIN = new URL('../bin/rewind.mjs', import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const COMMANDS = ['run', 'show', 'report', 'find-rewind', 'export', 'submit', 'watch', 'tickets', 'lineage', 'analyses'];

function rewind(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { timeout: scaled(60_000), killSignal: 'SIGKILL', env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

test('--help and -h list every command, exit 0', async () => {
  for (const flag of ['--help', '-h']) {
    const r = await rewind([flag]);
    assert.equal(r.code, 0, r.stderr);
    for (const command of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${command} `, 'm'), `${flag} lists ${command}`);
  }
});

test('every command answers --help with its usage; -h and `rewind help <command>` too', async () => {
  const forms = [...COMMANDS.map((command) => [command, '--help']), ['run', '-h'], ['help', 'run']];
  for (const args of forms) {
    const r = await rewind(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: rewind ${args[0] === 'help' ? args[1] : args[0]} `, 'm'), args.join(' '));
  }
  const watch = await rewind(['watch', '--help']);
  assert.match(watch.stdout, /--coordinator <host:port>/);
  assert.match(watch.stdout, /REWIND_COORDINATOR/);
});

test('--version and -V print the package version', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await rewind([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), VERSION);
  }
});

test('parse errors name the problem and the help to read, exit 2', async () => {
  const missing = await rewind(['run']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'rewind run: missing required argument "spec.yaml"; see `rewind run --help`\n');
  const unknownOption = await rewind(['tickets', 'sweep_0', '--bogus']);
  assert.equal(unknownOption.code, 2);
  assert.equal(unknownOption.stderr, 'rewind tickets: unknown option "--bogus"; see `rewind tickets --help`\n');
  const extra = await rewind(['show', 'a', 'b']);
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /^rewind show: too many arguments .*; see `rewind show --help`\n$/);
  const missingOption = await rewind(['export', 'abcdef', '--out', 'x.safetensors']);
  assert.equal(missingOption.code, 2);
  assert.equal(missingOption.stderr, 'rewind export: required option "--run <dir>" not specified; see `rewind export --help`\n');
  const missingValue = await rewind(['find-rewind', 'spec.yaml', '--round']);
  assert.equal(missingValue.code, 2);
  assert.match(missingValue.stderr, /option "--round <R>" argument missing; see `rewind find-rewind --help`/);
});

test('an unknown command, or none, prints the usage to stderr, exit 2', async () => {
  const unknown = await rewind(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^rewind: unknown command "frobnicate"\n/);
  assert.match(unknown.stderr, /run \[options\] <spec\.yaml>/);
  const none = await rewind([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: rewind /);
  assert.equal(none.stdout, '');
});

test('with REWIND_TRACE_FILE a command is a span of service rewind-cli, its failure recorded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-cli-trace-'));
  const traceFile = join(dir, 'trace.jsonl');
  try {
    const r = await rewind(['export', 'abcdef', '--run', join(dir, 'no-run'), '--out', join(dir, 'x.safetensors')], { REWIND_TRACE_FILE: traceFile });
    assert.equal(r.code, 2);
    const requests = (await readFile(traceFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    const resource = requests[0].resourceSpans[0].resource.attributes as { key: string; value: { stringValue?: string } }[];
    assert.equal(resource.find((a) => a.key === 'service.name')?.value.stringValue, 'rewind-cli');
    const span = requests[0].resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(span.name, 'rewind export');
    assert.equal(span.status.code, 2, 'the failure is on the span');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
