/*
 * The audit trail's anchor outside the store and the accounts' seals
 * (mado_audit.c, mado_account.c): the anchor's path beside the key, its
 * file moved forward only (commits may finish out of order), refused when
 * others may write it or another key made it; a write moves it; an
 * account changed, copied or put in without its seal is MADO_ESEAL, for a
 * login and for a feed token alike.
 */

#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"


#define T  1795748400               /* 2026-11-27T12:00:00+09:00 */


static void
test_anchor_path(void)
{
    char  buf[64];

    CHECK_INT(mado_anchor_path("/etc/mado/audit.key", buf, sizeof(buf)), 0);
    CHECK_STR(buf, "/etc/mado/audit.anchor");
    CHECK_INT(mado_anchor_path("/etc/mado/key", buf, sizeof(buf)), 0);
    CHECK_STR(buf, "/etc/mado/key.anchor");
    CHECK_INT(mado_anchor_path("/a/very/long/path/to/a/key/file/somewhere/"
                               "deep/audit.key", buf, 16), -1);
}


static void
test_anchor_file(const char *dir)
{
    int            fd, rd;
    char           path[128];
    mado_err_t     err;
    mado_anchor_t  a, b;
    unsigned char  key[MADO_AUDIT_KEY_LEN], other[MADO_AUDIT_KEY_LEN];

    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    snprintf(path, sizeof(path), "%s/audit.anchor", dir);

    CHECK_INT(mado_anchor_open(path, MADO_ANCHOR_WRITE, NULL, &fd, &err),
              MADO_ENOTFOUND);
    CHECK_INT(mado_anchor_open(path, MADO_ANCHOR_CREATE, NULL, &fd, &err),
              MADO_OK);
    CHECK_INT(mado_anchor_read(fd, key, &b, &err), MADO_ENOTFOUND);

    memset(&a, 0, sizeof(a));
    a.seq = 5;
    memset(a.mac, 0xab, sizeof(a.mac));
    strcpy(a.time, "2026-11-27T12:00:00+09:00");

    CHECK_INT(mado_anchor_write(fd, key, &a, 0, &err), MADO_OK);
    CHECK_INT(mado_anchor_read(fd, key, &b, &err), MADO_OK);
    CHECK_INT(b.seq, 5);
    CHECK(memcmp(b.mac, a.mac, sizeof(a.mac)) == 0);
    CHECK_STR(b.time, "2026-11-27T12:00:00+09:00");

    /* an earlier commit's anchor written late never moves it back */
    a.seq = 3;
    CHECK_INT(mado_anchor_write(fd, key, &a, 0, &err), MADO_OK);
    CHECK_INT(mado_anchor_read(fd, key, &b, &err), MADO_OK);
    CHECK_INT(b.seq, 5);

    /* unless forced ("audit anchor --reset"), and shorter is no garbage */
    a.seq = 12345678901ULL;
    CHECK_INT(mado_anchor_write(fd, key, &a, 0, &err), MADO_OK);
    a.seq = 3;
    CHECK_INT(mado_anchor_write(fd, key, &a, 1, &err), MADO_OK);
    CHECK_INT(mado_anchor_read(fd, key, &b, &err), MADO_OK);
    CHECK_INT(b.seq, 3);

    /* made with another key, or changed without one */
    CHECK_INT(mado_anchor_read(fd, other, &b, &err), MADO_EINVAL);
    CHECK_INT(pwrite(fd, "mado-audit-anchor 1 seq=9", 25, 0), 25);
    CHECK_INT(mado_anchor_read(fd, key, &b, &err), MADO_EINVAL);
    close(fd);

    /* read-only for verify; refused when others may write it */
    CHECK_INT(mado_anchor_open(path, MADO_ANCHOR_READ, NULL, &rd, &err),
              MADO_OK);
    close(rd);
    chmod(path, 0620);
    CHECK_INT(mado_anchor_open(path, MADO_ANCHOR_WRITE, NULL, &fd, &err),
              MADO_EINVAL);
    CHECK(strstr(err.text, "must not be writable by group or others")
          != NULL);
    CHECK_INT(mado_anchor_open(path, MADO_ANCHOR_READ, NULL, &fd, &err),
              MADO_EINVAL);
    unlink(path);
}


/* a write: one audit record, and an account when given */
typedef struct {
    const mado_account_t  *a;
} unit_write_t;


static int
unit_audited_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int            rc;
    unit_write_t  *w = arg;

    if (w->a != NULL) {
        rc = mado_account_put(s, txn, w->a, err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    return mado_audit_write(s, txn, T, "os:unit", "local", "unit", NULL, NULL,
                            NULL, NULL, NULL, err);
}


static void
test_store_anchor(unit_store_t *u)
{
    int                   fd;
    char                  path[128];
    MDB_txn              *txn;
    mado_err_t            err;
    unit_write_t          w;
    mado_anchor_t         a;
    mado_audit_verify_t   res;
    mado_anchor_check_t   c;

    snprintf(path, sizeof(path), "%s/audit.anchor", u->dir);
    CHECK_INT(mado_anchor_open(path, MADO_ANCHOR_CREATE, NULL, &fd, &err),
              MADO_OK);

    u->s.anchor_fd = fd;
    u->s.anchored = 1;
    u->s.anchor_own = 1;

    w.a = NULL;
    CHECK_INT(mado_store_write(&u->s, unit_audited_write, &w, &err), MADO_OK);
    CHECK_INT(mado_store_write(&u->s, unit_audited_write, &w, &err), MADO_OK);

    CHECK_INT(mado_anchor_read(fd, u->s.audit_key, &a, &err), MADO_OK);
    CHECK_INT(a.seq, 2);
    CHECK_STR(a.time, "2026-11-27T12:00:00+09:00");

    CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
    CHECK_INT(mado_audit_walk(&u->s, txn, NULL, NULL, &res, &err), MADO_OK);
    CHECK_INT(res.broken, 0);
    CHECK_INT(mado_anchor_check(&u->s, txn, &a, &res, &c, &err), MADO_OK);
    CHECK(c.ok);
    CHECK_INT(c.after, 0);

    /* a trail that ends before the anchor's record */
    a.seq = 3;
    CHECK_INT(mado_anchor_check(&u->s, txn, &a, &res, &c, &err), MADO_OK);
    CHECK(!c.ok);
    CHECK(strstr(c.why, "ends at record 2 but the anchor names record 3")
          != NULL);

    /* another record at the anchor's number */
    a.seq = 1;
    memset(a.mac, 0, sizeof(a.mac));
    CHECK_INT(mado_anchor_check(&u->s, txn, &a, &res, &c, &err), MADO_OK);
    CHECK(!c.ok);
    mdb_txn_abort(txn);
}


static void
raw_account_put(unit_store_t *u, const char *key, const char *json)
{
    MDB_txn  *txn;
    MDB_val   k, v;

    CHECK_INT(mdb_txn_begin(u->s.env, NULL, 0, &txn), 0);
    k.mv_data = (void *) key;
    k.mv_size = strlen(key);
    v.mv_data = (void *) json;
    v.mv_size = strlen(json);
    CHECK_INT(mdb_put(txn, u->s.account, &k, &v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
}


static char *
raw_account_get(unit_store_t *u, const char *key)
{
    char     *out;
    MDB_txn  *txn;
    MDB_val   k, v;

    out = NULL;
    CHECK_INT(mdb_txn_begin(u->s.env, NULL, MDB_RDONLY, &txn), 0);
    k.mv_data = (void *) key;
    k.mv_size = strlen(key);

    if (mdb_get(txn, u->s.account, &k, &v) == 0) {
        out = strndup(v.mv_data, v.mv_size);
    }

    mdb_txn_abort(txn);

    return out;
}


static int
account_get(unit_store_t *u, const char *id, mado_account_t *a)
{
    int          rc;
    MDB_txn     *txn;
    mado_err_t   err;

    CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
    rc = mado_account_get(&u->s, txn, id, a, &err);
    mdb_txn_abort(txn);

    return rc;
}


static void
test_seal(unit_store_t *u)
{
    char            *json, *p, token[MADO_TOKEN_LEN + 1];
    MDB_txn         *txn;
    mado_err_t       err;
    unit_write_t     w;
    mado_account_t   a, b;

    memset(&a, 0, sizeof(a));
    strcpy(a.id, "machine");
    a.role = MADO_ROLE_FEED;
    strcpy(a.offices[0], "kita");
    a.noffices = 1;
    a.created_at = T;
    CHECK_INT(mado_token_new(&a, token, &err), MADO_OK);

    w.a = &a;
    CHECK_INT(mado_store_write(&u->s, unit_audited_write, &w, &err), MADO_OK);

    /* sealed by the write, whose audit record is the next one (3) */
    CHECK_INT(account_get(u, "machine", &b), MADO_OK);
    CHECK_INT(b.seal_state, MADO_SEAL_OK);
    CHECK_INT(b.seal_seq, 3);

    CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
    CHECK_INT(mado_token_find(&u->s, txn, token, &b, &err), MADO_OK);
    mdb_txn_abort(txn);

    /* failures and logins are not sealed: a login changes them */
    json = raw_account_get(u, "machine");
    CHECK(json != NULL);
    if (json == NULL) {
        return;
    }

    p = strstr(json, "\"failures\":0");
    CHECK(p != NULL);
    if (p != NULL) {
        p[11] = '3';
        raw_account_put(u, "machine", json);
        CHECK_INT(account_get(u, "machine", &b), MADO_OK);
        CHECK_INT(b.failures, 3);
    }

    /* another office granted by hand */
    p = strstr(json, "[\"kita\"]");
    CHECK(p != NULL);
    if (p != NULL) {
        memcpy(p, "[\"kitb\"]", 8);
        raw_account_put(u, "machine", json);
        CHECK_INT(account_get(u, "machine", &b), MADO_ESEAL);
        CHECK_INT(b.seal_state, MADO_SEAL_BROKEN);

        /* its token finds it, and is refused */
        CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
        CHECK_INT(mado_token_find(&u->s, txn, token, &b, &err), MADO_ESEAL);
        CHECK(strstr(err.text, "does not match its seal") != NULL);
        mdb_txn_abort(txn);
        memcpy(p, "[\"kita\"]", 8);
    }

    /* the sealed record copied under another id */
    raw_account_put(u, "machine", json);
    raw_account_put(u, "copy", json);
    CHECK_INT(account_get(u, "machine", &b), MADO_OK);
    CHECK_INT(account_get(u, "copy", &b), MADO_ESEAL);
    CHECK_STR(b.id, "copy");
    CHECK_INT(b.seal_state, MADO_SEAL_BROKEN);

    /* no seal at all (an account of before seals, or one put in) */
    p = strstr(json, ",\"seal_seq\"");
    CHECK(p != NULL);
    if (p != NULL) {
        strcpy(p, "}");
        raw_account_put(u, "machine", json);
        CHECK_INT(account_get(u, "machine", &b), MADO_ESEAL);
        CHECK_INT(b.seal_state, MADO_SEAL_NONE);
    }

    free(json);

    /* without the key nothing is checked, and nothing is sealed */
    u->s.audit = 0;
    CHECK_INT(account_get(u, "copy", &b), MADO_ESEAL);
    CHECK_INT(account_get(u, "machine", &b), MADO_OK);
    CHECK_INT(b.seal_state, MADO_SEAL_NONE);
    u->s.audit = 1;
}


int
main(void)
{
    unit_store_t  u;

    test_anchor_path();

    if (unit_store_open(&u, T) != 0) {
        return 1;
    }

    test_anchor_file(u.dir);
    test_store_anchor(&u);
    test_seal(&u);

    {
        char  path[128];

        snprintf(path, sizeof(path), "%s/audit.anchor", u.dir);
        unlink(path);
    }

    unit_store_close(&u);

    return unit_done("audit");
}
