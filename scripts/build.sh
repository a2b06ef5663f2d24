#!/usr/bin/env bash
# Configures and builds oqvl (Release, Ninja, ccache). Usage: scripts/build.sh [extra cmake args]
#   OQVL_BUILD_DIR   build folder (default: build)
#   OQVL_WITH_TORCH  ON|OFF (default: ON when Python can import torch, else OFF)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${OQVL_BUILD_DIR:-build}
with_torch=${OQVL_WITH_TORCH:-}
if [ -z "$with_torch" ]; then
  if python3 -c 'import torch' 2>/dev/null; then with_torch=ON; else
    with_torch=OFF
    echo "build: Python has no torch; building the data tools only (run scripts/setup.sh for all)"
  fi
fi
jobs=${OQVL_JOBS:-$(nproc)}
# ccache: paths under the checkout are hashed relative to it, so a fresh clone in another
# folder (CI) hits the cache that earlier builds filled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
# The torch precompiled header: ccache caches files built with it only with this sloppiness.
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOQVL_WITH_TORCH="$with_torch" "$@" \
  > "$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log"; exit 1; }
ninja -C "$build_dir" -j "$jobs"
