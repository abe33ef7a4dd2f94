/*
 * Encryption: AES-256-GCM (OpenSSL EVP) for a buffer and for a whole file
 * streamed, HKDF-SHA-256 for keys of one purpose each, and what the store
 * keeps of people: sealed records and keyed lookups (mado_store.h,
 * section 16, says which record is which).
 *
 * A sealed buffer (a record's value in the store):
 *
 *   00 6d 01 KID | nonce (12, random) | ciphertext | tag (16)
 *
 * The four header bytes are authenticated with the caller's associated
 * data (for a record: its database's name, a NUL and its key, so that a
 * value moved under another key, or to another database, does not
 * open).  It starts with a NUL so that no value an older version wrote in
 * clear (JSON, text) reads as one.  Random 96-bit nonces: NIST SP 800-38D
 * allows 2^32 of them under one key, which no store comes near.
 *
 * A sealed file (backups, log archives):
 *
 *   "MADOENC" 01 | KID | LOG2 (chunk size) | 00 00 | salt (32)
 *   then chunks: ciphertext (1 << LOG2 bytes, the last one shorter or
 *   as long) | tag (16)
 *
 * Each file is sealed under a key of its own, HKDF(key, salt, "mado file
 * v1"), so chunks may use a counter as nonce: 00000000 | be64(i).  Each
 * chunk's associated data is the header and one byte, 1 for the last
 * chunk and 0 for the others (the STREAM construction of Hoang et al.):
 * chunks reordered, dropped, cut at the end or added after it do not open.
 * The reader writes a chunk only once it has opened, but a file that
 * fails part way has written the chunks before: callers write to a
 * temporary file and keep it only when the whole file opened.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "mado_store.h"


#define MADO_FILE_MAGIC         "MADOENC\x01"
#define MADO_FILE_INFO          "mado file v1"


/* ------------------------------------------------------------ keys */

int
mado_crypt_derive(const unsigned char *key, size_t klen,
    const unsigned char *salt, size_t slen, const char *label,
    unsigned char *out, size_t olen)
{
    int           rc;
    EVP_KDF      *kdf;
    EVP_KDF_CTX  *ctx;
    OSSL_PARAM    params[5], *p;

    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf == NULL) {
        return -1;
    }

    ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);

    if (ctx == NULL) {
        return -1;
    }

    p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            (char *) "SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                             (void *) key, klen);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                             (void *) label, strlen(label));
    if (slen) {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                 (void *) salt, slen);
    }
    *p = OSSL_PARAM_construct_end();

    rc = EVP_KDF_derive(ctx, out, olen, params) == 1 ? 0 : -1;

    EVP_KDF_CTX_free(ctx);

    return rc;
}


/* ------------------------------------------------------------ GCM */

/*
 * One AES-256-GCM operation: enc 1 seals in into out and writes the tag,
 * enc 0 opens it and checks the tag.  The associated data is given in
 * two parts.
 */
static int
mado_gcm(int enc, const unsigned char *key, const unsigned char *nonce,
    const void *a1, size_t l1, const void *a2, size_t l2,
    const unsigned char *in, size_t len, unsigned char *out,
    unsigned char *tag)
{
    int              n, ok;
    EVP_CIPHER_CTX  *ctx;

    if (len > INT32_MAX || l1 > INT32_MAX || l2 > INT32_MAX) {
        return -1;
    }

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                                MADO_CRYPT_NONCE_LEN, NULL) == 1
         && EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1
         && (l1 == 0
             || EVP_CipherUpdate(ctx, NULL, &n, a1, (int) l1) == 1)
         && (l2 == 0
             || EVP_CipherUpdate(ctx, NULL, &n, a2, (int) l2) == 1)
         && (len == 0
             || EVP_CipherUpdate(ctx, out, &n, in, (int) len) == 1);

    if (ok && !enc) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                 MADO_CRYPT_TAG_LEN, tag) == 1;
    }

    /* opening: the tag is checked here, and nothing is to be used if
       it does not match */
    ok = ok && EVP_CipherFinal_ex(ctx, out + len, &n) == 1;

    if (ok && enc) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                 MADO_CRYPT_TAG_LEN, tag) == 1;
    }

    EVP_CIPHER_CTX_free(ctx);

    if (!ok && !enc && len) {
        OPENSSL_cleanse(out, len);
    }

    return ok ? 0 : -1;
}


int
mado_crypt_sealed(const void *in, size_t len)
{
    const unsigned char  *p = in;

    return len >= MADO_CRYPT_OVERHEAD && p[0] == 0x00 && p[1] == 'm'
           && p[2] == MADO_CRYPT_VERSION;
}


int
mado_crypt_kid(const void *in, size_t len)
{
    return mado_crypt_sealed(in, len) ? ((const unsigned char *) in)[3] : -1;
}


int
mado_crypt_seal(const unsigned char *key, unsigned kid, const void *aad,
    size_t alen, const void *in, size_t len, unsigned char *out)
{
    unsigned char  *nonce;

    out[0] = 0x00;
    out[1] = 'm';
    out[2] = MADO_CRYPT_VERSION;
    out[3] = (unsigned char) kid;
    nonce = out + MADO_CRYPT_HEADER_LEN;

    if (RAND_bytes(nonce, MADO_CRYPT_NONCE_LEN) != 1) {
        return -1;
    }

    return mado_gcm(1, key, nonce, out, MADO_CRYPT_HEADER_LEN, aad, alen,
                    in, len, nonce + MADO_CRYPT_NONCE_LEN,
                    out + MADO_CRYPT_OVERHEAD - MADO_CRYPT_TAG_LEN + len);
}


int
mado_crypt_open(const unsigned char *key, const void *aad, size_t alen,
    const void *in, size_t len, unsigned char *out, size_t *olen)
{
    size_t                n;
    const unsigned char  *p = in;

    if (!mado_crypt_sealed(in, len)) {
        return -1;
    }

    n = len - MADO_CRYPT_OVERHEAD;

    if (mado_gcm(0, key, p + MADO_CRYPT_HEADER_LEN, p, MADO_CRYPT_HEADER_LEN,
                 aad, alen, p + MADO_CRYPT_HEADER_LEN + MADO_CRYPT_NONCE_LEN,
                 n, out, (unsigned char *) p + len - MADO_CRYPT_TAG_LEN)
        != 0)
    {
        return -1;
    }

    *olen = n;

    return 0;
}


/* ------------------------------------------------------------ files */

/* up to len bytes, fewer only at the end of the file; -1 on error */
static ssize_t
mado_read_full(int fd, unsigned char *buf, size_t len)
{
    size_t   got;
    ssize_t  n;

    for (got = 0; got < len; got += (size_t) n) {
        n = read(fd, buf + got, len - got);

        if (n == 0) {
            break;
        }

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            return -1;
        }
    }

    return (ssize_t) got;
}


static int
mado_write_full(int fd, const unsigned char *buf, size_t len)
{
    ssize_t  n;

    while (len) {
        n = write(fd, buf, len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }

        buf += n;
        len -= (size_t) n;
    }

    return 0;
}


static void
mado_file_nonce(uint64_t i, unsigned char *nonce)
{
    memset(nonce, 0, 4);
    mado_be64_put(nonce + 4, i);
}


/*
 * The chunks of a file after its header, sealed (enc 1: in is the text,
 * chunk bytes at a time) or opened (enc 0: in is the sealed file, chunk
 * and tag at a time).  One chunk is read ahead: the last chunk is the one
 * nothing follows.
 */
static int
mado_file_chunks(int enc, const unsigned char *fkey,
    const unsigned char *head, size_t chunk, int in, int out,
    mado_err_t *err)
{
    int             rc;
    size_t          size, len;
    ssize_t         n, next;
    uint64_t        i;
    unsigned char   nonce[MADO_CRYPT_NONCE_LEN], last;
    unsigned char  *buf, *ahead, *done, *t;

    size = enc ? chunk : chunk + MADO_CRYPT_TAG_LEN;

    buf = malloc(size);
    ahead = malloc(size);
    done = malloc(chunk + MADO_CRYPT_TAG_LEN);

    rc = MADO_OK;

    if (buf == NULL || ahead == NULL || done == NULL) {
        rc = mado_fail(err, MADO_ESTORE, "out of memory");
        goto failed;
    }

    n = mado_read_full(in, buf, size);

    for (i = 0; n >= 0; i++) {
        next = (size_t) n == size ? mado_read_full(in, ahead, size) : 0;

        if (next < 0) {
            n = -1;
            break;
        }

        last = (next == 0);
        mado_file_nonce(i, nonce);

        if (enc) {
            len = (size_t) n + MADO_CRYPT_TAG_LEN;

            if (mado_gcm(1, fkey, nonce, head, MADO_FILE_HEADER_LEN, &last, 1,
                         buf, (size_t) n, done, done + n)
                != 0)
            {
                rc = mado_fail(err, MADO_ESTORE, "AES-256-GCM failed");
                goto failed;
            }

        } else {
            if ((size_t) n < MADO_CRYPT_TAG_LEN) {
                rc = mado_fail(err, MADO_EINVAL, "the sealed file is cut "
                               "short (chunk %llu)", (unsigned long long) i);
                goto failed;
            }

            len = (size_t) n - MADO_CRYPT_TAG_LEN;

            if (mado_gcm(0, fkey, nonce, head, MADO_FILE_HEADER_LEN, &last, 1,
                         buf, len, done, buf + len)
                != 0)
            {
                rc = mado_fail(err, MADO_EINVAL, "the sealed file does not "
                               "open at chunk %llu: another key, or altered, "
                               "cut or added to", (unsigned long long) i);
                goto failed;
            }
        }

        if (mado_write_full(out, done, len) != 0) {
            rc = mado_fail(err, MADO_ESTORE, "writing: %s", strerror(errno));
            goto failed;
        }

        if (last) {
            break;
        }

        t = buf;
        buf = ahead;
        ahead = t;
        n = next;
    }

    if (n < 0) {
        rc = mado_fail(err, MADO_ESTORE, "reading: %s", strerror(errno));
    }

failed:

    /* the text, on one side or the other */
    if (buf != NULL) {
        OPENSSL_cleanse(buf, size);
    }

    if (ahead != NULL) {
        OPENSSL_cleanse(ahead, size);
    }

    if (done != NULL) {
        OPENSSL_cleanse(done, chunk + MADO_CRYPT_TAG_LEN);
    }

    free(buf);
    free(ahead);
    free(done);

    return rc;
}


int
mado_crypt_seal_fd(const unsigned char *key, unsigned kid, int in, int out,
    mado_err_t *err)
{
    int            rc;
    unsigned char  head[MADO_FILE_HEADER_LEN], fkey[MADO_CRYPT_KEY_LEN];

    memcpy(head, MADO_FILE_MAGIC, 8);
    head[8] = (unsigned char) kid;
    head[9] = MADO_FILE_CHUNK_LOG2;
    head[10] = 0;
    head[11] = 0;

    if (RAND_bytes(head + 12, MADO_FILE_SALT_LEN) != 1
        || mado_crypt_derive(key, MADO_CRYPT_KEY_LEN, head + 12,
                             MADO_FILE_SALT_LEN, MADO_FILE_INFO, fkey,
                             sizeof(fkey))
           != 0)
    {
        return mado_fail(err, MADO_ESTORE, "no random bytes or no HKDF for "
                         "the file's key");
    }

    if (mado_write_full(out, head, sizeof(head)) != 0) {
        rc = mado_fail(err, MADO_ESTORE, "writing: %s", strerror(errno));

    } else {
        rc = mado_file_chunks(1, fkey, head,
                              (size_t) 1 << MADO_FILE_CHUNK_LOG2, in, out,
                              err);
    }

    OPENSSL_cleanse(fkey, sizeof(fkey));

    return rc;
}


int
mado_crypt_open_fd(const unsigned char *key, int in, int out,
    mado_err_t *err)
{
    int            rc;
    ssize_t        n;
    unsigned char  head[MADO_FILE_HEADER_LEN], fkey[MADO_CRYPT_KEY_LEN];

    n = mado_read_full(in, head, sizeof(head));

    if (n < 0) {
        return mado_fail(err, MADO_ESTORE, "reading: %s", strerror(errno));
    }

    if ((size_t) n < sizeof(head) || memcmp(head, MADO_FILE_MAGIC, 8) != 0) {
        return mado_fail(err, MADO_EINVAL, "not a file mado sealed (no "
                         "\"MADOENC\" header of version 1)");
    }

    if (head[9] < MADO_FILE_CHUNK_LOG2_MIN || head[9] > MADO_FILE_CHUNK_LOG2_MAX
        || head[10] != 0 || head[11] != 0)
    {
        return mado_fail(err, MADO_EINVAL, "the sealed file's header is "
                         "garbled");
    }

    if (mado_crypt_derive(key, MADO_CRYPT_KEY_LEN, head + 12,
                          MADO_FILE_SALT_LEN, MADO_FILE_INFO, fkey,
                          sizeof(fkey))
        != 0)
    {
        return mado_fail(err, MADO_ESTORE, "no HKDF for the file's key");
    }

    rc = mado_file_chunks(0, fkey, head, (size_t) 1 << head[9], in, out,
                          err);

    OPENSSL_cleanse(fkey, sizeof(fkey));

    return rc;
}


/* ------------------------------------------------------------ the store */

int
mado_store_keys(mado_store_t *s, const unsigned char *key, mado_err_t *err)
{
    if (key != s->audit_key) {
        memcpy(s->audit_key, key, MADO_AUDIT_KEY_LEN);
    }

    if (mado_crypt_derive(s->audit_key, MADO_AUDIT_KEY_LEN, NULL, 0,
                          "mado store seal v1", s->seal_key,
                          MADO_CRYPT_KEY_LEN)
        != 0
        || mado_crypt_derive(s->audit_key, MADO_AUDIT_KEY_LEN, NULL, 0,
                             "mado store lookup v1", s->lookup_key,
                             MADO_CRYPT_KEY_LEN)
           != 0)
    {
        OPENSSL_cleanse(s->seal_key, MADO_CRYPT_KEY_LEN);
        OPENSSL_cleanse(s->lookup_key, MADO_CRYPT_KEY_LEN);
        s->audit = 0;
        return mado_fail(err, MADO_ESTORE, "HKDF-SHA-256 failed: no keys "
                         "for the store's sealed records");
    }

    s->audit = 1;

    return MADO_OK;
}


void
mado_lookup(const mado_store_t *s, const char *what, const void *data,
    size_t len, unsigned char *out)
{
    size_t               n;
    const unsigned char  *part[3];
    size_t               plen[3];
    unsigned char        mac[MADO_AUDIT_MAC_LEN];

    part[0] = (const unsigned char *) what;
    plen[0] = strlen(what) + 1;             /* its NUL too */
    part[1] = data;
    plen[1] = len;

    mado_audit_hmac(s->lookup_key, part, plen, 2, mac);

    out[0] = 0x00;
    n = MADO_LOOKUP_LEN - 1;
    memcpy(out + 1, mac, n);
    OPENSSL_cleanse(mac, sizeof(mac));
}


int
mado_lookup_is(const void *key, size_t len)
{
    return len == MADO_LOOKUP_LEN && ((const unsigned char *) key)[0] == 0;
}


/* the associated data of a record: DB, a NUL, its key; its length */
static size_t
mado_record_aad(const char *db, const void *key, size_t klen,
    unsigned char *aad, size_t size)
{
    size_t  n;

    n = strlen(db) + 1;

    if (n + klen > size) {
        return 0;
    }

    memcpy(aad, db, n);
    memcpy(aad + n, key, klen);

    return n + klen;
}


/* LMDB's keys are at most 511 bytes */
#define MADO_AAD_MAX            (16 + 512)


int
mado_record_seal(const mado_store_t *s, const char *db, const void *key,
    size_t klen, const void *in, size_t len, unsigned char *out,
    size_t *olen, mado_err_t *err)
{
    size_t         alen;
    unsigned char  aad[MADO_AAD_MAX];

    if (!s->audit) {
        return mado_fail(err, MADO_ESTORE, "no audit key: what names people "
                         "is sealed under a key derived from it");
    }

    alen = mado_record_aad(db, key, klen, aad, sizeof(aad));

    if (alen == 0
        || mado_crypt_seal(s->seal_key, MADO_KID_STORE, aad, alen, in, len,
                           out)
           != 0)
    {
        return mado_fail(err, MADO_ESTORE, "AES-256-GCM failed sealing a "
                         "record of %s", db);
    }

    *olen = len + MADO_CRYPT_OVERHEAD;

    return MADO_OK;
}


int
mado_record_open(const mado_store_t *s, const char *db, const void *key,
    size_t klen, const void *in, size_t len, unsigned char *out,
    size_t *olen)
{
    size_t         alen;
    unsigned char  aad[MADO_AAD_MAX];

    if (!mado_crypt_sealed(in, len)) {
        memcpy(out, in, len);
        *olen = len;
        return MADO_ENOTFOUND;
    }

    if (!s->audit || mado_crypt_kid(in, len) != MADO_KID_STORE) {
        return MADO_ESEAL;
    }

    alen = mado_record_aad(db, key, klen, aad, sizeof(aad));

    if (alen == 0
        || mado_crypt_open(s->seal_key, aad, alen, in, len, out, olen) != 0)
    {
        return MADO_ESEAL;
    }

    return MADO_OK;
}


/* ------------------------------------------------------------ schema 1 */

/*
 * What a store of schema 1 kept in clear, sealed or hashed.  Records are
 * copied out of LMDB first (a put moves them), at most max of them, then
 * rewritten: in place when only the value changes, under a new key (the
 * old one deleted) when the key named someone.
 */

typedef struct {
    MDB_val             k;
    MDB_val             v;
} mado_pair_t;

typedef struct {
    mado_store_t       *s;
    MDB_txn            *txn;
    mado_pair_t        *p;
    size_t              n;
    size_t              max;
    unsigned            more:1;
} mado_migrate_t;

/* 1: the record is to be rewritten */
typedef int (*mado_legacy_pt)(mado_migrate_t *m, const MDB_val *k,
    const MDB_val *v);


static void
mado_migrate_free(mado_migrate_t *m)
{
    size_t  i;

    for (i = 0; i < m->n; i++) {
        OPENSSL_cleanse(m->p[i].k.mv_data, m->p[i].k.mv_size);
        OPENSSL_cleanse(m->p[i].v.mv_data, m->p[i].v.mv_size);
        free(m->p[i].k.mv_data);
        free(m->p[i].v.mv_data);
    }

    m->n = 0;
}


/* the records of dbi legacy picks, copied into m->p */
static int
mado_migrate_collect(mado_migrate_t *m, MDB_dbi dbi, mado_legacy_pt legacy,
    mado_err_t *err)
{
    int           rc;
    MDB_val       k, v;
    MDB_cursor   *cur;
    mado_pair_t  *p;

    rc = mdb_cursor_open(m->txn, dbi, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "sealing old records", rc);
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (!legacy(m, &k, &v)) {
            continue;
        }

        if (m->n == m->max) {
            m->more = 1;
            break;
        }

        p = &m->p[m->n];
        p->k.mv_data = malloc(k.mv_size);
        p->v.mv_data = malloc(v.mv_size ? v.mv_size : 1);

        if (p->k.mv_data == NULL || p->v.mv_data == NULL) {
            free(p->k.mv_data);
            free(p->v.mv_data);
            mdb_cursor_close(cur);
            return mado_fail(err, MADO_ESTORE, "out of memory");
        }

        memcpy(p->k.mv_data, k.mv_data, k.mv_size);
        memcpy(p->v.mv_data, v.mv_data, v.mv_size);
        p->k.mv_size = k.mv_size;
        p->v.mv_size = v.mv_size;
        m->n++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "sealing old records", rc);
    }

    return MADO_OK;
}


/* the value v under nk instead of ok; when nk has one already, it stays */
static int
mado_migrate_rekey(mado_migrate_t *m, MDB_dbi dbi, MDB_val *ok,
    const void *nk, size_t nlen, MDB_val *v, mado_err_t *err)
{
    int      rc;
    MDB_val  k;

    k.mv_data = (void *) nk;
    k.mv_size = nlen;

    rc = mdb_put(m->txn, dbi, &k, v, MDB_NOOVERWRITE);

    if (rc == 0 || rc == MDB_KEYEXIST) {
        rc = mdb_del(m->txn, dbi, ok, NULL);
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "sealing old records", rc);
    }

    return MADO_OK;
}


static int
mado_legacy_audit(mado_migrate_t *m, const MDB_val *k, const MDB_val *v)
{
    size_t                blen;
    const char           *body;
    const unsigned char  *mac;

    (void) m;
    (void) k;

    return mado_audit_record_decode(v->mv_data, v->mv_size, &mac, &body,
                                    &blen) == 0
           && !mado_crypt_sealed(body, blen);
}


/* in clear, under its own id, and no sealed record of it */
static int
mado_legacy_account(mado_migrate_t *m, const MDB_val *k, const MDB_val *v)
{
    int             ok;
    MDB_val         sk, sv;
    mado_account_t  a;
    unsigned char   lk[MADO_LOOKUP_LEN];

    if (mado_lookup_is(k->mv_data, k->mv_size)
        || mado_account_decode(v->mv_data, v->mv_size, &a) != 0)
    {
        return 0;
    }

    ok = strlen(a.id) == k->mv_size
         && memcmp(a.id, k->mv_data, k->mv_size) == 0;

    OPENSSL_cleanse(&a, sizeof(a));

    if (!ok) {
        return 0;
    }

    mado_lookup(m->s, "account", k->mv_data, k->mv_size, lk);
    sk.mv_data = lk;
    sk.mv_size = sizeof(lk);

    return mdb_get(m->txn, m->s->account, &sk, &sv) == MDB_NOTFOUND;
}


static int
mado_legacy_session(mado_migrate_t *m, const MDB_val *k, const MDB_val *v)
{
    mado_session_t  se;

    (void) m;
    (void) k;

    return !mado_crypt_sealed(v->mv_data, v->mv_size)
           && mado_session_decode(v->mv_data, v->mv_size, &se) == 0;
}


static int
mado_legacy_key(mado_migrate_t *m, const MDB_val *k, const MDB_val *v)
{
    (void) m;
    (void) v;

    return !mado_lookup_is(k->mv_data, k->mv_size);
}


static int
mado_legacy_refusal(mado_migrate_t *m, const MDB_val *k, const MDB_val *v)
{
    return mado_legacy_key(m, k, v)
           && !(k->mv_size == 1 && *(char *) k->mv_data == '*');
}


/* 1 if p is a tried id (MADO_TRIED_LEN hex digits) */
static int
mado_is_tried(const char *p, size_t len)
{
    size_t  i;

    if (len != MADO_TRIED_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


/* T(USER) or T(USER)\0L(ADDRESS): anything else is of before */
static int
mado_legacy_login(mado_migrate_t *m, const MDB_val *k, const MDB_val *v)
{
    const char  *p, *nul;

    (void) m;
    (void) v;

    p = k->mv_data;
    nul = memchr(p, '\0', k->mv_size);

    if (nul == NULL) {
        return !mado_is_tried(p, k->mv_size);
    }

    return !mado_is_tried(p, nul - p)
           || !mado_lookup_is(nul + 1, k->mv_size - (nul + 1 - p));
}


/* the key of a login count as this version makes it, from one of before */
static size_t
mado_login_rekey(const mado_store_t *s, const MDB_val *k, unsigned char *out)
{
    char         user[MADO_KEY_MAX + 1];
    size_t       ulen, n;
    const char  *p, *nul;

    p = k->mv_data;
    nul = memchr(p, '\0', k->mv_size);
    ulen = nul ? (size_t) (nul - p) : k->mv_size;

    if (mado_is_tried(p, ulen)) {
        memcpy(out, p, ulen);

    } else {
        n = ulen < MADO_KEY_MAX ? ulen : MADO_KEY_MAX;
        memcpy(user, p, n);
        user[n] = '\0';
        mado_tried_id(s, user, (char *) out);
        ulen = MADO_TRIED_LEN;
    }

    if (nul == NULL) {
        return ulen;
    }

    out[ulen] = '\0';

    if (mado_lookup_is(nul + 1, k->mv_size - (nul + 1 - p))) {
        memcpy(out + ulen + 1, nul + 1, MADO_LOOKUP_LEN);

    } else {
        mado_lookup(s, "login", nul + 1, k->mv_size - (nul + 1 - p),
                    out + ulen + 1);
    }

    return ulen + 1 + MADO_LOOKUP_LEN;
}


int
mado_crypt_migrate(mado_store_t *s, MDB_txn *txn, size_t max,
    mado_crypt_migrate_t *st, mado_err_t *err)
{
    int                   rc;
    size_t                i, blen, slen, total;
    MDB_val               v;
    mado_pair_t          *p;
    const char           *body;
    mado_migrate_t        m;
    const unsigned char  *mac;
    unsigned char        *buf, lk[MADO_KEY_MAX + MADO_LOOKUP_LEN];

    memset(st, 0, sizeof(mado_crypt_migrate_t));

    if (!s->audit) {
        return mado_fail(err, MADO_ESTORE, "no audit key: what names people "
                         "is sealed under a key derived from it");
    }

    memset(&m, 0, sizeof(m));
    m.s = s;
    m.txn = txn;
    m.max = max ? max : 1;
    m.p = calloc(m.max, sizeof(mado_pair_t));

    if (m.p == NULL) {
        return mado_fail(err, MADO_ESTORE, "out of memory");
    }

    total = 0;
    buf = NULL;

    /* the audit trail: each record's JSON sealed, its MAC kept */
    rc = mado_migrate_collect(&m, s->audit_db, mado_legacy_audit, err);

    for (i = 0; rc == MADO_OK && i < m.n; i++) {
        p = &m.p[i];
        (void) mado_audit_record_decode(p->v.mv_data, p->v.mv_size, &mac,
                                        &body, &blen);

        buf = malloc(MADO_AUDIT_MAC_LEN + blen + MADO_CRYPT_OVERHEAD);
        if (buf == NULL) {
            rc = mado_fail(err, MADO_ESTORE, "out of memory");
            break;
        }

        memcpy(buf, mac, MADO_AUDIT_MAC_LEN);

        rc = mado_record_seal(s, "audit", p->k.mv_data, p->k.mv_size, body,
                              blen, buf + MADO_AUDIT_MAC_LEN, &slen, err);

        if (rc == MADO_OK) {
            v.mv_data = buf;
            v.mv_size = MADO_AUDIT_MAC_LEN + slen;
            rc = mdb_put(txn, s->audit_db, &p->k, &v, 0);
            rc = rc ? mado_mdb_fail(err, MADO_ESTORE, "sealing old records",
                                    rc)
                    : MADO_OK;
        }

        free(buf);
        buf = NULL;
        st->audit += (rc == MADO_OK);
    }

    /* accounts: sealed under L(id), the record in clear deleted; their
       seals are over what they grant, not over how they are kept */
    total += m.n;
    mado_migrate_free(&m);
    m.max = max > total ? max - total : 0;

    if (rc == MADO_OK && m.max) {
        rc = mado_migrate_collect(&m, s->account, mado_legacy_account, err);
    }

    for (i = 0; rc == MADO_OK && i < m.n; i++) {
        p = &m.p[i];
        mado_lookup(s, "account", p->k.mv_data, p->k.mv_size, lk);

        buf = malloc(p->v.mv_size + MADO_CRYPT_OVERHEAD);
        if (buf == NULL) {
            rc = mado_fail(err, MADO_ESTORE, "out of memory");
            break;
        }

        rc = mado_record_seal(s, "account", lk, MADO_LOOKUP_LEN,
                              p->v.mv_data, p->v.mv_size, buf, &slen, err);

        if (rc == MADO_OK) {
            v.mv_data = buf;
            v.mv_size = slen;
            rc = mado_migrate_rekey(&m, s->account, &p->k, lk,
                                    MADO_LOOKUP_LEN, &v, err);
        }

        free(buf);
        buf = NULL;
        st->accounts += (rc == MADO_OK);
    }

    /* sessions: the user sealed */
    total += m.n;
    mado_migrate_free(&m);
    m.max = max > total ? max - total : 0;

    if (rc == MADO_OK && m.max) {
        rc = mado_migrate_collect(&m, s->session, mado_legacy_session, err);
    }

    for (i = 0; rc == MADO_OK && i < m.n; i++) {
        p = &m.p[i];

        buf = malloc(p->v.mv_size + MADO_CRYPT_OVERHEAD);
        if (buf == NULL) {
            rc = mado_fail(err, MADO_ESTORE, "out of memory");
            break;
        }

        rc = mado_record_seal(s, "session", p->k.mv_data, p->k.mv_size,
                              p->v.mv_data, p->v.mv_size, buf, &slen, err);

        if (rc == MADO_OK) {
            v.mv_data = buf;
            v.mv_size = slen;
            rc = mdb_put(txn, s->session, &p->k, &v, 0);
            rc = rc ? mado_mdb_fail(err, MADO_ESTORE, "sealing old records",
                                    rc)
                    : MADO_OK;
        }

        free(buf);
        buf = NULL;
        st->sessions += (rc == MADO_OK);
    }

    /* counts and answers keyed by a name or an address: by L() of it */
    {
        static const struct {
            size_t              off;        /* of the dbi in s */
            const char         *what;
            mado_legacy_pt      legacy;
        } dbs[] = {
            { offsetof(mado_store_t, idem), "idem", mado_legacy_key },
            { offsetof(mado_store_t, clientfail), "client", mado_legacy_key },
            { offsetof(mado_store_t, refusal), "refusal",
              mado_legacy_refusal },
            { offsetof(mado_store_t, login), "login", mado_legacy_login }
        };
        unsigned  d;
        size_t    nlen;
        MDB_dbi   dbi;

        for (d = 0; d < sizeof(dbs) / sizeof(dbs[0]); d++) {
            total += m.n;
            mado_migrate_free(&m);
            m.max = max > total ? max - total : 0;

            if (rc != MADO_OK || m.max == 0) {
                break;
            }

            dbi = *(MDB_dbi *) ((char *) s + dbs[d].off);

            rc = mado_migrate_collect(&m, dbi, dbs[d].legacy, err);

            for (i = 0; rc == MADO_OK && i < m.n; i++) {
                p = &m.p[i];

                if (dbi == s->login) {
                    nlen = mado_login_rekey(s, &p->k, lk);

                } else {
                    mado_lookup(s, dbs[d].what, p->k.mv_data, p->k.mv_size,
                                lk);
                    nlen = MADO_LOOKUP_LEN;
                }

                rc = mado_migrate_rekey(&m, dbi, &p->k, lk, nlen, &p->v,
                                        err);
                st->keys += (rc == MADO_OK);
            }
        }
    }

    /* the budget ran out before every database was looked at */
    st->more = m.more || (max <= total + m.n && rc == MADO_OK);

    mado_migrate_free(&m);
    free(m.p);

    return rc;
}
