#!/usr/bin/env bash
# make test-deb: the Debian packages on this machine, as a sysadmin gets
# them (docs/admin.md, "Install on Debian"), and left as it was found.
#
#   1. make deb twice: VERSION~test1 (build/deb-v1/) and VERSION (build/deb/);
#      lintian on the second (no errors)
#   2. apt-get install of v1: the user, the modes, the key and the store;
#      the feed's account (mado, group www-data) can write with the key
#   3. the site enabled (ln -s), nginx -t, the system's nginx started or
#      reloaded; a page and an API answer over HTTPS with the snakeoil
#      certificate, the HTTP redirect
#   4. the upgrade to v2 under wrk on loopback (new connections, TLS): no
#      failed request, every nginx process maps the new .so, the old master
#      gone; then a reinstall under keep-alive load, measured (see below)
#   5. apt-get purge: nothing left (files, links, the user), nginx -t passes
#
# Root only (it installs packages and runs /usr/sbin/nginx with the system
# configuration); otherwise it says so and skips.  It refuses to run where
# mado is installed or its directories exist.  Other nginx processes of
# the machine (tests with their own -c) are never signalled: only the
# master of /run/nginx.pid and its workers.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

HOST=mado.example.city.kyoto.lg.jp
SO=/usr/lib/nginx/modules/ngx_http_mado_module.so
PID=/run/nginx.pid
# long enough for apt (dpkg, man-db's trigger) on a busy 2-core machine
LOAD_SECONDS=${MADO_DEB_LOAD_SECONDS:-40}

skip() { echo "1..0 # SKIP test-deb: $*"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip "needs root: it installs the packages and runs the system's nginx"
for c in dpkg-buildpackage apt-get wrk curl openssl lintian; do
    command -v "$c" > /dev/null || skip "$c missing (make deps)"
done
if dpkg-query -W -f='${Status}\n' mado libnginx-mod-http-mado 2>/dev/null | grep -qv 'not-installed'; then
    skip "mado or libnginx-mod-http-mado is installed here: not touching a real installation"
fi
getent passwd mado > /dev/null && skip "a user mado exists: not touching a real installation"

n=0 failed=0
ok() {      # ok COND-STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
check() {   # check NAME COMMAND...
    local name=$1; shift
    "$@"; ok $? "$name"
}
note() { echo "# $*"; }

# ---- the machine as found ----------------------------------------------

snapshot() {
    find /etc/nginx /usr/lib/nginx/modules /usr/share/nginx/modules-available \
         /etc/fail2ban /etc/nftables.d /lib/systemd/system /etc/ssl \
         -printf '%p %y %m %u %g %l\n' 2>/dev/null | sort
    find /etc/nginx /etc/fail2ban -type f -exec md5sum {} + 2>/dev/null | sort
    getent passwd mado; getent group mado
    dpkg-statoverride --list
}

before=$(mktemp -d /tmp/mado-test-deb.XXXXXX)

snapshot > "$before/snapshot"
snakeoil_was=0
[ -e /etc/ssl/certs/ssl-cert-snakeoil.pem ] && snakeoil_was=1

master_was=
if [ -s "$PID" ] && [ "$(cat /proc/"$(cat $PID)"/comm 2>/dev/null)" = nginx ]; then
    master_was=$(cat $PID)
fi
systemd=0
[ -d /run/systemd/system ] && systemd=1
note "PID 1 is $(cat /proc/1/comm); system nginx ${master_was:+running (master $master_was)}${master_was:-not running}"

if [ -z "$master_was" ]; then
    if ss -Hltn '( sport = :80 or sport = :443 )' | grep -q .; then
        skip "ports 80 or 443 are taken by something else than the system's nginx"
    fi
fi

# the certificate postinst made (ssl-cert's make-ssl-cert), and its hash link
snakeoil_remove() {
    find /etc/ssl/certs -maxdepth 1 -type l -lname '*ssl-cert-snakeoil.pem' -delete
    rm -f /etc/ssl/certs/ssl-cert-snakeoil.pem /etc/ssl/private/ssl-cert-snakeoil.key
}

nginx_start_or_reload() {
    local m
    m=$(cat $PID 2>/dev/null)
    if [ -n "$m" ] && [ "$(cat /proc/"$m"/comm 2>/dev/null)" = nginx ]; then
        if [ $systemd -eq 1 ]; then systemctl reload nginx; else /usr/sbin/nginx -s reload; fi
    else
        if [ $systemd -eq 1 ]; then systemctl start nginx; else /usr/sbin/nginx; fi
    fi
}

# the master of /run/nginx.pid and its workers
nginx_procs() {
    local m
    m=$(cat $PID 2>/dev/null) || return
    echo "$m"
    ps -o pid= --ppid "$m"
}

cleanup() {
    set +e
    rm -f /etc/nginx/sites-enabled/mado
    if dpkg-query -W -f='${Status}\n' mado libnginx-mod-http-mado 2>/dev/null | grep -qv 'not-installed'; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q mado libnginx-mod-http-mado > /dev/null 2>&1
    fi
    [ $snakeoil_was -eq 1 ] || snakeoil_remove
    local m
    m=$(cat $PID 2>/dev/null)
    if [ -z "$master_was" ]; then
        # started here: stopped again
        if [ -n "$m" ] && [ "$(cat /proc/"$m"/comm 2>/dev/null)" = nginx ]; then
            if [ $systemd -eq 1 ]; then systemctl stop nginx; else /usr/sbin/nginx -s quit; fi
            for _ in $(seq 100); do [ -e "/proc/$m" ] || break; sleep 0.1; done
        fi
    elif [ -n "$m" ]; then
        # running before: on the configuration as found
        /usr/sbin/nginx -t -q && nginx_start_or_reload
    fi
    for d in $aside; do
        rm -rf "$d"
        mv "$before/aside$d" "$d"
    done
    rm -rf "$before"
}
# Directories of mado without its package (a madoctl run as root with
# the default --audit-key leaves /etc/mado/audit.key): set aside, put back
# at the end, so that the package starts from nothing and its purge
# removes nothing it did not make
aside=
for d in /etc/mado /var/lib/mado /var/backups/mado; do
    if [ -e "$d" ]; then
        mkdir -p "$before/aside$(dirname "$d")"
        mv "$d" "$before/aside$d" && aside+=" $d"
        echo "# $d (no package) set aside until the end"
    fi
done
trap cleanup EXIT

# ---- 1. build ------------------------------------------------------------

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
v1="$version~test1"
t0=$(date +%s)
make -s deb DEB_DIR=build/deb-v1 DEB_VERSION="$v1" > /dev/null || { echo "not ok - make deb $v1"; exit 1; }
make -s deb > /dev/null || { echo "not ok - make deb $version"; exit 1; }
note "two builds: $(( $(date +%s) - t0 )) s"
check "lintian: no errors" make -s lintian

deb() { echo "$1/${2}_${3}_$(dpkg --print-architecture).deb"; }
V1=("$(deb build/deb-v1 mado "$v1")" "$(deb build/deb-v1 libnginx-mod-http-mado "$v1")")
V2=("$(deb build/deb mado "$version")" "$(deb build/deb libnginx-mod-http-mado "$version")")

# ---- 2. install ------------------------------------------------------------

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades \
        -o Dpkg::Options::=--force-confold "$@" > "$before/apt.log" 2>&1
}
check "apt-get install of $v1" apt_install "${V1[@]/#/./}"
[ $failed -eq 0 ] || { cat "$before/apt.log"; exit 1; }
dpkg -L mado libnginx-mod-http-mado | sort -u > "$before/files"

mode() { stat -c '%U:%G %a' "$1" 2>&1; }
check "user and group mado, a system account" \
    bash -c '[ "$(getent passwd mado | cut -d: -f3)" -lt 1000 ] && getent group mado > /dev/null'
check "/etc/mado root:mado 0750"          [ "$(mode /etc/mado)" = "root:mado 750" ]
check "the audit key mado:mado 0600"      [ "$(mode /etc/mado/audit.key)" = "mado:mado 600" ]
check "the anchor mado:mado 0600"         [ "$(mode /etc/mado/audit.anchor)" = "mado:mado 600" ]
check "/var/lib/mado mado:www-data 2770"  [ "$(mode /var/lib/mado)" = "mado:www-data 2770" ]
check "the store mado:www-data 2770"      [ "$(mode /var/lib/mado/store)" = "mado:www-data 2770" ]
check "/var/backups/mado mado:mado 0700"  [ "$(mode /var/backups/mado)" = "mado:mado 700" ]
check "offices.json a conffile" grep -qx /etc/mado/offices.json /var/lib/dpkg/info/mado.conffiles
check "the site a conffile, not enabled" \
    bash -c 'grep -qx /etc/nginx/sites-available/mado /var/lib/dpkg/info/mado.conffiles && [ ! -e /etc/nginx/sites-enabled/mado ]'
check "modules-enabled link" \
    [ "$(readlink /etc/nginx/modules-enabled/50-mod-http-mado.conf)" = /usr/share/nginx/modules-available/mod-http-mado.conf ]
check "madoctl(8)" bash -c 'man -w 8 madoctl | grep -q /usr/share/man/man8/madoctl.8'
check "the units' Documentation exists" bash -c '
    for u in /lib/systemd/system/mado*; do
        for d in $(sed -n "s/^Documentation=//p" "$u"); do
            case $d in
            man:*) f=${d#man:}; man -w "${f%%(*}" > /dev/null || exit 1 ;;
            file://*) [ -e "${d#file://}" ] || exit 1 ;;
            esac
        done
        grep -q "^ExecStart=/usr/bin/madoctl" "$u" || [[ $u == *.timer ]] || exit 1
    done'
check "madoctl show: the store made and loaded (default --store)" \
    bash -c 'madoctl show | grep -q kita'
key_before=$(md5sum < /etc/mado/audit.key)
# kita's first counter, as offices.json has it
counter=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>); for (@{$d->{offices}}) { print $_->{counters}[0]{id} if $_->{id} eq "kita" }' < /etc/mado/offices.json)
# as the units run it: User=mado, Group=www-data, SupplementaryGroups=mado
check "the feed's account (mado, group www-data) writes with the key" bash -c \
    "setpriv --reuid mado --regid www-data --groups mado madoctl set kita '$counter' --waiting 3 > /dev/null"

# ---- 3. the site ---------------------------------------------------------

ln -s ../sites-available/mado /etc/nginx/sites-enabled/mado
check "nginx -t with the site enabled" /usr/sbin/nginx -t -q
# Loopback made a city network (conf.d's geo $mado_limit_exempt), as
# bench/waf.sh does: one wrk stands for many citizens, not one flooder
sed -i 's|^\(\s*\)# 192.0.2.0/24  1;.*|&\n\1127.0.0.1/32  1;|' /etc/nginx/conf.d/mado.conf
check "loopback exempt from the rate limits (test setup)" grep -q '^ *127.0.0.1/32  1;' /etc/nginx/conf.d/mado.conf
nginx_start_or_reload
up() { curl -s -o /dev/null -k --resolve $HOST:443:127.0.0.1 "https://$HOST/api/v1/offices"; }
for _ in $(seq 50); do up && break; sleep 0.2; done

resolve=(--resolve $HOST:80:127.0.0.1 --resolve $HOST:443:127.0.0.1)
check "http:// redirects to https://" bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' ${resolve[*]} http://$HOST/kita)\" = '301 https://$HOST/kita' ]"
code=$(curl -s -k -o "$before/page" -w '%{http_code}' "${resolve[@]}" "https://$HOST/")
check "a page over HTTPS: 200, the offices" bash -c "[ $code = 200 ] && grep -q kita $before/page"
code=$(curl -s -k -o "$before/api" -w '%{http_code}' "${resolve[@]}" "https://$HOST/api/v1/offices/kita")
check "an API answer over HTTPS: 200, JSON" bash -c "[ $code = 200 ] && grep -q '\"kita\"' $before/api"
served=$(openssl s_client -connect 127.0.0.1:443 -servername $HOST < /dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256)
check "served with the snakeoil certificate" \
    [ "$served" = "$(openssl x509 -noout -fingerprint -sha256 -in /etc/ssl/certs/ssl-cert-snakeoil.pem)" ]

# ---- 4. upgrades under load ----------------------------------------------

# every process of the system's nginx maps the .so now at its path, none
# a deleted one; prints what it found
maps_new() {
    local ino p bad=0 count=0
    ino=$(stat -c %i $SO)
    for p in $(nginx_procs); do
        count=$((count + 1))
        if grep -q "$SO (deleted)" /proc/$p/maps; then
            note "process $p maps a deleted $SO"; bad=1
        fi
        if ! awk -v so=$SO -v ino="$ino" '$6 == so && $5 == ino { f = 1 } END { exit !f }' /proc/$p/maps; then
            note "process $p does not map $SO inode $ino"; bad=1
        fi
    done
    note "$count nginx processes checked (master $(cat $PID))"
    [ $count -ge 2 ] && [ $bad -eq 0 ]
}

# wrk's counts: requests, socket errors (connect read write timeout), non-2xx/3xx
wrk_counts() {
    perl -ne '
        $r = $1 if /(\d+) requests in/;
        @s = ($1, $2, $3, $4) if /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
        $x = $1 if /Non-2xx or 3xx responses: (\d+)/;
        END { printf "%d %d %d %d %d %d\n", $r, @s ? @s : (0, 0, 0, 0), $x // 0 }' "$1"
}

upgrade_under_load() {   # NAME WRK-HEADER-ARGS -- DEBS...
    local name=$1 hdr=$2 old new wrk_pid t_apt rc
    shift 2
    old=$(cat $PID)
    wrk -t2 -c16 -d${LOAD_SECONDS}s $hdr -H "Host: $HOST" \
        "https://127.0.0.1/api/v1/offices" > "$before/wrk-$name" 2>&1 &
    wrk_pid=$!
    sleep 5
    t_apt=$(date +%s.%N)
    apt_install "$@"; rc=$?
    t_apt=$(perl -e "printf '%.1f', $(date +%s.%N) - $t_apt")
    ok $rc "$name: apt-get install during the load ($t_apt s)"
    if ! kill -0 $wrk_pid 2>/dev/null; then
        ok 1 "$name: the load outlasted the upgrade"
    fi
    wait $wrk_pid
    grep -E 'libnginx-mod-http-mado:' "$before/apt.log" | sed 's/^/# /'
    new=$(cat $PID)
    check "$name: a new master ($old -> $new)" [ "$new" != "$old" ]
    check "$name: the old master is gone" bash -c "! ps -o stat= -p $old | grep -qv Z"
    check "$name: every nginx process maps the new module" maps_new
    read -r req conn rd wr to non <<< "$(wrk_counts "$before/wrk-$name")"
    note "$name: $req requests; socket errors connect $conn read $rd write $wr timeout $to; non-2xx/3xx $non"
    LAST="$req $conn $rd $wr $to $non"
}

# New connections for every request (Connection: close, a TLS handshake
# each): no connection is idle when the old workers exit, so any error is
# a dropped request
upgrade_under_load "upgrade $v1 -> $version" "-H Connection:close" "${V2[@]/#/./}"
read -r req conn rd wr to non <<< "$LAST"
check "upgrade: requests served during it" [ "$req" -gt 100 ]
check "upgrade: 0 failed requests (socket errors, non-2xx/3xx)" [ $((conn + rd + wr + to + non)) -eq 0 ]
check "version $version installed" [ "$(dpkg-query -W -f='${Version}' libnginx-mod-http-mado)" = "$version" ]
check "the key was not replaced" [ "$(md5sum < /etc/mado/audit.key)" = "$key_before" ]

# Keep-alive connections, the module reinstalled (same binary upgrade):
# the old workers close their idle connections as they exit, and wrk
# counts a request it wrote on one the server had just closed as a read
# error, where a browser sends it again (RFC 9112, 9.3.1: a request on an
# idle connection closed by the server may be retried).  Measured and
# printed; the processes are checked as above.
upgrade_under_load "reinstall, keep-alive" "" --reinstall "${V2[@]/#/./}"
read -r req conn rd wr to non <<< "$LAST"
note "keep-alive: $rd read errors in $req requests (idle connections the old workers closed), $non non-2xx/3xx"
check "keep-alive: no failed answer (non-2xx/3xx), no connect or timeout error" [ $((conn + to + non)) -eq 0 ]

# ---- 5. purge --------------------------------------------------------------

DEBIAN_FRONTEND=noninteractive apt-get purge -y -q mado libnginx-mod-http-mado > "$before/apt.log" 2>&1
ok $? "apt-get purge"
check "the site disabled by the package" \
    bash -c '[ ! -e /etc/nginx/sites-enabled/mado ] && [ ! -L /etc/nginx/sites-enabled/mado ]'
check "no file of the packages left" bash -c \
    'left=0; while read -r f; do [ -d "$f" ] && continue; [ -e "$f" -o -L "$f" ] && { echo "# left: $f"; left=1; }; done < "$1"; exit $left' _ "$before/files"
check "no /etc/mado, /var/lib/mado, /var/backups/mado" \
    bash -c '! ls -d /etc/mado /var/lib/mado /var/backups/mado 2>/dev/null | grep -q .'
check "no modules-enabled link, no set-aside conf.d file" \
    bash -c '! ls /etc/nginx/modules-enabled/*mado* /etc/nginx/conf.d/mado.conf* 2>/dev/null | grep -q .'
check "no user or group mado" bash -c '! getent passwd mado && ! getent group mado'
check "nginx -t after the purge" /usr/sbin/nginx -t -q
[ $snakeoil_was -eq 1 ] || snakeoil_remove
snapshot > "$before/after"
check "/etc/nginx, modules, fail2ban, units, /etc/ssl as found" diff "$before/snapshot" "$before/after"

echo "1..$n"
[ $failed -eq 0 ]
