#!/usr/bin/env bash
# Installs everything oqvl needs on a fresh Debian 12 machine, idempotently, then configures and
# builds. Usage: scripts/setup.sh [--no-build] [--no-python]
#   OQVL_BUILD_DIR   build folder (default: build)
#   OQVL_WITH_TORCH  ON|OFF (default: ON when the project's Python has torch)
#   OQVL_PYTHON      install the Python packages into this Python instead of the project's .venv
# The Python packages go into a virtual environment, .venv in the repo root, made with Debian's
# /usr/bin/python3 (which itself refuses pip installs: PEP 668). Scripts, tests and the build use
# it (scripts/python_env.sh); nothing needs it activated.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1; python=1
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --no-python) python=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done

# System packages (Debian 12). dataset-fashion-mnist is the embedded demo data; skimage and
# matplotlib-data ship the real photos used by the image goldens and benchmarks; python3-venv
# makes the .venv; clang-format checks changed C++ files (scripts/check_format.sh); chromium
# renders `oqvl plot`'s report headless in tests/cli/plot.sh (skipped without it); libgloo-dev
# gives the gloo headers that libtorch's ProcessGroupGloo header needs (multi-process training);
# clang + libclang-rt-14-dev (libFuzzer, ASan/UBSan runtimes) build the fuzz harnesses
# (scripts/fuzz.sh, docs/untrusted-input.md).
apt_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git clang-format python3-venv
  libjpeg62-turbo-dev libpng-dev libwebp-dev libcurl4-openssl-dev libssl-dev libpcre2-dev libxxhash-dev libzstd-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libtomlplusplus-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsentencepiece-dev libtbb-dev libopenblas-dev
  dataset-fashion-mnist python3-skimage python-matplotlib-data chromium libgloo-dev
  clang libclang-rt-14-dev
)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python: the pinned torch (libtorch for the model layer) and the reference libraries that
# tools/ uses to make goldens and bench/ uses as the baseline, in .venv (or OQVL_PYTHON).
if [ "$python" = 1 ]; then
  if [ -n "${OQVL_PYTHON:-}" ]; then
    PY=$OQVL_PYTHON
  else
    # A .venv without a working pip (e.g. made before python3-venv was installed) is remade.
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pip' 2>/dev/null; then
      echo "setup: creating the Python virtual environment .venv"
      /usr/bin/python3 -m venv --clear .venv
    fi
    PY=.venv/bin/python
  fi
  if ! "$PY" -c 'import sys; import torch, tokenizers, PIL, webdataset, numpy
req = open("scripts/requirements.txt").read()
import importlib.metadata as md
for line in req.split("\n"):
    line = line.split("#")[0].strip()
    if not line: continue
    name, ver = line.split("==")
    if md.version(name) != ver: sys.exit(1)' 2>/dev/null; then
    echo "setup: installing Python requirements into $PY (torch is large, this takes a while)"
    "$PY" -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
  fi
fi

if [ "$build" = 1 ]; then
  bash scripts/build.sh
fi
