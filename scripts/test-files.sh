#!/usr/bin/env bash
# The test files `npm run test:unit` runs, the longest first: with two files at a time, the image build, the
# cluster tests and the software-WebGPU tests overlap the many short files instead of trailing them. (Three or
# four at a time were slower on two cores: 797–832 s against 734 s.)
set -euo pipefail
cd "$(dirname "$0")/.."
longest=(test/integration/images.test.ts test/integration/chaos.test.ts test/integration/cluster.test.ts test/webgpu/*.test.ts)
printf '%s\n' "${longest[@]}"
find libs services test -name '*.test.ts' -not -path '*/node_modules/*' | sort | grep -vxF -f <(printf '%s\n' "${longest[@]}")
