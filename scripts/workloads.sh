#!/usr/bin/env bash
# workloads.sh: measures the seed's workloads (DESIGN 8) for every codec and
# peer, and writes one matrix directory per part under results/workloads/:
#
#   call/         the default request/response call, tcp (the reference)
#   watch/        --workload watch: 1,000 watchers, 1,000 Sets/s, tcp
#   duplex/       --workload duplex, bytes:16 both ways, over one
#                 connection (duplex: yamux) and over two (reverse)
#   duplex-bulk/  the same with bytes:64KiB going down while bytes:16 goes
#                 up: what head-of-line blocking does to the small calls
#
# Then render them with
#   rpcbench report -o results/workloads/REPORT.md results/workloads/*
#
# Usage: scripts/workloads.sh [--duration 2s] [--warmup 500ms] [--count 5] [--out results/workloads]
# Run it on a quiet machine: every figure is measured, none is made up.
set -euo pipefail

out=results/workloads
duration=2s
warmup=500ms
count=5
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--count) count=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "workloads.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
	esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$repo" && go build -o "$bin/rpcbench" ./cmd/rpcbench)

matrix() {
	local dir=$1
	shift
	echo "workloads.sh: $dir" >&2
	"$bin/rpcbench" matrix --codecs all --peers grpc,thrift,floor \
		--duration "$duration" --warmup "$warmup" --count "$count" -o "$out/$dir" "$@"
}

matrix call --workload call --transport tcp --payload bytes:16,bytes:1KiB
matrix watch --workload watch --transport tcp --watchers 1000 --rate 1000 --conns 4
matrix duplex --workload duplex --transport duplex,reverse --payload bytes:16 --concurrency 4 --back-concurrency 4
matrix duplex-bulk --workload duplex --transport duplex,reverse --payload bytes:64KiB --back-payload bytes:16 --concurrency 4 --back-concurrency 4

echo "workloads.sh: done; render with: rpcbench report -o $out/REPORT.md $out/*/" >&2
