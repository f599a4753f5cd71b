#!/usr/bin/env bash
# Starts the local registry and a root buildkitd in the background (skipping
# whatever already answers), then points a "strata" buildx builder at buildkitd.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$STRATA_RUN" "$STRATA_BUILDKIT_STATE" "$STRATA_REGISTRY_DATA"

registry_up() { curl -fsS -o /dev/null "http://$STRATA_REGISTRY/v2/" 2>/dev/null; }
buildkitd_up() { buildctl --addr "$STRATA_BUILDKIT_ADDR" debug workers >/dev/null 2>&1; }

# start NAME CMD...: run detached (own session, so the caller's job control
# cannot take it down), with a pid file and a log in $STRATA_RUN.
start() {
	local name=$1
	shift
	log "starting $name (log: $STRATA_RUN/$name.log)"
	setsid "$@" >>"$STRATA_RUN/$name.log" 2>&1 </dev/null &
	echo $! >"$STRATA_RUN/$name.pid"
}

# alive PID: running and not a zombie (a dead child of this script stays a
# zombie until we exit, and kill -0 would still succeed on it).
alive() { [[ -r /proc/$1/stat ]] && [[ $(cut -d' ' -f3 "/proc/$1/stat") != Z ]]; }

# wait_for NAME CHECK: poll until CHECK passes or the daemon dies.
wait_for() {
	local name=$1 check=$2 pid i
	pid=$(cat "$STRATA_RUN/$name.pid")
	for ((i = 0; i < 300; i++)); do
		"$check" && return 0
		alive "$pid" || { tail -n 20 "$STRATA_RUN/$name.log" >&2; die "$name exited"; }
		sleep 0.2
	done
	tail -n 20 "$STRATA_RUN/$name.log" >&2
	die "$name not ready after 60s"
}

if registry_up; then
	log "registry already answers on $STRATA_REGISTRY"
else
	cat >"$STRATA_RUN/registry.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STRATA_REGISTRY_DATA
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YAML
	# No tracing exporter: nothing here would receive the spans.
	OTEL_TRACES_EXPORTER=none start registry registry serve "$STRATA_RUN/registry.yml"
	wait_for registry registry_up
fi

if buildkitd_up; then
	log "buildkitd already answers on $STRATA_BUILDKIT_ADDR"
else
	# docker.io, gcr.io and ghcr.io come from the local registry: the public
	# ones are unreachable here, and images.sh pushes stand-ins under the public
	# names (ghcr.io/astral-sh/uv as localhost:5000/astral-sh/uv). buildkitd
	# reads this file when it starts: a change takes effect at the next start.
	cat >"$STRATA_RUN/buildkitd.toml" <<'TOML'
[worker.oci]
  enabled = true
  gc = true
  # Generous GC: warm caches are what make reruns fast. One explicit policy
  # replaces the defaults, whose first rule keeps only 512MB of cache mounts
  # (the Go build caches of the frontend image alone are larger).
  [[worker.oci.gcpolicy]]
    all = true
    reservedSpace = "10GB"
    maxUsedSpace = "40GB"
    minFreeSpace = "5GB"

[worker.containerd]
  enabled = false

[registry."localhost:5000"]
  http = true

[registry."docker.io"]
  mirrors = ["localhost:5000"]

[registry."gcr.io"]
  mirrors = ["localhost:5000/gcr.io"]

[registry."ghcr.io"]
  mirrors = ["localhost:5000"]
TOML
	rm -f "$STRATA_BUILDKIT_SOCK"
	start buildkitd buildkitd --config "$STRATA_RUN/buildkitd.toml" --root "$STRATA_BUILDKIT_STATE" \
		--addr "$STRATA_BUILDKIT_ADDR" --oci-worker-net=host
	wait_for buildkitd buildkitd_up
fi

# Recreate the builder each time (cheap) so it always points at this socket,
# and make it current so plain `docker buildx build .` uses it.
docker buildx rm "$BUILDX_BUILDER" >/dev/null 2>&1 || true
docker buildx create --name "$BUILDX_BUILDER" --driver remote "$STRATA_BUILDKIT_ADDR" --use >/dev/null
log "up: BUILDKIT_HOST=$BUILDKIT_HOST registry=$STRATA_REGISTRY builder=$BUILDX_BUILDER"
