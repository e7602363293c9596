/**
 * Rewind's WGSL kernels (matMul, conv2d and its gradients, column sums, batch norm, masked SGD, the loss) against the cpu backend, on
 * a real WebGPU device: Dawn over lavapipe, Mesa's software Vulkan driver.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runTsx, softwareWebgpuEnv } from '../support/software-webgpu.ts';

const SCRIPT = fileURLToPath(new URL('kernel-parity.ts', import.meta.url));

// The sizes here pick small and narrow tilings by size; test/webgpu/gemm-tuning.test.ts shows that
// every other tiling a product may run with gives the same bits as these.
test('Rewind WGSL kernels match the cpu backend on a software WebGPU adapter', async () => {
  const child = await runTsx(SCRIPT, [], softwareWebgpuEnv({ REWIND_WEBGPU_ALLOW_SOFTWARE: '1' }));
  assert.equal(child.code, 0, child.stderr);
  const lines = child.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const cases = lines.filter((l) => 'case' in l);
  assert.equal(cases.length, 27, child.stdout);
  for (const c of cases) {
    assert.equal(c.backend, 'webgpu');
    assert.ok(c.worstRelativeError < 1e-5, `${c.case}: worst relative error ${c.worstRelativeError}`);
  }
  // The comparison means something only if Rewind's shaders, not tfjs's, computed the webgpu side.
  const { rewindShaders } = lines.find((l) => 'rewindShaders' in l);
  for (const shader of [
    'rewindGemm-matmul-false-false-k-col',
    'rewindGemm-matmul-true-true-row-k',
    'rewindGemm-conv2d-k-col',
    'rewindGemm-conv2dBackpropInput-k-k',
    'rewindGemm-conv2dBackpropFilter-row-col',
    'rewindColumnSum-x',
    'rewindColumnSum-centeredSquare',
    'rewindColumnSum-dyTimesCentered',
    'rewindBatchNorm-scale-offset',
    'rewindBatchNormScaleGrad',
    'rewindBatchNormGrad-scale',
    'rewindSgd-momentum-true',
    'rewindSgd-param-false',
    'rewindSoftmaxXent',
    'rewindSoftmaxXentGrad',
  ]) {
    // GEMM shaders end in their tiling.
    const ran = rewindShaders.some((s: string) => s === shader || s.startsWith(`${shader}-`));
    assert.ok(ran, `${shader} did not run; ran: ${rewindShaders.join(', ')}`);
  }
  for (const narrow of ['/4x64', '/8x32']) assert.ok(rewindShaders.some((s: string) => s.endsWith(narrow)), `no ${narrow} thread layout ran`);
});
