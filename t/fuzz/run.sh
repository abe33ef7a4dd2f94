#!/usr/bin/env bash
# t/fuzz/run.sh BUILD NAME SECONDS: libFuzzer target NAME for SECONDS,
# from its seeds (t/fuzz/corpus/NAME, in the tree) and what earlier runs
# found (BUILD/corpus/NAME), with t/fuzz/NAME.dict when there is one.
# One line of what it did; on a crash, libFuzzer's report and exit 1.
set -euo pipefail

build=$1 name=$2 secs=$3
here=$(dirname "$0")
corpus=$build/corpus/$name
log=$build/logs/$name.log
mkdir -p "$corpus" "$build/logs"

opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix="$build/crash-$name-")
if [ -f "$here/$name.dict" ]; then
    opts+=(-dict="$here/$name.dict")
fi

export UBSAN_OPTIONS=print_stacktrace=1
if ! "$build/fuzz_$name" "${opts[@]}" "$corpus" "$here/corpus/$name" > "$log" 2>&1; then
    tail -80 "$log"
    echo "fuzz_$name: FAILED; the input is $build/crash-$name-*, the log $log"
    exit 1
fi

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
echo "fuzz_$name: ${secs} s, ${execs:-?} executions, ${cov:-cov: ?}," \
     "$(ls "$corpus" | wc -l) inputs found + $(ls "$here/corpus/$name" | wc -l) seeds"
