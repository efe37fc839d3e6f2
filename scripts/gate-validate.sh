#!/usr/bin/env bash
# gate-validate.sh [N]: does rpcbench gate neither cry wolf nor sleep?
#
# Runs N A/A pairs (two honest runs of the same build, their repetitions alternating) and N
# A/B pairs where B's server spends extra time on every call, gates each
# pair, and prints the false-alarm rate and the detection rate. Targets:
# at most 1 false alarm in 20 A/A pairs, at least 19 of 20 slowdowns
# caught. Everything it ran and printed goes under results/gate-validation/
# (OUT= to change), summary.txt last.
#
#   scripts/gate-validate.sh 20      # the real validation, ~10 minutes on an idle 2-core machine
#   scripts/gate-validate.sh 2       # a smoke test of the script
#
# Which mode the slowdown is validated in, and why: --work delays the
# server's reply for codec and floor alike (the floor echo waits too), so
# in the gate's default mode, time as a ratio to the in-run floor, a
# uniform --work does not read as a codec slowdown at all; worse, adding
# the same w to a codec's time t and the floor's f moves the ratio from
# t/f towards 1, which looks like an improvement. rpcbench has no
# codec-only slowdown knob, and adding one only for this script would put
# test code in the product. So the A/B pairs are gated with
# --same-machine: A and B run on this machine, their repetitions alternating, which is
# exactly the situation --same-machine is for, and what is validated is
# the decision rule itself (U test at alpha 0.05 and the 10% threshold)
# against a known 15% shift. The ratio-to-floor arithmetic (pairing the
# i-th repetition with the i-th floor, a machine-wide slowdown cancelling,
# a codec-only one not) is covered by the unit tests in harness/gate. The
# A/A pairs are gated both ways, since a false alarm in the default mode
# is what a CI user would see.
#
# The slowdown: B adds --work W --busy, where W is 15% of A's CPU time per
# call (the median cpu-ns/op of a calibration run, client and server
# together). The server spins for W on every call, so each call costs 15%
# more CPU, and with 4 callers on a 2-core machine the run is CPU-bound:
# its sec/op and p50 rise by about as much. (W taken from the p50 latency
# instead overshoots: spinning that long saturates the CPUs and the queue
# multiplies it to a 40-60% slowdown, too easy a test.) --busy rather than
# sleeping, because a sleep this short is at the mercy of the timer.
set -euo pipefail

n=${1:-20}
out=${OUT:-results/gate-validation}
cd "$(dirname "$0")/.."

bin=$(mktemp -d)/rpcbench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/rpcbench

rm -rf "$out"
mkdir -p "$out/runs" "$out/gates"
load=(run --codec msgpack --peers floor --payload bytes:1KiB --concurrency 4
	--duration 300ms --warmup 200ms --format bench)
reps=5

measure() { # measure FILE [EXTRA FLAGS...]: appends one repetition to FILE
	local file=$1
	shift
	"$bin" "${load[@]}" "$@" >>"$file" 2>>"$out/runs/stderr.log"
}

# pair A B [B's FLAGS...]: $reps repetitions of each, alternating A and B,
# so that the machine's drift over the minute falls on both sides alike, as
# the matrix's round-robin does within a run.
pair() {
	local a=$1 b=$2
	shift 2
	for _ in $(seq "$reps"); do
		measure "$a"
		measure "$b" "$@"
	done
}

# gate BASELINE NEW NAME [FLAGS...]: prints gate's exit status.
gate() {
	local status=0
	"$bin" gate "${@:4}" --baseline "$1" "$2" >"$out/gates/$3.txt" 2>&1 || status=$?
	echo "$status"
}

for _ in $(seq "$reps"); do measure "$out/runs/calibrate.txt"; done
cpu=$(awk '/^BenchmarkRPC\/codec=msgpack/ { for (i = 2; i < NF; i++) if ($(i+1) == "cpu-ns/op") print $i }' "$out/runs/calibrate.txt" |
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
work=$((cpu * 15 / 100))ns
echo "calibration: msgpack cpu-ns/op ${cpu}; B adds --work $work --busy" | tee "$out/summary.txt"

for i in $(seq -w 1 "$n"); do
	pair "$out/runs/aa-$i-a.txt" "$out/runs/aa-$i-b.txt"
	s=$(gate "$out/runs/aa-$i-a.txt" "$out/runs/aa-$i-b.txt" "aa-$i-same-machine" --same-machine)
	r=$(gate "$out/runs/aa-$i-a.txt" "$out/runs/aa-$i-b.txt" "aa-$i-ratio")
	echo "A/A $i: gate exit $s same-machine, $r ratio-to-floor"

	pair "$out/runs/ab-$i-a.txt" "$out/runs/ab-$i-b.txt" --work "$work" --busy
	# Only msgpack's rows: the floor slows down too, and counting it would
	# give every slowdown two chances to be caught.
	s=$(gate "$out/runs/ab-$i-a.txt" "$out/runs/ab-$i-b.txt" "ab-$i-same-machine" --same-machine --codec msgpack)
	echo "A/B $i: gate exit $s same-machine"
done | tee -a "$out/summary.txt"

# Count the verdicts from the gates' outputs.
count() { cat "$out"/gates/$2 | grep -c "$1" || true; }
aa_raw=$(count '^gate: FAIL' 'aa-*-same-machine.txt')
aa_ratio=$(count '^gate: FAIL' 'aa-*-ratio.txt')
aa_undecided=$(count '^gate: INCONCLUSIVE' 'aa-*.txt')
ab_caught=$(count '^gate: FAIL' 'ab-*.txt')
ab_undecided=$(count '^gate: INCONCLUSIVE' 'ab-*.txt')

verdict=PASS
[ $((aa_raw * 20)) -le "$n" ] && [ $((aa_ratio * 20)) -le "$n" ] && [ $((ab_caught * 20)) -ge $((19 * n)) ] || verdict=FAIL
{
	echo
	echo "false alarms in $n A/A pairs: $aa_raw same-machine, $aa_ratio ratio-to-floor (target: at most $((n / 20)) in $n); $aa_undecided gates inconclusive"
	echo "slowdowns of 15% caught in $n A/B pairs: $ab_caught (target: at least 19 in 20); $ab_undecided inconclusive"
	echo "gate-validate: $verdict"
} | tee -a "$out/summary.txt"
[ "$verdict" = PASS ]
