# shellcheck shell=bash
# Stand-in static file server images (what single-page apps are served from),
# laid out as the official ones around Debian's packages. Sourced by
# images.sh: uses its work dir, ROOTFS_CACHE, HOST_CA, AMD64 and its needed,
# push and rootfs_tar helpers.
#
# nginxinc/nginx-unprivileged:<M.m>, <M.m.p> and their -bookworm names:
# Debian's nginx with the official unprivileged image's configuration
# (/etc/nginx/nginx.conf without a user directive, pid and temp paths under
# /tmp, logs to stdout and stderr; /etc/nginx/conf.d/default.conf serving
# /usr/share/nginx/html on 8080), the nginx user and group (101), /etc/nginx
# and /var/cache/nginx owned by 101, USER 101, STOPSIGNAL SIGQUIT. No
# /docker-entrypoint.sh: the official one only runs /docker-entrypoint.d
# hooks (templates, IPv6 listen, worker tuning) before CMD.
#
# caddy:<M.m>, <M.m.p>: Debian's caddy with the official image's Caddyfile
# (/usr/share/caddy on :80), /config and /data as XDG config and data homes,
# WORKDIR /srv.
#
# The versions are Debian's, read from the rootfs (bookworm ships nginx 1.22
# and caddy 2.6, which the M.m below must match). Root filesystems are cached
# under $STRATA_CACHE: a wiped registry needs no download.
# shellcheck disable=SC2154 # work, ROOTFS_CACHE, HOST_CA and AMD64 are set by images.sh

STATIC_SUITE=bookworm
NGINX_MINOR=1.22
CADDY_MINOR=2.6

# static_apt DIR NAME PKG...: install Debian packages into the rootfs DIR
# with apt, no service started (policy-rc.d exits 101), and write
# $ROOTFS_CACHE/NAME.version: the first package's upstream version (M.m.p).
static_apt() {
	local d=$1 name=$2 rc=$1/usr/sbin/policy-rc.d v
	shift 2
	log "apt-get install $* in $name"
	printf '#!/bin/sh\nexit 101\n' >"$rc"
	chmod 0755 "$rc"
	# apt needs name resolution; rootfs_tar drops resolv.conf afterwards.
	cp -L /etc/resolv.conf "$d/etc/resolv.conf"
	[[ -c $d/dev/null ]] || mknod -m 0666 "$d/dev/null" c 1 3
	if ! { chroot "$d" apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive chroot "$d" apt-get install -y -qq \
			--no-install-recommends "$@"; } >"$work/$name-apt.log" 2>&1; then
		tail -n 30 "$work/$name-apt.log" >&2
		die "apt-get install $* in $name failed"
	fi
	rm -rf "$rc" "$d"/var/log/apt/*
	# A package's trigger must not have replaced the host bundle.
	cmp -s "$HOST_CA" "$d$HOST_CA" || die "$name: apt replaced $HOST_CA"
	# shellcheck disable=SC2016 # a dpkg-query format, not an expansion
	v=$(chroot "$d" dpkg-query -W -f '${Version}' "$1")
	v=${v#*:}   # epoch
	v=${v%%-*}  # Debian revision
	v=${v%%+*}  # repack suffix
	[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "$name: $1 has version '$v'"
	echo "$v" >"$ROOTFS_CACHE/$name.version"
}

# nginx_fixup DIR NAME: rootfs_tar's hook for the nginx-unprivileged image.
nginx_fixup() {
	local d=$1
	# The official image's user, made before apt so no package takes 101.
	chroot "$d" groupadd --system --gid 101 nginx
	chroot "$d" useradd --system --gid nginx --no-create-home --home /nonexistent \
		--comment 'nginx user' --shell /bin/false --uid 101 nginx
	static_apt "$d" "$2" nginx
	# Debian's server blocks and page are not the official image's.
	rm -rf "$d"/etc/nginx/sites-enabled/* "$d"/usr/share/nginx/html/*
	cat >"$d/etc/nginx/nginx.conf" <<'EOF'
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /tmp/nginx.pid;


events {
    worker_connections  1024;
}


http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;

    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
EOF
	mkdir -p "$d/etc/nginx/conf.d" "$d/var/cache/nginx"
	cat >"$d/etc/nginx/conf.d/default.conf" <<'EOF'
server {
    listen       8080;
    listen  [::]:8080;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
EOF
	printf '%s\n' '<!DOCTYPE html>' '<html>' '<head><title>Welcome to nginx!</title></head>' \
		'<body><h1>Welcome to nginx!</h1></body>' '</html>' >"$d/usr/share/nginx/html/index.html"
	printf '%s\n' '<!DOCTYPE html>' '<html>' '<head><title>Error</title></head>' \
		'<body><h1>An error occurred.</h1></body>' '</html>' >"$d/usr/share/nginx/html/50x.html"
	chmod 0644 "$d"/usr/share/nginx/html/*.html "$d"/etc/nginx/nginx.conf "$d"/etc/nginx/conf.d/default.conf
	ln -sf /dev/stdout "$d/var/log/nginx/access.log"
	ln -sf /dev/stderr "$d/var/log/nginx/error.log"
	# As the official image: 101 owns the cache and the config.
	chown -R 101:0 "$d/var/cache/nginx" "$d/etc/nginx"
	chmod -R g+w "$d/var/cache/nginx" "$d/etc/nginx"
}

# caddy_fixup DIR NAME: rootfs_tar's hook for the caddy image.
caddy_fixup() {
	local d=$1
	static_apt "$d" "$2" caddy
	mkdir -p "$d/config/caddy" "$d/data/caddy" "$d/etc/caddy" "$d/usr/share/caddy" "$d/srv"
	[[ -f $d/usr/share/caddy/index.html ]] ||
		echo '<!DOCTYPE html><html><body><h1>Caddy works!</h1></body></html>' >"$d/usr/share/caddy/index.html"
	cat >"$d/etc/caddy/Caddyfile" <<'EOF'
# The Caddyfile is an easy way to configure your Caddy web server.
#
# Unless the file starts with a global options block, the first
# uncommented line is always the address of your site.
#
# To use your own domain name (with automatic HTTPS), first make
# sure your domain's A/AAAA DNS records are properly pointed to
# this machine's public IP, then replace ":80" below with your
# domain name.

:80 {
	# Set this path to your site's directory.
	root * /usr/share/caddy

	# Enable the static file server.
	file_server

	# Another common task is to set up a reverse proxy:
	# reverse_proxy localhost:8080

	# Or serve a PHP site through php-fpm:
	# php_fastcgi localhost:9000
}

# Refer to the Caddy docs for more information:
# https://caddyserver.com/docs/caddyfile
EOF
	chmod 0644 "$d/etc/caddy/Caddyfile"
}

# static_image NAME HOOK MINOR DOCKERFILE-BODY REPO SUFFIX...: the image of
# rootfs NAME under REPO:<MINOR> and REPO:<M.m.p> with every suffix; the
# body follows FROM/ADD and may use @VERSION@ for M.m.p.
static_image() {
	local name=$1 hook=$2 minor=$3 body=$4 repo=$5 patch refs ctx s
	shift 5
	# The patch version is known once the rootfs is; without it, build.
	patch=$(cat "$ROOTFS_CACHE/$name.version" 2>/dev/null || true)
	refs=
	for s; do refs+=" $repo:$minor$s"; done
	if [[ -n $patch ]]; then
		for s; do refs+=" $repo:$patch$s"; done
		# shellcheck disable=SC2086 # refs is a word list
		needed $refs || return 0
	fi
	rootfs_tar "$name" ca-certificates "$STATIC_SUITE" "$hook"
	if [[ -z $patch ]]; then
		patch=$(cat "$ROOTFS_CACHE/$name.version")
		for s; do refs+=" $repo:$patch$s"; done
	fi
	[[ $patch == "$minor".* ]] || die "$STATIC_SUITE ships ${repo##*/} $patch, not $minor: update the tag"
	ctx=$(context "$name" "$ROOTFS_CACHE/$name.tar")
	{
		echo 'FROM scratch'
		echo 'ADD rootfs.tar /'
		echo 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
		echo "${body//@VERSION@/$patch}"
	} >"$ctx/Dockerfile"
	push "$ctx" "${refs# }" "${AMD64[@]}"
}

static_image static-nginx-$STATIC_SUITE nginx_fixup "$NGINX_MINOR" '
ENV NGINX_VERSION=@VERSION@
EXPOSE 8080
STOPSIGNAL SIGQUIT
USER 101
CMD ["nginx", "-g", "daemon off;"]' nginxinc/nginx-unprivileged "" "-$STATIC_SUITE"

static_image static-caddy-$STATIC_SUITE caddy_fixup "$CADDY_MINOR" '
ENV CADDY_VERSION=v@VERSION@ XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
VOLUME /config /data
EXPOSE 80 443 443/udp 2019
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]' library/caddy ""
