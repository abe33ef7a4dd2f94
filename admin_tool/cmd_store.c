/*
 * madoctl init, load: the store itself and the office definitions.
 */

#include <errno.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "madoctl.h"


/* offices.json is some 40 KB; anything this big is a mistake */
#define MC_LOAD_MAX         (16u * 1024 * 1024)

#define MC_MAPSIZE_MIN      (64u * 1024)
#define MC_MAPSIZE_MAX      (1ULL << 40)


typedef struct {
    const mado_offices_t   *all;
    int64_t                 now;
    const char             *file;
} mc_load_t;


static int mc_parse_size(const char *name, const char *s, size_t *out);
static int mc_init_test_store(mc_ctx_t *ctx);
static int mc_init_anchor(mc_ctx_t *ctx);
static char *mc_read_file(const char *name, const char *shown, size_t *len);
static int mc_load_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);


int
mc_cmd_init(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, exists, test_store;
    char                         path[4096];
    size_t                       mapsize;
    const char                  *size_arg;
    struct stat                  sb;
    mado_err_t                   err;
    mado_store_t                 s;
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "map-size",   required_argument, NULL, 'm' },
        { "test-store", no_argument,       NULL, 't' },
        { "help",       no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    size_arg = NULL;
    test_store = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'm':
            size_arg = optarg;
            break;

        case 't':
            test_store = 1;
            break;

        case 'h':
            return mc_help("init");

        default:
            return mc_getopt_error("init", c, argv);
        }
    }

    if ((rc = mc_args("init", argc, argv, names, 0)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    mapsize = MADO_DEFAULT_MAPSIZE;

    if (size_arg != NULL
        && mc_parse_size("--map-size", size_arg, &mapsize) != MC_EXIT_OK)
    {
        return MC_EXIT_REFUSED;
    }

    if (mado_store_data_path(ctx->store, path, sizeof(path)) != 0) {
        mc_error("store path too long");
        return MC_EXIT_STORE;
    }

    exists = (stat(path, &sb) == 0);

    /* a store in use never becomes a test store: it could weaken accounts */
    if (exists && test_store) {
        mc_error("--test-store: only a new store can be a test store; %s "
                 "exists", ctx->store);
        return MC_EXIT_REFUSED;
    }

    if (exists && size_arg != NULL) {
        mc_error("note: --map-size ignored, the store exists (its map "
                 "grows by itself when full)");
    }

    /* the audit key first: no store may exist that cannot be audited */
    if (stat(ctx->audit_key, &sb) == -1) {
        char  dir[4096], *slash;

        snprintf(dir, sizeof(dir), "%s", ctx->audit_key);
        slash = strrchr(dir, '/');

        if (slash != NULL && slash != dir) {
            *slash = '\0';
            /* e.g. /etc/mado: for root and the mado group only */
            if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
                mc_error("audit key directory %s: %s", dir, strerror(errno));
                return MC_EXIT_STORE;
            }
        }

        if (mado_audit_key_create(ctx->audit_key, &err) != MADO_OK) {
            mc_error("%s", err.text);
            return MC_EXIT_STORE;
        }

        printf("created audit key %s (keep it outside the store, and "
               "backed up apart from it)\n", ctx->audit_key);
    }

    if (!exists && (rc = mc_init_anchor(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    /* an existing store keeps its map size, which may have grown */
    rc = mado_store_open(&s, ctx->store, MADO_OPEN_CREATE,
                         exists ? 0 : mapsize, &err);
    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return MC_EXIT_STORE;
    }

    mado_store_close(&s);

    if (!exists) {
        rc = test_store ? mc_init_test_store(ctx)
                        : mc_audit_only(ctx, "init", NULL);
        if (rc != MC_EXIT_OK) {
            return rc;
        }
    }

    if (exists) {
        printf("store %s ready (schema %d)\n", ctx->store,
               MADO_SCHEMA_VERSION);

        if (mc_anchor_path(ctx) != NULL && stat(mc_anchor_path(ctx), &sb) != 0)
        {
            mc_error("note: no audit anchor %s yet: writes are refused "
                     "until \"madoctl audit anchor\" makes it",
                     mc_anchor_path(ctx));
        }

    } else {
        printf("created %sstore %s (schema %d, map size %zu bytes)\n",
               test_store ? "test " : "", ctx->store, MADO_SCHEMA_VERSION,
               mapsize);
    }

    return MC_EXIT_OK;
}


static int
mc_init_test_store_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                        rc;
    mc_ctx_t                  *ctx = arg;
    static const char *const   extra[] = { "test_store", "1", NULL };

    /* the mark and the store's first audit record in one transaction */
    rc = mado_test_store_mark(s, txn, err);
    if (rc != MADO_OK) {
        return rc;
    }

    return mc_audit(s, txn, ctx->now, "init", NULL, NULL, NULL, NULL, extra,
                    err);
}


/*
 * The anchor of a new store, made empty: its first write names record 1.
 * An anchor that names records belongs to a store that is gone (removed
 * by someone who may write the store's directory): an init, which may run
 * at every boot, must not start a new trail over that unnoticed.
 */
static int
mc_init_anchor(mc_ctx_t *ctx)
{
    int             rc, fd;
    mado_err_t      err;
    const char     *path;
    mado_anchor_t   a;
    unsigned char   key[MADO_AUDIT_KEY_LEN];

    path = mc_anchor_path(ctx);
    if (path == NULL) {
        return MC_EXIT_STORE;
    }

    if (mado_audit_key_load(ctx->audit_key, key, &err) != MADO_OK
        || mado_anchor_open(path, MADO_ANCHOR_CREATE, ctx->audit_key, &fd,
                            &err)
           != MADO_OK)
    {
        mc_error("%s", err.text);
        return MC_EXIT_STORE;
    }

    rc = mado_anchor_read(fd, key, &a, &err);
    close(fd);
    OPENSSL_cleanse(key, sizeof(key));

    if (rc == MADO_ENOTFOUND) {
        return MC_EXIT_OK;
    }

    if (rc == MADO_OK) {
        mc_error("the audit anchor %s names record %llu of %s, of a store "
                 "that is no longer at %s (removed?); a new store would not "
                 "match it.  If this is meant to be a new store, move the "
                 "anchor away first", path, (unsigned long long) a.seq,
                 a.time, ctx->store);
        return MC_EXIT_REFUSED;
    }

    mc_error("%s: %s; move it away to start a new store", path, err.text);
    return MC_EXIT_REFUSED;
}


/* the first write of a store made for tests */
static int
mc_init_test_store(mc_ctx_t *ctx)
{
    int           rc;
    mado_err_t    err;
    mado_store_t  s;

    rc = mc_store_open(ctx, &s, 0);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    rc = mado_store_write(&s, mc_init_test_store_write, ctx, &err);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("--test-store: %s", err.text);
        return mc_exit_code(rc);
    }

    return MC_EXIT_OK;
}


/* bytes, or with a K, M or G (binary) suffix; rounded up to whole pages */
static int
mc_parse_size(const char *name, const char *s, size_t *out)
{
    long                 page;
    uint64_t             v, unit;
    const char          *p;

    v = 0;

    for (p = s; *p >= '0' && *p <= '9' && v <= MC_MAPSIZE_MAX; p++) {
        v = v * 10 + (*p - '0');
    }

    unit = 1;

    if (p != s && p[0] != '\0' && p[1] == '\0') {
        switch (*p) {
        case 'k': case 'K': unit = 1ULL << 10; p++; break;
        case 'm': case 'M': unit = 1ULL << 20; p++; break;
        case 'g': case 'G': unit = 1ULL << 30; p++; break;
        }
    }

    if (p == s || *p != '\0' || v > MC_MAPSIZE_MAX / unit
        || v * unit < MC_MAPSIZE_MIN || v * unit > MC_MAPSIZE_MAX)
    {
        mc_error("%s: must be a size in bytes from 64K to 1024G (K, M or G "
                 "may follow), not \"%s\"", name, s);
        return MC_EXIT_REFUSED;
    }

    v *= unit;

    /* LMDB wants a multiple of the OS page size */
    page = sysconf(_SC_PAGESIZE);
    if (page > 0) {
        v = (v + page - 1) / page * page;
    }

    *out = (size_t) v;

    return MC_EXIT_OK;
}


int
mc_cmd_load(mc_ctx_t *ctx, int argc, char **argv)
{
    int                        rc;
    char                      *json;
    size_t                     len;
    unsigned                   i, ncounters;
    const char                *file, *shown;
    mc_load_t                  ld;
    mado_err_t                 err;
    mado_store_t               s;
    mado_offices_t             all;
    static const char *const   names[] = { "FILE", NULL };

    if ((rc = mc_no_options("load", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("load", argc, argv, names, 1)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    file = argv[optind];
    shown = strcmp(file, "-") == 0 ? "stdin" : file;

    json = mc_read_file(file, shown, &len);
    if (json == NULL) {
        return MC_EXIT_REFUSED;
    }

    /* all of the file is checked before the store is touched */
    rc = mado_offices_parse(json, len, &all, &err);
    free(json);

    if (rc != MADO_OK) {
        mc_error("%s: %s", shown, err.text);
        return mc_exit_code(rc);
    }

    rc = mc_store_open(ctx, &s, 0);
    if (rc != MC_EXIT_OK) {
        mado_offices_free(&all);
        return rc;
    }

    ld.all = &all;
    ld.now = ctx->now;
    ld.file = shown;

    rc = mado_store_write(&s, mc_load_write, &ld, &err);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mado_offices_free(&all);
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    ncounters = 0;

    for (i = 0; i < all.noffices; i++) {
        ncounters += all.offices[i].ncounters;
    }

    printf("loaded %u offices, %u counters\n", all.noffices, ncounters);

    mado_offices_free(&all);

    return MC_EXIT_OK;
}


static int
mc_load_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int          rc;
    char         n[16];
    mc_load_t   *ld = arg;
    const char  *extra[] = { "file", ld->file, "offices", n, NULL };

    /* the library keeps the live state of counters that remain */
    rc = mado_offices_put(s, txn, ld->all, ld->now, err);
    if (rc != MADO_OK) {
        return rc;
    }

    snprintf(n, sizeof(n), "%u", ld->all->noffices);

    return mc_audit(s, txn, ld->now, "load", NULL, NULL, NULL, NULL, extra,
                    err);
}


/* the whole of a file, or of stdin for "-"; NUL-terminated for yajl */
static char *
mc_read_file(const char *name, const char *shown, size_t *len)
{
    FILE    *f;
    char    *buf, *p;
    size_t   size, n;

    if (strcmp(name, "-") == 0) {
        f = stdin;

    } else {
        f = fopen(name, "rb");
        if (f == NULL) {
            mc_error("%s: %s", shown, strerror(errno));
            return NULL;
        }
    }

    size = 64 * 1024;
    *len = 0;

    buf = malloc(size);
    if (buf == NULL) {
        mc_error("%s: out of memory", shown);
        goto failed;
    }

    for ( ;; ) {
        if (size - *len < 2) {
            if (size >= MC_LOAD_MAX) {
                mc_error("%s: larger than %u bytes", shown, MC_LOAD_MAX);
                goto failed;
            }

            p = realloc(buf, size * 2);
            if (p == NULL) {
                mc_error("%s: out of memory", shown);
                goto failed;
            }

            buf = p;
            size *= 2;
        }

        n = fread(buf + *len, 1, size - *len - 1, f);
        *len += n;

        if (n == 0) {
            break;
        }
    }

    if (ferror(f)) {
        mc_error("%s: %s", shown, strerror(errno));
        goto failed;
    }

    buf[*len] = '\0';

    if (f != stdin) {
        fclose(f);
    }

    return buf;

failed:

    free(buf);

    if (f != stdin) {
        fclose(f);
    }

    return NULL;
}
