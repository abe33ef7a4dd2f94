/*
 * madoctl destroy: at the contract's end (情報取扱注意事項 第10 の 2:
 * 復元不可能な方法による処分), after an explicit confirmation, make the
 * store, the backups and the keys unreadable, and print a signed receipt
 * of what was destroyed when.
 *
 * Order: the keys first (the audit key, and any --key), so that whatever
 * is sealed under them (the store's sealed records, every backup, copies
 * of either elsewhere) is unreadable from that moment; then the anchor,
 * the store's files, the stores "madoctl restore" kept aside beside it
 * (STORE.before-restore-TIME, and a .STORE.restore-XXXXXX a killed
 * restore left), the backups and any --also.  Each file is overwritten
 * in place with random bytes, flushed (fsync), then unlinked.  Killed part
 * way, the worst left is a store without its key; "--resume" finishes.
 *
 * Overwriting in place is what a program can do; a journaling or
 * copy-on-write file system, an SSD's remapped blocks or a snapshot may
 * keep older copies.  The keys being gone is the guarantee for what they
 * seal (crypto-erase); docs/admin.md says what else to do (LUKS key
 * slots).
 *
 * The receipt is signed with Ed25519 (a key made for it, or --sign-key),
 * its public key in it; "--verify-receipt" checks one.
 */

/* nftw, and its FTW_ flags */
#define _GNU_SOURCE

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "madoctl.h"


#define MC_DESTROY_BACKUPS  "/var/backups/mado"
#define MC_DESTROY_BACKUP_ENV  "/etc/mado/backup.env"
#define MC_DESTROY_EXTRA    8           /* --key, --also each */
#define MC_RECEIPT_MAX      (1024 * 1024)
#define MC_RECEIPT_MAGIC    "mado destruction receipt 1\n"


void
mc_key_fingerprint(const unsigned char *key, char *out)
{
    unsigned char  fp[MC_FINGERPRINT_LEN / 2];

    if (mado_crypt_derive(key, MADO_AUDIT_KEY_LEN, NULL, 0,
                          "mado key fingerprint v1", fp, sizeof(fp))
        != 0)
    {
        snprintf(out, MC_FINGERPRINT_LEN + 1, "unknown");
        return;
    }

    mado_hex(fp, sizeof(fp), out);
}


/* ------------------------------------------------------------ the plan */

enum {
    MC_T_KEY = 0,           /* a key file */
    MC_T_FILE,              /* a file */
    MC_T_TREE               /* a directory: its files, then itself */
};

typedef struct {
    int                 kind;
    const char         *what;       /* "audit key", "store", ... */
    char                path[PATH_MAX];
    int                 present;
    int                 required;   /* missing: refused (not with --resume) */
    int                 aside;      /* a store restore left beside ours */
    int                 lock_fd;    /* aside: its lock.mdb, held */
    uint64_t            files, bytes;   /* trees: found beforehand */
    char                fingerprint[MC_FINGERPRINT_LEN + 1];
} mc_target_t;

typedef struct {
    mc_target_t        *t;          /* as many as restore left stores */
    unsigned            n, nalloc;
    dev_t               dev;        /* the file system of the store's parent */
    /* the receipt as it grows */
    char               *buf;
    size_t              len, cap;
    mc_ctx_t           *ctx;
    int                 failed;
} mc_destroy_t;


static void mc_rc_add(mc_destroy_t *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


static void
mc_rc_add(mc_destroy_t *d, const char *fmt, ...)
{
    int       n;
    char     *p;
    va_list   ap;

    for ( ;; ) {
        va_start(ap, fmt);
        n = vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap);
        va_end(ap);

        if (n >= 0 && (size_t) n < d->cap - d->len) {
            d->len += (size_t) n;
            return;
        }

        p = realloc(d->buf, d->cap * 2);
        if (p == NULL) {
            d->failed = 1;
            return;
        }

        d->buf = p;
        d->cap *= 2;
    }
}


/* now, as an ISO 8601 time in Japan (MADO_NOW too, for tests) */
static const char *
mc_destroy_now(mc_destroy_t *d)
{
    static char  iso[32];

    mc_clock(d->ctx);
    iso[mado_time_iso(d->ctx->now, iso)] = '\0';

    return iso;
}


/* checking a tree beforehand: what nftw finds; anything but files,
   directories and links is refused (a wrong path: /dev, a mount) */
static mc_target_t  *mc_tree_target;
static const char   *mc_tree_bad;

static int
mc_tree_count(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
    (void) ftw;

    if (type == FTW_F && S_ISREG(sb->st_mode)) {
        mc_tree_target->files++;
        mc_tree_target->bytes += (uint64_t) sb->st_size;
        return 0;
    }

    if (type == FTW_D || type == FTW_DP || type == FTW_SL
        || type == FTW_SLN)
    {
        return 0;
    }

    mc_tree_bad = path;
    return 1;
}


/*
 * MADO_BACKUP_DIR as mado-backup.service reads it from its EnvironmentFile
 * (MADO_BACKUP_ENV, default /etc/mado/backup.env): KEY=VALUE lines, "#"
 * comments, the value optionally quoted.  1 when it names a directory.
 */
static int
mc_destroy_backup_env(char *out, size_t len)
{
    int          found;
    char         line[PATH_MAX + 64], *v, *e;
    FILE        *f;
    const char  *file;

    file = getenv("MADO_BACKUP_ENV");

    f = fopen(file ? file : MC_DESTROY_BACKUP_ENV, "r");
    if (f == NULL) {
        return 0;
    }

    found = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        v = line + strspn(line, " \t");

        if (strncmp(v, "MADO_BACKUP_DIR=", 16) != 0) {
            continue;
        }

        v += 16;
        e = v + strcspn(v, "\r\n");

        while (e > v && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }

        if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
            v++;
            e--;
        }

        *e = '\0';

        /* the last one wins, as in systemd */
        found = *v == '/' && (size_t) (e - v) < len;

        if (found) {
            memcpy(out, v, (size_t) (e - v) + 1);
        }
    }

    fclose(f);

    return found;
}


static int
mc_destroy_add(mc_destroy_t *d, int kind, const char *what, const char *path,
    int required)
{
    mc_target_t  *t;

    if (d->n == d->nalloc) {
        t = realloc(d->t, (d->nalloc + 16) * sizeof(mc_target_t));
        if (t == NULL) {
            mc_error("out of memory; nothing destroyed");
            return MC_EXIT_STORE;
        }

        d->t = t;
        d->nalloc += 16;
    }

    t = &d->t[d->n++];
    memset(t, 0, sizeof(mc_target_t));
    t->lock_fd = -1;
    t->kind = kind;
    t->what = what;
    t->required = required;

    if (snprintf(t->path, sizeof(t->path), "%s", path)
        >= (int) sizeof(t->path))
    {
        mc_error("%s %s: the path is too long", what, path);
        return MC_EXIT_REFUSED;
    }

    return MC_EXIT_OK;
}


/* path made absolute: its directory resolved, its last part kept */
static int
mc_absolute(char *path, size_t size)
{
    char   dir[PATH_MAX], real[PATH_MAX], base[PATH_MAX], *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');

    if (slash == NULL) {
        snprintf(base, sizeof(base), "%s", dir);
        snprintf(dir, sizeof(dir), ".");

    } else {
        snprintf(base, sizeof(base), "%s", slash + 1);

        if (slash == dir) {
            dir[1] = '\0';
        } else {
            *slash = '\0';
        }
    }

    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        /* "dir/", ".": the directory itself */
        if (realpath(path, real) == NULL) {
            return -1;
        }
        snprintf(path, size, "%s", real);
        return 0;
    }

    if (realpath(dir, real) == NULL) {
        return -1;
    }

    if (snprintf(path, size, "%s%s%s", real, strcmp(real, "/") ? "/" : "",
                 base) >= (int) size)
    {
        errno = ENAMETOOLONG;
        return -1;
    }

    return 0;
}


/*
 * The stores "madoctl restore" (cmd_backup.c) leaves beside the store are
 * the store's data too: the one it replaced, STORE.before-restore-
 * YYYYMMDDTHHMMSS[-N], and, from a restore killed part way, its
 * .STORE.restore-XXXXXX (the backup being opened, or the old store when
 * the rename after the exchange failed).  Only names made exactly so.
 * 1: kept aside, 2: a restore's own, 0: another file.
 */
static int
mc_aside_kind(const char *name, const char *base)
{
    size_t  n, i;

    n = strlen(base);

    if (strncmp(name, base, n) == 0
        && strncmp(name + n, ".before-restore-", 16) == 0)
    {
        name += n + 16;

        for (i = 0; i < 15; i++) {
            if (i == 8 ? name[i] != 'T' : !isdigit((unsigned char) name[i])) {
                return 0;
            }
        }

        name += 15;

        /* -N: a second restore in the same second */
        if (*name == '-' && isdigit((unsigned char) name[1])) {
            for (name++; isdigit((unsigned char) *name); name++) { }
        }

        return *name == '\0' ? 1 : 0;
    }

    if (name[0] == '.' && strncmp(name + 1, base, n) == 0
        && strncmp(name + 1 + n, ".restore-", 9) == 0)
    {
        name += 1 + n + 9;

        /* mkdtemp's XXXXXX */
        for (i = 0; i < 6; i++) {
            if (!isalnum((unsigned char) name[i])) {
                return 0;
            }
        }

        return name[6] == '\0' ? 2 : 0;
    }

    return 0;
}


static const char  *mc_aside_base;

static int
mc_aside_name(const struct dirent *de)
{
    return mc_aside_kind(de->d_name, mc_aside_base) != 0;
}


/* the stores restore left beside the store, as trees to destroy */
static int
mc_destroy_find_aside(mc_destroy_t *d, const char *store)
{
    int              i, n, rc, kind;
    char             parent[PATH_MAX], base[PATH_MAX], path[PATH_MAX];
    size_t           len;
    struct stat      sb;
    const char      *slash;
    struct dirent  **names;

    /* as restore splits it: trailing slashes dropped */
    len = strlen(store);

    while (len > 1 && store[len - 1] == '/') {
        len--;
    }

    if (len == 0 || len >= sizeof(parent)) {
        mc_error("store %s: no directory name; nothing destroyed", store);
        return MC_EXIT_REFUSED;
    }

    memcpy(parent, store, len);
    parent[len] = '\0';
    slash = strrchr(parent, '/');

    if (slash == NULL) {
        snprintf(base, sizeof(base), "%s", parent);
        snprintf(parent, sizeof(parent), ".");

    } else {
        snprintf(base, sizeof(base), "%s", slash + 1);
        parent[slash == parent ? 1 : slash - parent] = '\0';
    }

    if (stat(parent, &sb) == -1) {
        if (errno == ENOENT) {
            return MC_EXIT_OK;      /* the store's own check says it */
        }

        mc_error("the store's parent directory %s: %s; nothing destroyed",
                 parent, strerror(errno));
        return MC_EXIT_REFUSED;
    }

    d->dev = sb.st_dev;
    mc_aside_base = base;

    n = scandir(parent, &names, mc_aside_name, alphasort);
    if (n < 0) {
        mc_error("listing %s for stores kept aside by restore: %s; nothing "
                 "destroyed", parent, strerror(errno));
        return MC_EXIT_REFUSED;
    }

    rc = MC_EXIT_OK;

    for (i = 0; i < n; i++) {
        kind = mc_aside_kind(names[i]->d_name, base);

        if (rc == MC_EXIT_OK) {
            if (snprintf(path, sizeof(path), "%s/%s",
                         strcmp(parent, "/") ? parent : "", names[i]->d_name)
                >= (int) sizeof(path))
            {
                mc_error("%s/%s: the path is too long; nothing destroyed",
                         parent, names[i]->d_name);
                rc = MC_EXIT_REFUSED;
                free(names[i]);
                continue;
            }

            rc = mc_destroy_add(d, MC_T_TREE,
                                kind == 1 ? "store kept aside by restore"
                                          : "unfinished restore's store",
                                path, 0);

            if (rc == MC_EXIT_OK) {
                d->t[d->n - 1].aside = 1;
            }
        }

        free(names[i]);
    }

    free(names);

    return rc;
}


/*
 * Every target checked before anything is touched: it exists (or, with
 * resume, is noted as gone), it is of its kind, and nothing of it is
 * what must not be destroyed.
 */
static int
mc_destroy_check(mc_destroy_t *d, int resume)
{
    unsigned      i;
    struct stat   sb;
    mc_target_t  *t;
    unsigned char key[MADO_AUDIT_KEY_LEN];
    mado_err_t    err;

    for (i = 0; i < d->n; i++) {
        t = &d->t[i];

        if (lstat(t->path, &sb) == -1) {
            if (errno != ENOENT) {
                mc_error("%s %s: %s; nothing destroyed", t->what, t->path,
                         strerror(errno));
                return MC_EXIT_REFUSED;
            }

            if (t->required && !resume) {
                mc_error("%s %s: no such file or directory; nothing "
                         "destroyed (a wrong path? if an earlier destroy "
                         "was interrupted, --resume goes on without it)",
                         t->what, t->path);
                return MC_EXIT_REFUSED;
            }

            continue;
        }

        t->present = 1;

        /* the receipt names absolute paths */
        if (mc_absolute(t->path, sizeof(t->path)) != 0) {
            mc_error("%s %s: %s; nothing destroyed", t->what, t->path,
                     strerror(errno));
            return MC_EXIT_REFUSED;
        }

        if (t->kind != MC_T_TREE && !S_ISREG(sb.st_mode)) {
            mc_error("%s %s: not a regular file; nothing destroyed",
                     t->what, t->path);
            return MC_EXIT_REFUSED;
        }

        if (t->kind == MC_T_TREE) {
            if (!S_ISDIR(sb.st_mode)) {
                mc_error("%s %s: not a directory; nothing destroyed",
                         t->what, t->path);
                return MC_EXIT_REFUSED;
            }

            /* beside the store by a rename: on its file system, or it is
               something else (a mount point named so) */
            if (t->aside && sb.st_dev != d->dev) {
                mc_error("%s %s: on another file system than the store's "
                         "directory (a mount point?); nothing destroyed",
                         t->what, t->path);
                return MC_EXIT_REFUSED;
            }

            /* "/", "/etc", "/var": a slip of the keyboard, never backups */
            if (strchr(t->path + 1, '/') == NULL) {
                mc_error("%s %s: a directory right under / is refused; "
                         "nothing destroyed", t->what, t->path);
                return MC_EXIT_REFUSED;
            }

            mc_tree_target = t;
            mc_tree_bad = NULL;

            /* FTW_MOUNT: never into another file system */
            if (nftw(t->path, mc_tree_count, 16, FTW_PHYS | FTW_MOUNT) != 0) {
                mc_error("%s %s: %s %s; nothing destroyed", t->what,
                         t->path, mc_tree_bad ? mc_tree_bad : "cannot read",
                         mc_tree_bad ? "is neither a file nor a directory"
                                     : strerror(errno));
                return MC_EXIT_REFUSED;
            }
        }

        if (t->kind == MC_T_KEY && strcmp(t->what, "audit key") == 0) {
            if (mado_audit_key_load(t->path, key, &err) == MADO_OK) {
                mc_key_fingerprint(key, t->fingerprint);
                OPENSSL_cleanse(key, sizeof(key));

            } else {
                snprintf(t->fingerprint, sizeof(t->fingerprint), "unknown");
            }
        }
    }

    return MC_EXIT_OK;
}


/*
 * Another process with the store open (nginx's workers, a feed
 * follower, simulate) holds a shared lock on the first byte of lock.mdb,
 * as LMDB keeps it while an environment is open.  Our write lock, once
 * taken, makes a new opener wait until the store is gone.
 */
static int
mc_destroy_lock(const char *store, int *lfd)
{
    int            fd;
    char           path[PATH_MAX];
    struct flock   fl;

    *lfd = -1;

    if (snprintf(path, sizeof(path), "%s/lock.mdb", store)
        >= (int) sizeof(path))
    {
        return MC_EXIT_OK;
    }

    fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        return MC_EXIT_OK;          /* none: nobody has it open */
    }

    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;

    if (fcntl(fd, F_SETLK, &fl) == -1) {
        memset(&fl, 0, sizeof(fl));
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        fl.l_len = 1;
        fcntl(fd, F_GETLK, &fl);
        close(fd);

        mc_error("the store %s is open in process %ld (nginx, a feed "
                 "follower, simulate?): stop nginx and the mado units "
                 "first; nothing destroyed", store,
                 fl.l_type != F_UNLCK ? (long) fl.l_pid : -1L);
        return MC_EXIT_REFUSED;
    }

    *lfd = fd;

    return MC_EXIT_OK;
}


/* the store's lock, and each store kept aside (a worker that has not yet
   reopened the restored store may hold the old one) */
static int
mc_destroy_lock_all(mc_destroy_t *d, const char *store, int *lfd)
{
    int       rc;
    unsigned  i;

    rc = mc_destroy_lock(store, lfd);

    for (i = 0; rc == MC_EXIT_OK && i < d->n; i++) {
        if (d->t[i].aside && d->t[i].present) {
            rc = mc_destroy_lock(d->t[i].path, &d->t[i].lock_fd);
        }
    }

    if (rc != MC_EXIT_OK) {
        if (*lfd != -1) {
            close(*lfd);
            *lfd = -1;
        }

        for (i = 0; i < d->n; i++) {
            if (d->t[i].lock_fd != -1) {
                close(d->t[i].lock_fd);
                d->t[i].lock_fd = -1;
            }
        }
    }

    return rc;
}


static void
mc_destroy_unlock_all(mc_destroy_t *d, int lfd)
{
    unsigned  i;

    if (lfd != -1) {
        close(lfd);
    }

    for (i = 0; i < d->n; i++) {
        if (d->t[i].lock_fd != -1) {
            close(d->t[i].lock_fd);
            d->t[i].lock_fd = -1;
        }
    }
}


/*
 * LMDB's first meta page: its page header (16 bytes on 64-bit hosts),
 * then the magic.  An overwritten one (an interrupted destroy) passes
 * with --resume only.
 */
#define MC_LMDB_MAGIC  0xBEEFC0DEu

static int
mc_destroy_is_store(const mc_target_t *t, int resume)
{
    int       fd;
    uint32_t  magic;

    if (!t->present) {
        return MC_EXIT_OK;
    }

    fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd == -1 || pread(fd, &magic, sizeof(magic), 16) != sizeof(magic)
        || magic != MC_LMDB_MAGIC)
    {
        if (fd != -1) {
            close(fd);
        }

        if (resume) {
            return MC_EXIT_OK;
        }

        mc_error("store %s: not an LMDB file (a wrong --store? after an "
                 "interrupted destroy, --resume); nothing destroyed",
                 t->path);
        return MC_EXIT_REFUSED;
    }

    close(fd);

    return MC_EXIT_OK;
}


/* 1 if the directory of path lies in a tree to be destroyed */
static int
mc_destroy_inside(mc_destroy_t *d, const char *path)
{
    char       dir[PATH_MAX], real[PATH_MAX], tree[PATH_MAX], *slash;
    size_t     n;
    unsigned   i;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }

    if (realpath(dir, real) == NULL) {
        return 0;
    }

    for (i = 0; i < d->n; i++) {
        if (d->t[i].kind != MC_T_TREE || !d->t[i].present
            || realpath(d->t[i].path, tree) == NULL)
        {
            continue;
        }

        n = strlen(tree);

        if (strncmp(real, tree, n) == 0
            && (real[n] == '\0' || real[n] == '/'))
        {
            return 1;
        }
    }

    /* the store's directory, removed at the end */
    if (realpath(d->ctx->store, tree) != NULL && strcmp(real, tree) == 0) {
        return 1;
    }

    return 0;
}


/* ------------------------------------------------------------ destroying */

static int
mc_fsync_parent(const char *path)
{
    int    fd, rc;
    char   dir[PATH_MAX], *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    rc = fsync(fd);
    close(fd);

    return rc;
}


/* a file's bytes overwritten with random ones, flushed, then the file
   removed; its size into *size */
static int
mc_shred(const char *path, uint64_t *size)
{
    int            fd, e;
    off_t          off, len;
    ssize_t        n;
    size_t         chunk;
    struct stat    sb;
    unsigned char  buf[65536];

    *size = 0;

    fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        return -1;
    }

    if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
        e = errno;
        close(fd);
        errno = S_ISREG(sb.st_mode) ? e : EINVAL;
        return -1;
    }

    len = sb.st_size;

    for (off = 0; off < len; off += n) {
        chunk = (size_t) (len - off) < sizeof(buf) ? (size_t) (len - off)
                                                   : sizeof(buf);

        if (RAND_bytes(buf, (int) chunk) != 1) {
            close(fd);
            errno = EIO;
            return -1;
        }

        n = pwrite(fd, buf, chunk, off);
        if (n <= 0) {
            e = n == 0 ? EIO : errno;
            close(fd);
            errno = e;
            return -1;
        }
    }

    OPENSSL_cleanse(buf, sizeof(buf));

    if (fsync(fd) == -1) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }

    close(fd);

    if (unlink(path) == -1) {
        return -1;
    }

    mc_fsync_parent(path);
    *size = (uint64_t) len;

    return 0;
}


static mc_destroy_t  *mc_tree_destroy;

static int
mc_tree_shred(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
    uint64_t       size;
    mc_destroy_t  *d = mc_tree_destroy;

    (void) sb;
    (void) ftw;

    if (type == FTW_F) {
        if (mc_shred(path, &size) != 0) {
            mc_error("%s: %s", path, strerror(errno));
            return 1;
        }

        mc_rc_add(d, "file %s: %llu bytes, overwritten with random bytes "
                  "and removed at %s\n", path, (unsigned long long) size,
                  mc_destroy_now(d));
        return 0;
    }

    if (type == FTW_SL || type == FTW_SLN) {
        /* a link's target is not ours to destroy */
        if (unlink(path) != 0) {
            mc_error("%s: %s", path, strerror(errno));
            return 1;
        }

        mc_rc_add(d, "link %s: removed at %s\n", path, mc_destroy_now(d));
        return 0;
    }

    if (type == FTW_DP) {
        if (rmdir(path) != 0) {
            mc_error("%s: %s", path, strerror(errno));
            return 1;
        }

        mc_fsync_parent(path);
        mc_rc_add(d, "directory %s: removed at %s\n", path,
                  mc_destroy_now(d));
        return 0;
    }

    mc_error("%s: neither a file nor a directory, left", path);

    return 1;
}


static int
mc_destroy_target(mc_destroy_t *d, mc_target_t *t)
{
    uint64_t  size;

    if (!t->present) {
        mc_rc_add(d, "%s %s: not there (gone before this run)\n", t->what,
                  t->path);
        return 0;
    }

    if (t->kind == MC_T_TREE) {
        mc_tree_destroy = d;

        if (nftw(t->path, mc_tree_shred, 16,
                 FTW_PHYS | FTW_MOUNT | FTW_DEPTH) != 0)
        {
            return -1;
        }

        /* what the lines above were: backups, a store kept aside... */
        mc_rc_add(d, "%s %s: %llu files, %llu bytes, all destroyed at %s\n",
                  t->what, t->path, (unsigned long long) t->files,
                  (unsigned long long) t->bytes, mc_destroy_now(d));

        fprintf(stderr, "madoctl: destroyed %s %s (%llu files, %llu "
                "bytes)\n", t->what, t->path, (unsigned long long) t->files,
                (unsigned long long) t->bytes);
        return 0;
    }

    if (mc_shred(t->path, &size) != 0) {
        mc_error("%s %s: %s", t->what, t->path, strerror(errno));
        return -1;
    }

    if (t->fingerprint[0]) {
        mc_rc_add(d, "%s %s: %llu bytes, fingerprint %s, overwritten with "
                  "random bytes and removed at %s\n", t->what, t->path,
                  (unsigned long long) size, t->fingerprint,
                  mc_destroy_now(d));
    } else {
        mc_rc_add(d, "%s %s: %llu bytes, overwritten with random bytes and "
                  "removed at %s\n", t->what, t->path,
                  (unsigned long long) size, mc_destroy_now(d));
    }

    fprintf(stderr, "madoctl: destroyed %s %s\n", t->what, t->path);

    return 0;
}


/* ------------------------------------------------------------ signing */

static char *
mc_base64(const unsigned char *p, size_t len)
{
    char  *out;

    out = malloc(4 * ((len + 2) / 3) + 1);
    if (out != NULL) {
        EVP_EncodeBlock((unsigned char *) out, p, (int) len);
    }

    return out;
}


/* exactly one base64 line into a malloc'd buffer; -1 if it is not one */
static int
mc_unbase64(const char *s, size_t len, unsigned char **out, size_t *olen)
{
    int             n;
    unsigned char  *p;

    if (len == 0 || len % 4 != 0 || len > MC_RECEIPT_MAX) {
        return -1;
    }

    p = malloc(len);
    if (p == NULL) {
        return -1;
    }

    n = EVP_DecodeBlock(p, (const unsigned char *) s, (int) len);
    if (n < 0) {
        free(p);
        return -1;
    }

    /* EVP_DecodeBlock counts the padding as bytes */
    if (len >= 1 && s[len - 1] == '=') {
        n--;
    }
    if (len >= 2 && s[len - 2] == '=') {
        n--;
    }

    *out = p;
    *olen = (size_t) n;

    return 0;
}


static void
mc_pkey_sha256(EVP_PKEY *pkey, char *hex)
{
    int             len;
    unsigned char  *der, *p, dig[32];

    hex[0] = '\0';
    len = i2d_PUBKEY(pkey, NULL);

    if (len <= 0 || (der = malloc((size_t) len)) == NULL) {
        return;
    }

    p = der;
    i2d_PUBKEY(pkey, &p);
    EVP_Digest(der, (size_t) len, dig, NULL, EVP_sha256(), NULL);
    free(der);
    mado_hex(dig, sizeof(dig), hex);
}


static EVP_PKEY *
mc_sign_key_load(const char *path)
{
    FILE      *f;
    EVP_PKEY  *pkey;

    f = fopen(path, "r");
    if (f == NULL) {
        mc_error("--sign-key %s: %s; nothing destroyed", path,
                 strerror(errno));
        return NULL;
    }

    pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);

    if (pkey == NULL) {
        mc_error("--sign-key %s: not a private key in PEM (without a "
                 "passphrase); nothing destroyed", path);
        return NULL;
    }

    if (!EVP_PKEY_is_a(pkey, "ED25519")) {
        EVP_PKEY_free(pkey);
        mc_error("--sign-key %s: must be an Ed25519 key (openssl genpkey "
                 "-algorithm ed25519); nothing destroyed", path);
        return NULL;
    }

    return pkey;
}


/* the public key's lines, then the signature of all before it */
static int
mc_receipt_sign(mc_destroy_t *d, EVP_PKEY *pkey, const char *by)
{
    int             len, ok;
    char           *b64, fp[65];
    size_t          slen;
    EVP_MD_CTX     *md;
    unsigned char  *der, *p, sig[64];

    len = i2d_PUBKEY(pkey, NULL);
    if (len <= 0 || (der = malloc((size_t) len)) == NULL) {
        return -1;
    }

    p = der;
    i2d_PUBKEY(pkey, &p);
    b64 = mc_base64(der, (size_t) len);
    free(der);

    if (b64 == NULL) {
        return -1;
    }

    mc_pkey_sha256(pkey, fp);

    mc_rc_add(d, "signed-by: %s\n", by);
    mc_rc_add(d, "public-key-sha256: %s\n", fp);
    mc_rc_add(d, "public-key: %s\n", b64);
    free(b64);

    if (d->failed) {
        return -1;
    }

    md = EVP_MD_CTX_new();
    slen = sizeof(sig);

    /* Ed25519 hashes the message itself: no digest given */
    ok = md != NULL
         && EVP_DigestSignInit(md, NULL, NULL, NULL, pkey) == 1
         && EVP_DigestSign(md, sig, &slen, (unsigned char *) d->buf, d->len)
            == 1;

    EVP_MD_CTX_free(md);

    if (!ok || (b64 = mc_base64(sig, slen)) == NULL) {
        return -1;
    }

    mc_rc_add(d, "signature: %s\n", b64);
    free(b64);

    return d->failed ? -1 : 0;
}


/*
 * A receipt: its text up to the "signature: " line is what was signed,
 * under the key of its "public-key: " line; --public-key: that key must
 * be the one the receipt names.
 */
static int
mc_receipt_verify(const char *file, const char *pubfile)
{
    int             rc, ok;
    FILE           *f;
    char           *buf, *sig, *end, *pk, *pend, fp[65];
    size_t          len, blen, slen;
    EVP_PKEY       *pkey, *want;
    EVP_MD_CTX     *md;
    unsigned char  *raw, *der;
    const unsigned char  *p;

    f = fopen(file, "r");
    if (f == NULL) {
        mc_error("--verify-receipt %s: %s", file, strerror(errno));
        return MC_EXIT_REFUSED;
    }

    buf = malloc(MC_RECEIPT_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        mc_error("out of memory");
        return MC_EXIT_STORE;
    }

    len = fread(buf, 1, MC_RECEIPT_MAX + 1, f);
    fclose(f);

    if (len > MC_RECEIPT_MAX) {
        free(buf);
        mc_error("%s: longer than a receipt can be", file);
        return MC_EXIT_REFUSED;
    }

    buf[len] = '\0';

    /* the receipt may be pasted from the terminal: it starts at its magic */
    sig = strstr(buf, MC_RECEIPT_MAGIC);
    if (sig != NULL && sig != buf) {
        memmove(buf, sig, strlen(sig) + 1);
        len = strlen(buf);
    }

    if (strncmp(buf, MC_RECEIPT_MAGIC, sizeof(MC_RECEIPT_MAGIC) - 1) != 0
        || strlen(buf) != len)
    {
        free(buf);
        mc_error("%s: not a destruction receipt (its first line is \"%.*s\")",
                 file, (int) sizeof(MC_RECEIPT_MAGIC) - 2, MC_RECEIPT_MAGIC);
        return MC_EXIT_REFUSED;
    }

    sig = strstr(buf, "\nsignature: ");
    pk = strstr(buf, "\npublic-key: ");

    if (sig == NULL || pk == NULL || pk > sig) {
        free(buf);
        mc_error("%s: no public-key and signature lines: not signed", file);
        return MC_EXIT_REFUSED;
    }

    blen = (size_t) (sig - buf) + 1;
    sig += sizeof("\nsignature: ") - 1;
    end = strchr(sig, '\n');

    /* nothing may follow the signature: it would not be signed */
    if (end == NULL || end[1] != '\0') {
        free(buf);
        mc_error("%s: text after the signature line, or none ending it: "
                 "that part is not signed", file);
        return MC_EXIT_REFUSED;
    }

    pk += sizeof("\npublic-key: ") - 1;
    pend = strchr(pk, '\n');

    pkey = NULL;
    raw = der = NULL;
    rc = MC_EXIT_REFUSED;

    if (mc_unbase64(pk, (size_t) (pend - pk), &der, &slen) != 0) {
        mc_error("%s: the public-key line is not base64", file);
        goto done;
    }

    p = der;
    pkey = d2i_PUBKEY(NULL, &p, (long) slen);

    if (pkey == NULL || !EVP_PKEY_is_a(pkey, "ED25519")) {
        mc_error("%s: the public key is not an Ed25519 key", file);
        goto done;
    }

    if (mc_unbase64(sig, (size_t) (end - sig), &raw, &slen) != 0) {
        mc_error("%s: the signature line is not base64", file);
        goto done;
    }

    if (pubfile != NULL) {
        f = fopen(pubfile, "r");
        want = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;

        if (f != NULL) {
            fclose(f);
        }

        if (want == NULL) {
            mc_error("--public-key %s: not a public key in PEM", pubfile);
            goto done;
        }

        ok = EVP_PKEY_eq(want, pkey) == 1;
        EVP_PKEY_free(want);

        if (!ok) {
            mc_error("%s: signed by another key than %s", file, pubfile);
            goto done;
        }
    }

    md = EVP_MD_CTX_new();
    ok = md != NULL
         && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1
         && EVP_DigestVerify(md, raw, slen, (unsigned char *) buf, blen)
            == 1;
    EVP_MD_CTX_free(md);

    mc_pkey_sha256(pkey, fp);

    if (!ok) {
        mc_error("%s: the signature does not match: the receipt was changed "
                 "after it was signed, or is not the key's", file);
        goto done;
    }

    printf("receipt %s: signature good, by the Ed25519 key whose "
           "public-key-sha256 is %s%s\n", file, fp,
           pubfile ? " (the key of --public-key)"
           : "; compare it with the one written down when it was made, "
             "or give --public-key");
    rc = MC_EXIT_OK;

done:

    EVP_PKEY_free(pkey);
    free(der);
    free(raw);
    free(buf);

    return rc;
}


/* ------------------------------------------------------------ the verb */

/* the word typed on the terminal, or given with --confirm */
static int
mc_destroy_confirm(mc_destroy_t *d, const char *confirm, const char *host)
{
    unsigned  i, aside;
    char      line[512];
    size_t    n;

    if (confirm == NULL) {
        if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
            mc_error("destroy needs a confirmation: run it on a terminal and "
                     "type the host name, or give --confirm %s; nothing "
                     "destroyed", host);
            return MC_EXIT_REFUSED;
        }

        fprintf(stderr, "This destroys, beyond recovery:\n");

        aside = 0;

        for (i = 0; i < d->n; i++) {
            if (d->t[i].present) {
                fprintf(stderr, "  %s %s\n", d->t[i].what, d->t[i].path);
                aside += d->t[i].aside;
            }
        }

        /* their records after the backup are in no other trail */
        if (aside) {
            fprintf(stderr, "A store kept aside by restore holds what was "
                    "written after its backup was made:\nexport it too if "
                    "the city wants those records (madoctl --store DIR "
                    "export OUT).\n");
        }

        fprintf(stderr, "Has the city received its export (madoctl export)?"
                "\nType the host name (%s) to destroy all of this: ", host);

        if (fgets(line, sizeof(line), stdin) == NULL) {
            line[0] = '\0';
        }

        n = strcspn(line, "\r\n");
        line[n] = '\0';
        confirm = line;
    }

    if (strcmp(confirm, host) != 0) {
        mc_error("the confirmation \"%s\" is not this host's name \"%s\"; "
                 "nothing destroyed", confirm, host);
        return MC_EXIT_REFUSED;
    }

    return MC_EXIT_OK;
}


static int
mc_destroy(mc_destroy_t *d, mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, lfd, resume, rfd;
    char                         host[256], path[PATH_MAX];
    unsigned                     i, nkeys, nalso;
    FILE                        *rf;
    EVP_PKEY                    *pkey;
    const char                  *confirm, *backups, *sign, *receipt;
    char                         envdir[PATH_MAX];
    const char                  *verify, *pub, *keys[MC_DESTROY_EXTRA];
    const char                  *also[MC_DESTROY_EXTRA];
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "confirm",        required_argument, NULL, 'c' },
        { "backups",        required_argument, NULL, 'b' },
        { "key",            required_argument, NULL, 'k' },
        { "also",           required_argument, NULL, 'a' },
        { "sign-key",       required_argument, NULL, 's' },
        { "receipt",        required_argument, NULL, 'r' },
        { "resume",         no_argument,       NULL, 'R' },
        { "verify-receipt", required_argument, NULL, 'v' },
        { "public-key",     required_argument, NULL, 'p' },
        { "help",           no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    confirm = backups = sign = receipt = verify = pub = NULL;
    nkeys = nalso = 0;
    resume = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'c': confirm = optarg; break;
        case 'b': backups = optarg; break;
        case 's': sign = optarg; break;
        case 'r': receipt = optarg; break;
        case 'R': resume = 1; break;
        case 'v': verify = optarg; break;
        case 'p': pub = optarg; break;

        case 'k':
        case 'a':
            if ((c == 'k' ? nkeys : nalso) == MC_DESTROY_EXTRA) {
                return mc_usage_error("destroy", "at most %d of %s",
                                      MC_DESTROY_EXTRA,
                                      c == 'k' ? "--key" : "--also");
            }

            if (*optarg == '\0') {
                return mc_usage_error("destroy", "%s: must not be empty",
                                      c == 'k' ? "--key" : "--also");
            }

            if (c == 'k') {
                keys[nkeys++] = optarg;
            } else {
                also[nalso++] = optarg;
            }

            break;

        case 'h':
            return mc_help("destroy");

        default:
            return mc_getopt_error("destroy", c, argv);
        }
    }

    if ((rc = mc_args("destroy", argc, argv, names, 0)) != MC_EXIT_OK) {
        return rc;
    }

    if (verify != NULL) {
        if (confirm || backups || sign || receipt || resume || nkeys
            || nalso)
        {
            return mc_usage_error("destroy", "--verify-receipt takes only "
                                  "--public-key");
        }

        return mc_receipt_verify(verify, pub);
    }

    if (pub != NULL) {
        return mc_usage_error("destroy", "--public-key goes with "
                              "--verify-receipt");
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    if (gethostname(host, sizeof(host)) != 0) {
        mc_error("gethostname: %s", strerror(errno));
        return MC_EXIT_STORE;
    }
    host[sizeof(host) - 1] = '\0';

    d->ctx = ctx;

    /* the keys first: from then on what they seal is unreadable */
    rc = mc_destroy_add(d, MC_T_KEY, "audit key", ctx->audit_key, 1);

    for (i = 0; rc == MC_EXIT_OK && i < nkeys; i++) {
        rc = mc_destroy_add(d, MC_T_KEY, "key", keys[i], 1);
    }

    /* then what names the trail, the store, the backups */
    if (rc == MC_EXIT_OK) {
        const char  *anchor = mc_anchor_path(ctx);

        rc = anchor ? mc_destroy_add(d, MC_T_FILE, "audit anchor", anchor, 0)
                    : MC_EXIT_REFUSED;
    }

    if (rc == MC_EXIT_OK) {
        snprintf(path, sizeof(path), "%s/data.mdb", ctx->store);
        rc = mc_destroy_add(d, MC_T_FILE, "store", path, 1);
    }

    if (rc == MC_EXIT_OK) {
        snprintf(path, sizeof(path), "%s/lock.mdb", ctx->store);
        rc = mc_destroy_add(d, MC_T_FILE, "store", path, 0);
    }

    /* what restore kept aside beside the store, found by their names */
    if (rc == MC_EXIT_OK) {
        rc = mc_destroy_find_aside(d, ctx->store);
    }

    if (rc == MC_EXIT_OK) {
        rc = mc_destroy_add(d, MC_T_TREE, "backups",
                            backups ? backups : MC_DESTROY_BACKUPS,
                            backups != NULL);
    }

    /* the timer writes where backup.env says: those are backups too */
    if (rc == MC_EXIT_OK && backups == NULL
        && mc_destroy_backup_env(envdir, sizeof(envdir))
        && strcmp(envdir, MC_DESTROY_BACKUPS) != 0)
    {
        rc = mc_destroy_add(d, MC_T_TREE, "backups (backup.env)", envdir, 0);
    }

    for (i = 0; rc == MC_EXIT_OK && i < nalso; i++) {
        rc = mc_destroy_add(d, MC_T_TREE, "also", also[i], 1);
    }

    if (rc != MC_EXIT_OK) {
        return rc;
    }

    rc = mc_destroy_check(d, resume);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    /* a data.mdb that is no LMDB file: a wrong --store */
    rc = mc_destroy_is_store(&d->t[nkeys + 2], resume);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    if (receipt != NULL && mc_destroy_inside(d, receipt)) {
        mc_error("--receipt %s: inside what is to be destroyed; nothing "
                 "destroyed", receipt);
        return MC_EXIT_REFUSED;
    }

    pkey = NULL;
    rf = NULL;
    lfd = -1;

    if (sign != NULL) {
        pkey = mc_sign_key_load(sign);
        if (pkey == NULL) {
            return MC_EXIT_REFUSED;
        }

    } else {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        if (pkey == NULL) {
            mc_error("making the receipt's Ed25519 key failed; nothing "
                     "destroyed");
            return MC_EXIT_STORE;
        }
    }

    rc = mc_destroy_confirm(d, confirm, host);

    if (rc == MC_EXIT_OK) {
        rc = mc_destroy_lock_all(d, ctx->store, &lfd);
    }

    /* the receipt's file: made before, so that it cannot fail after */
    if (rc == MC_EXIT_OK && receipt != NULL) {
        rfd = open(receipt, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

        if (rfd == -1 || (rf = fdopen(rfd, "w")) == NULL) {
            mc_error("--receipt %s: %s (it must not exist); nothing "
                     "destroyed", receipt, strerror(errno));
            if (rfd != -1) {
                close(rfd);
                unlink(receipt);
            }
            mc_destroy_unlock_all(d, lfd);
            rc = MC_EXIT_REFUSED;
        }
    }

    if (rc != MC_EXIT_OK) {
        EVP_PKEY_free(pkey);
        return rc;
    }

    d->cap = 4096;
    d->buf = malloc(d->cap);

    if (d->buf == NULL) {
        EVP_PKEY_free(pkey);
        mc_destroy_unlock_all(d, lfd);
        mc_error("out of memory; nothing destroyed");
        return MC_EXIT_STORE;
    }

    mc_rc_add(d, MC_RECEIPT_MAGIC);
    mc_rc_add(d, "host: %s\n", host);
    mc_rc_add(d, "actor: %s\n", mc_actor());
    mc_rc_add(d, "madoctl: %s\n", MC_VERSION);
    mc_rc_add(d, "store: %s\n", ctx->store);
    mc_rc_add(d, "started: %s\n", mc_destroy_now(d));

    rc = MC_EXIT_OK;

    for (i = 0; i < d->n; i++) {
        if (mc_destroy_target(d, &d->t[i]) != 0) {
            rc = MC_EXIT_STORE;
            break;
        }
    }

    /* the directory, once empty (other files in it are said, and kept) */
    if (rc == MC_EXIT_OK) {
        if (rmdir(ctx->store) == 0) {
            mc_fsync_parent(ctx->store);
            mc_rc_add(d, "directory %s: removed at %s\n", ctx->store,
                      mc_destroy_now(d));

        } else if (errno != ENOENT) {
            mc_rc_add(d, "directory %s: kept (%s)\n", ctx->store,
                      strerror(errno));
        }
    }

    mc_destroy_unlock_all(d, lfd);

    if (rc != MC_EXIT_OK) {
        mc_error("destroy stopped part way: the lines above say what is "
                 "destroyed; fix the cause, then run it again with --resume");
        fputs(d->buf, stderr);
        EVP_PKEY_free(pkey);
        free(d->buf);
        if (rf != NULL) {
            fclose(rf);
            unlink(receipt);
        }
        return rc;
    }

    mc_rc_add(d, "finished: %s\n", mc_destroy_now(d));
    mc_rc_add(d, "note: each file was overwritten once in place and "
              "flushed; a journaling or copy-on-write file system, an SSD "
              "or a snapshot may keep older copies of the store, which the "
              "keys' destruction leaves unreadable only where sealed\n");

    if (mc_receipt_sign(d, pkey, sign ? sign
                        : "an Ed25519 key made for this receipt (its "
                          "private part was never stored)")
        != 0)
    {
        EVP_PKEY_free(pkey);
        mc_error("signing the receipt failed; everything listed was "
                 "destroyed:");
        fputs(d->buf, stderr);
        free(d->buf);
        if (rf != NULL) {
            fclose(rf);
        }
        return MC_EXIT_STORE;
    }

    EVP_PKEY_free(pkey);

    fputs(d->buf, stdout);

    if (rf != NULL) {
        fputs(d->buf, rf);

        if (fflush(rf) != 0 || fsync(fileno(rf)) != 0 || fclose(rf) != 0) {
            mc_error("--receipt %s: %s (the receipt is on standard output)",
                     receipt, strerror(errno));
            free(d->buf);
            return MC_EXIT_STORE;
        }
    }

    free(d->buf);

    return MC_EXIT_OK;
}


int
mc_cmd_destroy(mc_ctx_t *ctx, int argc, char **argv)
{
    int           rc;
    mc_destroy_t  d;

    memset(&d, 0, sizeof(d));

    rc = mc_destroy(&d, ctx, argc, argv);
    free(d.t);

    return rc;
}
