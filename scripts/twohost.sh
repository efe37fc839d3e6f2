#!/usr/bin/env bash
# Two hosts on one machine: a server in one network namespace, two load
# processes in another, joined by a veth pair (with tc netem delay where the
# kernel has it). The load processes start together with --start-at, write
# JSON, and rpcbench merge combines them into one exact result, printed as
# a table. Everything the script makes (namespaces, links, processes, files)
# is removed when it ends, also when interrupted. Needs root and iproute2.
#   scripts/twohost.sh                      builds rpcbench first
#   RPCBENCH=path/to/rpcbench scripts/twohost.sh
#   CODEC=gob DURATION=5s DELAY=2ms OUT=dir scripts/twohost.sh   OUT keeps the JSON
set -euo pipefail
cd "$(dirname "$0")/.."
codec=${CODEC:-msgpack}
duration=${DURATION:-2s}
delay=${DELAY:-1ms}
tag=rb$$
srv=$tag-srv
load=$tag-load
addr=10.253.$(($$ % 250)).1
work=$(mktemp -d)
pids=()

cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true # takes the veth pair with it
  ip netns del "$load" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "twohost: interrupted; cleaning up" >&2; exit 130' INT TERM

bin=${RPCBENCH:-}
if [ -z "$bin" ]; then
  bin=$work/rpcbench
  go build -o "$bin" ./cmd/rpcbench
fi
bin=$(realpath "$bin")

echo "twohost: namespaces $srv (server, $addr) and $load (load)"
ip netns add "$srv"
ip netns add "$load"
ip link add "${tag}s" netns "$srv" type veth peer name "${tag}l" netns "$load"
ip -n "$srv" addr add "$addr/24" dev "${tag}s"
ip -n "$load" addr add "${addr%.1}.2/24" dev "${tag}l"
for ns in "$srv" "$load"; do ip -n "$ns" link set lo up; done
ip -n "$srv" link set "${tag}s" up
ip -n "$load" link set "${tag}l" up
if ip netns exec "$srv" tc qdisc add dev "${tag}s" root netem delay "$delay" 2>/dev/null &&
  ip netns exec "$load" tc qdisc add dev "${tag}l" root netem delay "$delay" 2>/dev/null; then
  echo "twohost: tc netem delay $delay each way"
else
  echo "twohost: this kernel has no tc netem (sch_netem): the veth pair adds no delay"
fi

ip netns exec "$srv" "$bin" serve --codec "$codec" --addr "$addr:9000" >"$work/serve.out" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 100); do # serve prints its address once it listens
  [ -s "$work/serve.out" ] && break
  sleep 0.1
done
[ -s "$work/serve.out" ] || { echo "twohost: serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }

start=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
echo "twohost: two load processes measure $duration from $start"
loads=()
for i in 0 1; do
  ip netns exec "$load" "$bin" run --codec "$codec" --peers none --addr "$addr:9000" \
    --start-at "$start" --duration "$duration" --format json -o "$work/load-$i.json" 2>"$work/load-$i.log" &
  loads+=($!)
  pids+=($!)
done
for i in 0 1; do
  wait "${loads[$i]}" || { echo "twohost: load process $i failed:" >&2; cat "$work/load-$i.log" >&2; exit 1; }
done

"$bin" merge "$work/load-0.json" "$work/load-1.json"
"$bin" merge --format json -o "$work/merged.json" "$work/load-0.json" "$work/load-1.json" 2>/dev/null # what the line above said
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  cp "$work"/load-0.json "$work"/load-1.json "$work"/merged.json "$OUT"/
fi
