#!/usr/bin/env bash
# Installs what the test bed needs: runc, debootstrap, jq, curl, npm, pip,
# unzip and qemu-user-static from apt, and buildkitd, buildctl, the registry
# and buildx built from the pins in hack/tools.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

missing=()
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# demo.sh and images.sh read registry answers and OCI layouts with these.
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
# images.sh downloads the node stand-ins' packages with npm, and uv's wheel
# with pip (unzip takes the binaries out of it).
command -v npm >/dev/null || missing+=(npm)
command -v pip3 >/dev/null || missing+=(python3-pip)
command -v unzip >/dev/null || missing+=(unzip)
# The frontend built for arm64 runs under emulation in the determinism test.
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
if ((${#missing[@]})); then
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >/dev/null
fi

tools=(buildkitd buildctl registry buildx)
need=0
for t in "${tools[@]}"; do [[ -x $STRATA_BIN/$t ]] || need=1; done
if ((need)); then
	log "building ${tools[*]} into $STRATA_BIN (cold: several minutes)"
	mkdir -p "$STRATA_BIN"
	# Build into a temp dir and move, so an interrupted build never looks complete.
	tmp=$(mktemp -d "$STRATA_CACHE/bin/.build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cd "$STRATA_ROOT/hack/tools"
	export GOWORK=off
	# Stamp the pinned versions (module builds report v0.0.0+unknown otherwise,
	# which buildx shows and may compare against).
	v() { go list -m -f '{{.Version}}' "$1"; }
	ldflags="-X github.com/moby/buildkit/version.Version=$(v github.com/moby/buildkit)"
	ldflags+=" -X github.com/docker/buildx/version.Version=$(v github.com/docker/buildx)"
	CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
		github.com/moby/buildkit/cmd/buildkitd \
		github.com/moby/buildkit/cmd/buildctl \
		github.com/distribution/distribution/v3/cmd/registry \
		github.com/docker/buildx/cmd/buildx
	mv "$tmp"/* "$STRATA_BIN/"
fi

# The docker CLI finds buildx as a CLI plugin.
plugins=$HOME/.docker/cli-plugins
mkdir -p "$plugins"
if [[ $(readlink "$plugins/docker-buildx" 2>/dev/null) != "$STRATA_BIN/buildx" ]]; then
	ln -sfn "$STRATA_BIN/buildx" "$plugins/docker-buildx"
fi
log "tools ready in $STRATA_BIN"
