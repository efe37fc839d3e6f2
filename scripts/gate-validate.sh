#!/usr/bin/env bash
# gate-validate.sh [N]: does rpcbench gate neither cry wolf nor sleep, nor
# invert, nor compare what it must not?
#
# Four cases, each gated as a user would (no flags but --codec):
#
#   A/A        N pairs of two honest runs of the same build on this machine,
#              their repetitions alternating: no alarm (target: at most 1
#              false alarm in 20).
#   slowdown   N pairs where B is a -tags gateslow build whose msgpack
#              encode path burns 15% of a call's CPU (RPCBENCH_GATESLOW,
#              calibrated below): caught (target: at least 19 of 20).
#   work       B runs with --work 200us, nothing else changed: refused as a
#              configuration mismatch naming work (exit 2), never compared.
#   gomaxprocs B runs with GOMAXPROCS=1: the environments differ, so the
#              gate compares ratios to the in-run floor and says so first.
#
# A/A and slowdown are what scripts/ci-gate.sh --base-ref does in CI: two
# builds run interleaved, repetition by repetition, on one machine, gated on
# raw times because the environments match. Everything ran and printed
# goes under results/gate-validation/ (OUT= to change), summary.txt last,
# and summary.json: the same counts, for rpcbench report --gate-validation.
#
#   scripts/gate-validate.sh 20      # the real validation, ~15 minutes on an idle 2-core machine
#   scripts/gate-validate.sh 2       # a smoke test of the script (REPS=3 shortens it further)
#
# Why the slowdown is in the codec and not --work: --work delays the
# server's reply for codec and floor alike and changes the benchmark's
# name (work=... is part of it), so it is a different configuration, not a slower
# codec (the work case checks exactly that). The gateslow build burns CPU
# in msgpack's encode path only, twice per call (request and reply), for
# 7.5% of the calibrated cpu-ns/op each time; the normal build's
# slowEncode is an empty function the compiler removes.
set -euo pipefail

n=${1:-20}
reps=${REPS:-10} # scripts/ci-gate.sh's --count
out=${OUT:-results/gate-validation}
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/rpcbench slow=$tmp/rpcbench-gateslow
go build -trimpath -o "$bin" ./cmd/rpcbench
go build -trimpath -tags gateslow -o "$slow" ./cmd/rpcbench

rm -rf "$out"
mkdir -p "$out/runs" "$out/gates"
# One row of what scripts/ci-gate.sh measures by default, windows included.
load=(run --codec msgpack --peers floor --payload bytes:1KiB --concurrency 1
	--calls 2000 --warmup 100ms --format bench)

measure() { # measure FILE BINARY [EXTRA FLAGS...]: appends one repetition to FILE
	local file=$1 b=$2
	shift 2
	"$b" "${load[@]}" "$@" >>"$file" 2>>"$out/runs/stderr.log"
}

# pair A B ENV BINARY [FLAGS...]: $reps repetitions of each, alternating A
# (the normal build) and B (BINARY with FLAGS, ENV a VAR=VALUE or ""), so
# that the machine's drift over the minute falls on both sides alike, as
# the matrix's round-robin does within a run.
pair() {
	local a=$1 b=$2 e=$3 b_bin=$4
	shift 4
	for _ in $(seq "$reps"); do
		measure "$a" "$bin"
		env $e "$b_bin" "${load[@]}" "$@" >>"$b" 2>>"$out/runs/stderr.log"
	done
}

# gate BASELINE NEW NAME: prints gate's exit status; its output is in gates/NAME.txt.
gate() {
	local status=0
	"$bin" gate --codec msgpack --baseline "$1" "$2" >"$out/gates/$3.txt" 2>&1 || status=$?
	echo "$status"
}

for _ in $(seq "$reps"); do measure "$out/runs/calibrate.txt" "$bin"; done
cpu=$(awk '/^BenchmarkRPC\/codec=msgpack/ { for (i = 2; i < NF; i++) if ($(i+1) == "cpu-ns/op") print $i }' "$out/runs/calibrate.txt" |
	sort -n | awk '{ v[NR] = $1 } END { printf "%d\n", v[int((NR + 1) / 2)] }')
burn=$((cpu * 15 / 100 / 2))ns
echo "calibration: msgpack cpu-ns/op ${cpu}; the slowdown burns RPCBENCH_GATESLOW=$burn per encode, two encodes per call" | tee "$out/summary.txt"

for i in $(seq -w 1 "$n"); do
	pair "$out/runs/aa-$i-a.txt" "$out/runs/aa-$i-b.txt" "" "$bin"
	echo "A/A $i: gate exit $(gate "$out/runs/aa-$i-a.txt" "$out/runs/aa-$i-b.txt" "aa-$i")"
	pair "$out/runs/slow-$i-a.txt" "$out/runs/slow-$i-b.txt" RPCBENCH_GATESLOW="$burn" "$slow"
	echo "slowdown $i: gate exit $(gate "$out/runs/slow-$i-a.txt" "$out/runs/slow-$i-b.txt" "slow-$i")"
done | tee -a "$out/summary.txt"

pair "$out/runs/work-a.txt" "$out/runs/work-b.txt" "" "$bin" --work 200us
work=$(gate "$out/runs/work-a.txt" "$out/runs/work-b.txt" work)
pair "$out/runs/procs-a.txt" "$out/runs/procs-b.txt" GOMAXPROCS=1 "$bin"
procs=$(gate "$out/runs/procs-a.txt" "$out/runs/procs-b.txt" gomaxprocs)

# Count the verdicts from the gates' outputs.
count() { cat "$out"/gates/$2 | grep -c "$1" || true; }
aa_alarms=$(count '^gate: FAIL' 'aa-*.txt')
aa_undecided=$(count '^gate: INCONCLUSIVE' 'aa-*.txt')
aa_raw=$(count '^gate: time compared raw' 'aa-*.txt')
# files with a line matching $1
files() { { grep -l -E "$1" "$out"/gates/$2 || true; } | wc -l; }
# a time unit's row: sec/op, p50-sec, cpu-sec/op, calls/s, ... (×floor when
# compared as ratios)
time_unit=' (sec/op|[a-z0-9]+-sec(/op)?|[a-z]+/s)( ×floor)? .*REGRESSION'
aa_time=$(files "$time_unit" 'aa-*.txt')
aa_exact=$(files '(allocs/op|wire-B/op|errors) .*REGRESSION' 'aa-*.txt')
# Caught means caught by a time unit: a slower encoder makes fewer calls
# per window, and a process-wide allocation count over the window can
# drift with that, which is not what this case tests.
slow_caught=$(files "$time_unit" 'slow-*.txt')
slow_failed=$(count '^gate: FAIL' 'slow-*.txt')
slow_undecided=$(count '^gate: INCONCLUSIVE' 'slow-*.txt')
work_refused=no
[ "$work" = 2 ] && grep -q 'configuration mismatch in work' "$out/gates/work.txt" && work_refused=yes
procs_ratio=no
head -1 "$out/gates/gomaxprocs.txt" | grep -q '^gate: time compared as ratios .*gomaxprocs: baseline [0-9]*, new 1' && procs_ratio=yes

verdict=PASS
[ $((aa_alarms * 20)) -le "$n" ] && [ $((slow_caught * 20)) -ge $((19 * n)) ] &&
	[ "$work_refused" = yes ] && [ "$procs_ratio" = yes ] || verdict=FAIL
{
	echo
	echo "A/A: $aa_alarms false alarms in $n pairs (target: at most $((n / 20))): $aa_time on a time unit, $aa_exact on an exact count; $aa_undecided inconclusive; $aa_raw of $n compared raw (same environment)"
	echo "slowdown of 15% CPU in msgpack's encode path: caught on a time unit in $slow_caught of $n pairs (target: at least 19 in 20); the gate failed in $slow_failed; $slow_undecided inconclusive"
	echo "--work 200us on one side: gate exit $work, refused as a configuration mismatch naming work: $work_refused"
	echo "GOMAXPROCS=1 on one side: gate exit $procs, switched to ratios to the floor and said so first: $procs_ratio"
	echo "  $(head -1 "$out/gates/gomaxprocs.txt")"
	echo "gate-validate: $verdict"
} | tee -a "$out/summary.txt"

# The same counts for rpcbench report --gate-validation (REPORT.md's table).
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g; s/\t/ /g')"; }
json_bool() { if [ "$1" = yes ]; then echo true; else echo false; fi; }
cat >"$out/summary.json" <<EOF
{
  "repetitions": $reps,
  "load": $(json_string "rpcbench ${load[*]}"),
  "aa": {"pairs": $n, "false_alarms": $aa_alarms, "time_alarms": $aa_time, "exact_alarms": $aa_exact, "inconclusive": $aa_undecided, "compared_raw": $aa_raw},
  "slowdown": {"percent": 15, "pairs": $n, "caught": $slow_caught, "failed": $slow_failed, "inconclusive": $slow_undecided},
  "work": {"flag": "--work 200us", "exit": $work, "refused": $(json_bool "$work_refused")},
  "gomaxprocs": {"exit": $procs, "ratios": $(json_bool "$procs_ratio"), "first_line": $(json_string "$(head -1 "$out/gates/gomaxprocs.txt")")},
  "verdict": "$verdict"
}
EOF
[ "$verdict" = PASS ]
