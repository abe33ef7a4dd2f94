/*
 * madoctl compact: the retention of the history.  Events and 5-minute
 * samples older than --keep-days are folded into hourly figures (what
 * the reports, the forecast and the history API of old days use) and
 * deleted; hourly figures older than --keep-hourly-days are deleted.
 * Expired sessions, failed-login and refusal records, and day-old
 * Idempotency-Key answers go too (mado_retention.c).  Meant to run daily
 * (conf.example/systemd/mado-compact.timer).
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "madoctl.h"


/* each compacted office-day, and the drop, is its own audited write */
static int
mc_compact_audit(mado_store_t *s, MDB_txn *txn, const char *office,
    int64_t day, uint64_t events, uint64_t samples, uint64_t dropped,
    void *arg, mado_err_t *err)
{
    char           d[32], e[24], sm[24], dr[24];
    mc_ctx_t      *ctx = arg;
    const char    *folded[] = { "day", d, "events", e, "samples", sm, NULL };
    const char    *gone[] = { "before", d, "hourly_dropped", dr, NULL };

    mado_time_iso(day, d);
    d[10] = '\0';
    snprintf(e, sizeof(e), "%llu", (unsigned long long) events);
    snprintf(sm, sizeof(sm), "%llu", (unsigned long long) samples);
    snprintf(dr, sizeof(dr), "%llu", (unsigned long long) dropped);

    return mc_audit(s, txn, ctx->now, "compact", office, NULL, NULL, NULL,
                    office ? folded : gone, err);
}


/* answers kept for Idempotency-Key retries live a day */
static int
mc_compact_idem(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int          rc;
    char         n[24];
    uint64_t     swept;
    mc_ctx_t    *ctx = arg;
    const char  *extra[] = { "idempotency_keys_dropped", n, NULL };

    rc = mado_idem_sweep(s, txn, ctx->now, &swept, err);
    if (rc != MADO_OK || swept == 0) {
        return rc;
    }

    snprintf(n, sizeof(n), "%llu", (unsigned long long) swept);

    return mc_audit(s, txn, ctx->now, "compact", NULL, NULL, NULL, NULL,
                    extra, err);
}


typedef struct {
    mc_ctx_t               *ctx;
    mado_sweep_stats_t      st;     /* out */
} mc_compact_sweep_t;


/* expired sessions, failed-login and refusal records: what names people */
static int
mc_compact_sweep(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                  rc;
    char                 se[24], cl[24], rf[24];
    mc_compact_sweep_t  *cs = arg;
    const char          *extra[] = { "sessions_dropped", se,
                                     "failed_login_records_dropped", cl,
                                     "refusal_counts_dropped", rf, NULL };

    rc = mado_sweep(s, txn, cs->ctx->now, 0, &cs->st, err);
    if (rc != MADO_OK
        || cs->st.sessions + cs->st.clients + cs->st.refusals == 0)
    {
        return rc;
    }

    snprintf(se, sizeof(se), "%llu", (unsigned long long) cs->st.sessions);
    snprintf(cl, sizeof(cl), "%llu", (unsigned long long) cs->st.clients);
    snprintf(rf, sizeof(rf), "%llu", (unsigned long long) cs->st.refusals);

    return mc_audit(s, txn, cs->ctx->now, "compact", NULL, NULL, NULL, NULL,
                    extra, err);
}


/* counts of failed logins whose windows, waits and trust have run out */
static int
mc_compact_login(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int          rc;
    char         n[24];
    uint64_t     swept;
    mc_ctx_t    *ctx = arg;
    const char  *extra[] = { "login_records_dropped", n, NULL };

    rc = mado_login_sweep(s, txn, ctx->now, &swept, err);
    if (rc != MADO_OK || swept == 0) {
        return rc;
    }

    snprintf(n, sizeof(n), "%llu", (unsigned long long) swept);

    return mc_audit(s, txn, ctx->now, "compact", NULL, NULL, NULL, NULL,
                    extra, err);
}


int
mc_cmd_compact(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc;
    int64_t                      today, before, drop;
    uint32_t                     keep, keep_hourly;
    mado_err_t                   err;
    mado_store_t                 s;
    mado_compact_stats_t         st;
    mc_compact_sweep_t           sw;
    const char                  *a_keep, *a_hourly;
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "keep-days",        required_argument, NULL, 'k' },
        { "keep-hourly-days", required_argument, NULL, 'H' },
        { "help",             no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    a_keep = a_hourly = NULL;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'k': a_keep = optarg; break;
        case 'H': a_hourly = optarg; break;

        case 'h':
            return mc_help("compact");

        default:
            return mc_getopt_error("compact", c, argv);
        }
    }

    if ((rc = mc_args("compact", argc, argv, names, 0)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    keep = 60;
    keep_hourly = 1830;

    /* the forecast looks at up to 26 weeks of detail */
    if (a_keep != NULL
        && mc_parse_uint("--keep-days", a_keep, 1, 3660, &keep))
    {
        return MC_EXIT_REFUSED;
    }

    if (a_hourly != NULL
        && mc_parse_uint("--keep-hourly-days", a_hourly, 0, 36600,
                         &keep_hourly))
    {
        return MC_EXIT_REFUSED;
    }

    if (keep_hourly != 0 && keep_hourly < keep) {
        mc_error("--keep-hourly-days: %u is less than --keep-days %u",
                 keep_hourly, keep);
        return MC_EXIT_REFUSED;
    }

    today = (ctx->now + MADO_TZ_OFFSET) / 86400 * 86400 - MADO_TZ_OFFSET;
    before = today - (int64_t) keep * 86400;
    drop = keep_hourly ? today - (int64_t) keep_hourly * 86400 : 0;

    rc = mc_store_open(ctx, &s, 0);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    rc = mado_history_compact(&s, before, drop, mc_compact_audit, ctx, &st,
                              &err);

    if (rc == MADO_OK) {
        rc = mado_store_write(&s, mc_compact_idem, ctx, &err);
    }

    memset(&sw, 0, sizeof(sw));
    sw.ctx = ctx;

    if (rc == MADO_OK) {
        rc = mado_store_write(&s, mc_compact_sweep, &sw, &err);
    }

    if (rc == MADO_OK) {
        rc = mado_store_write(&s, mc_compact_login, ctx, &err);
    }

    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    printf("compacted %llu office-days (%llu events, %llu samples) into "
           "hourly figures; dropped %llu hourly figures\n",
           (unsigned long long) st.days, (unsigned long long) st.events,
           (unsigned long long) st.samples,
           (unsigned long long) st.hours_dropped);
    printf("dropped %llu expired sessions, %llu failed-login records and "
           "%llu refusal counts\n", (unsigned long long) sw.st.sessions,
           (unsigned long long) sw.st.clients,
           (unsigned long long) sw.st.refusals);

    return MC_EXIT_OK;
}
