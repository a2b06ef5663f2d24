#!/usr/bin/env bash
# Configures and builds oqvl (Release, Ninja, ccache). Usage: scripts/build.sh [extra cmake args]
#   OQVL_BUILD_DIR   build folder (default: build)
#   OQVL_WITH_TORCH  ON|OFF (default: ON when the project's Python can import torch, else OFF)
#   OQVL_PYTHON      the Python for the torch lookup and the tests (default: .venv/bin/python when
#                    it exists, else python3; scripts/python_env.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python_env.sh
build_dir=${OQVL_BUILD_DIR:-build}
with_torch=${OQVL_WITH_TORCH:-}
if [ -z "$with_torch" ]; then
  if "$OQVL_PYTHON" -c 'import torch' 2>/dev/null; then with_torch=ON; else
    with_torch=OFF
    echo "build: $OQVL_PYTHON has no torch; building the data tools only (run scripts/setup.sh for all)"
  fi
fi
jobs=${OQVL_JOBS:-$(nproc)}
# ccache: paths under the checkout are hashed relative to it, so a fresh clone in another
# folder (CI) hits the cache that earlier builds filled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
# The torch precompiled header: ccache caches files built with it only with this sloppiness.
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
# The torch lookup asks Python3_EXECUTABLE (cmake/Dependencies.cmake); the tests use OQVL_PYTHON.
py_args=(-DOQVL_PYTHON="$OQVL_PYTHON")
[ "$with_torch" = OFF ] || py_args+=(-DPython3_EXECUTABLE="$OQVL_PYTHON")
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOQVL_WITH_TORCH="$with_torch" \
  "${py_args[@]}" "$@" \
  > "$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log"; exit 1; }
ninja -C "$build_dir" -j "$jobs"
