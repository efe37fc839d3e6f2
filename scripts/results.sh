#!/usr/bin/env bash
# results.sh [STEP...]: regenerates every committed result under results/
# and REPORT.md from them, in this order, printing each command before it
# runs and how long it took. With STEP names, runs only those steps (in
# this order, whatever order they are given in):
#
#   baseline         results/baseline         scripts/ci-gate.sh --update-baseline (the gate's baseline)
#   matrix           results/matrix           every codec and peer, 5 payloads, 1 and 16 callers
#   openloop         results/openloop/rate-*  msgpack, protobuf, gRPC and the floor at four fixed rates
#   explain          results/explain          msgpack, protobuf, gob, gRPC and the floor with --profile:
#                                             where the CPU per call goes (the breakdowns are kept in
#                                             results.json; the profiles themselves are not committed)
#   codecs           results/codecs           go test -bench Codec over transports/pipe, with benchstat
#   transports       results/transports       go test -bench Transport, with benchstat
#   workloads        results/workloads        scripts/workloads.sh, where there is one
#   networks         results/networks         scripts/networks.sh: codecs and transports off loopback
#   gate-validation  results/gate-validation  scripts/gate-validate.sh $GATE_PAIRS
#   report           REPORT.md, results/charts, results/report.html (and results/report.png
#                    where Chromium is installed)  rpcbench report over all of the above
#
#   scripts/results.sh                  # everything: about 27 minutes on an idle 2-core machine
#   scripts/results.sh matrix report    # re-measure the matrix and regenerate REPORT.md
#   scripts/results.sh report           # only regenerate REPORT.md and report.html from results/
#
# Run it on a quiet machine: the figures are what the machine did while it
# ran. Environment: GATE_PAIRS (default 20: the gate's rates are out of
# 20 pairs, ~10 minutes; fewer shortens it and coarsens the rates).
# results/scaling and results/soak are long measurements of their own
# (scripts/scale.sh, scripts/soak.sh), not regenerated here.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=(baseline matrix openloop explain codecs transports workloads networks gate-validation report)
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
for s in "$@"; do
	case " ${steps[*]} " in
	*" $s "*) ;;
	*) echo "results.sh: no step $s; steps: ${steps[*]}" >&2; usage ;;
	esac
done
selected=("$@")
want() { [ ${#selected[@]} -eq 0 ] || [[ " ${selected[*]} " == *" $1 "* ]]; }

gate_pairs=${GATE_PAIRS:-20}
echo "results.sh: steps: ${selected[*]:-${steps[*]}}"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
echo "+ go build -o $bin/rpcbench ./cmd/rpcbench && go build -o $bin/benchstat golang.org/x/perf/cmd/benchstat"
go build -o "$bin/rpcbench" ./cmd/rpcbench
go build -o "$bin/benchstat" golang.org/x/perf/cmd/benchstat
export PATH="$bin:$PATH"

# run CMD...: prints CMD as a person would type it, runs it, says how
# long it took, and returns its status.
run() {
	echo "+ $*"
	local start=$SECONDS status=0
	"$@" || status=$?
	echo "  ($((SECONDS - start))s, exit $status)"
	return $status
}
# run_to FILE CMD...: run, with CMD's standard output written to FILE.
run_to() {
	local file=$1
	shift
	echo "+ $* > $file"
	local start=$SECONDS
	"$@" >"$file"
	echo "  ($((SECONDS - start))s)"
}

failed=()
total=$SECONDS

if want baseline; then
	run scripts/ci-gate.sh --update-baseline results/baseline
fi

if want matrix; then
	rm -rf results/matrix
	run rpcbench matrix --codecs all --peers grpc,thrift,stdlib-gob,stdlib-json,floor \
		--payloads arith,bytes:16,bytes:1KiB,bytes:64KiB,records:100 --concurrency 1,16 \
		--count 3 --duration 500ms --warmup 200ms -o results/matrix
fi

rates=(5000 10000 20000 40000)
if want openloop; then
	rm -rf results/openloop
	for rate in "${rates[@]}"; do
		run rpcbench matrix --codecs msgpack,protobuf --peers grpc,floor --payloads bytes:1KiB \
			--concurrency 16 --rate "$rate" --count 3 --duration 1s --warmup 300ms -o "results/openloop/rate-$rate"
	done
fi

if want explain; then
	rm -rf results/explain
	run rpcbench matrix --codecs msgpack,protobuf,gob --peers grpc,floor --payloads bytes:16,bytes:1KiB \
		--concurrency 1,16 --count 3 --duration 1s --warmup 300ms --profile -o results/explain
	rm -rf results/explain/profiles
fi

if want codecs; then
	mkdir -p results/codecs
	run_to results/codecs/bench.txt go test ./codecs -run '^$' -bench '^BenchmarkCodec$' -benchtime 2000x -count 10
	run_to results/codecs/benchstat.txt benchstat -col /codec results/codecs/bench.txt
fi

if want transports; then
	mkdir -p results/transports
	run_to results/transports/bench.txt go test ./transports/all -run '^$' -bench '^BenchmarkTransport$' -benchtime 3000x -count 6
	run_to results/transports/benchstat.txt benchstat -col /transport results/transports/bench.txt
fi

if want workloads; then
	if [ -x scripts/workloads.sh ]; then
		run scripts/workloads.sh --duration 1s --warmup 300ms --count 3
	else
		echo "results.sh: no scripts/workloads.sh, skipping workloads"
	fi
fi

if want networks; then
	run scripts/networks.sh --bin "$bin/rpcbench"
fi

if want gate-validation; then
	# A FAIL verdict is a result too: keep it, show it in REPORT.md, and
	# exit 1 at the end.
	run scripts/gate-validate.sh "$gate_pairs" || failed+=("gate-validation (exit $?)")
fi

if want report; then
	inputs=(results/matrix)
	for rate in "${rates[@]}"; do
		[ -f "results/openloop/rate-$rate/results.json" ] && inputs+=("results/openloop/rate-$rate")
	done
	for dir in results/workloads results/workloads/*/ results/networks/*/; do
		dir=${dir%/}
		[ -f "$dir/results.json" ] && inputs+=("$dir")
	done
	flags=(-o REPORT.md --charts results/charts)
	[ -f results/gate-validation/summary.json ] && flags+=(--gate-validation results/gate-validation)
	# Breakdowns only: the profiled run's other figures, taken on another
	# day, would move the medians of every row it shares with the matrix.
	[ -f results/explain/results.json ] && flags+=(--breakdowns results/explain)
	run rpcbench report "${flags[@]}" --html results/report.html "${inputs[@]}"
	if command -v chromium >/dev/null 2>&1; then
		RPCBENCH_REPORT_HTML=$PWD/results/report.html RPCBENCH_SCREENSHOT=$PWD/results/report.png \
			run go test ./harness/report -run '^TestScreenshotOfTheReport$' -count=1
	else
		echo "results.sh: no chromium, results/report.png left as it was"
	fi
fi

echo "results.sh: done in $((SECONDS - total))s"
if [ ${#failed[@]} -gt 0 ]; then
	echo "results.sh: failed: ${failed[*]}" >&2
	exit 1
fi
