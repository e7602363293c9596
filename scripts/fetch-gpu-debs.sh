#!/usr/bin/env bash
# Downloads the .debs that the GPU bundle unpacks into DIR (default .cache/gpu-debs), so that building
# the bundle (and its test) needs no network: scripts/setup.sh runs this. Running it again skips what is
# there. The packages: the Vulkan loader, and libglvnd for the NVIDIA ICD (libGLX_nvidia.so.0 links
# libGLdispatch.so.0 and libGLX.so.0). These libglvnd packages, unpacked on an H100 machine (driver 580)
# where the loader had found the ICD but could not load it, made Dawn find the adapter.
#
# A machine whose packages came preinstalled may have no apt lists: then, as root, it runs apt-get update
# once and tries again; any other failure prints apt's own error.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
GPU_DEBS=(libvulkan1 libglvnd0 libgl1 libglx0 libegl1 libopengl0 libgles2)
dir=${1:-$repo/.cache/gpu-debs}
mkdir -p "$dir"

missing=()
for deb in "${GPU_DEBS[@]}"; do compgen -G "$dir/${deb}_*_amd64.deb" >/dev/null || missing+=("$deb:amd64"); done
((${#missing[@]})) || exit 0

download() { (cd "$dir" && apt-get download -q "${missing[@]}" >/dev/null 2>"$dir/apt-errors"); }
if ! download; then
  if [ "$(id -u)" -ne 0 ] || ! apt-get update -qq || ! download; then
    echo "fetch-gpu-debs: apt-get download ${missing[*]} failed:" >&2
    cat "$dir/apt-errors" >&2
    exit 1
  fi
fi
rm -f "$dir/apt-errors"
