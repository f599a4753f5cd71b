#!/usr/bin/env bash
# The main job: bring the test bed up, build examples/go-service through the
# Strata frontend with docker buildx, and summarise the image. Daemons are
# stopped at the end unless KEEP_UP=1.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$STRATA_ROOT"

[[ ${KEEP_UP:-0} == 1 ]] || trap 'bash hack/down.sh' EXIT
bash hack/install.sh
bash hack/up.sh
bash hack/images.sh
bash hack/frontend.sh

out=$STRATA_RUN/go-service.tar
log "docker buildx build examples/go-service"
# The remote driver cannot --load: there is no Docker engine here, so the image
# is exported as an OCI layout tarball instead.
docker buildx build --output "type=oci,dest=$out" examples/go-service

# Summarise from the OCI layout: follow index.json to the first real image
# manifest (skipping attestation manifests).
blob() { tar -xOf "$out" "blobs/sha256/${1#sha256:}"; }
pick='[.manifests[] | select(.annotations["vnd.docker.reference.type"] != "attestation-manifest")][0]'
desc=$(tar -xOf "$out" index.json | jq -c "$pick")
while [[ $(jq -r .mediaType <<<"$desc") == *index* ]]; do
	desc=$(blob "$(jq -r .digest <<<"$desc")" | jq -c "$pick")
done
manifest=$(blob "$(jq -r .digest <<<"$desc")")
config=$(blob "$(jq -r .config.digest <<<"$manifest")")
{
	echo "image: $out ($(du -h "$out" | cut -f1) on disk)"
	jq -r '"platform: \(.os)/\(.architecture)  user: \(.config.User // "")  workdir: \(.config.WorkingDir // "")",
		"entrypoint: \(.config.Entrypoint // [] | join(" "))  cmd: \(.config.Cmd // [] | join(" "))"' <<<"$config"
	jq -r '.layers | "layers: \(length), compressed total: \(map(.size) | add) bytes",
		(to_entries[] | "  #\(.key)  \(.value.size) bytes  \(.value.digest[7:19])")' <<<"$manifest"
} >&2

# Run it the way the test bed runs images (runc, host network) and ask it.
log "running the image under runc"
go run ./hack/runimage -tar "$out" -env ADDR=127.0.0.1:18080 -get http://127.0.0.1:18080/
