#!/usr/bin/env bash
# The test files `npm run test:unit` runs (scripts/run-tests.ts, two at a time, in this order). The suite is
# CPU-bound on two cores, so the order only has to keep both busy to the end:
# - the longest first, so that the cluster, chaos and software-WebGPU tests overlap the many short files
#   instead of trailing them, with the WebGPU files (CPU-bound shader compiles) beside the chaos test's
#   store outage (mostly waiting);
# - then the image test, by when the services image that scripts/test.sh builds in the background is
#   ready (the longest files take twice the build's time), so it does not hold a slot waiting, nor end the
#   run alone;
# - then the rest, with the files that mostly wait on timers (ack waits, redeliveries, reconnects) spread
#   among the CPU-bound ones, so that no two of them hold both slots.
# (Three or four at a time were slower on two cores.)
set -euo pipefail
cd "$(dirname "$0")/.."
longest=(
  test/integration/chaos.test.ts test/webgpu/gemm-tuning.test.ts libs/engine/test/backends-webgpu.test.ts
  test/webgpu/kernel-parity.test.ts test/integration/cluster.test.ts test/imagenet/imagenet-sweep.test.ts
  test/integration/dashboard.test.ts test/integration/corrupt-heal.test.ts test/embedded/bad-input.test.ts
  test/integration/images.test.ts
)
waiting=(
  libs/nats-ports/test/nats-ports.test.ts libs/nats-ports/test/nats-retry.test.ts libs/nats-ports/test/replicas.test.ts
  libs/plugin-sdk/test/plugin-sdk.test.ts libs/rpc/test/retry.test.ts test/integration/access.test.ts
  test/integration/store-outage.test.ts test/integration/watch-reconnect.test.ts
)
mapfile -t rest < <(find libs services test -name '*.test.ts' -not -path '*/node_modules/*' | sort | grep -vxF -f <(printf '%s\n' "${longest[@]}" "${waiting[@]}"))
printf '%s\n' "${longest[@]}"
every=$((${#rest[@]} / (${#waiting[@]} + 1) > 0 ? ${#rest[@]} / (${#waiting[@]} + 1) : 1))
next=0
for i in "${!rest[@]}"; do
  printf '%s\n' "${rest[$i]}"
  if (((i + 1) % every == 0 && next < ${#waiting[@]})); then printf '%s\n' "${waiting[next++]}"; fi
done
# Any waiting file not yet placed (when the rest is short), last.
if ((next < ${#waiting[@]})); then printf '%s\n' "${waiting[@]:next}"; fi
