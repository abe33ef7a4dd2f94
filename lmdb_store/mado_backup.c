/*
 * Backups: the sealed file madoctl backup writes and madoctl restore
 * reads (mado_store.h, section 17, has the format), and the census both
 * compare: a copy is checked by opening it with LMDB, not trusted.
 *
 * The plain copy is only ever in a private directory of the caller
 * (mode 0700, beside the backup or the store) and removed once sealed or
 * restored; the backup itself holds it only sealed.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "mado_store.h"


int
mado_backup_key(const unsigned char *audit_key, unsigned char *out)
{
    return mado_crypt_derive(audit_key, MADO_AUDIT_KEY_LEN, NULL, 0,
                             MADO_BACKUP_LABEL, out, MADO_CRYPT_KEY_LEN);
}


int
mado_store_census(const char *dir, int nolock, mado_backup_info_t *info,
    mado_err_t *err)
{
    int                 rc;
    char                name[64], ver[16];
    MDB_env            *env;
    MDB_txn            *txn;
    MDB_dbi             main, dbi, meta;
    MDB_val             k, v;
    MDB_stat            st;
    MDB_cursor         *cur;
    mado_audit_head_t   h;

    info->schema = 0;
    info->records = 0;
    info->audit_seq = 0;
    memset(info->audit_mac, 0, sizeof(info->audit_mac));

    rc = mdb_env_create(&env);
    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "mdb_env_create: %s",
                         mdb_strerror(rc));
    }

    mdb_env_set_maxdbs(env, 32);

    rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS
                                | (nolock ? MDB_NOLOCK : 0), 0660);
    if (rc != 0) {
        mdb_env_close(env);
        return mado_fail(err, MADO_EINVAL, "%s is no LMDB store: %s", dir,
                         mdb_strerror(rc));
    }

    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        mdb_env_close(env);
        return mado_fail(err, MADO_ESTORE, "%s: %s", dir, mdb_strerror(rc));
    }

    /* the named databases are the keys of the main one */
    if ((rc = mdb_dbi_open(txn, NULL, 0, &main)) != 0
        || (rc = mdb_cursor_open(txn, main, &cur)) != 0)
    {
        mdb_txn_abort(txn);
        mdb_env_close(env);
        return mado_fail(err, MADO_EINVAL, "%s: %s", dir, mdb_strerror(rc));
    }

    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        if (k.mv_size == 0 || k.mv_size >= sizeof(name)) {
            continue;
        }

        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = '\0';

        if (mdb_dbi_open(txn, name, 0, &dbi) != 0) {
            /* a plain key of the main database, not a database */
            continue;
        }

        if (mdb_stat(txn, dbi, &st) == 0) {
            info->records += st.ms_entries;
        }
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        mdb_env_close(env);
        return mado_fail(err, MADO_EINVAL, "%s: reading it: %s", dir,
                         mdb_strerror(rc));
    }

    if (mdb_dbi_open(txn, "meta", 0, &meta) == 0) {
        k.mv_data = MADO_META_SCHEMA;
        k.mv_size = sizeof(MADO_META_SCHEMA) - 1;

        if (mdb_get(txn, meta, &k, &v) == 0 && v.mv_size > 0
            && v.mv_size < sizeof(ver))
        {
            memcpy(ver, v.mv_data, v.mv_size);
            ver[v.mv_size] = '\0';
            info->schema = (unsigned) atoi(ver);
        }

        k.mv_data = MADO_META_AUDIT_HEAD;
        k.mv_size = sizeof(MADO_META_AUDIT_HEAD) - 1;

        if (mdb_get(txn, meta, &k, &v) == 0
            && mado_audit_head_decode(v.mv_data, v.mv_size, &h) == 0)
        {
            info->audit_seq = h.seq;
            memcpy(info->audit_mac, h.mac, MADO_AUDIT_MAC_LEN);
        }
    }

    mdb_txn_abort(txn);
    mdb_env_close(env);

    return MADO_OK;
}


void
mado_backup_trailer(const mado_backup_info_t *info, unsigned char *buf)
{
    int   n;
    char  iso[32], mac[2 * MADO_AUDIT_MAC_LEN + 1];

    mado_time_iso(info->time, iso);
    mado_hex(info->audit_mac, MADO_AUDIT_MAC_LEN, mac);

    memset(buf, '\n', MADO_BACKUP_TRAILER);

    n = snprintf((char *) buf, MADO_BACKUP_TRAILER - 8,
                 "mado-backup %u\nschema=%u\ntxnid=%" PRIu64 "\ntime=%s\n"
                 "unix=%" PRId64 "\nrecords=%" PRIu64 "\naudit_seq=%" PRIu64
                 "\naudit_mac=%s\nsize=%" PRIu64 "\n", info->version,
                 info->schema, info->txnid, iso, info->time, info->records,
                 info->audit_seq, mac, info->size);

    /* snprintf's NUL back to padding (it always fits: some 300 bytes) */
    if (n > 0 && n < MADO_BACKUP_TRAILER - 8) {
        buf[n] = '\n';
    }

    memcpy(buf + MADO_BACKUP_TRAILER - 8, MADO_BACKUP_MAGIC, 8);
}


/* the number after "\nname=" in text; -1 if it has none */
static int
mado_backup_field(const char *text, const char *name, const char *fmt,
    void *out)
{
    char         key[32];
    const char  *p;

    snprintf(key, sizeof(key), "\n%s=", name);

    p = strstr(text, key);
    if (p == NULL || sscanf(p + strlen(key), fmt, out) != 1) {
        return -1;
    }

    return 0;
}


int
mado_backup_trailer_parse(const unsigned char *buf, mado_backup_info_t *info)
{
    char        text[MADO_BACKUP_TRAILER];
    char        mac[2 * MADO_AUDIT_MAC_LEN + 1];
    const char *p;

    memset(info, 0, sizeof(mado_backup_info_t));

    if (memcmp(buf + MADO_BACKUP_TRAILER - 8, MADO_BACKUP_MAGIC, 8) != 0) {
        return -1;
    }

    memcpy(text, buf, MADO_BACKUP_TRAILER - 8);
    text[MADO_BACKUP_TRAILER - 8] = '\0';

    if (sscanf(text, "mado-backup %u\n", &info->version) != 1
        || mado_backup_field(text, "schema", "%u", &info->schema) != 0
        || mado_backup_field(text, "txnid", "%" SCNu64, &info->txnid) != 0
        || mado_backup_field(text, "unix", "%" SCNd64, &info->time) != 0
        || mado_backup_field(text, "records", "%" SCNu64, &info->records)
           != 0
        || mado_backup_field(text, "audit_seq", "%" SCNu64, &info->audit_seq)
           != 0
        || mado_backup_field(text, "size", "%" SCNu64, &info->size) != 0)
    {
        return -1;
    }

    p = strstr(text, "\naudit_mac=");
    if (p == NULL || sscanf(p + 11, "%64[0-9a-f]", mac) != 1
        || mado_unhex(mac, info->audit_mac, MADO_AUDIT_MAC_LEN) != 0)
    {
        return -1;
    }

    return 0;
}


int
mado_backup_write(mado_store_t *s, const unsigned char *key, int out,
    const char *tmpdir, int64_t now, mado_backup_info_t *info,
    mado_err_t *err)
{
    int            rc, fd;
    char           path[4096];
    MDB_envinfo    ei;
    struct stat    sb;
    unsigned char  trailer[MADO_BACKUP_TRAILER];

    memset(info, 0, sizeof(mado_backup_info_t));

    if (mado_store_data_path(tmpdir, path, sizeof(path)) != 0) {
        return mado_fail(err, MADO_ESTORE, "%s: the path is too long",
                         tmpdir);
    }

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        return mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
    }

    /* the copy's read transaction begins inside mdb_env_copyfd2: it sees
       this transaction or a later one */
    mdb_env_info(s->env, &ei);
    info->txnid = ei.me_last_txnid;

    rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
    if (rc != 0) {
        rc = mado_fail(err, MADO_ESTORE, "copying the store: %s",
                       mdb_strerror(rc));
        goto done;
    }

    if (fstat(fd, &sb) == -1) {
        rc = mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
        goto done;
    }

    rc = mado_store_census(tmpdir, 1, info, err);
    if (rc != MADO_OK) {
        goto done;
    }

    info->version = MADO_BACKUP_VERSION;
    info->time = now;
    info->size = (uint64_t) sb.st_size;

    mado_backup_trailer(info, trailer);

    if (pwrite(fd, trailer, sizeof(trailer), sb.st_size)
        != (ssize_t) sizeof(trailer)
        || lseek(fd, 0, SEEK_SET) == -1)
    {
        rc = mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
        goto done;
    }

    rc = mado_crypt_seal_fd(key, MADO_KID_BACKUP, fd, out, err);

done:

    close(fd);
    unlink(path);

    return rc;
}


int
mado_backup_schema(const mado_backup_info_t *info, mado_err_t *err)
{
    if (info->schema < MADO_SCHEMA_OLDEST
        || info->schema > MADO_SCHEMA_VERSION)
    {
        return mado_fail(err, MADO_EINVAL, "a backup of a store of schema "
                         "%u; this build reads schemas %d to %d",
                         info->schema, MADO_SCHEMA_OLDEST,
                         MADO_SCHEMA_VERSION);
    }

    return MADO_OK;
}


int
mado_backup_read(const unsigned char *key, int in, const char *dir,
    unsigned mode, mado_backup_info_t *info, mado_err_t *err)
{
    int                  rc, fd;
    char                 path[4096];
    ssize_t              n;
    struct stat          sb;
    unsigned char        head[12], trailer[MADO_BACKUP_TRAILER];
    mado_backup_info_t   got;

    n = pread(in, head, sizeof(head), 0);

    if (n < 0) {
        return mado_fail(err, MADO_ESTORE, "reading it: %s", strerror(errno));
    }

    if (n < (ssize_t) sizeof(head) || memcmp(head, "MADOENC\x01", 8) != 0) {
        return mado_fail(err, MADO_EINVAL, "not a mado backup (no "
                         "\"MADOENC\" header: not a file madoctl sealed)");
    }

    if (head[8] != MADO_KID_BACKUP) {
        return mado_fail(err, MADO_EINVAL, "not a mado backup (a file mado "
                         "sealed for another purpose, key id %u)", head[8]);
    }

    if (lseek(in, 0, SEEK_SET) == -1) {
        return mado_fail(err, MADO_ESTORE, "reading it: %s", strerror(errno));
    }

    if (mado_store_data_path(dir, path, sizeof(path)) != 0) {
        return mado_fail(err, MADO_ESTORE, "%s: the path is too long", dir);
    }

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd == -1) {
        return mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
    }

    rc = mado_crypt_open_fd(key, in, fd, err);

    if (rc == MADO_EINVAL) {
        char  why[sizeof(err->text)];

        memcpy(why, err->text, sizeof(why));
        rc = mado_fail(err, MADO_EINVAL, "it does not open under this audit "
                       "key's backup key: made with another audit key, or "
                       "damaged or cut (%.400s)", why);
    }

    if (rc != MADO_OK) {
        goto failed;
    }

    if (fstat(fd, &sb) == -1) {
        rc = mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
        goto failed;
    }

    if (sb.st_size < MADO_BACKUP_TRAILER
        || pread(fd, trailer, sizeof(trailer),
                 sb.st_size - MADO_BACKUP_TRAILER)
           != (ssize_t) sizeof(trailer)
        || mado_backup_trailer_parse(trailer, info) != 0)
    {
        rc = mado_fail(err, MADO_EINVAL, "not a mado backup: it opens, but "
                       "holds no backup trailer");
        goto failed;
    }

    if (info->version != MADO_BACKUP_VERSION) {
        rc = mado_fail(err, MADO_EINVAL, "a backup of format %u; this build "
                       "reads format %d", info->version, MADO_BACKUP_VERSION);
        goto failed;
    }

    if (info->size + MADO_BACKUP_TRAILER != (uint64_t) sb.st_size) {
        rc = mado_fail(err, MADO_EINVAL, "the backup's trailer names %" PRIu64
                       " bytes of store, it holds %lld", info->size,
                       (long long) (sb.st_size - MADO_BACKUP_TRAILER));
        goto failed;
    }

    if (ftruncate(fd, (off_t) info->size) == -1 || fsync(fd) == -1) {
        rc = mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
        goto failed;
    }

    close(fd);
    fd = -1;

    rc = mado_store_census(dir, 1, &got, err);
    if (rc != MADO_OK) {
        rc = MADO_EINVAL;
        goto failed;
    }

    if (got.schema != info->schema || got.records != info->records
        || got.audit_seq != info->audit_seq
        || CRYPTO_memcmp(got.audit_mac, info->audit_mac, MADO_AUDIT_MAC_LEN)
           != 0)
    {
        rc = mado_fail(err, MADO_EINVAL, "the copy inside does not match "
                       "its trailer (schema %u, %" PRIu64 " records, audit "
                       "record %" PRIu64 "; the trailer says %u, %" PRIu64
                       ", %" PRIu64 ")", got.schema, got.records,
                       got.audit_seq, info->schema, info->records,
                       info->audit_seq);
        goto failed;
    }

    return MADO_OK;

failed:

    if (fd != -1) {
        close(fd);
    }

    return rc;
}
