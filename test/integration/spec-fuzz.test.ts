/**
 * Property-based fuzzing of sweep specs (fast-check): every example spec with one to three fields set to
 * hostile values (huge, negative, NaN, wrong types, path-like names) or removed, or an unknown key added.
 * - `rewind run`'s checks (parseSweepSpec, then prepareSpec) accept a spec, or throw a SpecError naming the
 *   field, or (an image dataset whose shards are not there) a DatasetError naming the data; never another
 *   error, and they answer at once;
 * - the real coordinator's SubmitSweep (an authenticated dev cluster) answers every one of them OK,
 *   INVALID_ARGUMENT or FAILED_PRECONDITION with the same verdict as `rewind run`, before a short deadline,
 *   and is still serving.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { SpecError } from '@rewind/core';
import { type Cluster, scaled, startCluster } from '@rewind/dev-cluster';
import { DatasetError } from '@rewind/data';
import { prepareSpec } from '@rewind/engine';
import { parseSweepSpec } from '@rewind/kinds';
import { channelOptions, CoordinatorServiceClient } from '@rewind/rpc';
import fc from 'fast-check';
import { parse } from 'yaml';
import { tempDir } from './cluster-helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const CASES = 1000;

type Json = unknown;
const EXAMPLES: Record<string, Json>[] = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => parse(readFileSync(join(ROOT, 'examples', f), 'utf8')))
  // Image datasets' shards, absent alike for this process and the coordinator, whatever this checkout holds.
  .map((spec) => (spec.dataset?.name === 'imagenet' ? { ...spec, dataset: { ...spec.dataset, dir: '/nonexistent/rewind-spec-fuzz' } } : spec));

/** Every path to a value in the examples, plus fields a spec may add. */
const PATHS: string[][] = [
  ...new Set(
    EXAMPLES.flatMap((spec) => {
      const walk = (v: Json, at: string[]): string[][] =>
        v !== null && typeof v === 'object' && !Array.isArray(v)
          ? [at, ...Object.entries(v).flatMap(([k, x]) => walk(x, [...at, k]))]
          : [at];
      return walk(spec, []).filter((p) => p.length > 0);
    }).map((p) => p.join('.')),
  ),
  'training.momentum',
  'training.weight_decay',
  'training.warmup',
  'seeds',
  'copies',
  'analyses',
].map((p) => p.split('.'));

const hostile = fc.oneof(
  fc.integer({ min: -1e12, max: 1e12 }),
  fc.double(),
  fc.constantFrom(1e308, -1e308, 2 ** 53, 2 ** 32, 2 ** 31, 0, -1, 0.5, 1e-320),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('0it', '1e308ep', '999999999999ep', '-5it', '12ep', '0ep', '1.5it', '../../x', 'a/b', '', ' ', '\u0000', 'NaN', 'Infinity'),
  fc.constantFrom(null, true, false),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constantFrom('0it', '200it', '1ep')), { maxLength: 6 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 6 })), { maxKeys: 3 }),
);

type Mutation = { path: string[]; value?: Json; remove: boolean };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ path: fc.constantFrom(...PATHS), value: hostile, remove: fc.constant(false) }),
  fc.record({ path: fc.constantFrom(...PATHS), remove: fc.constant(true) }),
  fc.record({ path: fc.tuple(fc.constantFrom('', ...PATHS.map((p) => p[0]!)), fc.string({ minLength: 1, maxLength: 8 })).map(([a, b]) => (a ? [a, b] : [b])), value: hostile, remove: fc.constant(false) }),
);

function mutate(base: Json, mutations: readonly Mutation[]): Json {
  const spec = structuredClone(base) as Record<string, Json>;
  for (const { path, value, remove } of mutations) {
    let at: Record<string, Json> = spec;
    for (const key of path.slice(0, -1)) {
      if (at[key] === null || typeof at[key] !== 'object' || Array.isArray(at[key])) at[key] = {};
      at = at[key] as Record<string, Json>;
    }
    if (remove) delete at[path.at(-1)!];
    else at[path.at(-1)!] = value;
  }
  return spec;
}

const specs = fc.tuple(fc.constantFrom(...EXAMPLES), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([base, ms]) => mutate(base, ms));

type Verdict = { ok: true } | { ok: false; message: string; data: boolean };

/** What `rewind run` decides before any work. Anything but a SpecError or a DatasetError is a crash and fails the test. */
async function runChecks(raw: Json): Promise<Verdict> {
  try {
    await prepareSpec(parseSweepSpec(raw));
    return { ok: true };
  } catch (err) {
    if (err instanceof SpecError) return { ok: false, message: err.message, data: false };
    if (err instanceof DatasetError) return { ok: false, message: err.message, data: true };
    throw new Error(`crash on ${JSON.stringify(raw)}: ${(err as Error).stack}`);
  }
}

describe('spec fuzzing', () => {
  it(`rewind run's checks: ${CASES} generated specs, each accepted or refused with a SpecError or DatasetError, at once`, async () => {
    const counts = { accepted: 0, refused: 0 };
    let slowest = 0;
    await fc.assert(
      fc.asyncProperty(specs, async (raw) => {
        const started = performance.now();
        const verdict = await runChecks(raw);
        slowest = Math.max(slowest, performance.now() - started);
        if (verdict.ok) counts.accepted++;
        else {
          counts.refused++;
          assert.match(verdict.message, /\S/);
        }
      }),
      { numRuns: CASES, seed: 20261205 },
    );
    console.log(`spec fuzz (run checks): ${JSON.stringify(counts)}, slowest ${slowest.toFixed(1)} ms`);
    assert.equal(counts.accepted + counts.refused, CASES);
    assert.ok(counts.accepted > 0 && counts.refused > 0, 'the generator reaches both verdicts');
    // A hang would never return; anything near a second means work that scales with a hostile number.
    assert.ok(slowest < scaled(2_000), `slowest check took ${slowest} ms`);
  });

  describe('SubmitSweep on the real coordinator', () => {
    let dir = '';
    let cluster: Cluster | undefined;
    let client: CoordinatorServiceClient;

    before(async () => {
      dir = await tempDir('spec-fuzz');
      cluster = await startCluster({ dir, trainers: 0 });
      client = new CoordinatorServiceClient(cluster.addresses.coordinator, cluster.credentials, channelOptions());
    });

    after(async () => {
      client?.close();
      await cluster?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const submit = (specJson: string): Promise<{ code: number; details: string }> =>
      new Promise((resolve) =>
        client.submitSweep({ specJson }, new Metadata(), { deadline: Date.now() + scaled(10_000) }, (err: ServiceError | null) =>
          resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
        ),
      );

    it(`${CASES} generated specs: each OK, INVALID_ARGUMENT or FAILED_PRECONDITION as rewind run decides, before the deadline`, async () => {
      const counts: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(specs, async (raw) => {
          const answer = await submit(JSON.stringify(raw));
          counts[status[answer.code]!] = (counts[status[answer.code]!] ?? 0) + 1;
          const verdict = await runChecks(raw);
          const expected = verdict.ok ? status.OK : verdict.data ? status.FAILED_PRECONDITION : status.INVALID_ARGUMENT;
          assert.equal(answer.code, expected, `${JSON.stringify(raw)}: ${answer.details}`);
          // A data path resolves against each process's working directory; a spec's verdict is the same text.
          if (!verdict.ok && !verdict.data) assert.equal(answer.details, verdict.message);
        }),
        { numRuns: CASES, seed: 20261205 },
      );
      console.log(`spec fuzz (submit): ${JSON.stringify(counts)}`);
      assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), CASES);
      // Still serving: a known-good spec is accepted.
      assert.equal((await submit(JSON.stringify(EXAMPLES.find((spec) => spec.name === 'quick')))).code, status.OK);
    });
  });
});
