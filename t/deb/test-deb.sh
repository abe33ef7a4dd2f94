#!/usr/bin/env bash
# make test-deb: the Debian packages on this machine, as a sysadmin gets
# them (docs/admin.md, "Install on Debian"), and left as it was found.
#
#   1. make deb twice: VERSION~test1 (build/deb-v1/) and VERSION (build/deb/);
#      lintian on the second (no errors)
#   2. apt-get install of v1: the user, the modes, the key and the store;
#      the feed's account (mado, group www-data) can write with the key;
#      the log directory, the seal's state, the logrotate file, the units
#      (the backup timer enabled), the examples; the backup unit's command
#      run as its User makes a backup
#   3. the site enabled (ln -s), nginx -t, the system's nginx started or
#      reloaded; a page and an API answer over HTTPS with the snakeoil
#      certificate, the HTTP redirect; /healthz and /metrics (HTTPS, loopback);
#      each request once in /var/log/nginx/mado/access.log, as JSON; the
#      seal started as the docs say, the log rotated by the shipped
#      logrotate file, whose lastaction seals it; the textfile script
#   4. the upgrade to v2 under wrk on loopback (new connections, TLS): no
#      failed request, every nginx process maps the new .so, the old master
#      gone; then a reinstall under keep-alive load (see below)
#   5. apt-get purge: nothing left (files, links, the user, the logs, the
#      enabled timer), nginx -t passes
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
# (34 s measured under the TLS-handshake load)
LOAD_SECONDS=${MADO_DEB_LOAD_SECONDS:-60}

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
         /etc/logrotate.d /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
         /var/log/nginx -maxdepth 3 \
         ! -path '/var/log/nginx/*.log' -printf '%p %y %m %u %g %l\n' 2>/dev/null | sort
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
for d in /etc/mado /var/lib/mado /var/backups/mado /var/log/nginx/mado; do
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
        [[ $u == *.timer ]] && continue
        x=$(sed -n "s/^ExecStart=\([^ ]*\).*/\1/p" "$u"); [ -x "$x" ] || exit 1
    done'
check "madoctl show: the store made and loaded (default --store)" \
    bash -c 'madoctl show | grep -q kita'
key_before=$(md5sum < /etc/mado/audit.key)
# kita's first counter, as offices.json has it
counter=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>); for (@{$d->{offices}}) { print $_->{counters}[0]{id} if $_->{id} eq "kita" }' < /etc/mado/offices.json)
# as the units run it: User=mado, Group=www-data, SupplementaryGroups=mado
check "the feed's account (mado, group www-data) writes with the key" bash -c \
    "setpriv --reuid mado --regid www-data --groups mado madoctl set kita '$counter' --waiting 3 > /dev/null"

# what the merged branches added: the access log, its rotation and seal,
# the backup timer, the textfile collector, the examples
check "/var/log/nginx/mado root:adm 0755 (as /var/log/nginx)" [ "$(mode /var/log/nginx/mado)" = "root:adm 755" ]
check "its access.log www-data:adm 0640 (as nginx-common's)" [ "$(mode /var/log/nginx/mado/access.log)" = "www-data:adm 640" ]
check "the seal's state /var/lib/mado/logs root:root 0700, not started" \
    bash -c '[ "$(stat -c "%U:%G %a" /var/lib/mado/logs)" = "root:root 700" ] && [ ! -e /var/lib/mado/logs/seal.key ]'
check "postinst says how to start the seal" grep -q 'madoctl logs init --verify-key' "$before/apt.log"
check "/etc/logrotate.d/mado a conffile, its log and madoctl where the package puts them" bash -c \
    'grep -qx /etc/logrotate.d/mado /var/lib/dpkg/info/mado.conffiles \
     && grep -q "^/var/log/nginx/mado/access.log {" /etc/logrotate.d/mado \
     && grep -q "^ *create 0640 www-data adm" /etc/logrotate.d/mado \
     && grep -q "^ *\(/usr/bin/madoctl\) logs seal --quiet" /etc/logrotate.d/mado && [ -x /usr/bin/madoctl ]'
logrotate -d /etc/logrotate.d/mado > "$before/logrotate-d" 2>&1
ok $? "logrotate -d /etc/logrotate.d/mado parses"
check "  ... without an error" bash -c "! grep -qi 'error' '$before/logrotate-d'"
check "mado-backup.timer enabled (timers.target.wants), the other timers not" bash -c \
    '[ "$(readlink /etc/systemd/system/timers.target.wants/mado-backup.timer)" = /lib/systemd/system/mado-backup.timer ] \
     && ! ls /etc/systemd/system/*/mado-compact.timer /etc/systemd/system/*/mado-textfile.timer 2>/dev/null | grep -q .'
check "the textfile script and its units" bash -c \
    '[ -x /usr/lib/mado/mado-textfile ] && grep -qx "ExecStart=/usr/lib/mado/mado-textfile" /lib/systemd/system/mado-textfile.service \
     && [ -f /lib/systemd/system/mado-textfile.timer ]'
check "examples: rsyslog, GoAccess, Prometheus rules and their tests, Alertmanager" bash -c \
    'cd /usr/share/doc/mado/examples && for f in rsyslog/mado.conf rsyslog/mado-loghost.conf goaccess/mado.conf \
         prometheus/mado-rules.yml prometheus/mado-rules.test.yml prometheus/alertmanager.yml; do
         cmp -s "$f" "$0/conf.example/$f" || { echo "# $f"; exit 1; }; done' "$top"
if command -v promtool > /dev/null; then
    check "the shipped rules' unit tests pass where they are installed" \
        bash -c 'cd /usr/share/doc/mado/examples/prometheus && promtool test rules mado-rules.test.yml > /dev/null'
fi

# A unit's ExecStart run as systemd would (systemd is not PID 1 in every
# test machine): its User, Group, SupplementaryGroups, UMask and
# Environment, ${VAR} expanded; prints the command's output
run_unit() {    # UNIT [VAR=VALUE...]: extra environment, as an EnvironmentFile
    local unit=/lib/systemd/system/$1; shift
    perl -e '
        my ($unit, @extra) = @ARGV;
        open my $f, "<", $unit or die "$unit: $!";
        my (%u, %env, $exec);
        while (<$f>) {
            chomp;
            $_ .= <$f> =~ s/\n$//r while s/\\$//;
            next unless /^(\w+)=(.*)$/;
            if ($1 eq "Environment") { %env = (%env, map { split /=/, $_, 2 } split " ", $2) }
            elsif ($1 eq "ExecStart") { $exec = $2 }
            else { $u{$1} = $2 }
        }
        %env = (%env, map { split /=/, $_, 2 } @extra);
        $exec =~ s/\$\{(\w+)\}/$env{$1}/g;
        my @cmd = ("setpriv", "--reuid", $u{User} // "root", "--regid", $u{Group} // $u{User} // "root",
                   $u{SupplementaryGroups} ? ("--groups", join ",", split " ", $u{SupplementaryGroups}) : "--clear-groups",
                   "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", map({ "$_=$env{$_}" } sort keys %env),
                   "sh", "-c", "umask " . ($u{UMask} // "0022") . "; exec $exec");
        exec @cmd or die "exec: $!";
    ' "$unit" "$@"
}
out=$(run_unit mado-backup.service 2>&1)
ok $? "mado-backup.service's command as its User (mado): a backup"
[ -n "$out" ] && echo "$out" | sed 's/^/# /'
check "  ... in /var/backups/mado, mado:mado 0600" bash -c \
    'f=$(ls /var/backups/mado/*.mbk 2>/dev/null | head -1); [ -n "$f" ] && [ "$(stat -c "%U:%G %a" "$f")" = "mado:mado 600" ]'

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

# the health check and the metrics from this machine, over HTTPS (the
# :80 server only redirects, as t/secure_profile.t asserts)
code=$(curl -s -k -o "$before/healthz" -w '%{http_code}' "${resolve[@]}" "https://$HOST/healthz")
check "https://…/healthz from loopback: 200, ok" bash -c "[ $code = 200 ] && grep -q '\"status\":\"ok\"' $before/healthz"
code=$(curl -s -k -o "$before/metrics" -w '%{http_code}' "${resolve[@]}" "https://$HOST/metrics")
check "https://…/metrics from loopback: 200, the exposition" bash -c "[ $code = 200 ] && grep -q '^mado_build_info{' $before/metrics"
if command -v promtool > /dev/null; then
    check "  ... promtool check metrics" bash -c "promtool check metrics < $before/metrics > /dev/null"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "${resolve[@]}" "http://$HOST/healthz")
check "http://…/healthz: the redirect only" [ "$code" = 301 ]

# each request once, in mado's log, as JSON (Debian's http-level
# access_log replaced at server level)
ua="mado-test-deb-$$-$RANDOM"
curl -s -k -o /dev/null -A "$ua" "${resolve[@]}" "https://$HOST/api/v1/offices/kita?lang=en&_=12345"
sleep 0.5
check "the request in /var/log/nginx/mado/access.log, once, as JSON without its query" \
    perl -MJSON::PP -e '
        my ($ua) = @ARGV; my $n = 0;
        open my $f, "<", "/var/log/nginx/mado/access.log" or die $!;
        while (<$f>) {
            next unless index($_, $ua) >= 0;
            my $j = decode_json($_);
            $n++ if $j->{path} eq "/api/v1/offices/kita" && $j->{status} == 200 && $j->{lang} eq "en"
                    && $j->{tls} =~ /^TLS/ && $j->{id} =~ /^[0-9a-f]{32}$/ && !/12345/;
        }
        exit($n == 1 ? 0 : 1)' "$ua"
check "  ... and not in Debian's /var/log/nginx/access.log" bash -c "! grep -qF '$ua' /var/log/nginx/access.log"

# The seal as docs/admin.md starts it (the verification key straight to
# a medium off the server: here the test's directory), then the shipped
# logrotate file run for real (its own state file), whose lastaction
# seals the new archive
out=$(madoctl logs init --verify-key "$before/verify.key" 2>&1)
ok $? "madoctl logs init --verify-key (off the server)"
check "  ... no verification key left on the server" bash -c '! ls /var/lib/mado/logs/verify.key 2>/dev/null'
logrotate -f -s "$before/logrotate.state" /etc/logrotate.d/mado > "$before/logrotate.out" 2>&1
ok $? "logrotate -f /etc/logrotate.d/mado (rotation, nginx reopens, lastaction seals)"
sed 's/^/# /' "$before/logrotate.out"
archive=/var/log/nginx/mado/access.log-$(date -d yesterday +%Y%m%d).gz
check "the archive $(basename "$archive"), with the request" bash -c "zcat '$archive' | grep -qF '$ua'"
check "the new access.log www-data:adm 0640" [ "$(mode /var/log/nginx/mado/access.log)" = "www-data:adm 640" ]
check "the archive sealed in the chain" grep -q " $(basename "$archive") " /var/lib/mado/logs/chain
out=$(madoctl logs verify --key "$before/verify.key" 2>&1)
ok $? "madoctl logs verify with the key from off the server: ${out%%$'\n'*}"
curl -s -k -o /dev/null -A "$ua-after" "${resolve[@]}" "https://$HOST/kita"
sleep 0.5
check "nginx writes to the new access.log after the rotation" grep -qF "$ua-after" /var/log/nginx/mado/access.log

# the textfile collector's script as its unit runs it (root), into the
# test's directory: what the rules read, from this machine
run_unit mado-textfile.service OUT="$before/mado.prom" \
    MADO_TLS_CERTS=/etc/ssl/certs/ssl-cert-snakeoil.pem > /dev/null 2>&1
ok $? "mado-textfile.service's command"
check "  ... the seal, the backup and the certificate seen (not 0)" bash -c "
    grep -q '^mado_logs_last_seal_timestamp_seconds [1-9]' $before/mado.prom \
    && grep -q '^mado_logs_unsealed_archives 0\$' $before/mado.prom \
    && grep -q '^mado_backup_last_success_timestamp_seconds [1-9]' $before/mado.prom \
    && grep -q '^mado_tls_cert_not_after_seconds{file=\"/etc/ssl/certs/ssl-cert-snakeoil.pem\"} [1-9]' $before/mado.prom"
if command -v promtool > /dev/null; then
    check "  ... promtool check metrics" bash -c "promtool check metrics < $before/mado.prom > /dev/null"
fi

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

upgrade_under_load() {   # NAME WRK-HEADER DEBS...
    local name=$1 hdr=$2 old new wrk_pid t_apt rc
    shift 2
    old=$(cat $PID)
    # (wrk drops a -H without a space after the colon)
    wrk -t2 -c16 -d${LOAD_SECONDS}s ${hdr:+-H "$hdr"} -H "Host: $HOST" \
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
upgrade_under_load "upgrade $v1 -> $version" "Connection: close" "${V2[@]/#/./}"
read -r req conn rd wr to non <<< "$LAST"
check "upgrade: requests served during it" [ "$req" -gt 100 ]
check "upgrade: 0 failed requests (socket errors, non-2xx/3xx)" [ $((conn + rd + wr + to + non)) -eq 0 ]
check "version $version installed" [ "$(dpkg-query -W -f='${Version}' libnginx-mod-http-mado)" = "$version" ]
check "the key was not replaced" [ "$(md5sum < /etc/mado/audit.key)" = "$key_before" ]

# Keep-alive connections, the module reinstalled (same binary upgrade).
# HTTP/1.1: on QUIT each old worker closes its idle keep-alive
# connections at once (nginx's ngx_close_idle_connections), also one whose
# next request is already in its socket buffer, unread; a plain reload
# does the same (docs/admin.md, "Upgrade").  The module's old workers end
# keep-alive once their master's pid file is renamed .oldbin, and the
# postinst waits 2 s for that before QUIT: wrk must lose nothing
# (t/upgrade_keepalive.t shows the same on one nginx, and 8 of 8
# connections losing a request without the drain).  HTTP/2 (what
# browsers speak to the site): nginx ends a connection with GOAWAY naming
# the last stream it took, so that the client knows what to send again;
# curl, 16 streams at once, beside wrk, lost 0, 0, 1 and 0 requests in
# four runs: asserted, at most one per stream in flight; the failures
# are printed.
curl -sk --http2 -Z --parallel-max 16 "${resolve[@]}" \
    "https://$HOST/api/v1/offices?_=[1-9999999]" -o /dev/null \
    -w '%{http_code} %{http_version} %{errormsg}\n' > "$before/curl-h2" 2>/dev/null &
curl_pid=$!
upgrade_under_load "reinstall, keep-alive" "" --reinstall "${V2[@]/#/./}"
kill $curl_pid 2>/dev/null; wait $curl_pid 2>/dev/null
read -r req conn rd wr to non <<< "$LAST"
note "keep-alive HTTP/1.1 (wrk -c16): $req requests; socket errors connect $conn read $rd write $wr timeout $to; non-2xx/3xx $non"
check "keep-alive HTTP/1.1: requests served during it" [ "$req" -gt 100 ]
check "keep-alive HTTP/1.1: 0 failed requests (the old workers drained keep-alive)" \
    [ $((conn + rd + wr + to + non)) -eq 0 ]
check "the old workers ended keep-alive (error log)" \
    grep -q 'is being replaced, keep-alive ends in this worker' /var/log/nginx/error.log
# complete lines only (curl is stopped in the middle of one)
h2_all=$(grep -Ec '^[0-9]{3} [0-9.]+ ' "$before/curl-h2")
h2_bad=$(grep -E '^[0-9]{3} [0-9.]+ ' "$before/curl-h2" | grep -vc '^200 2 $')
note "HTTP/2 (curl, 16 streams): $h2_all requests, $h2_bad not 200 over HTTP/2"
grep -E '^[0-9]{3} [0-9.]+ ' "$before/curl-h2" | grep -v '^200 2 $' | sort | uniq -c | sed 's/^/#   /'
check "HTTP/2: requests served during the upgrade" [ "$h2_all" -gt 100 ]
check "HTTP/2: at most one failed request per stream in flight (16)" [ "$h2_bad" -le 16 ]

# ---- 5. purge --------------------------------------------------------------

DEBIAN_FRONTEND=noninteractive apt-get purge -y -q mado libnginx-mod-http-mado > "$before/apt.log" 2>&1
ok $? "apt-get purge"
check "the site disabled by the package" \
    bash -c '[ ! -e /etc/nginx/sites-enabled/mado ] && [ ! -L /etc/nginx/sites-enabled/mado ]'
check "no file of the packages left" bash -c \
    'left=0; while read -r f; do [ -d "$f" ] && continue; [ -e "$f" -o -L "$f" ] && { echo "# left: $f"; left=1; }; done < "$1"; exit $left' _ "$before/files"
check "no /etc/mado, /var/lib/mado, /var/backups/mado, /var/log/nginx/mado" \
    bash -c '! ls -d /etc/mado /var/lib/mado /var/backups/mado /var/log/nginx/mado 2>/dev/null | grep -q .'
check "no logrotate file, textfile script, enabled timer" bash -c \
    '! ls -d /etc/logrotate.d/mado /usr/lib/mado /etc/systemd/system/*/mado* \
        /var/lib/systemd/deb-systemd-helper-enabled/*mado* \
        /var/lib/systemd/deb-systemd-helper-enabled/*/mado* 2>/dev/null | grep -q .'
check "no modules-enabled link, no set-aside conf.d file" \
    bash -c '! ls /etc/nginx/modules-enabled/*mado* /etc/nginx/conf.d/mado.conf* 2>/dev/null | grep -q .'
check "no user or group mado" bash -c '! getent passwd mado && ! getent group mado'
check "nginx -t after the purge" /usr/sbin/nginx -t -q
[ $snakeoil_was -eq 1 ] || snakeoil_remove
snapshot > "$before/after"
check "/etc/nginx, modules, fail2ban, units, /etc/ssl as found" diff "$before/snapshot" "$before/after"

echo "1..$n"
[ $failed -eq 0 ]
