/*
 * Retention: what identifies people (sessions, the addresses that failed
 * logins or were refused, user ids typed into failed logins) is kept no
 * longer than it serves.
 *
 *   session     until it is idle MADO_SESSION_IDLE or older than
 *               MADO_SESSION_MAX, its account's password changes or the
 *               account is disabled (or logout)
 *   clientfail  until its window (MADO_CLIENT_WINDOW) and wait are over
 *   refusal     until its window (a minute; an hour for "*") is over
 *   audit       a typed user id that names no account: a keyed hash only
 *
 * None of them keeps a name or an address in clear: sessions are sealed,
 * the others are kept under keyed hashes (mado_crypt.c); the audit trail,
 * which outlives them, is sealed too.
 *
 * Expired records are harmless to the checks (they read as absent) but
 * would stay forever: "madoctl compact" sweeps them all, and each login
 * sweeps a few from a random place, so that a store nobody compacts does
 * not grow with them either.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mado_store.h"


/* 1: the record may go */
typedef int (*mado_expired_pt)(const mado_store_t *s, const MDB_val *k,
    const MDB_val *v, int64_t now);


static int
mado_session_expired(const mado_store_t *s, const MDB_val *k,
    const MDB_val *v, int64_t now)
{
    mado_session_t  se;

    /* garbled, or does not open: no check can ever accept it */
    if (mado_session_value(s, k, v, &se) != 0) {
        return 1;
    }

    return now - se.seen > MADO_SESSION_IDLE
           || now - se.created > MADO_SESSION_MAX;
}


static int
mado_client_expired(const mado_store_t *s, const MDB_val *k,
    const MDB_val *v, int64_t now)
{
    mado_clientfail_t  cf;

    (void) s;
    (void) k;

    if (mado_clientfail_decode(v->mv_data, v->mv_size, &cf) != 0) {
        return 1;
    }

    /* counting would start again, and nothing waits */
    return now - cf.since > MADO_CLIENT_WINDOW && cf.until <= now;
}


static int64_t
mado_refusal_window(const void *key, size_t len)
{
    return (len == sizeof(MADO_REFUSAL_ALL_KEY) - 1
            && memcmp(key, MADO_REFUSAL_ALL_KEY, len) == 0)
           ? 3600 : 60;
}


static int
mado_refusal_expired(const mado_store_t *s, const MDB_val *k,
    const MDB_val *v, int64_t now)
{
    mado_refusal_t  rf;

    (void) s;

    if (mado_refusal_decode(v->mv_data, v->mv_size, &rf) != 0) {
        return 1;
    }

    return now - rf.since >= mado_refusal_window(k->mv_data, k->mv_size);
}


/*
 * One database: every record (step 0) or step records from a random key
 * on, wrapping round once.  After mdb_cursor_del() the cursor is on the
 * next record already, and MDB_NEXT returns that one.
 */
static int
mado_sweep_db(const mado_store_t *s, MDB_txn *txn, MDB_dbi dbi, int64_t now,
    unsigned step, mado_expired_pt expired, uint64_t *n, const char *what,
    mado_err_t *err)
{
    int            rc;
    size_t         left;
    MDB_val        k, v;
    MDB_stat       st;
    MDB_cursor    *cur;
    unsigned char  start[8];

    rc = mdb_stat(txn, dbi, &st);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, what, rc);
    }

    left = (step && step < st.ms_entries) ? step : st.ms_entries;

    if (left == 0) {
        return MADO_OK;
    }

    rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, what, rc);
    }

    rc = MDB_NOTFOUND;

    if (step && RAND_bytes(start, sizeof(start)) == 1) {
        k.mv_data = start;
        k.mv_size = sizeof(start);
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }

    if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }

    while (rc == 0 && left--) {
        if (expired(s, &k, &v, now)) {
            rc = mdb_cursor_del(cur, 0);
            if (rc != 0) {
                break;
            }

            (*n)++;
        }

        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);

        if (rc == MDB_NOTFOUND && left) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, what, rc);
    }

    return MADO_OK;
}


int
mado_sweep(mado_store_t *s, MDB_txn *txn, int64_t now, unsigned step,
    mado_sweep_stats_t *st, mado_err_t *err)
{
    int  rc;

    memset(st, 0, sizeof(mado_sweep_stats_t));

    rc = mado_sweep_db(s, txn, s->session, now, step, mado_session_expired,
                       &st->sessions, "sweeping sessions", err);

    if (rc == MADO_OK) {
        rc = mado_sweep_db(s, txn, s->clientfail, now, step,
                           mado_client_expired, &st->clients,
                           "sweeping failed logins", err);
    }

    if (rc == MADO_OK) {
        rc = mado_sweep_db(s, txn, s->refusal, now, step, mado_refusal_expired,
                           &st->refusals, "sweeping refusals", err);
    }

    return rc;
}


int
mado_session_end_user(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *keep, uint64_t *n, mado_err_t *err)
{
    int             rc;
    MDB_val         k, v;
    MDB_cursor     *cur;
    mado_session_t  se;
    unsigned char   kept[MADO_HASH_LEN];

    *n = 0;

    if (keep != NULL && mado_session_key(keep, kept) != 0) {
        return mado_fail(err, MADO_ESTORE, "SHA-256 failed");
    }

    rc = mdb_cursor_open(txn, s->session, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "ending sessions", rc);
    }

    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    while (rc == 0) {
        if (mado_session_value(s, &k, &v, &se) == 0
            && strcmp(se.user, user) == 0
            && !(keep != NULL && k.mv_size == MADO_HASH_LEN
                 && memcmp(k.mv_data, kept, MADO_HASH_LEN) == 0))
        {
            rc = mdb_cursor_del(cur, 0);
            if (rc != 0) {
                break;
            }

            (*n)++;
        }

        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "ending sessions", rc);
    }

    return MADO_OK;
}


void
mado_tried_id(const mado_store_t *s, const char *id, char *out)
{
    size_t         len;
    unsigned char  mac[MADO_HASH_LEN];

    static const unsigned char  zero[MADO_AUDIT_KEY_LEN];

    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
                  s->audit ? s->audit_key : zero, MADO_AUDIT_KEY_LEN,
                  (const unsigned char *) id, strlen(id), mac, sizeof(mac),
                  &len)
        == NULL)
    {
        /* nothing of the id rather than the id */
        memset(mac, 0, sizeof(mac));
    }

    mado_hex(mac, MADO_TRIED_LEN / 2, out);
    OPENSSL_cleanse(mac, sizeof(mac));
}


/* the key of an address's count: L(ADDRESS); "*" for all of them */
static void
mado_refusal_key(const mado_store_t *s, const char *client, MDB_val *k,
    unsigned char *lk)
{
    if (strcmp(client, MADO_REFUSAL_ALL_KEY) == 0) {
        k->mv_data = (void *) client;
        k->mv_size = strlen(client);
        return;
    }

    mado_lookup(s, "refusal", client, strlen(client), lk);
    k->mv_data = lk;
    k->mv_size = MADO_LOOKUP_LEN;
}


/* the refusals audited in the window of key (an address, or "*") */
static void
mado_refusal_get(mado_store_t *s, MDB_txn *txn, const char *key, int64_t now,
    mado_refusal_t *rf)
{
    MDB_val        k, v;
    unsigned char  lk[MADO_LOOKUP_LEN];

    mado_refusal_key(s, key, &k, lk);

    if (key[0] == '\0'
        || mdb_get(txn, s->refusal, &k, &v) != 0
        || mado_refusal_decode(v.mv_data, v.mv_size, rf) != 0
        || now - rf->since >= mado_refusal_window(k.mv_data, k.mv_size))
    {
        rf->since = now;
        rf->audited = 0;
    }
}


int
mado_refusal_due(mado_store_t *s, MDB_txn *txn, const char *client,
    int64_t now)
{
    mado_refusal_t  one, all;

    mado_refusal_get(s, txn, client, now, &one);
    mado_refusal_get(s, txn, MADO_REFUSAL_ALL_KEY, now, &all);

    return one.audited < MADO_REFUSALS_ADDR && all.audited < MADO_REFUSALS_ALL;
}


static int
mado_refusal_put(mado_store_t *s, MDB_txn *txn, const char *key,
    const mado_refusal_t *rf, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  val[MADO_REFUSAL_SIZE], lk[MADO_LOOKUP_LEN];

    mado_refusal_encode(rf, val);

    mado_refusal_key(s, key, &k, lk);
    v.mv_data = val;
    v.mv_size = sizeof(val);

    rc = mdb_put(txn, s->refusal, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "counting refusals", rc);
    }

    return MADO_OK;
}


int
mado_refusal_audit(mado_store_t *s, MDB_txn *txn, int64_t now,
    const char *actor, const char *client, const char *office,
    const char *const *extra, int *written, mado_err_t *err)
{
    int             rc;
    mado_refusal_t  one, all;

    *written = 0;

    if (client[0] == '\0') {
        return MADO_OK;
    }

    mado_refusal_get(s, txn, client, now, &one);
    mado_refusal_get(s, txn, MADO_REFUSAL_ALL_KEY, now, &all);

    if (one.audited >= MADO_REFUSALS_ADDR || all.audited >= MADO_REFUSALS_ALL)
    {
        return MADO_OK;
    }

    one.audited++;
    all.audited++;

    rc = mado_refusal_put(s, txn, client, &one, err);

    if (rc == MADO_OK) {
        rc = mado_refusal_put(s, txn, MADO_REFUSAL_ALL_KEY, &all, err);
    }

    if (rc == MADO_OK) {
        rc = mado_audit_write(s, txn, now, actor, client, "refused", office,
                              NULL, NULL, NULL, extra, err);
    }

    if (rc == MADO_OK) {
        *written = 1;
    }

    return rc;
}
