#!/usr/bin/env bash
# Figures on the real test bed: cold build on an empty daemon, rebuild after a
# source edit, rebuild with nothing changed, and the runtime image's size.
# Brings the test bed up (and down unless KEEP_UP=1) like test.sh.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"

bash hack/install.sh
[[ ${KEEP_UP:-0} == 1 ]] || trap 'bash hack/down.sh' EXIT
bash hack/up.sh
bash hack/images.sh
bash hack/frontend.sh

log "description → LLB (no daemon)"
go test ./llb -run '^$' -bench . -benchmem
log "builds on the test bed"
go test -tags integration ./integration -run '^$' -bench 'ColdBuild|ImageSize' -benchtime 1x
go test -tags integration ./integration -run '^$' -bench 'Rebuild' -benchtime 5x
