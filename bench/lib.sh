# What the benchmarks that run nginx share; sourced, with `top` and `build`
# set.  bench_dir makes $dir (removed on exit, with nginx stopped) and a
# loaded store in $store; bench_nginx_conf writes nginx.conf around the
# caller's directives.  `port` is the caller's.

nginx=${NGINX:-/usr/sbin/nginx}

bench_dir() {    # NAME
    dir=$(mktemp -d "/tmp/mado-bench-$1.XXXXXX")
    chmod 0755 "$dir"
    trap 'bench_nginx_stop; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"' EXIT
    export MADO_AUDIT_KEY=$dir/audit.key
    store=$dir/store
    bench_store
}

# a new store with the offices of FILE (default the example's); as root the
# workers run as www-data, which must write to it through the update API
bench_store() {    # [OFFICES_JSON]
    # a new store: the audit key's anchor named the old one
    rm -rf "$store" "${MADO_AUDIT_KEY%.key}.anchor"
    mkdir -p "$store"
    user_line=
    if [ "$(id -u)" -eq 0 ]; then
        chgrp www-data "$store"
        chmod 2770 "$store"
        user_line="user www-data www-data;"
    fi
    "$build/madoctl" --store "$store" init > /dev/null
    "$build/madoctl" --store "$store" load "${1:-$top/conf.example/offices.json}" > /dev/null
}

# one worker, no access log, the store and its audit key
bench_nginx_conf() {    # HTTP_DIRECTIVES SERVER_DIRECTIVES [MAIN_DIRECTIVES]
    cat > "$dir/nginx.conf" <<CONF
load_module $build/ngx_http_mado_module.so;
$user_line
${3:-}
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    mado_store $store;
    mado_audit_key $MADO_AUDIT_KEY;
    mado_calendar off;
    mado_stale_after 1d;
    $1
    server {
        listen 127.0.0.1:$port;
        $2
    }
}
CONF
}

bench_nginx_start() {
    "$nginx" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
    sleep 0.5
}

# waits for the old master to go, so the port is free for the next start
bench_nginx_stop() {
    local i
    [ -f "$dir/nginx.pid" ] || return 0
    kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    for i in $(seq 50); do
        [ -f "$dir/nginx.pid" ] || return 0
        sleep 0.1
    done
}

bench_nginx_alerts() {
    if grep -E '\[(alert|emerg|crit)\]' "$dir/error.log"; then
        echo "nginx logged alerts during the benchmark" >&2
        exit 1
    fi
}
