#!/usr/bin/env bash
# `npm test`: every check CI runs. The services image (minutes, mostly Debian downloads) starts building at
# once in the background, so it overlaps the proto, lint and type checks; the image test then waits for it
# (scripts/build-images.sh holds a lock per image) and reuses it. Its output: .cache/images/build.log.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/images
scripts/build-images.sh --if-missing "$(git rev-parse --short=12 HEAD)" rewind > .cache/images/build.log 2>&1 &
builder=$!
# A failed check ends the run at once: stop the build too (mmdebstrap cleans up on SIGTERM).
trap 'kill -TERM "$builder" 2>/dev/null || true; wait "$builder" 2>/dev/null || true' EXIT
npm run build:proto
npm run lint
npm run typecheck
npm run test:unit
