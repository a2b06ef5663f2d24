#!/usr/bin/env bash
# The quick-start job: sets up and builds (idempotent), then runs `oqvl demo` -- the whole
# pipeline on the embedded Fashion-MNIST data: make the shards, filter, pack, mix, pre-train a
# small model from scratch, SFT it on "What item is shown?", evaluate on the held-out split,
# answer one held-out photo, write HTML reports (docs/demo.md). A rerun reuses finished stages.
# Usage: scripts/demo.sh [OUT_DIR] [oqvl demo flags...]   (default OUT_DIR: demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
shift || true
bash scripts/setup.sh
oqvl=./${OQVL_BUILD_DIR:-build}/oqvl
if ! "$oqvl" version | grep -q '^libtorch [0-9]'; then
  echo "demo.sh: this build has no libtorch, and the demo trains a model; run scripts/setup.sh" \
       "(it installs torch) or scripts/tour.sh for the data commands alone" >&2
  exit 2
fi
"$oqvl" demo --out "$out" "$@"
