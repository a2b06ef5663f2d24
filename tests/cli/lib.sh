# Shared helper of the CLI tests (sourced, not a test itself):
#   source "$(dirname "$0")/lib.sh"
# Picks the project's Python like the scripts do (scripts/python_env.sh: OQVL_PYTHON, else the
# repo's .venv, else python3; `python3` then means that Python), and gives:
#   skip MESSAGE                 prints "SKIP: <test>: MESSAGE" and exits 77, which ctest reports
#                                as skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt)
#   require_libtorch OQVL        skips unless `OQVL version` lists libtorch
#   require_python_modules M...  skips unless python3 imports every module M
#   require_skimage_data         skips unless scikit-image's sample photos are found; sets
#                                OQVL_SKIMAGE_DATA to their folder
#   run_or_skip PATTERN REASON CMD...  runs CMD; if it fails saying PATTERN (stderr), skips with
#                                REASON; any other failure fails the test (stderr shown)
#   packed_demo / tiny_packed_run / tiny_run_config  the training tests' data and run config (below)
#   dist_packed_run OQVL REPO WORK  the distributed tests' run (below)
#   require_fashion_mnist        skips unless Debian's Fashion-MNIST is installed
#   on_exit COMMAND              runs COMMAND (a string, evaluated then) when the script exits;
#                                commands registered later run first. Use it, not `trap ... EXIT`,
#                                where a helper below also cleans up at exit
#   have_download OQVL           succeeds if OQVL's `data download` works (built with libcurl)
#   have_score_clip OQVL REPO SHARDS OUT  runs `score clip` (the fixture SigLIP) on SHARDS into OUT:
#                                succeeds if it worked; fails with a skip line where OQVL was built
#                                without SentencePiece; any other error ends the test
#   start_download_server PHOTOS LOG  serves the folder PHOTOS (tests/cli/download_server.py,
#                                stopped at exit), logging request paths to LOG; sets server_url
#   small_disk / fill_disk / expect_disk_full / same_tree / full_disk_case  the disk-full tests'
#                                tools (below)
#   wait_for / signal_when / expect_interrupted / interrupt_case  the signal tests' tools (below)
#   same_training RUN_A RUN_B [STEPS]  two runs' metrics and last checkpoint tensors equal bit
#                                for bit (below)
_oqvl_cli_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$_oqvl_cli_lib_dir/../../scripts/python_env.sh"

skip() {
  echo "SKIP: $(basename "$0" .sh): $*"
  exit 77
}

require_libtorch() {
  "$1" version | grep -q '^libtorch [0-9]' || skip "this oqvl build has no libtorch (model commands)"
}

require_python_modules() {
  local m missing=()
  for m in "$@"; do
    python3 -c "import $m" 2> /dev/null || missing+=("$m")
  done
  [ ${#missing[@]} -eq 0 ] ||
    skip "$OQVL_PYTHON cannot import ${missing[*]} (scripts/setup.sh installs them into .venv)"
}

require_skimage_data() {
  if [ -z "${OQVL_SKIMAGE_DATA:-}" ]; then
    OQVL_SKIMAGE_DATA=$(python3 "$_oqvl_cli_lib_dir/../../tools/skimage_data.py" 2> /dev/null) || true
  fi
  [ -n "$OQVL_SKIMAGE_DATA" ] && [ -f "$OQVL_SKIMAGE_DATA/astronaut.png" ] ||
    skip "scikit-image's sample photos not found (Debian python3-skimage; or set OQVL_SKIMAGE_DATA)"
  export OQVL_SKIMAGE_DATA
}

run_or_skip() {
  local pattern=$1 reason=$2 err rc=0
  shift 2
  err=$(mktemp)
  "$@" 2> "$err" || rc=$?
  if [ "$rc" -ne 0 ] && grep -q -- "$pattern" "$err"; then
    rm -f "$err"
    skip "$reason"
  fi
  cat "$err" >&2
  rm -f "$err"
  return "$rc"
}

_oqvl_exit_hooks=()
_oqvl_run_exit_hooks() {
  local h
  for h in "${_oqvl_exit_hooks[@]}"; do eval "$h"; done
}
on_exit() {
  _oqvl_exit_hooks=("$1" "${_oqvl_exit_hooks[@]}")
  trap _oqvl_run_exit_hooks EXIT
}

have_download() {
  ! "$1" data download /dev/null --out /nonexistent-dir-oqvl 2>&1 | grep -q "built without libcurl"
}

have_score_clip() {
  local err
  err=$(mktemp)
  if "$1" -q score clip --model "$2/tests/fixtures/model/siglip_clip" "$3" --out "$4" --batch-size 16 --threads 2 \
    > /dev/null 2> "$err"; then
    rm -f "$err"
    return 0
  fi
  if grep -q "built without sentencepiece" "$err"; then
    echo "skip score-clip: oqvl built without SentencePiece"
    rm -f "$err"
    return 1
  fi
  cat "$err"
  rm -f "$err"
  exit 1
}

start_download_server() {
  local photos=$1 log=$2 port_file
  port_file=$(mktemp -u)
  python3 "$_oqvl_cli_lib_dir/download_server.py" "$photos" "$port_file" "$log" &
  _oqvl_server_pid=$!
  on_exit 'kill "$_oqvl_server_pid" 2> /dev/null; rm -f "'"$port_file"'"'
  wait_for 10 test -f "$port_file" || { echo "the test HTTP server did not start"; return 1; }
  server_url=http://127.0.0.1:$(cat "$port_file")
}

require_fashion_mnist() {
  [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
    skip "Debian's dataset-fashion-mnist is not installed (scripts/setup.sh installs it)"
}

# packed_demo OQVL WORK SAMPLES SHARD_SIZE CONTEXT SEED: Fashion-MNIST demo shards of SAMPLES train
# photos in WORK/demo, packed at CONTEXT positions (16 tokens per image) into WORK/packed, and a
# seeded manifest WORK/manifest.json -- the packed pre-training data of the training tests.
# Skips when Debian's Fashion-MNIST is missing.
packed_demo() {
  local oqvl=$1 work=$2 samples=$3 shard=$4 context=$5 seed=$6
  require_fashion_mnist
  "$oqvl" -q data make-demo --out "$work/demo" --train-samples "$samples" --test-samples 10 \
    --shard-size "$shard" --threads 2 >/dev/null
  "$oqvl" -q data pack "$work/demo/train/*.tar" --out "$work/packed" --context "$context" \
    --image-tokens 16 --threads 2 >/dev/null
  "$oqvl" -q data mix --source "demo=$work/packed/*.tar" --seed "$seed" --out "$work/manifest.json" >/dev/null
}

# tiny_packed_run OQVL REPO WORK SAMPLES SEED [DATA_LINE...]: the training tests' common run: the
# tiny reference model (tools/vlm_reference.py make-tiny, seeded) in WORK/model, packed_demo of
# SAMPLES photos at 128 positions, and WORK/run.toml with the shared [run] [model] [data] [optim]
# sections (fp32 CPU, 16 image tokens, lr 1e-3, 2 warmup steps; DATA_LINEs are added to [data]).
# The caller appends its own [batch] / [checkpoint] / [dist] sections.
tiny_packed_run() {
  local oqvl=$1 repo=$2 work=$3 samples=$4 seed=$5
  shift 5
  python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" "$seed" >/dev/null
  packed_demo "$oqvl" "$work" "$samples" 100 128 "$seed"
  tiny_run_config "$work" 128 "$@"
}

# tiny_run_config WORK CONTEXT [DATA_LINE...]: WORK/run.toml with the training tests' shared [run]
# [model] [data] [optim] sections for the model WORK/model and the manifest WORK/manifest.json
# (fp32 CPU, 16 image tokens, lr 1e-3, 2 warmup steps; DATA_LINEs are added to [data]).
tiny_run_config() {
  local work=$1 context=$2
  shift 2
  {
    printf '[run]\ndevice = "cpu"\nprecision = "fp32"\n[model]\npath = "model"\nimage_tokens = 16\n'
    printf '[data]\nmanifest = "manifest.json"\ncontext = %s\n' "$context"
    local line
    for line in "$@"; do printf '%s\n' "$line"; done
    printf '[optim]\nlr = 1e-3\nwarmup_steps = 2\n'
  } > "$work/run.toml"
}

# dist_packed_run OQVL REPO WORK: the data-parallel tests' common run (train_ddp.sh,
# train_sharded.sh): tiny_packed_run of 400 photos plus 10 steps of 8 rows as micro-batches of 2,
# checkpoints every 5 steps (3 kept) and a 60 s collective timeout. Skips without Gloo.
dist_packed_run() {
  local oqvl=$1 repo=$2 work=$3
  "$oqvl" version | grep -q "^distributed: gloo" ||
    skip "this oqvl build has no Gloo (Debian's libgloo-dev: scripts/setup.sh installs it)"
  tiny_packed_run "$oqvl" "$repo" "$work" 400 5
  printf '[batch]\nglobal = 8\nmicro = 2\nmax_steps = 10\n[checkpoint]\nevery = 5\nkeep = 3\n' >> "$work/run.toml"
  printf '[dist]\ntimeout_s = 60\n' >> "$work/run.toml"
}

# small_disk SIZE: sets `work` to a fresh folder and `disk` to $work/disk, a tmpfs of SIZE
# (mount's syntax: 8m); at exit the tmpfs is unmounted and the folder deleted (an EXIT trap).
# Skips where mounting is not permitted (not root, no CAP_SYS_ADMIN, a container without it).
small_disk() {
  work=$(mktemp -d)
  disk=$work/disk
  on_exit 'umount "$disk" 2> /dev/null; rm -rf "$work"'
  mkdir -p "$disk"
  mount -t tmpfs -o "size=$1" tmpfs "$disk" 2> /dev/null ||
    skip "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): the disk-full cases need a small disk"
}

# fill_disk DIR BYTES: leaves about BYTES free on the disk of DIR (DIR/filler takes the rest;
# delete it to free the space again).
fill_disk() {
  rm -f "$1/filler"
  local avail
  avail=$(df -B1 --output=avail "$1" | tail -1)
  [ "$avail" -gt "$2" ] || { echo "fill_disk: only $avail bytes free on $1, wanted $2"; return 1; }
  head -c $((avail - $2)) /dev/zero > "$1/filler"
}

# expect_disk_full ERR OUT RC: the checks on a command that ran out of space: a non-zero RC, exactly
# one "oqvl: error:" line in the stderr file ERR, saying "No space left on device" and naming a
# path under OUT (the output being written).
expect_disk_full() {
  local err=$1 out=$2 rc=$3
  [ "$rc" -ne 0 ] || { echo "expected a failure on a full disk, got exit 0"; return 1; }
  [ "$(grep -c '^oqvl: error:' "$err")" -eq 1 ] || { echo "expected one 'oqvl: error:' line:"; cat "$err"; return 1; }
  grep '^oqvl: error:' "$err" | grep -q 'No space left on device' ||
    { echo "the error does not say the disk is full:"; cat "$err"; return 1; }
  grep '^oqvl: error:' "$err" | grep -qF "$out" || { echo "the error does not name a file in $out:"; cat "$err"; return 1; }
}

# same_tree REF OUT [partial]: every file under OUT has the same bytes as REF's file of that name
# (job summaries, *.summary.json, and download's per-shard *_stats.json are left out: they hold
# timings), so nothing in OUT is a
# truncated file under a final name; no temporaries (.NAME.PID-N.tmp of AtomicFile,
# DIR.tmp-XXXXXX / DIR.old-XXXXXX of AtomicDir) are left in OUT or beside it. Without `partial`
# OUT must also hold every file REF holds.
same_tree() {
  local ref=$1 out=$2 mode=${3:-} f bad=0
  local temps
  temps=$(find "$(dirname "$out")" -name '.*.tmp' -o -name '*.tmp-*' -o -name '*.old-*' -o -name '*.tmp-shards')
  [ -z "$temps" ] || { echo "temporaries left behind: $temps"; bad=1; }
  while IFS= read -r f; do
    case "$f" in *summary.json | *_stats.json) continue ;; esac
    if [ ! -f "$ref/$f" ]; then echo "unexpected file $out/$f"; bad=1
    elif ! cmp -s "$ref/$f" "$out/$f"; then echo "$out/$f differs from $ref/$f"; bad=1; fi
  done < <(cd "$out" 2> /dev/null && find . -type f | sort)
  if [ "$mode" != partial ]; then
    while IFS= read -r f; do
      case "$f" in *summary.json | *_stats.json) continue ;; esac
      [ -f "$out/$f" ] || { echo "missing $out/$f"; bad=1; }
    done < <(cd "$ref" && find . -type f | sort)
  fi
  return $bad
}

# full_disk_case WORK DISK NAME WRITER: the disk-full check of one command. WRITER OUT writes the
# command's output to the folder OUT: a reference run into WORK/ref/NAME (skipped if it exists),
# then, with half its size free on the small disk DISK, the failing run into DISK/NAME
# (expect_disk_full, same_tree partial), and after freeing the space the rerun (same_tree).
full_disk_case() {
  local work=$1 disk=$2 name=$3 writer=$4 rc=0 free kept
  [ -d "$work/ref/$name" ] || "$writer" "$work/ref/$name" > /dev/null
  free=$(($(du -sb "$work/ref/$name" | cut -f1) / 2))
  fill_disk "$disk" "$free"
  "$writer" "$disk/$name" > /dev/null 2> "$work/$name.err" || rc=$?
  expect_disk_full "$work/$name.err" "$disk/$name" "$rc"
  same_tree "$work/ref/$name" "$disk/$name" partial
  kept=$(cd "$disk/$name" 2> /dev/null && find . -type f | wc -l || echo 0)
  rm -f "$disk/filler"
  "$writer" "$disk/$name" > /dev/null
  same_tree "$work/ref/$name" "$disk/$name"
  echo "ok   $name: $(grep '^oqvl: error:' "$work/$name.err" | sed "s|$disk/||g"); $kept finished files kept; the rerun equals an unfailed run"
  rm -rf "${disk:?}/$name"
}

# wait_for SECONDS TEST...: polls the command TEST (every 0.05 s) until it succeeds; 1 if it did
# not within SECONDS.
wait_for() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 20; ++i)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

# signal_when SIGNAL READY ERR CMD...: runs CMD in the background (stdout dropped, stderr to the
# file ERR), waits (up to 60 s, while CMD runs) until READY (a command, e.g. a function's name)
# succeeds, sends SIGNAL (INT, TERM) and sets SIGNAL_RC to CMD's exit code (0 when CMD finished
# before READY held: expect_interrupted then skips).
signal_when() {
  # (Locals with a prefix: bash's scoping is dynamic, and READY may read its caller's variables.)
  local _sw_sig=$1 _sw_ready=$2 _sw_err=$3 _sw_pid
  shift 3
  # Emptied here, not only by the child's redirection: READY may read ERR, and until the forked
  # child has opened it, ERR still holds an earlier run's lines (READY held at once, the signal
  # killed the child before it ran the command: CI, 2026-12-03).
  : > "$_sw_err"
  "$@" > /dev/null 2> "$_sw_err" &
  _sw_pid=$!
  if ! wait_for 60 _ready_or_done "$_sw_ready" "$_sw_pid"; then
    kill -KILL "$_sw_pid" 2> /dev/null
    wait "$_sw_pid"
    echo "signal_when: '$_sw_ready' did not hold within 60 s"
    return 1
  fi
  kill -s "$_sw_sig" "$_sw_pid" 2> /dev/null
  SIGNAL_RC=0
  wait "$_sw_pid" || SIGNAL_RC=$?
}
_ready_or_done() { $1 || ! kill -0 "$2" 2> /dev/null; }

# expect_interrupted ERR RC SIGNAL: the command stopped by SIGNAL (INT or TERM) exited 128 +
# its number with one "oqvl: interrupted (SIGNAL): ..." line in the stderr file ERR.
expect_interrupted() {
  local err=$1 rc=$2 sig=$3 want
  want=$((128 + $(kill -l "$sig")))
  if [ "$rc" -eq 0 ]; then
    skip "the command finished before the signal reached it (nothing was interrupted)"
  fi
  [ "$rc" -eq "$want" ] || { echo "expected exit $want after SIG$sig, got $rc:"; cat "$err"; return 1; }
  [ "$(grep -c "^oqvl: interrupted (SIG$sig): " "$err")" -eq 1 ] ||
    { echo "expected one 'oqvl: interrupted (SIG$sig)' line:"; cat "$err"; return 1; }
}

# interrupt_case WORK NAME SIGNAL READY WRITER [SLEEP_US]: the signal check of one command. WRITER
# OUT sets `cmd` to the command line that writes to OUT (run as it is, so the signal reaches oqvl
# itself); READY OUT ERR succeeds once the command is mid-way (ERR: its stderr so far). A reference
# run into WORK/ref/NAME; then in WORK/run/NAME the run signalled, with OQVL_FAULT_POLL_SLEEP_US =
# SLEEP_US (default 2000) slowing each safe point so it is mid-way on any machine
# (expect_interrupted, same_tree partial); and its rerun, which must equal the reference.
interrupt_case() {
  local work=$1 name=$2 sig=$3 ready=$4 writer=$5 sleep_us=${6:-2000} out=$1/run/$2 err=$1/$2.err kept
  "$writer" "$work/ref/$name"
  "${cmd[@]}" > /dev/null 2> "$err" || { cat "$err"; return 1; }
  mkdir -p "$work/run"
  _ic_ready() { "$ready" "$out" "$err"; }
  "$writer" "$out"
  OQVL_FAULT_POLL_SLEEP_US=$sleep_us signal_when "$sig" _ic_ready "$err" "${cmd[@]}"
  expect_interrupted "$err" "$SIGNAL_RC" "$sig"
  same_tree "$work/ref/$name" "$out" partial
  kept=$(find "$out" -type f ! -name '*summary.json' | wc -l)
  cp "$err" "$err.signalled"
  "${cmd[@]}" > /dev/null 2> "$err" || { cat "$err"; return 1; }
  same_tree "$work/ref/$name" "$out"
  echo "ok   $name: SIG$sig -> exit $SIGNAL_RC, $kept finished files kept, the rerun equals an uninterrupted run"
  echo "     $(grep '^oqvl: interrupted' "$err.signalled" | sed "s|$work/||g")"
}

# same_training RUN_A RUN_B [STEPS]: the two training runs logged the same loss and grad_norm at
# every step bit for bit (a resumed run repeats steps in metrics.jsonl: later lines win; with
# STEPS, exactly steps 1..STEPS) and their last (or step-STEPS) checkpoints hold the same tensors
# in every weights and optimizer file, plain or sharded.
same_training() {
  python3 - "$@" <<'PY'
import glob, json, os, struct, sys
a_run, b_run = sys.argv[1], sys.argv[2]
steps = int(sys.argv[3]) if len(sys.argv) > 3 else None
def rows(run):
    by_step = {}
    for line in open(f"{run}/metrics.jsonl"):
        j = json.loads(line)
        by_step[j["step"]] = (j["loss"], j.get("grad_norm"))
    return [by_step[s] for s in sorted(by_step)]
a, b = rows(a_run), rows(b_run)
assert a and a == b and (steps is None or len(a) == steps), (a_run, a[:3], b_run, b[:3])
def tensors(folder):
    # Every tensor of every weights / optimizer file: name -> (dtype, shape, raw bytes), so any
    # layout (plain or sharded) and dtype compares, whatever order the headers list them in.
    out = {}
    for path in sorted(glob.glob(f"{folder}/*.safetensors")):
        data = open(path, "rb").read()
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        for name, t in header.items():
            if name == "__metadata__": continue
            lo, hi = t["data_offsets"]
            out[(os.path.basename(path), name)] = (t["dtype"], t["shape"], data[8 + n + lo:8 + n + hi])
    return out
last = sorted(glob.glob(f"{a_run}/checkpoints/step-*"))[-1] if steps is None else f"{a_run}/checkpoints/step-{steps:08d}"
ta, tb = tensors(last), tensors(last.replace(a_run, b_run, 1))
assert ta and ta.keys() == tb.keys(), (a_run, b_run, sorted(ta)[:3], sorted(tb)[:3])
for k in ta:
    assert ta[k] == tb[k], (a_run, b_run, k)
PY
}
