#!/usr/bin/env bash
# Soak test: serve msgpack over tcp, measure the closed-loop maximum calls/s
# against it, then run open-loop load at half that rate for MINUTES
# (default 10) while sampling the server's resident memory, goroutines and
# threads every few seconds. Writes results/soak/:
#   samples.csv   elapsed_s,rss_bytes,goroutines,threads (goroutines from
#                 the Stats.Read call, threads from /proc: they differ)
#   run.txt       the load run's result, in Go benchmark format
#   summary.txt   the verdict: RSS flat (the last minute's mean within 10%
#                 of the second minute's) and zero errors; also printed
# Exits 1 when memory grew or a call failed.
#   scripts/soak.sh        # 10 minutes, the committed run
#   scripts/soak.sh 1      # a quick check that it works
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
every=5 # seconds between samples
out=results/soak
mkdir -p "$out"

tmp=$(mktemp -d)
serve_pid= load_pid=
cleanup() {
  for p in $load_pid $serve_pid; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
bin=$tmp/rpcbench
go build -o "$bin" ./cmd/rpcbench

"$bin" serve --codec msgpack >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
addr=
for _ in $(seq 100); do
  addr=$(head -n1 "$tmp/serve.out")
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "soak.sh: serve printed no address" >&2; cat "$tmp/serve.err" >&2; exit 1; }

# field NAME LINE prints the value before unit NAME in a benchmark line.
field() { awk -v unit="$1" '/^Benchmark/ { for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) }'; }

max=$("$bin" run --codec msgpack --peers none --addr "$addr" --duration 5s --format bench | field calls/s)
rate=$(awk -v m="$max" 'BEGIN { printf "%d", m / 2 }')
echo "soak.sh: serving on $addr (pid $serve_pid); closed-loop max $max calls/s; running $minutes min at $rate calls/s"

"$bin" run --codec msgpack --peers none --addr "$addr" --rate "$rate" --duration "${minutes}m" \
  --warmup 0 --format bench -o "$out/run.txt" 2>"$tmp/run.err" &
load_pid=$!

echo "elapsed_s,rss_bytes,goroutines,threads" >"$out/samples.csv"
start=$(date +%s)
while kill -0 "$load_pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$serve_pid/status")
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$serve_pid/status")
  goroutines=$("$bin" call --codec msgpack --addr "$addr" Stats.Read '{}' | sed -n 's/.*"goroutines":\([0-9]*\).*/\1/p')
  echo "$(($(date +%s) - start)),$rss,$goroutines,$threads" >>"$out/samples.csv"
  sleep "$every"
done
run_status=0
wait "$load_pid" || run_status=$?
load_pid=

# Compare the second minute with the last; a run shorter than three
# minutes compares the second quarter with the last instead.
total=$((minutes * 60))
window=60
[ "$minutes" -ge 3 ] || window=$((total / 4))
errors=$(field errors <"$out/run.txt")
calls=$(field calls/s <"$out/run.txt")
p99=$(field p99-ns <"$out/run.txt")
awk -F, -v w="$window" -v total="$total" -v errors="${errors:-unknown}" -v calls="$calls" -v p99="$p99" \
  -v rate="$rate" -v max="$max" -v status="$run_status" -v minutes="$minutes" '
  NR == 1 { next }
  $1 >= w && $1 < 2 * w { early += $2; ne++ }
  $1 >= total - w { late += $2; nl++ }
  { if ($3 > gmax) gmax = $3; if (gmin == "" || $3 < gmin) gmin = $3 }
  END {
    if (ne == 0 || nl == 0) { print "soak: too few samples to compare"; exit 1 }
    early /= ne; late /= nl
    change = (late - early) / early
    flat = change <= 0.10 && change >= -0.10
    printf "soak: msgpack over tcp, %d min open loop at %d calls/s (half the closed-loop max %d)\n", minutes, rate, max
    printf "completed %s calls/s, p99 %.3g ms (from each call'"'"'s scheduled time); errors %s (run exit status %d)\n", calls, p99 / 1e6, errors, status
    printf "RSS mean %.1f MiB in [%ds,%ds) vs %.1f MiB in the last %ds: %+.1f%% => %s\n",
      early / 1048576, w, 2 * w, late / 1048576, w, 100 * change, flat ? "flat" : "GROWING"
    printf "goroutines (Stats.Read) between %d and %d\n", gmin, gmax
    printf "verdict: %s\n", (flat && errors == 0 && status == 0) ? "PASS" : "FAIL"
  }' "$out/samples.csv" | tee "$out/summary.txt"
grep -q '^verdict: PASS' "$out/summary.txt"
