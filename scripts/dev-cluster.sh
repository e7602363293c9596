#!/usr/bin/env bash
# Starts the whole Rewind cluster on this machine as separate processes, with the sparsity analysis
# plug-in; Ctrl-C stops them all.
# Usage: scripts/dev-cluster.sh [number of trainers, default 2]   (ECHO=1 shows every process's output)
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx services/dev-cluster/src/main.ts "$@"
