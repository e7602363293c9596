#!/usr/bin/env bash
# Builds a self-contained folder for a GPU machine that has the NVIDIA driver and python3 with
# PyTorch CUDA but no Node and no package registry: Node, the GPU bench, kernel profile and training
# check as JS files (esbuild, shared code in one chunk), dawn.node, the Vulkan loader (Debian
# libvulkan1), a slice of Fashion-MNIST, and run.sh. Copy the folder over and run `./run.sh` there
# (`./run.sh --help` for its modes, `./run.sh --quick` for a smoke run).
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
# webgpu stays external: it loads dawn.node relative to its own index.js, copied below. --splitting
# puts what the three entry points share (tfjs, the engine) in chunks once instead of three times.
"$ROOT/node_modules/.bin/esbuild" "$ROOT/bench/gpu.ts" "$ROOT/bench/gpu-train-check.ts" "$ROOT/bench/gpu-profile.ts" \
  --bundle --splitting --platform=node --format=esm --target=node20 --log-level=error \
  --outdir="$OUT/app" --out-extension:.js=.mjs --chunk-names=chunks/[name]-[hash] --external:webgpu \
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
# Runs the GPU bench (tfjs webgpu vs PyTorch CUDA), the kernel profile and the Fashion-MNIST check.
usage() {
  cat <<'EOF'
usage: ./run.sh [--quick] [--profile | --compare | --all]
  (none)     bench with Rewind's WGSL kernels (vs PyTorch), then the Fashion-MNIST training check
  --profile  per-kernel profile of one training step per workload (Rewind's kernels)
  --compare  bench with tfjs's stock kernels (no PyTorch), then with Rewind's (vs PyTorch)
  --all      --compare, then the training check, then --profile
  --quick    a few steps and two small workloads: checks the path (also on a CPU machine)
env: WORKLOADS=lenet-60,lenet-1024,conv2-60,conv2-512,resnet20-128 (bench and profile; default all,
     --quick: lenet-60,conv2-60); VK_DRIVER_FILES: the NVIDIA Vulkan ICD file (default: the first
     of the usual places that exists); PYTHON: the interpreter with PyTorch CUDA (default python3).
EOF
}
set -eu
MODE=bench
QUICK=
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    --profile) MODE=profile ;;
    --compare) MODE=compare ;;
    --all) MODE=all ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$HERE/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then VK_DRIVER_FILES=$icd; break; fi
  done
fi
export VK_DRIVER_FILES
GPU=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)
echo "run.sh: mode $MODE${QUICK:+ (quick)}; VK_DRIVER_FILES=$VK_DRIVER_FILES; GPU ${GPU:-none seen by nvidia-smi}"
if [ -n "$QUICK" ]; then
  W=${WORKLOADS:-lenet-60,conv2-60}
  BENCH="--steps 2 --warmup 1"
  PROFILE="--steps 2 --warmup 1 --reps 3"
  CHECK="--steps 60 --min-accuracy 0.65"
else
  W=${WORKLOADS:-lenet-60,lenet-1024,conv2-60,conv2-512,resnet20-128}
  BENCH="--steps 50 --warmup 5"
  PROFILE="--steps 10 --warmup 3 --reps 20"
  CHECK="--steps 500 --min-accuracy 0.75"
fi
NODE="$HERE/bin/node"
STATUS=0
# Runs one part (a name, then the command); a failure is reported and remembered, and the other parts still run.
part() {
  name=$1
  shift
  if "$@"; then :; else
    rc=$?
    echo "run.sh: $name failed (exit $rc)" >&2
    STATUS=1
  fi
}
# The kernel set goes in the environment for the whole process as well as in --kernels.
# shellcheck disable=SC2086 # word splitting of the flag lists is intended
bench() {
  kernels=$1
  shift
  part "bench ($kernels kernels)" env REWIND_WEBGPU_KERNELS="$kernels" "$NODE" "$HERE/app/gpu.mjs" $BENCH --workloads "$W" --kernels "$kernels" "$@"
}
# shellcheck disable=SC2086
check() { part train-check env REWIND_WEBGPU_KERNELS=rewind "$NODE" "$HERE/app/gpu-train-check.mjs" $CHECK --data "$HERE/fashion-mnist"; }
# shellcheck disable=SC2086
profile() { part profile env REWIND_WEBGPU_KERNELS=rewind "$NODE" "$HERE/app/gpu-profile.mjs" $PROFILE --workloads "$W" --kernels rewind; }
case $MODE in
  bench) bench rewind; check ;;
  profile) profile ;;
  compare) bench stock --skip-torch; bench rewind ;;
  all) bench stock --skip-torch; bench rewind; check; profile ;;
esac
exit $STATUS
SH
chmod +x "$OUT/run.sh"
echo "build-gpu-bundle: $OUT ($(du -sh "$OUT" | cut -f1))"
