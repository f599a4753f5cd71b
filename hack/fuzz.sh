#!/usr/bin/env bash
# Runs every fuzz target for a while: `bash hack/fuzz.sh [duration] [target-regexp]`
# (default 30s each, all targets). Inputs that fail are written under the
# package's testdata/fuzz/<Target>/: commit them with the fix, and plain
# `go test ./...` replays them from then on. Minimizing a new input is
# capped, since the seeds (whole lockfiles) are large.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"

duration=${1:-30s}
only=${2:-.}
targets=(
	./frontend/spec:FuzzParse
	./frontend/pipeline:FuzzDescription
	./frontend/pipeline:FuzzGoModules
	./frontend/pipeline:FuzzNodeFiles
	./frontend/pipeline:FuzzPythonFiles
	./dockerfile:FuzzRender
)
for t in "${targets[@]}"; do
	pkg=${t%%:*} name=${t##*:}
	[[ $name =~ $only ]] || continue
	log "fuzz $name ($pkg) for $duration"
	go test "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$duration" -fuzzminimizetime 5s
done
