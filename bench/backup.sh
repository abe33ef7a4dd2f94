#!/usr/bin/env bash
# madoctl backup against plain `mdb_copy -c` on a year of history for the
# 14 offices (conf.example/demo-history.pl, fed month by month as
# bench/year.sh does) in two stores: one compacted at the end of each
# month (the default retention, what mado-compact.timer keeps) and one
# that keeps everything (the largest a year can make).  For each store,
# ROUNDS rounds of hyperfine (RUNS runs of each command, the two commands
# in the same round); the time of a command is the median of its rounds'
# medians.  backup's time includes what mdb_copy does not do: sealing
# (AES-256-GCM), flushing, and opening the backup again to check it.
#
# The work is checked before anything is reported: the backup is restored
# ("madoctl restore", into a fresh store with a copy of the audit key, so
# that the bench store's anchor is not moved), every database of the
# restored store has as many entries as mdb_copy's copy (the audit trail
# one more: the restore's own record), and "audit verify" passes on it.
#
# usage: bench/backup.sh [BUILD_DIR]  env: DAYS (365), RUNS (5), ROUNDS (3)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
days=${DAYS:-365}
runs=${RUNS:-5}
rounds=${ROUNDS:-3}
dir=$(mktemp -d /tmp/mado-bench-backup.XXXXXX)
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"' EXIT

madoctl() { "$build/madoctl" "$@"; }
# each store its own audit key: a key's anchor follows one store
ms() { local s=$1; shift; madoctl --store "$dir/$s" --audit-key "$dir/$s.key" "$@"; }

now=$(date +%s)
start=$((now - (days + 1) * 86400))

t0=$(date +%s)
for s in compacted kept; do
    MADO_NOW=$start ms "$s" init > /dev/null
    MADO_NOW=$start ms "$s" load "$top/conf.example/offices.json" > /dev/null
done
mkdir -p "$dir/logs"
MADO_STORE=$dir/kept MADO_AUDIT_KEY=$dir/kept.key perl "$top/conf.example/demo-history.pl" "$build/madoctl" \
    "$top/conf.example/offices.json" "$dir/logs" "$days" "$now" 42 > /dev/null
events=$(cat "$dir"/logs/*.log | wc -l)
months=$(cut -c1-6 "$dir"/logs/*.log | sort -u)
for m in $months; do
    last=$(grep -h "^$m" "$dir"/logs/*.log | cut -c1-8 | sort | tail -1)
    t=$(date -d "${last:0:4}-${last:4:2}-${last:6:2}T23:00:00+09:00" +%s)
    [ "$t" -gt "$now" ] && t=$now
    for log in "$dir"/logs/*.log; do
        grep "^$m" "$log" > "$dir/month.log" || continue
        for s in compacted kept; do
            MADO_NOW=$t ms "$s" feed --office "$(basename "$log" .log)" \
                --format voicecall --quiet "$dir/month.log"
        done
    done
    MADO_NOW=$t ms compacted compact > /dev/null
done
rm -rf "$dir/logs" "$dir/month.log"
echo "$days days, 14 offices, $events ticket-machine events, stores made in $(($(date +%s) - t0)) s" >&2

size() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
# "DB entries" for every database of an environment (the main one too)
census() {
    mdb_stat -a "$1" | awk '/^Status of / { db = ($3 == "Main" ? "main" : $3) } /Entries:/ { print db, $2 }'
}

out=$dir/out
for s in compacted kept; do
    store=$dir/$s
    mkdir -p "$out"
    for ((r = 1; r <= rounds; r++)); do
        hyperfine --style none --runs "$runs" --export-json "$dir/h-$s-$r.json" \
            --prepare "rm -rf $out/copy $out/b.mbk; mkdir $out/copy" \
            "mdb_copy -c $store $out/copy" \
            "$build/madoctl --store $store --audit-key $dir/$s.key backup $out/b.mbk" > /dev/null
    done

    # the same work, once more, kept to be checked and measured
    rm -rf "$out/copy" "$out/b.mbk"; mkdir "$out/copy"
    mdb_copy -c "$store" "$out/copy"
    ms "$s" backup "$out/b.mbk" > /dev/null
    [ "$(stat -c %a "$out/b.mbk")" = 600 ] || { echo "$s: backup not 0600" >&2; exit 1; }

    mkdir "$dir/check"
    cp "$dir/$s.key" "$dir/check/audit.key"
    madoctl --store "$dir/check/store" --audit-key "$dir/check/audit.key" init > /dev/null
    madoctl --store "$dir/check/store" --audit-key "$dir/check/audit.key" restore "$out/b.mbk" > /dev/null
    madoctl --store "$dir/check/store" --audit-key "$dir/check/audit.key" audit verify > "$dir/verify.txt" \
        || { echo "$s: audit verify failed on the restored store" >&2; cat "$dir/verify.txt" >&2; exit 1; }
    census "$out/copy" > "$dir/c1"
    census "$dir/check/store" > "$dir/c2"
    awk 'NR == FNR { want[$1] = $2; next }
         { got[$1] = $2 }
         END {
             bad = 0
             for (d in want) {
                 w = want[d] + (d == "audit")
                 if (got[d] != w) { printf "%s: %s entries, the copy %s\n", d, got[d], want[d] > "/dev/stderr"; bad = 1 }
             }
             for (d in got) if (!(d in want)) { print d ": not in the copy" > "/dev/stderr"; bad = 1 }
             exit bad
         }' "$dir/c1" "$dir/c2" || { echo "$s: the restored store differs from mdb_copy's copy" >&2; exit 1; }
    records=$(awk '{ n += $2 } END { print n }' "$dir/c1")
    dbs=$(wc -l < "$dir/c1")

    perl -MJSON::PP -e '
        my ($s, @f) = @ARGV; my (@a, @b);
        for my $f (@f) {
            open my $h, "<", $f or die; local $/; my $d = decode_json(<$h>);
            push @a, 1000 * $d->{results}[0]{median}; push @b, 1000 * $d->{results}[1]{median};
        }
        sub med { my @v = sort { $a <=> $b } @_; @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2 }
        printf "%s\t%.1f\t%.1f\t%s\t%s\n", $s, med(@a), med(@b),
            join(" ", map { sprintf "%.1f", $_ } @a), join(" ", map { sprintf "%.1f", $_ } @b);
    ' "$s" "$dir"/h-"$s"-*.json > "$dir/t-$s"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(size "$store/data.mdb")" "$(size "$out/copy/data.mdb")" \
        "$(size "$out/b.mbk")" "$records" "$dbs" "$(cat "$dir/c1" | tr '\n' ' ')" > "$dir/z-$s"
    rm -rf "$dir/check" "$out"
done

echo "| store | data.mdb | \`mdb_copy -c\` ms | copy bytes | \`madoctl backup\` ms | backup bytes | ratio (time) | ratio (bytes) | restored and checked |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for s in compacted kept; do
    IFS=$'\t' read -r _ ta tb ra rb < "$dir/t-$s"
    IFS=$'\t' read -r zs zc zb rec dbs _ < "$dir/z-$s"
    echo "| $s | $(mib "$zs") | $ta | $zc ($(mib "$zc")) | $tb | $zb ($(mib "$zb")) |" \
         "$(awk -v a="$tb" -v b="$ta" 'BEGIN { printf "%.2f", a / b }') |" \
         "$(awk -v a="$zb" -v b="$zc" 'BEGIN { printf "%.3f", a / b }') | $rec records in $dbs databases |"
done
echo
for s in compacted kept; do
    IFS=$'\t' read -r _ _ _ ra rb < "$dir/t-$s"
    echo "$s: medians of each round (ms): mdb_copy -c $ra; madoctl backup $rb"
done
for s in compacted kept; do
    IFS=$'\t' read -r _ _ _ _ _ c < "$dir/z-$s"
    echo "$s: entries: $c"
done
echo "$days days, 14 offices, $events events; $rounds rounds of $runs runs (hyperfine) each; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
