#!/usr/bin/env bash
# Builds the frontend image from the root Dockerfile (stock dockerfile.v0
# frontend) for amd64 and arm64, and pushes it to the local registry, where
# `# syntax=localhost:5000/strata:dev` finds it. IMAGE, VERSION and PLATFORMS
# (e.g. linux/amd64 alone, for a quicker build while developing) override.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

IMAGE=${IMAGE:-$STRATA_REGISTRY/strata:dev}
cd "$STRATA_ROOT"
log "building $IMAGE"
buildctl build --progress="${PROGRESS:-auto}" --frontend dockerfile.v0 \
	--local context=. --local dockerfile=. \
	--opt platform="${PLATFORMS:-linux/amd64,linux/arm64}" \
	--opt build-arg:VERSION="${VERSION:-dev}" \
	--output "type=image,name=$IMAGE,push=true,registry.insecure=true"
log "pushed $IMAGE"
