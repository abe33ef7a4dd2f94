#!/usr/bin/env bash
# Citizen API throughput against nginx's fastest ways to send the same bytes.
#
# One nginx, one worker, serving in the same run:
#   /api/v1/offices/kita   the module          vs  /return/kita  `return 200` of its exact bytes
#   /api/v1/offices        the module          vs  /static/all.json  a static file of its bytes
#   /kita (office page)    the module          vs  /static/kita.html a static file of its bytes,
#                          plain and with Accept-Encoding: gzip (gzip_static of its gzip bytes)
# Both baselines carry the same extra headers as the module (add_header), so
# the wire bytes match.  wrk runs each in turn, ROUNDS times, alternating;
# the median requests/s of each are compared.
#
# usage: bench/api.sh [BUILD_DIR]      env: DURATION (s, default 8), ROUNDS (3),
#                                           CONNS (50), PORT (18080)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
duration=${DURATION:-8}
rounds=${ROUNDS:-3}
conns=${CONNS:-50}
port=${PORT:-18080}

. "$top/bench/lib.sh"
bench_dir api
mkdir -p "$dir/html/static"

# give the figures some life: one short burst of the simulator
"$build/madoctl" --store "$store" simulate --duration 2 --interval 0.2 --seed 7 > /dev/null

write_conf() {
    bench_nginx_conf "
    mado_messages $top/conf.example/i18n;
    mado_assets $top/conf.example/assets;
    mado_public_url http://127.0.0.1:$port;" "
        location /api/ { mado_api; mado_max_age 5s; }
        location / { mado_pages; mado_max_age 5s; }
        $1"
}

# first start: fetch the exact bytes and headers the module sends
write_conf ""
bench_nginx_start
curl -sf -o "$dir/one.json" -D "$dir/one.hdr" "http://127.0.0.1:$port/api/v1/offices/kita"
curl -sf -o "$dir/html/static/all.json" "http://127.0.0.1:$port/api/v1/offices"
etag=$(grep -i '^etag:' "$dir/one.hdr" | cut -d' ' -f2 | tr -d '\r')
curl -sf -H 'Accept-Language: ja' -o "$dir/html/static/kita.html" "http://127.0.0.1:$port/kita"
curl -sf -H 'Accept-Language: ja' -H 'Accept-Encoding: gzip' \
     -o "$dir/html/static/kita.html.gz" "http://127.0.0.1:$port/kita"
bench_nginx_stop

if grep -q '[$]' "$dir/one.json"; then
    echo "the response contains '\$', which 'return' would interpolate" >&2
    exit 1
fi

# nginx string: single-quoted, with \ and ' escaped
one=$(sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" "$dir/one.json")

write_conf "
        location = /return/kita {
            default_type 'application/json; charset=utf-8';
            add_header ETag '$etag';
            add_header Cache-Control 'public, max-age=5';
            add_header Access-Control-Allow-Origin '*';
            return 200 '$one';
        }
        # reference only: nginx's own simplest content handler against
        # 'return' of as many bytes with the same headers, to show what
        # answering in the content phase (after access checks) costs
        location = /ref/empty_gif { empty_gif; }
        location = /ref/return_43 {
            default_type image/gif;
            add_header Last-Modified 'Sun, 28 Sep 1970 06:00:00 GMT';
            return 200 'GIF89a-------------------------------------';
        }
        location = /static/kita.html {
            root $dir/html;
            default_type 'text/html; charset=utf-8';
            gzip_static on;
            etag off;
            add_header Vary 'Accept-Language, Cookie';
            add_header ETag '\"0123456789abcdef\"';
            add_header Cache-Control 'public, max-age=5';
        }
        location /static/ {
            root $dir/html;
            default_type 'application/json; charset=utf-8';
            etag off;
            add_header ETag '\"0123456789abcdef\"';
            add_header Cache-Control 'public, max-age=5';
            add_header Access-Control-Allow-Origin '*';
        }"
bench_nginx_start

# the bodies must be the very same bytes, or the comparison means nothing
cmp <(curl -sf "http://127.0.0.1:$port/return/kita") "$dir/one.json"
cmp <(curl -sf "http://127.0.0.1:$port/static/all.json") <(curl -sf "http://127.0.0.1:$port/api/v1/offices")
cmp <(curl -sf -H 'Accept-Language: ja' "http://127.0.0.1:$port/static/kita.html") \
    <(curl -sf -H 'Accept-Language: ja' "http://127.0.0.1:$port/kita")
cmp <(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/static/kita.html") \
    <(curl -sf -H 'Accept-Language: ja' -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/kita")

# a path ending in "+gz" is fetched with Accept-Encoding: gzip
rps() {
    local path=${1%+gz} hdr=()
    [ "$path" != "$1" ] && hdr=(-H 'Accept-Encoding: gzip')
    wrk -t1 -c"$conns" -d"${duration}s" -H 'Accept-Language: ja' "${hdr[@]}" \
        "http://127.0.0.1:$port$path" | awk '/^Requests\/sec/ { print $2 }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A runs
paths="/api/v1/offices/kita /return/kita /api/v1/offices /static/all.json /kita /static/kita.html /kita+gz /static/kita.html+gz /ref/empty_gif /ref/return_43"

for path in $paths; do rps "$path" > /dev/null; done   # warm up

for ((i = 1; i <= rounds; i++)); do
    for path in $paths; do
        runs[$path]+="$(rps "$path") "
    done
done

declare -A med
for path in $paths; do
    med[$path]=$(tr ' ' '\n' <<< "${runs[$path]}" | grep . | median)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

one_bytes=$(stat -c %s "$dir/one.json")
all_bytes=$(stat -c %s "$dir/html/static/all.json")

cat <<REPORT
| case | body bytes | mado req/s | baseline req/s | ratio |
| --- | ---: | ---: | ---: | ---: |
| one office: \`mado_api\` vs \`return 200\` | $one_bytes | ${med[/api/v1/offices/kita]} | ${med[/return/kita]} | $(ratio "${med[/api/v1/offices/kita]}" "${med[/return/kita]}") |
| all offices: \`mado_api\` vs static file | $all_bytes | ${med[/api/v1/offices]} | ${med[/static/all.json]} | $(ratio "${med[/api/v1/offices]}" "${med[/static/all.json]}") |
| office page: \`mado_pages\` vs static file | $(stat -c %s "$dir/html/static/kita.html") | ${med[/kita]} | ${med[/static/kita.html]} | $(ratio "${med[/kita]}" "${med[/static/kita.html]}") |
| office page gzip: \`mado_pages\` vs \`gzip_static\` | $(stat -c %s "$dir/html/static/kita.html.gz") | ${med[/kita+gz]} | ${med[/static/kita.html+gz]} | $(ratio "${med[/kita+gz]}" "${med[/static/kita.html+gz]}") |
| reference: nginx's \`empty_gif\` vs \`return 200\` | 43 | ${med[/ref/empty_gif]} | ${med[/ref/return_43]} | $(ratio "${med[/ref/empty_gif]}" "${med[/ref/return_43]}") |

Median of $rounds alternating rounds of \`wrk -t1 -c$conns -d${duration}s\`, nginx with 1 worker,
on $(nproc) cores; each round's figures: $(for p in $paths; do echo -n "$p: ${runs[$p]}; "; done)
REPORT

bench_nginx_alerts
