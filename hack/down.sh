#!/usr/bin/env bash
# Stops buildkitd and the registry started by up.sh, waiting for each to exit
# (buildkitd must be gone before anything reuses its state dir).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

stop() {
	local name=$1 pidfile=$STRATA_RUN/$1.pid pid i
	[[ -f $pidfile ]] || { log "$name: no pid file"; return 0; }
	pid=$(cat "$pidfile")
	# Only signal the pid if it is still the daemon we started.
	if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]; then
		log "stopping $name ($pid)"
		kill -TERM "$pid"
		for ((i = 0; i < 150; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$name did not exit in 30s, killing"
			kill -KILL "$pid"
			while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
		fi
	fi
	rm -f "$pidfile"
}

stop buildkitd
stop registry
rm -f "$STRATA_BUILDKIT_SOCK"
