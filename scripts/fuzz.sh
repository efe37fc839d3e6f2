#!/usr/bin/env bash
# Fuzz every Fuzz target in the module for SECONDS each (default 15), one
# at a time: `go test -fuzz` takes one target in one package per run.
# CI runs it short; to hunt for longer, give more seconds, or fuzz one
# target by hand:
#   go test -run '^$' -fuzz '^FuzzDecodeRequest$' -fuzztime 10m ./codecs/msgpack
# A crasher lands in that package's testdata/fuzz/FuzzXxx/: fix the code,
# keep the file (it is then a regression test of every `go test`).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}

# `go test -list` prints each package's matching names, then its "ok" line.
targets=()
names=()
while read -r first second _; do
  case $first in
    Fuzz*) names+=("$first") ;;
    ok)
      for n in "${names[@]}"; do targets+=("$second $n"); done
      names=()
      ;;
  esac
done < <(go test -list '^Fuzz' ./...)

if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no Fuzz targets found" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each"
failed=()
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "fuzz.sh: $pkg $name"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "${seconds}s" "$pkg"; then
    failed+=("$t")
  fi
done
echo "fuzz.sh: ran, ${seconds}s each:"
printf '  %s\n' "${targets[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: FAILED (the crashing input is in the package's testdata/fuzz/):"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
