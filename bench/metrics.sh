#!/usr/bin/env bash
# Does scraping /metrics show in citizen throughput?  One nginx, one worker,
# the one-office API (the cheapest citizen answer, so the most sensitive to
# any cost) measured with wrk on loopback in three phases a round, in the
# same run: not scraped, scraped every SCRAPE seconds (curl, as Prometheus
# would, from the first second of the phase), not scraped again.  The two
# unscraped phases of a round measure the run's own noise.
#
# The work is checked before anything is reported: no wrk error or non-2xx
# answer, every scrape a 200 in the Prometheus format, and the metrics'
# own count (mado_requests_total) holds every request wrk completed
# (route "api", at most one in flight per connection and phase more) and
# every scrape (route "metrics").
#
# Since single phases move by more than any cost a scrape could have on a
# shared machine, the script also measures that cost directly: the
# worker's CPU time (/proc/PID/schedstat, in ns) for QUIET_SCRAPES scrapes in a
# row with nothing else served, against its CPU time per citizen answer
# in the unscraped phases; what scraping every SCRAPE seconds can take
# from citizens is at most that CPU's share of the worker's time.
#
# usage: bench/metrics.sh [BUILD_DIR]   env: ROUNDS (3), DURATION (s, 20),
#                                            SCRAPE (s, 5), CONNS (50), PORT (18085),
#                                            QUIET_SCRAPES (500)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
rounds=${ROUNDS:-3}
duration=${DURATION:-20}
every=${SCRAPE:-5}
conns=${CONNS:-50}
port=${PORT:-18085}
quiet=${QUIET_SCRAPES:-500}

. "$top/bench/lib.sh"
bench_dir metrics

# some life in the figures, as bench/api.sh does
"$build/madoctl" --store "$store" simulate --duration 2 --interval 0.2 --seed 7 > /dev/null

bench_nginx_conf "" "
        location /api/ { mado_api; mado_max_age 5s; }
        location = /metrics { allow 127.0.0.1; deny all; mado_metrics; }"
bench_nginx_start

url=http://127.0.0.1:$port
worker=$(pgrep -P "$(cat "$dir/nginx.pid")")
[ "$(wc -w <<< "$worker")" = 1 ] || { echo "not one worker: $worker" >&2; exit 1; }
# the worker's CPU time so far, in ns (the scheduler's count: a clock
# tick's 10 ms would be coarser than a scrape)
cpu() { cut -d' ' -f1 "/proc/$worker/schedstat"; }
mkdir -p "$dir/scrapes"
scrapes=0
scrape() {    # N: one scrape, kept as scrapes/N, its HTTP status and time
    curl -s -o "$dir/scrapes/$1" -w '%{http_code} %{time_total}\n' "$url/metrics" \
        >> "$dir/scrapes.txt"
}

wrk_total=0
phase() {    # plain|scraped: prints requests/s
    local kind=$1 pid= out n
    if [ "$kind" = scraped ]; then
        (
            i=0
            while :; do
                scrape "$BASHPID-$i"
                i=$((i + 1))
                sleep "$every"
            done
        ) &
        pid=$!
    fi
    c0=$(cpu)
    out=$(wrk -t1 -c"$conns" -d"${duration}s" "$url/api/v1/offices/kita")
    c1=$(cpu)
    if [ -n "$pid" ]; then
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    fi
    if grep -Eq 'Non-2xx|Socket errors' <<< "$out"; then
        echo "wrk saw errors or non-2xx answers:" >&2; echo "$out" >&2
        exit 1
    fi
    n=$(awk '/ requests in / { print $1 }' <<< "$out")
    echo "$n" >> "$dir/wrk_total"
    echo "$kind $n $((c1 - c0))" >> "$dir/cpu"
    awk '/^Requests\/sec/ { print $2 }' <<< "$out"
}

: > "$dir/wrk_total"; : > "$dir/scrapes.txt"
phase plain > /dev/null    # warm up

declare -a plain1 scraped plain2
for ((r = 0; r < rounds; r++)); do
    plain1[r]=$(phase plain)
    scraped[r]=$(phase scraped)
    plain2[r]=$(phase plain)
done

# the work: every scrape a 200 in the text format, every request counted
scrapes=$(wc -l < "$dir/scrapes.txt")
if [ "$scrapes" -lt $((rounds * (duration / every))) ] || grep -vq '^200 ' "$dir/scrapes.txt"; then
    echo "scrapes: $scrapes, expected $((rounds * (duration / every))) or more, all 200:" >&2
    cat "$dir/scrapes.txt" >&2
    exit 1
fi
for f in "$dir"/scrapes/*; do
    grep -q '^# TYPE mado_requests_total counter$' "$f" \
        || { echo "$f: not the metrics" >&2; exit 1; }
done
if command -v promtool > /dev/null; then
    promtool check metrics < "$(ls "$dir"/scrapes/* | head -1)" \
        || { echo "promtool check metrics failed" >&2; exit 1; }
fi
curl -sf "$url/metrics" > "$dir/final"
wrk_total=$(awk '{ n += $1 } END { print n }' "$dir/wrk_total")
api=$(awk '/^mado_requests_total\{route="api",/ { n += $2 } END { print n + 0 }' "$dir/final")
api_ok=$(awk '/^mado_requests_total\{route="api",code="200"\}/ { n += $2 } END { print n + 0 }' "$dir/final")
met=$(awk '/^mado_requests_total\{route="metrics",code="200"\}/ { n += $2 } END { print n + 0 }' "$dir/final")
phases=$((3 * rounds + 1))
if [ "$api_ok" -lt "$wrk_total" ] || [ "$api" -gt $((wrk_total + conns * phases)) ] \
   || [ "$met" -lt "$scrapes" ] || [ "$met" -gt $((scrapes + 1)) ]; then
    echo "metrics count $api api requests ($api_ok 200) and $met scrapes;" \
         "wrk completed $wrk_total, $scrapes scrapes made" >&2
    exit 1
fi

# the cost of a scrape, measured where it is paid: the worker's CPU
c0=$(cpu)
for ((i = 0; i < quiet; i++)); do
    printf 'url = "%s/metrics"\noutput = "/dev/null"\n' "$url"
done | curl -s -K - -w '%{http_code}\n' > "$dir/quiet.txt"
c1=$(cpu)
if [ "$(grep -c '^200$' "$dir/quiet.txt")" != "$quiet" ]; then
    echo "quiet scrapes: not $quiet answers 200" >&2; exit 1
fi
scrape_cpu=$(awk -v c=$((c1 - c0)) -v n="$quiet" 'BEGIN { printf "%.3f", c / n / 1e6 }')
read -r req_cpu req_n < <(awk '$1 == "plain" { n += $2; c += $3 } END { printf "%.2f %d\n", c / n / 1e3, n }' "$dir/cpu")
bench_nginx_alerts

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

m_plain=$(echo "${plain1[*]} ${plain2[*]}" | median)
m_scraped=$(echo "${scraped[*]}" | median)
round_ratios= noise=
for ((r = 0; r < rounds; r++)); do
    round_ratios+="$(ratio "${scraped[r]}" "$(awk -v a="${plain1[r]}" -v b="${plain2[r]}" 'BEGIN { print (a + b) / 2 }')") "
    noise+="$(ratio "${plain2[r]}" "${plain1[r]}") "
done
spread=$(echo "${plain1[*]} ${plain2[*]}" | tr ' ' '\n' | grep . | sort -g \
         | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f", hi / lo }')
body=$(stat -c %s "$(ls "$dir"/scrapes/* | head -1)")
scrape_ms=$(awk '{ print 1000 * $2 }' "$dir/scrapes.txt" | median)

cat <<REPORT
| one office \`/api/v1/offices/kita\` | req/s (median) | each round |
| --- | ---: | --- |
| not scraped (before and after, $((2 * rounds)) phases) | $m_plain | ${plain1[*]} / ${plain2[*]} |
| scraped every ${every} s | $m_scraped | ${scraped[*]} |
| **ratio scraped / not scraped** | **$(ratio "$m_scraped" "$m_plain")** | per round (scraped / mean of its two unscraped): ${round_ratios% } |
| noise: second unscraped / first, same round | | ${noise% } |

$rounds rounds of 3 phases of \`wrk -t1 -c$conns -d${duration}s\` (not scraped, scraped, not
scraped), nginx with 1 worker; unscraped phases spread ${spread}× (fastest / slowest).
$scrapes scrapes, all 200, $body bytes each, median $scrape_ms ms; the metrics counted
$api_ok api answers (wrk completed $wrk_total) and $met scrapes.
The worker's CPU: $scrape_cpu ms a scrape ($quiet in a row, nothing else served), $req_cpu µs a
citizen answer (the unscraped phases, $req_n answers): a scrape costs as much as
$(awk -v a="$scrape_cpu" -v b="$req_cpu" 'BEGIN { printf "%.0f", 1000 * a / b }') answers, and one every ${every} s takes at most $(awk -v a="$scrape_cpu" -v e="$every" 'BEGIN { printf "%.4f", a / (10 * e) }') % of the
worker's time (a ratio of $(awk -v a="$scrape_cpu" -v e="$every" 'BEGIN { printf "%.5f", 1 - a / (1000 * e) }') at saturation).
$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end.
REPORT
