#!/bin/sh
# mado: what the alerting rules need from the host, for node_exporter's
# textfile collector (docs/admin.md, "Alerts").  Run every 5 minutes by
# mado-textfile.timer; writes $OUT atomically (a scrape never sees half).
#
#   mado_tls_cert_not_after_seconds{file}      each certificate's notAfter
#   mado_logs_last_seal_timestamp_seconds      the seal chain's last change
#                                              (0: no chain yet)
#   mado_logs_unsealed_archives                rotated archives not named
#                                              in the chain
#   mado_disk_free_ratio{path}                 free space (as non-root)
#   mado_backup_last_success_timestamp_seconds the newest backup (0: none)
#   mado_textfile_timestamp_seconds            this run
#
# Settings (environment, or /etc/default/mado-textfile):
#   MADO_TLS_CERTS  certificates, space-separated (the site's ssl_certificate)
#   MADO_LOG_DIR    the access logs and their archives (/var/log/nginx/mado)
#   MADO_LOG_CHAIN  the seal chain of "madoctl logs seal"
#                   (/var/lib/mado/logs/chain; one entry a line, the
#                   archive's name in the 4th field)
#   MADO_DISKS      paths whose file systems to watch
#   MADO_BACKUP_DIR where backups land (/var/backups/mado)
#   OUT             /var/lib/prometheus/node-exporter/mado.prom (Debian's
#                   prometheus-node-exporter reads that directory)

set -eu

MADO_TLS_CERTS=${MADO_TLS_CERTS-/etc/ssl/mado/fullchain.pem}
MADO_LOG_DIR=${MADO_LOG_DIR-/var/log/nginx/mado}
MADO_LOG_CHAIN=${MADO_LOG_CHAIN-/var/lib/mado/logs/chain}
MADO_DISKS=${MADO_DISKS-/var/lib/mado /var/log/nginx/mado /var/backups/mado}
MADO_BACKUP_DIR=${MADO_BACKUP_DIR-/var/backups/mado}
OUT=${OUT-/var/lib/prometheus/node-exporter/mado.prom}

# a label value as the exposition format wants it
label() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

tmp=$(mktemp "$OUT.XXXXXX")
trap 'rm -f "$tmp"' EXIT

{
    echo '# HELP mado_tls_cert_not_after_seconds When the certificate expires (notAfter).'
    echo '# TYPE mado_tls_cert_not_after_seconds gauge'
    for c in $MADO_TLS_CERTS; do
        end=$(openssl x509 -noout -enddate -in "$c" 2>/dev/null | sed 's/^notAfter=//') || end=
        # unreadable: 0, which the rules take as expired (a check that
        # cannot look must not stay quiet)
        t=0
        [ -n "$end" ] && t=$(date -u -d "$end" +%s 2>/dev/null || echo 0)
        echo "mado_tls_cert_not_after_seconds{file=\"$(label "$c")\"} $t"
    done

    echo '# HELP mado_logs_last_seal_timestamp_seconds When the seal chain last grew (0: none).'
    echo '# TYPE mado_logs_last_seal_timestamp_seconds gauge'
    t=0
    [ -f "$MADO_LOG_CHAIN" ] && t=$(stat -c %Y "$MADO_LOG_CHAIN")
    echo "mado_logs_last_seal_timestamp_seconds $t"

    echo '# HELP mado_logs_unsealed_archives Rotated access log archives the seal chain does not name.'
    echo '# TYPE mado_logs_unsealed_archives gauge'
    n=0
    for a in "$MADO_LOG_DIR"/access.log-*.gz; do
        [ -e "$a" ] || continue
        name=${a##*/}
        if ! [ -f "$MADO_LOG_CHAIN" ] \
           || ! awk -v n="$name" '$4 == n { found = 1 } END { exit !found }' "$MADO_LOG_CHAIN"
        then
            n=$((n + 1))
        fi
    done
    echo "mado_logs_unsealed_archives $n"

    echo '# HELP mado_disk_free_ratio Free space of the file system, as unprivileged writers see it.'
    echo '# TYPE mado_disk_free_ratio gauge'
    for d in $MADO_DISKS; do
        [ -e "$d" ] || continue
        # blocks available to non-root / all blocks, as madoctl check --disk
        df -P "$d" | awk -v p="$(label "$d")" 'NR == 2 && $2 > 0 {
            printf "mado_disk_free_ratio{path=\"%s\"} %.4f\n", p, $4 / $2 }'
    done

    echo '# HELP mado_backup_last_success_timestamp_seconds When the newest backup was written (0: none).'
    echo '# TYPE mado_backup_last_success_timestamp_seconds gauge'
    t=0
    if [ -d "$MADO_BACKUP_DIR" ]; then
        t=$(find "$MADO_BACKUP_DIR" -maxdepth 1 -type f ! -name '.*' -printf '%T@\n' 2>/dev/null \
            | sort -n | tail -1 | cut -d. -f1)
        t=${t:-0}
    fi
    echo "mado_backup_last_success_timestamp_seconds $t"

    echo '# HELP mado_textfile_timestamp_seconds When mado-textfile.sh last ran.'
    echo '# TYPE mado_textfile_timestamp_seconds gauge'
    echo "mado_textfile_timestamp_seconds $(date +%s)"
} > "$tmp"

chmod 0644 "$tmp"
mv -f "$tmp" "$OUT"
trap - EXIT
