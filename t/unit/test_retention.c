/*
 * Retention (mado_retention.c): the sweep of expired sessions, failure
 * and refusal records, whole and a step at a time; the sessions of an
 * account ended but one; the keyed hash of a typed user id; the limits of
 * the refusals' audit.
 */

#include "unit.h"


#define T           1795748400      /* 2026-11-27T12:00:00+09:00 */


typedef struct {
    int64_t             now;
    char                token[8][MADO_SESSION_TOKEN_LEN + 1];
    const char         *user[8];
    unsigned            n;
    const char         *client;
    const char         *keep;
    unsigned            step;
    uint64_t            ended;
    mado_sweep_stats_t  st;
    int                 written;
} test_arg_t;


static int
test_sessions_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int          rc;
    unsigned     i;
    int64_t      locked;
    test_arg_t  *a = arg;

    for (i = 0; i < a->n; i++) {
        rc = mado_session_new(s, txn, a->user[i], a->now, a->token[i], err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    return a->client ? mado_client_failed(s, txn, a->client, a->now, &locked,
                                          err)
                     : MADO_OK;
}


static int
test_sweep_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    test_arg_t  *a = arg;

    return mado_sweep(s, txn, a->now, a->step, &a->st, err);
}


static int
test_end_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    test_arg_t  *a = arg;

    return mado_session_end_user(s, txn, "tanaka", a->keep, &a->ended, err);
}


static int
test_refusal_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    test_arg_t  *a = arg;

    return mado_refusal_audit(s, txn, a->now, "anonymous", a->client, NULL,
                              NULL, &a->written, err);
}


/* is the session of token alive at now (idle and absolute limits) */
static int
test_alive(unit_store_t *u, const char *token, int64_t now)
{
    int          rc;
    char         user[MADO_ID_MAX + 1];
    MDB_txn     *txn;
    mado_err_t   err;

    if (mado_store_read_begin(&u->s, &txn, &err) != MADO_OK) {
        return -1;
    }

    rc = mado_session_check(&u->s, txn, token, now, MADO_SESSION_IDLE,
                            MADO_SESSION_MAX, user, &err);
    mdb_txn_abort(txn);

    return rc == MADO_OK;
}


static size_t
test_entries(unit_store_t *u, MDB_dbi dbi)
{
    MDB_txn     *txn;
    MDB_stat     st;
    mado_err_t   err;

    if (mado_store_read_begin(&u->s, &txn, &err) != MADO_OK) {
        return (size_t) -1;
    }

    mdb_stat(txn, dbi, &st);
    mdb_txn_abort(txn);

    return st.ms_entries;
}


static void
test_sweep(unit_store_t *u)
{
    unsigned    i;
    mado_err_t  err;
    test_arg_t  a;

    /* 6 sessions and a failure at T, 2 more an hour later */
    memset(&a, 0, sizeof(a));
    a.now = T;
    a.n = 6;
    a.client = "192.0.2.1";

    for (i = 0; i < a.n; i++) {
        a.user[i] = (i % 2) ? "suzuki" : "tanaka";
    }

    CHECK_INT(mado_store_write(&u->s, test_sessions_write, &a, &err),
              MADO_OK);

    {
        test_arg_t  b;

        memset(&b, 0, sizeof(b));
        b.now = T + 3600;
        b.n = 2;
        b.user[0] = b.user[1] = "tanaka";
        CHECK_INT(mado_store_write(&u->s, test_sessions_write, &b, &err),
                  MADO_OK);
        CHECK_INT(test_alive(u, b.token[0], T + 3600), 1);
    }

    CHECK_INT(test_entries(u, u->s.session), 8);
    CHECK_INT(test_entries(u, u->s.clientfail), 1);

    /* nothing expired yet (the failure's window is still open) */
    a.now = T + 600;
    a.step = 0;
    CHECK_INT(mado_store_write(&u->s, test_sweep_write, &a, &err), MADO_OK);
    CHECK_INT(a.st.sessions, 0);
    CHECK_INT(a.st.clients, 0);
    CHECK_INT(test_entries(u, u->s.session), 8);

    /* a step looks at that many of each kind, wherever it starts */
    a.now = T + MADO_SESSION_IDLE + 61;
    a.step = 2;
    CHECK_INT(mado_store_write(&u->s, test_sweep_write, &a, &err), MADO_OK);
    CHECK(a.st.sessions <= 2);
    CHECK_INT(a.st.clients, 1);
    CHECK_INT(test_entries(u, u->s.session), 8 - a.st.sessions);

    /* all: the 6 idle ones, not the 2 of an hour later */
    a.step = 0;
    CHECK_INT(mado_store_write(&u->s, test_sweep_write, &a, &err), MADO_OK);
    CHECK_INT(test_entries(u, u->s.session), 2);
    CHECK_INT(test_entries(u, u->s.clientfail), 0);

    /* ended but one: the one kept lives */
    memset(&a, 0, sizeof(a));
    a.now = T + 7200;
    a.n = 3;
    a.user[0] = a.user[1] = "tanaka";
    a.user[2] = "suzuki";
    CHECK_INT(mado_store_write(&u->s, test_sessions_write, &a, &err),
              MADO_OK);
    a.keep = a.token[1];
    CHECK_INT(mado_store_write(&u->s, test_end_write, &a, &err), MADO_OK);
    CHECK_INT(a.ended, 3);      /* 2 of an hour later, a.token[0] */
    CHECK_INT(test_alive(u, a.token[0], T + 7200), 0);
    CHECK_INT(test_alive(u, a.token[1], T + 7200), 1);
    CHECK_INT(test_alive(u, a.token[2], T + 7200), 1);

    a.keep = NULL;
    CHECK_INT(mado_store_write(&u->s, test_end_write, &a, &err), MADO_OK);
    CHECK_INT(a.ended, 1);
    CHECK_INT(test_alive(u, a.token[1], T + 7200), 0);
    CHECK_INT(test_entries(u, u->s.session), 1);
}


static void
test_tried(unit_store_t *u)
{
    char  a[MADO_TRIED_LEN + 1], b[MADO_TRIED_LEN + 1];
    char  c[MADO_TRIED_LEN + 1];

    mado_tried_id(&u->s, "tr0ub4dor-and-3", a);
    mado_tried_id(&u->s, "tr0ub4dor-and-3", b);
    mado_tried_id(&u->s, "tr0ub4dor-and-4", c);

    CHECK_INT(strlen(a), MADO_TRIED_LEN);
    CHECK(strcmp(a, b) == 0);
    CHECK(strcmp(a, c) != 0);
    CHECK(strspn(a, "0123456789abcdef") == MADO_TRIED_LEN);

    /* another key, other digits: nothing to guess without it */
    u->s.audit_key[0] ^= 1;
    mado_tried_id(&u->s, "tr0ub4dor-and-3", b);
    u->s.audit_key[0] ^= 1;
    CHECK(strcmp(a, b) != 0);
}


static void
test_refusals(unit_store_t *u)
{
    unsigned    i, n;
    MDB_txn    *txn;
    mado_err_t  err;
    test_arg_t  a;
    char        addr[32];

    memset(&a, 0, sizeof(a));
    a.now = T;
    a.client = "192.0.2.9";

    /* from one address: MADO_REFUSALS_ADDR a minute */
    for (i = 0, n = 0; i < 5; i++) {
        CHECK_INT(mado_store_write(&u->s, test_refusal_write, &a, &err),
                  MADO_OK);
        n += a.written;
    }

    CHECK_INT(n, MADO_REFUSALS_ADDR);

    CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
    CHECK_INT(mado_refusal_due(&u->s, txn, "192.0.2.9", T + 59), 0);
    CHECK_INT(mado_refusal_due(&u->s, txn, "192.0.2.9", T + 60), 1);
    CHECK_INT(mado_refusal_due(&u->s, txn, "192.0.2.10", T), 1);
    mdb_txn_abort(txn);

    /* from all: MADO_REFUSALS_ALL an hour */
    for (i = 0; i < MADO_REFUSALS_ALL + 10; i++) {
        snprintf(addr, sizeof(addr), "198.51.100.%u", i);
        a.client = addr;
        a.now = T + 1;
        CHECK_INT(mado_store_write(&u->s, test_refusal_write, &a, &err),
                  MADO_OK);
        n += a.written;
    }

    CHECK_INT(n, MADO_REFUSALS_ALL);

    /* an hour on, the counts are swept and the audit resumes */
    a.now = T + 3600;
    a.step = 0;
    CHECK_INT(mado_store_write(&u->s, test_sweep_write, &a, &err), MADO_OK);
    /* the first address, "*", and the others until the hour's were all */
    CHECK_INT(a.st.refusals, 2 + MADO_REFUSALS_ALL - MADO_REFUSALS_ADDR);
    CHECK_INT(test_entries(u, u->s.refusal), 0);
    CHECK_INT(mado_store_write(&u->s, test_refusal_write, &a, &err), MADO_OK);
    CHECK_INT(a.written, 1);
}


int
main(void)
{
    unit_store_t  u;

    if (unit_store_open(&u, T) != 0) {
        CHECK(!"a store");
        return unit_done("retention");
    }

    test_sweep(&u);
    test_tried(&u);
    test_refusals(&u);
    unit_store_close(&u);

    return unit_done("retention");
}
