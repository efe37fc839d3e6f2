#!/usr/bin/env bash
# ci-gate.sh: rpcbench's regression gate for CI, run from the root of the
# repository under test (rpcbench itself, or a team's module with its own
# command built on rpcbench's cli package). action.yml calls it.
#
#   scripts/ci-gate.sh --base-ref origin/main     A/B: build the base commit's command and
#                                                 this tree's, run them interleaved on this
#                                                 machine, gate raw times (exit 1 on a regression)
#   scripts/ci-gate.sh --baseline results/baseline    gate against a committed baseline
#   scripts/ci-gate.sh --update-baseline results/baseline   re-measure it (then commit it)
#
# A/B is how to gate time on a shared CI runner: the runner is not the
# machine a committed baseline was measured on, and its speed moves from
# one job to the next, but two builds measured on it repetition by
# repetition see the same machine, so raw times compare (the gate checks
# that their environments match and says so). A committed baseline still
# gates what does not depend on the machine: with both --base-ref and
# --baseline, the baseline gates allocs/op and wire-B/op only.
#
# Flags (each also read from the environment variable shown, which is how
# action.yml passes its inputs):
#   --base-ref REF       RPCBENCH_BASE_REF   A/B against this commit
#   --baseline DIR       RPCBENCH_BASELINE   a committed matrix directory
#   --package PKG        RPCBENCH_PACKAGE    the main package to build, in the repository
#                                            (default ./cmd/rpcbench if it has one, else
#                                            rpcbench from this script's own tree)
#   --codecs LIST        RPCBENCH_CODECS     default all
#   --count N            RPCBENCH_COUNT      repetitions per side, default 10
#   --threshold PCT      RPCBENCH_THRESHOLD  default 10%
#   --alpha P            RPCBENCH_ALPHA      default 0.05: the U test's significance level
#   --matrix 'FLAGS'     RPCBENCH_MATRIX     the rest of the matrix's flags
#   --profile            RPCBENCH_PROFILE=true  save profiles; the gate names what grew
#   --summary FILE       GITHUB_STEP_SUMMARY     append the Markdown table, verdict first
#   --update-baseline DIR                    measure DIR with 2×count repetitions and stop
#   --out DIR            RPCBENCH_OUT        keep the runs here (default: a temporary directory)
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
rpcbench_src=$(dirname "$script_dir")

base_ref=${RPCBENCH_BASE_REF:-}
baseline=${RPCBENCH_BASELINE:-}
package=${RPCBENCH_PACKAGE:-}
codecs=${RPCBENCH_CODECS:-all}
count=${RPCBENCH_COUNT:-10}
threshold=${RPCBENCH_THRESHOLD:-10%}
alpha=${RPCBENCH_ALPHA:-0.05}
matrix_flags=${RPCBENCH_MATRIX:---payloads arith,bytes:1KiB,records:100 --concurrency 1 --conns 1 --calls 2000 --warmup 100ms}
profile=${RPCBENCH_PROFILE:-false}
summary=${GITHUB_STEP_SUMMARY:-}
update=
out=${RPCBENCH_OUT:-}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--base-ref) base_ref=$2; shift ;;
	--baseline) baseline=$2; shift ;;
	--package) package=$2; shift ;;
	--codecs) codecs=$2; shift ;;
	--count) count=$2; shift ;;
	--threshold) threshold=$2; shift ;;
	--alpha) alpha=$2; shift ;;
	--matrix) matrix_flags=$2; shift ;;
	--profile) profile=true ;;
	--summary) summary=$2; shift ;;
	--update-baseline) update=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) usage ;;
	*) echo "ci-gate.sh: unknown flag $1" >&2; usage ;;
	esac
	shift
done

repo=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$repo"
if [ -z "$base_ref" ] && [ -z "$baseline" ] && [ -z "$update" ] && [ -f results/baseline/bench.txt ]; then
	baseline=results/baseline # rpcbench's own CI (.ci/run)
fi
if [ -z "$package" ] && [ -d cmd/rpcbench ]; then
	package=./cmd/rpcbench
fi
if [ -z "$out" ]; then
	out=$(mktemp -d)
	trap 'git -C "$repo" worktree remove --force "$out/base-tree" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
else
	trap 'git -C "$repo" worktree remove --force "$out/base-tree" >/dev/null 2>&1 || true' EXIT
	mkdir -p "$out"
fi

# build TREE OUTPUT: the command, from TREE's $package, or rpcbench's own.
# -trimpath: the base is built in a worktree elsewhere on disk, and
# without it the paths compiled in would make two builds of the same code
# differ in layout, and so in timing: allocs/op, counted over a window,
# moved by 0.56 between two such builds of identical code.
build() {
	if [ -n "$package" ]; then
		(cd "$1" && go build -trimpath -o "$2" "$package")
	else
		(cd "$rpcbench_src" && go build -trimpath -o "$2" ./cmd/rpcbench)
	fi
}

# shellcheck disable=SC2206 # the matrix flags are words on purpose
matrix=(matrix --codecs "$codecs" --peers floor $matrix_flags)
head=$out/head-bin
build "$repo" "$head"
"$head" version >&2

if [ -n "$update" ]; then
	exec "$head" matrix "${matrix[@]:1}" --count $((2 * count)) -o "$update"
fi

status=0
report() { # report TITLE GATE-ARGS...: gates, prints, appends to the summary
	local title=$1 s=0
	shift
	"$head" gate --threshold "$threshold" --alpha "$alpha" --format markdown "$@" >"$out/gate.md" 2>"$out/gate.err" || s=$?
	"$head" gate --threshold "$threshold" --alpha "$alpha" "$@" || true
	if [ -n "$summary" ]; then
		{
			echo "## rpcbench gate: $title"
			echo
			cat "$out/gate.md"
			if [ -s "$out/gate.err" ]; then
				printf '\n```\n%s\n```\n' "$(cat "$out/gate.err")"
			fi
			echo
		} >>"$summary"
	fi
	# A regression outranks an undecidable input.
	if [ "$s" = 1 ] || { [ "$s" != 0 ] && [ "$status" = 0 ]; }; then
		status=$s
	fi
}

if [ -n "$base_ref" ]; then
	if [ -z "$package" ]; then
		echo "ci-gate.sh: --base-ref needs a command built from this repository (--package ./cmd/NAME): rpcbench's own would be the same on both sides" >&2
		exit 2
	fi
	if ! git rev-parse -q --verify "$base_ref^{commit}" >/dev/null; then
		git fetch -q --no-tags --depth=1 origin "$base_ref"
		base_ref=FETCH_HEAD
	fi
	base_rev=$(git rev-parse --short "$base_ref^{commit}")
	head_rev=$(git rev-parse --short HEAD)
	git worktree add -q --detach "$out/base-tree" "$base_rev"
	build "$out/base-tree" "$out/base-bin"
	mkdir -p "$out/base" "$out/head"
	# One repetition of each side at a time, the order alternating
	# (ABBA...), so that drift and warm-up fall on both alike.
	for i in $(seq "$count"); do
		extra=()
		if [ "$i" = 1 ] && [ "$profile" = true ]; then extra=(--profile); fi
		sides=(base head)
		if [ $((i % 2)) = 0 ]; then sides=(head base); fi
		for side in "${sides[@]}"; do
			bin=$out/base-bin
			[ "$side" = head ] && bin=$head
			echo "ci-gate.sh: repetition $i of $count: $side" >&2
			"$bin" "${matrix[@]}" --count 1 "${extra[@]}" -o "$out/$side-$i" >/dev/null 2>>"$out/matrix.log"
			cat "$out/$side-$i/bench.txt" >>"$out/$side/bench.txt"
			if [ -d "$out/$side-$i/profiles" ]; then mv "$out/$side-$i/profiles" "$out/$side/"; fi
		done
	done
	report "$head_rev against $base_rev ($count interleaved repetitions on this machine)" --baseline "$out/base" "$out/head"
	if [ -n "$baseline" ]; then
		report "exact counts against $baseline" --units allocs/op,wire-B/op --baseline "$baseline" "$out/head"
	fi
elif [ -n "$baseline" ]; then
	extra=()
	if [ "$profile" = true ]; then extra=(--profile); fi
	"$head" "${matrix[@]}" --count "$count" "${extra[@]}" -o "$out/head" >/dev/null 2>>"$out/matrix.log"
	report "against $baseline" --baseline "$baseline" "$out/head"
else
	echo "ci-gate.sh: want --base-ref REF (A/B on this machine) or --baseline DIR" >&2
	exit 2
fi
exit "$status"
