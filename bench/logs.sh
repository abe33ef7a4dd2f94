#!/usr/bin/env bash
# A year of access logs (bench/gen-access-logs.pl: 365 compressed daily
# archives as logrotate leaves them, PER_DAY requests a day) sealed,
# verified, searched and summarised by madoctl logs; each search against
# zgrep over the same archives, both sides' match counts compared (a
# different count stops the bench: the work was not the same); the
# statistics' total of requests must be the lines of the logs, and their
# 5xx the 5xx search's.  The year ends yesterday (Japan time), today's
# requests in the current log, so that every archive is within logrotate's
# 400 days and verify must account for each.  Then each kind of tampering
# (modified, truncated, deleted, renamed, inserted, reordered) is done to a
# copy of the year and its chain, and verify must exit 1 and name it.
# Each timing is the best of RUNS runs.  Prints Markdown tables.
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

first=$(TZ=Asia/Tokyo date -d "$days days ago" +%F)
today=$(TZ=Asia/Tokyo date +%F)
t0=$(now)
perl "$top/bench/gen-access-logs.pl" "$dir/logs" "$first" "$days" "$per_day" 7
gen=$(printf '%.1f' "$(echo "$(now) - $t0" | bc)")
files=("$dir"/logs/access.log-*.gz)
lines=$(zcat "${files[@]}" | wc -l)
current=$(wc -l < "$dir/logs/access.log")
gz=$(du -cb "${files[@]}" | tail -1 | cut -f1)
raw=$(zcat "${files[@]}" | wc -c)

echo "A year of access logs: ${#files[@]} archives ($first to $(date -d "$today -1 day" +%F)), $lines requests (+ $current in the current log)," \
     "$((raw / 1048576)) MiB ($((gz / 1048576)) MiB compressed); generated in $gen s"
echo
echo "| step | madoctl logs | s | zgrep | s | ratio | matches |"
echo "|---|---|---:|---|---:|---:|---:|"

madoctl logs init > /dev/null
t0=$(now); madoctl logs seal --quiet
seal=$(printf '%.2f' "$(echo "$(now) - $t0" | bc)")
echo "| seal a year (first run) | seal | $seal | | | | ${#files[@]} archives |"

s=$(best madoctl logs verify --key "$dir/state/verify.key"); out=$(cat "$dir/out")
grep -q "^ok: ${#files[@]} archives verified .*, 0 expired;" <<< "$out" || { echo "verify failed: $out" >&2; exit 1; }
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
    found=$n1
    echo "| search: $name | \`${2}\` | $s1 | \`zgrep ${3}\` | $s2 | $(awk -v a="$s1" -v b="$s2" 'BEGIN { printf "%.2f", a / b }') | $n1 |"
}

ip=$(zcat "${files[$((${#files[@]} / 3))]}" | sed -n '50s/.*"addr":"\([^"]*\)".*/\1/p')
cmp_search "one address" "--ip $ip" "-F \"addr\":\"$ip\""
cmp_search "a path" "--path /kita" "-F \"path\":\"/kita\""
cmp_search "5xx" "--status 5xx" "-E \"status\":5[0-9][0-9],"
n5xx=$found

s=$(best madoctl logs stats --from "$first" --to "$today"); out=$(tr -d '\r' < "$dir/out")
total=$(sed -n 's/^total,,requests,//p' <<< "$out")
s5xx=$(awk -F, '$1 == "day" && $3 == "5xx" { n += $4 } END { print n + 0 }' <<< "$out")
if [ "$total" != $((lines + current)) ] || [ "$s5xx" != "$n5xx" ]; then
    echo "stats counted $total requests ($s5xx 5xx), the logs hold $((lines + current)) ($n5xx 5xx)" >&2
    exit 1
fi
echo "| stats of the year (CSV) | stats | $s | | | | $total requests, $(grep -c '^day,.*,requests,' <<< "$out") days |"
s=$(best madoctl logs stats --from "$first" --to "$today" --format html); out=$(cat "$dir/out")
echo "| stats of the year (HTML) | stats --format html | $s | | | | $(wc -c <<< "$out") bytes |"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$MADO_AUDIT_KEY"; echo >> "$MADO_AUDIT_KEY"
chmod 0600 "$MADO_AUDIT_KEY"
t0=$(now); madoctl logs archive --from "$first" --to "$today" "$dir/year.mla" > /dev/null
a=$(printf '%.2f' "$(echo "$(now) - $t0" | bc)")
echo "| archive a year (AES-256-GCM) | archive | $a | | | | $(($(stat -c %s "$dir/year.mla") / 1048576)) MiB |"
t0=$(now); madoctl logs verify --archive "$dir/year.mla" --key "$dir/state/verify.key" > "$dir/out"
a=$(printf '%.2f' "$(echo "$(now) - $t0" | bc)")
echo "| open and check it | verify --archive | $a | | | | $(cut -d' ' -f1 "$dir/out" | head -1) |"

# Tampering: each kind on a copy of the year and its chain; verify must
# exit 1 and name it (the finding's first word and the archive).
a_mid=$(basename "${files[$((${#files[@]} / 2))]}")
a_2=$(basename "${files[$((${#files[@]} / 3))]}")
a_3=$(basename "${files[$((2 * ${#files[@]} / 3))]}")
before=$(TZ=Asia/Tokyo date -d "$first -2 days" +access.log-%Y%m%d.gz)
n_chain=$(grep -n " $a_2 " "$dir/state/chain" | cut -d: -f1)
e_2=$(sed -n "${n_chain}p" "$dir/state/chain" | cut -d' ' -f1)

echo
echo "| tampering (on a copy of the year) | what was done | verify s | exit | verify's finding |"
echo "|---|---|---:|---:|---|"
tamper() {    # KIND "what" EXPECTED-REGEX COMMANDS (run in the copy: logs/ and state/)
    local kind=$1 what=$2 want=$3 t rc
    rm -rf "$dir/t"; mkdir "$dir/t"
    cp -a "$dir/logs" "$dir/state" "$dir/t/"
    (cd "$dir/t" && eval "$4")
    t0=$(now)
    rc=0; madoctl logs verify --key "$dir/state/verify.key" --log-dir "$dir/t/logs" \
        --state "$dir/t/state" > "$dir/out" || rc=$?
    t=$(printf '%.2f' "$(echo "$(now) - $t0" | bc)")
    if [ "$rc" != 1 ] || ! grep -Eq "$want" "$dir/out"; then
        echo "$kind: verify exited $rc and did not report /$want/:" >&2; cat "$dir/out" >&2
        exit 1
    fi
    echo "| $kind | $what | $t | $rc | \`$(grep -E "$want" "$dir/out" | head -1)\` ($(grep -o '^FAILED: [0-9]* findings*' "$dir/out" | cut -d' ' -f2-)) |"
}
tamper modified "one line of $a_mid changed (an address), recompressed" "^modified: $a_mid " \
    "zcat logs/$a_mid | sed '100s/\"addr\":\"[^\"]*\"/\"addr\":\"192.0.2.1\"/' | gzip -6 > x && mv x logs/$a_mid"
tamper modified "one byte of $a_mid flipped, same size" "^modified: $a_mid " \
    "printf 'X' | dd of=logs/$a_mid bs=1 seek=100 conv=notrunc status=none"
tamper truncated "$a_mid cut to half its size" "^truncated: $a_mid " \
    "truncate -s \$((\$(stat -c %s logs/$a_mid) / 2)) logs/$a_mid"
tamper deleted "$a_mid removed" "^deleted: $a_mid " "rm logs/$a_mid"
tamper renamed "$a_mid renamed $before" "^renamed: $a_mid .*is now $before" "mv logs/$a_mid logs/$before"
tamper inserted "a copy of $a_3 added as $before" "^inserted: $before " "cp logs/$a_3 logs/$before"
tamper reordered "chain entries of $a_2 and the next day swapped" "^reordered: chain line [0-9]+ holds entry $e_2 " \
    "sed -i -n '$n_chain{h;n;p;x;p;b};p' state/chain"
echo
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
