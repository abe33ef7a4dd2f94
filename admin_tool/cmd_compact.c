/*
 * madoctl compact: the retention of the history.  Events and 5-minute
 * samples older than --keep-days are folded into hourly figures (what
 * the reports, the forecast and the history API of old days use) and
 * deleted; hourly figures older than --keep-hourly-days are deleted.
 * Expired sessions, failed-login and refusal records, and day-old
 * Idempotency-Key answers go too (mado_retention.c).  What a store of
 * schema 1 kept in clear is sealed (mado_crypt_migrate).  Meant to run
 * daily (conf.example/systemd/mado-compact.timer).
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


typedef struct {
    mc_ctx_t               *ctx;
    mado_crypt_migrate_t    st;     /* out: this write's */
} mc_compact_seal_t;


/* records an older version kept in clear, sealed: a batch a write */
#define MC_SEAL_BATCH           4096

static int
mc_compact_seal(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                 rc;
    char                au[24], ac[24], se[24], ks[24];
    mc_compact_seal_t  *cs = arg;
    const char         *extra[] = { "audit_records_sealed", au,
                                    "accounts_sealed", ac,
                                    "sessions_sealed", se,
                                    "keys_hashed", ks, NULL };

    rc = mado_crypt_migrate(s, txn, MC_SEAL_BATCH, &cs->st, err);
    if (rc != MADO_OK
        || cs->st.audit + cs->st.accounts + cs->st.sessions + cs->st.keys
           == 0)
    {
        return rc;
    }

    snprintf(au, sizeof(au), "%llu", (unsigned long long) cs->st.audit);
    snprintf(ac, sizeof(ac), "%llu", (unsigned long long) cs->st.accounts);
    snprintf(se, sizeof(se), "%llu", (unsigned long long) cs->st.sessions);
    snprintf(ks, sizeof(ks), "%llu", (unsigned long long) cs->st.keys);

    return mc_audit(s, txn, cs->ctx->now, "compact", NULL, NULL, NULL, NULL,
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
    mc_compact_seal_t            cs;
    mado_crypt_migrate_t         sealed;
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

    /* what a store of schema 1 kept in clear: sealed, a batch a write */
    memset(&cs, 0, sizeof(cs));
    memset(&sealed, 0, sizeof(sealed));
    cs.ctx = ctx;
    cs.st.more = 1;

    while (rc == MADO_OK && cs.st.more) {
        rc = mado_store_write(&s, mc_compact_seal, &cs, &err);

        sealed.audit += cs.st.audit;
        sealed.accounts += cs.st.accounts;
        sealed.sessions += cs.st.sessions;
        sealed.keys += cs.st.keys;
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

    if (sealed.audit + sealed.accounts + sealed.sessions + sealed.keys) {
        printf("sealed what an older version kept in clear: %llu audit "
               "records, %llu accounts, %llu sessions; hashed %llu keys of "
               "counts\n", (unsigned long long) sealed.audit,
               (unsigned long long) sealed.accounts,
               (unsigned long long) sealed.sessions,
               (unsigned long long) sealed.keys);
    }

    return MC_EXIT_OK;
}
