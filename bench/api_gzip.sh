#!/usr/bin/env bash
# The index's refresh in bytes, and what gzip of the API costs per snapshot.
#
# One nginx with the example's 14 offices after a burst of the simulator:
#   - bytes on the wire (body) of /api/v1/offices (what the index fetched
#     before issue 17) and /api/v1/summary (what it fetches now), plain and
#     gzipped, and per minute at the demo's mado_refresh (10 s);
#   - the cost of making the gzip variants once per snapshot: zlib at the
#     module's settings (level 9, memLevel 9, gzip wrapper) on the exact
#     bytes the module serves, median of ROUNDS runs of N compressions;
#   - the same, end to end: after a write, the first gzip request (which
#     compresses) against the next one (which does not), ROUNDS times.
#
# usage: bench/api_gzip.sh [BUILD_DIR]     env: ROUNDS (7), N (200), PORT (18084)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
rounds=${ROUNDS:-7}
n=${N:-200}
port=${PORT:-18084}

. "$top/bench/lib.sh"
bench_dir api_gzip

"$build/madoctl" --store "$store" simulate --duration 2 --interval 0.2 --seed 7 > /dev/null

bench_nginx_conf "" "location /api/ { mado_api; }"
bench_nginx_start

url=http://127.0.0.1:$port
for p in offices summary; do
    curl -sf -o "$dir/$p.json" "$url/api/v1/$p"
    curl -sf -H 'Accept-Encoding: gzip' -o "$dir/$p.json.gz" "$url/api/v1/$p"
    cmp -s "$dir/$p.json" <(gzip -dc "$dir/$p.json.gz") || { echo "$p: gzip differs" >&2; exit 1; }
done

size() { stat -c %s "$1"; }
echo "| document | plain bytes | gzip bytes | gzip per minute at 10 s |"
echo "| --- | ---: | ---: | ---: |"
for p in offices summary; do
    printf '| `/api/v1/%s` | %d | %d | %d |\n' "$p" "$(size "$dir/$p.json")" \
        "$(size "$dir/$p.json.gz")" "$(( $(size "$dir/$p.json.gz") * 6 ))"
done
printf 'plain /api/v1/offices per minute at 10 s: %d bytes\n' "$(( $(size "$dir/offices.json") * 6 ))"

# zlib at the module's settings (ngx_http_mado_doc_gzip) on the same bytes:
# a snapshot gzips the list, the summary and the office that changed
perl -MCompress::Raw::Zlib -MTime::HiRes=time -e '
    my ($rounds, $n, @files) = @ARGV;
    for my $f (@files) {
        open my $fh, "<:raw", $f or die "$f: $!";
        local $/; my $in = <$fh>;
        my @t;
        for (1 .. $rounds) {
            my $t0 = time;
            for (1 .. $n) {
                my ($d) = Compress::Raw::Zlib::Deflate->new(-Level => 9, -MemLevel => 9,
                    -WindowBits => 31, -AppendOutput => 1);
                my $out = "";
                $d->deflate($in, $out); $d->flush($out);
            }
            push @t, (time - $t0) / $n;
        }
        @t = sort { $a <=> $b } @t;
        printf "zlib level 9 of %s (%d bytes): %.3f ms median of %d rounds\n",
            $f =~ s{.*/}{}r, length $in, $t[$#t / 2] * 1000, $rounds;
    }' "$rounds" "$n" "$dir/offices.json" "$dir/summary.json"

# end to end: a write makes a new snapshot; its first gzip request
# compresses, the second finds the variant made
first=() next=()
for i in $(seq "$rounds"); do
    "$build/madoctl" --store "$store" set kita moving --waiting "$((i + 3))" > /dev/null
    sleep 1.1
    for p in offices; do
        curl -sf -o /dev/null "$url/api/v1/summary"     # render the snapshot
        a=$(curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_total}' "$url/api/v1/$p")
        b=$(curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_total}' "$url/api/v1/$p")
        first+=("$a") next+=("$b")
    done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)] * 1000}'; }
echo "after a write, /api/v1/offices gzip: first request $(median "${first[@]}") ms, next $(median "${next[@]}") ms (medians of $rounds, curl time_total)"

bench_nginx_alerts || true
