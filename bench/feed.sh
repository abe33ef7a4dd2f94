#!/usr/bin/env bash
# Ticket-machine feed throughput: `madoctl feed` of a voicecall log against
# a plain loop of LMDB puts of the same number of ticket records, in
# transactions of the same size, measured in the same run with hyperfine.
#
# usage: bench/feed.sh [BUILD_DIR]     env: EVENTS (default 300000),
#                                           BATCH (4096), RUNS (5)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
events=${EVENTS:-300000}
batch=${BATCH:-4096}
runs=${RUNS:-5}

dir=$(mktemp -d /tmp/mado-bench-feed.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export MADO_AUDIT_KEY=$dir/audit.key

cc -O2 -Wall -Wextra -Werror -o "$dir/lmdb_puts" "$top/bench/lmdb_puts.c" -llmdb

# a long day at kita's four counters: each second every counter issues a
# ticket and calls one, numbers wrap round 1..9999, now and then a cancel
# (Shift_JIS-free ASCII, CRLF as machines write it)
perl -e '
    my ($n, @codes) = ($ARGV[0], qw(11 21 31 41));
    my ($i, $s) = (0, 0);
    my @next = (1) x 4; my @call = (1) x 4;
    while ($i < $n) {
        my $t = sprintf("20261127,%02d:%02d:%02d", 8 + $s / 3600, $s / 60 % 60, $s % 60);
        for my $c (0 .. 3) {
            last if $i >= $n;
            print "$t,0,$codes[$c],$next[$c]\r\n"; $i++;
            $next[$c] = $next[$c] % 9999 + 1;
            if ($s > 30 && $i < $n) {
                my $kind = ($i % 50 == 0) ? 2 : 1;
                print "$t,$kind,$codes[$c],$call[$c]\r\n"; $i++;
                $call[$c] = $call[$c] % 9999 + 1;
            }
        }
        $s++;
    }' "$events" > "$dir/kita.log"

lines=$(wc -l < "$dir/kita.log")
bytes=$(stat -c %s "$dir/kita.log")

export MADO_NOW=2026-11-27T23:00:00+09:00

# the log numbers tickets up to 9999: the example's ticket ranges would make
# most of its lines bad (and cheap), so the counters take any number here
perl -MJSON::PP -e '
    my $d = decode_json(do { local (@ARGV, $/) = $ARGV[0]; <> });
    delete $_->{ticket_range} for map { @{ $_->{counters} } } @{ $d->{offices} };
    print encode_json($d);' "$top/conf.example/offices.json" > "$dir/offices.json"

prepare_feed="rm -rf $dir/store && $build/madoctl --store $dir/store init > /dev/null && $build/madoctl --store $dir/store load $dir/offices.json > /dev/null"
prepare_puts="rm -rf $dir/puts && mkdir $dir/puts"

hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$dir/h.json" \
    --prepare "$prepare_feed" -n feed \
    "$build/madoctl --store $dir/store feed --office kita --format voicecall --batch $batch -q $dir/kita.log" \
    --prepare "$prepare_puts" -n puts \
    "$dir/lmdb_puts $dir/puts $lines $batch" > "$dir/hyperfine.out"

# the feed really applied every line
# what was timed applies every line, none bad (a fresh store, fed once)
eval "$prepare_feed"
"$build/madoctl" --store "$dir/store" feed --office kita --format voicecall "$dir/kita.log" \
    | grep -q ": $lines lines: $lines applied, 0 already known, 0 of an earlier day, 0 bad" \
    || { echo "feed did not apply every line" >&2; exit 1; }

# peak memory of one feed
eval "$prepare_feed"
rss=$(/usr/bin/time -f %M "$build/madoctl" --store "$dir/store" feed --office kita \
      --format voicecall --batch "$batch" -q "$dir/kita.log" 2>&1 >/dev/null | tail -1)

perl -MJSON::PP -e '
    my ($file, $lines, $bytes, $batch, $rss) = @ARGV;
    my $h = decode_json(do { local (@ARGV, $/) = $file; <> });
    my %m = map { $_->{command} => $_ } @{ $h->{results} };
    my ($f, $p) = ($m{feed}{median}, $m{puts}{median});
    printf "| events | %d (%.1f MB, batch %d) |\n", $lines, $bytes / 1e6, $batch;
    printf "| madoctl feed | %.3f s median = %.0f events/s |\n", $f, $lines / $f;
    printf "| plain LMDB puts | %.3f s median = %.0f puts/s |\n", $p, $lines / $p;
    printf "| ratio feed / puts | %.3f |\n", $p / $f;
    printf "| feed peak RSS | %d KiB |\n", $rss;
' "$dir/h.json" "$lines" "$bytes" "$batch" "$rss"
