/*
 * madoctl backup, restore, migrate.
 *
 * backup: a compacted copy of the store taken while writes go on, sealed
 * (mado_backup.c) into a temporary file beside the backup, flushed,
 * opened again and checked with LMDB, then renamed into place.
 *
 * restore: the backup opened and checked into a new directory beside the
 * store (same filesystem, its own lock.mdb), its trail verified and a
 * "restore" record appended to it; then, holding the write transaction of
 * the store in place, the two directories are exchanged at once
 * (renameat2 RENAME_EXCHANGE: there is never a moment without a store),
 * the anchor is moved to the restore record, and the old store is marked
 * retired in that transaction, so that a writer that still has it open
 * (an nginx worker, "feed --follow") gets MADO_ERETIRED and opens the
 * directory again instead of writing where nobody reads.  Readers notice
 * the new data.mdb by its inode (the module, at most once a second) and
 * reopen.  The old store is kept aside, renamed STORE.before-restore-TIME.
 *
 * migrate: the schema's changes in one transaction.
 */

#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "madoctl.h"


#define MC_PATH_MAX     4096


/* dir and base of path (trailing slashes dropped); -1 if too long */
static int
mc_split_path(const char *path, char *dir, char *base)
{
    size_t       len;
    const char  *slash;

    len = strlen(path);

    while (len > 1 && path[len - 1] == '/') {
        len--;
    }

    if (len == 0 || len >= MC_PATH_MAX) {
        return -1;
    }

    memcpy(dir, path, len);
    dir[len] = '\0';

    slash = strrchr(dir, '/');

    if (slash == NULL) {
        strcpy(base, dir);
        strcpy(dir, ".");

    } else {
        strcpy(base, slash + 1);

        if (slash == dir) {
            dir[1] = '\0';
        } else {
            dir[slash - dir] = '\0';
        }
    }

    return base[0] == '\0' ? -1 : 0;
}


/* what a rename in dir did survives a power cut */
static void
mc_sync_dir(const char *dir)
{
    int  fd;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd != -1) {
        (void) fsync(fd);
        close(fd);
    }
}


/* a private directory's data.mdb and lock.mdb, and the directory */
static void
mc_remove_private(const char *dir)
{
    char  path[MC_PATH_MAX + 256];

    snprintf(path, sizeof(path), "%.4000s/data.mdb", dir);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%.4000s/lock.mdb", dir);
    (void) unlink(path);
    (void) rmdir(dir);
}


/* "20261127T120000" in Japan time */
static void
mc_stamp(int64_t t, char *buf, size_t len)
{
    time_t     jst;
    struct tm  tm;

    jst = (time_t) (t + MADO_TZ_OFFSET);
    gmtime_r(&jst, &tm);
    strftime(buf, len, "%Y%m%dT%H%M%S", &tm);
}


static int
mc_backup_keyfile(mc_ctx_t *ctx, unsigned char *key)
{
    mado_err_t     err;
    unsigned char  audit[MADO_AUDIT_KEY_LEN];

    if (mado_audit_key_load(ctx->audit_key, audit, &err) != MADO_OK) {
        mc_error("%s; backups are sealed under a key derived from it",
                 err.text);
        return MC_EXIT_STORE;
    }

    if (mado_backup_key(audit, key) != 0) {
        OPENSSL_cleanse(audit, sizeof(audit));
        mc_error("no HKDF for the backup key");
        return MC_EXIT_STORE;
    }

    OPENSSL_cleanse(audit, sizeof(audit));

    return MC_EXIT_OK;
}


/* ---------------------------------------------------------------- backup */

/* names the timer's backups have: mado-YYYYMMDDTHHMMSS[-N].mbk */
static int
mc_backup_name(const struct dirent *d)
{
    size_t  len;

    len = strlen(d->d_name);

    return len >= 24 && strncmp(d->d_name, "mado-", 5) == 0
           && strcmp(d->d_name + len - 4, ".mbk") == 0
           && d->d_name[13] == 'T';
}


/* by the time in the name, then the -N of a second one in that second */
static int
mc_backup_order(const struct dirent **a, const struct dirent **b)
{
    int          c;
    const char  *x, *y;

    x = (*a)->d_name;
    y = (*b)->d_name;

    c = strncmp(x + 5, y + 5, 15);
    if (c != 0) {
        return c;
    }

    return (x[20] == '-' ? atoi(x + 21) : 0)
           - (y[20] == '-' ? atoi(y + 21) : 0);
}


static int
mc_backup_keep(const char *dir, const char *made, uint32_t keep)
{
    int              i, n, others, removed;
    char             path[MC_PATH_MAX + 300];
    struct dirent  **names;

    n = scandir(dir, &names, mc_backup_name, mc_backup_order);
    if (n < 0) {
        mc_error("--keep: listing %s: %s", dir, strerror(errno));
        return MC_EXIT_STORE;
    }

    /* the one just made is kept whatever its name says, and counts */
    for (i = 0, others = 0; i < n; i++) {
        others += strcmp(names[i]->d_name, made) != 0;
    }

    removed = 0;

    /* oldest first: all but the newest keep - 1 others go */
    for (i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, made) != 0 && others-- > (int) keep - 1) {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);

            if (unlink(path) == 0) {
                printf("removed the older backup %s\n", path);
                removed++;

            } else {
                mc_error("--keep: removing %s: %s", path, strerror(errno));
            }
        }

        free(names[i]);
    }

    free(names);

    if (removed) {
        mc_sync_dir(dir);
    }

    return MC_EXIT_OK;
}


int
mc_cmd_backup(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, fd;
    char                         dir[MC_PATH_MAX], base[MC_PATH_MAX];
    char                         target[MC_PATH_MAX + 64];
    char                         tmp[MC_PATH_MAX + 64];
    char                         priv[MC_PATH_MAX + 64];
    char                         stamp[32], iso[32];
    uint32_t                     keep;
    mado_err_t                   err;
    struct stat                  sb;
    mado_store_t                 s;
    unsigned char                key[MADO_CRYPT_KEY_LEN];
    mado_backup_info_t           info, chk;
    const char                  *a_dir, *a_keep;
    static const char *const     names[] = { "FILE", NULL };
    static const struct option   opts[] = {
        { "dir",  required_argument, NULL, 'd' },
        { "keep", required_argument, NULL, 'k' },
        { "help", no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    a_dir = a_keep = NULL;
    keep = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {
        case 'd': a_dir = optarg; break;
        case 'k': a_keep = optarg; break;
        case 'h': return mc_help("backup");
        default:  return mc_getopt_error("backup", c, argv);
        }
    }

    if (a_dir == NULL) {
        if (a_keep != NULL) {
            return mc_usage_error("backup", "--keep goes with --dir");
        }

        if ((rc = mc_args("backup", argc, argv, names, 1)) != MC_EXIT_OK) {
            return rc;
        }

    } else if (optind != argc) {
        return mc_usage_error("backup", "FILE or --dir DIR, not both");
    }

    if (a_keep != NULL && mc_parse_uint("--keep", a_keep, 1, 100000, &keep)) {
        return MC_EXIT_REFUSED;
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    /* where it goes: its directory must be there (--dir: made 0700) */
    if (a_dir != NULL) {
        if (strlen(a_dir) >= MC_PATH_MAX) {
            mc_error("--dir: the path is too long");
            return MC_EXIT_REFUSED;
        }

        strcpy(dir, a_dir);

        if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
            mc_error("--dir: cannot make %s: %s", dir, strerror(errno));
            return errno == ENOENT ? MC_EXIT_REFUSED : MC_EXIT_STORE;
        }

        mc_stamp(ctx->now, stamp, sizeof(stamp));
        snprintf(target, sizeof(target), "%s/mado-%s.mbk", dir, stamp);

        /* two in one second: the second is -2, then -3 */
        for (c = 2; access(target, F_OK) == 0 && c < 100; c++) {
            snprintf(target, sizeof(target), "%s/mado-%s-%d.mbk", dir, stamp,
                     c);
        }

    } else {
        if (mc_split_path(argv[optind], dir, base) != 0) {
            mc_error("FILE: \"%s\" is no file name", argv[optind]);
            return MC_EXIT_REFUSED;
        }

        snprintf(target, sizeof(target), "%s", argv[optind]);
    }

    if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
        mc_error("the directory %s for the backup does not exist; make it "
                 "first, readable only by who makes backups (mkdir -m 0700 "
                 "%s), or use --dir, which makes it", dir, dir);
        return MC_EXIT_REFUSED;
    }

    if (stat(target, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        mc_error("FILE: %s is a directory (--dir DIR makes dated backups "
                 "in it)", target);
        return MC_EXIT_REFUSED;
    }

    if ((rc = mc_backup_keyfile(ctx, key)) != MC_EXIT_OK) {
        return rc;
    }

    /*
     * Read-only, and as LMDB alone: the copy is LMDB's own read
     * transaction, and a store of a schema this build does not know is
     * copied too (a restore says whether it reads it)
     */
    memset(&s, 0, sizeof(s));
    s.anchor_fd = -1;

    rc = mdb_env_create(&s.env);

    if (rc == 0) {
        mdb_env_set_maxdbs(s.env, 32);
        rc = mdb_env_open(s.env, ctx->store, MDB_RDONLY | MDB_NOTLS, 0660);
    }

    if (rc != 0) {
        mado_store_close(&s);
        OPENSSL_cleanse(key, sizeof(key));
        mc_error("cannot open the store %s: %s", ctx->store,
                 mdb_strerror(rc));
        return MC_EXIT_STORE;
    }

    /* the plain copy in a private directory beside the backup */
    snprintf(priv, sizeof(priv), "%s/.mado-backup-XXXXXX", dir);
    snprintf(tmp, sizeof(tmp), "%s/.mado-backup-XXXXXX.mbk", dir);

    if (mkdtemp(priv) == NULL) {
        mado_store_close(&s);
        OPENSSL_cleanse(key, sizeof(key));
        mc_error("cannot make a private directory in %s: %s", dir,
                 strerror(errno));
        return MC_EXIT_STORE;
    }

    fd = mkstemps(tmp, 4);
    if (fd == -1) {
        rc = mado_fail(&err, MADO_ESTORE, "cannot make a file in %s: %s",
                       dir, strerror(errno));
        goto failed;
    }

    (void) fchmod(fd, 0600);

    rc = mado_backup_write(&s, key, fd, priv, ctx->now, &info, &err);

    if (rc == MADO_OK && info.schema == 0) {
        rc = mado_fail(&err, MADO_ESTORE, "%s is no mado store (no schema "
                       "version)", ctx->store);
    }

    if (rc == MADO_OK && fsync(fd) == -1) {
        rc = mado_fail(&err, MADO_ESTORE, "%s: %s", tmp, strerror(errno));
    }

    /* checked as a restore will read it: opened, cut, counted by LMDB */
    if (rc == MADO_OK) {
        rc = mado_backup_read(key, fd, priv, 0600, &chk, &err);

        if (rc == MADO_OK
            && (chk.records != info.records || chk.schema != info.schema
                || chk.txnid != info.txnid || chk.size != info.size))
        {
            rc = mado_fail(&err, MADO_ESTORE, "the backup read back does "
                           "not match the copy");
        }

        if (rc != MADO_OK) {
            char  why[sizeof(err.text)];

            memcpy(why, err.text, sizeof(why));
            rc = mado_fail(&err, MADO_ESTORE, "the backup written does not "
                           "check: %.400s", why);
        }
    }

    if (rc == MADO_OK && fstat(fd, &sb) == -1) {
        rc = mado_fail(&err, MADO_ESTORE, "%s: %s", tmp, strerror(errno));
    }

    close(fd);
    fd = -1;

    if (rc == MADO_OK && rename(tmp, target) == -1) {
        rc = mado_fail(&err, MADO_ESTORE, "renaming %s to %s: %s", tmp,
                       target, strerror(errno));
    }

    if (rc != MADO_OK) {
        goto failed;
    }

    mc_sync_dir(dir);
    mc_remove_private(priv);
    mado_store_close(&s);
    OPENSSL_cleanse(key, sizeof(key));

    mado_time_iso(info.time, iso);

    printf("backup %s: schema %u, %" PRIu64 " records, audit record %"
           PRIu64 ", transaction %" PRIu64 ", %lld bytes (a store of %"
           PRIu64 " bytes, compacted), made %s\n", target, info.schema,
           info.records, info.audit_seq, info.txnid, (long long) sb.st_size,
           info.size, iso);

    if (keep) {
        return mc_backup_keep(dir, strrchr(target, '/') + 1, keep);
    }

    return MC_EXIT_OK;

failed:

    if (fd != -1) {
        close(fd);
    }

    (void) unlink(tmp);
    mc_remove_private(priv);
    mado_store_close(&s);
    OPENSSL_cleanse(key, sizeof(key));
    mc_error("backup: %s; nothing written", err.text);

    return mc_exit_code(rc);
}


/* --------------------------------------------------------------- restore */

typedef struct {
    mc_ctx_t               *ctx;
    const char             *file;
    const char             *aside;
    mado_backup_info_t      info;
    char                    old_seq[24];
    char                    old_mac[2 * MADO_AUDIT_MAC_LEN + 1];
    char                    anchor[96];
} mc_restore_t;


static int
mc_restore_record(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    char           iso[32], recs[24], seq[24];
    mc_restore_t  *r = arg;
    const char    *extra[] = { "file", r->file, "backup_time", iso,
                               "backup_records", recs,
                               "backup_audit_seq", seq,
                               "replaced_audit_seq", r->old_seq,
                               "replaced_audit_mac", r->old_mac,
                               "replaced_anchor", r->anchor,
                               "store_aside", r->aside, NULL };

    mado_time_iso(r->info.time, iso);
    snprintf(recs, sizeof(recs), "%" PRIu64, r->info.records);
    snprintf(seq, sizeof(seq), "%" PRIu64, r->info.audit_seq);

    return mc_audit(s, txn, r->ctx->now, "restore", NULL, NULL, NULL, NULL,
                    extra, err);
}


/* the new store's files as the old one's: owner, group, mode */
static int
mc_restore_own(const char *path, const struct stat *like, int is_dir)
{
    if (geteuid() == 0
        && chown(path, like->st_uid, like->st_gid) == -1)
    {
        return -1;
    }

    return chmod(path, like->st_mode & (is_dir ? 07777 : 0777));
}


int
mc_cmd_restore(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          rc, in, afd, exchanged;
    char                         parent[MC_PATH_MAX], base[MC_PATH_MAX];
    char                         fresh[2 * MC_PATH_MAX + 32];
    char                         aside[MC_PATH_MAX + 96];
    char                         path[2 * MC_PATH_MAX + 64];
    char                         stamp[32], why[256], iso[32];
    char                         file[PATH_MAX];
    MDB_txn                     *txn;
    MDB_val                      k, v;
    mado_err_t                   err;
    struct stat                  sd, sf, sl;
    mado_store_t                 ns, os;
    mc_restore_t                 r;
    mado_anchor_t                anchor;
    mado_audit_head_t            h;
    mado_audit_verify_t          res;
    unsigned char                key[MADO_CRYPT_KEY_LEN];
    static const char *const     names[] = { "FILE", NULL };

    if ((rc = mc_no_options("restore", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("restore", argc, argv, names, 1)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    memset(&r, 0, sizeof(r));
    r.ctx = ctx;

    /* the record names the file wherever restore ran from */
    r.file = realpath(argv[optind], file) ? file : argv[optind];

    /* the store in place, and its parent, where the two are exchanged */
    if (mc_split_path(ctx->store, parent, base) != 0) {
        mc_error("--store: \"%s\" is no directory name", ctx->store);
        return MC_EXIT_REFUSED;
    }

    if (stat(ctx->store, &sd) == -1 || !S_ISDIR(sd.st_mode)) {
        mc_error("the store %s is not a directory (%s); a restore replaces "
                 "a store: make one with \"madoctl init\" first",
                 ctx->store, errno ? strerror(errno) : "a file");
        return MC_EXIT_STORE;
    }

    if (access(parent, W_OK) == -1) {
        mc_error("the store's parent directory %s is not writable (%s): a "
                 "restore makes the new store beside the old one and "
                 "exchanges the two there; make it writable by who restores "
                 "(as /var/lib/mado is: mado:www-data 2770)", parent,
                 strerror(errno));
        return MC_EXIT_STORE;
    }

    snprintf(path, sizeof(path), "%s/data.mdb", ctx->store);
    if (stat(path, &sf) == -1) {
        mc_error("no store in %s (%s); make one with \"madoctl init\" "
                 "first", ctx->store, strerror(errno));
        return MC_EXIT_STORE;
    }

    snprintf(path, sizeof(path), "%s/lock.mdb", ctx->store);
    if (stat(path, &sl) == -1) {
        sl = sf;
    }

    in = open(r.file, O_RDONLY | O_CLOEXEC);
    if (in == -1) {
        mc_error("FILE: %s: %s", r.file, strerror(errno));
        return errno == ENOENT ? MC_EXIT_REFUSED : MC_EXIT_STORE;
    }

    /* not "make one with madoctl init": a new key opens no backup */
    if (access(ctx->audit_key, F_OK) == -1 && errno == ENOENT) {
        close(in);
        mc_error("restore refused: the audit key %s is not there; a backup "
                 "opens only under the audit key it was made under: put that "
                 "one back from where it is kept apart (a new key does not "
                 "open it; after \"madoctl destroy\" nothing does); nothing "
                 "changed", ctx->audit_key);
        return MC_EXIT_STORE;
    }

    if ((rc = mc_backup_keyfile(ctx, key)) != MC_EXIT_OK) {
        close(in);
        return rc;
    }

    /* the backup, opened and checked into a new directory beside */
    snprintf(fresh, sizeof(fresh), "%.4000s/.%.1000s.restore-XXXXXX", parent,
             base);

    if (mkdtemp(fresh) == NULL) {
        close(in);
        OPENSSL_cleanse(key, sizeof(key));
        mc_error("cannot make a directory in %s: %s", parent,
                 strerror(errno));
        return MC_EXIT_STORE;
    }

    memset(&ns, 0, sizeof(ns));
    memset(&os, 0, sizeof(os));
    afd = -1;
    exchanged = 0;

    rc = mado_backup_read(key, in, fresh, 0600, &r.info, &err);
    close(in);
    OPENSSL_cleanse(key, sizeof(key));

    if (rc == MADO_OK) {
        rc = mado_backup_schema(&r.info, &err);
    }

    if (rc != MADO_OK) {
        char  w[sizeof(err.text)];

        memcpy(w, err.text, sizeof(w));
        mado_fail(&err, rc, "%s: %.450s", r.file, w);
        goto refused;
    }

    /* the restored trail verifies under the key */
    if (mc_store_open(&(mc_ctx_t) { .store = fresh,
                                    .audit_key = ctx->audit_key },
                      &ns, MC_OPEN_NOANCHOR)
        != MC_EXIT_OK)
    {
        rc = mado_fail(&err, MADO_ESTORE, "%s: the store inside does not "
                       "open (said above)", r.file);
        goto refused;
    }

    rc = mado_store_read_begin(&ns, &txn, &err);

    if (rc == MADO_OK) {
        rc = mado_audit_walk(&ns, txn, NULL, NULL, &res, &err);
        mdb_txn_abort(txn);
    }

    if (rc == MADO_OK && res.broken) {
        rc = mado_fail(&err, MADO_EINVAL, "%s: the audit trail inside is "
                       "broken at record %llu: %s", r.file,
                       (unsigned long long) res.broken, res.why);
    }

    if (rc != MADO_OK) {
        goto refused;
    }

    /* the anchor, moved to the restore record once the store is in place */
    if (mado_anchor_open(mc_anchor_path(ctx), MADO_ANCHOR_CREATE,
                         ctx->audit_key, &afd, &err)
        != MADO_OK)
    {
        rc = MADO_ESTORE;
        goto refused;
    }

    if (mado_anchor_read(afd, ns.audit_key, &anchor, &err) == MADO_OK) {
        snprintf(r.anchor, sizeof(r.anchor), "record %" PRIu64 " of %s",
                 anchor.seq, anchor.time);
    } else {
        snprintf(r.anchor, sizeof(r.anchor), "none");
    }

    /* the store in place: its write transaction held across the exchange */
    rc = mado_store_open(&os, ctx->store, 0, 0, &err);
    if (rc != MADO_OK) {
        goto refused;
    }

    for ( ;; ) {
        rc = mdb_txn_begin(os.env, NULL, 0, &txn);

        if (rc != MDB_MAP_RESIZED) {
            break;
        }

        mdb_env_set_mapsize(os.env, 0);
    }

    if (rc != 0) {
        rc = mado_fail(&err, MADO_ESTORE, "write transaction of %s: %s",
                       ctx->store, mdb_strerror(rc));
        goto refused;
    }

    k.mv_data = MADO_META_AUDIT_HEAD;
    k.mv_size = sizeof(MADO_META_AUDIT_HEAD) - 1;

    if (mdb_get(txn, os.meta, &k, &v) == 0
        && mado_audit_head_decode(v.mv_data, v.mv_size, &h) == 0)
    {
        snprintf(r.old_seq, sizeof(r.old_seq), "%" PRIu64, h.seq);
        mado_hex(h.mac, MADO_AUDIT_MAC_LEN, r.old_mac);

    } else {
        snprintf(r.old_seq, sizeof(r.old_seq), "0");
    }

    mc_stamp(ctx->now, stamp, sizeof(stamp));
    snprintf(aside, sizeof(aside), "%s.before-restore-%s", ctx->store,
             stamp);

    for (rc = 2; access(aside, F_OK) == 0 && rc < 100; rc++) {
        snprintf(aside, sizeof(aside), "%s.before-restore-%s-%d",
                 ctx->store, stamp, rc);
    }

    r.aside = aside;

    /* the restore's own record, first of what the restored trail adds */
    rc = mado_store_write(&ns, mc_restore_record, &r, &err);

    if (rc == MADO_OK) {
        snprintf(why, sizeof(why), "this store was put aside by \"madoctl "
                 "restore %.100s\" at %s", r.file,
                 (mado_time_iso(ctx->now, iso), iso));
        rc = mado_store_retire(&os, txn, why, &err);
    }

    /* the new store's files as the old one's, for the workers */
    if (rc == MADO_OK) {
        snprintf(path, sizeof(path), "%s/data.mdb", fresh);

        if (mc_restore_own(path, &sf, 0) == -1) {
            rc = mado_fail(&err, MADO_ESTORE, "%s: %s", path,
                           strerror(errno));
        }

        snprintf(path, sizeof(path), "%s/lock.mdb", fresh);

        if (rc == MADO_OK && mc_restore_own(path, &sl, 0) == -1) {
            rc = mado_fail(&err, MADO_ESTORE, "%s: %s", path,
                           strerror(errno));
        }

        if (rc == MADO_OK && mc_restore_own(fresh, &sd, 1) == -1) {
            rc = mado_fail(&err, MADO_ESTORE, "%s: %s", fresh,
                           strerror(errno));
        }
    }

    if (rc == MADO_OK && mado_store_sync(&ns, &err) != MADO_OK) {
        rc = MADO_ESTORE;
    }

    if (rc == MADO_OK
        && renameat2(AT_FDCWD, fresh, AT_FDCWD, ctx->store, RENAME_EXCHANGE)
           == -1)
    {
        rc = mado_fail(&err, MADO_ESTORE, "exchanging %s and %s: %s", fresh,
                       ctx->store, strerror(errno));
    }

    if (rc != MADO_OK) {
        mdb_txn_abort(txn);
        goto refused;
    }

    exchanged = 1;

    /* the restore record is the trail's end now: back, on purpose */
    if (mado_anchor_write(afd, ns.audit_key, &ns.anchor_next, 1, &err)
        != MADO_OK)
    {
        mc_error("warning: the store is restored, but %s; run \"madoctl "
                 "audit anchor --reset\"", err.text);
    }

    rc = mdb_txn_commit(txn);

    if (rc != 0) {
        mc_error("warning: the store is restored, but the old one (now %s) "
                 "could not be marked retired: %s; writers that still have "
                 "it open may write there: reload nginx and restart the "
                 "feeds", fresh, mdb_strerror(rc));
    }

    mc_sync_dir(parent);
    mado_store_close(&os);
    mado_store_close(&ns);
    close(afd);

    if (rename(fresh, aside) == -1) {
        mc_error("warning: the old store stays in %s (renaming it to %s: "
                 "%s)", fresh, aside, strerror(errno));
        snprintf(aside, sizeof(aside), "%.4000s", fresh);

    } else {
        mc_sync_dir(parent);
    }

    mado_time_iso(r.info.time, iso);

    printf("restored %s (made %s: schema %u, %" PRIu64 " records, audit "
           "record %" PRIu64 ") into %s\n", r.file, iso, r.info.schema,
           r.info.records, r.info.audit_seq, ctx->store);
    printf("the audit trail goes on at record %" PRIu64 " (\"restore\"), "
           "which the anchor names now (it named %s)\n", ns.anchor_next.seq,
           r.anchor);
    printf("the old store is kept in %s (audit record %s): remove it when "
           "no longer needed\n", aside, r.old_seq);

    return MC_EXIT_OK;

refused:

    (void) exchanged;

    if (afd != -1) {
        close(afd);
    }

    mado_store_close(&os);
    mado_store_close(&ns);
    mc_remove_private(fresh);
    mc_error("restore refused: %s; nothing changed", err.text);

    return rc == MADO_ESTORE ? MC_EXIT_STORE : MC_EXIT_REFUSED;
}


/* --------------------------------------------------------------- migrate */

#define MC_MIGRATE_NONE     100     /* a write of nothing: aborted */
#define MC_MIGRATE_BATCH    4096    /* records a call collects */

typedef struct {
    mc_ctx_t               *ctx;
    int                     check;
    unsigned                from;
    mado_crypt_migrate_t    st;
} mc_migrate_t;


static int
mc_migrate_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int            rc;
    char           from[16], to[16], au[24], ac[24], se[24], ks[24];
    char           ver[24];
    MDB_val                k, v;
    mc_migrate_t          *m = arg;
    mado_crypt_migrate_t   batch;
    const char    *extra[] = { "schema_from", from, "schema_to", to,
                               "audit_records_sealed", au,
                               "accounts_sealed", ac,
                               "sessions_sealed", se,
                               "keys_hashed", ks, NULL };

    memset(&m->st, 0, sizeof(m->st));
    m->from = 0;

    k.mv_data = MADO_META_SCHEMA;
    k.mv_size = sizeof(MADO_META_SCHEMA) - 1;

    if (mdb_get(txn, s->meta, &k, &v) == 0 && v.mv_size < sizeof(ver)) {
        memcpy(ver, v.mv_data, v.mv_size);
        ver[v.mv_size] = '\0';
        m->from = (unsigned) atoi(ver);
    }

    /* 1 -> 2: what names people sealed or hashed, all in this one
       transaction, a batch of records at a time */
    do {
        rc = mado_crypt_migrate(s, txn, MC_MIGRATE_BATCH, &batch, err);
        if (rc != MADO_OK) {
            return rc;
        }

        m->st.audit += batch.audit;
        m->st.accounts += batch.accounts;
        m->st.sessions += batch.sessions;
        m->st.keys += batch.keys;

    } while (batch.more);

    if (m->check
        || (m->from == MADO_SCHEMA_VERSION
            && m->st.audit + m->st.accounts + m->st.sessions + m->st.keys
               == 0))
    {
        /* counted only, or nothing to do: no write, no record */
        return MC_MIGRATE_NONE;
    }

    v.mv_size = mado_meta_number(MADO_SCHEMA_VERSION, ver);
    v.mv_data = ver;

    rc = mdb_put(txn, s->meta, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing the schema version",
                             rc);
    }

    snprintf(from, sizeof(from), "%u", m->from);
    snprintf(to, sizeof(to), "%d", MADO_SCHEMA_VERSION);
    snprintf(au, sizeof(au), "%" PRIu64, m->st.audit);
    snprintf(ac, sizeof(ac), "%" PRIu64, m->st.accounts);
    snprintf(se, sizeof(se), "%" PRIu64, m->st.sessions);
    snprintf(ks, sizeof(ks), "%" PRIu64, m->st.keys);

    return mc_audit(s, txn, m->ctx->now, "migrate", NULL, NULL, NULL, NULL,
                    extra, err);
}


int
mc_cmd_migrate(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, needed;
    mado_err_t                   err;
    mado_store_t                 s;
    mc_migrate_t                 m;
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "check", no_argument, NULL, 'c' },
        { "help",  no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&m, 0, sizeof(m));
    m.ctx = ctx;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {
        case 'c': m.check = 1; break;
        case 'h': return mc_help("migrate");
        default:  return mc_getopt_error("migrate", c, argv);
        }
    }

    if ((rc = mc_args("migrate", argc, argv, names, 0)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    /* a writer that leaves the version to the migration's transaction */
    rc = mc_store_open(ctx, &s, MADO_OPEN_KEEP_SCHEMA
                                | (m.check ? MC_OPEN_NOANCHOR : 0));
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    rc = mado_store_write(&s, mc_migrate_write, &m, &err);
    mado_store_close(&s);

    if (rc != MADO_OK && rc != MC_MIGRATE_NONE) {
        mc_error("migrate: %s; nothing changed", err.text);
        return mc_exit_code(rc);
    }

    needed = m.from != MADO_SCHEMA_VERSION
             || m.st.audit + m.st.accounts + m.st.sessions + m.st.keys;

    if (!needed) {
        printf("the store is at schema %d, this build's: nothing to "
               "migrate\n", MADO_SCHEMA_VERSION);
        return MC_EXIT_OK;
    }

    printf("%s the store from schema %u to %d: %s %" PRIu64 " audit "
           "records, %" PRIu64 " accounts, %" PRIu64 " sessions; %s %"
           PRIu64 " keys of counts\n",
           m.check ? "a migration is needed:" : "migrated", m.from,
           MADO_SCHEMA_VERSION, m.check ? "would seal" : "sealed",
           m.st.audit, m.st.accounts, m.st.sessions,
           m.check ? "would hash" : "hashed", m.st.keys);

    return m.check ? MC_EXIT_REFUSED : MC_EXIT_OK;
}
