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
 * action and what changed, before and after), sealed with AES-256-GCM
 * (mado_record_seal: the actor and client name people).  The MAC is over
 * the JSON, not over the sealed bytes: records schema 1 wrote in clear are
 * sealed later in place (mado_crypt_migrate) with the chain, the head and
 * the anchor as they were, and a new seal key could seal them again the
 * same way.  A sealed record that does not open is broken like one whose
 * MAC does not match.
 *
 * The head lives in the store, so whoever can write the store can still
 * remove every record and the head (an empty trail verifies), or cut the
 * newest records and put back the head of an older copy: the chain is
 * intact, only shorter.  So the head is also kept outside the store, in
 * the anchor, a file next to the key (audit.key -> audit.anchor) of one
 * line:
 *
 *   mado-audit-anchor 1 seq=N time=ISO mac=HEX(mac(N)) check=HEX
 *   check = HMAC(key, "mado-audit-anchor" || the line up to " check=")
 *
 * Who may write it decides what it is worth: it is made 0600 for the
 * account that owns the key (mado, or root), and a file writable by group
 * or others is refused.  madoctl runs as that account; the nginx master
 * (root) opens it before the workers (www-data, the store's group) fork,
 * so they write through the inherited descriptor while other processes of
 * the store's group can neither open nor replace it.  A worker holds the
 * key too: one taken over can forge anything, the anchor included.
 *
 * Every writer moves the anchor forward after each commit that appended
 * records (mado_store_write): under a lock (fcntl for processes, a mutex
 * for the worker's threads), only to a higher record than the one it
 * names, so commits finishing out of order never move it back.  It is
 * rewritten in place, not appended, so that it stays one line; it is not
 * flushed: a power cut loses it with the store's own last second.  A
 * crash between commit and anchor leaves records after the anchor, which
 * verify accepts (they are chained under the key); a store whose trail
 * ends before the anchor's record, or holds another record there, fails.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
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
        /* only a missing key is made by init: one that exists but cannot
           be read (a unit run as mado, a key still root's) must be given
           to that user, never replaced */
        if (errno == ENOENT) {
            snprintf(err->text, sizeof(err->text), "audit key %s: %s (make "
                     "one with \"madoctl init\")", path, strerror(errno));

        } else {
            snprintf(err->text, sizeof(err->text), "audit key %s is "
                     "unreadable by uid %ld: %s (the writers' user must own "
                     "it, mode 0600: chown mado:mado %s)", path,
                     (long) geteuid(), strerror(errno), path);
        }

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
void
mado_audit_hmac(const unsigned char *key, const unsigned char *const *part,
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

    mado_audit_hmac(key, part, plen, 3, mac);
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

    mado_audit_hmac(key, part, plen, 2, mac);
}


int
mado_audit_append(mado_store_t *s, MDB_txn *txn, const char *json,
    size_t len, mado_err_t *err)
{
    int                 rc;
    size_t              slen;
    MDB_val             k, v;
    mado_audit_head_t   h;
    unsigned char       head[MADO_AUDIT_HEAD_SIZE], key[8], *rec, *sealed;
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

    rec = malloc(MADO_AUDIT_MAC_LEN + len + MADO_CRYPT_OVERHEAD);
    sealed = malloc(len + MADO_CRYPT_OVERHEAD);

    if (rec == NULL || sealed == NULL) {
        free(rec);
        free(sealed);
        snprintf(err->text, sizeof(err->text), "out of memory");
        return MADO_ESTORE;
    }

    /* this record's MAC over the one before, over the JSON: sealing it
       (or sealing later what an older version wrote in clear) leaves the
       chain as it is */
    h.seq++;
    mado_audit_mac(s->audit_key, h.seq, h.mac, json, len, mac);

    mado_audit_key(h.seq, key);

    rc = mado_record_seal(s, "audit", key, sizeof(key), json, len, sealed,
                          &slen, err);
    if (rc != MADO_OK) {
        free(rec);
        free(sealed);
        return rc;
    }

    k.mv_data = key;
    k.mv_size = sizeof(key);
    v.mv_data = rec;
    v.mv_size = mado_audit_record_encode(mac, (const char *) sealed, slen,
                                         rec);
    free(sealed);

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

    if (rc == 0) {
        /* for the anchor, once committed (its time: mado_audit_write) */
        s->anchor_next.seq = h.seq;
        memcpy(s->anchor_next.mac, h.mac, MADO_AUDIT_MAC_LEN);
        s->anchor_next.time[0] = '\0';
        s->anchor_due = 1;
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
    int                   rc, orc;
    size_t                jlen, blen;
    uint64_t              seq, expect;
    MDB_val               k, v;
    MDB_cursor           *cur;
    const char           *json, *body;
    mado_audit_head_t     h;
    const unsigned char  *rmac;
    unsigned char        *plain;
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
            || mado_audit_record_decode(v.mv_data, v.mv_size, &rmac, &body,
                                        &blen)
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

        /* sealed, or in clear as schema 1 wrote it */
        plain = malloc(blen ? blen : 1);
        if (plain == NULL) {
            mdb_cursor_close(cur);
            return mado_fail(err, MADO_ESTORE, "out of memory");
        }

        orc = mado_record_open(s, "audit", k.mv_data, k.mv_size, body, blen,
                               plain, &jlen);
        json = (orc == MADO_ESEAL) ? NULL : (const char *) plain;

        if (s->audit && !res->broken && json == NULL) {
            res->broken = seq;
            snprintf(res->why, sizeof(res->why), "record %llu does not "
                     "open under the key (altered, moved, or sealed under "
                     "another key)", (unsigned long long) seq);

        } else if (s->audit && !res->broken) {
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

        /* a record that does not open: fn gets NULL */
        if (fn != NULL) {
            rc = fn(seq, json, json ? jlen : 0, arg);
        }

        if (json != NULL) {
            OPENSSL_cleanse(plain, jlen);
        }
        free(plain);

        if (fn != NULL && rc != 0) {
            break;
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

    if (rc == MADO_OK) {
        memcpy(s->anchor_next.time, iso, sizeof(iso));
    }

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
                    | MADO_SJ_MESSAGE_TEXT | MADO_SJ_NOTICE);
    yajl_gen_map_close(g);
}


/* ------------------------------------------------------------ the anchor */

#define MADO_ANCHOR_MAGIC   "mado-audit-anchor"
#define MADO_ANCHOR_MAX     512

/* the threads of one process: fcntl locks exclude only other processes */
static pthread_mutex_t  mado_anchor_mutex = PTHREAD_MUTEX_INITIALIZER;


int
mado_anchor_path(const char *key_path, char *buf, size_t len)
{
    int     n;
    size_t  base;

    base = strlen(key_path);

    if (base > 4 && strcmp(key_path + base - 4, ".key") == 0) {
        base -= 4;
    }

    n = snprintf(buf, len, "%.*s.anchor", (int) base, key_path);

    return (n < 0 || (size_t) n >= len) ? -1 : 0;
}


int
mado_anchor_open(const char *path, int how, const char *key_path, int *fd,
    mado_err_t *err)
{
    int          flags;
    struct stat  sb, kb;

    flags = (how == MADO_ANCHOR_READ ? O_RDONLY : O_RDWR) | O_CLOEXEC;

    if (how == MADO_ANCHOR_CREATE) {
        flags |= O_CREAT;
    }

    *fd = open(path, flags, 0600);

    if (*fd == -1) {
        return mado_fail(err, errno == ENOENT ? MADO_ENOTFOUND : MADO_ESTORE,
                         "audit anchor %s: %s", path, strerror(errno));
    }

    if (fstat(*fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        return mado_fail(err, MADO_EINVAL, "audit anchor %s is not a file",
                         path);
    }

    /* made now by root: it belongs to whoever runs the writers, as the
       key does (madoctl init as root, then writes as mado) */
    if (how == MADO_ANCHOR_CREATE && sb.st_size == 0 && geteuid() == 0
        && key_path != NULL && stat(key_path, &kb) == 0
        && (sb.st_uid != kb.st_uid || sb.st_gid != kb.st_gid))
    {
        if (fchown(*fd, kb.st_uid, kb.st_gid) == -1) {
            close(*fd);
            *fd = -1;
            return mado_fail(err, MADO_ESTORE, "audit anchor %s: chown: %s",
                             path, strerror(errno));
        }
    }

    /* whoever may write it may put back an old head */
    if (sb.st_mode & 022) {
        close(*fd);
        *fd = -1;
        return mado_fail(err, MADO_EINVAL, "audit anchor %s must not be "
                         "writable by group or others (chmod 0600): whoever "
                         "can write it can put an old head back", path);
    }

    return MADO_OK;
}


static int
mado_anchor_lock(int fd, short type)
{
    struct flock  fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;

    while (fcntl(fd, F_SETLKW, &fl) == -1) {
        if (errno != EINTR) {
            return -1;
        }
    }

    return 0;
}


static void
mado_anchor_check_mac(const unsigned char *key, const char *line, size_t len,
    unsigned char *mac)
{
    const unsigned char  *part[2];
    size_t                plen[2];

    part[0] = (const unsigned char *) MADO_ANCHOR_MAGIC;
    plen[0] = sizeof(MADO_ANCHOR_MAGIC) - 1;
    part[1] = (const unsigned char *) line;
    plen[1] = len;

    mado_audit_hmac(key, part, plen, 2, mac);
}


/* the line of a, into buf (MADO_ANCHOR_MAX); its length */
static size_t
mado_anchor_format(const unsigned char *key, const mado_anchor_t *a,
    char *buf)
{
    int            n;
    char           hex[2 * MADO_AUDIT_MAC_LEN + 1];
    unsigned char  mac[MADO_AUDIT_MAC_LEN];

    mado_hex(a->mac, MADO_AUDIT_MAC_LEN, hex);

    n = snprintf(buf, MADO_ANCHOR_MAX, MADO_ANCHOR_MAGIC " 1 seq=%" PRIu64
                 " time=%s mac=%s", a->seq, a->time[0] ? a->time : "-", hex);

    mado_anchor_check_mac(key, buf, (size_t) n, mac);
    mado_hex(mac, MADO_AUDIT_MAC_LEN, hex);

    n += snprintf(buf + n, MADO_ANCHOR_MAX - n, " check=%s\n", hex);

    return (size_t) n;
}


/* the first line of buf: 0, or -1 if it is not an anchor under key */
static int
mado_anchor_parse(const unsigned char *key, char *buf, size_t len,
    mado_anchor_t *a)
{
    char           *check, *nl;
    char            time[32], mac[2 * MADO_AUDIT_MAC_LEN + 1];
    char            chk[2 * MADO_AUDIT_MAC_LEN + 1];
    unsigned char   want[MADO_AUDIT_MAC_LEN], got[MADO_AUDIT_MAC_LEN];

    buf[len] = '\0';

    nl = strchr(buf, '\n');
    check = strstr(buf, " check=");

    if (nl == NULL || check == NULL || check > nl) {
        return -1;
    }

    *nl = '\0';

    if (sscanf(buf, MADO_ANCHOR_MAGIC " 1 seq=%" SCNu64 " time=%31s "
               "mac=%64s check=%64s", &a->seq, time, mac, chk)
        != 4
        || mado_unhex(mac, a->mac, MADO_AUDIT_MAC_LEN) != 0
        || mado_unhex(chk, got, MADO_AUDIT_MAC_LEN) != 0)
    {
        return -1;
    }

    mado_anchor_check_mac(key, buf, check - buf, want);

    if (CRYPTO_memcmp(want, got, MADO_AUDIT_MAC_LEN) != 0) {
        return -1;
    }

    snprintf(a->time, sizeof(a->time), "%s", time);

    return 0;
}


int
mado_anchor_read(int fd, const unsigned char *key, mado_anchor_t *a,
    mado_err_t *err)
{
    int      rc;
    char     buf[MADO_ANCHOR_MAX + 1];
    ssize_t  n;

    memset(a, 0, sizeof(mado_anchor_t));

    if (mado_anchor_lock(fd, F_RDLCK) != 0) {
        return mado_fail(err, MADO_ESTORE, "locking the audit anchor: %s",
                         strerror(errno));
    }

    n = pread(fd, buf, MADO_ANCHOR_MAX, 0);
    rc = errno;

    (void) mado_anchor_lock(fd, F_UNLCK);

    if (n == -1) {
        return mado_fail(err, MADO_ESTORE, "reading the audit anchor: %s",
                         strerror(rc));
    }

    if (n == 0) {
        return mado_fail(err, MADO_ENOTFOUND, "the audit anchor is empty");
    }

    if (mado_anchor_parse(key, buf, (size_t) n, a) != 0) {
        return mado_fail(err, MADO_EINVAL, "the audit anchor is garbled or "
                         "was not made with this audit key");
    }

    return MADO_OK;
}


int
mado_anchor_write(int fd, const unsigned char *key, const mado_anchor_t *a,
    int force, mado_err_t *err)
{
    int            rc;
    char           buf[MADO_ANCHOR_MAX + 1];
    size_t         len;
    ssize_t        n;
    mado_anchor_t  cur;

    rc = MADO_OK;

    pthread_mutex_lock(&mado_anchor_mutex);

    if (mado_anchor_lock(fd, F_WRLCK) != 0) {
        pthread_mutex_unlock(&mado_anchor_mutex);
        return mado_fail(err, MADO_ESTORE, "locking the audit anchor: %s",
                         strerror(errno));
    }

    n = pread(fd, buf, MADO_ANCHOR_MAX, 0);

    /* a later commit's anchor came first: it stays */
    if (!force && n > 0 && mado_anchor_parse(key, buf, (size_t) n, &cur) == 0
        && cur.seq >= a->seq)
    {
        goto done;
    }

    len = mado_anchor_format(key, a, buf);

    if (pwrite(fd, buf, len, 0) != (ssize_t) len
        || ftruncate(fd, (off_t) len) == -1)
    {
        rc = mado_fail(err, MADO_ESTORE, "writing the audit anchor: %s",
                       strerror(errno));
    }

done:

    (void) mado_anchor_lock(fd, F_UNLCK);
    pthread_mutex_unlock(&mado_anchor_mutex);

    return rc;
}


int
mado_anchor_check(mado_store_t *s, MDB_txn *txn, const mado_anchor_t *a,
    const mado_audit_verify_t *res, mado_anchor_check_t *c, mado_err_t *err)
{
    int                   rc;
    size_t                blen;
    MDB_val               k, v;
    const char           *body;
    unsigned char         key[8];
    const unsigned char  *rmac;

    memset(c, 0, sizeof(mado_anchor_check_t));

    /* an intact trail runs from 1 without a gap */
    c->last = res->records;

    if (c->last < a->seq) {
        snprintf(c->why, sizeof(c->why), "the store's trail ends at record "
                 "%" PRIu64 " but the anchor names record %" PRIu64 " of %s: "
                 "records were removed from its end or the whole trail "
                 "wiped, an older copy of the store was put back, or a "
                 "power cut lost the last writes", c->last, a->seq, a->time);
        return MADO_OK;
    }

    if (a->seq > 0) {
        mado_audit_key(a->seq, key);
        k.mv_data = key;
        k.mv_size = sizeof(key);

        rc = mdb_get(txn, s->audit_db, &k, &v);
        if (rc != 0) {
            return mado_mdb_fail(err, MADO_ESTORE, "reading the audit trail",
                                 rc);
        }

        if (mado_audit_record_decode(v.mv_data, v.mv_size, &rmac, &body,
                                     &blen)
            != 0
            || CRYPTO_memcmp(rmac, a->mac, MADO_AUDIT_MAC_LEN) != 0)
        {
            snprintf(c->why, sizeof(c->why), "record %" PRIu64 " is not the "
                     "one the anchor names (of %s): the trail was replaced "
                     "by another", a->seq, a->time);
            return MADO_OK;
        }
    }

    c->after = c->last - a->seq;
    c->ok = 1;

    return MADO_OK;
}
