#!/usr/bin/env bash
# The side-by-side rebuild benchmark (hack/bench) on a test bed that is
# already up (KEEP_UP=1 bash hack/test.sh, or hack/up.sh + images.sh): pushes
# this tree's frontend image, then builds the example apps with a naive
# Dockerfile, an expert one, Strata, Strata's ejected Dockerfile, ko and the
# host's go build, and writes docs/benchmarks.md (generated section),
# docs/bench/results.json and docs/bench/rebuilds.svg. Flags go to the
# program: bash hack/bench.sh --quick, bash hack/bench.sh --provisional.
# On a shared bed, hold its lock for the whole run (flock LOCKFILE bash hack/bench.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"

[[ -S $STRATA_BUILDKIT_SOCK ]] || die "the test bed is not up (no $STRATA_BUILDKIT_SOCK): KEEP_UP=1 bash hack/test.sh, or hack/up.sh and hack/images.sh"
# the --budget counts from here: the frontend image's build is part of the run
STRATA_BENCH_STARTED=$(date +%s)
export STRATA_BENCH_STARTED
PLATFORMS=${PLATFORMS:-linux/amd64} bash hack/frontend.sh
go run ./hack/bench "$@"
