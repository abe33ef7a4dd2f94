#!/usr/bin/env bash
# madoctl backup against plain `mdb_copy -c` on the demo's store (the 14
# offices, eight weeks of ticket-machine history fed as `make run` does):
# the time of each (hyperfine, the median of its runs) and the size of
# what each writes.  backup's time includes what mdb_copy does not do:
# sealing (AES-256-GCM), flushing, and opening the backup again to check it.
#
# usage: bench/backup.sh [BUILD_DIR]       env: DAYS (default 56), RUNS (10)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
days=${DAYS:-56}
runs=${RUNS:-10}
dir=$(mktemp -d /tmp/mado-bench-backup.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export MADO_AUDIT_KEY=$dir/audit.key
store=$dir/store

madoctl() { "$build/madoctl" --store "$store" "$@"; }

madoctl init > /dev/null
now=$(date +%s)
MADO_NOW=$((now - (days + 1) * 86400)) madoctl load "$top/conf.example/offices.json" > /dev/null
mkdir -p "$dir/history"
MADO_STORE=$store perl "$top/conf.example/demo-history.pl" "$build/madoctl" \
    "$top/conf.example/offices.json" "$dir/history" "$days" "$now" > /dev/null
for log in "$dir/history"/*.log; do
    MADO_NOW=$now madoctl feed --office "$(basename "$log" .log)" \
        --format voicecall --quiet "$log" > /dev/null
done

mkdir -p "$dir/out"
hyperfine --style basic --runs "$runs" --export-json "$dir/h.json" \
    --prepare "rm -rf $dir/out/copy $dir/out/b.mbk; mkdir $dir/out/copy" \
    "mdb_copy -c $store $dir/out/copy" \
    "$build/madoctl --store $store backup $dir/out/b.mbk" > /dev/null

mkdir "$dir/out/copy2"
mdb_copy -c "$store" "$dir/out/copy2"
madoctl backup "$dir/out/b.mbk" > /dev/null

size() { stat -c %s "$1"; }
median() { perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> }); printf "%.1f\n", 1000 * $d->{results}[$ARGV[0]]{median}' "$1" < "$dir/h.json"; }

echo "| what | time (ms, median of $runs) | bytes written |"
echo "| --- | ---: | ---: |"
echo "| store as it stands (data.mdb) | | $(size "$store/data.mdb") |"
echo "| \`mdb_copy -c\` | $(median 0) | $(size "$dir/out/copy2/data.mdb") |"
echo "| \`madoctl backup\` (sealed, checked) | $(median 1) | $(size "$dir/out/b.mbk") |"
