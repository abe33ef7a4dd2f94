#!/usr/bin/env bash
# `make run`: a demo of Kyoto's 14 offices with moving figures.
# usage: demo.sh BUILD_DIR PORT [PROFILE]  (BUILD_DIR holds madoctl and the module)
#
# PROFILE secure (`make run PROFILE=secure`): the production configuration
# as shipped (conf.example/nginx: TLS, limits, WAF, the mado locations),
# staged by conf.example/stage-secure.sh in DEMO/secure with its own store
# and audit key: https://127.0.0.1:MADO_HTTPS_PORT/ (8443) with a
# self-signed certificate, and http://127.0.0.1:PORT/ redirecting there.
set -euo pipefail

build=${1:?build dir}
port=${2:-8080}
profile=${3:-}
https_port=${MADO_HTTPS_PORT:-8443}
top=$(cd "$(dirname "$0")/.." && pwd)
# outside the work tree: nginx workers (www-data) must be able to reach it
demo=${MADO_DEMO_DIR:-${TMPDIR:-/tmp}/mado-demo-$(id -u)}
nginx=${NGINX:-/usr/sbin/nginx}

case $profile in
    '') ;;
    secure)
        # a store of its own: its audit trail is under the staged key
        mkdir -p "$demo"
        [ "$(id -u)" -ne 0 ] || chmod 0755 "$demo"
        demo=$demo/secure ;;
    *)  echo "demo.sh: unknown profile \"$profile\" (none, or secure)" >&2
        exit 2 ;;
esac

mkdir -p "$demo/logs"
store=$demo/store
mkdir -p "$store"

user_line=
if [ "$(id -u)" -eq 0 ]; then
    # workers run as www-data: let them reach and read-lock the store
    chmod 0755 "$demo"
    chgrp www-data "$store"
    chmod 2770 "$store"
    user_line="user www-data www-data;"
fi

# the audit trail's key, outside the store as in production
export MADO_AUDIT_KEY=$demo/audit.key

if [ "$profile" = secure ]; then
    # the shipped files with only paths and ports rewritten; the key where
    # the staged conf.d/mado.conf expects it (/etc/mado/audit.key)
    bash "$top/conf.example/stage-secure.sh" "$demo" "$build" "$store" "$port" "$https_port"
    export MADO_AUDIT_KEY=$demo/etc/mado/audit.key
fi

madoctl() { "$build/madoctl" --store "$store" "$@"; }

madoctl init
now=$(date +%s)
# the definitions as of before the history below, so that it applies
MADO_NOW=$((now - 57 * 86400)) madoctl load "$top/conf.example/offices.json"

# eight weeks of ticket-machine logs for the history and the forecast,
# fed like a real machine's (once: a restart goes on from the store)
if [ ! -e "$demo/history.done" ]; then
    mkdir -p "$demo/history"
    MADO_STORE=$store perl "$top/conf.example/demo-history.pl" "$build/madoctl" \
        "$top/conf.example/offices.json" "$demo/history" 56 "$now"
    for log in "$demo/history"/*.log; do
        MADO_NOW=$now madoctl feed --office "$(basename "$log" .log)" \
            --format voicecall --quiet "$log"
    done
    touch "$demo/history.done"
fi

# a counter staff account for the panel at /staff/ (a new password each run)
staff_user=demo-kita
staff_password=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
if madoctl user list 2>/dev/null | grep -q "^$staff_user\b"; then
    printf '%s\n' "$staff_password" | madoctl user passwd "$staff_user" --password-stdin > /dev/null
else
    printf '%s\n' "$staff_password" | madoctl user add "$staff_user" --role staff \
        --office kita --password-stdin > /dev/null
fi

if [ "$profile" = secure ]; then
    # demo only, beside the shipped files: the simulator keeps its own
    # clock (a morning at 20x), so show what it writes
    printf '%s\n' '# demo.sh: the simulator keeps its own clock' 'mado_calendar off;' \
        > "$demo/etc/nginx/conf.d/demo.conf"
else
cat > "$demo/nginx.conf" <<CONF
load_module $build/ngx_http_mado_module.so;
$user_line
worker_processes 2;
daemon off;
pid $demo/nginx.pid;
error_log $demo/logs/error.log notice;
events { worker_connections 1024; }
http {
    access_log $demo/logs/access.log;
    client_body_temp_path $demo/body;
    proxy_temp_path $demo/proxy;
    fastcgi_temp_path $demo/fastcgi;
    uwsgi_temp_path $demo/uwsgi;
    scgi_temp_path $demo/scgi;
    mado_store $store;
    # the simulator keeps its own clock (a morning at 20x): show what it writes
    mado_calendar off;
    mado_messages $top/conf.example/i18n;
    mado_assets $top/conf.example/assets;
    mado_public_url http://127.0.0.1:$port;
    mado_refresh 10s;
    mado_audit_key $demo/audit.key;
    server {
        listen 127.0.0.1:$port;
        # the update API and the counter staff panel.  The API refuses
        # plain HTTP unless told: this demo listens on loopback only, and
        # browsers accept the Secure cookie from http://127.0.0.1 and
        # localhost only.  Anywhere else, serve these over TLS and leave
        # mado_admin_insecure off
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }
        location /staff/ { mado_staff /api/v1/admin/; }
        location /api/ { mado_api; }
        location / { mado_pages; }
        # monitoring (docs/admin.md, "Monitoring"): this machine only
        location = /healthz { allow 127.0.0.1; allow ::1; deny all; mado_health; }
        location = /metrics { allow 127.0.0.1; allow ::1; deny all; mado_metrics; }
    }
}
CONF
fi

"$nginx" -t -q -p "$demo/" -c "$demo/nginx.conf" -e "$demo/logs/error.log"

# madoctl itself, not the function: a subshell killed would leave it running
"$build/madoctl" --store "$store" simulate --speed 20 --start 08:45 &
sim=$!

stop() {
    kill "$sim" 2>/dev/null || true
    kill -QUIT "$(cat "$demo/nginx.pid" 2>/dev/null)" 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ "$profile" = secure ]; then
    echo "mado demo, secure profile: https://127.0.0.1:$https_port/  (Ctrl-C stops)"
    echo "  a self-signed certificate ($demo/etc/mado/tls/mado.pem): the browser warns once"
    echo "  http://127.0.0.1:$port/ redirects there; the configuration: $demo/etc/nginx"
    echo "counter staff panel: https://127.0.0.1:$https_port/staff/  user $staff_user, password $staff_password (北区役所)"
    # the staged main file is Debian's: a daemon
    "$nginx" -p "$demo/" -c "$demo/nginx.conf" -e "$demo/logs/error.log" -g 'daemon off;' &
else
    echo "mado demo: http://127.0.0.1:$port/  (Ctrl-C stops)"
    echo "counter staff panel: http://127.0.0.1:$port/staff/  user $staff_user, password $staff_password (北区役所)"
    "$nginx" -p "$demo/" -c "$demo/nginx.conf" -e "$demo/logs/error.log" &
fi
ngx=$!
wait "$ngx" || true
