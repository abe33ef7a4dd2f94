#!/usr/bin/env bash
# Stage the production configuration (conf.example/nginx, modsecurity) in
# a directory, for `make run PROFILE=secure` and the tests: the shipped
# files, byte for byte, except for the rewrites below, so that what is
# tested is what a sysadmin installs.
#
# usage: stage-secure.sh DEST BUILD_DIR STORE HTTP_PORT HTTPS_PORT
#
# Rewrites (nothing else): the install paths /etc/nginx, /etc/mado,
# /var/lib/mado/store, /usr/share/mado/assets, /usr/share/mado/i18n and
# /var/log/nginx to the staged ones, the snakeoil certificate to the
# staged one; "listen 80"/"listen 443" to 127.0.0.1 and the given
# ports (IPv6 listens dropped); the redirect to https gains the port.
# DEST/nginx.conf is a Debian-like main file: the module, conf.d/*.conf and
# sites-enabled/* inside http {}.  A self-signed certificate for 127.0.0.1
# and localhost is made on first use.
set -euo pipefail

dest=${1:?dest} build=${2:?build dir} store=${3:?store} http=${4:?http port} https=${5:?https port}
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mkdir -p "$dest" && cd "$dest" && pwd)
build=$(cd "$build" && pwd)

mkdir -p "$dest"/etc/nginx/{conf.d,sites-available,sites-enabled,snippets} \
         "$dest"/etc/mado/tls "$dest"/logs "$dest"/tmp
# mado's access log directory (the package makes /var/log/nginx/mado)
mkdir -p "$dest"/logs/mado

rewrite() {
    sed -e "s#/etc/nginx/#$dest/etc/nginx/#g" \
        -e "s#/usr/share/mado/i18n#$top/conf.example/i18n#g" \
        -e "s#/etc/mado/#$dest/etc/mado/#g" \
        -e "s#/etc/ssl/certs/ssl-cert-snakeoil.pem#$dest/etc/mado/tls/mado.pem#g" \
        -e "s#/etc/ssl/private/ssl-cert-snakeoil.key#$dest/etc/mado/tls/mado.key#g" \
        -e "s#/var/lib/mado/store#$store#g" \
        -e "s#/var/lib/mado#$store#g" \
        -e "s#/usr/share/mado/assets#$top/conf.example/assets#g" \
        -e "s#/var/log/nginx/#$dest/logs/#g" \
        -e "/^\s*listen \[::\]:/d" \
        -e "s#^\(\s*\)listen 80\b#\1listen 127.0.0.1:$http#" \
        -e "s#^\(\s*\)listen 443\b#\1listen 127.0.0.1:$https#" \
        -e "s#https://\$host\$request_uri#https://\$host:$https\$request_uri#g" \
        -e "s#https://mado.example.city.kyoto.lg.jp#https://127.0.0.1:$https#g" \
        "$1" > "$2"
}

for f in conf.d/mado.conf sites-available/mado snippets/*.conf; do
    for src in "$top"/conf.example/nginx/$f; do
        rewrite "$src" "$dest/etc/nginx/${src#"$top"/conf.example/nginx/}"
    done
done
ln -sfn ../sites-available/mado "$dest/etc/nginx/sites-enabled/mado"

if [ -d "$top/conf.example/modsecurity" ]; then
    mkdir -p "$dest/etc/mado/modsecurity"
    for src in "$top"/conf.example/modsecurity/*; do
        [ -f "$src" ] && rewrite "$src" "$dest/etc/mado/modsecurity/$(basename "$src")"
    done
fi

# fail2ban (conf.example/fail2ban -> DEST/etc/fail2ban, owner: limits):
# the error log's path as above, and the jails' "port = http,https" the
# staged ports, so that a ban shuts the staged listeners.  nftables
# (conf.example/nftables/mado.nft -> DEST/etc/nftables.d/): its
# "define mado_ports = { 80, 443 }" the staged ports.
for sub in filter.d jail.d action.d; do
    [ -d "$top/conf.example/fail2ban/$sub" ] || continue
    mkdir -p "$dest/etc/fail2ban/$sub"
    for src in "$top"/conf.example/fail2ban/$sub/*.conf; do
        [ -f "$src" ] || continue
        rewrite "$src" /dev/stdout | sed -e "s#^\(port *= *\)http,https\$#\1$http,$https#" \
            > "$dest/etc/fail2ban/$sub/$(basename "$src")"
    done
done
if [ -f "$top/conf.example/nftables/mado.nft" ]; then
    mkdir -p "$dest/etc/nftables.d"
    sed -e "s#^define mado_ports = { 80, 443 }\$#define mado_ports = { $http, $https }#" \
        "$top/conf.example/nftables/mado.nft" > "$dest/etc/nftables.d/mado.nft"
fi

if [ ! -s "$dest/etc/mado/tls/mado.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
        -keyout "$dest/etc/mado/tls/mado.key" -out "$dest/etc/mado/tls/mado.pem" \
        -subj '/CN=127.0.0.1' -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' 2>/dev/null
    chmod 0600 "$dest/etc/mado/tls/mado.key"
fi

user_line=
if [ "$(id -u)" -eq 0 ]; then
    user_line="user www-data www-data;"
fi

# Debian's WAF module when installed (its modules-enabled files name paths
# relative to Debian's prefix, so they are loaded here by full path)
modules=
for m in ndk_http_module ngx_http_modsecurity_module; do
    so=/usr/lib/nginx/modules/$m.so
    [ -e "$so" ] && modules+="load_module $so;"$'\n'
done

cat > "$dest/nginx.conf" <<CONF
# staged by conf.example/stage-secure.sh: Debian's nginx.conf in short
load_module $build/ngx_http_mado_module.so;
$modules$user_line
worker_processes 2;
pid $dest/nginx.pid;
error_log $dest/logs/error.log notice;
events { worker_connections 1024; }
http {
    access_log $dest/logs/access.log;
    client_body_temp_path $dest/tmp/body;
    proxy_temp_path $dest/tmp/proxy;
    fastcgi_temp_path $dest/tmp/fastcgi;
    uwsgi_temp_path $dest/tmp/uwsgi;
    scgi_temp_path $dest/tmp/scgi;
    # server_tokens as Debian leaves it (on): snippets/mado-tls.conf turns it off
    include $dest/etc/nginx/conf.d/*.conf;
    include $dest/etc/nginx/sites-enabled/*;
}
CONF
