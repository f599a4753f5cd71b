#!/usr/bin/env bash
# Pushes stand-in base images into the local registry under their public names
# (no public registry is reachable here; buildkitd mirrors docker.io, gcr.io
# and ghcr.io to it). An image whose tags all exist is skipped unless FORCE=1.
# Root filesystems are cached as tarballs, so a wiped registry needs no
# debootstrap.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Tarball root entries become the image's /: never let a tight umask leak in.
umask 022
ROOTFS_CACHE=$STRATA_CACHE/rootfs
mkdir -p "$ROOTFS_CACHE" "$STRATA_CACHE/debs"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-images.XXXXXX")
cleanup() {
	# A failed debootstrap can leave proc/sys mounted inside the work dir.
	findmnt -rno TARGET | grep "^$work/" | sort -r | xargs -r umount -l || true
	rm -rf "$work"
}
trap cleanup EXIT

# Only the host bundle holds the CA that re-signs outbound TLS here.
HOST_CA=/etc/ssl/certs/ca-certificates.crt
ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'

# needed REF...: true if FORCE=1 or any repo:tag is missing from the registry.
needed() {
	[[ ${FORCE:-0} == 1 ]] && return 0
	local ref
	for ref; do
		curl -fsS -o /dev/null -I -H "Accept: $ACCEPT" \
			"http://$STRATA_REGISTRY/v2/${ref%:*}/manifests/${ref##*:}" 2>/dev/null || return 0
	done
	log "skip ${1%:*}: tags exist"
	return 1
}

# push CONTEXT "REF..." [buildctl args...]: build CONTEXT/Dockerfile and push
# it under every (space-separated) repo:tag.
push() {
	local ctx=$1 refs=$2 names
	shift 2
	names=$(sed -E "s|^|$STRATA_REGISTRY/|; s| +|,$STRATA_REGISTRY/|g" <<<"$refs")
	log "push $refs"
	buildctl build --progress=quiet --frontend dockerfile.v0 \
		--local context="$ctx" --local dockerfile="$ctx" "$@" \
		--output "type=image,\"name=$names\",push=true,registry.insecure=true"
}

# rootfs_tar NAME INCLUDES [SUITE [HOOK]]: debootstrap SUITE (bookworm by
# default) once into $ROOTFS_CACHE/NAME.tar; HOOK DIR NAME, if given, runs on
# the tree before it is cleaned and packed.
rootfs_tar() {
	local out=$ROOTFS_CACHE/$1.tar dir=$work/debootstrap-$1 suite=${3:-bookworm}
	[[ -f $out ]] && return 0
	log "debootstrap $suite as $1 (--include=$2)"
	# --cache-dir keeps the .debs, so even a rebuild downloads nothing.
	if ! debootstrap --variant=minbase --include="$2" --cache-dir="$STRATA_CACHE/debs" \
		"$suite" "$dir" >"$work/$1.log" 2>&1; then
		tail -n 30 "$work/$1.log" >&2
		die "debootstrap $1 failed"
	fi
	cp "$HOST_CA" "$dir$HOST_CA"
	[[ -z ${4:-} ]] || "$4" "$dir" "$1"
	# What an image must not carry: device nodes, host identity, apt caches.
	rm -rf "${dir:?}"/dev/* "$dir"/proc/* "$dir"/sys/* "$dir"/tmp/* "$dir"/run/* \
		"$dir"/etc/hostname "$dir"/etc/resolv.conf "$dir"/var/cache/apt/*.bin \
		"$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log
	tar --numeric-owner -C "$dir" -cf "$out.tmp" .
	mv "$out.tmp" "$out"
	rm -rf "$dir"
}

# context NAME [ROOTFS_TAR]: a fresh build context holding the tarball as
# rootfs.tar. Images use `ADD rootfs.tar /`, not COPY of an unpacked tree:
# COPY from a local context resets every owner to 0:0, ADD keeps them.
context() {
	local ctx=$work/$1
	mkdir -p "$ctx"
	[[ -z ${2:-} ]] || ln "$2" "$ctx/rootfs.tar" 2>/dev/null || cp "$2" "$ctx/rootfs.tar"
	echo "$ctx"
}

add_nonroot() { # add the distroless nonroot user (65532) to a root tree
	echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >>"$1/etc/passwd"
	echo 'nonroot:x:65532:' >>"$1/etc/group"
	install -d -m 0700 -o 65532 -g 65532 "$1/home/nonroot"
}

# distroless_dockerfile CTX TAR...: target "root" is :latest, "nonroot" is :nonroot.
distroless_dockerfile() {
	local ctx=$1 t
	shift
	{
		echo 'FROM scratch AS root'
		for t; do echo "ADD $t /"; done
		cat <<'EOF'
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

FROM root AS nonroot
USER 65532
WORKDIR /home/nonroot
EOF
	} >"$ctx/Dockerfile"
}

AMD64=(--opt platform=linux/amd64)

# debian:bookworm-slim / debian:bookworm
refs="library/debian:bookworm-slim library/debian:bookworm"
# shellcheck disable=SC2086 # refs is a word list
if needed $refs; then
	rootfs_tar debian-bookworm ca-certificates
	ctx=$(context debian "$ROOTFS_CACHE/debian-bookworm.tar")
	cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["bash"]
EOF
	push "$ctx" "$refs" "${AMD64[@]}"
fi

# gcr.io/distroless/base-debian12: glibc distroless, stood in for by Debian itself.
if needed gcr.io/distroless/base-debian12:latest gcr.io/distroless/base-debian12:nonroot; then
	rootfs_tar debian-bookworm ca-certificates
	ctx=$(context distroless-base "$ROOTFS_CACHE/debian-bookworm.tar")
	# A small second layer: Debian's passwd/group plus the nonroot user.
	o=$work/nonroot-overlay
	mkdir -p "$o"
	tar -C "$o" -xf "$ctx/rootfs.tar" ./etc/passwd ./etc/group
	add_nonroot "$o"
	tar --numeric-owner -C "$o" -cf "$ctx/nonroot.tar" .
	distroless_dockerfile "$ctx" rootfs.tar nonroot.tar
	push "$ctx" gcr.io/distroless/base-debian12:latest "${AMD64[@]}" --opt target=root
	push "$ctx" gcr.io/distroless/base-debian12:nonroot "${AMD64[@]}" --opt target=nonroot
fi

# gcr.io/distroless/static-debian12: no binaries, so it is built for both
# platforms without emulation and arm64 cross builds find it.
if needed gcr.io/distroless/static-debian12:latest gcr.io/distroless/static-debian12:nonroot; then
	ctx=$(context distroless-static)
	r=$work/static-rootfs
	install -d -m 0755 "$r/etc/ssl/certs" "$r/home"
	install -d -m 0700 "$r/root"
	install -d -m 1777 "$r/tmp"
	install -m 0644 "$HOST_CA" "$r$HOST_CA"
	printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
		'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' >"$r/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nobody:x:65534:' >"$r/etc/group"
	echo 'hosts: files dns' >"$r/etc/nsswitch.conf"
	add_nonroot "$r"
	tar --numeric-owner -C "$r" -cf "$ctx/rootfs.tar" .
	distroless_dockerfile "$ctx" rootfs.tar
	multi=(--opt "platform=linux/amd64,linux/arm64")
	push "$ctx" gcr.io/distroless/static-debian12:latest "${multi[@]}" --opt target=root
	push "$ctx" gcr.io/distroless/static-debian12:nonroot "${multi[@]}" --opt target=nonroot
fi

# golang:<ver>: Debian with a C toolchain and git (as the official image), plus Go.
ver=$STRATA_GO_VERSION minor=${STRATA_GO_VERSION%.*}
refs="library/golang:$ver library/golang:$minor library/golang:$ver-bookworm library/golang:$minor-bookworm"
# shellcheck disable=SC2086 # refs is a word list
if needed $refs; then
	rootfs_tar golang-bookworm ca-certificates,gcc,libc6-dev,git,openssh-client
	ctx=$(context golang "$ROOTFS_CACHE/golang-bookworm.tar")
	# Reuse the host Go when it is the pinned version, else fetch that toolchain.
	if [[ $(cd / && GOTOOLCHAIN=local go env GOVERSION) == "go$ver" ]]; then
		goroot=$(cd / && GOTOOLCHAIN=local go env GOROOT)
	else
		log "fetching go$ver toolchain"
		(cd / && GOTOOLCHAIN=go$ver go version >/dev/null)
		goroot=$(cd / && go env GOMODCACHE)/golang.org/toolchain@v0.0.1-go$ver.linux-amd64
	fi
	[[ -x $goroot/bin/go ]] || die "no Go toolchain at $goroot"
	# Go goes in a second layer (all root-owned, so COPY is fine), as upstream.
	mkdir -p "$ctx/go/usr/local/go" "$ctx/go/go/bin" "$ctx/go/go/src"
	tar -C "$goroot" --exclude=./pkg/obj -cf - . | tar -C "$ctx/go/usr/local/go" -xf -
	# Module cache copies are read-only; the official GOROOT is not.
	chmod -R u+w "$ctx/go/usr/local/go"
	chmod -R 1777 "$ctx/go/go"
	cat >"$ctx/Dockerfile" <<EOF
FROM scratch
ADD rootfs.tar /
COPY go/ /
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOPATH=/go GOTOOLCHAIN=local GOLANG_VERSION=$ver
WORKDIR /go
CMD ["bash"]
EOF
	push "$ctx" "$refs" "${AMD64[@]}"
fi

# node:22/24/26 and their -slim variants.
# shellcheck source=node-images.sh
. "$(dirname "$0")/node-images.sh"
# python:3.11/3.13 and their -slim variants; astral-sh/uv.
# shellcheck source=python-images.sh
. "$(dirname "$0")/python-images.sh"
# nginxinc/nginx-unprivileged:1.22 and caddy:2.6, Debian's servers.
# shellcheck source=static-images.sh
. "$(dirname "$0")/static-images.sh"
log "base images ready in $STRATA_REGISTRY"
