#!/usr/bin/env bash
# All tests: vet and unit tests, then the integration tests against a real
# buildkitd + registry (daemons stopped at the end unless KEEP_UP=1).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"

log "gofmt, go vet"
unformatted=$(gofmt -l .)
[[ -z $unformatted ]] || die "not gofmt-ed: $unformatted"
go vet ./...
go vet -tags integration ./integration/...
log "unit tests"
go test ./...
log "fuzz smoke (the seeds ran above; 5s of new inputs for each target)"
bash hack/fuzz.sh 5s
log "known vulnerabilities in the binaries' dependencies"
bash hack/vulncheck.sh

bash hack/install.sh
[[ ${KEEP_UP:-0} == 1 ]] || trap 'bash hack/down.sh' EXIT
bash hack/up.sh
bash hack/images.sh
bash hack/frontend.sh

[[ -d integration ]] || die "no ./integration tests found"
log "integration tests (BUILDKIT_HOST=$BUILDKIT_HOST)"
go test -tags integration -count=1 -timeout 80m -parallel 3 -v ./integration/...
