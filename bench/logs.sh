#!/usr/bin/env bash
# A year of access logs (bench/gen-access-logs.pl: 365 compressed daily
# archives as logrotate leaves them, PER_DAY requests a day) sealed,
# verified, searched and summarised by madoctl logs; each search against
# zgrep over the same archives, both sides' match counts compared (a
# different count stops the bench: the work was not the same).  Each
# timing is the best of RUNS runs.  Prints a Markdown table.
#
# usage: bench/logs.sh [BUILD_DIR]    env: DAYS (365), PER_DAY (5000), RUNS (3)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
days=${DAYS:-365}
per_day=${PER_DAY:-5000}
runs=${RUNS:-3}
dir=$(mktemp -d /tmp/mado-bench-logs.XXXXXX)
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"' EXIT
export MADO_LOG_DIR=$dir/logs MADO_LOG_STATE=$dir/state MADO_AUDIT_KEY=$dir/audit.key
madoctl() { "$build/madoctl" "$@"; }

now() { date +%s.%N; }
# best of RUNS: the seconds; the command's output in $dir/out
best() {
    local b= t0 t1 s i
    for ((i = 0; i < runs; i++)); do
        t0=$(now); "$@" > "$dir/out"; t1=$(now)
        s=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$s < $b" | bc)" = 1 ]; then b=$s; fi
    done
    printf '%.2f' "$b"
}

t0=$(now)
perl "$top/bench/gen-access-logs.pl" "$dir/logs" 2025-01-01 "$days" "$per_day" 7
gen=$(printf '%.1f' "$(echo "$(now) - $t0" | bc)")
files=("$dir"/logs/access.log-*.gz)
lines=$(zcat "${files[@]}" | wc -l)
gz=$(du -cb "${files[@]}" | tail -1 | cut -f1)
raw=$(zcat "${files[@]}" | wc -c)

echo "A year of access logs: ${#files[@]} archives, $lines requests," \
     "$((raw / 1048576)) MiB ($((gz / 1048576)) MiB compressed); generated in $gen s"
echo
echo "| step | madoctl logs | s | zgrep | s | ratio | matches |"
echo "|---|---|---:|---|---:|---:|---:|"

madoctl logs init > /dev/null
t0=$(now); madoctl logs seal --quiet
seal=$(printf '%.2f' "$(echo "$(now) - $t0" | bc)")
echo "| seal a year (first run) | seal | $seal | | | | ${#files[@]} archives |"

s=$(best madoctl logs verify --key "$dir/state/verify.key"); out=$(cat "$dir/out")
grep -q '^ok: ' <<< "$out" || { echo "verify failed: $out" >&2; exit 1; }
echo "| verify a year | verify | $s | | | | ${#files[@]} archives |"

# the same question both ways
cmp_search() {    # NAME "madoctl args" "zgrep args"
    local name=$1 ours theirs n1 n2 s1 s2
    read -r -a ours <<< "$2"
    read -r -a theirs <<< "$3"
    s1=$(best madoctl logs search "${ours[@]}" --count); n1=$(cat "$dir/out")
    s2=$(best bash -c 'zgrep -h "$@" | wc -l' _ "${theirs[@]}" "${files[@]}" "$dir/logs/access.log"); n2=$(cat "$dir/out")
    if [ "$n1" != "$n2" ]; then
        echo "$name: madoctl found $n1, zgrep $n2: not the same work" >&2
        exit 1
    fi
    echo "| search: $name | \`${2}\` | $s1 | \`zgrep ${3}\` | $s2 | $(echo "scale=2; $s1 / $s2" | bc) | $n1 |"
}

ip=$(zcat "${files[$((${#files[@]} / 3))]}" | sed -n '50s/.*"addr":"\([^"]*\)".*/\1/p')
cmp_search "one address" "--ip $ip" "-F \"addr\":\"$ip\""
cmp_search "a path" "--path /kita" "-F \"path\":\"/kita\""
cmp_search "5xx" "--status 5xx" "-E \"status\":5[0-9][0-9],"

s=$(best madoctl logs stats --from 2025-01-01 --to 2025-12-31); out=$(cat "$dir/out")
echo "| stats of the year (CSV) | stats | $s | | | | $(grep -c '^day,.*,requests,' <<< "$out") days |"
s=$(best madoctl logs stats --from 2025-01-01 --to 2025-12-31 --format html); out=$(cat "$dir/out")
echo "| stats of the year (HTML) | stats --format html | $s | | | | $(wc -c <<< "$out") bytes |"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$MADO_AUDIT_KEY"; echo >> "$MADO_AUDIT_KEY"
chmod 0600 "$MADO_AUDIT_KEY"
t0=$(now); madoctl logs archive --from 2025-01-01 --to 2025-12-31 "$dir/year.mla" > /dev/null
a=$(printf '%.2f' "$(echo "$(now) - $t0" | bc)")
echo "| archive a year (AES-256-GCM) | archive | $a | | | | $(($(stat -c %s "$dir/year.mla") / 1048576)) MiB |"
t0=$(now); madoctl logs verify --archive "$dir/year.mla" --key "$dir/state/verify.key" > /dev/null
a=$(printf '%.2f' "$(echo "$(now) - $t0" | bc)")
echo "| open and check it | verify --archive | $a | | | | |"
