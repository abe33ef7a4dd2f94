/*
 * madoctl check: a Nagios/Icinga plugin for sites without Prometheus.
 * The same conditions as the alerting rules and the staff panel
 * (mado_alerts in mado_display.c), read straight from the store (read
 * only), and optionally a TLS certificate's expiry and a disk's free
 * space.  One status line with performance data; the exit status is the
 * plugin's (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), not madoctl's.
 */

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "madoctl.h"


#define MC_CHECK_OK         0
#define MC_CHECK_WARNING    1
#define MC_CHECK_CRITICAL   2
#define MC_CHECK_UNKNOWN    3

/* problems named on the status line; the rest on the lines after it */
#define MC_CHECK_NAMED      3


typedef struct {
    uint32_t            warning;        /* counters with one condition */
    uint32_t            critical;
    uint32_t            stale;          /* minutes */
    uint32_t            stalled;
    uint32_t            wait;           /* offices without their own */
    const char         *tls_cert;
    uint32_t            tls_warning;    /* days */
    uint32_t            tls_critical;
    const char         *disk;
    uint32_t            disk_warning;   /* per cent free */
    uint32_t            disk_critical;
} mc_check_opts_t;


typedef struct {
    int                 status;
    char                text[1024];     /* the status line's words */
    size_t              len;
    char                more[16384];    /* long output: every problem */
    size_t              more_len;
    char                perf[1024];
    size_t              perf_len;
} mc_check_out_t;


static void mc_check_add(char *buf, size_t size, size_t *len,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int mc_check_unknown(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int mc_check_store(mc_ctx_t *ctx, const char *only,
    const mc_check_opts_t *opt, mc_check_out_t *out);
static void mc_check_tls(const mc_check_opts_t *opt, int64_t now,
    mc_check_out_t *out);
static void mc_check_disk(const mc_check_opts_t *opt, mc_check_out_t *out);
static int mc_check_feed(int source, const char *name,
    const mado_feed_stat_t *st, void *arg);


/* refused lines of a feed are said for a day after the last one */
#define MC_CHECK_FEED_BAD   86400

typedef struct {
    mc_check_out_t     *out;
    const char         *office;
    int64_t             now;
    uint64_t            bad;            /* every feed's, for the perfdata */
    unsigned            feeds;
} mc_check_feeds_t;


static void
mc_check_add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (*len >= size - 1) {
        return;
    }

    va_start(ap, fmt);
    n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);

    if (n > 0) {
        *len += (size_t) n < size - *len ? (size_t) n : size - *len - 1;
    }
}


/* the plugin's answer when it cannot tell: on standard output, for the
   monitoring system; usage errors are said on standard error too */
static int
mc_check_unknown(const char *fmt, ...)
{
    va_list  ap;

    fputs("MADO UNKNOWN - ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);

    return MC_CHECK_UNKNOWN;
}


static void
mc_check_raise(mc_check_out_t *out, int status)
{
    if (status > out->status) {
        out->status = status;
    }
}


int
mc_cmd_check(mc_ctx_t *ctx, int argc, char **argv)
{
    int               c, rc, pct;
    uint32_t         *num;
    const char       *only, *name;
    mc_check_out_t   *out;
    mc_check_opts_t   opt;

    static const char *const  status_names[] = {
        "OK", "WARNING", "CRITICAL", "UNKNOWN"
    };

    static const struct option  opts[] = {
        { "office",        required_argument, NULL, 'o' },
        { "warning",       required_argument, NULL, 'w' },
        { "critical",      required_argument, NULL, 'c' },
        { "stale",         required_argument, NULL, 'S' },
        { "stalled",       required_argument, NULL, 'T' },
        { "wait",          required_argument, NULL, 'W' },
        { "tls-cert",      required_argument, NULL, 'x' },
        { "tls-warning",   required_argument, NULL, 'y' },
        { "tls-critical",  required_argument, NULL, 'z' },
        { "disk",          required_argument, NULL, 'd' },
        { "disk-warning",  required_argument, NULL, 'D' },
        { "disk-critical", required_argument, NULL, 'E' },
        { "help",          no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&opt, 0, sizeof(opt));
    opt.warning = 1;
    opt.critical = 3;
    opt.stale = MADO_ALERT_STALE_MINUTES;
    opt.stalled = MADO_ALERT_STALLED_MINUTES;
    opt.wait = MADO_ALERT_WAIT_MINUTES;
    opt.tls_warning = 21;
    opt.tls_critical = 7;
    opt.disk_warning = 15;
    opt.disk_critical = 5;

    only = NULL;
    optind = 1;

    while ((c = getopt_long(argc, argv, MC_OPTS("w:c:"), opts, NULL)) != -1) {
        num = NULL;
        name = NULL;

        switch (c) {

        case 'o':
            if (mc_check_id("--office", optarg) != MC_EXIT_OK) {
                return mc_check_unknown("--office: not an office id");
            }
            only = optarg;
            break;

        case 'w': num = &opt.warning; name = "--warning"; break;
        case 'c': num = &opt.critical; name = "--critical"; break;
        case 'S': num = &opt.stale; name = "--stale"; break;
        case 'T': num = &opt.stalled; name = "--stalled"; break;
        case 'W': num = &opt.wait; name = "--wait"; break;
        case 'x': opt.tls_cert = optarg; break;
        case 'y': num = &opt.tls_warning; name = "--tls-warning"; break;
        case 'z': num = &opt.tls_critical; name = "--tls-critical"; break;
        case 'd': opt.disk = optarg; break;
        case 'D': num = &opt.disk_warning; name = "--disk-warning"; break;
        case 'E': num = &opt.disk_critical; name = "--disk-critical"; break;

        case 'h':
            return mc_help("check");

        default:
            mc_getopt_error("check", c, argv);
            return mc_check_unknown("usage error (madoctl check --help)");
        }

        if (num != NULL) {
            pct = (num == &opt.disk_warning || num == &opt.disk_critical);

            /* minutes, days and counts all fit in a day's minutes */
            if (mc_parse_uint(name, optarg, pct ? 0 : 1,
                              pct ? 100 : MADO_ALERT_WAIT_MAX, num)
                != MC_EXIT_OK)
            {
                return mc_check_unknown("%s: must be a whole number, not "
                                        "\"%s\"", name, optarg);
            }
        }
    }

    if (optind < argc) {
        mc_usage_error("check", "unexpected argument \"%s\"", argv[optind]);
        return mc_check_unknown("usage error (madoctl check --help)");
    }

    if (opt.critical < opt.warning || opt.tls_critical > opt.tls_warning
        || opt.disk_critical > opt.disk_warning)
    {
        return mc_check_unknown("a --critical limit is milder than its "
                                "--warning one");
    }

    if (mc_clock(ctx) != MC_EXIT_OK) {
        return mc_check_unknown("MADO_NOW is invalid");
    }

    out = calloc(1, sizeof(mc_check_out_t));
    if (out == NULL) {
        return mc_check_unknown("out of memory");
    }

    rc = mc_check_store(ctx, only, &opt, out);

    if (rc == MC_CHECK_UNKNOWN) {
        free(out);
        return rc;
    }

    if (opt.tls_cert != NULL) {
        mc_check_tls(&opt, ctx->now, out);
    }

    if (opt.disk != NULL) {
        mc_check_disk(&opt, out);
    }

    printf("MADO %s - %s | %s\n%s", status_names[out->status], out->text,
           out->perf, out->more);

    rc = out->status;
    free(out);

    return rc;
}


static int
mc_check_store(mc_ctx_t *ctx, const char *only, const mc_check_opts_t *opt,
    mc_check_out_t *out)
{
    int                    rc;
    char                   (*ids)[MADO_ID_MAX + 1], named[512];
    int64_t                est, low, high, since, wait_max;
    unsigned               i, j, k, nids, noffices, ncounters, bits;
    unsigned               count[3], nnamed;
    uint64_t               waiting;
    MDB_txn               *txn;
    mado_err_t             err;
    mado_store_t           s;
    mado_office_def_t      def;
    mado_counter_state_t   stored, st;
    mc_check_feeds_t       feeds;

    static const char *const  words[3] = {
        "stale", "stalled", "long wait"
    };

    ids = calloc(MADO_OFFICES_MAX, sizeof(*ids));
    if (ids == NULL) {
        return mc_check_unknown("out of memory");
    }

    /* cannot look: the check cannot tell (missing store, permissions) */
    rc = mado_store_open(&s, ctx->store, MADO_OPEN_RDONLY, 0, &err);
    if (rc != MADO_OK) {
        free(ids);
        return mc_check_unknown("store: %s", err.text);
    }

    txn = NULL;
    noffices = 0;
    ncounters = 0;
    waiting = 0;
    wait_max = 0;
    nnamed = 0;
    named[0] = '\0';
    memset(count, 0, sizeof(count));
    memset(&feeds, 0, sizeof(feeds));
    feeds.out = out;
    feeds.now = ctx->now;

    rc = mado_store_read_begin(&s, &txn, &err);

    if (rc == MADO_OK) {
        rc = mado_office_ids(&s, txn, ids, MADO_OFFICES_MAX, &nids, &err);
    }

    for (i = 0; rc == MADO_OK && i < nids; i++) {
        if (only != NULL && strcmp(ids[i], only) != 0) {
            continue;
        }

        memset(&def, 0, sizeof(def));

        rc = mado_office_get(&s, txn, ids[i], &def, &err);
        if (rc != MADO_OK) {
            break;
        }

        noffices++;

        /* --wait for offices that set no limit of their own */
        if (def.alert_wait == 0) {
            def.alert_wait = (uint16_t) opt->wait;
        }

        for (j = 0; j < def.ncounters; j++) {
            rc = mado_state_get(&s, txn, ids[i], def.counters[j].id, &stored,
                                &err);
            if (rc != MADO_OK) {
                break;
            }

            ncounters++;

            /* as citizens see it: closed out of hours, a new day */
            mado_effective_state(&def, &def.counters[j], &stored, ctx->now,
                                 &st);

            bits = mado_alerts(&def, &def.counters[j], &st, ctx->now,
                               (int64_t) opt->stale * 60,
                               (int64_t) opt->stalled * 60);

            if (st.status == MADO_STATUS_OPEN) {
                waiting += st.waiting;

                if (mado_estimate(&def.counters[j], &st, &est, &low, &high)
                    == 0 && est > wait_max)
                {
                    wait_max = est;
                }
            }

            for (k = 0; k < 3; k++) {
                if (!(bits & (1u << k))) {
                    continue;
                }

                count[k]++;

                /* what a sysadmin reads first: where, what, how long */
                if (k == 0) {
                    mc_check_add(out->more, sizeof(out->more),
                                 &out->more_len, "%s/%s: stale, no update "
                                 "for %lld min\n", def.id,
                                 def.counters[j].id,
                                 (long long) ((ctx->now - st.updated_at)
                                              / 60));

                } else if (k == 1) {
                    since = mado_stalled_since(&def, &def.counters[j], &st,
                                               ctx->now);
                    mc_check_add(out->more, sizeof(out->more),
                                 &out->more_len, "%s/%s: stalled, %u "
                                 "waiting and nobody called for %lld min\n",
                                 def.id, def.counters[j].id, st.waiting,
                                 (long long) ((ctx->now - since) / 60));

                } else {
                    mado_estimate(&def.counters[j], &st, &est, &low, &high);
                    mc_check_add(out->more, sizeof(out->more),
                                 &out->more_len, "%s/%s: long wait, %lld min "
                                 "(limit %lld)\n", def.id, def.counters[j].id,
                                 (long long) (est / 60),
                                 (long long) (mado_alert_wait_seconds(&def)
                                              / 60));
                }

                if (nnamed < MC_CHECK_NAMED) {
                    size_t  nl = strlen(named);

                    snprintf(named + nl, sizeof(named) - nl, "%s%s/%s %s",
                             nnamed ? ", " : "", def.id, def.counters[j].id,
                             words[k]);
                }

                nnamed++;
            }
        }

        /*
         * Feeds refusing lines: said, not a status of their own (a bad line
         * is skipped and the rest counted; the counters' conditions tell
         * when the figures suffer)
         */
        if (rc == MADO_OK) {
            feeds.office = ids[i];

            if (mado_feed_stats(&s, txn, ids[i], mc_check_feed, &feeds, &err)
                == MADO_ESTORE)
            {
                rc = MADO_ESTORE;
            }
        }

        mado_office_free(&def);
    }

    if (txn != NULL) {
        mdb_txn_abort(txn);
    }

    mado_store_close(&s);
    free(ids);

    /* opened but unreadable: what the module could not serve either */
    if (rc != MADO_OK) {
        out->status = MC_CHECK_CRITICAL;
        mc_check_add(out->text, sizeof(out->text), &out->len,
                     "store unreadable: %s", err.text);
        mc_check_add(out->perf, sizeof(out->perf), &out->perf_len,
                     "store_up=0");
        return MC_CHECK_CRITICAL;
    }

    if (only != NULL && noffices == 0) {
        return mc_check_unknown("--office: no office \"%s\" in the store",
                                only);
    }

    if (noffices == 0) {
        out->status = MC_CHECK_CRITICAL;
        mc_check_add(out->text, sizeof(out->text), &out->len,
                     "the store holds no offices (madoctl load)");
        mc_check_add(out->perf, sizeof(out->perf), &out->perf_len,
                     "store_up=1 offices=0");
        return MC_CHECK_CRITICAL;
    }

    for (k = 0; k < 3; k++) {
        if (count[k] >= opt->critical) {
            mc_check_raise(out, MC_CHECK_CRITICAL);

        } else if (count[k] >= opt->warning) {
            mc_check_raise(out, MC_CHECK_WARNING);
        }
    }

    mc_check_add(out->text, sizeof(out->text), &out->len,
                 "%u office%s, %u counters: %u stale, %u stalled, "
                 "%u long wait%s", noffices, noffices == 1 ? "" : "s",
                 ncounters, count[0], count[1], count[2],
                 count[2] == 1 ? "" : "s");

    if (nnamed > 0) {
        mc_check_add(out->text, sizeof(out->text), &out->len, " (%s%s)",
                     named, nnamed > MC_CHECK_NAMED ? ", ..." : "");
    }

    mc_check_add(out->perf, sizeof(out->perf), &out->perf_len,
                 "stale=%u;%u;%u;0;%u stalled=%u;%u;%u;0;%u "
                 "long_wait=%u;%u;%u;0;%u waiting=%llu wait_max=%llds",
                 count[0], opt->warning, opt->critical, ncounters,
                 count[1], opt->warning, opt->critical, ncounters,
                 count[2], opt->warning, opt->critical, ncounters,
                 (unsigned long long) waiting, (long long) wait_max);

    if (feeds.feeds) {
        mc_check_add(out->perf, sizeof(out->perf), &out->perf_len,
                     " feed_bad_lines=%lluc",
                     (unsigned long long) feeds.bad);
    }

    return MC_CHECK_OK;
}


static int
mc_check_feed(int source, const char *name, const mado_feed_stat_t *st,
    void *arg)
{
    int64_t            age;
    mc_check_feeds_t  *f = arg;

    f->feeds++;
    f->bad += st->bad;

    /* written by a writer whose clock was ahead: as now */
    age = f->now > st->bad_at ? f->now - st->bad_at : 0;

    if (st->bad_at != 0 && age < MC_CHECK_FEED_BAD) {
        if (source == MADO_FEED_HTTP) {
            mc_check_add(f->out->more, sizeof(f->out->more),
                         &f->out->more_len, "%s: feed %s (update API) "
                         "refused lines, %llu in all, the last %lld min "
                         "ago: its batches were answered 400\n", f->office,
                         name, (unsigned long long) st->bad,
                         (long long) (age / 60));

        } else {
            mc_check_add(f->out->more, sizeof(f->out->more),
                         &f->out->more_len, "%s: feed %s (madoctl feed) "
                         "refused lines, %llu in all, the last %lld min "
                         "ago: journalctl -u mado-feed@%s\n", f->office,
                         name, (unsigned long long) st->bad,
                         (long long) (age / 60),
                         f->office);
        }
    }

    return 0;
}


static void
mc_check_tls(const mc_check_opts_t *opt, int64_t now, mc_check_out_t *out)
{
    int          days, secs;
    FILE        *f;
    X509        *x;
    ASN1_TIME   *t;

    f = fopen(opt->tls_cert, "r");
    x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

    if (f != NULL) {
        fclose(f);
    }

    t = ASN1_TIME_new();

    /* days left from now (MADO_NOW in the tests) to notAfter */
    if (x == NULL || t == NULL || ASN1_TIME_set(t, (time_t) now) == NULL
        || !ASN1_TIME_diff(&days, &secs, t, X509_get0_notAfter(x)))
    {
        mc_check_raise(out, MC_CHECK_UNKNOWN);
        mc_check_add(out->text, sizeof(out->text), &out->len,
                     "; TLS certificate %s cannot be read", opt->tls_cert);
        X509_free(x);
        ASN1_TIME_free(t);
        return;
    }

    X509_free(x);
    ASN1_TIME_free(t);

    if (days < 0 || secs < 0) {
        /* expired: count a part of a day as a whole one gone */
        days = days < 0 ? days : -1;
    }

    if (days < (int) opt->tls_critical) {
        mc_check_raise(out, MC_CHECK_CRITICAL);

    } else if (days < (int) opt->tls_warning) {
        mc_check_raise(out, MC_CHECK_WARNING);
    }

    if (days < 0) {
        mc_check_add(out->text, sizeof(out->text), &out->len,
                     "; TLS certificate expired");

    } else {
        mc_check_add(out->text, sizeof(out->text), &out->len,
                     "; TLS certificate expires in %d day%s", days,
                     days == 1 ? "" : "s");
    }

    /* "N:" = alert below N, as the plugin guidelines' ranges say */
    mc_check_add(out->perf, sizeof(out->perf), &out->perf_len,
                 " tls_days=%d;%u:;%u:", days, opt->tls_warning,
                 opt->tls_critical);
}


static void
mc_check_disk(const mc_check_opts_t *opt, mc_check_out_t *out)
{
    double          free_pct;
    struct statvfs  vfs;

    if (statvfs(opt->disk, &vfs) != 0 || vfs.f_blocks == 0) {
        mc_check_raise(out, MC_CHECK_UNKNOWN);
        mc_check_add(out->text, sizeof(out->text), &out->len,
                     "; disk %s cannot be read", opt->disk);
        return;
    }

    /* what an unprivileged writer (nginx, madoctl) may still use */
    free_pct = 100.0 * (double) vfs.f_bavail / (double) vfs.f_blocks;

    if (free_pct < opt->disk_critical) {
        mc_check_raise(out, MC_CHECK_CRITICAL);

    } else if (free_pct < opt->disk_warning) {
        mc_check_raise(out, MC_CHECK_WARNING);
    }

    mc_check_add(out->text, sizeof(out->text), &out->len,
                 "; disk %s %.0f%% free", opt->disk, free_pct);
    mc_check_add(out->perf, sizeof(out->perf), &out->perf_len,
                 " disk_free=%.1f%%;%u:;%u:", free_pct, opt->disk_warning,
                 opt->disk_critical);
}
