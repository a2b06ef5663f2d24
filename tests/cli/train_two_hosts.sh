#!/usr/bin/env bash
# Two "hosts" on one machine: network namespaces joined by a veth pair (10.x addresses local to
# this machine), one rank in each, rendezvous and Gloo traffic over TCP between them (not
# loopback), as a 2-node job would run; the losses equal the same job's as 2 local ranks bit for
# bit. Then the paper's hybrid strategy as 2 nodes x 2 ranks (full shard inside each namespace,
# replicated across them) equals the same 4 ranks run locally bit for bit. Needs root (ip netns);
# skipped otherwise. Usage: train_two_hosts.sh OQVL REPO
set -uo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules numpy
"$oqvl" version | grep -q "^distributed: gloo" || skip "this oqvl build has no Gloo"
ns0=oqvl$$a ns1=oqvl$$b
ip netns add $ns0 2>/dev/null || skip "cannot create network namespaces here (needs root and CAP_NET_ADMIN)"
work=$(mktemp -d)
cleanup() { ip netns del $ns0 2>/dev/null; ip netns del $ns1 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
set -e
ip netns add $ns1
ip link add v$$a type veth peer name v$$b
ip link set v$$a netns $ns0
ip link set v$$b netns $ns1
ip -n $ns0 addr add 10.213.0.1/24 dev v$$a
ip -n $ns1 addr add 10.213.0.2/24 dev v$$b
for n in $ns0 $ns1; do ip -n $n link set lo up; done
ip -n $ns0 link set v$$a up
ip -n $ns1 link set v$$b up
set +e

tiny_packed_run "$oqvl" "$repo" "$work" 300 5
cat >> "$work/run.toml" <<TOML
[batch]
global = 8
micro = 2
max_steps = 6
[dist]
timeout_s = 60
TOML
cd "$work"
"$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=local --quiet --threads 1 > local.log 2>&1 ||
  { echo "FAIL local 2-rank run"; cat local.log; exit 1; }
node() {  # node RANK NETNS IFACE
  ip netns exec "$2" env RANK=$1 WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 MASTER_ADDR=10.213.0.1 \
    MASTER_PORT=29611 GLOO_SOCKET_IFNAME="$3" "$oqvl" train --config run.toml --set run.out=hosts --quiet --threads 1
}
node 0 $ns0 v$$a > n0.log 2>&1 & p0=$!
node 1 $ns1 v$$b > n1.log 2>&1 & p1=$!
wait $p0; rc0=$?
wait $p1; rc1=$?
if [[ $rc0 != 0 || $rc1 != 0 ]]; then echo "FAIL two hosts: exit $rc0 / $rc1"; cat n0.log n1.log; exit 1; fi
python3 - <<'PY'
import json
def losses(run):
    return [json.loads(l)["loss"] for l in open(f"{run}/metrics.jsonl")]
a, b = losses("local"), losses("hosts")
assert len(a) == 6 and a == b, (a, b)
print(f"two hosts (netns + veth, TCP): 6 steps, losses equal the local 2-rank run's bit for bit ({a[0]:.4f} -> {a[-1]:.4f})")
PY
[[ $? == 0 ]] || exit 1

# hybrid, 2 nodes x 2 ranks: across the namespaces, and the same 4 ranks on loopback.
hybrid() {  # hybrid RANK OUT PORT ADDR [NETNS IFACE]
  local pre=() ifn=()
  [[ -n "${5:-}" ]] && pre=(ip netns exec "$5") && ifn=(GLOO_SOCKET_IFNAME="$6")
  "${pre[@]}" env RANK=$1 WORLD_SIZE=4 LOCAL_RANK=$(($1 % 2)) LOCAL_WORLD_SIZE=2 MASTER_ADDR=$4 MASTER_PORT=$3 \
    "${ifn[@]}" "$oqvl" train --config run.toml --set run.out=$2 --set dist.strategy=hybrid --quiet --threads 1
}
ps=()
for r in 0 1 2 3; do hybrid $r hlocal 29613 127.0.0.1 > hl$r.log 2>&1 & ps+=($!); done
rc=0; for p in "${ps[@]}"; do wait $p || rc=1; done
[[ $rc == 0 ]] || { echo "FAIL local hybrid run"; cat hl*.log; exit 1; }
ps=()
hybrid 0 hhosts 29614 10.213.0.1 $ns0 v$$a > hh0.log 2>&1 & ps+=($!)
hybrid 1 hhosts 29614 10.213.0.1 $ns0 v$$a > hh1.log 2>&1 & ps+=($!)
hybrid 2 hhosts 29614 10.213.0.1 $ns1 v$$b > hh2.log 2>&1 & ps+=($!)
hybrid 3 hhosts 29614 10.213.0.1 $ns1 v$$b > hh3.log 2>&1 & ps+=($!)
rc=0; for p in "${ps[@]}"; do wait $p || rc=1; done
[[ $rc == 0 ]] || { echo "FAIL hybrid across hosts"; cat hh*.log; exit 1; }
python3 - <<'PY'
import json
def losses(run):
    return [json.loads(l)["loss"] for l in open(f"{run}/metrics.jsonl")]
a, b = losses("hlocal"), losses("hhosts")
assert len(a) == 6 and a == b, (a, b)
print(f"hybrid 2 hosts x 2 ranks (netns + veth, TCP): losses equal the local 4-rank hybrid run's bit for bit")
PY
