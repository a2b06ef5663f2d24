#!/usr/bin/env bash
# The libFuzzer harnesses of tests/fuzz (docs/untrusted-input.md), built with ASan + UBSan in the
# sanitizer build folder (scripts/sanitize.sh; clang + libFuzzer needed).
# Usage:
#   scripts/fuzz.sh build                 configure and build the harnesses only (ninja target fuzz)
#   scripts/fuzz.sh check                build, then replay every harness: the main build's ctest
#                                         test fuzz.harnesses; exits 77 (skipped) without clang +
#                                         libFuzzer
#   scripts/fuzz.sh list                  the harness names
#   scripts/fuzz.sh replay [NAME...]      every committed input once, then OQVL_FUZZ_RUNS (default
#                                         2000) seeded mutations; what ctest runs (fuzz.NAME)
#   scripts/fuzz.sh run NAME SECONDS [libFuzzer flags...]
#                                         fuzzes NAME on one core, corpus kept in
#                                         DIR/fuzz-corpus/NAME, findings in DIR/fuzz-findings/NAME
#                                         (TMPDIR=/dev/shm: the scratch input files in a tmpfs)
# Committed inputs: tests/fuzz/seeds.txt (fixture files, with the harness's leading mode byte)
# and tests/fuzz/corpus/NAME/ (hand-made seeds and the regression inputs of bugs found).
# Dictionaries: tests/fuzz/dict/NAME.dict. Exit: 0 clean, 1 a finding (its input is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dir=${OQVL_SANITIZE_DIR:-build-sanitize}
limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -max_len=262144 -print_final_stats=1)

names() {
  local f
  for f in tests/fuzz/fuzz_*.cpp; do f=${f##*/fuzz_}; echo "${f%.cpp}"; done
}

# seeds NAME OUT: writes the seed inputs of NAME from tests/fuzz/seeds.txt into folder OUT.
seeds() {
  local name=$1 out=$2 h prefix files f i=0
  mkdir -p "$out"
  while read -r h prefix files; do
    [ "$h" = "$name" ] || continue
    for f in $files; do
      [ -f "$f" ] || { echo "fuzz: seeds.txt names $f, which does not exist" >&2; exit 2; }
      i=$((i + 1))
      if [ "$prefix" = - ]; then cp "$f" "$out/seed$i"; else
        { printf "\\x$prefix"; cat "$f"; } > "$out/seed$i"
      fi
    done
  done < <(grep -v '^#' tests/fuzz/seeds.txt | grep -v '^$')
}

flags_for() {
  local name=$1
  local d=tests/fuzz/dict/$name.dict
  [ -f "$d" ] && echo "-dict=$repo/$d"
  true
}

# replay_binary BIN NAME: the committed inputs once each, then seeded mutations from them.
replay_binary() {
  local bin=$1 name=$2 work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  seeds "$name" "$work/seeds"
  local committed=("$work"/seeds/*)
  [ -d "tests/fuzz/corpus/$name" ] && committed+=("tests/fuzz/corpus/$name"/*)
  local existing=()
  for f in "${committed[@]}"; do [ -f "$f" ] && existing+=("$f"); done
  [ ${#existing[@]} -gt 0 ] || { echo "fuzz: $name has no committed inputs" >&2; return 1; }
  echo "fuzz: $name: replaying ${#existing[@]} committed inputs"
  "$bin" "${limits[@]}" $(flags_for "$name") "${existing[@]}" > "$work/replay.log" 2>&1 ||
    { cat "$work/replay.log"; return 1; }
  mkdir -p "$work/corpus"
  local dirs=("$work/seeds")
  [ -d "tests/fuzz/corpus/$name" ] && dirs+=("tests/fuzz/corpus/$name")
  echo "fuzz: $name: ${OQVL_FUZZ_RUNS:-2000} mutations (seed 1)"
  "$bin" "${limits[@]}" $(flags_for "$name") -seed=1 -runs="${OQVL_FUZZ_RUNS:-2000}" \
    -artifact_prefix="$work/" "$work/corpus" "${dirs[@]}" > "$work/fuzz.log" 2>&1 || {
    cat "$work/fuzz.log"
    mkdir -p "$dir/fuzz-findings/$name"
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$dir/fuzz-findings/$name/" 2> /dev/null || true
    echo "fuzz: $name: finding kept in $dir/fuzz-findings/$name" >&2
    return 1
  }
  grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -1 || true
}

step=${1:-}
[ $# -gt 0 ] && shift
case "$step" in
  build) bash scripts/sanitize.sh build fuzz ;;
  check)
    if ! bash scripts/sanitize.sh have-libfuzzer; then
      echo "SKIP: fuzz: clang++ cannot link a libFuzzer program (Debian: clang libclang-rt-14-dev)"
      exit 77
    fi
    bash scripts/sanitize.sh build fuzz > "$dir.fuzz-build.log" 2>&1 || { tail -50 "$dir.fuzz-build.log"; exit 1; }
    exec bash "$0" replay
    ;;
  list) names ;;
  replay-binary) replay_binary "$1" "$2" ;;
  replay)
    [ -f "$dir/CMakeCache.txt" ] && grep -q '^OQVL_FUZZ:BOOL=ON' "$dir/CMakeCache.txt" ||
      { echo "fuzz: no fuzz build in $dir (scripts/fuzz.sh build)" >&2; exit 2; }
    list=("$@")
    [ ${#list[@]} -gt 0 ] || mapfile -t list < <(names)
    rc=0
    for n in "${list[@]}"; do replay_binary "$dir/tests/fuzz/oqvl_fuzz_$n" "$n" || rc=1; done
    exit $rc
    ;;
  run)
    name=$1 seconds=$2
    shift 2
    bin=$dir/tests/fuzz/oqvl_fuzz_$name
    [ -x "$bin" ] || { echo "fuzz: $bin not built (scripts/fuzz.sh build)" >&2; exit 2; }
    corpus=$dir/fuzz-corpus/$name findings=$dir/fuzz-findings/$name
    mkdir -p "$corpus" "$findings"
    work=$(mktemp -d)
    seeds "$name" "$work/seeds"
    dirs=("$work/seeds")
    [ -d "tests/fuzz/corpus/$name" ] && dirs+=("tests/fuzz/corpus/$name")
    set +e
    "$bin" "${limits[@]}" $(flags_for "$name") -max_total_time="$seconds" -artifact_prefix="$findings/" \
      "$@" "$corpus" "${dirs[@]}" 2>&1 | tee "$dir/fuzz-$name.log" |
      grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE|pulse)|==|SUMMARY|stat::)'
    rc=${PIPESTATUS[0]}
    rm -rf "$work"
    exit "$rc"
    ;;
  *) sed -n '2,18p' "$0"; [ "$step" = -h ] || [ "$step" = --help ] || exit 2 ;;
esac
