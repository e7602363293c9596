#!/usr/bin/env bash
# The test files `npm run test:unit` runs (scripts/run-tests.ts, two at a time, in this order): the longest
# first, so that the cluster, chaos and software-WebGPU tests overlap the many short files instead of
# trailing them, with the WebGPU files (CPU-bound shader compiles) beside the chaos test's store outage
# (mostly waiting); the image test last, when the services image that scripts/test.sh builds in the
# background is ready, so it does not hold a slot waiting. (Three or four at a time were slower on two cores.)
set -euo pipefail
cd "$(dirname "$0")/.."
longest=(
  test/integration/chaos.test.ts test/webgpu/gemm-tuning.test.ts libs/engine/test/backends-webgpu.test.ts
  test/webgpu/kernel-parity.test.ts test/integration/cluster.test.ts test/imagenet/imagenet-sweep.test.ts
  test/integration/dashboard.test.ts test/integration/corrupt-heal.test.ts test/embedded/bad-input.test.ts
)
last=(test/integration/images.test.ts)
printf '%s\n' "${longest[@]}"
find libs services test -name '*.test.ts' -not -path '*/node_modules/*' | sort | grep -vxF -f <(printf '%s\n' "${longest[@]}" "${last[@]}")
printf '%s\n' "${last[@]}"
