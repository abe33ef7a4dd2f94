#!/usr/bin/env bash
# A counter update's latency while logins are flooded: staff's `set`
# through the update API (mado_admin), one after another, first idle and
# then while FLOOD wrong logins are in flight at once, each from its own
# address for its own unknown id (bench/login_flood.pl), so that no limit
# of an address or an account stops them: each costs a PBKDF2 hash of
# production's 600 000 iterations unless the server refuses it.  Checks
# that the work was done: every update answered 200 and audited, and the
# flood's answers counted (401 evaluated, 429 refused by a limit, 503
# login_busy refused by the queue) against the failed logins audited.
#
# usage: bench/login_flood.sh [BUILD_DIR]   env: UPDATES (default 20),
#     FLOOD (90), PORT (18082), LOGIN_THREADS (mado_login_threads, unset:
#     the default), HAMMER=1 (the flood ignores Retry-After)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
updates=${UPDATES:-20}
flood=${FLOOD:-90}
port=${PORT:-18082}
. "$top/bench/lib.sh"
bench_dir login

madoctl() { "$build/madoctl" --store "$store" "$@"; }
madoctl set kita moving --status open --waiting 5 > /dev/null
echo "a long enough passphrase" | madoctl user add bench --role staff --office kita --password-stdin > /dev/null

bench_nginx_conf "${LOGIN_THREADS:+mado_login_threads $LOGIN_THREADS;}" "
        location /api/v1/admin/ { mado_admin; }
        location /api/ { mado_api; }"
bench_nginx_start

api=http://127.0.0.1:$port/api/v1/admin
token=$(curl -sf -X POST -H 'Content-Type: application/json' \
        -d '{"user":"bench","password":"a long enough passphrase"}' \
        "$api/login" | sed -e 's/.*"token":"\([^"]*\)".*/\1/')
[ -n "$token" ] || { echo "login failed" >&2; exit 1; }

applied=0
# UPDATES sets one after another; their seconds, one a line
updates() {
    local i out
    for i in $(seq "$updates"); do
        out=$(curl -s -o "$dir/update.json" -w '%{http_code} %{time_total}' -X POST \
              -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
              -d "{\"action\":\"set\",\"waiting\":$((i % 20))}" \
              "$api/offices/kita/counters/moving")
        [ "${out% *}" = 200 ] && grep -q "\"waiting\":$((i % 20))" "$dir/update.json" \
            && applied=$((applied + 1))
        echo "${out#* }"
    done
}

median() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] }'; }
max() { sort -n "$1" | tail -1 | awk '{ printf "%.3f\n", $1 }'; }

updates > "$dir/idle.txt"
idle_applied=$applied

perl "$top/bench/login_flood.pl" "$port" "$flood" "$dir/flood.out" &
flooder=$!
sleep 2        # the flood in full swing before the first update
updates > "$dir/flood.txt"
flood_applied=$((applied - idle_applied))
kill -TERM "$flooder"
wait "$flooder" || true

idle_med=$(median "$dir/idle.txt"); idle_max=$(max "$dir/idle.txt")
flood_med=$(median "$dir/flood.txt"); flood_max=$(max "$dir/flood.txt")

bench_nginx_alerts

count() { awk -v s="$1" '$1 == s && NF == 2 { print $2; f = 1 } END { if (!f) print 0 }' "$dir/flood.out"; }
busy=$(awk '$2 == "login_busy" { print $3 }' "$dir/flood.out")
busy=${busy:-0}
sets=$(madoctl audit list --action set | grep -c 'user:bench' || true)
failed=$(madoctl audit list --action login.failed | grep -c 'user:flood' || true)

ratio=$(awk -v a="$flood_med" -v b="$idle_med" 'BEGIN { printf "%.2f", a / b }')

cat <<REPORT
| a counter update (\`set\`) | median | max | applied |
| --- | ---: | ---: | ---: |
| idle | ${idle_med} s | ${idle_max} s | ${idle_applied} / ${updates} |
| during a flood of ${flood} logins at once | ${flood_med} s | ${flood_max} s | ${flood_applied} / ${updates} |

Ratio of the medians: **${ratio}**. The flood's answers: $(count 401) evaluated (401),
$(count 429) refused by a limit (429), ${busy} refused by the queue (503 login_busy);
${failed} failed logins and ${sets} updates audited. nginx with 1 worker, \`mado_admin\`
in the default pool (32 threads), \`mado_login_threads ${LOGIN_THREADS:-(default)}\`,
on $(nproc) cores; \`curl -w %{time_total}\` per update; the flood $([ -n "${HAMMER:-}" ] \
&& echo "ignoring" || echo "honouring") Retry-After.
REPORT

if [ "$flood_applied" != "$updates" ] || [ "$sets" != $((2 * updates)) ] \
   || [ "$failed" != "$(count 401)" ]
then
    echo "the work was not all done: see above" >&2
    exit 1
fi
