/*
 * The audit trail: every write appends a record in the same transaction
 * as the change it describes.  Records are chained with HMAC-SHA-256
 * under a key kept outside the store, so that one altered, removed or
 * inserted record, or a cut tail, shows in "madoctl audit verify" even to
 * someone who can write the store but cannot read the key:
 *
 *   mac(n)  = HMAC(key, be64(n) || mac(n-1) || json(n))     mac(0) = 0^32
 *   head    = be64(last) || mac(last) || HMAC(key, "head" || the two)
 *
 * A record is its MAC followed by one line of JSON (time, actor, client,
 * action and what changed, before and after), so that it reads as it is.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mado_store.h"


static const unsigned char  mado_zero_mac[MADO_AUDIT_MAC_LEN];


int
mado_audit_key_load(const char *path, unsigned char key[MADO_AUDIT_KEY_LEN],
    mado_err_t *err)
{
    int           fd;
    char          hex[2 * MADO_AUDIT_KEY_LEN + 2];
    ssize_t       n;
    unsigned      i, b;
    struct stat   sb;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        snprintf(err->text, sizeof(err->text), "audit key %s: %s (make one "
                 "with \"madoctl init\")", path, strerror(errno));
        return MADO_ESTORE;
    }

    /* readable by others is a key given away */
    if (fstat(fd, &sb) == -1 || (sb.st_mode & 077)) {
        close(fd);
        snprintf(err->text, sizeof(err->text), "audit key %s must be mode "
                 "0600 (readable by its owner only)", path);
        return MADO_ESTORE;
    }

    n = read(fd, hex, sizeof(hex));
    close(fd);

    if (n < 2 * MADO_AUDIT_KEY_LEN) {
        snprintf(err->text, sizeof(err->text), "audit key %s is not %d hex "
                 "digits", path, 2 * MADO_AUDIT_KEY_LEN);
        return MADO_ESTORE;
    }

    for (i = 0; i < MADO_AUDIT_KEY_LEN; i++) {
        if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
            snprintf(err->text, sizeof(err->text), "audit key %s is not %d "
                     "hex digits", path, 2 * MADO_AUDIT_KEY_LEN);
            return MADO_ESTORE;
        }
        key[i] = (unsigned char) b;
    }

    return MADO_OK;
}


int
mado_audit_key_create(const char *path, mado_err_t *err)
{
    int            fd;
    char           hex[2 * MADO_AUDIT_KEY_LEN + 2];
    unsigned       i;
    unsigned char  key[MADO_AUDIT_KEY_LEN];

    if (RAND_bytes(key, sizeof(key)) != 1) {
        snprintf(err->text, sizeof(err->text), "no random bytes for the "
                 "audit key");
        return MADO_ESTORE;
    }

    for (i = 0; i < MADO_AUDIT_KEY_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }

    hex[2 * MADO_AUDIT_KEY_LEN] = '\n';
    OPENSSL_cleanse(key, sizeof(key));

    /* never over an existing key: the chain would no longer verify */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        snprintf(err->text, sizeof(err->text), "audit key %s: %s", path,
                 strerror(errno));
        return errno == EEXIST ? MADO_EINVAL : MADO_ESTORE;
    }

    if (write(fd, hex, 2 * MADO_AUDIT_KEY_LEN + 1)
        != 2 * MADO_AUDIT_KEY_LEN + 1
        || fsync(fd) == -1)
    {
        close(fd);
        unlink(path);
        snprintf(err->text, sizeof(err->text), "audit key %s: %s", path,
                 strerror(errno));
        return MADO_ESTORE;
    }

    OPENSSL_cleanse(hex, sizeof(hex));
    close(fd);

    return MADO_OK;
}


/* HMAC-SHA-256 of the concatenation of n parts (EVP_Q_mac, OpenSSL 3) */
static void
mado_hmac(const unsigned char *key, const unsigned char *const *part,
    const size_t *len, int n, unsigned char *mac)
{
    int             i;
    size_t          total, off, out;
    unsigned char  *buf;

    for (i = 0, total = 0; i < n; i++) {
        total += len[i];
    }

    buf = malloc(total ? total : 1);

    if (buf == NULL) {
        /* a MAC that never verifies rather than a wrong one */
        memset(mac, 0, MADO_AUDIT_MAC_LEN);
        return;
    }

    for (i = 0, off = 0; i < n; i++) {
        memcpy(buf + off, part[i], len[i]);
        off += len[i];
    }

    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key,
                  MADO_AUDIT_KEY_LEN, buf, total, mac, MADO_AUDIT_MAC_LEN, &out)
        == NULL)
    {
        memset(mac, 0, MADO_AUDIT_MAC_LEN);
    }

    free(buf);
}


static void
mado_audit_mac(const unsigned char *key, uint64_t seq,
    const unsigned char *prev, const char *json, size_t len,
    unsigned char *mac)
{
    unsigned char         be[8];
    const unsigned char  *part[3];
    size_t                plen[3];

    mado_be64_put(be, seq);

    part[0] = be;                               plen[0] = 8;
    part[1] = prev;                             plen[1] = MADO_AUDIT_MAC_LEN;
    part[2] = (const unsigned char *) json;     plen[2] = len;

    mado_hmac(key, part, plen, 3, mac);
}


/* the head's own MAC, over its number and the last record's MAC */
static void
mado_audit_head_mac(const unsigned char *key, const mado_audit_head_t *h,
    unsigned char *mac)
{
    unsigned char         head[MADO_AUDIT_HEAD_SIZE];
    const unsigned char  *part[2];
    size_t                plen[2];

    mado_audit_head_encode(h, head);

    part[0] = (const unsigned char *) "head";
    plen[0] = 4;
    part[1] = head;
    plen[1] = 8 + MADO_AUDIT_MAC_LEN;

    mado_hmac(key, part, plen, 2, mac);
}


int
mado_audit_append(mado_store_t *s, MDB_txn *txn, const char *json,
    size_t len, mado_err_t *err)
{
    int                 rc;
    MDB_val             k, v;
    mado_audit_head_t   h;
    unsigned char       head[MADO_AUDIT_HEAD_SIZE], key[8], *rec;
    unsigned char       mac[MADO_AUDIT_MAC_LEN];

    if (!s->audit) {
        snprintf(err->text, sizeof(err->text), "no audit key: writes are "
                 "refused without their audit record");
        return MADO_ESTORE;
    }

    k.mv_data = MADO_META_AUDIT_HEAD;
    k.mv_size = sizeof(MADO_META_AUDIT_HEAD) - 1;

    rc = mdb_get(txn, s->meta, &k, &v);

    if (rc == MDB_NOTFOUND) {
        memset(&h, 0, sizeof(mado_audit_head_t));
        memcpy(h.mac, mado_zero_mac, MADO_AUDIT_MAC_LEN);

    } else if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the audit head", rc);

    } else if (mado_audit_head_decode(v.mv_data, v.mv_size, &h) != 0) {
        snprintf(err->text, sizeof(err->text), "the audit head is garbled; "
                 "run \"madoctl audit verify\"");
        return MADO_ESTORE;
    }

    rec = malloc(MADO_AUDIT_MAC_LEN + len);
    if (rec == NULL) {
        snprintf(err->text, sizeof(err->text), "out of memory");
        return MADO_ESTORE;
    }

    /* this record's MAC over the one before */
    h.seq++;
    mado_audit_mac(s->audit_key, h.seq, h.mac, json, len, mac);

    mado_audit_key(h.seq, key);
    k.mv_data = key;
    k.mv_size = sizeof(key);
    v.mv_data = rec;
    v.mv_size = mado_audit_record_encode(mac, json, len, rec);

    /* a record never replaces one */
    rc = mdb_put(txn, s->audit_db, &k, &v, MDB_NOOVERWRITE);

    if (rc == 0) {
        memcpy(h.mac, mac, MADO_AUDIT_MAC_LEN);
        mado_audit_head_mac(s->audit_key, &h, h.head_mac);
        mado_audit_head_encode(&h, head);

        k.mv_data = MADO_META_AUDIT_HEAD;
        k.mv_size = sizeof(MADO_META_AUDIT_HEAD) - 1;
        v.mv_data = head;
        v.mv_size = sizeof(head);
        rc = mdb_put(txn, s->meta, &k, &v, 0);
    }

    free(rec);

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing an audit record", rc);
    }

    return MADO_OK;
}


int
mado_audit_walk(mado_store_t *s, MDB_txn *txn, mado_audit_pt fn, void *arg,
    mado_audit_verify_t *res, mado_err_t *err)
{
    int                   rc;
    size_t                jlen;
    uint64_t              seq, expect;
    MDB_val               k, v;
    MDB_cursor           *cur;
    const char           *json;
    mado_audit_head_t     h;
    const unsigned char  *rmac;
    unsigned char         prev[MADO_AUDIT_MAC_LEN], mac[MADO_AUDIT_MAC_LEN];
    unsigned char         hmac[MADO_AUDIT_MAC_LEN];

    memset(res, 0, sizeof(mado_audit_verify_t));
    memcpy(prev, mado_zero_mac, MADO_AUDIT_MAC_LEN);
    expect = 1;

    rc = mdb_cursor_open(txn, s->audit_db, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the audit trail", rc);
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (mado_audit_key_decode(k.mv_data, k.mv_size, &seq) != 0
            || mado_audit_record_decode(v.mv_data, v.mv_size, &rmac, &json,
                                        &jlen)
               != 0)
        {
            if (!res->broken) {
                res->broken = expect;
                snprintf(res->why, sizeof(res->why), "record after %llu "
                         "has a malformed key or value",
                         (unsigned long long) (expect - 1));
            }
            continue;
        }

        if (!res->broken && seq != expect) {
            res->broken = seq > expect ? expect : seq;
            snprintf(res->why, sizeof(res->why), seq > expect
                     ? "record %llu is missing (removed)"
                     : "record %llu is out of order (inserted)",
                     (unsigned long long) res->broken);
        }

        if (s->audit && !res->broken) {
            mado_audit_mac(s->audit_key, seq, prev, json, jlen, mac);

            if (CRYPTO_memcmp(mac, rmac, MADO_AUDIT_MAC_LEN) != 0) {
                res->broken = seq;
                snprintf(res->why, sizeof(res->why), "record %llu does not "
                         "match its MAC (altered, or inserted)",
                         (unsigned long long) seq);
            }
        }

        memcpy(prev, rmac, MADO_AUDIT_MAC_LEN);
        expect = seq + 1;
        res->records++;

        if (fn != NULL) {
            rc = fn(seq, json, jlen, arg);
            if (rc != 0) {
                break;
            }
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND && fn == NULL) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the audit trail", rc);
    }

    if (fn != NULL || !s->audit || res->broken) {
        return MADO_OK;
    }

    /* the head: the last record is the one it names, under the key */
    k.mv_data = MADO_META_AUDIT_HEAD;
    k.mv_size = sizeof(MADO_META_AUDIT_HEAD) - 1;
    rc = mdb_get(txn, s->meta, &k, &v);

    if (rc == MDB_NOTFOUND) {
        if (res->records) {
            res->broken = 1;
            snprintf(res->why, sizeof(res->why), "the audit head is missing");
        }
        return MADO_OK;
    }

    if (rc != 0 || mado_audit_head_decode(v.mv_data, v.mv_size, &h) != 0) {
        res->broken = expect;
        snprintf(res->why, sizeof(res->why), "the audit head is garbled");
        return MADO_OK;
    }

    mado_audit_head_mac(s->audit_key, &h, hmac);

    if (CRYPTO_memcmp(hmac, h.head_mac, MADO_AUDIT_MAC_LEN) != 0) {
        res->broken = h.seq;
        snprintf(res->why, sizeof(res->why), "the audit head does not match "
                 "its MAC (altered)");

    } else if (h.seq != expect - 1
               || CRYPTO_memcmp(h.mac, prev, MADO_AUDIT_MAC_LEN) != 0)
    {
        res->broken = h.seq > expect - 1 ? expect : h.seq + 1;
        snprintf(res->why, sizeof(res->why), "the trail ends at record %llu "
                 "but its head names record %llu (records removed from the "
                 "end, or added after it)", (unsigned long long) (expect - 1),
                 (unsigned long long) h.seq);
    }

    return MADO_OK;
}


int
mado_audit_write(mado_store_t *s, MDB_txn *txn, int64_t now,
    const char *actor, const char *client, const char *action,
    const char *office, const char *counter,
    const mado_counter_state_t *before, const mado_counter_state_t *after,
    const char *const *extra, mado_err_t *err)
{
    int                    rc;
    char                   iso[32];
    size_t                 len;
    yajl_gen               g;
    const unsigned char   *buf;

#define K(x)  yajl_gen_string(g, (const unsigned char *) (x), strlen(x))

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        snprintf(err->text, sizeof(err->text), "out of memory");
        return MADO_ESTORE;
    }

    yajl_gen_map_open(g);
    K("time");
    len = mado_time_iso(now, iso);
    yajl_gen_string(g, (const unsigned char *) iso, len);
    K("actor");   K(actor);
    K("client");  K(client);
    K("action");  K(action);

    if (office != NULL) {
        K("office");
        K(office);
    }

    if (counter != NULL) {
        K("counter");
        K(counter);
    }

    for ( /* void */ ; extra != NULL && extra[0] != NULL; extra += 2) {
        K(extra[0]);
        K(extra[1]);
    }

    if (before != NULL || after != NULL) {
        mado_audit_gen_state(g, "before", before);
        mado_audit_gen_state(g, "after", after);
    }

    yajl_gen_map_close(g);

#undef K

    yajl_gen_get_buf(g, &buf, &len);
    rc = mado_audit_append(s, txn, (const char *) buf, len, err);
    yajl_gen_free(g);

    return rc;
}


/*
 * {"status":..,"waiting":..,...,"message":".."} of a state, for before
 * and after (a status out of range, which no writer makes, reads closed)
 */
void
mado_audit_gen_state(yajl_gen g, const char *key,
    const mado_counter_state_t *st)
{
    yajl_gen_string(g, (const unsigned char *) key, strlen(key));

    if (st == NULL) {
        yajl_gen_null(g);
        return;
    }

    yajl_gen_map_open(g);
    mado_state_json(g, NULL, NULL, st, 0,
                    MADO_SJ_LAST_ISSUED | MADO_SJ_COUNTS | MADO_SJ_MESSAGE
                    | MADO_SJ_MESSAGE_TEXT);
    yajl_gen_map_close(g);
}
