import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { getModel } from '@rewind/engine';
import { type AnalysisRow, type DataOrderJob, type DistanceResult, formatStabilityTable, type LinearModeJob, type LinearModeResult } from '@rewind/kinds';
import { LocalAnalyzer, LocalDirStore } from '../src/index.ts';

const model = { name: 'mnist_lenet_300_100' as const, width: 1, initSeed: 4 };
const dataset = { name: 'synthetic' as const, dir: '', trainSubset: 0 };
const linearMode = (copyIds: string[], alphaPoints = 3): LinearModeJob => ({ analysis: 'linear_mode', copyIds, model, dataset, alphaPoints, threshold: 0.02, pathExamples: 64 });

async function fixture() {
  const store = new LocalDirStore(await mkdtemp(join(tmpdir(), 'rewind-analyzer-')));
  const definition = getModel(model.name);
  const init = definition.init(model, [16, 16, 3], 10);
  const id = await store.putState({ step: 0, ...init, momentum: {} }, { kind: 'init', experiment: 'a' });
  const broken = structuredClone(init.params);
  broken['fc1.kernel']!.data[7] = Number.NaN;
  const nanId = await store.putState({ step: 0, params: broken, buffers: init.buffers, momentum: {} }, { kind: 'init', experiment: 'b' });
  return { analyzer: new LocalAnalyzer(store), id, nanId, layers: definition.prunable };
}

test('two identical copies are at distance 0 with a flat path, and count as stable', async () => {
  const { analyzer, id, layers } = await fixture();
  const dataOrder: DataOrderJob = { analysis: 'data_order', copyIds: [id, id], layers };
  const distance = (await analyzer.analyze(dataOrder)) as DistanceResult;
  assert.equal(distance.analysis === 'data_order' && distance.total.l2, 0);
  const path = (await analyzer.analyze(linearMode([id, id]))) as LinearModeResult;
  assert.ok(path.analysis === 'linear_mode' && path.stable && path.testBarrier === 0 && path.path.length === 3);
});

test('a diverged copy is never called stable, and the table says it diverged', async () => {
  const { analyzer, id, nanId } = await fixture();
  const result = (await analyzer.analyze(linearMode([id, nanId]))) as LinearModeResult;
  assert.ok(result.analysis === 'linear_mode');
  assert.equal(result.stable, false);
  assert.ok(Number.isNaN(result.testBarrier));
  // What results.json holds after a round trip through JSON: NaN becomes null.
  const row = JSON.parse(JSON.stringify({ experiment: 'x', trunk: 't', seed: 1, kind: 'random_reinit', rewindStep: 50, round: 1, weightsRemaining: 0.8, analysis: 'linear_mode', result })) as AnalysisRow;
  assert.match(formatStabilityTable([row]), /random_reinit\s+50it.*diverged\s+diverged\s+no/);
});

test('a stop mid-path ends the linear-mode analysis at its next evaluation, and a stopped one never starts', async () => {
  const { analyzer, id } = await fixture();
  const abort = new AbortController();
  // 30 points: without the stop it would resolve after evaluating them all.
  const running = analyzer.analyze(linearMode([id, id], 30), abort.signal);
  setImmediate(() => abort.abort(new Error('stopped by the user')));
  await assert.rejects(running, /stopped by the user/);
  await assert.rejects(analyzer.analyze(linearMode([id, id]), AbortSignal.abort(new Error('already stopped'))), /already stopped/);
});
