#!/usr/bin/env bash
# networks.sh: how each codec and transport holds up off loopback, written
# under results/networks/ as one matrix directory per part:
#
#   profile-NET/   every codec and gRPC over tcp, duplex (yamux over one
#                  connection) and quic, 1 and 16 callers, under the --net
#                  profiles lan, wan and lossy-wan (rpcbench list has their
#                  figures)
#   loss-PCT/      msgpack and gRPC over tcp, duplex and quic, 16 callers,
#                  1ms one way with 0%, 0.1%, 1% and 5% of packets lost
#                  (seed 1): the tails against the loss rate
#   partition/     msgpack and gRPC over tcp, duplex and quic, 16 callers,
#                  1ms one way, the link down for 300ms every 2s: how long
#                  each takes to recover when the link comes back
#
# The emulation is rpcbench's own (transports/netem, DESIGN 4): this
# kernel has no sch_netem. Render them with the rest: scripts/results.sh report.
#
# Usage: scripts/networks.sh [--bin PATH] [--out results/networks] [--scale F]
# --bin runs a built rpcbench instead of building one; --scale multiplies
# every window (0.5 halves the run). Run it on a quiet machine.
set -euo pipefail

out=results/networks
bin=
scale=1
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bin=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	-h | --help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "networks.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
	esac
done
if [ -z "$bin" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	(cd "$(dirname "$0")/.." && go build -o "$dir/rpcbench" ./cmd/rpcbench)
	bin=$dir/rpcbench
fi
ms() { awk -v s="$scale" -v ms="$1" 'BEGIN { printf "%dms", s * ms }'; }

matrix() {
	local dir=$1
	shift
	echo "networks.sh: $dir" >&2
	rm -rf "${out:?}/$dir"
	"$bin" matrix --transports tcp,duplex,quic --payloads bytes:1KiB --count 1 -o "$out/$dir" "$@"
}

for net in lan wan lossy-wan; do
	matrix "profile-$net" --net "$net" --codecs all --peers grpc --concurrency 1,16 \
		--duration "$(ms 1200)" --warmup "$(ms 300)"
done
for loss in 0 0.1 1 5; do
	net=custom:latency=1ms
	[ "$loss" != 0 ] && net="$net,loss=$loss%,seed=1"
	matrix "loss-$loss" --net "$net" --codecs msgpack --peers grpc --concurrency 16 \
		--duration "$(ms 4000)" --warmup "$(ms 300)"
done
matrix partition --net custom:latency=1ms,partition=2s:300ms --codecs msgpack --peers grpc --concurrency 16 \
	--duration "$(ms 7000)" --warmup "$(ms 300)"
echo "networks.sh: done" >&2
