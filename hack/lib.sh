# shellcheck shell=bash
# Shared settings for the Strata test bed scripts. Source it; do not run it.

STRATA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STRATA_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/strata

# Go version of the golang stand-in image (and of the host's tests; the frontend
# image's binary is built with the newer toolchain the Dockerfile names).
STRATA_GO_VERSION=${STRATA_GO_VERSION:-1.26.8}

# Tool binaries are keyed on the tools' go.sum, so changing a pin rebuilds them.
_strata_tools_hash=$(sha256sum "$STRATA_ROOT/hack/tools/go.sum" | cut -c1-12)
STRATA_BIN=$STRATA_CACHE/bin/$_strata_tools_hash
# buildkitd state and registry blobs persist across runs so reruns hit warm caches.
STRATA_BUILDKIT_STATE=$STRATA_CACHE/buildkitd
STRATA_REGISTRY_DATA=$STRATA_CACHE/registry
# Pid files, logs, sockets, generated configs, build outputs.
STRATA_RUN=$STRATA_CACHE/run

STRATA_BUILDKIT_SOCK=$STRATA_RUN/buildkitd.sock
STRATA_BUILDKIT_ADDR=unix://$STRATA_BUILDKIT_SOCK
BUILDKIT_HOST=$STRATA_BUILDKIT_ADDR
STRATA_REGISTRY=localhost:5000
BUILDX_BUILDER=strata
case ":$PATH:" in
*":$STRATA_BIN:"*) ;;
*) PATH=$STRATA_BIN:$PATH ;;
esac

export STRATA_ROOT STRATA_CACHE STRATA_GO_VERSION STRATA_BIN STRATA_BUILDKIT_STATE \
	STRATA_REGISTRY_DATA STRATA_RUN STRATA_BUILDKIT_SOCK STRATA_BUILDKIT_ADDR \
	BUILDKIT_HOST STRATA_REGISTRY BUILDX_BUILDER PATH

log() {
	printf '[strata %s +%ss] %s\n' "$(basename "$0" .sh)" "$SECONDS" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}
