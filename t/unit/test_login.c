/*
 * The limits of logins (mado_account.c): an attempt is counted before its
 * hash, per account and address, per address, per account; a success
 * takes its count back and makes the address trusted for the account;
 * forget and sweep.
 */

#include "unit.h"


#define T           1795748400      /* 2026-11-27T12:00:00+09:00 */


static unit_store_t  u;


/* one attempt in a transaction of its own, as the module makes it */
static int
attempt(const char *user, const char *addr, int64_t now, mado_login_t *l)
{
    int         rc;
    MDB_txn    *txn;
    mado_err_t  err;

    if (mdb_txn_begin(u.s.env, NULL, 0, &txn) != 0) {
        return -1;
    }

    rc = mado_login_begin(&u.s, txn, user, addr, now, l, &err);

    if (rc != MADO_OK || mdb_txn_commit(txn) != 0) {
        fprintf(stderr, "    begin: %s\n", err.text);
        return -1;
    }

    return 0;
}


static int
success(const char *user, const char *addr, int64_t now,
    const mado_login_t *l)
{
    MDB_txn    *txn;
    mado_err_t  err;

    if (mdb_txn_begin(u.s.env, NULL, 0, &txn) != 0
        || mado_login_succeeded(&u.s, txn, user, addr, now, l, &err)
           != MADO_OK
        || mdb_txn_commit(txn) != 0)
    {
        return -1;
    }

    return 0;
}


static void
state(const char *user, int64_t now, uint32_t *failures, int64_t *until)
{
    MDB_txn  *txn;

    *failures = 0;
    *until = 0;

    if (mdb_txn_begin(u.s.env, NULL, MDB_RDONLY, &txn) == 0) {
        mado_login_state(&u.s, txn, user, now, failures, until);
        mdb_txn_abort(txn);
    }
}


/* an account from one address: five, then 30 s, doubling */
static void
test_pair(void)
{
    int           i;
    mado_login_t  l;

    for (i = 1; i <= 5; i++) {
        CHECK_INT(attempt("tanaka", "10.0.0.1", T, &l), 0);
        CHECK_INT(l.retry_after, 0);
        CHECK_INT(l.failures[MADO_LIMIT_PAIR], i);
    }

    CHECK_INT(l.set, 1u << MADO_LIMIT_PAIR);
    CHECK_INT(l.wait[MADO_LIMIT_PAIR], 30);

    /* held before the hash, not counted */
    CHECK_INT(attempt("tanaka", "10.0.0.1", T + 10, &l), 0);
    CHECK_INT(l.retry_after, 20);
    CHECK_INT(l.held, MADO_LIMIT_PAIR);

    /* another address is another count */
    CHECK_INT(attempt("tanaka", "10.0.0.9", T + 10, &l), 0);
    CHECK_INT(l.retry_after, 0);
    CHECK_INT(l.failures[MADO_LIMIT_PAIR], 1);

    /* after the wait, one more try and twice the wait */
    CHECK_INT(attempt("tanaka", "10.0.0.1", T + 31, &l), 0);
    CHECK_INT(l.retry_after, 0);
    CHECK_INT(l.failures[MADO_LIMIT_PAIR], 6);
    CHECK_INT(l.wait[MADO_LIMIT_PAIR], 60);

    /* a right password there forgives, and trusts the address */
    CHECK_INT(success("tanaka", "10.0.0.1", T + 31, &l), 0);
    CHECK_INT(attempt("tanaka", "10.0.0.1", T + 40, &l), 0);
    CHECK_INT(l.retry_after, 0);
    CHECK(l.trusted);
    CHECK_INT(l.failures[MADO_LIMIT_PAIR], 1);
    CHECK_INT(l.failures[MADO_LIMIT_ADDRESS], 0);   /* not counted there */
    CHECK_INT(l.failures[MADO_LIMIT_ACCOUNT], 0);

    /* a trust lasts MADO_LOGIN_TRUST */
    CHECK_INT(attempt("tanaka", "10.0.0.1", T + 31 + MADO_LOGIN_TRUST + 1,
                      &l), 0);
    CHECK(!l.trusted);
}


/* an address, whatever the accounts: twenty within 15 minutes */
static void
test_address(void)
{
    int           i;
    char          user[16];
    mado_login_t  l, first;

    /* kimura logs in from there first: trusted there */
    CHECK_INT(attempt("kimura", "10.0.0.2", T, &first), 0);
    CHECK_INT(first.failures[MADO_LIMIT_ADDRESS], 1);
    CHECK_INT(success("kimura", "10.0.0.2", T, &first), 0);

    for (i = 0; i < 20; i++) {
        snprintf(user, sizeof(user), "guess%d", i % 10);
        CHECK_INT(attempt(user, "10.0.0.2", T + 1, &l), 0);
        CHECK_INT(l.retry_after, 0);
    }

    /* the success took its count back: 20 are the guesses */
    CHECK_INT(l.failures[MADO_LIMIT_ADDRESS], 20);
    CHECK_INT(l.set, 1u << MADO_LIMIT_ADDRESS);
    CHECK_INT(l.wait[MADO_LIMIT_ADDRESS], 60);

    CHECK_INT(attempt("someone", "10.0.0.2", T + 2, &l), 0);
    CHECK_INT(l.held, MADO_LIMIT_ADDRESS);
    CHECK_INT(l.retry_after, 59);

    /* kimura is held there by its own count only */
    CHECK_INT(attempt("kimura", "10.0.0.2", T + 2, &l), 0);
    CHECK_INT(l.retry_after, 0);
    CHECK(l.trusted);

    /* a window later the count starts again */
    CHECK_INT(attempt("someone", "10.0.0.2", T + 61 + MADO_CLIENT_WINDOW,
                      &l), 0);
    CHECK_INT(l.retry_after, 0);
    CHECK_INT(l.failures[MADO_LIMIT_ADDRESS], 1);
}


/* an account, whatever the addresses: fifty within the hour */
static void
test_account(void)
{
    int           i;
    char          addr[32];
    int64_t       until;
    uint32_t      failures;
    mado_login_t  l;

    /* sato's counter */
    CHECK_INT(attempt("sato", "10.1.0.1", T, &l), 0);
    CHECK_INT(success("sato", "10.1.0.1", T, &l), 0);

    for (i = 0; i < 50; i++) {
        snprintf(addr, sizeof(addr), "10.2.0.%d", i / 5);
        CHECK_INT(attempt("sato", addr, T + 1, &l), 0);
        CHECK_INT(l.retry_after, 0);
    }

    CHECK_INT(l.failures[MADO_LIMIT_ACCOUNT], 50);
    CHECK(l.set & (1u << MADO_LIMIT_ACCOUNT));
    CHECK(l.set & (1u << MADO_LIMIT_PAIR));    /* the fifth there too */

    state("sato", T + 1, &failures, &until);
    CHECK_INT(failures, 50);
    CHECK_INT(until, T + 61);

    /* held at a new address */
    CHECK_INT(attempt("sato", "10.3.0.1", T + 2, &l), 0);
    CHECK_INT(l.held, MADO_LIMIT_ACCOUNT);

    /* not at its counter */
    CHECK_INT(attempt("sato", "10.1.0.1", T + 2, &l), 0);
    CHECK_INT(l.retry_after, 0);

    /* an unknown id is counted alike: the library knows no accounts */
    for (i = 0; i < 50; i++) {
        snprintf(addr, sizeof(addr), "10.4.0.%d", i / 5);
        CHECK_INT(attempt("ghost", addr, T + 1, &l), 0);
    }

    CHECK_INT(attempt("ghost", "10.3.0.1", T + 2, &l), 0);
    CHECK_INT(l.held, MADO_LIMIT_ACCOUNT);
}


/* a success takes back its own count, and a wait its attempt began */
static void
test_taken_back(void)
{
    int           i;
    char          user[16];
    mado_login_t  l;

    for (i = 0; i < 19; i++) {
        snprintf(user, sizeof(user), "typo%d", i % 4);
        CHECK_INT(attempt(user, "10.5.0.1", T, &l), 0);
    }

    /* the twentieth begins the address's wait, then proves right */
    CHECK_INT(attempt("suzuki", "10.5.0.1", T, &l), 0);
    CHECK(l.set & (1u << MADO_LIMIT_ADDRESS));
    CHECK_INT(success("suzuki", "10.5.0.1", T, &l), 0);

    CHECK_INT(attempt("typo9", "10.5.0.1", T + 1, &l), 0);
    CHECK_INT(l.retry_after, 0);
    CHECK_INT(l.failures[MADO_LIMIT_ADDRESS], 20);
}


/* forget: the account's counts, at every address, and no other's */
static void
test_forget(void)
{
    MDB_txn       *txn;
    mado_err_t     err;
    mado_login_t   l;

    CHECK_INT(attempt("sat", "10.6.0.1", T, &l), 0);
    CHECK_INT(attempt("sato2", "10.6.0.1", T, &l), 0);

    CHECK_INT(mdb_txn_begin(u.s.env, NULL, 0, &txn), 0);
    CHECK_INT(mado_login_forget(&u.s, txn, "sato", &err), MADO_OK);
    CHECK_INT(mdb_txn_commit(txn), 0);

    CHECK_INT(attempt("sato", "10.3.0.1", T + 2, &l), 0);
    CHECK_INT(l.retry_after, 0);
    CHECK_INT(l.failures[MADO_LIMIT_ACCOUNT], 1);
    CHECK_INT(l.failures[MADO_LIMIT_PAIR], 1);

    /* its counter is no longer trusted either */
    CHECK_INT(attempt("sato", "10.1.0.1", T + 2, &l), 0);
    CHECK(!l.trusted);

    CHECK_INT(attempt("sat", "10.6.0.1", T + 1, &l), 0);
    CHECK_INT(l.failures[MADO_LIMIT_PAIR], 2);
    CHECK_INT(attempt("sato2", "10.6.0.1", T + 1, &l), 0);
    CHECK_INT(l.failures[MADO_LIMIT_PAIR], 2);
}


/* sweep: what has run out goes, a trust stays its 30 days */
static void
test_sweep(void)
{
    MDB_txn       *txn;
    MDB_stat       st;
    uint64_t       n;
    mado_err_t     err;
    mado_login_t   l;

    CHECK_INT(mdb_txn_begin(u.s.env, NULL, 0, &txn), 0);
    CHECK_INT(mado_login_sweep(&u.s, txn, T + 60, &n, &err), MADO_OK);
    CHECK_INT(n, 0);
    CHECK_INT(mado_login_sweep(&u.s, txn, T + 2 * 86400, &n, &err),
              MADO_OK);
    CHECK(n > 0);

    /* left: the pairs that logged in (kimura's, suzuki's; sato's was
       forgotten) and tanaka's counts of a month later (there and of the
       account) */
    CHECK_INT(mdb_stat(txn, u.s.login, &st), 0);
    CHECK_INT(st.ms_entries, 4);
    CHECK_INT(mado_login_sweep(&u.s, txn, T + MADO_LOGIN_TRUST + 3 * 86400,
                               &n, &err), MADO_OK);
    CHECK_INT(n, 4);
    CHECK_INT(mdb_stat(txn, u.s.login, &st), 0);
    CHECK_INT(st.ms_entries, 0);
    CHECK_INT(mdb_txn_commit(txn), 0);

    CHECK_INT(attempt("kimura", "10.0.0.2", T + MADO_LOGIN_TRUST + 3 * 86400,
                      &l), 0);
    CHECK(!l.trusted);
}


int
main(void)
{
    if (unit_store_open(&u, T) != 0) {
        CHECK(!"a store");
        return unit_done("login");
    }

    test_pair();
    test_address();
    test_account();
    test_taken_back();
    test_forget();
    test_sweep();

    unit_store_close(&u);

    return unit_done("login");
}
