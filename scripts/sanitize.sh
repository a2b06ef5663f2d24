#!/usr/bin/env bash
# The sanitizer build (docs/untrusted-input.md): the torch-free layers (core, data, report, eval's
# readers and rules) and the oqvl binary's data commands with AddressSanitizer (+ LeakSanitizer)
# and UndefinedBehaviorSanitizer, in their own folder, then their tests; any report fails.
# With clang + libFuzzer the same build also has the fuzz harnesses (scripts/fuzz.sh).
# Usage: scripts/sanitize.sh [configure|build|test|have-libfuzzer] [args...]
#   (default: build everything, then ctest in the folder; build/test pass args to ninja/ctest)
#   OQVL_SANITIZE_DIR  build folder (default: build-sanitize)
#   OQVL_JOBS          compile jobs (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python_env.sh
dir=${OQVL_SANITIZE_DIR:-build-sanitize}
jobs=${OQVL_JOBS:-$(nproc)}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-time_macros,include_file_mtime,include_file_ctime}
# Reports stop the program with a non-zero exit (ctest sees a failure); leaks are reported at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Whether clang can link a libFuzzer program here (Debian: clang + libclang-rt-14-dev).
have_libfuzzer() {
  command -v clang++ > /dev/null || return 1
  local t
  t=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' > "$t/f.cpp"
  clang++ -fsanitize=fuzzer,address,undefined "$t/f.cpp" -o "$t/f" > /dev/null 2>&1
  local rc=$?
  rm -rf "$t"
  return $rc
}

configure() {
  local args=(-DOQVL_WITH_TORCH=OFF -DOQVL_BUILD_BENCH=OFF -DOQVL_PYTHON="$OQVL_PYTHON"
              -DCMAKE_BUILD_TYPE=Debug)
  # -O1 keeps sanitized tests fast enough; asserts stay on (Debug, no NDEBUG).
  local opt="-O1 -gline-tables-only"
  if have_libfuzzer; then
    args+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DOQVL_FUZZ=ON)
  else
    echo "sanitize: clang with libFuzzer not found: GCC sanitizer build without the fuzz harnesses"
    args+=(-DOQVL_SANITIZE=ON)
    opt="-O1 -g1"
  fi
  mkdir -p "$dir"
  cmake -S . -B "$dir" -G Ninja "${args[@]}" -DCMAKE_C_FLAGS_DEBUG="$opt" -DCMAKE_CXX_FLAGS_DEBUG="$opt" \
    > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
}

step=${1:-all}
[ $# -gt 0 ] && shift
case "$step" in
  configure) configure ;;
  build) configure; ninja -C "$dir" -j "$jobs" "$@" ;;
  test) ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@" ;;
  all) configure; ninja -C "$dir" -j "$jobs"; ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@" ;;
  have-libfuzzer) have_libfuzzer ;;
  -h|--help) sed -n '2,8p' "$0" ;;
  *) echo "usage: scripts/sanitize.sh [configure|build|test] [args...]" >&2; exit 2 ;;
esac
