#!/usr/bin/env bash
# The perimeter's cost: citizens' throughput through the full production
# configuration (conf.example/stage-secure.sh: TLS, limits, ModSecurity
# with the OWASP CRS, the grammar of mado-locations.conf) against the same
# nginx without WAF and limits, in one run.
#
# Two nginx, both staged from conf.example with the same store, both over
# TLS, one worker each (the staged two, made one on both sides, so that
# nginx and not wrk is what is measured on this machine):
#   prod   the configuration as shipped
#   base   the same, with snippets/mado-waf.conf and mado-limits.conf empty,
#          mado-locations.conf the four plain locations and no ModSecurity
#          module loaded
# wrk runs each case on each in turn, ROUNDS times, alternating; the
# medians are compared.  Every answer must be a 200: wrk's count of other
# statuses and both access logs are checked before anything is reported.
# The update API (a counter's notice, written for real) is measured the
# same way, for information: there the rule set runs.
#
# usage: bench/waf.sh [BUILD_DIR]      env: DURATION (s, default 8), ROUNDS (3),
#                                           CONNS (50), PORT (18480: PORT..PORT+3)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
duration=${DURATION:-8}
rounds=${ROUNDS:-3}
conns=${CONNS:-50}
port=${PORT:-18480}
nginx=${NGINX:-/usr/sbin/nginx}

[ -e /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ] || {
    echo "no ModSecurity module: make deps" >&2; exit 1; }

dir=$(mktemp -d /tmp/mado-bench-waf.XXXXXX)
chmod 0755 "$dir"
stop() {
    local s i
    for s in prod base; do
        [ -f "$dir/$s/nginx.pid" ] || continue
        kill -QUIT "$(cat "$dir/$s/nginx.pid")" 2>/dev/null || true
        for i in $(seq 50); do [ -f "$dir/$s/nginx.pid" ] || break; sleep 0.1; done
    done
}
trap 'stop; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"' EXIT

# one store, its audit key where both configurations name it
store=$dir/store
mkdir -p "$store"
if [ "$(id -u)" -eq 0 ]; then chgrp www-data "$store"; chmod 2770 "$store"; fi
export MADO_AUDIT_KEY=$dir/audit.key
madoctl() { "$build/madoctl" --store "$store" "$@"; }
madoctl init > /dev/null
madoctl load "$top/conf.example/offices.json" > /dev/null
madoctl simulate --duration 2 --interval 0.2 --seed 7 > /dev/null
echo "a long enough passphrase" | madoctl user add bench --role staff --office kita --password-stdin > /dev/null

declare -A https=([prod]=$port [base]=$((port + 1)))
declare -A http=([prod]=$((port + 2)) [base]=$((port + 3)))
for s in prod base; do
    mkdir -p "$dir/$s/etc/mado"
    ln -s "$dir/audit.key" "$dir/$s/etc/mado/audit.key"
    ln -s "$dir/audit.anchor" "$dir/$s/etc/mado/audit.anchor"
    bash "$top/conf.example/stage-secure.sh" "$dir/$s" "$build" "$store" "${http[$s]}" "${https[$s]}"
    sed -i 's/^worker_processes .*/worker_processes 1;/' "$dir/$s/nginx.conf"
done

# wrk is one address standing for many citizens: in the production
# configuration loopback is made a city network (mado-limits.conf's
# per-address limits skip it, as they would the city's own NAT), so the
# maps and zones are still evaluated on every request and none is refused
sed -i 's|^\(\s*\)default         0;|&\n\1127.0.0.0/8     1;|' "$dir/prod/etc/nginx/conf.d/mado.conf"
grep -q '^\s*127.0.0.0/8     1;' "$dir/prod/etc/nginx/conf.d/mado.conf" \
    || { echo "bench: could not exempt loopback in the staged mado.conf" >&2; exit 1; }

# the baseline: no WAF, no limits, the plain locations
: > "$dir/base/etc/nginx/snippets/mado-waf.conf"
: > "$dir/base/etc/nginx/snippets/mado-limits.conf"
cat > "$dir/base/etc/nginx/snippets/mado-locations.conf" <<'CONF'
location /api/v1/admin/ { mado_admin; }
location /staff/        { mado_staff /api/v1/admin/; }
location /api/          { mado_api; mado_max_age 5s; }
location /              { mado_pages; }
CONF
sed -i '/ngx_http_modsecurity_module\|ndk_http_module/d' "$dir/base/nginx.conf"

for s in prod base; do
    "$nginx" -p "$dir/$s/" -c "$dir/$s/nginx.conf" -e "$dir/$s/logs/error.log"
done
sleep 1

url() { echo "https://127.0.0.1:${https[$1]}$2"; }
host() { echo "localhost:${https[$1]}"; }

token=$(curl -sfk -H "Host: $(host prod)" -H 'Content-Type: application/json' \
        -d '{"user":"bench","password":"a long enough passphrase"}' \
        "$(url prod /api/v1/admin/login)" | sed -e 's/.*"token":"\([^"]*\)".*/\1/')
[ -n "$token" ] || { echo "login failed" >&2; exit 1; }

# the same bytes from both, or the comparison means nothing
for path in /api/v1/offices/kita /api/v1/offices /kita '/kita?lang=en'; do
    cmp <(curl -sfk -H "Host: $(host prod)" -H 'Accept-Language: ja' "$(url prod "$path")") \
        <(curl -sfk -H "Host: $(host base)" -H 'Accept-Language: ja' "$(url base "$path")")
done

# a notice as the staff panel sends it, each request a write
cat > "$dir/update.lua" <<LUA
local n = 0
request = function()
    n = n + 1
    local body = '{"action":"set","message":"Please go to counter #2; closing at 5 p.m. (' .. n .. ')"}'
    return wrk.format("POST", "/api/v1/admin/offices/kita/counters/moving",
        { ["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json" }, body)
end
LUA

# CASE SERVER: requests/s; fails on any answer that is not 2xx or 3xx
rps() {
    local path=${1%+gz} out hdr=(-H 'Accept-Language: ja') script=() d=${3:-$duration}
    [ "$path" != "$1" ] && hdr+=(-H 'Accept-Encoding: gzip')
    # each update writes an audit record: 2 s a run keeps the store small
    [ "$path" = update ] && { path=/; script=(-s "$dir/update.lua"); d=${3:-2}; }
    out=$(wrk -t1 -c"$conns" -d"${d}s" -H "Host: $(host "$2")" "${hdr[@]}" \
          "${script[@]}" "$(url "$2" "$path")")
    if grep -q 'Non-2xx' <<< "$out"; then
        echo "$1 on $2: $(grep 'Non-2xx' <<< "$out")" >&2
        exit 1
    fi
    awk '/^Requests\/sec/ { print $2 }' <<< "$out"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

cases="/api/v1/offices/kita /api/v1/offices /kita+gz /kita?lang=en update"
for c in $cases; do for s in prod base; do rps "$c" "$s" 2 > /dev/null; done; done   # warm up

declare -A runs
for ((i = 1; i <= rounds; i++)); do
    for c in $cases; do
        for s in prod base; do
            runs[$c $s]+="$(rps "$c" "$s") "
        done
    done
done

# every request of the run in both access logs: a 200
declare -A count
for s in prod base; do
    bad=$(awk '$9 != 200' "$dir/$s/logs/access.log" | wc -l)
    all=$(wc -l < "$dir/$s/logs/access.log")
    if [ "$bad" -ne 0 ]; then
        echo "$s: $bad of $all answers were not 200:" >&2
        awk '$9 != 200 { print $6, $7, $9 }' "$dir/$s/logs/access.log" | sort | uniq -c >&2
        exit 1
    fi
    count[$s]=$all
done
if grep -E '\[(alert|emerg|crit)\]|ModSecurity: Access denied' "$dir"/*/logs/error.log; then
    echo "nginx logged alerts or denials during the benchmark" >&2
    exit 1
fi

declare -A med
for k in "${!runs[@]}"; do
    med[$k]=$(tr ' ' '\n' <<< "${runs[$k]}" | grep . | median)
done

# each round's ratio (its two runs back to back, under the same load from
# whatever else the machine runs), and their median
pair() {    # CASE
    paste -d' ' <(tr ' ' '\n' <<< "${runs[$1 prod]}" | grep .) \
                <(tr ' ' '\n' <<< "${runs[$1 base]}" | grep .) |
        awk '{ printf "%.3f\n", $1 / $2 }'
}

row() {    # LABEL CASE
    echo "| $1 | ${med[$2 prod]} | ${med[$2 base]} | $(ratio "${med[$2 prod]}" "${med[$2 base]}") | $(pair "$2" | median) ($(pair "$2" | tr '\n' ' ' | sed 's/ $//')) |"
}

cat <<REPORT
| case | production req/s | without WAF and limits req/s | ratio of the medians | median of the rounds' ratios (each round) |
| --- | ---: | ---: | ---: | --- |
$(row 'one office `/api/v1/offices/kita`' /api/v1/offices/kita)
$(row 'all offices `/api/v1/offices`' /api/v1/offices)
$(row 'office page `/kita`, gzip' /kita+gz)
$(row 'office page `/kita?lang=en`' '/kita?lang=en')
$(row 'update API: a notice (for information)' update)

Medians of $rounds alternating rounds of \`wrk -t1 -c$conns -d${duration}s\` over TLS, each
nginx with 1 worker, on $(nproc) cores; every answer a 200 (${count[prod]} and
${count[base]} requests in the access logs); each round's figures:
$(printf '%s\n' "${!runs[@]}" | sort | while read -r k; do echo "$k: ${runs[$k]};"; done)
REPORT
