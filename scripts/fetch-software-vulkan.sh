#!/usr/bin/env bash
# Fetches Mesa's software Vulkan driver (lavapipe, on llvmpipe) into DIR (default .cache/software-vulkan)
# so that the WebGPU backend (Dawn over Vulkan) can run its real WGSL shaders on a machine without a GPU.
#
# bookworm's own Mesa 22.3 lacks features Dawn requires, so the driver comes from bookworm-backports.
# Its .debs are downloaded through a private apt configuration (the system's sources, lists and caches
# are left alone) and unpacked with dpkg -x: nothing is installed. The system needs libvulkan1 (the
# loader), libllvm15 (lavapipe's compiler) and a few X/Wayland client libraries, which scripts/setup.sh
# installs; this script checks them against the driver's Depends and names any that are missing.
#
# Writes DIR/lvp_icd.json (the ICD manifest) and DIR/env.sh; `. DIR/env.sh` exports VK_DRIVER_FILES,
# prepends the unpacked libraries to LD_LIBRARY_PATH, sets XDG_RUNTIME_DIR if unset and tells llvmpipe to
# compile shaders quickly rather than make them fast.
# Then REWIND_WEBGPU_ALLOW_SOFTWARE=1 lets Rewind train on it. Running it again skips what is done.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

# The pinned packages, all from bookworm-backports. Backports keeps only its newest versions: when a pin is
# gone, "apt-get download ... failed: E: Version ... was not found" says so; update the pins together.
SUITE=bookworm-backports
MIRROR=http://deb.debian.org/debian
PINS=(
  mesa-vulkan-drivers=25.0.7-2~bpo12+1
  libdrm2=2.4.123-1~bpo12+1          # mesa 25 needs libdrm >= 2.4.121; bookworm has 2.4.114
  libdrm-amdgpu1=2.4.123-1~bpo12+1
  libdrm-common=2.4.123-1~bpo12+1    # libdrm2's data files, so no system package is needed for them
)

dir=${1:-$repo/.cache/software-vulkan}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
root=$dir/root
stamp=$dir/pins
fail() { echo "fetch-software-vulkan: $*" >&2; exit 1; }

if [ "$(cat "$stamp" 2>/dev/null)" != "${PINS[*]}" ] || [ ! -f "$dir/system-depends" ]; then
  command -v apt-get >/dev/null || fail "needs apt-get and dpkg (a Debian machine) to fetch ${PINS[0]}"
  apt_dir=$dir/apt
  rm -rf "$apt_dir" "$root" "$stamp"
  mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  signed=; [ -f "$keyring" ] && signed="[signed-by=$keyring] "
  echo "deb $signed$MIRROR $SUITE main" >"$apt_dir/sources/backports.list"
  apt=(
    -qq
    -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o "Acquire::Languages=none" -o "APT::Update::Error-Mode=any" -o "APT::Sandbox::User=$(id -un)"
  )
  log=$apt_dir/apt.log
  apt-get "${apt[@]}" update >"$log" 2>&1 \
    || fail "apt-get update of $SUITE from $MIRROR failed: $(grep -m1 -E '^(E|W):' "$log" || tail -n1 "$log")"
  (cd "$apt_dir/debs" && apt-get "${apt[@]}" download "${PINS[@]}") >>"$log" 2>&1 \
    || fail "apt-get download ${PINS[*]} failed: $(grep -m1 '^E:' "$log" || tail -n1 "$log")"
  for deb in "$apt_dir"/debs/*.deb; do dpkg -x "$deb" "$root"; done
  # What the unpacked libraries need from the system: their Depends, less the packages unpacked here.
  pinned=" ${PINS[*]%%=*} "
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -f "$deb" Depends; done | tr ',' '\n' \
    | sed -E 's/\(.*\)//; s/\|.*//; s/[[:space:]]//g' | sort -u \
    | while read -r p; do [ -z "$p" ] || [[ $pinned == *" $p "* ]] || echo "$p"; done >"$dir/system-depends"
  rm -rf "$apt_dir"   # kept only when something failed, for its apt.log
  echo "${PINS[*]}" >"$stamp"
fi

lvp=$(find "$root" -name libvulkan_lvp.so -print -quit)
[ -n "$lvp" ] || fail "no libvulkan_lvp.so in $root (remove $dir and run again)"
libdir=$(dirname "$lvp")
missing=()
while read -r p; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done <"$dir/system-depends"
((${#missing[@]} == 0)) || fail "lavapipe needs Debian packages that are not installed: ${missing[*]} (apt-get install them)"

# Written every time (cheap), so a moved checkout gets its own absolute paths.
cat >"$dir/lvp_icd.json" <<EOF
{"ICD":{"api_version":"1.4.305","library_path":"$lvp"},"file_format_version":"1.0.0"}
EOF
cat >"$dir/env.sh" <<EOF
# Source this (. $dir/env.sh) to run Vulkan, so WebGPU, on lavapipe. Written by scripts/fetch-software-vulkan.sh.
export VK_DRIVER_FILES='$dir/lvp_icd.json'
export LD_LIBRARY_PATH='$libdir'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-/tmp}
# Shaders compile about twice as fast, and run slower, without LLVM's optimisation passes and with
# 128-bit vectors: on lavapipe a test's time goes to compiling (set either to override).
export GALLIVM_PERF=\${GALLIVM_PERF-nopt}
export LP_NATIVE_VECTOR_WIDTH=\${LP_NATIVE_VECTOR_WIDTH-128}
EOF
echo "fetch-software-vulkan: lavapipe (${PINS[0]}) ready; . $dir/env.sh"
