#!/usr/bin/env bash
# Builds the Strata frontend image for amd64 and arm64 with an
# organisation's defaults baked in, and pushes it:
#
#   bash hack/publish.sh registry.example.com/platform/strata:1.4 defaults.yaml
#
# The defaults file is checked first (strata defaults check). Without a
# defaults file the image is the plain frontend. Builds through the BuildKit
# daemon at $BUILDKIT_HOST (the local test bed's by default) with buildctl;
# PLATFORMS and VERSION override. The buildx equivalent, from this
# repository's root with the file copied to DIR/defaults.yaml:
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-context defaults=DIR -t IMAGE --push .
#
# It prints the pushed image's digest: pin the syntax line to it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || die "usage: bash hack/publish.sh IMAGE [DEFAULTS_FILE]"
image=$1
defaults=${2:-}
cd "$STRATA_ROOT"

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
if [[ -n $defaults ]]; then
	go run ./cmd/strata defaults check "$defaults"
	cp "$defaults" "$ctx/defaults.yaml"
fi

insecure=false
case $image in localhost:* | 127.0.0.1:*) insecure=true ;; esac

log "building $image (${PLATFORMS:-linux/amd64,linux/arm64})"
buildctl build --progress="${PROGRESS:-auto}" --frontend dockerfile.v0 \
	--local context=. --local dockerfile=. --local defaults="$ctx" \
	--opt context:defaults=local:defaults \
	--opt platform="${PLATFORMS:-linux/amd64,linux/arm64}" \
	--opt build-arg:VERSION="${VERSION:-dev}" \
	--output "type=image,name=$image,push=true,registry.insecure=$insecure" \
	--metadata-file "$ctx/metadata.json"
digest=$(jq -r '."containerimage.digest"' "$ctx/metadata.json")
log "pushed $image@$digest"
echo "$image@$digest"
