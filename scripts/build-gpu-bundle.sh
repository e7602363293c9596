#!/usr/bin/env bash
# Builds a self-contained folder for a GPU machine that has the NVIDIA driver and python3 with
# PyTorch CUDA but no Node and no package registry: Node, the GPU bench, kernel profile and training
# check as JS files (esbuild, shared code in one chunk), dawn.node, the Vulkan loader and the GL
# vendor-neutral dispatch libraries (Debian libvulkan1 and libglvnd: libglvnd0 libgl1 libglx0 libegl1
# libopengl0 libgles2, in gpu-libs/), a slice of Fashion-MNIST, and run.sh. Copy the folder over and
# run `./run.sh` there (`./run.sh --help` for its modes, `./run.sh --quick` for a smoke run).
#
#   scripts/build-gpu-bundle.sh [--archive] [OUT]     (default .gpu-bundle/)
#
# --archive also writes OUT.tar.xz (xz -T0 -4, about 36 MB for the ~130 MB folder; 30-90 s on
# two cores; GPU_BUNDLE_XZ_LEVEL changes the level). Where the GPU machine has no xz,
#   python3 -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" bundle.tar.xz DIR
# unpacks it (the folder's contents go straight into DIR; then run DIR/run.sh).
#
# The NVIDIA Vulkan driver (ICD) is libGLX_nvidia.so.0, which needs libGLdispatch.so.0 and the other
# libglvnd libraries; without them the loader says "Could not get 'vkCreateInstance' via
# 'vk_icdGetInstanceProcAddr' for ICD libGLX_nvidia.so.0" and Dawn finds no adapter. run.sh puts
# gpu-libs/ first on LD_LIBRARY_PATH, which is where the driver library finds them.
#
# Needs: `npm install` done (webgpu and tfjs-backend-webgpu are optional deps of @rewind/engine),
# the .debs of scripts/fetch-gpu-debs.sh (apt-get download when missing), xz for --archive, and /usr/share/datasets/fashion-mnist.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARCHIVE=
DEST=
for arg in "$@"; do
  case $arg in
    --archive) ARCHIVE=1 ;;
    -h | --help) sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) echo "build-gpu-bundle: unknown option '$arg' (usage: $0 [--archive] [OUT])" >&2; exit 2 ;;
    *) [[ -z $DEST ]] || { echo "build-gpu-bundle: one OUT folder only" >&2; exit 2; }; DEST=$arg ;;
  esac
done
OUT=$(mkdir -p "${DEST:-$ROOT/.gpu-bundle}" && cd "${DEST:-$ROOT/.gpu-bundle}" && pwd)
FASHION=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
NODE=$(node -p process.execPath)
WEBGPU="$ROOT/node_modules/webgpu"
# A slice keeps the folder small; the check only needs enough data to show learning.
TRAIN_EXAMPLES=12000
TEST_EXAMPLES=2000

[[ -z $ARCHIVE ]] || command -v xz >/dev/null || { echo "build-gpu-bundle: --archive needs xz (apt-get install xz-utils)" >&2; exit 1; }
for need in "$WEBGPU/dist/linux-x64/dawn.node" "$ROOT/node_modules/@tensorflow/tfjs-backend-webgpu/package.json" "$ROOT/node_modules/.bin/esbuild"; do
  [[ -e $need ]] || { echo "build-gpu-bundle: $need missing; run npm install at the repo root (optional deps included)" >&2; exit 1; }
done

rm -rf "${OUT:?}"/{bin,app,vulkan,gpu-libs,fashion-mnist,run.sh}
mkdir -p "$OUT/bin" "$OUT/app/node_modules/webgpu/dist/linux-x64" "$OUT/fashion-mnist"

cp "$NODE" "$OUT/bin/node"

# esbuild comes with tsx. The banner gives the CommonJS parts of tfjs a `require` inside ESM output.
# webgpu stays external: it loads dawn.node relative to its own index.js, copied below. --splitting
# puts what the entry points share (tfjs, the engine) in chunks once instead of once each.
"$ROOT/node_modules/.bin/esbuild" "$ROOT/bench/gpu.ts" "$ROOT/bench/gpu-train-check.ts" "$ROOT/bench/gpu-profile.ts" "$ROOT/bench/gpu-features.ts" \
  --bundle --splitting --platform=node --format=esm --target=node20 --log-level=error \
  --outdir="$OUT/app" --out-extension:.js=.mjs --chunk-names=chunks/[name]-[hash] --external:webgpu \
  --banner:js="import { createRequire as __rewindRequire } from 'node:module'; const require = __rewindRequire(import.meta.url);"
cp "$WEBGPU/package.json" "$WEBGPU/index.js" "$OUT/app/node_modules/webgpu/"
cp "$WEBGPU/dist/linux-x64/dawn.node" "$OUT/app/node_modules/webgpu/dist/linux-x64/"
cp "$ROOT/bench/torch_cuda.py" "$ROOT/bench/torch_baseline.py" "$OUT/app/"

# The Vulkan loader and libglvnd (see scripts/fetch-gpu-debs.sh), downloaded once by setup.sh.
DEBS="$ROOT/.cache/gpu-debs"
"$ROOT/scripts/fetch-gpu-debs.sh" "$DEBS"
for deb in "$DEBS"/*_amd64.deb; do dpkg -x "$deb" "$OUT/gpu-libs"; done

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
  (none)     bench with Rewind's WGSL kernels and step replay (vs PyTorch), then the Fashion-MNIST training check
  --profile  per-kernel profile of one training step per workload (Rewind's kernels), with the step
             time through tfjs and replayed
  --compare  bench with tfjs's stock kernels, then Rewind's, each step through tfjs (no PyTorch;
             no ResNet-50), then Rewind's kernels with step replay (vs PyTorch)
  --all      --compare, then the training check, then --profile
  --quick    a few steps and two small workloads: checks the path (also on a CPU machine)
env: WORKLOADS=lenet-60,lenet-1024,conv2-60,conv2-512,resnet20-128,resnet50-64,resnet50-256 (bench; default
     all; profile: all but resnet50-256; --quick: lenet-60,conv2-60); VK_DRIVER_FILES: the NVIDIA Vulkan ICD file (default: the first
     of the usual places that exists); PYTHON: the interpreter with PyTorch CUDA (default python3);
     REWIND_WEBGPU_TUNE (default here 16 tilings timed per product, to bound the first run's shader
     compiles; on for 32), REWIND_WEBGPU_TUNING_FILE (default webgpu-tilings.json here, so the runs
     after the first reuse its tuning).
Shipped as bundle.tar.xz (scripts/build-gpu-bundle.sh --archive)? Where xz is missing, python3 unpacks it:
  python3 -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" bundle.tar.xz DIR
then run DIR/run.sh. If the GPU is not used, run.sh prints a hint (Vulkan driver, libglvnd, VK_DRIVER_FILES).
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
# The Vulkan loader and libglvnd: the NVIDIA ICD (libGLX_nvidia.so.0, named in VK_DRIVER_FILES's json)
# finds libGLdispatch.so.0 and libGLX.so.0 through this path.
LIBS="$HERE/gpu-libs/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then VK_DRIVER_FILES=$icd; break; fi
  done
fi
export VK_DRIVER_FILES
# Each part is its own process: the first to launch a product tunes it, the later ones read the file.
export REWIND_WEBGPU_TUNING_FILE="${REWIND_WEBGPU_TUNING_FILE:-$HERE/webgpu-tilings.json}"
# Every tiling timed is a shader the driver compiles; device time for a bench run is short.
export REWIND_WEBGPU_TUNE="${REWIND_WEBGPU_TUNE:-16}"
GPU=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)
echo "run.sh: mode $MODE${QUICK:+ (quick)}; VK_DRIVER_FILES=$VK_DRIVER_FILES; libs $LIBS; GPU ${GPU:-none seen by nvidia-smi}"
if [ -n "$QUICK" ]; then
  W=${WORKLOADS:-lenet-60,conv2-60}
  BENCH="--steps 2 --warmup 1"
  REFERENCE=
  PROFILE="--steps 2 --warmup 1 --reps 3"
  CHECK="--steps 60 --min-accuracy 0.65"
else
  W=${WORKLOADS:-lenet-60,lenet-1024,conv2-60,conv2-512,resnet20-128,resnet50-64,resnet50-256}
  # ResNet-50 rows time at most 20 (batch 64) and 10 (batch 256) steps: bench/gpu-workloads.ts.
  BENCH="--steps 50 --warmup 5"
  REFERENCE="--steps 15 --warmup 3"
  PROFILE="--steps 10 --warmup 3 --reps 20"
  CHECK="--steps 500 --min-accuracy 0.75"
fi
# The profile steps through tfjs kernel by kernel: ResNet-50 at batch 64 stands for both of its rows.
# --compare's steps through tfjs (stock kernels: a naive loop per filter weight) leave ResNet-50 out.
P=${WORKLOADS:-$(echo "$W" | sed 's/,resnet50-256//')}
C=${WORKLOADS:-$(echo "$W" | sed 's/,resnet50-64//; s/,resnet50-256//')}
NODE="$HERE/bin/node"
STATUS=0
HINTED=
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rewind-run.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
# Runs one part (a name, then the command); a failure is reported and remembered, and the other parts
# still run. Its stdout is also kept, to see the bench's "note: no GPU backend here ..." fallback line.
part() {
  name=$1
  shift
  { if "$@"; then rc=0; else rc=$?; fi; echo "$rc" >"$TMP/rc"; } | tee "$TMP/out"
  rc=$(cat "$TMP/rc")
  if [ "$rc" != 0 ]; then
    echo "run.sh: $name failed (exit $rc)" >&2
    STATUS=1
  fi
  if [ -z "$HINTED" ] && grep -q '^note: no GPU backend here' "$TMP/out"; then
    HINTED=1
    echo "run.sh: hint: no GPU adapter. VK_DRIVER_FILES must name the driver's nvidia_icd.json (in a container: NVIDIA_DRIVER_CAPABILITIES with graphics), whose libGLX_nvidia.so.0 needs libglvnd (libGLdispatch.so.0, libGLX.so.0; bundled in gpu-libs/, on LD_LIBRARY_PATH); VK_LOADER_DEBUG=error,warn,driver shows the loader's reason" >&2
  fi
}
# The kernel set goes in the environment for the whole process as well as in --kernels.
# shellcheck disable=SC2086 # word splitting of the flag lists is intended
bench() {
  kernels=$1
  workloads=$2
  shift 2
  part "bench ($kernels kernels)" env REWIND_WEBGPU_KERNELS="$kernels" "$NODE" "$HERE/app/gpu.mjs" $BENCH --workloads "$workloads" --kernels "$kernels" "$@"
}
# shellcheck disable=SC2086
check() { part train-check env REWIND_WEBGPU_KERNELS=rewind "$NODE" "$HERE/app/gpu-train-check.mjs" $CHECK --data "$HERE/fashion-mnist"; }
# shellcheck disable=SC2086
profile() { part profile env REWIND_WEBGPU_KERNELS=rewind "$NODE" "$HERE/app/gpu-profile.mjs" $PROFILE --workloads "$P" --kernels rewind; }
# Steps through tfjs are the slow reference (ResNet-20 took about 1 s a step on the H100): fewer of them.
# shellcheck disable=SC2086
compare() {
  bench stock "$C" --skip-torch --replay off $REFERENCE
  bench rewind "$C" --skip-torch --replay off $REFERENCE
  bench rewind "$W" --replay on
}
# What the adapter offers (features, subgroup-matrix configs, limits), with and without Rewind's Dawn options.
part adapter-features "$NODE" "$HERE/app/gpu-features.mjs"
case $MODE in
  bench) bench rewind "$W" --replay on; check ;;
  profile) profile ;;
  compare) compare ;;
  all) compare; check; profile ;;
esac
exit $STATUS
SH
chmod +x "$OUT/run.sh"
echo "build-gpu-bundle: $OUT ($(du -sh "$OUT" | cut -f1))"

if [[ -n $ARCHIVE ]]; then
  # The folder's contents at the top of the archive, so that extracting into DIR gives DIR/run.sh.
  tar -C "$OUT" -cf - . | xz -T0 "-${GPU_BUNDLE_XZ_LEVEL:-4}" >"$OUT.tar.xz.part"
  mv "$OUT.tar.xz.part" "$OUT.tar.xz"
  echo "build-gpu-bundle: $OUT.tar.xz ($(du -h "$OUT.tar.xz" | cut -f1)); unpack with tar -xJf, or without xz:"
  echo "  python3 -c \"import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])\" $(basename "$OUT").tar.xz DIR"
fi
