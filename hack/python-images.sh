# shellcheck shell=bash
# Stand-in python images, laid out as the official ones as far as Debian's
# python allows, and a stand-in for uv's image. Sourced by images.sh: uses
# its work dir, ROOTFS_CACHE, HOST_CA, AMD64 and its needed, push and
# rootfs_tar helpers.
#
# python:<M.m>, python:<M.m.p> and their -<suite> names: the builder, with what
# the official image has for building wheels: buildpack-deps' compilers and
# library headers (libpq, MariaDB, libxml2, libffi, OpenSSL …) and
# python3-dev. The -slim and
# -slim-<suite> names: the runtime, python3 with venv and pip and
# ca-certificates on minimal Debian. Python is Debian's (bookworm has 3.11,
# trixie 3.13), so M.m.p is the version Debian ships, read from the rootfs.
# Both variants share one debootstrap per suite as their first layer; the
# builder adds a layer with the compiler and headers. The interpreter is
# Debian's /usr/bin/python3.X; /usr/local/bin has the links the official
# images have there (python3.X, python3, python, pip, pip3, pip3.X, pydoc3,
# pydoc, and python3-config, python-config in the builder), and Debian's
# EXTERNALLY-MANAGED marker is gone (the official python is not marked so).
# A virtualenv made in the builder (home = /usr/local/bin) thus runs in slim.
# The config is the official one (PATH, LANG where the official image still
# sets it, PYTHON_VERSION, CMD python3, root, no WORKDIR) plus this machine's
# quirks.
#
# astral-sh/uv:<version>: uv's image (ghcr.io/astral-sh/uv, scratch with /uv
# and /uvx), from the static musl build that uv's wheel on the package index
# carries. buildkitd mirrors ghcr.io to the local registry (from the next
# hack/up.sh on; until then use the localhost:5000 name).
#
# Root filesystems, layers and the wheel are cached under $STRATA_CACHE: a
# wiped registry needs no download.
# shellcheck disable=SC2154 # work, ROOTFS_CACHE, HOST_CA and AMD64 are set by images.sh

# The Python lines: the Debian suite and the python3.X it ships.
PY_RELEASES=(
	# suite  python
	"bookworm 3.11"
	"trixie   3.13"
)
# Slim rootfs (also the builder's first layer); debootstrap leaves out
# Recommends, so pip does not pull in a compiler here.
PY_SLIM_INCLUDE=ca-certificates,python3,python3-venv,python3-pip
# What the builder's second layer installs: buildpack-deps' list (the
# official python image's base, the same for bookworm and trixie) without
# ImageMagick and its headers (hundreds of MB, for Wand, which loads the
# library at run time anyway), plus python3-dev for Python's own headers.
PY_BUILDER_DEBS=(python3-dev
	autoconf automake bzip2 default-libmysqlclient-dev dpkg-dev file g++ gcc
	libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev libevent-dev libffi-dev
	libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev liblzma-dev
	libmaxminddb-dev libncurses5-dev libncursesw5-dev libpng-dev libpq-dev
	libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev
	libxslt-dev libyaml-dev make patch unzip xz-utils zlib1g-dev)
# The builder layer's cache file is named by that list, so a new list
# builds a new layer.
PY_BUILDER_KEY=$(printf '%s\n' "${PY_BUILDER_DEBS[@]}" | sha256sum | cut -c1-12)

# uv's release, and the sha256 of its musllinux x86_64 wheel as the index
# served it when pinned (pip checks the download against it).
UV_VERSION=0.13.9
UV_WHEEL_SHA256=2c45530751517d6c3bbc69a19473f6effe47cce047bede01ffd8af7ea7b36b25
PYPI_CACHE=$STRATA_CACHE/pypi

# py_fixup DIR NAME: rootfs_tar's hook. What the official images have and
# Debian's python lacks, and the version file (NAME.version, M.m.p) that
# names the tags.
py_fixup() {
	local d=$1 minor v
	minor=$(readlink "$d/usr/bin/python3") # python3.X
	[[ $minor == python3.* && -x $d/usr/bin/$minor ]] || die "$2: no python3.X in /usr/bin"
	rm -f "$d/usr/lib/$minor/EXTERNALLY-MANAGED"
	ln -s "/usr/bin/$minor" "$d/usr/local/bin/$minor"
	ln -s "$minor" "$d/usr/local/bin/python3"
	ln -s python3 "$d/usr/local/bin/python"
	ln -s /usr/bin/pip3 "$d/usr/local/bin/pip3"
	ln -s pip3 "$d/usr/local/bin/${minor/python/pip}"
	ln -s pip3 "$d/usr/local/bin/pip"
	ln -s "/usr/bin/${minor/python/pydoc}" "$d/usr/local/bin/pydoc3"
	ln -s pydoc3 "$d/usr/local/bin/pydoc"
	v=$(chroot "$d" "/usr/bin/$minor" -c 'import platform; print(platform.python_version())')
	[[ $v == "${minor#python}".* ]] || die "$2: $minor reports version '$v'"
	echo "$v" >"$ROOTFS_CACHE/$2.version"
}

# py_builder_layer NAME: $ROOTFS_CACHE/NAME-builder-KEY.tar, what installing
# PY_BUILDER_DEBS with apt changes in the rootfs NAME.tar, plus the
# python-config links.
py_builder_layer() {
	local out=$ROOTFS_CACHE/$1-builder-$PY_BUILDER_KEY.tar d=$work/builder-$1 minor
	[[ -f $out ]] && return 0
	log "${PY_BUILDER_DEBS[*]} in $1"
	mkdir -p "$d"
	tar -C "$d" -xf "$ROOTFS_CACHE/$1.tar"
	touch "$work/builder-$1.start"
	# apt needs name resolution and /dev/null; neither stays in the image.
	cp -L /etc/resolv.conf "$d/etc/resolv.conf"
	mknod -m 0666 "$d/dev/null" c 1 3
	if ! { chroot "$d" apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive chroot "$d" apt-get install -y -qq \
			--no-install-recommends "${PY_BUILDER_DEBS[@]}"; } >"$work/builder-$1.log" 2>&1; then
		tail -n 30 "$work/builder-$1.log" >&2
		die "apt-get install ${PY_BUILDER_DEBS[*]} in $1 failed"
	fi
	rm -rf "$d"/etc/resolv.conf "$d"/dev/null "$d"/var/cache/apt/*.bin "$d"/var/cache/apt/archives/*.deb \
		"$d"/var/lib/apt/lists/* "$d"/var/log/*.log "$d"/var/log/apt/*
	minor=$(readlink "$d/usr/bin/python3")
	[[ -x $d/usr/bin/$minor-config ]] || die "$1: no $minor-config after installing python3-dev"
	ln -s "/usr/bin/$minor-config" "$d/usr/local/bin/$minor-config"
	ln -s "$minor-config" "$d/usr/local/bin/python3-config"
	ln -s python3-config "$d/usr/local/bin/python-config"
	# A package's trigger must not have replaced the host bundle.
	cmp -s "$HOST_CA" "$d$HOST_CA" || die "$1: apt replaced $HOST_CA"
	# What changed, by ctime, with changed directories' entries, as a layer
	# diff has them (as node_setup in node-images.sh).
	(cd "$d" && find . -cnewer "$work/builder-$1.start" ! -path . -print0 | sort -z) >"$work/builder-$1.list"
	tar --numeric-owner --no-recursion --null -C "$d" -T "$work/builder-$1.list" -cf "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$d"
}

# py_tags VERSION SUFFIX...: library/python:<VERSION> with every suffix.
py_tags() {
	local v=$1 s tags=()
	shift
	for s; do tags+=("library/python:$v$s"); done
	echo "${tags[*]}"
}

ctx=$work/python
mkdir -p "$ctx"
for release in "${PY_RELEASES[@]}"; do
	read -r suite minor <<<"$release"
	name=python-$suite
	# The patch version is known once the rootfs is; without it, build.
	patch=$(cat "$ROOTFS_CACHE/$name.version" 2>/dev/null || true)
	for variant in builder slim; do
		if [[ $variant == builder ]]; then suffixes=("" "-$suite"); else suffixes=(-slim "-slim-$suite"); fi
		refs=$(py_tags "$minor" "${suffixes[@]}")
		# A tag naming the builder's package list: a registry that has the
		# builder from another list builds it anew.
		[[ $variant != builder ]] || refs+=" library/python:$minor-strata-builder-$PY_BUILDER_KEY"
		[[ -z $patch ]] || refs+=" $(py_tags "$patch" "${suffixes[@]}")"
		# shellcheck disable=SC2086 # refs is a word list
		[[ -z $patch ]] || needed $refs || continue
		rootfs_tar "$name" "$PY_SLIM_INCLUDE" "$suite" py_fixup
		if [[ -z $patch ]]; then
			patch=$(cat "$ROOTFS_CACHE/$name.version")
			refs+=" $(py_tags "$patch" "${suffixes[@]}")"
		fi
		[[ $patch == "$minor".* ]] || die "$suite ships python $patch, not $minor"
		layers=("$name.tar")
		if [[ $variant == builder ]]; then
			py_builder_layer "$name"
			layers+=("$name-builder-$PY_BUILDER_KEY.tar")
		fi
		for f in "${layers[@]}"; do
			[[ -e $ctx/$f ]] || ln "$ROOTFS_CACHE/$f" "$ctx/$f" 2>/dev/null || cp "$ROOTFS_CACHE/$f" "$ctx/$f"
		done
		# The official images dropped LANG from 3.13 on.
		lang=
		[[ $minor != 3.11 ]] || lang=$'\nENV LANG=C.UTF-8'
		{
			echo 'FROM scratch'
			printf 'ADD %s /\n' "${layers[@]}"
			cat <<EOF
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$lang
ENV PYTHON_VERSION=$patch
# This machine's quirks, in the stand-ins only (not Strata defaults): the
# system bundle alone holds the CA that re-signs outbound TLS here; pip in a
# virtualenv, requests (certifi) and uv (its own roots) need to be told. uv
# reads SSL_CERT_FILE in every version; UV_SYSTEM_CERTS is what uv 0.11+
# calls UV_NATIVE_TLS, which it still reads but warns about on every command.
ENV PIP_CERT=$HOST_CA REQUESTS_CA_BUNDLE=$HOST_CA SSL_CERT_FILE=$HOST_CA UV_SYSTEM_CERTS=1
CMD ["python3"]
EOF
		} >"$ctx/$variant-$suite.Dockerfile"
		push "$ctx" "$refs" "${AMD64[@]}" --opt filename="$variant-$suite.Dockerfile"
	done
done

# uv's wheel, downloaded once: it carries the static binary the stand-in
# image and the tests (which write uv.lock at run time) use.
uv_wheel() {
	local whl=uv-$UV_VERSION-py3-none-musllinux_1_1_x86_64.whl
	if [[ ! -f $PYPI_CACHE/$whl ]]; then
		log "pip download uv==$UV_VERSION ($whl)"
		mkdir -p "$PYPI_CACHE" "$work/pypi"
		# The host's pip: its index and CA; the pinned digest is checked.
		pip3 download --quiet --no-deps --only-binary=:all: --platform musllinux_1_1_x86_64 \
			--dest "$work/pypi" --require-hashes \
			-r <(echo "uv==$UV_VERSION --hash=sha256:$UV_WHEEL_SHA256")
		mv "$work/pypi/$whl" "$PYPI_CACHE/"
	fi
	echo "$PYPI_CACHE/$whl"
}

# astral-sh/uv:<version> and :<minor> (ghcr.io/astral-sh/uv's layout: /uv and
# /uvx, WORKDIR /io, ENTRYPOINT /uv).
if needed "astral-sh/uv:$UV_VERSION" "astral-sh/uv:${UV_VERSION%.*}"; then
	whl=$(uv_wheel)
	ctx=$work/uv
	mkdir -p "$ctx"
	unzip -q -j -d "$ctx" "$whl" "uv-$UV_VERSION.data/scripts/uv" "uv-$UV_VERSION.data/scripts/uvx"
	chmod 0755 "$ctx/uv" "$ctx/uvx"
	cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY uv uvx /
WORKDIR /io
ENTRYPOINT ["/uv"]
EOF
	push "$ctx" "astral-sh/uv:$UV_VERSION astral-sh/uv:${UV_VERSION%.*}" "${AMD64[@]}"
fi

# The same uv on the host, beside the test bed's tools.
if [[ ! -x $STRATA_BIN/uv ]]; then
	whl=$(uv_wheel)
	unzip -q -o -j -d "$STRATA_BIN" "$whl" "uv-$UV_VERSION.data/scripts/uv"
	chmod 0755 "$STRATA_BIN/uv"
fi

# poetry on the host, for the tests that write poetry.lock at run time.
POETRY_VERSION=2.5.1
if [[ ! -x $STRATA_BIN/poetry ]]; then
	log "pip install poetry==$POETRY_VERSION (host, for tests)"
	python3 -m venv "$STRATA_CACHE/poetry-$POETRY_VERSION"
	"$STRATA_CACHE/poetry-$POETRY_VERSION/bin/pip" install --quiet "poetry==$POETRY_VERSION"
	ln -sf "$STRATA_CACHE/poetry-$POETRY_VERSION/bin/poetry" "$STRATA_BIN/poetry"
fi

# pdm on the host, for the tests that write pdm.lock at run time (with
# its locked extra, as Strata installs it).
PDM_VERSION=2.29.3
if [[ ! -x $STRATA_BIN/pdm ]]; then
	log "pip install pdm[locked]==$PDM_VERSION (host, for tests)"
	python3 -m venv "$STRATA_CACHE/pdm-$PDM_VERSION"
	"$STRATA_CACHE/pdm-$PDM_VERSION/bin/pip" install --quiet "pdm[locked]==$PDM_VERSION"
	ln -sf "$STRATA_CACHE/pdm-$PDM_VERSION/bin/pdm" "$STRATA_BIN/pdm"
fi
