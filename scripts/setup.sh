#!/usr/bin/env bash
# Installs everything oqvl needs on a fresh Debian 12 machine, idempotently, then configures and
# builds. Usage: scripts/setup.sh [--no-build] [--no-python]
#   OQVL_BUILD_DIR   build folder (default: build)
#   OQVL_WITH_TORCH  ON|OFF (default ON): link the libtorch layers found through the torch wheel
set -euo pipefail
cd "$(dirname "$0")/.."

build=1; python=1
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --no-python) python=0 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done

# System packages (Debian 12). dataset-fashion-mnist is the embedded demo data; skimage and
# matplotlib-data ship the real photos used by the image goldens and benchmarks.
apt_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git
  libjpeg62-turbo-dev libpng-dev libwebp-dev libpcre2-dev libxxhash-dev libzstd-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libtomlplusplus-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsentencepiece-dev libtbb-dev libopenblas-dev
  dataset-fashion-mnist python3-skimage python-matplotlib-data
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
# tools/ uses to make goldens and bench/ uses as the baseline.
if [ "$python" = 1 ]; then
  PY=${PYTHON:-python3}
  if ! $PY -c 'import sys; import torch, tokenizers, PIL, webdataset, numpy
req = open("scripts/requirements.txt").read()
import importlib.metadata as md
for line in req.split("\n"):
    line = line.split("#")[0].strip()
    if not line: continue
    name, ver = line.split("==")
    if md.version(name) != ver: sys.exit(1)' 2>/dev/null; then
    echo "setup: installing Python requirements (torch is large, this takes a while)"
    $PY -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
  fi
fi

if [ "$build" = 1 ]; then
  bash scripts/build.sh
fi
