#!/usr/bin/env bash
# Builds Rewind's two images from this checkout, with no registry and no Docker daemon:
#   rewind:<tag>      every service and the CLI, with the native CPU kernels (OpenBLAS + oneDNN)
#   rewind-gpu:<tag>  the same plus the Vulkan loader and libglvnd for the webgpu path (infra/gpu/README.md)
# Two stages. The build stage is this machine (Debian bookworm, with the compilers and -dev libraries
# scripts/setup.sh installs): `npm ci` on the committed tree (HEAD, via git archive) builds the native
# kernels and the protobuf stubs there, or, when this checkout's install is exactly that, a copy of it;
# then the dev tools are pruned. The runtime stage is a bookworm root filesystem from mmdebstrap with
# only the runtime libraries (bookworm, the release the native kernels are written for: trixie's oneDNN 3
# changed its API), made while the build stage runs, plus this machine's Node 20 binary (bookworm's nodejs is
# 18) and the built app; podman imports it as a non-root image (uid 10001). The native kernels are built with
# -march=native: the image then runs on CPUs like the build machine's (libs/native-kernels/scripts/build.mjs).
# Builds of the same image wait for each other (a lock per image); with --if-missing an image that already
# exists under the tag is kept, so `npm test` can start the build early and the image test reuse it.
# Usage: scripts/build-images.sh [--if-missing] [tag] [rewind|rewind-gpu|all]   (root, mmdebstrap and podman: scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if_missing=false
if [[ ${1:-} == --if-missing ]]; then if_missing=true; shift; fi
tag=${1:-dev}
which=${2:-all}
suite=bookworm
mirror=http://deb.debian.org/debian
out=.cache/images
mkdir -p "$out"

runtime=ca-certificates,libopenblas0-pthread,libgomp1,libdnnl2,libturbojpeg0
gpu=libvulkan1,libglvnd0,libgl1,libglx0,libegl1,libopengl0,libgles2

node_bin=$(readlink -f "$(command -v node)")
[[ $(node -v) == v20.* ]] || { echo "build-images: needs Node 20 ($node_bin)" >&2; exit 1; }
work=$(mktemp -d "$out/build.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; wait; rm -rf "$work"' EXIT

app_built=false
# Succeeds when every file under $1 (a build output) is newer than every file under the rest (its inputs).
built_after() {
  local output=$1 oldest
  shift
  oldest=$(find "$output" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | head -1 | cut -d' ' -f2-)
  [[ -n $oldest && -z $(find "$@" -type f -newer "$oldest" -print -quit) ]]
}
# The checkout's own install is what `npm ci` on HEAD makes when the manifests, the lockfile and the sources
# of the native kernels and protobuf stubs are as committed, and each build output is newer than its inputs.
checkout_install_is_heads() {
  local manifests=(package.json package-lock.json libs/*/package.json services/*/package.json)
  local built_from=(proto libs/native-kernels/native libs/native-kernels/scripts libs/image-data/native libs/image-data/scripts)
  git diff --quiet HEAD -- "${manifests[@]}" "${built_from[@]}" &&
    [[ -z $(git ls-files --others --exclude-standard -- "${built_from[@]}") ]] &&
    built_after node_modules/.package-lock.json "${manifests[@]}" &&
    built_after libs/rpc/generated proto &&
    built_after libs/native-kernels/build/rewind_native.node libs/native-kernels/native libs/native-kernels/scripts &&
    built_after libs/image-data/build/rewind_jpeg.node libs/image-data/native libs/image-data/scripts
}
build_app() { # the build stage, once for both images: the committed tree, installed and compiled here
  $app_built && return
  mkdir "$work/stage"
  git archive --format=tar --prefix=app/ HEAD | tar -C "$work/stage" -xf -
  if checkout_install_is_heads; then # copied, not rebuilt: `npm ci` and the compiles cost half a minute of CPU
    local built
    built=$(shopt -s nullglob && echo node_modules {libs,services}/*/node_modules libs/rpc/generated libs/*/build)
    # shellcheck disable=SC2086 # paths from the glob above, none with spaces
    tar -cf - $built | tar -C "$work/stage/app" -xf -
    echo "build stage: this checkout's install (HEAD's lockfile, sources and builds)"
  else
    (cd "$work/stage/app" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
  # The dev tools (biome, buf, typescript, test libraries) are a third of node_modules and never run in a pod.
  (cd "$work/stage/app" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error)
  ls "$work/stage/app/libs/native-kernels/build/rewind_native.node" "$work/stage/app/libs/image-data/build/rewind_jpeg.node" >/dev/null
  app_built=true
}

build_rootfs() { # <name> <extra packages>
  local name=$1 extra=$2 lock rootfs_pid
  exec {lock}>"$out/$name.lock"
  flock "$lock"
  if $if_missing && podman image exists "localhost/$name:$tag"; then
    echo "localhost/$name:$tag exists"
    return
  fi
  local started=$SECONDS
  mmdebstrap --variant=apt --mode=root --quiet \
    --include="$runtime${extra:+,$extra}" \
    --customize-hook="cp $node_bin \"\$1/usr/local/bin/node\"" \
    --customize-hook='chroot "$1" sh -ec "
      apt-get clean && rm -rf /var/lib/apt/lists/*
      echo rewind:x:10001:10001::/app:/usr/sbin/nologin >> /etc/passwd
      echo rewind:x:10001: >> /etc/group"' \
    "$suite" "$work/$name.tar" "$mirror" &
  rootfs_pid=$!
  build_app
  wait "$rootfs_pid"
  tar -C "$work/stage" -rf "$work/$name.tar" app
  podman import --quiet \
    --change 'USER 10001:10001' --change 'WORKDIR /app' --change 'ENV NODE_ENV=production' \
    --change 'CMD ["node","--import","tsx","libs/cli/src/main.ts","--help"]' \
    "$work/$name.tar" "localhost/$name:$tag" >/dev/null
  echo "built localhost/$name:$tag in $((SECONDS - started)) s ($(du -h "$work/$name.tar" | cut -f1) root filesystem)"
  rm -f "$work/$name.tar"
  exec {lock}>&-
}

case $which in
  rewind) build_rootfs rewind "" ;;
  rewind-gpu) build_rootfs rewind-gpu "$gpu" ;;
  all) build_rootfs rewind "" && build_rootfs rewind-gpu "$gpu" ;;
  *) echo "build-images: unknown image \"$which\"; allowed values are rewind, rewind-gpu, all" >&2; exit 2 ;;
esac
