#!/usr/bin/env bash
# Ticket-machine feed throughput: `madoctl feed` of a voicecall log, and the
# same events posted as jsonl batches to the update API (POST .../feed, one
# curl keeping its connection), against a plain loop of LMDB puts of the same
# number of ticket records, in transactions of the same size, measured in the
# same run with hyperfine.
#
# usage: bench/feed.sh [BUILD_DIR]     env: EVENTS (default 300000),
#                                           BATCH (4096, at most 5000: the
#                                           API takes 512 KB a batch),
#                                           RUNS (5), PORT (18082)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
events=${EVENTS:-300000}
batch=${BATCH:-4096}
runs=${RUNS:-5}
port=${PORT:-18082}

. "$top/bench/lib.sh"
bench_dir feed

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

# nginx takes the test clock in unix seconds
export MADO_NOW=$(date -d 2026-11-27T23:00:00+09:00 +%s)

# the log numbers tickets up to 9999: the example's ticket ranges would make
# most of its lines bad (and cheap), so the counters take any number here
perl -MJSON::PP -e '
    my $d = decode_json(do { local (@ARGV, $/) = $ARGV[0]; <> });
    delete $_->{ticket_range} for map { @{ $_->{counters} } } @{ $d->{offices} };
    print encode_json($d);' "$top/conf.example/offices.json" > "$dir/offices.json"

# the same events as jsonl, BATCH to a file: what a machine's bridge posts
mkdir -p "$dir/jsonl"
perl -e '
    my ($log, $batch, $out) = @ARGV;
    my %counter = (11 => "moving", 21 => "certificates", 31 => "family", 41 => "mynumber");
    my @event = qw(issue call cancel);
    open(my $in, "<", $log) or die "$log: $!";
    my ($n, $fh) = (0);
    while (<$in>) {
        s/\r?\n$//;
        my ($d, $t, $k, $c, $no) = split /,/;
        if ($n++ % $batch == 0) {
            open($fh, ">", sprintf("%s/b%05d.jsonl", $out, $n / $batch)) or die;
        }
        printf $fh "{\"time\":\"%s-%s-%sT%s+09:00\",\"event\":\"%s\",\"counter\":\"%s\",\"ticket\":%d}\n",
            substr($d, 0, 4), substr($d, 4, 2), substr($d, 6, 2), $t, $event[$k], $counter{$c}, $no;
    }' "$dir/kita.log" "$batch" "$dir/jsonl"

bench_nginx_conf "" "location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }" "env MADO_NOW;"

# a fresh store and nginx on it, a feed account, and a curl config that
# posts every batch in order on one connection
api_prepare() {
    local f token
    bench_nginx_stop
    bench_store "$dir/offices.json"
    token=$("$build/madoctl" --store "$store" user add machine --role feed --office kita \
            | grep -o '^mado_[0-9a-f]*$')
    rm -f "$dir"/jsonl/*.out
    : > "$dir/curl.conf"
    for f in "$dir"/jsonl/b*.jsonl; do
        [ -s "$dir/curl.conf" ] && echo next >> "$dir/curl.conf"
        cat >> "$dir/curl.conf" <<CURL
url = "http://127.0.0.1:$port/api/v1/admin/offices/kita/feed"
header = "Authorization: Bearer $token"
header = "Content-Type: application/x-ndjson"
data-binary = "@$f"
output = "$f.out"
fail
CURL
    done
    bench_nginx_start
}
export -f api_prepare bench_nginx_stop bench_nginx_start bench_store
export dir store build top port nginx

prepare_feed="rm -rf $dir/store ${MADO_AUDIT_KEY%.key}.anchor && $build/madoctl --store $dir/store init > /dev/null && $build/madoctl --store $dir/store load $dir/offices.json > /dev/null"
prepare_puts="rm -rf $dir/puts && mkdir $dir/puts"

hyperfine --style basic --shell bash --runs "$runs" --warmup 1 --export-json "$dir/h.json" \
    --prepare "$prepare_feed" -n feed \
    "$build/madoctl --store $dir/store feed --office kita --format voicecall --batch $batch -q $dir/kita.log" \
    --prepare api_prepare -n api \
    "curl -sS -K $dir/curl.conf 2>>$dir/curl.err" \
    --prepare "$prepare_puts" -n puts \
    "$dir/lmdb_puts $dir/puts $lines $batch" > "$dir/hyperfine.out"

# the last timed post, to a fresh store, applied every event: each answer says
# how many, and the counters' figures equal the madoctl feed's
api_applied=$(perl -MJSON::PP -e '
    my $a = 0;
    $a += decode_json(do { local (@ARGV, $/) = $_; <> })->{applied} for @ARGV;
    print $a;' "$dir"/jsonl/*.out)
[ "$api_applied" -eq "$lines" ] \
    || { echo "the API applied $api_applied of $lines events" >&2; exit 1; }
"$build/madoctl" --store "$store" show --json kita > "$dir/api-show.json"
bench_nginx_stop
bench_nginx_alerts

# what madoctl feed timed applies every line, none bad (a fresh store, fed once)
eval "$prepare_feed"
"$build/madoctl" --store "$dir/store" feed --office kita --format voicecall "$dir/kita.log" \
    | grep -q ": $lines lines: $lines applied, 0 already known, 0 of an earlier day, 0 bad" \
    || { echo "feed did not apply every line" >&2; exit 1; }

"$build/madoctl" --store "$dir/store" show --json kita > "$dir/feed-show.json"
perl -MJSON::PP -e '
    my @f = map { my $d = decode_json(do { local (@ARGV, $/) = $_; <> });
                  join " ", map { "$_->{id}:$_->{waiting}:$_->{calling}:$_->{last_issued}:$_->{served_today}" }
                      @{ $d->{offices}[0]{counters} } } @ARGV;
    die "no figures read\n" unless $f[0] =~ /^moving:\d+:[1-9]/;
    die "the API left other figures than madoctl feed: $f[0] / $f[1]\n" if $f[0] ne $f[1];
    ' "$dir/api-show.json" "$dir/feed-show.json"

# peak memory of one feed
eval "$prepare_feed"
rss=$(/usr/bin/time -f %M "$build/madoctl" --store "$dir/store" feed --office kita \
      --format voicecall --batch "$batch" -q "$dir/kita.log" 2>&1 >/dev/null | tail -1)

perl -MJSON::PP -e '
    my ($file, $lines, $bytes, $batch, $rss) = @ARGV;
    my $h = decode_json(do { local (@ARGV, $/) = $file; <> });
    my %m = map { $_->{command} => $_ } @{ $h->{results} };
    my ($f, $a, $p) = ($m{feed}{median}, $m{api}{median}, $m{puts}{median});
    printf "| events | %d (%.1f MB, batch %d) |\n", $lines, $bytes / 1e6, $batch;
    printf "| madoctl feed | %.3f s median = %.0f events/s |\n", $f, $lines / $f;
    printf "| POST feed (jsonl, %d batches, one connection) | %.3f s median = %.0f events/s |\n",
        ($lines + $batch - 1) / $batch, $a, $lines / $a;
    printf "| plain LMDB puts | %.3f s median = %.0f puts/s |\n", $p, $lines / $p;
    printf "| ratio feed / puts | %.3f |\n", $p / $f;
    printf "| ratio POST feed / puts | %.3f |\n", $p / $a;
    printf "| feed peak RSS | %d KiB |\n", $rss;
' "$dir/h.json" "$lines" "$bytes" "$batch" "$rss"
