#!/usr/bin/env bash
# Runs integration tests on a test bed that is already up (KEEP_UP=1 bash
# hack/test.sh, or hack/up.sh + images.sh + frontend.sh), with go test's
# flags: bash hack/it.sh -run 'TestNodeExpress|TestPythonUV'
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"
go test -tags integration -count=1 -timeout 60m -parallel 3 -v "$@" ./integration/...
