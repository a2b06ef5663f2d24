#!/usr/bin/env bash
# The test command (README, .ci/run): sets up the machine and builds (idempotent), then runs
# every test: unit tests (GoogleTest) and integration tests of the oqvl binary, via ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/python_env.sh  # ctest's tests get the configured Python too (tests/CMakeLists.txt)
ctest --test-dir "${OQVL_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
