/*
 * Staff accounts: who may change what, and how they prove it.
 *
 *   admin  everything
 *   staff  the counters of the offices granted
 *   feed   a ticket machine's feed for the offices granted; a long random
 *          token instead of a password
 *
 * Passwords are kept as PBKDF2-HMAC-SHA-256 (MADO_PBKDF2_ITERATIONS,
 * 128-bit random salt) and tokens as SHA-256, both CRYPTREC-listed; every
 * comparison is constant-time.  A record is a JSON object (hashes in hex)
 * so that later fields can be added without a new schema.
 *
 * Whoever can write the store (the store's group: the nginx workers, the
 * feed) could otherwise put in an account of their own, or make theirs
 * admin.  So each record carries a seal:
 *
 *   seal = HMAC(HMAC(audit key, "mado-account-seal"),
 *               "mado-account-1\n" id \n role \n disabled \n iterations \n
 *               salt \n hash \n created_at \n seal_seq \n offices,comma-joined)
 *
 * made by mado_account_put() with the key that writes need anyway, and
 * checked by every mado_account_get() (logins, sessions, madoctl user) and
 * token lookup: a record without its seal, or with one that does not
 * match, is MADO_ESEAL.  seal_seq numbers the audit record of the write
 * that sealed it, so that "madoctl audit verify" also finds an older
 * sealed copy put back (a later user.* record names the account), which a
 * MAC alone cannot tell from the real one.
 *
 * The seal proves who made a record; it hides nothing.  The account is
 * also sealed in the other sense (mado_record_seal: AES-256-GCM) under
 * L(id), a keyed hash of its id (mado_lookup), because the ids are staff
 * members' names: the store holds no id in clear.  Sessions keep their
 * user sealed, Idempotency-Keys and failed-login counts keep keyed hashes
 * of the user and the address (mado_store.h, section 16).
 */

#define _GNU_SOURCE                     /* strcasestr */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "mado_store.h"


const char *const  mado_role_names[MADO_NROLES] = { "admin", "staff", "feed" };


int
mado_role_parse(const char *name)
{
    int  i;

    for (i = 0; i < MADO_NROLES; i++) {
        if (strcmp(name, mado_role_names[i]) == 0) {
            return i;
        }
    }

    return -1;
}


int
mado_password_policy(const char *id, const char *password, mado_err_t *err)
{
    size_t       i, chars, len;
    const char  *p;

    len = strlen(password);

    /* characters, not bytes: a Japanese passphrase counts as read */
    for (p = password, chars = 0; *p; p++) {
        if (((unsigned char) *p & 0xc0) != 0x80) {
            chars++;
        }
    }

    if (chars < MADO_PASSWORD_MIN) {
        snprintf(err->text, sizeof(err->text), "password: at least %d "
                 "characters", MADO_PASSWORD_MIN);
        return MADO_EINVAL;
    }

    if (len > MADO_PASSWORD_MAX) {
        snprintf(err->text, sizeof(err->text), "password: at most %d bytes",
                 MADO_PASSWORD_MAX);
        return MADO_EINVAL;
    }

    if (mado_message_check(password, len, NULL) != MADO_OK) {
        snprintf(err->text, sizeof(err->text), "password: must be UTF-8 "
                 "text without control characters");
        return MADO_EINVAL;
    }

    if (strcasestr(password, id) != NULL) {
        snprintf(err->text, sizeof(err->text), "password: must not contain "
                 "the user id");
        return MADO_EINVAL;
    }

    for (i = 1; i < len && password[i] == password[0]; i++) {
        /* void */
    }

    if (i == len) {
        snprintf(err->text, sizeof(err->text), "password: must not be one "
                 "character repeated");
        return MADO_EINVAL;
    }

    return MADO_OK;
}


static int
mado_pbkdf2(const char *password, const unsigned char *salt,
    uint32_t iterations, unsigned char *out)
{
    return PKCS5_PBKDF2_HMAC(password, (int) strlen(password), salt,
                             MADO_SALT_LEN, (int) iterations, EVP_sha256(),
                             MADO_HASH_LEN, out)
           == 1 ? 0 : -1;
}


static int
mado_password_hash(mado_account_t *a, const char *password,
    uint32_t iterations, mado_err_t *err)
{
    if (RAND_bytes(a->salt, MADO_SALT_LEN) != 1) {
        return mado_fail(err, MADO_ESTORE, "no random bytes");
    }

    a->iterations = iterations;

    if (mado_pbkdf2(password, a->salt, a->iterations, a->hash) != 0) {
        return mado_fail(err, MADO_ESTORE, "PBKDF2 failed");
    }

    return MADO_OK;
}


int
mado_password_set(mado_account_t *a, const char *password, mado_err_t *err)
{
    return mado_password_hash(a, password, MADO_PBKDF2_ITERATIONS, err);
}


/*
 * Fewer iterations than production's make logins fast enough for tests to
 * fail many of them; only a test store takes them, so that no production
 * account can ever be weakened this way.
 */
int
mado_password_set_iterations(mado_store_t *s, MDB_txn *txn,
    mado_account_t *a, const char *password, uint32_t iterations,
    mado_err_t *err)
{
    if (iterations < 1 || iterations > MADO_PBKDF2_ITERATIONS_MAX) {
        snprintf(err->text, sizeof(err->text), "iterations: must be 1..%d",
                 MADO_PBKDF2_ITERATIONS_MAX);
        return MADO_EINVAL;
    }

    if (iterations < MADO_PBKDF2_ITERATIONS && mado_test_store(s, txn) != 1)
    {
        snprintf(err->text, sizeof(err->text), "iterations: fewer than %d "
                 "only in a test store (madoctl init --test-store)",
                 MADO_PBKDF2_ITERATIONS);
        return MADO_EINVAL;
    }

    return mado_password_hash(a, password, iterations, err);
}


int
mado_password_check(const mado_account_t *a, const char *password)
{
    unsigned char  h[MADO_HASH_LEN];

    /* a token account has no password; compute anyway: equal time */
    if (mado_pbkdf2(password, a->salt,
                    a->iterations ? a->iterations : MADO_PBKDF2_ITERATIONS, h)
        != 0)
    {
        return 0;
    }

    return CRYPTO_memcmp(h, a->hash, MADO_HASH_LEN) == 0 && a->iterations;
}


int
mado_token_new(mado_account_t *a, char *token, mado_err_t *err)
{
    unsigned char  raw[MADO_TOKEN_BYTES];
    unsigned int   n;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return mado_fail(err, MADO_ESTORE, "no random bytes");
    }

    /* "mado_" and 64 hex digits: recognisable when it leaks into a log */
    memcpy(token, "mado_", 5);
    mado_hex(raw, sizeof(raw), token + 5);
    OPENSSL_cleanse(raw, sizeof(raw));

    a->iterations = 0;
    memset(a->salt, 0, MADO_SALT_LEN);

    if (EVP_Digest(token, strlen(token), a->hash, &n, EVP_sha256(), NULL)
        != 1)
    {
        return mado_fail(err, MADO_ESTORE, "SHA-256 failed");
    }

    return MADO_OK;
}


int
mado_token_check(const mado_account_t *a, const char *token)
{
    unsigned int   n;
    unsigned char  h[MADO_HASH_LEN];

    if (EVP_Digest(token, strlen(token), h, &n, EVP_sha256(), NULL) != 1) {
        return 0;
    }

    return CRYPTO_memcmp(h, a->hash, MADO_HASH_LEN) == 0 && !a->iterations;
}


void
mado_login_ok(mado_account_t *a, int64_t now)
{
    a->failures = 0;
    a->locked_until = 0;
    a->last_login = now;
}


int
mado_account_may(const mado_account_t *a, const char *office)
{
    unsigned  i;

    if (a->disabled) {
        return 0;
    }

    if (a->role == MADO_ROLE_ADMIN) {
        return 1;
    }

    for (i = 0; i < a->noffices; i++) {
        if (strcmp(a->offices[i], office) == 0) {
            return 1;
        }
    }

    return 0;
}


/* ------------------------------------------------------------ seals */

const char *
mado_seal_name(uint32_t state)
{
    switch (state) {
    case MADO_SEAL_OK:        return "ok";
    case MADO_SEAL_NONE:      return "none";
    case MADO_SEAL_BROKEN:    return "broken";
    case MADO_SEAL_UNREADABLE: return "unreadable";
    default:                  return "unchecked";
    }
}


static void
mado_account_seal_mac(const unsigned char *audit_key, const mado_account_t *a,
    unsigned char *mac)
{
    int                   n;
    char                  salt[2 * MADO_SALT_LEN + 1];
    char                  hash[2 * MADO_HASH_LEN + 1];
    char                  buf[512 + MADO_OFFICES_MAX * (MADO_ID_MAX + 1)];
    size_t                len;
    unsigned              i;
    unsigned char         key[MADO_AUDIT_MAC_LEN];
    const unsigned char  *part[1];

    /* a key of its own: a seal is never a valid audit MAC, nor one back */
    part[0] = (const unsigned char *) "mado-account-seal";
    len = sizeof("mado-account-seal") - 1;
    mado_audit_hmac(audit_key, part, &len, 1, key);

    mado_hex(a->salt, MADO_SALT_LEN, salt);
    mado_hex(a->hash, MADO_HASH_LEN, hash);

    n = snprintf(buf, sizeof(buf), "mado-account-1\n%s\n%s\n%u\n%u\n%s\n%s\n"
                 "%lld\n%llu\n", a->id,
                 a->role < MADO_NROLES ? mado_role_names[a->role] : "?",
                 a->disabled ? 1 : 0, (unsigned) a->iterations, salt, hash,
                 (long long) a->created_at, (unsigned long long) a->seal_seq);

    for (i = 0; i < a->noffices && n > 0 && (size_t) n < sizeof(buf); i++) {
        n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "",
                      a->offices[i]);
    }

    len = (n > 0 && (size_t) n < sizeof(buf)) ? (size_t) n : sizeof(buf) - 1;
    part[0] = (const unsigned char *) buf;

    mado_audit_hmac(key, part, &len, 1, mac);

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(hash, sizeof(hash));
}


/*
 * a's seal_state, checked under the key when it is loaded.  stored_id:
 * the key it is stored under.  A record copied under another key is
 * broken whatever its seal, and is named by that key from then on (list,
 * seal and verify speak of the record that is there)
 */
static void
mado_account_seal_check(mado_store_t *s, mado_account_t *a,
    const char *stored_id, size_t stored_len)
{
    unsigned char  mac[MADO_HASH_LEN];

    if (strlen(a->id) != stored_len
        || memcmp(a->id, stored_id, stored_len) != 0)
    {
        snprintf(a->id, sizeof(a->id), "%.*s",
                 (int) (stored_len < MADO_ID_MAX ? stored_len : MADO_ID_MAX),
                 stored_id);
        a->seal_state = MADO_SEAL_BROKEN;
        return;
    }

    if (a->seal_state == MADO_SEAL_NONE || !s->audit) {
        return;
    }

    mado_account_seal_mac(s->audit_key, a, mac);

    a->seal_state = CRYPTO_memcmp(mac, a->seal, MADO_HASH_LEN) == 0
                    ? MADO_SEAL_OK : MADO_SEAL_BROKEN;
}


static int
mado_account_seal_fail(mado_err_t *err, const mado_account_t *a)
{
    if (a->seal_state == MADO_SEAL_NONE) {
        return mado_fail(err, MADO_ESEAL, "the account \"%s\" has no seal "
                         "(made before accounts were sealed, or put in the "
                         "store outside madoctl): check it with \"madoctl "
                         "user list\", then seal it with \"madoctl user seal "
                         "%s\"", a->id, a->id);
    }

    if (a->seal_state == MADO_SEAL_UNREADABLE) {
        return mado_fail(err, MADO_ESEAL, "the account \"%s\" does not open "
                         "under the key: its record was altered, or moved "
                         "there from another account's, outside madoctl and "
                         "the update API; add the account again", a->id);
    }

    return mado_fail(err, MADO_ESEAL, "the account \"%s\" does not match its "
                     "seal: it was changed outside madoctl and the update "
                     "API", a->id);
}


/* ------------------------------------------------------------ storage */

/*
 * An account's record is sealed under its key L(id) (mado_record_open);
 * a store of schema 1 keeps it in clear under the id, read as it is.
 * MADO_OK: a read, and *forced 1 when it is in clear where a sealed
 * record belongs (put there by hand: broken whatever its seal);
 * MADO_ESEAL: a sealed record that does not open (altered, or moved
 * from another key); MADO_EINVAL: garbled.
 */
static int
mado_account_value(mado_store_t *s, const MDB_val *k, const MDB_val *v,
    mado_account_t *a, int *forced)
{
    int             rc;
    size_t          len;
    unsigned char  *buf;

    *forced = 0;

    if (!mado_lookup_is(k->mv_data, k->mv_size)
        || !mado_crypt_sealed(v->mv_data, v->mv_size))
    {
        *forced = mado_lookup_is(k->mv_data, k->mv_size);

        return mado_account_decode(v->mv_data, v->mv_size, a) == 0
               ? MADO_OK : MADO_EINVAL;
    }

    buf = malloc(v->mv_size);
    if (buf == NULL) {
        return MADO_ESTORE;
    }

    rc = mado_record_open(s, "account", k->mv_data, k->mv_size, v->mv_data,
                          v->mv_size, buf, &len);

    if (rc == MADO_OK) {
        rc = mado_account_decode(buf, len, a) == 0 ? MADO_OK : MADO_ESEAL;
        OPENSSL_cleanse(buf, len);
    }

    free(buf);

    return rc;
}


int
mado_account_get(mado_store_t *s, MDB_txn *txn, const char *id,
    mado_account_t *a, mado_err_t *err)
{
    int            rc, forced;
    MDB_val        k, v;
    unsigned char  lk[MADO_LOOKUP_LEN];

    rc = MDB_NOTFOUND;

    if (s->audit) {
        mado_lookup(s, "account", id, strlen(id), lk);
        k.mv_data = lk;
        k.mv_size = sizeof(lk);
        rc = mdb_get(txn, s->account, &k, &v);
    }

    if (rc == MDB_NOTFOUND) {
        k.mv_data = (void *) id;
        k.mv_size = strlen(id);
        rc = mdb_get(txn, s->account, &k, &v);
    }

    if (rc == MDB_NOTFOUND) {
        return mado_fail(err, MADO_ENOTFOUND, "no user \"%s\"", id);
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading accounts", rc);
    }

    rc = mado_account_value(s, &k, &v, a, &forced);

    if (rc == MADO_ESEAL) {
        /* nothing of it can be read, and nothing is built on it */
        memset(a, 0, sizeof(mado_account_t));
        snprintf(a->id, sizeof(a->id), "%s", id);
        a->disabled = 1;
        a->seal_state = MADO_SEAL_UNREADABLE;
        return mado_account_seal_fail(err, a);
    }

    if (rc != MADO_OK) {
        return mado_fail(err, MADO_ESTORE, "the account of \"%s\" is "
                         "garbled", id);
    }

    mado_account_seal_check(s, a, id, strlen(id));

    if (forced) {
        a->seal_state = MADO_SEAL_BROKEN;
    }

    if (a->seal_state == MADO_SEAL_BROKEN
        || (s->audit && a->seal_state != MADO_SEAL_OK))
    {
        return mado_account_seal_fail(err, a);
    }

    return MADO_OK;
}


int
mado_account_put(mado_store_t *s, MDB_txn *txn, const mado_account_t *a,
    mado_err_t *err)
{
    int                 rc;
    char               *json;
    size_t              len, slen;
    MDB_val             k, v;
    mado_account_t      sealed;
    mado_audit_head_t   h;
    unsigned char      *enc, lk[MADO_LOOKUP_LEN];

    if (!s->audit) {
        return mado_fail(err, MADO_ESTORE, "no audit key: an account is "
                         "sealed under it");
    }

    /* the write's own audit record is the next one */
    k.mv_data = MADO_META_AUDIT_HEAD;
    k.mv_size = sizeof(MADO_META_AUDIT_HEAD) - 1;

    rc = mdb_get(txn, s->meta, &k, &v);

    if (rc == MDB_NOTFOUND) {
        h.seq = 0;

    } else if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the audit head", rc);

    } else if (mado_audit_head_decode(v.mv_data, v.mv_size, &h) != 0) {
        return mado_fail(err, MADO_ESTORE, "the audit head is garbled; run "
                         "\"madoctl audit verify\"");
    }

    sealed = *a;
    sealed.seal_seq = h.seq + 1;
    mado_account_seal_mac(s->audit_key, &sealed, sealed.seal);
    sealed.seal_state = MADO_SEAL_OK;

    json = mado_account_encode(&sealed, &len);
    OPENSSL_cleanse(&sealed, sizeof(sealed));

    if (json == NULL) {
        return mado_fail(err, MADO_ESTORE, "out of memory");
    }

    /* sealed under L(id): neither the id nor the account in clear */
    mado_lookup(s, "account", a->id, strlen(a->id), lk);

    enc = malloc(len + MADO_CRYPT_OVERHEAD);

    rc = enc == NULL
         ? mado_fail(err, MADO_ESTORE, "out of memory")
         : mado_record_seal(s, "account", lk, sizeof(lk), json, len, enc,
                            &slen, err);

    OPENSSL_cleanse(json, len);
    free(json);

    if (rc != MADO_OK) {
        free(enc);
        return rc;
    }

    k.mv_data = lk;
    k.mv_size = sizeof(lk);
    v.mv_data = enc;
    v.mv_size = slen;

    rc = mdb_put(txn, s->account, &k, &v, 0);
    free(enc);

    /* the record schema 1 kept in clear goes */
    if (rc == 0) {
        k.mv_data = (void *) a->id;
        k.mv_size = strlen(a->id);
        rc = mdb_del(txn, s->account, &k, NULL);
        rc = (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing an account", rc);
    }

    return MADO_OK;
}


int
mado_account_each(mado_store_t *s, MDB_txn *txn,
    int (*fn)(const mado_account_t *a, void *arg), void *arg,
    mado_err_t *err)
{
    int             rc, vrc, forced;
    char            hex[9];
    MDB_val         k, v, sk, sv;
    MDB_cursor     *cur;
    mado_account_t  a;
    unsigned char   lk[MADO_LOOKUP_LEN];

    rc = mdb_cursor_open(txn, s->account, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading accounts", rc);
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        vrc = mado_account_value(s, &k, &v, &a, &forced);

        if (vrc == MADO_ESEAL) {
            /* its id is sealed with it: named by its key, "#" and hex,
               which no id can be; it grants nothing */
            memset(&a, 0, sizeof(mado_account_t));
            mado_hex((const unsigned char *) k.mv_data + 1, 4, hex);
            snprintf(a.id, sizeof(a.id), "#%s", hex);
            a.role = MADO_ROLE_STAFF;
            a.disabled = 1;
            a.seal_state = MADO_SEAL_UNREADABLE;

            if (fn(&a, arg)) {
                break;
            }

            continue;
        }

        if (vrc != MADO_OK) {
            continue;
        }

        if (mado_lookup_is(k.mv_data, k.mv_size)) {
            /* the id sealed with it is the one its key names */
            mado_lookup(s, "account", a.id, strlen(a.id), lk);

            if (memcmp(lk, k.mv_data, sizeof(lk)) == 0) {
                mado_account_seal_check(s, &a, a.id, strlen(a.id));

            } else {
                a.seal_state = MADO_SEAL_BROKEN;
            }

            if (forced) {
                a.seal_state = MADO_SEAL_BROKEN;
            }

        } else {
            mado_account_seal_check(s, &a, k.mv_data, k.mv_size);

            /* in clear beside its sealed record: put there by hand, as
               a write seals an account and removes its record in clear */
            if (s->audit) {
                mado_lookup(s, "account", k.mv_data, k.mv_size, lk);
                sk.mv_data = lk;
                sk.mv_size = sizeof(lk);

                if (mdb_get(txn, s->account, &sk, &sv) == 0) {
                    a.seal_state = MADO_SEAL_BROKEN;
                }
            }
        }

        if (fn(&a, arg)) {
            break;
        }
    }

    mdb_cursor_close(cur);
    OPENSSL_cleanse(&a, sizeof(a));

    return MADO_OK;
}


typedef struct {
    unsigned char       hash[MADO_HASH_LEN];
    mado_account_t     *a;
    int                 found;
    int                 unsealed;       /* the token's account, refused */
} mado_token_find_t;


static int
mado_token_match(const mado_account_t *a, void *arg)
{
    int                 same;
    mado_token_find_t  *f = arg;

    /* every feed account is compared, the right one or not: the time
       taken says nothing about which token came close */
    same = CRYPTO_memcmp(f->hash, a->hash, MADO_HASH_LEN) == 0;

    if (same && a->role == MADO_ROLE_FEED && a->iterations == 0) {
        *f->a = *a;

        /* a token put into the store by hand proves nothing */
        if (a->seal_state == MADO_SEAL_OK) {
            f->found = 1;

        } else {
            f->unsealed = 1;
        }
    }

    return 0;
}


int
mado_token_find(mado_store_t *s, MDB_txn *txn, const char *token,
    mado_account_t *a, mado_err_t *err)
{
    int                 rc;
    unsigned int        n;
    mado_token_find_t   f;

    memset(&f, 0, sizeof(f));
    f.a = a;

    if (EVP_Digest(token, strlen(token), f.hash, &n, EVP_sha256(), NULL)
        != 1)
    {
        return mado_fail(err, MADO_ESTORE, "SHA-256 failed");
    }

    rc = mado_account_each(s, txn, mado_token_match, &f, err);

    OPENSSL_cleanse(f.hash, sizeof(f.hash));

    if (rc != MADO_OK) {
        return rc;
    }

    if (f.unsealed) {
        return mado_account_seal_fail(err, a);
    }

    return f.found ? MADO_OK : MADO_ENOTFOUND;
}


/* ------------------------------------------------------------ sessions */

/* a session's record: its user is sealed (schema 1 kept it in clear) */
int
mado_session_value(const mado_store_t *s, const MDB_val *k, const MDB_val *v,
    mado_session_t *se)
{
    int            rc;
    size_t         len;
    unsigned char  buf[MADO_SESSION_SIZE + MADO_CRYPT_OVERHEAD];

    if (v->mv_size > sizeof(buf)) {
        return -1;
    }

    rc = mado_record_open(s, "session", k->mv_data, k->mv_size, v->mv_data,
                          v->mv_size, buf, &len);

    rc = (rc == MADO_ESEAL) ? -1 : mado_session_decode(buf, len, se);
    OPENSSL_cleanse(buf, sizeof(buf));

    return rc;
}


static int
mado_session_put(mado_store_t *s, MDB_txn *txn, MDB_val *k,
    const mado_session_t *se, mado_err_t *err)
{
    int            rc;
    size_t         len;
    MDB_val        v;
    unsigned char  val[MADO_SESSION_SIZE];
    unsigned char  sealed[MADO_SESSION_SIZE + MADO_CRYPT_OVERHEAD];

    mado_session_encode(se, val);

    rc = mado_record_seal(s, "session", k->mv_data, k->mv_size, val,
                          sizeof(val), sealed, &len, err);
    OPENSSL_cleanse(val, sizeof(val));

    if (rc != MADO_OK) {
        return rc;
    }

    v.mv_data = sealed;
    v.mv_size = len;

    rc = mdb_put(txn, s->session, k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing a session", rc);
    }

    return MADO_OK;
}


int
mado_session_new(mado_store_t *s, MDB_txn *txn, const char *user,
    int64_t now, char *token, mado_err_t *err)
{
    MDB_val         k;
    mado_session_t  se;
    unsigned char   raw[MADO_TOKEN_BYTES], key[MADO_HASH_LEN];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return mado_fail(err, MADO_ESTORE, "no random bytes");
    }

    memcpy(token, "mado_s_", 7);
    mado_hex(raw, sizeof(raw), token + 7);
    OPENSSL_cleanse(raw, sizeof(raw));

    if (mado_session_key(token, key) != 0) {
        return mado_fail(err, MADO_ESTORE, "SHA-256 failed");
    }

    memset(&se, 0, sizeof(mado_session_t));
    snprintf(se.user, sizeof(se.user), "%s", user);
    se.created = now;
    se.seen = now;

    k.mv_data = key;
    k.mv_size = sizeof(key);

    return mado_session_put(s, txn, &k, &se, err);
}


int
mado_session_check(mado_store_t *s, MDB_txn *txn, const char *token,
    int64_t now, int64_t idle, int64_t absolute, char *user, mado_err_t *err)
{
    int             rc;
    MDB_val         k, v;
    mado_session_t  se;
    unsigned char   key[MADO_HASH_LEN];

    if (strncmp(token, "mado_s_", 7) != 0
        || strlen(token) != 7 + 2 * MADO_TOKEN_BYTES
        || mado_session_key(token, key) != 0)
    {
        return mado_fail(err, MADO_ENOTFOUND, "no such session");
    }

    k.mv_data = key;
    k.mv_size = sizeof(key);

    rc = mdb_get(txn, s->session, &k, &v);

    if (rc == MDB_NOTFOUND
        || (rc == 0 && mado_session_value(s, &k, &v, &se) != 0))
    {
        return mado_fail(err, MADO_ENOTFOUND, "no such session");
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading sessions", rc);
    }

    if (now - se.seen > idle || now - se.created > absolute) {
        mdb_del(txn, s->session, &k, NULL);
        return mado_fail(err, MADO_ENOTFOUND, "the session has expired");
    }

    strcpy(user, se.user);

    /* the idle clock restarts, at most once a minute (a write) */
    if (now - se.seen >= 60) {
        se.seen = now;

        rc = mado_session_put(s, txn, &k, &se, err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    return MADO_OK;
}


int
mado_session_end(mado_store_t *s, MDB_txn *txn, const char *token,
    mado_err_t *err)
{
    int            rc;
    MDB_val        k;
    unsigned char  key[MADO_HASH_LEN];

    if (mado_session_key(token, key) != 0) {
        return mado_fail(err, MADO_ESTORE, "SHA-256 failed");
    }

    k.mv_data = key;
    k.mv_size = sizeof(key);

    rc = mdb_del(txn, s->session, &k, NULL);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_fail(err, MADO_ESTORE, "ending a session: %s",
                         mdb_strerror(rc));
    }

    return MADO_OK;
}


/*
 * A browser session's CSRF token is derived from the session token: the
 * page holds it in memory and sends it as a header, which a forged
 * cross-site request cannot, and the server keeps nothing more.
 */
int
mado_session_csrf(const char *token, char *csrf)
{
    size_t         out;
    unsigned char  mac[MADO_HASH_LEN];

    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, token, strlen(token),
                  (const unsigned char *) "mado-csrf", 9, mac, sizeof(mac),
                  &out)
        == NULL)
    {
        return -1;
    }

    mado_hex(mac, sizeof(mac), csrf);
    OPENSSL_cleanse(mac, sizeof(mac));

    return 0;
}


/* ------------------------------------------------------------ idempotency */

/* an answer's key: L(USER\0KEY), the user's id not kept in clear */
static void
mado_idem_lookup(const mado_store_t *s, const char *user, const char *key,
    unsigned char *out)
{
    unsigned char  k[MADO_KEY_MAX];

    mado_lookup(s, "idem", k, mado_idem_key(user, key, k), out);
}


int
mado_idem_get(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *key, const unsigned char *fp, int64_t now, uint32_t *status,
    char *body, size_t size, size_t *len, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    mado_idem_t    id;
    unsigned char  k_[MADO_LOOKUP_LEN], old[MADO_KEY_MAX];

    mado_idem_lookup(s, user, key, k_);
    k.mv_data = k_;
    k.mv_size = sizeof(k_);

    rc = mdb_get(txn, s->idem, &k, &v);

    /* an answer schema 1 kept under USER\0KEY, until compact rekeys it:
       a retry across an upgrade is not applied twice */
    if (rc == MDB_NOTFOUND) {
        k.mv_data = old;
        k.mv_size = mado_idem_key(user, key, old);
        rc = mdb_get(txn, s->idem, &k, &v);
    }

    if (rc == MDB_NOTFOUND
        || (rc == 0 && mado_idem_decode(v.mv_data, v.mv_size, &id) != 0))
    {
        return MADO_ENOTFOUND;
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading idempotency keys", rc);
    }

    if (now - id.created > MADO_IDEM_TTL) {
        return MADO_ENOTFOUND;
    }

    /* a client reusing a key for another change would get a wrong answer */
    if (CRYPTO_memcmp(id.fp, fp, MADO_HASH_LEN) != 0) {
        return mado_fail(err, MADO_EINVAL, "Idempotency-Key: already used "
                         "for another request; use a new key for each "
                         "change");
    }

    *status = id.status;
    *len = id.len > size ? size : id.len;
    memcpy(body, id.body, *len);

    return MADO_OK;
}


int
mado_idem_put(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *key, const unsigned char *fp, int64_t now, uint32_t status,
    const char *body, size_t len, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    mado_idem_t    id;
    unsigned char  k_[MADO_LOOKUP_LEN];
    unsigned char  val[MADO_IDEM_FIXED + MADO_IDEM_BODY_MAX];

    id.created = now;
    id.status = status;
    memcpy(id.fp, fp, MADO_HASH_LEN);
    id.body = body;
    id.len = len;

    mado_idem_lookup(s, user, key, k_);
    k.mv_data = k_;
    k.mv_size = sizeof(k_);
    v.mv_data = val;
    v.mv_size = mado_idem_encode(&id, val);

    rc = mdb_put(txn, s->idem, &k, &v, 0);

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing an idempotency "
                             "key", rc);
    }

    return MADO_OK;
}


int
mado_idem_sweep(mado_store_t *s, MDB_txn *txn, int64_t now, uint64_t *n,
    mado_err_t *err)
{
    int          rc;
    int64_t      created;
    MDB_val      k, v;
    MDB_cursor  *cur;

    *n = 0;

    rc = mdb_cursor_open(txn, s->idem, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "sweeping idempotency keys", rc);
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        /* a record too short even for its time goes too */
        if (mado_idem_created(v.mv_data, v.mv_size, &created) == 0
            && now - created <= MADO_IDEM_TTL)
        {
            continue;
        }

        if (mdb_cursor_del(cur, 0) == 0) {
            (*n)++;
        }
    }

    mdb_cursor_close(cur);

    return MADO_OK;
}


/* ------------------------------------------------------------ addresses */

int64_t
mado_client_locked(mado_store_t *s, MDB_txn *txn, const char *addr,
    int64_t now)
{
    MDB_val            k, v;
    mado_clientfail_t  cf;
    unsigned char      lk[MADO_LOOKUP_LEN];

    mado_lookup(s, "client", addr, strlen(addr), lk);
    k.mv_data = lk;
    k.mv_size = sizeof(lk);

    if (mdb_get(txn, s->clientfail, &k, &v) != 0
        || mado_clientfail_decode(v.mv_data, v.mv_size, &cf) != 0)
    {
        return 0;
    }

    return cf.until > now ? cf.until - now : 0;
}


int
mado_client_failed(mado_store_t *s, MDB_txn *txn, const char *addr,
    int64_t now, int64_t *locked, mado_err_t *err)
{
    int                rc;
    int64_t            wait;
    uint32_t           i;
    MDB_val            k, v;
    mado_clientfail_t  cf;
    unsigned char      val[MADO_CLIENT_SIZE], lk[MADO_LOOKUP_LEN];

    /* the same record as the logins' count of the address */
    mado_lookup(s, "client", addr, strlen(addr), lk);
    k.mv_data = lk;
    k.mv_size = sizeof(lk);

    /* none yet, or unreadable: counting starts again */
    if (mdb_get(txn, s->clientfail, &k, &v) != 0) {
        memset(&cf, 0, sizeof(mado_clientfail_t));

    } else {
        (void) mado_clientfail_decode(v.mv_data, v.mv_size, &cf);
    }

    /* failures count within a window, so a shared office address is not
       locked for good by the typos of a morning */
    if (now - cf.since > MADO_CLIENT_WINDOW) {
        cf.failures = 0;
        cf.since = now;
    }

    cf.failures++;
    *locked = 0;

    if (cf.failures >= MADO_CLIENT_FAILURES) {
        for (i = MADO_CLIENT_FAILURES, wait = 60;
             i < cf.failures && wait < 3600; i++)
        {
            wait *= 2;
        }

        cf.until = now + (wait > 3600 ? 3600 : wait);
        *locked = cf.until - now;
    }

    mado_clientfail_encode(&cf, val);

    v.mv_data = val;
    v.mv_size = sizeof(val);

    rc = mdb_put(txn, s->clientfail, &k, &v, 0);

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing a client's "
                             "failures", rc);
    }

    return MADO_OK;
}


/* ------------------------------------------------------------ login limits */

/* each count: how many failures, within what, and the first wait */
static const struct {
    uint32_t            failures;
    int64_t             window;
    int64_t             wait;
} mado_limits[MADO_NLIMITS] = {
    { MADO_LOGIN_FAILURES,   MADO_LOGIN_WINDOW,   30 },
    { MADO_CLIENT_FAILURES,  MADO_CLIENT_WINDOW,  60 },
    { MADO_ACCOUNT_FAILURES, MADO_ACCOUNT_WINDOW, 60 }
};


/*
 * The address a count is kept for.  An IPv6 client counts by its /64: a
 * subscriber is given a whole /64 and picks any address in it, so the
 * prefix is the one attacker; an IPv4-mapped address is its IPv4 address.
 */
static const char *
mado_login_addr(const char *addr, char *buf)
{
    struct in6_addr  a6;

    if (strchr(addr, ':') == NULL || inet_pton(AF_INET6, addr, &a6) != 1) {
        return addr;
    }

    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        return inet_ntop(AF_INET, &a6.s6_addr[12], buf, INET6_ADDRSTRLEN + 3);
    }

    memset(&a6.s6_addr[8], 0, 8);

    if (inet_ntop(AF_INET6, &a6, buf, INET6_ADDRSTRLEN) == NULL) {
        return addr;
    }

    strcat(buf, "/64");

    return buf;
}


/*
 * the key of a count: T(USER), T(USER)\0L(ADDRESS); clientfail's is
 * L(ADDRESS) (user: the tried id already)
 */
static size_t
mado_login_key(const mado_store_t *s, mado_limit_e which, const char *user,
    const char *addr, unsigned char *key)
{
    size_t  n;
    char    buf[INET6_ADDRSTRLEN + 3];

    addr = mado_login_addr(addr, buf);

    if (which == MADO_LIMIT_ADDRESS) {
        mado_lookup(s, "client", addr, strlen(addr), key);
        return MADO_LOOKUP_LEN;
    }

    n = strlen(user);
    memcpy(key, user, n);

    if (which == MADO_LIMIT_ACCOUNT) {
        return n;
    }

    key[n] = '\0';
    mado_lookup(s, "login", addr, strlen(addr), key + n + 1);

    return n + 1 + MADO_LOOKUP_LEN;
}


/* a count as it is kept, none (zeros) when there is none */
static void
mado_login_get(mado_store_t *s, MDB_txn *txn, mado_limit_e which,
    MDB_val *k, mado_loginfail_t *lf)
{
    MDB_val            v;
    mado_clientfail_t  cf;

    memset(lf, 0, sizeof(mado_loginfail_t));

    if (which == MADO_LIMIT_ADDRESS) {
        if (mdb_get(txn, s->clientfail, k, &v) == 0
            && mado_clientfail_decode(v.mv_data, v.mv_size, &cf) == 0)
        {
            lf->failures = cf.failures;
            lf->since = cf.since;
            lf->until = cf.until;
        }

        return;
    }

    if (mdb_get(txn, s->login, k, &v) == 0) {
        (void) mado_loginfail_decode(v.mv_data, v.mv_size, lf);
    }
}


static int
mado_login_put(mado_store_t *s, MDB_txn *txn, mado_limit_e which,
    MDB_val *k, const mado_loginfail_t *lf, mado_err_t *err)
{
    int                rc;
    MDB_val            v;
    mado_clientfail_t  cf;
    unsigned char      val[MADO_LOGINFAIL_SIZE];

    if (which == MADO_LIMIT_ADDRESS) {
        cf.failures = lf->failures;
        cf.since = lf->since;
        cf.until = lf->until;
        mado_clientfail_encode(&cf, val);
        v.mv_size = MADO_CLIENT_SIZE;

    } else {
        mado_loginfail_encode(lf, val);
        v.mv_size = MADO_LOGINFAIL_SIZE;
    }

    v.mv_data = val;

    rc = mdb_put(txn, which == MADO_LIMIT_ADDRESS ? s->clientfail : s->login,
                 k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing failed logins", rc);
    }

    return MADO_OK;
}


/*
 * One more failure of a count; from its limit on, a wait that doubles
 * with each failure beyond it, up to an hour.  Failures count within a
 * window, so that the typos of a morning do not add up for good.
 */
static void
mado_login_count(mado_limit_e which, mado_loginfail_t *lf, int64_t now,
    mado_login_t *l)
{
    int64_t   wait;
    uint32_t  i;

    if (now - lf->since > mado_limits[which].window) {
        lf->failures = 0;
        lf->since = now;
    }

    if (lf->failures < UINT32_MAX) {
        lf->failures++;
    }

    l->failures[which] = lf->failures;

    if (lf->failures < mado_limits[which].failures) {
        return;
    }

    wait = mado_limits[which].wait;

    for (i = mado_limits[which].failures; i < lf->failures && wait < 3600;
         i++)
    {
        wait *= 2;
    }

    wait = wait > 3600 ? 3600 : wait;

    lf->until = now + wait;
    l->wait[which] = wait;
    l->set |= 1u << which;
}


int
mado_login_begin(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *addr, int64_t now, mado_login_t *l, mado_err_t *err)
{
    char              uk[MADO_TRIED_LEN + 1];
    int               rc;
    unsigned          i;
    MDB_val           k[MADO_NLIMITS];
    mado_loginfail_t  lf[MADO_NLIMITS];
    unsigned char     key[MADO_NLIMITS][MADO_ID_MAX + 1 + MADO_TEXT_MAX];

    memset(l, 0, sizeof(mado_login_t));

    if (strlen(user) > MADO_ID_MAX || strlen(addr) >= MADO_TEXT_MAX) {
        return mado_fail(err, MADO_EINVAL, "user or address too long");
    }

    /* an id typed that names no account is not kept: only a keyed hash */
    mado_tried_id(s, user, uk);
    user = uk;

    for (i = 0; i < MADO_NLIMITS; i++) {
        k[i].mv_data = key[i];
        k[i].mv_size = mado_login_key(s, i, user, addr, key[i]);
        mado_login_get(s, txn, i, &k[i], &lf[i]);
    }

    l->trusted = lf[MADO_LIMIT_PAIR].ok != 0
                 && now - lf[MADO_LIMIT_PAIR].ok <= MADO_LOGIN_TRUST;

    /* the pair first: its wait is the one a user's own typos make */
    for (i = 0; i < MADO_NLIMITS; i++) {
        if (lf[i].until > now && (i == MADO_LIMIT_PAIR || !l->trusted)) {
            l->retry_after = lf[i].until - now;
            l->held = i;
            return MADO_OK;
        }
    }

    for (i = 0; i < MADO_NLIMITS; i++) {
        if (i != MADO_LIMIT_PAIR && l->trusted) {
            continue;
        }

        mado_login_count(i, &lf[i], now, l);

        rc = mado_login_put(s, txn, i, &k[i], &lf[i], err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    return MADO_OK;
}


int
mado_login_succeeded(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *addr, int64_t now, const mado_login_t *l, mado_err_t *err)
{
    char              uk[MADO_TRIED_LEN + 1];
    int               rc;
    unsigned          i;
    MDB_val           k;
    mado_loginfail_t  lf;
    unsigned char     key[MADO_ID_MAX + 1 + MADO_TEXT_MAX];

    /* an id typed that names no account is not kept: only a keyed hash */
    mado_tried_id(s, user, uk);
    user = uk;

    for (i = 0; i < MADO_NLIMITS; i++) {
        if (i != MADO_LIMIT_PAIR && l->trusted) {
            continue;
        }

        k.mv_data = key;
        k.mv_size = mado_login_key(s, i, user, addr, key);
        mado_login_get(s, txn, i, &k, &lf);

        if (i == MADO_LIMIT_PAIR) {
            /* the account's own failures here are forgiven */
            lf.failures = 0;
            lf.since = now;
            lf.until = 0;
            lf.ok = now;

        } else {
            /* this attempt's count taken back, and a wait it began */
            if (lf.failures > 0) {
                lf.failures--;
            }

            if (l->set & (1u << i)) {
                lf.until = 0;
            }
        }

        rc = mado_login_put(s, txn, i, &k, &lf, err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    return MADO_OK;
}


int
mado_login_forget(mado_store_t *s, MDB_txn *txn, const char *user,
    mado_err_t *err)
{
    char              uk[MADO_TRIED_LEN + 1];
    int          rc;
    size_t       n;
    MDB_val      k, v;
    MDB_cursor  *cur;

    /* an id typed that names no account is not kept: only a keyed hash */
    mado_tried_id(s, user, uk);
    user = uk;

    rc = mdb_cursor_open(txn, s->login, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading failed logins", rc);
    }

    /* USER, then USER\0ADDRESS...: together in the key order */
    n = strlen(user);
    k.mv_data = (void *) user;
    k.mv_size = n;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0
         && k.mv_size >= n && memcmp(k.mv_data, user, n) == 0
         && (k.mv_size == n || ((char *) k.mv_data)[n] == '\0');
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            mdb_cursor_close(cur);
            return mado_mdb_fail(err, MADO_ESTORE, "forgetting failed "
                                 "logins", rc);
        }
    }

    mdb_cursor_close(cur);

    return MADO_OK;
}


void
mado_login_state(mado_store_t *s, MDB_txn *txn, const char *user,
    int64_t now, uint32_t *failures, int64_t *until)
{
    char              uk[MADO_TRIED_LEN + 1];
    MDB_val           k;
    mado_loginfail_t  lf;

    /* an id typed that names no account is not kept: only a keyed hash */
    mado_tried_id(s, user, uk);
    user = uk;

    k.mv_data = (void *) user;
    k.mv_size = strlen(user);
    mado_login_get(s, txn, MADO_LIMIT_ACCOUNT, &k, &lf);

    *failures = now - lf.since > MADO_ACCOUNT_WINDOW ? 0 : lf.failures;
    *until = lf.until;
}


int
mado_login_sweep(mado_store_t *s, MDB_txn *txn, int64_t now, uint64_t *n,
    mado_err_t *err)
{
    int               rc, pair;
    MDB_val           k, v;
    MDB_cursor       *cur;
    mado_loginfail_t  lf;

    *n = 0;

    rc = mdb_cursor_open(txn, s->login, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "sweeping failed logins", rc);
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        pair = memchr(k.mv_data, '\0', k.mv_size) != NULL;

        /* an unreadable record goes too */
        if (mado_loginfail_decode(v.mv_data, v.mv_size, &lf) == 0
            && (lf.until > now
                || now - lf.since <= (pair ? MADO_LOGIN_WINDOW
                                           : MADO_ACCOUNT_WINDOW)
                || (lf.ok != 0 && now - lf.ok <= MADO_LOGIN_TRUST)))
        {
            continue;
        }

        if (mdb_cursor_del(cur, 0) == 0) {
            (*n)++;
        }
    }

    mdb_cursor_close(cur);

    return MADO_OK;
}


/*
 * A test store is marked in meta when it is created (the first write of
 * "madoctl init --test-store", before its audit record), never later: a
 * store whose audit trail holds anything refuses the mark.
 */
int
mado_test_store_mark(mado_store_t *s, MDB_txn *txn, mado_err_t *err)
{
    int       rc;
    MDB_val   k, v;
    MDB_stat  st;

    rc = mdb_stat(txn, s->audit_db, &st);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the audit trail", rc);
    }

    if (st.ms_entries != 0) {
        return mado_fail(err, MADO_EINVAL,
                         "only a new store can be made a test store");
    }

    k.mv_data = MADO_TEST_STORE_KEY;
    k.mv_size = sizeof(MADO_TEST_STORE_KEY) - 1;
    v.mv_data = "1";
    v.mv_size = 1;

    rc = mdb_put(txn, s->meta, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "marking a test store", rc);
    }

    return MADO_OK;
}


/* 1 for a test store, 0 otherwise; txn NULL: in a read txn of its own */
int
mado_test_store(mado_store_t *s, MDB_txn *txn)
{
    int       rc, test;
    MDB_txn  *own;
    MDB_val   k, v;

    own = NULL;

    if (txn == NULL) {
        if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &own) != 0) {
            return 0;
        }
        txn = own;
    }

    k.mv_data = MADO_TEST_STORE_KEY;
    k.mv_size = sizeof(MADO_TEST_STORE_KEY) - 1;

    rc = mdb_get(txn, s->meta, &k, &v);
    test = (rc == 0 && v.mv_size == 1 && *(char *) v.mv_data == '1');

    if (own != NULL) {
        mdb_txn_abort(own);
    }

    return test;
}


/* ------------------------------------------------------------ verify */

typedef struct {
    char                id[MADO_ID_MAX + 1];
    uint32_t            state;
    uint64_t            seal_seq;
    uint64_t            last;           /* the last user.* record naming it */
    char                action[32];
    unsigned            stored:1;       /* in the account database */
} mado_seen_t;

typedef struct {
    mado_seen_t        *v;
    size_t              n;
    size_t              cap;
    int                 nomem;
} mado_seen_list_t;


static mado_seen_t *
mado_seen_find(mado_seen_list_t *l, const char *id, int add)
{
    size_t        i;
    mado_seen_t  *v;

    for (i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].id, id) == 0) {
            return &l->v[i];
        }
    }

    if (!add || strlen(id) > MADO_ID_MAX) {
        return NULL;
    }

    if (l->n == l->cap) {
        v = realloc(l->v, (l->cap ? 2 * l->cap : 16) * sizeof(mado_seen_t));
        if (v == NULL) {
            l->nomem = 1;
            return NULL;
        }
        l->v = v;
        l->cap = l->cap ? 2 * l->cap : 16;
    }

    v = &l->v[l->n++];
    memset(v, 0, sizeof(mado_seen_t));
    strcpy(v->id, id);

    return v;
}


static int
mado_seen_account(const mado_account_t *a, void *arg)
{
    mado_seen_t  *e;

    e = mado_seen_find(arg, a->id, 1);

    if (e != NULL) {
        e->state = a->seal_state;
        e->seal_seq = a->seal_seq;
        e->stored = 1;
    }

    return 0;
}


/* the changes madoctl made to accounts: user.* records with "user" */
static int
mado_seen_record(uint64_t seq, const char *json, size_t len, void *arg)
{
    yajl_val      root;
    mado_err_t    err;
    mado_seen_t  *e;
    const char   *action, *user;

    /* most records are counters': no JSON parsed for them (and one that
       does not open, NULL, is the trail's finding) */
    if (json == NULL
        || memmem(json, len, "\"action\":\"user.", 15) == NULL)
    {
        return 0;
    }

    root = mado_json_tree(json, len, &err);
    if (root == NULL) {
        return 0;
    }

    action = mado_json_str(root, "action");
    user = mado_json_str(root, "user");

    if (action != NULL && user != NULL && strncmp(action, "user.", 5) == 0) {
        e = mado_seen_find(arg, user, 1);

        if (e != NULL) {
            e->last = seq;
            snprintf(e->action, sizeof(e->action), "%s", action);
        }
    }

    yajl_tree_free(root);

    return 0;
}


int
mado_account_verify(mado_store_t *s, MDB_txn *txn,
    mado_account_finding_pt fn, void *arg, uint64_t *n, uint64_t *bad,
    mado_err_t *err)
{
    int                   rc;
    char                  why[384];
    size_t                i;
    mado_seen_t          *e;
    mado_seen_list_t      l;
    mado_audit_verify_t   res;

    *n = 0;
    *bad = 0;
    memset(&l, 0, sizeof(l));

    if (!s->audit) {
        return mado_fail(err, MADO_ESTORE, "no audit key: accounts are "
                         "sealed under it");
    }

    rc = mado_account_each(s, txn, mado_seen_account, &l, err);

    if (rc == MADO_OK) {
        rc = mado_audit_walk(s, txn, mado_seen_record, &l, &res, err);
    }

    if (rc == MADO_OK && l.nomem) {
        rc = mado_fail(err, MADO_ESTORE, "out of memory");
    }

    for (i = 0; rc == MADO_OK && i < l.n; i++) {
        e = &l.v[i];
        why[0] = '\0';

        if (e->stored) {
            (*n)++;
        }

        if (e->stored && e->state == MADO_SEAL_NONE) {
            snprintf(why, sizeof(why), "has no seal (made before accounts "
                     "were sealed, or put in outside madoctl): check it, "
                     "then \"madoctl user seal %s\"", e->id);

        } else if (e->stored && e->state == MADO_SEAL_UNREADABLE) {
            snprintf(why, sizeof(why), "does not open under the key: its "
                     "record was altered, or moved there from another "
                     "account's, outside madoctl (the id shown is its key's "
                     "first bytes)");

        } else if (e->stored && e->state != MADO_SEAL_OK) {
            snprintf(why, sizeof(why), "does not match its seal: it was "
                     "changed outside madoctl and the update API (or "
                     "copied from another account)");

        } else if (e->stored && e->last > e->seal_seq) {
            snprintf(why, sizeof(why), "is an older copy: sealed by record "
                     "%llu, but record %llu (%s) changed it since; redo that "
                     "change", (unsigned long long) e->seal_seq,
                     (unsigned long long) e->last, e->action);

        } else if (!e->stored && e->last
                   && strcmp(e->action, "user.delete") != 0)
        {
            snprintf(why, sizeof(why), "is gone, removed outside madoctl "
                     "(its last change: record %llu, %s)",
                     (unsigned long long) e->last, e->action);
        }

        if (why[0] != '\0') {
            (*bad)++;
            fn(e->id, why, arg);
        }
    }

    free(l.v);

    return rc;
}
