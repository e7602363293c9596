#!/usr/bin/env bash
# Builds a self-contained folder for a GPU machine that has the NVIDIA driver and python3 with
# PyTorch CUDA but no Node and no package registry: Node, the GPU bench and training check as
# single JS files, dawn.node, the Vulkan loader (Debian libvulkan1), a slice of Fashion-MNIST,
# and run.sh. Copy the folder over and run `./run.sh` there (`./run.sh --quick` for a smoke run).
#
#   scripts/build-gpu-bundle.sh [OUT]        (default .gpu-bundle/)
#
# Needs: `npm install` done (webgpu and tfjs-backend-webgpu are optional deps of @rewind/engine),
# apt-get (for `apt-get download libvulkan1`), and /usr/share/datasets/fashion-mnist.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/.gpu-bundle}" && cd "${1:-$ROOT/.gpu-bundle}" && pwd)
FASHION=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
NODE=$(node -p process.execPath)
WEBGPU="$ROOT/node_modules/webgpu"
# A slice keeps the folder small; the check only needs enough data to show learning.
TRAIN_EXAMPLES=12000
TEST_EXAMPLES=2000

for need in "$WEBGPU/dist/linux-x64/dawn.node" "$ROOT/node_modules/@tensorflow/tfjs-backend-webgpu/package.json" "$ROOT/node_modules/.bin/esbuild"; do
  [[ -e $need ]] || { echo "build-gpu-bundle: $need missing; run npm install at the repo root (optional deps included)" >&2; exit 1; }
done

rm -rf "${OUT:?}"/{bin,app,vulkan,fashion-mnist,run.sh}
mkdir -p "$OUT/bin" "$OUT/app/node_modules/webgpu/dist/linux-x64" "$OUT/fashion-mnist"

cp "$NODE" "$OUT/bin/node"

# esbuild comes with tsx. The banner gives the CommonJS parts of tfjs a `require` inside ESM output.
# webgpu stays external: it loads dawn.node relative to its own index.js, copied below.
"$ROOT/node_modules/.bin/esbuild" "$ROOT/bench/gpu.ts" "$ROOT/bench/gpu-train-check.ts" \
  --bundle --platform=node --format=esm --target=node20 --log-level=error \
  --outdir="$OUT/app" --out-extension:.js=.mjs --external:webgpu \
  --banner:js="import { createRequire as __rewindRequire } from 'node:module'; const require = __rewindRequire(import.meta.url);"
cp "$WEBGPU/package.json" "$WEBGPU/index.js" "$OUT/app/node_modules/webgpu/"
cp "$WEBGPU/dist/linux-x64/dawn.node" "$OUT/app/node_modules/webgpu/dist/linux-x64/"
cp "$ROOT/bench/torch_cuda.py" "$ROOT/bench/torch_baseline.py" "$OUT/app/"

DEBS=$(mktemp -d)
trap 'rm -rf "$DEBS"' EXIT
(cd "$DEBS" && apt-get download libvulkan1:amd64 2>/dev/null)
dpkg -x "$DEBS"/libvulkan1_*.deb "$OUT/vulkan"

# The first N examples of each split, as gzipped IDX with the count in the header rewritten.
"$NODE" --input-type=module - "$FASHION" "$OUT/fashion-mnist" "$TRAIN_EXAMPLES" "$TEST_EXAMPLES" <<'JS'
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
const [src, dst, train, test] = process.argv.slice(2);
for (const [prefix, count] of [['train', Number(train)], ['t10k', Number(test)]]) {
  for (const kind of ['images-idx3-ubyte', 'labels-idx1-ubyte']) {
    const name = `${prefix}-${kind}`;
    const gz = existsSync(`${src}/${name}.gz`);
    const raw = gz ? gunzipSync(readFileSync(`${src}/${name}.gz`)) : readFileSync(`${src}/${name}`);
    const dims = raw[3];
    const perExample = Array.from({ length: dims - 1 }, (_, i) => raw.readUInt32BE(8 + 4 * i)).reduce((a, b) => a * b, 1);
    const header = Buffer.from(raw.subarray(0, 4 + 4 * dims));
    header.writeUInt32BE(count, 4);
    const body = raw.subarray(header.length, header.length + count * perExample);
    writeFileSync(`${dst}/${name}.gz`, gzipSync(Buffer.concat([header, body])));
  }
}
JS

cat > "$OUT/run.sh" <<'SH'
#!/bin/sh
# Runs the GPU bench (tfjs webgpu vs PyTorch CUDA) and the Fashion-MNIST training check.
#   ./run.sh [--quick]      --quick: a few steps of each, to check the path (also on a CPU machine)
# VK_DRIVER_FILES: the NVIDIA Vulkan ICD file (default: the first of the usual places that exists).
# PYTHON: the interpreter with PyTorch CUDA (default python3).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$HERE/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then VK_DRIVER_FILES=$icd; break; fi
  done
fi
export VK_DRIVER_FILES
echo "run.sh: VK_DRIVER_FILES=$VK_DRIVER_FILES"
if [ "${1:-}" = "--quick" ]; then
  BENCH="--steps 2 --warmup 1 --workloads lenet-60,conv2-60"
  CHECK="--steps 60 --min-accuracy 0.65"
else
  BENCH="--steps 50 --warmup 5"
  CHECK="--steps 500 --min-accuracy 0.75"
fi
# shellcheck disable=SC2086 # word splitting of the flag lists is intended
"$HERE/bin/node" "$HERE/app/gpu.mjs" $BENCH
# shellcheck disable=SC2086
"$HERE/bin/node" "$HERE/app/gpu-train-check.mjs" $CHECK --data "$HERE/fashion-mnist"
SH
chmod +x "$OUT/run.sh"
echo "build-gpu-bundle: $OUT ($(du -sh "$OUT" | cut -f1))"
