#!/usr/bin/env bash
# The test files `npm run test:unit` runs, the longest first: with three files at a time (on two cores: the
# cluster tests spend part of their time waiting on restarts and outages), the image build, the cluster tests
# and the software-WebGPU tests overlap the many short files instead of trailing them.
set -euo pipefail
cd "$(dirname "$0")/.."
longest=(test/integration/images.test.ts test/integration/chaos.test.ts test/integration/cluster.test.ts test/webgpu/*.test.ts)
printf '%s\n' "${longest[@]}"
find libs services test -name '*.test.ts' -not -path '*/node_modules/*' | sort | grep -vxF -f <(printf '%s\n' "${longest[@]}")
