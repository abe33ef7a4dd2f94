#!/usr/bin/env bash
# The size of a year of history for all 14 offices: generated ticket-machine
# logs (conf.example/demo-history.pl: every opening day of the calendar,
# arrivals by hour and weekday) fed month by month, once into a store that
# runs "madoctl compact" (default retention: 60 days of detail, hourly
# figures after) at the end of each month, and once into a store that
# keeps everything, as the baseline.  Sizes: the LMDB file as it stands
# (it never shrinks; freed pages are reused) and a compacting copy
# (mdb_copy -c), which is what a backup takes.
#
# usage: bench/year.sh [BUILD_DIR]       env: DAYS (default 365)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
days=${DAYS:-365}
dir=$(mktemp -d /tmp/mado-bench-year.XXXXXX)
trap 'rm -rf "$dir"' EXIT

madoctl() { "$build/madoctl" "$@"; }
# each store its own audit key: a key's anchor follows one store
ms() { local s=$1; shift; madoctl --store "$dir/$s" --audit-key "$dir/$s.key" "$@"; }

now=$(date +%s)
start=$((now - (days + 1) * 86400))

for s in compacted kept; do
    MADO_NOW=$start ms "$s" init > /dev/null
    MADO_NOW=$start ms "$s" load "$top/conf.example/offices.json" > /dev/null
done

mkdir -p "$dir/logs"
MADO_STORE=$dir/kept MADO_AUDIT_KEY=$dir/kept.key perl "$top/conf.example/demo-history.pl" "$build/madoctl" \
    "$top/conf.example/offices.json" "$dir/logs" "$days" "$now" 42
lines=$(cat "$dir"/logs/*.log | wc -l)

# month by month, in order
months=$(cut -c1-6 "$dir"/logs/*.log | sort -u)
for m in $months; do
    # the end of that month's feed: its last line's day, 23:00 Japan time
    last=$(grep -h "^$m" "$dir"/logs/*.log | cut -c1-8 | sort | tail -1)
    t=$(date -d "${last:0:4}-${last:4:2}-${last:6:2}T23:00:00+09:00" +%s)
    [ "$t" -gt "$now" ] && t=$now
    for log in "$dir"/logs/*.log; do
        office=$(basename "$log" .log)
        grep "^$m" "$log" > "$dir/month.log" || continue
        for s in compacted kept; do
            MADO_NOW=$t ms "$s" feed --office "$office" \
                --format voicecall --quiet "$dir/month.log"
        done
    done
    MADO_NOW=$t ms compacted compact > /dev/null
done

size() { stat -c %s "$1/data.mdb"; }
copy() { rm -rf "$dir/copy"; mkdir "$dir/copy"; mdb_copy -c "$1" "$dir/copy"; stat -c %s "$dir/copy/data.mdb"; }

kept_file=$(size "$dir/kept"); kept_copy=$(copy "$dir/kept")
comp_file=$(size "$dir/compacted"); comp_copy=$(copy "$dir/compacted")

# the compacted store still answers for the oldest day
first=$(ls "$dir"/logs/*.log | head -1)
oldest=$(head -1 "$first" | cut -c1-8)
MADO_NOW=$now ms compacted report --office "$(basename "$first" .log)" \
    --from "${oldest:0:4}-${oldest:4:2}-${oldest:6:2}" --to "${oldest:0:4}-${oldest:4:2}-${oldest:6:2}" \
    | grep -q ',day,' || { echo "no report for the oldest day after compaction" >&2; exit 1; }

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "| store | data.mdb | compacting copy (mdb_copy -c) |"
echo "| --- | ---: | ---: |"
echo "| everything kept (baseline) | $(mib "$kept_file") | $(mib "$kept_copy") |"
echo "| compacted monthly, 60 days of detail | $(mib "$comp_file") | $(mib "$comp_copy") |"
echo "| ratio compacted / kept | $(ratio "$comp_file" "$kept_file") | $(ratio "$comp_copy" "$kept_copy") |"
echo
echo "$days days, 14 offices, $lines ticket-machine events."
