#!/usr/bin/env bash
# The scaling runs a 2-core machine cannot show: calls/s against the number
# of callers, and 10,000 connections to one server, with the memory an idle
# connection costs the server. Writes results/scaling/ (OUT= to change).
#   scripts/scale.sh                   builds rpcbench first
#   RPCBENCH=path/to/rpcbench scripts/scale.sh   on a machine without Go
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-results/scaling}
mkdir -p "$out"
bin=${RPCBENCH:-}
if [ -z "$bin" ]; then
  bin=.bin/rpcbench
  go build -o "$bin" ./cmd/rpcbench
fi

nproc >"$out/nproc.txt"
"$bin" matrix --codecs gob,msgpack,protobuf,thrift --peers grpc,floor --payloads bytes:1KiB \
  --concurrency 1,4,16,64,256 --conns 16 --count 3 --duration 1s --warmup 300ms -o "$out/concurrency" >/dev/null

# 10,000 connections, mostly idle (100 calls/s in all), to an rpcbench serve
# in its own process: its resident memory with and without them.
"$bin" serve --codec msgpack --addr 127.0.0.1:9300 >"$out/serve.out" 2>"$out/serve.err" &
serve=$!
trap 'kill $serve 2>/dev/null' EXIT
sleep 1
stats() { "$bin" call --codec msgpack --addr 127.0.0.1:9300 Stats.Read '{"gc":true}'; }
stats >"$out/idle-0.json"
"$bin" run --codec msgpack --peers none --addr 127.0.0.1:9300 --concurrency 10000 --conns 10000 \
  --rate 100 --duration 20s --warmup 0 --timeout 30s >"$out/conns-10000-idle.txt" 2>&1 &
load=$!
sleep 15
stats >"$out/idle-10000.json"
wait $load
awk -v a="$(sed 's/.*"rss_bytes":\([0-9]*\).*/\1/' "$out/idle-0.json")" \
    -v b="$(sed 's/.*"rss_bytes":\([0-9]*\).*/\1/' "$out/idle-10000.json")" \
    -v ga="$(sed 's/.*"goroutines":\([0-9]*\).*/\1/' "$out/idle-0.json")" \
    -v gb="$(sed 's/.*"goroutines":\([0-9]*\).*/\1/' "$out/idle-10000.json")" \
  'BEGIN { printf "server RSS %.1f MiB idle, %.1f MiB with 10000 connections: %.1f KiB per connection; goroutines %d -> %d\n", a/1048576, b/1048576, (b-a)/10000/1024, ga, gb }' \
  | tee "$out/per-connection.txt"

# The same 10,000 connections flat out, closed loop, against that server
# (in one process, client and server ends together would need 20,000 files).
"$bin" run --codec msgpack --peers none --addr 127.0.0.1:9300 --concurrency 10000 --conns 10000 \
  --duration 5s --warmup 1s --timeout 30s >"$out/conns-10000-closed.txt" 2>&1
cat "$out/conns-10000-closed.txt"
