#!/usr/bin/env bash
# Builds Rewind's two images from this checkout, with no registry and no Docker daemon:
#   rewind:<tag>      every service and the CLI, with the native CPU kernels (OpenBLAS + oneDNN)
#   rewind-gpu:<tag>  the same plus the Vulkan loader and libglvnd for the webgpu path (infra/gpu/README.md)
# mmdebstrap makes a Debian bookworm root filesystem (the release the native kernels are written for: trixie's
# oneDNN 3 changed its API), with this machine's Node 20 binary (bookworm's nodejs is 18), installs the build
# tools, runs `npm ci` on the committed tree (HEAD, via git archive) inside it with this machine's npm and Node
# headers and package cache (npm trusts this machine's CA bundle during the build, for registries behind a proxy; none of the
# three is kept), then removes the build tools and apt's caches;
# podman imports the result as a non-root image (uid 10001). The native kernels are built with -march=native:
# the image then runs on CPUs like the build machine's (libs/native-kernels/scripts/build.mjs).
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

runtime=ca-certificates,libopenblas0-pthread,libgomp1
build=g++,make,python3,libopenblas-dev,libdnnl-dev,libturbojpeg0-dev
gpu=libvulkan1,libglvnd0,libgl1,libglx0,libegl1,libopengl0,libgles2

app_tar=$(mktemp "$out/app.XXXXXX.tar")
trap 'rm -f "$app_tar"' EXIT
git archive --format=tar --prefix=app/ HEAD > "$app_tar"
npm_cache=$(npm config get cache)   # a copy of this machine's package cache goes into the build (what it already fetched is not fetched again)
mkdir -p "$npm_cache"
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../lib/node_modules/npm
node_bin=$(readlink -f "$(command -v node)")
node_headers=$(dirname "$(dirname "$node_bin")")/include/node
[[ $(node -v) == v20.* && -f $node_headers/node_api.h ]] || { echo "build-images: needs Node 20 with its headers ($node_headers)" >&2; exit 1; }

build_rootfs() { # <name> <extra packages>
  local name=$1 extra=$2 lock
  exec {lock}>"$out/$name.lock"
  flock "$lock"
  if $if_missing && podman image exists "localhost/$name:$tag"; then
    echo "localhost/$name:$tag exists"
    return
  fi
  local started=$SECONDS
  mmdebstrap --variant=apt --mode=root --quiet \
    --include="$runtime,$build${extra:+,$extra}" \
    --customize-hook='cp /etc/resolv.conf "$1/etc/resolv.conf"' \
    --customize-hook="tar -C \"\$1\" -xf $app_tar" \
    --customize-hook="cp $node_bin \"\$1/usr/local/bin/node\" && cp -r $node_headers \"\$1/usr/local/include/node\"" \
    --customize-hook="cp -r $npm_dir \"\$1/opt/npm\" && ln -s /opt/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\"" \
    --customize-hook='cp /etc/ssl/certs/ca-certificates.crt "$1/tmp/build-ca.crt"' \
    --customize-hook="cp -a $npm_cache \"\$1/tmp/npm-cache\"" \
    --customize-hook='chroot "$1" sh -ec "cd /app && NODE_EXTRA_CA_CERTS=/tmp/build-ca.crt npm ci --cache=/tmp/npm-cache --prefer-offline --cafile=/tmp/build-ca.crt --no-audit --no-fund --loglevel=error"' \
    --customize-hook='chroot "$1" sh -ec "ls /app/libs/native-kernels/build/rewind_native.node /app/libs/image-data/build/rewind_jpeg.node"' \
    --customize-hook='chroot "$1" sh -ec "
      # Keep the oneDNN and libjpeg-turbo runtime libraries, whatever trixie calls their packages, then drop the build tools.
      for lib in libdnnl.so libturbojpeg.so; do
        apt-mark manual \$(dpkg -S \"\$(readlink -f /usr/lib/x86_64-linux-gnu/\$lib)\" | cut -d: -f1) >/dev/null
      done
      apt-get purge -y -qq g++ make python3 libopenblas-dev libdnnl-dev libturbojpeg0-dev >/dev/null
      apt-get autoremove -y -qq --purge >/dev/null
      apt-get clean && rm -rf /var/lib/apt/lists/* /opt/npm /usr/local/bin/npm /usr/local/include/node /root/.npm /tmp/*
      echo rewind:x:10001:10001::/app:/usr/sbin/nologin >> /etc/passwd
      echo rewind:x:10001: >> /etc/group"' \
    --customize-hook='rm -f "$1/etc/resolv.conf"' \
    "$suite" "$out/$name.tar" "$mirror"
  podman import --quiet \
    --change 'USER 10001:10001' --change 'WORKDIR /app' --change 'ENV NODE_ENV=production' \
    --change 'CMD ["node","--import","tsx","libs/cli/src/main.ts","--help"]' \
    "$out/$name.tar" "localhost/$name:$tag" >/dev/null
  echo "built localhost/$name:$tag in $((SECONDS - started)) s ($(du -h "$out/$name.tar" | cut -f1) root filesystem)"
  exec {lock}>&-
}

case $which in
  rewind) build_rootfs rewind "" ;;
  rewind-gpu) build_rootfs rewind-gpu "$gpu" ;;
  all) build_rootfs rewind "" && build_rootfs rewind-gpu "$gpu" ;;
  *) echo "build-images: unknown image \"$which\"; allowed values are rewind, rewind-gpu, all" >&2; exit 2 ;;
esac
