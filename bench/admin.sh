#!/usr/bin/env bash
# Citizens' latency while staff update: the p99 latency of the citizen API
# (one office, wrk with 50 connections) alone, and while a second wrk
# sends 50 counter updates a second through the update API (mado_admin,
# its writes in nginx's thread pool), in the same run, alternating.
#
# usage: bench/admin.sh [BUILD_DIR]     env: DURATION (s, default 10),
#                                           ROUNDS (3), PORT (18081)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
port=${PORT:-18081}
. "$top/bench/lib.sh"
bench_dir admin

madoctl() { "$build/madoctl" --store "$store" "$@"; }
madoctl set kita moving --status open --waiting 5 > /dev/null
echo "a long enough passphrase" | madoctl user add bench --role staff --office kita --password-stdin > /dev/null

bench_nginx_conf "" "
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # loopback
        location /api/ { mado_api; }"
bench_nginx_start

token=$(curl -sf -X POST -H 'Content-Type: application/json' \
        -d '{"user":"bench","password":"a long enough passphrase"}' \
        "http://127.0.0.1:$port/api/v1/admin/login" | sed -e 's/.*"token":"\([^"]*\)".*/\1/')
[ -n "$token" ] || { echo "login failed" >&2; exit 1; }

# two connections, each an update every 34 ms plus its answer's time:
# about 50 a second (the rate achieved is reported), each a "set" that
# really writes (waiting goes up and down)
cat > "$dir/updates.lua" <<LUA
local n = 0
request = function()
    n = n + 1
    local body = '{"action":"set","waiting":' .. (n % 20) .. '}'
    return wrk.format("POST", "/api/v1/admin/offices/kita/counters/moving",
        { ["Authorization"] = "Bearer $token",
          ["Content-Type"] = "application/json" }, body)
end
delay = function() return 34 end
LUA

p99() {
    # wrk --latency prints "99%  1.23ms"; in microseconds
    awk '$1 == "99%" { v = $2; u = 1;
            if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000;
            sub(/[a-z]+$/, "", v); printf "%.0f", v * u }'
}

# Citizens two ways: as fast as wrk can (50 connections, the one worker
# saturated, so p99 is mostly queueing for the CPU the update threads and
# the disk also want on this small machine), and at a steady 2 000
# requests/s (50 connections, one request each every 25 ms), the service
# time a citizen sees when the server is not saturated.
cat > "$dir/steady.lua" <<LUA
delay = function() return 25 end
LUA

citizens() {
    wrk -t1 -c50 -d"${duration}s" --latency "$@" "http://127.0.0.1:$port/api/v1/offices/kita" | p99
}

declare -a idle loaded sidle sloaded writes
for r in $(seq "$rounds"); do
    idle+=("$(citizens)")
    sidle+=("$(citizens -s "$dir/steady.lua")")

    wrk -t1 -c2 -d"$((2 * duration + 3))s" -s "$dir/updates.lua" "http://127.0.0.1:$port/" > "$dir/w.out" &
    upd=$!
    sleep 1
    loaded+=("$(citizens)")
    sloaded+=("$(citizens -s "$dir/steady.lua")")
    wait "$upd"
    writes+=("$(awk '/Requests\/sec/ { print $2 }' "$dir/w.out")")
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mi=$(echo "${idle[*]}" | median)
ml=$(echo "${loaded[*]}" | median)
msi=$(echo "${sidle[*]}" | median)
msl=$(echo "${sloaded[*]}" | median)

bench_nginx_alerts

# every update was applied and audited
n=$(madoctl audit list --action set | grep -c 'user:bench' || true)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

cat <<REPORT
| citizens | p99 idle | p99 while ~50 updates/s are written | ratio |
| --- | ---: | ---: | ---: |
| steady 2 000 requests/s | ${msi} µs | ${msl} µs | $(ratio "$msl" "$msi") |
| saturating (as fast as wrk can) | ${mi} µs | ${ml} µs | $(ratio "$ml" "$mi") |

Median of $rounds alternating rounds of \`wrk -t1 -c50 -d${duration}s --latency\` on
/api/v1/offices/kita (steady: each connection waits 25 ms between requests), nginx
with 1 worker, on $(nproc) cores. p99 per round, steady idle: ${sidle[*]} µs, steady
loaded: ${sloaded[*]} µs; saturating idle: ${idle[*]} µs, loaded: ${loaded[*]} µs;
updates per second achieved: ${writes[*]}; $n updates audited as user:bench.
REPORT
