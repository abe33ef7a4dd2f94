/*
 * Encryption (mado_crypt.c): HKDF against RFC 5869's vector; a sealed
 * buffer round trip, refused when a byte is flipped, the associated data
 * or the key differ, or it is cut; a sealed file round trip at sizes
 * around the chunk, refused when altered, cut, added to, chunks swapped
 * or another key; the store's records in clear (schema 1) still read and
 * sealed by mado_crypt_migrate, after which nothing naming people is left
 * in the store file and everything still reads.
 */

#define _GNU_SOURCE                     /* memmem, memfd_create */

#include <sys/mman.h>

#include "unit.h"


#define T           1795748400      /* 2026-11-27T12:00:00+09:00 */


static const unsigned char  key1[MADO_CRYPT_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const unsigned char  key2[MADO_CRYPT_KEY_LEN] = "0123456789abcdef0123456789abcdX";


static void
test_derive(void)
{
    unsigned char  ikm[22], salt[13], info[10], okm[42];
    unsigned       i;
    char           label[11];

    /* RFC 5869, A.1: the info is text here, so the vector's is made so */
    for (i = 0; i < sizeof(ikm); i++) {
        ikm[i] = 0x0b;
    }

    for (i = 0; i < sizeof(salt); i++) {
        salt[i] = (unsigned char) i;
    }

    for (i = 0; i < sizeof(info); i++) {
        info[i] = (unsigned char) (0xf0 + i);
    }

    memcpy(label, info, sizeof(info));
    label[10] = '\0';

    CHECK_INT(mado_crypt_derive(ikm, sizeof(ikm), salt, sizeof(salt), label,
                                okm, sizeof(okm)), 0);
    CHECK_BYTES(okm, sizeof(okm),
                "\x3c\xb2\x5f\x25\xfa\xac\xd5\x7a\x90\x43\x4f\x64\xd0\x36"
                "\x2f\x2a\x2d\x2d\x0a\x90\xcf\x1a\x5a\x4c\x5d\xb0\x2d\x56"
                "\xec\xc4\xc5\xbf\x34\x00\x72\x08\xd5\xb8\x87\x18\x58\x65");
}


static void
test_buffer(void)
{
    size_t         n, len;
    unsigned char  out[256], back[256], copy[256];

    static const char  msg[] = "{\"actor\":\"user:tanaka\",\"client\":"
                               "\"192.0.2.77\"}";

    CHECK_INT(mado_crypt_seal(key1, MADO_KID_STORE, "aad", 3, msg,
                              sizeof(msg) - 1, out), 0);
    n = sizeof(msg) - 1 + MADO_CRYPT_OVERHEAD;

    CHECK(mado_crypt_sealed(out, n));
    CHECK_INT(mado_crypt_kid(out, n), MADO_KID_STORE);
    CHECK(memmem(out, n, "tanaka", 6) == NULL);
    CHECK(memmem(out, n, "192.0.2.77", 10) == NULL);

    CHECK_INT(mado_crypt_open(key1, "aad", 3, out, n, back, &len), 0);
    CHECK_TEXT(back, len, msg);

    /* a nonce of its own each time */
    CHECK_INT(mado_crypt_seal(key1, MADO_KID_STORE, "aad", 3, msg,
                              sizeof(msg) - 1, copy), 0);
    CHECK(memcmp(out + MADO_CRYPT_HEADER_LEN, copy + MADO_CRYPT_HEADER_LEN,
                 MADO_CRYPT_NONCE_LEN) != 0);

    /* every byte, header, nonce, text and tag, is checked */
    for (len = 0; len < n; len++) {
        memcpy(copy, out, n);
        copy[len] ^= 0x01;
        CHECK_INT(mado_crypt_open(key1, "aad", 3, copy, n, back, &len) == 0
                  ? (int) len : -1, -1);
    }

    CHECK_INT(mado_crypt_open(key1, "aab", 3, out, n, back, &len), -1);
    CHECK_INT(mado_crypt_open(key1, "aa", 2, out, n, back, &len), -1);
    CHECK_INT(mado_crypt_open(key1, NULL, 0, out, n, back, &len), -1);
    CHECK_INT(mado_crypt_open(key2, "aad", 3, out, n, back, &len), -1);
    CHECK_INT(mado_crypt_open(key1, "aad", 3, out, n - 1, back, &len), -1);
    CHECK_INT(mado_crypt_open(key1, "aad", 3, out, MADO_CRYPT_OVERHEAD - 1,
                              back, &len), -1);
    CHECK_INT(mado_crypt_open(key1, "aad", 3, msg, sizeof(msg) - 1, back,
                              &len), -1);
    CHECK(!mado_crypt_sealed(msg, sizeof(msg) - 1));

    /* nothing at all, sealed */
    CHECK_INT(mado_crypt_seal(key1, 7, NULL, 0, "", 0, out), 0);
    CHECK_INT(mado_crypt_kid(out, MADO_CRYPT_OVERHEAD), 7);
    CHECK_INT(mado_crypt_open(key1, NULL, 0, out, MADO_CRYPT_OVERHEAD, back,
                              &len), 0);
    CHECK_INT(len, 0);
}


/* a memory file holding len bytes of p, read from its start */
static int
memfile(const void *p, size_t len)
{
    int  fd;

    fd = memfd_create("mado-crypt", 0);
    if (fd == -1) {
        return -1;
    }

    if (len && write(fd, p, len) != (ssize_t) len) {
        close(fd);
        return -1;
    }

    lseek(fd, 0, SEEK_SET);

    return fd;
}


/* the whole of a memory file, malloc'd */
static unsigned char *
slurp(int fd, size_t *len)
{
    off_t           end;
    unsigned char  *p;

    end = lseek(fd, 0, SEEK_END);
    p = malloc(end ? (size_t) end : 1);
    *len = 0;

    if (p != NULL && pread(fd, p, (size_t) end, 0) == (ssize_t) end) {
        *len = (size_t) end;
    }

    return p;
}


/* seal plain (len bytes), into *sealed (malloc'd); 0 on success */
static int
seal_file(const unsigned char *key, const unsigned char *plain, size_t len,
    unsigned char **sealed, size_t *slen)
{
    int         in, out, rc;
    mado_err_t  err;

    in = memfile(plain, len);
    out = memfile(NULL, 0);
    rc = mado_crypt_seal_fd(key, MADO_KID_STORE, in, out, &err);
    *sealed = slurp(out, slen);
    close(in);
    close(out);

    return rc;
}


/* open sealed: MADO_OK with *plain (malloc'd), or the error */
static int
open_file(const unsigned char *key, const unsigned char *sealed, size_t slen,
    unsigned char **plain, size_t *len, mado_err_t *err)
{
    int  in, out, rc;

    in = memfile(sealed, slen);
    out = memfile(NULL, 0);
    rc = mado_crypt_open_fd(key, in, out, err);
    *plain = slurp(out, len);
    close(in);
    close(out);

    return rc;
}


static void
test_file(void)
{
    size_t          sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536 + 5 };
    size_t          i, len, slen, chunk, n;
    mado_err_t      err;
    unsigned char  *plain, *sealed, *back, *bad;

    chunk = (size_t) 1 << MADO_FILE_CHUNK_LOG2;
    plain = malloc(4 * chunk);

    for (i = 0; i < 4 * chunk; i++) {
        plain[i] = (unsigned char) (i * 7 + i / 251);
    }

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        n = sizes[i];
        CHECK_INT(seal_file(key1, plain, n, &sealed, &slen), MADO_OK);

        /* the header, then each chunk and its tag; the last may be full */
        CHECK_INT(slen, MADO_FILE_HEADER_LEN + n
                        + ((n ? (n + chunk - 1) / chunk : 1)
                           * MADO_CRYPT_TAG_LEN));
        CHECK(memcmp(sealed, "MADOENC\x01", 8) == 0);

        CHECK_INT(open_file(key1, sealed, slen, &back, &len, &err), MADO_OK);
        CHECK_INT(len, n);
        CHECK(memcmp(back, plain, n) == 0);
        free(back);

        CHECK_INT(open_file(key2, sealed, slen, &back, &len, &err),
                  MADO_EINVAL);
        CHECK_INT(len, 0);
        free(back);

        /* a byte of the last chunk flipped */
        bad = malloc(slen);
        memcpy(bad, sealed, slen);
        bad[slen - 1] ^= 0x80;
        CHECK_INT(open_file(key1, bad, slen, &back, &len, &err), MADO_EINVAL);
        free(back);

        /* the salt */
        memcpy(bad, sealed, slen);
        bad[20] ^= 0x01;
        CHECK_INT(open_file(key1, bad, slen, &back, &len, &err), MADO_EINVAL);
        CHECK_INT(len, 0);
        free(back);

        /* cut: by a byte, and by the last chunk whole */
        CHECK_INT(open_file(key1, sealed, slen - 1, &back, &len, &err),
                  MADO_EINVAL);
        free(back);

        if (n > chunk) {
            CHECK_INT(open_file(key1, sealed, MADO_FILE_HEADER_LEN
                                + (chunk + MADO_CRYPT_TAG_LEN)
                                  * ((n - 1) / chunk), &back, &len, &err),
                      MADO_EINVAL);
            CHECK(strstr(err.text, "does not open") != NULL);
            free(back);

            /* the first two chunks swapped (both whole) */
            if (n >= 2 * chunk + 1) {
                memcpy(bad, sealed, slen);
                memcpy(bad + MADO_FILE_HEADER_LEN,
                       sealed + MADO_FILE_HEADER_LEN + chunk
                       + MADO_CRYPT_TAG_LEN, chunk + MADO_CRYPT_TAG_LEN);
                memcpy(bad + MADO_FILE_HEADER_LEN + chunk + MADO_CRYPT_TAG_LEN,
                       sealed + MADO_FILE_HEADER_LEN,
                       chunk + MADO_CRYPT_TAG_LEN);
                CHECK_INT(open_file(key1, bad, slen, &back, &len, &err),
                          MADO_EINVAL);
                CHECK_INT(len, 0);
                free(back);
            }
        }

        free(bad);

        /* a chunk added after the last */
        bad = malloc(slen + MADO_CRYPT_TAG_LEN);
        memcpy(bad, sealed, slen);
        memcpy(bad + slen, sealed + slen - MADO_CRYPT_TAG_LEN,
               MADO_CRYPT_TAG_LEN);
        CHECK_INT(open_file(key1, bad, slen + MADO_CRYPT_TAG_LEN, &back, &len,
                            &err), MADO_EINVAL);
        free(back);
        free(bad);

        free(sealed);
    }

    /* not one at all, and a header alone */
    CHECK_INT(open_file(key1, plain, 100, &back, &len, &err), MADO_EINVAL);
    CHECK(strstr(err.text, "not a file mado sealed") != NULL);
    free(back);
    CHECK_INT(seal_file(key1, plain, 10, &sealed, &slen), MADO_OK);
    CHECK_INT(open_file(key1, sealed, MADO_FILE_HEADER_LEN, &back, &len,
                        &err), MADO_EINVAL);
    free(back);
    sealed[9] = 40;
    CHECK_INT(open_file(key1, sealed, slen, &back, &len, &err), MADO_EINVAL);
    CHECK(strstr(err.text, "garbled") != NULL);
    free(back);
    free(sealed);

    free(plain);
}


/* ------------------------------------------------------------ the store */

static void
raw_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v,
    size_t vlen)
{
    MDB_val  key, val;

    key.mv_data = (void *) k;
    key.mv_size = klen;
    val.mv_data = (void *) v;
    val.mv_size = vlen;
    CHECK_INT(mdb_put(txn, dbi, &key, &val, 0), 0);
}


typedef struct {
    int                 found;      /* records with "legacy-actor" */
    int                 null;
} test_walk_t;


static int
test_walk(uint64_t seq, const char *json, size_t len, void *arg)
{
    test_walk_t  *w = arg;

    (void) seq;

    if (json == NULL) {
        w->null++;

    } else if (memmem(json, len, "legacy-actor", 12) != NULL) {
        w->found++;
    }

    return 0;
}


/* the answer kept for user's Idempotency-Key key, found */
static int
idem_found(unit_store_t *u, MDB_txn *txn, const char *user, const char *key)
{
    uint32_t       status;
    size_t         len;
    char           body[16];
    mado_err_t     err;
    unsigned char  fp[MADO_HASH_LEN];

    memset(fp, 0, sizeof(fp));

    return mado_idem_get(&u->s, txn, user, key, fp, T + 1, &status, body,
                         sizeof(body), &len, &err) == MADO_OK
           && status == 200;
}


static int
test_audit_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    (void) arg;

    return mado_audit_write(s, txn, T, "user:legacy-actor", "192.0.2.55",
                            "unit", NULL, NULL, NULL, NULL, NULL, err);
}


/*
 * A store of schema 1: its records written in clear as that version did
 * (here: written sealed, then put back in clear, which is what schema 1
 * made), then sealed by mado_crypt_migrate a few at a time
 */
static void
test_migrate(void)
{
    int                    rc, rounds;
    char                   tok[MADO_SESSION_TOKEN_LEN + 1];
    char                   user[MADO_ID_MAX + 1], tried[MADO_TRIED_LEN + 1];
    size_t                 blen, n;
    uint32_t               failures;
    int64_t                until;
    MDB_txn               *txn;
    MDB_val                k, v;
    mado_err_t             err;
    unit_store_t           u;
    test_walk_t            w;
    const char            *body;
    mado_session_t         se;
    mado_audit_verify_t    res;
    mado_crypt_migrate_t   st;
    const unsigned char   *mac;
    unsigned char          key[MADO_HASH_LEN], val[512], plain[512];
    unsigned char          lk[MADO_LOOKUP_LEN];
    mado_loginfail_t       lf;
    mado_clientfail_t      cf;
    mado_refusal_t         rf;

    if (unit_store_open(&u, T) != 0) {
        return;
    }

    /* three audit records naming someone, sealed by this version */
    CHECK_INT(mado_store_write(&u.s, test_audit_write, NULL, &err), MADO_OK);
    CHECK_INT(mado_store_write(&u.s, test_audit_write, NULL, &err), MADO_OK);
    CHECK_INT(mado_store_write(&u.s, test_audit_write, NULL, &err), MADO_OK);
    CHECK_INT(unit_store_holds(&u, "legacy-actor", 12, 0), 0);
    CHECK_INT(unit_store_holds(&u, "192.0.2.55", 10, 0), 0);

    CHECK_INT(mdb_txn_begin(u.s.env, NULL, 0, &txn), 0);

    /* the audit records in clear, as schema 1 kept them, MACs the same */
    for (rc = 1; rc <= 3; rc++) {
        mado_audit_key(rc, key);
        k.mv_data = key;
        k.mv_size = 8;
        CHECK_INT(mdb_get(txn, u.s.audit_db, &k, &v), 0);
        CHECK_INT(mado_audit_record_decode(v.mv_data, v.mv_size, &mac, &body,
                                           &blen), 0);
        CHECK_INT(mado_record_open(&u.s, "audit", k.mv_data, k.mv_size, body,
                                   blen, plain, &n), MADO_OK);
        memcpy(val, mac, MADO_AUDIT_MAC_LEN);
        memcpy(val + MADO_AUDIT_MAC_LEN, plain, n);
        v.mv_data = val;
        v.mv_size = MADO_AUDIT_MAC_LEN + n;
        CHECK_INT(mdb_put(txn, u.s.audit_db, &k, &v, 0), 0);
    }

    /* a session in clear */
    memset(&se, 0, sizeof(se));
    strcpy(se.user, "legacy-user");
    se.created = T;
    se.seen = T;
    mado_session_encode(&se, val);
    snprintf(tok, sizeof(tok), "mado_s_%064d", 7);
    CHECK_INT(mado_session_key(tok, key), 0);
    raw_put(txn, u.s.session, key, sizeof(key), val, MADO_SESSION_SIZE);

    /* counts keyed by the address and the id in clear (the id in clear
       too: before tried ids) */
    memset(&cf, 0, sizeof(cf));
    cf.failures = 3;
    cf.since = T;
    mado_clientfail_encode(&cf, val);
    raw_put(txn, u.s.clientfail, "192.0.2.56", 10, val, MADO_CLIENT_SIZE);

    memset(&rf, 0, sizeof(rf));
    rf.since = T;
    rf.audited = 2;
    mado_refusal_encode(&rf, val);
    raw_put(txn, u.s.refusal, "192.0.2.57", 10, val, MADO_REFUSAL_SIZE);
    raw_put(txn, u.s.refusal, "*", 1, val, MADO_REFUSAL_SIZE);

    memset(&lf, 0, sizeof(lf));
    lf.failures = 4;
    lf.since = T;
    mado_loginfail_encode(&lf, val);
    mado_tried_id(&u.s, "legacy-user", tried);
    raw_put(txn, u.s.login, "legacy-user", 11, val, MADO_LOGINFAIL_SIZE);
    memcpy(user, tried, MADO_TRIED_LEN);
    user[MADO_TRIED_LEN] = '\0';
    memcpy(user + MADO_TRIED_LEN + 1, "192.0.2.58", 10);
    raw_put(txn, u.s.login, user, MADO_TRIED_LEN + 11, val,
            MADO_LOGINFAIL_SIZE);

    /* an Idempotency-Key's answer keyed by user and key in clear */
    {
        mado_idem_t    id;
        unsigned char  ik[MADO_KEY_MAX];

        memset(&id, 0, sizeof(id));
        id.created = T;
        id.status = 200;
        id.body = "{}";
        id.len = 2;
        raw_put(txn, u.s.idem, ik, mado_idem_key("legacy-user", "idem-7",
                                                 ik),
                val, mado_idem_encode(&id, val));
    }

    CHECK_INT(mdb_txn_commit(txn), 0);

    CHECK_INT(unit_store_holds(&u, "legacy-actor", 12, 1), 1);
    CHECK_INT(unit_store_holds(&u, "legacy-user", 11, 1), 1);
    CHECK_INT(unit_store_holds(&u, "192.0.2.5", 9, 1), 1);

    /* read as they are: the trail verifies, records readable */
    memset(&w, 0, sizeof(w));
    CHECK_INT(mado_store_read_begin(&u.s, &txn, &err), MADO_OK);
    CHECK_INT(mado_audit_walk(&u.s, txn, NULL, NULL, &res, &err), MADO_OK);
    CHECK_INT(res.broken, 0);
    CHECK_INT(mado_audit_walk(&u.s, txn, test_walk, &w, &res, &err),
              MADO_OK);
    CHECK_INT(w.found, 3);
    CHECK_INT(mado_session_check(&u.s, txn, tok, T + 10, 1800, 43200, user,
                                 &err), MADO_OK);
    CHECK_STR(user, "legacy-user");
    /* a retry across the upgrade gets its answer, not applied twice */
    CHECK(idem_found(&u, txn, "legacy-user", "idem-7"));
    mdb_txn_abort(txn);

    /* two records a round: every one is sealed in the end */
    rounds = 0;
    memset(&st, 0, sizeof(st));
    st.more = 1;

    while (st.more && rounds < 20) {
        CHECK_INT(mdb_txn_begin(u.s.env, NULL, 0, &txn), 0);
        CHECK_INT(mado_crypt_migrate(&u.s, txn, 2, &st, &err), MADO_OK);
        CHECK_INT(mdb_txn_commit(txn), 0);
        rounds++;
    }

    CHECK(rounds >= 5 && rounds < 20);

    /* one more finds nothing */
    CHECK_INT(mdb_txn_begin(u.s.env, NULL, 0, &txn), 0);
    CHECK_INT(mado_crypt_migrate(&u.s, txn, 100, &st, &err), MADO_OK);
    CHECK_INT(st.audit + st.accounts + st.sessions + st.keys, 0);
    CHECK_INT(st.more, 0);

    /* the keys of counts: L() now, "*" as it was */
    k.mv_data = "*";
    k.mv_size = 1;
    CHECK_INT(mdb_get(txn, u.s.refusal, &k, &v), 0);
    mado_lookup(&u.s, "refusal", "192.0.2.57", 10, lk);
    k.mv_data = lk;
    k.mv_size = sizeof(lk);
    CHECK_INT(mdb_get(txn, u.s.refusal, &k, &v), 0);
    mado_lookup(&u.s, "client", "192.0.2.56", 10, lk);
    CHECK_INT(mdb_get(txn, u.s.clientfail, &k, &v), 0);
    k.mv_data = tried;
    k.mv_size = MADO_TRIED_LEN;
    CHECK_INT(mdb_get(txn, u.s.login, &k, &v), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);

    /* nothing in clear in the pages in use (the pages freed keep their
       bytes until LMDB writes over them: docs/admin.md), everything still
       read */
    CHECK_INT(unit_store_holds(&u, "legacy-actor", 12, 1), 0);
    CHECK_INT(unit_store_holds(&u, "legacy-user", 11, 1), 0);
    CHECK_INT(unit_store_holds(&u, "192.0.2.5", 9, 1), 0);

    memset(&w, 0, sizeof(w));
    CHECK_INT(mado_store_read_begin(&u.s, &txn, &err), MADO_OK);
    CHECK_INT(mado_audit_walk(&u.s, txn, NULL, NULL, &res, &err), MADO_OK);
    CHECK_INT(res.broken, 0);
    CHECK_INT(res.records, 3);
    CHECK_INT(mado_audit_walk(&u.s, txn, test_walk, &w, &res, &err),
              MADO_OK);
    CHECK_INT(w.found, 3);
    CHECK_INT(w.null, 0);
    CHECK_INT(mado_session_check(&u.s, txn, tok, T + 20, 1800, 43200, user,
                                 &err), MADO_OK);
    CHECK_STR(user, "legacy-user");
    CHECK_INT(mado_client_locked(&u.s, txn, "192.0.2.56", T), 0);
    CHECK_INT(mado_refusal_due(&u.s, txn, "192.0.2.57", T + 1), 0);
    CHECK_INT(mado_refusal_due(&u.s, txn, "192.0.2.59", T + 1), 1);
    mado_login_state(&u.s, txn, "legacy-user", T + 1, &failures, &until);
    CHECK_INT(failures, 4);
    CHECK(idem_found(&u, txn, "legacy-user", "idem-7"));

    /* an audit record altered after sealing: broken, and fn gets NULL */
    mdb_txn_abort(txn);
    CHECK_INT(mdb_txn_begin(u.s.env, NULL, 0, &txn), 0);
    mado_audit_key(2, key);
    k.mv_data = key;
    k.mv_size = 8;
    CHECK_INT(mdb_get(txn, u.s.audit_db, &k, &v), 0);
    memcpy(val, v.mv_data, v.mv_size);
    val[v.mv_size - 3] ^= 0x04;
    v.mv_data = val;
    CHECK_INT(mdb_put(txn, u.s.audit_db, &k, &v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);

    memset(&w, 0, sizeof(w));
    CHECK_INT(mado_store_read_begin(&u.s, &txn, &err), MADO_OK);
    CHECK_INT(mado_audit_walk(&u.s, txn, NULL, NULL, &res, &err), MADO_OK);
    CHECK_INT(res.broken, 2);
    CHECK(strstr(res.why, "does not open") != NULL);
    CHECK_INT(mado_audit_walk(&u.s, txn, test_walk, &w, &res, &err),
              MADO_OK);
    CHECK_INT(w.null, 1);
    CHECK_INT(w.found, 2);
    mdb_txn_abort(txn);

    unit_store_close(&u);
}


int
main(void)
{
    test_derive();
    test_buffer();
    test_file();
    test_migrate();

    return unit_done("crypt");
}
