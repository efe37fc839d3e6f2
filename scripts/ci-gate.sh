#!/usr/bin/env bash
# The CI regression gate: a short matrix of every codec beside the floor,
# gated against results/baseline (time as a ratio to the in-run floor, so
# a slower CI machine is not a regression).
#
#   scripts/ci-gate.sh             run the short matrix and gate it (CI)
#   scripts/ci-gate.sh --baseline  re-measure results/baseline (commit it)
#
# Both use the same configurations; the baseline takes more repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."

matrix=(--codecs all --peers floor --payloads arith,bytes:1KiB,records:100
  --concurrency 1 --conns 1 --duration 300ms --warmup 100ms)

mkdir -p .bin
go build -o .bin/rpcbench ./cmd/rpcbench

if [ "${1:-}" = "--baseline" ]; then
  exec .bin/rpcbench matrix "${matrix[@]}" --count 10 -o results/baseline
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.bin/rpcbench matrix "${matrix[@]}" --count 6 -o "$out" >/dev/null
.bin/rpcbench gate --baseline results/baseline "$out"
