#!/usr/bin/env bash
# Scans the Go code of Strata's binaries (the frontend image's and the CLI's)
# for known vulnerabilities with govulncheck. Its online database is out of
# reach here, so the database is built from a pinned snapshot of the
# golang.org/x/vulndb module (its data/osv files) that the Go module proxy
# serves, with vulndb's own indexdb command; built once per snapshot under the
# cache dir. Exits non-zero when a vulnerable symbol is reachable.
#
#   bash hack/vulncheck.sh            # the snapshot below
#   VULNDB=<pseudo-version> bash hack/vulncheck.sh
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"

# Newer snapshots: `go list -m -versions golang.org/x/vulndb` lists none
# (pseudo-versions only); take the proxy's @latest and pin it here.
VULNDB=${VULNDB:-v0.0.0-20261105234957-e22db6528018}
GOVULNCHECK=v1.9.0
# The toolchain the frontend image is built with, read from the Dockerfile so
# the two cannot drift: the standard library's findings are the shipped binary's.
GOTOOLCHAIN=$(sed -n 's/^ENV GOTOOLCHAIN=//p' Dockerfile)
[[ -n $GOTOOLCHAIN ]] || die "the Dockerfile names no GOTOOLCHAIN"
export GOTOOLCHAIN

db=$STRATA_CACHE/vulndb/$VULNDB
if [[ ! -s $db/index/db.json ]]; then
	log "building the vulnerability database from golang.org/x/vulndb@$VULNDB"
	src=$(GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$VULNDB" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[[ -d $src/data/osv ]] || die "golang.org/x/vulndb@$VULNDB has no data/osv"
	rm -rf "$db.tmp" && mkdir -p "$(dirname "$db")"
	GOFLAGS=-mod=mod go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB" -vulns "$src/data/osv" -out "$db.tmp"
	mv "$db.tmp" "$db"
fi
log "govulncheck $GOVULNCHECK ($(go env GOVERSION), database golang.org/x/vulndb@$VULNDB)"
GOFLAGS=-mod=mod go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK" -db "file://$db" ./cmd/...
