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


/*
 * An account put into the store by hand, as a process of the store's
 * group could, which has no key: in clear under its id, as schema 1 kept
 * accounts, in place of its sealed record
 */
static void
raw_account_put(unit_store_t *u, const char *key, const char *json)
{
    MDB_txn        *txn;
    MDB_val         k, v;
    unsigned char   lk[MADO_LOOKUP_LEN];

    CHECK_INT(mdb_txn_begin(u->s.env, NULL, 0, &txn), 0);
    mado_lookup(&u->s, "account", key, strlen(key), lk);
    k.mv_data = lk;
    k.mv_size = sizeof(lk);
    (void) mdb_del(txn, u->s.account, &k, NULL);
    k.mv_data = (void *) key;
    k.mv_size = strlen(key);
    v.mv_data = (void *) json;
    v.mv_size = strlen(json);
    CHECK_INT(mdb_put(txn, u->s.account, &k, &v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
}


/* the same, sealed under L(key) as a holder of the key would */
static void
raw_account_seal(unit_store_t *u, const char *key, const char *json)
{
    size_t          len;
    MDB_txn        *txn;
    MDB_val         k, v;
    mado_err_t      err;
    unsigned char   lk[MADO_LOOKUP_LEN], buf[4096];

    CHECK_INT(mdb_txn_begin(u->s.env, NULL, 0, &txn), 0);
    mado_lookup(&u->s, "account", key, strlen(key), lk);
    k.mv_data = lk;
    k.mv_size = sizeof(lk);
    CHECK_INT(mado_record_seal(&u->s, "account", lk, sizeof(lk), json,
                               strlen(json), buf, &len, &err), MADO_OK);
    v.mv_data = buf;
    v.mv_size = len;
    CHECK_INT(mdb_put(txn, u->s.account, &k, &v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
}


/* the stored bytes of a key of the account database (NULL: none) */
static MDB_val *
raw_get(unit_store_t *u, const void *key, size_t klen, MDB_val *out)
{
    MDB_txn  *txn;
    MDB_val   k, v;

    out->mv_data = NULL;
    CHECK_INT(mdb_txn_begin(u->s.env, NULL, MDB_RDONLY, &txn), 0);
    k.mv_data = (void *) key;
    k.mv_size = klen;

    if (mdb_get(txn, u->s.account, &k, &v) == 0) {
        out->mv_data = malloc(v.mv_size);
        memcpy(out->mv_data, v.mv_data, v.mv_size);
        out->mv_size = v.mv_size;
    }

    mdb_txn_abort(txn);

    return out->mv_data ? out : NULL;
}


static void
raw_put(unit_store_t *u, const void *key, size_t klen, const MDB_val *v)
{
    MDB_txn  *txn;
    MDB_val   k;

    CHECK_INT(mdb_txn_begin(u->s.env, NULL, 0, &txn), 0);
    k.mv_data = (void *) key;
    k.mv_size = klen;
    CHECK_INT(mdb_put(txn, u->s.account, &k, (MDB_val *) v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
}


/* the account's JSON as it is stored: sealed under L(id), opened */
static char *
raw_account_get(unit_store_t *u, const char *key)
{
    char           *out;
    size_t          len;
    MDB_val         v;
    unsigned char   lk[MADO_LOOKUP_LEN], buf[4096];

    out = NULL;
    mado_lookup(&u->s, "account", key, strlen(key), lk);

    if (raw_get(u, lk, sizeof(lk), &v) != NULL) {
        CHECK(mado_crypt_sealed(v.mv_data, v.mv_size));

        if (v.mv_size <= sizeof(buf)
            && mado_record_open(&u->s, "account", lk, sizeof(lk), v.mv_data,
                                v.mv_size, buf, &len)
               == MADO_OK)
        {
            out = strndup((char *) buf, len);
        }

        free(v.mv_data);
    }

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


/* "user list": each account as mado_account_each gives it */
typedef struct {
    char                ids[8][MADO_ID_MAX + 1];
    uint32_t            state[8];
    unsigned            n;
} unit_each_t;


static int
unit_each(const mado_account_t *a, void *arg)
{
    unit_each_t  *e = arg;

    if (e->n < 8) {
        strcpy(e->ids[e->n], a->id);
        e->state[e->n++] = a->seal_state;
    }

    return 0;
}


static unit_each_t *
accounts(unit_store_t *u, unit_each_t *e)
{
    MDB_txn     *txn;
    mado_err_t   err;

    memset(e, 0, sizeof(unit_each_t));
    CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
    CHECK_INT(mado_account_each(&u->s, txn, unit_each, e, &err), MADO_OK);
    mdb_txn_abort(txn);

    return e;
}


/* the state each gives the account id; -1 if it does not list it */
static int
listed(const unit_each_t *e, const char *id)
{
    unsigned  i;

    for (i = 0; i < e->n; i++) {
        if (strcmp(e->ids[i], id) == 0) {
            return (int) e->state[i];
        }
    }

    return -1;
}


static void
test_seal(unit_store_t *u)
{
    char            *json, *p, token[MADO_TOKEN_LEN + 1];
    MDB_val          sealed;
    MDB_txn         *txn;
    mado_err_t       err;
    unit_each_t      e;
    unit_write_t     w;
    mado_account_t   a, b;
    unsigned char    lk[MADO_LOOKUP_LEN], ck[MADO_LOOKUP_LEN];
    mado_crypt_migrate_t  mg;

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

    /* and sealed in the other sense: no id in clear, key nor value */
    CHECK_INT(unit_store_holds(u, "machine", 7, 0), 0);
    CHECK_INT(unit_store_holds(u, "\"role\"", 6, 0), 0);
    CHECK_INT(listed(accounts(u, &e), "machine"), MADO_SEAL_OK);

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
        raw_account_seal(u, "machine", json);
        CHECK_INT(account_get(u, "machine", &b), MADO_OK);
        CHECK_INT(b.failures, 3);
    }

    /* the sealed record moved under another id's key does not open */
    mado_lookup(&u->s, "account", "machine", 7, lk);
    mado_lookup(&u->s, "account", "copy", 4, ck);
    CHECK(raw_get(u, lk, sizeof(lk), &sealed) != NULL);
    if (sealed.mv_data != NULL) {
        raw_put(u, ck, sizeof(ck), &sealed);
        CHECK_INT(account_get(u, "copy", &b), MADO_ESEAL);
        CHECK_STR(b.id, "copy");
        CHECK_INT(b.seal_state, MADO_SEAL_UNREADABLE);

        /* listed by its key: its id is sealed with it */
        accounts(u, &e);
        CHECK_INT(e.n, 2);
        CHECK(e.ids[0][0] == '#' || e.ids[1][0] == '#');
        CHECK_INT(listed(&e, "machine"), MADO_SEAL_OK);

        /* one byte changed: does not open either */
        ((unsigned char *) sealed.mv_data)[sealed.mv_size / 2] ^= 1;
        raw_put(u, lk, sizeof(lk), &sealed);
        CHECK_INT(account_get(u, "machine", &b), MADO_ESEAL);
        CHECK_INT(b.seal_state, MADO_SEAL_UNREADABLE);
        ((unsigned char *) sealed.mv_data)[sealed.mv_size / 2] ^= 1;
        raw_put(u, lk, sizeof(lk), &sealed);
        CHECK_INT(account_get(u, "machine", &b), MADO_OK);
        free(sealed.mv_data);
    }

    /* in clear beside its sealed record (put there by hand): ignored by
       logins, which read the sealed one, and listed as broken */
    {
        MDB_txn  *t2;
        MDB_val   k;

        CHECK_INT(mdb_txn_begin(u->s.env, NULL, 0, &t2), 0);
        k.mv_data = ck;
        k.mv_size = sizeof(ck);
        CHECK_INT(mdb_del(t2, u->s.account, &k, NULL), 0);
        k.mv_data = "machine";
        k.mv_size = 7;
        sealed.mv_data = json;
        sealed.mv_size = strlen(json);
        CHECK_INT(mdb_put(t2, u->s.account, &k, &sealed, 0), 0);
        CHECK_INT(mdb_txn_commit(t2), 0);
    }
    CHECK_INT(account_get(u, "machine", &b), MADO_OK);
    accounts(u, &e);
    CHECK_INT(e.n, 2);
    CHECK(e.state[0] == MADO_SEAL_BROKEN || e.state[1] == MADO_SEAL_BROKEN);

    /* another office granted by hand, the account in clear */
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

    /* in clear, as schema 1 kept it: read as it is, its seal checked */
    raw_account_put(u, "machine", json);
    CHECK_INT(account_get(u, "machine", &b), MADO_OK);
    CHECK_INT(b.seal_state, MADO_SEAL_OK);

    /* the record in clear copied under another id */
    raw_account_put(u, "copy", json);
    CHECK_INT(account_get(u, "machine", &b), MADO_OK);
    CHECK_INT(account_get(u, "copy", &b), MADO_ESEAL);
    CHECK_STR(b.id, "copy");
    CHECK_INT(b.seal_state, MADO_SEAL_BROKEN);

    /* compact seals the one under its own id, leaves the copy */
    CHECK_INT(mdb_txn_begin(u->s.env, NULL, 0, &txn), 0);
    CHECK_INT(mado_crypt_migrate(&u->s, txn, 100, &mg, &err), MADO_OK);
    CHECK_INT(mdb_txn_commit(txn), 0);
    CHECK_INT(mg.accounts, 1);
    CHECK_INT(mg.more, 0);
    CHECK(raw_get(u, "machine", 7, &sealed) == NULL);
    CHECK(raw_get(u, "copy", 4, &sealed) != NULL);
    free(sealed.mv_data);
    CHECK_INT(account_get(u, "machine", &b), MADO_OK);
    CHECK_INT(b.seal_state, MADO_SEAL_OK);
    free(json);
    json = raw_account_get(u, "machine");
    CHECK(json != NULL);
    if (json == NULL) {
        return;
    }

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

    /* without the key nothing is checked, nothing sealed is read, and
       nothing is sealed */
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
