#!/usr/bin/env bash
# Installs what Rewind needs on a fresh Debian machine: the Fashion-MNIST dataset, the numerical libraries
# the native CPU kernels link against, the servers and browser the tests use, then the npm packages
# (whose install step builds the native kernels and the protobuf stubs).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  dataset-fashion-mnist          # the embedded default's real data
  libopenblas-dev libdnnl-dev    # the fast CPU training path (native kernels)
  libturbojpeg0-dev              # JPEG decode for image datasets (libs/image-data addon)
  g++ make python3               # to build them
  nats-server                    # integration tests start their own
  openssl                        # TLS tests make their own CA and certificates
  protobuf-compiler              # proto stubs
  chromium                       # report rendering and browser tests
  mmdebstrap podman              # scripts/build-images.sh and the image test
  python3-torch                  # the PyTorch export test loads tickets into torch
  libvulkan1 libllvm15           # WebGPU tests on lavapipe (software Vulkan): the Vulkan loader, lavapipe's compiler
  libelf1 libwayland-client0 libx11-xcb1 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1
  libxcb-xfixes0 libxshmfence1   # and the rest of its Depends (checked by scripts/fetch-software-vulkan.sh)
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

scripts/fetch-gpu-debs.sh          # the Vulkan loader and libglvnd for the GPU bundle, into .cache (nothing installed)
scripts/fetch-software-vulkan.sh   # lavapipe from bookworm-backports, unpacked into .cache (nothing installed)

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
