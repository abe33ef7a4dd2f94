/*
 * madoctl audit list|verify|anchor: read and check the audit trail, and
 * anchor it outside the store (lmdb_store/mado_audit.c has how it is
 * chained and anchored).
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <yajl/yajl_tree.h>

#include "madoctl.h"


typedef struct {
    const char         *from;       /* "YYYY-MM-DD", inclusive */
    const char         *to;
    const char         *office;
    const char         *action;
    const char         *actor;
    char                tried[MADO_TRIED_LEN + 1];  /* --tried, hashed */
    int                 json;
    uint64_t            shown;
} mc_audit_list_t;


static int mc_audit_list(mc_ctx_t *ctx, int argc, char **argv);
static int mc_audit_verify(mc_ctx_t *ctx, int argc, char **argv);
static int mc_audit_anchor(mc_ctx_t *ctx, int argc, char **argv);
static int mc_audit_print(uint64_t seq, const char *json, size_t len,
    void *arg);


int
mc_cmd_audit(mc_ctx_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0
                      || strcmp(argv[1], "--help") == 0))
    {
        return mc_help("audit");
    }

    if (argc < 2) {
        return mc_usage_error("audit", "say list, verify or anchor");
    }

    if (strcmp(argv[1], "list") == 0) {
        return mc_audit_list(ctx, argc - 1, argv + 1);
    }

    if (strcmp(argv[1], "verify") == 0) {
        return mc_audit_verify(ctx, argc - 1, argv + 1);
    }

    if (strcmp(argv[1], "anchor") == 0) {
        return mc_audit_anchor(ctx, argc - 1, argv + 1);
    }

    return mc_usage_error("audit", "unknown audit verb \"%s\"; say list, "
                          "verify or anchor", argv[1]);
}


static int
mc_audit_open(mc_ctx_t *ctx, mado_store_t *s, MDB_txn **txn, int keyed)
{
    int         rc;

    rc = mc_store_open(ctx, s, MADO_OPEN_RDONLY | (keyed ? MC_OPEN_AUDIT : 0));
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    /* a read-only open does not know the writers' databases */
    rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc == 0) {
        rc = mdb_dbi_open(*txn, "audit", 0, &s->audit_db);
        if (rc == MDB_NOTFOUND) {
            mdb_txn_abort(*txn);
            mado_store_close(s);
            mc_error("the store has no audit trail yet");
            return MC_EXIT_STORE;
        }
    }

    if (rc != 0) {
        mado_store_close(s);
        mc_error("reading the audit trail: %s", mdb_strerror(rc));
        return MC_EXIT_STORE;
    }

    return MC_EXIT_OK;
}


static int
mc_audit_list(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc;
    MDB_txn                     *txn;
    mado_err_t                   err;
    mado_store_t                 s;
    mc_audit_list_t              l;
    const char                  *tried;
    mado_audit_verify_t          res;
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "from",   required_argument, NULL, 'f' },
        { "to",     required_argument, NULL, 't' },
        { "office", required_argument, NULL, 'o' },
        { "action", required_argument, NULL, 'a' },
        { "actor",  required_argument, NULL, 'A' },
        { "tried",  required_argument, NULL, 'T' },
        { "json",   no_argument,       NULL, 'j' },
        { "help",   no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&l, 0, sizeof(l));
    tried = NULL;
    optind = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {
        case 'f': l.from = optarg; break;
        case 't': l.to = optarg; break;
        case 'o': l.office = optarg; break;
        case 'a': l.action = optarg; break;
        case 'A': l.actor = optarg; break;
        case 'T': tried = optarg; break;
        case 'j': l.json = 1; break;
        case 'h': return mc_help("audit");
        default:  return mc_getopt_error("audit", c, argv);
        }
    }

    if ((rc = mc_args("audit", argc, argv, names, 0)) != MC_EXIT_OK) {
        return rc;
    }

    if (l.from != NULL && mado_date_parse(l.from) < 0) {
        mc_error("--from: must be a date as YYYY-MM-DD, not \"%s\"", l.from);
        return MC_EXIT_REFUSED;
    }

    if (l.to != NULL && mado_date_parse(l.to) < 0) {
        mc_error("--to: must be a date as YYYY-MM-DD, not \"%s\"", l.to);
        return MC_EXIT_REFUSED;
    }

    /* the records are sealed under a key derived from the audit key, and
       --tried is the id as failed logins keep it: a hash under it */
    if ((rc = mc_audit_open(ctx, &s, &txn, 1)) != MC_EXIT_OK) {
        return rc;
    }

    if (tried != NULL) {
        mado_tried_id(&s, tried, l.tried);
    }

    if (l.json) {
        putchar('[');
    }

    rc = mado_audit_walk(&s, txn, mc_audit_print, &l, &res, &err);

    if (l.json) {
        puts(l.shown ? "\n]" : "]");
    }

    mdb_txn_abort(txn);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    return MC_EXIT_OK;
}


static int
mc_audit_print(uint64_t seq, const char *json, size_t len, void *arg)
{
    size_t             i;
    yajl_val           root, b, a, bv, av;
    mado_err_t         err;
    const char        *time, *office, *counter, *action, *actor, *tried;
    mc_audit_list_t   *l = arg;

    root = json != NULL ? mado_json_tree(json, len, &err) : NULL;

    if (root == NULL) {
        printf("%llu\t(%s)\n", (unsigned long long) seq,
               json != NULL ? "unreadable record"
               : "a sealed record that does not open: see \"madoctl audit "
                 "verify\"");
        return 0;
    }

    time = mado_json_str(root, "time");
    office = mado_json_str(root, "office");
    counter = mado_json_str(root, "counter");
    action = mado_json_str(root, "action");
    actor = mado_json_str(root, "actor");
    tried = mado_json_str(root, "tried");

    /* time is ISO 8601 in Japan: its date compares as text */
    if ((l->from && (!time || strncmp(time, l->from, 10) < 0))
        || (l->to && (!time || strncmp(time, l->to, 10) > 0))
        || (l->office && (!office || strcmp(office, l->office) != 0))
        || (l->action && (!action || strcmp(action, l->action) != 0))
        || (l->actor && (!actor || strstr(actor, l->actor) == NULL))
        || (l->tried[0] && (!tried || strcmp(tried, l->tried) != 0)))
    {
        goto done;
    }

    if (l->json) {
        printf("%s\n{\"seq\":%llu,\"record\":%.*s}", l->shown ? "," : "",
               (unsigned long long) seq, (int) len, json);
        l->shown++;
        goto done;
    }

    printf("%llu  %s  %s  %s", (unsigned long long) seq, time ? time : "?",
           actor ? actor : "?", action ? action : "?");

    if (office) {
        printf("  %s%s%s", office, counter ? "/" : "", counter ? counter : "");
    }

    /* what changed, field by field */
    {
        const char  *pb[] = { "before", NULL };
        const char  *pa[] = { "after", NULL };

        b = yajl_tree_get(root, pb, yajl_t_object);
        a = yajl_tree_get(root, pa, yajl_t_object);
    }

    if (b != NULL && a != NULL) {
        for (i = 0; i < a->u.object.len; i++) {
            const char  *k = a->u.object.keys[i];
            const char  *p[] = { k, NULL };
            char         x[64], y[64];

            av = a->u.object.values[i];
            bv = yajl_tree_get(b, p, yajl_t_any);

#define SHOW(v, buf)                                                          \
            (YAJL_IS_STRING(v) ? snprintf(buf, sizeof(buf), "\"%s\"",       \
                                          (v)->u.string)                      \
             : YAJL_IS_INTEGER(v) ? snprintf(buf, sizeof(buf), "%lld",        \
                                             YAJL_GET_INTEGER(v))             \
             : snprintf(buf, sizeof(buf), "?"))

            if (bv == NULL) {
                continue;
            }

            SHOW(bv, x);
            SHOW(av, y);

            if (strcmp(x, y) != 0) {
                printf("  %s %s->%s", k, x, y);
            }
#undef SHOW
        }

    } else {
        /* other members as they are: file, lines, day, ... */
        for (i = 0; i < root->u.object.len; i++) {
            const char  *k = root->u.object.keys[i];

            if (strcmp(k, "time") && strcmp(k, "actor") && strcmp(k, "action")
                && strcmp(k, "office") && strcmp(k, "counter")
                && strcmp(k, "client")
                && YAJL_IS_STRING(root->u.object.values[i]))
            {
                printf("  %s=%s", k, root->u.object.values[i]->u.string);
            }
        }
    }

    putchar('\n');
    l->shown++;

done:

    yajl_tree_free(root);

    return 0;
}


/* a finding of mado_account_verify(), on standard error */
static void
mc_audit_account(const char *id, const char *why, void *arg)
{
    (void) arg;

    mc_error("account \"%s\" %s", id, why);
}


/*
 * The chain with the key, its end against the anchor, the accounts
 * against their seals and the trail: every finding is said, and any one
 * makes the exit status 1.
 */
static int
mc_audit_verify(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          rc, arc, fd, bad, accounts;
    MDB_txn                     *txn;
    uint64_t                     n, nbad;
    mado_err_t                   err, aerr;
    const char                  *path;
    mado_store_t                 s;
    mado_anchor_t                a;
    mado_audit_verify_t          res;
    mado_anchor_check_t          c;
    unsigned char                key[MADO_AUDIT_KEY_LEN];

    optind = 0;

    if ((rc = mc_no_options("audit", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("audit", argc, argv, (const char *const []) { NULL },
                      0))
        != MC_EXIT_OK)
    {
        return rc;
    }

    path = mc_anchor_path(ctx);
    if (path == NULL) {
        return MC_EXIT_STORE;
    }

    if (mado_audit_key_load(ctx->audit_key, key, &err) != MADO_OK) {
        mc_error("%s", err.text);
        return MC_EXIT_STORE;
    }

    /* the anchor before the store: a write committed meanwhile can only
       put the store ahead of it, never behind */
    arc = mado_anchor_open(path, MADO_ANCHOR_READ, NULL, &fd, &aerr);

    if (arc == MADO_OK) {
        arc = mado_anchor_read(fd, key, &a, &aerr);
        close(fd);
    }

    OPENSSL_cleanse(key, sizeof(key));

    if ((rc = mc_audit_open(ctx, &s, &txn, 1)) != MC_EXIT_OK) {
        return rc;
    }

    /* a store of before accounts has no account database */
    accounts = (mdb_dbi_open(txn, "account", 0, &s.account) == 0);

    rc = mado_audit_walk(&s, txn, NULL, NULL, &res, &err);

    if (rc != MADO_OK) {
        goto failed;
    }

    bad = 0;

    if (res.broken) {
        mc_error("audit trail broken at record %llu: %s",
                 (unsigned long long) res.broken, res.why);
        bad = 1;

    } else {
        printf("audit trail intact: %llu records\n",
               (unsigned long long) res.records);
    }

    if (arc == MADO_ENOTFOUND) {
        mc_error("no audit anchor: %s: nothing outside the store to compare "
                 "the trail's end with, so records cut from its end or the "
                 "whole trail wiped would not show; after an upgrade, make it "
                 "once with \"madoctl audit anchor\"", aerr.text);
        bad = 1;

    } else if (arc != MADO_OK) {
        mc_error("audit anchor %s: %s", path, aerr.text);
        bad = 1;

    } else if (!res.broken) {
        rc = mado_anchor_check(&s, txn, &a, &res, &c, &err);

        if (rc != MADO_OK) {
            goto failed;
        }

        if (c.ok) {
            printf("compared with anchor %s: head seq %llu at %s\n", path,
                   (unsigned long long) a.seq, a.time);

            if (c.after) {
                printf("the store has %llu record%s after it, chained under "
                       "the key: their anchor was not written (a crash or an "
                       "I/O error after the commit); the next write moves "
                       "it\n", (unsigned long long) c.after,
                       c.after == 1 ? "" : "s");
            }

        } else {
            mc_error("audit trail does not reach its anchor %s: %s", path,
                     c.why);
            bad = 1;
        }
    }

    if (accounts) {
        rc = mado_account_verify(&s, txn, mc_audit_account, NULL, &n, &nbad,
                                 &err);
        if (rc != MADO_OK) {
            goto failed;
        }

        if (nbad) {
            bad = 1;

        } else {
            printf("accounts: %llu, each matching its seal and its last "
                   "change in the trail\n", (unsigned long long) n);
        }
    }

    mdb_txn_abort(txn);
    mado_store_close(&s);

    return bad ? MC_EXIT_REFUSED : MC_EXIT_OK;

failed:

    mdb_txn_abort(txn);
    mado_store_close(&s);
    mc_error("%s", err.text);

    return mc_exit_code(rc);
}


typedef struct {
    int64_t             now;
    const char         *path;
    char                replaced[160];
} mc_anchor_t;


static int
mc_audit_anchor_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    mc_anchor_t  *an = arg;
    const char   *extra[] = { "anchor", an->path, "replaced", an->replaced,
                              NULL };

    return mc_audit(s, txn, an->now, "audit.anchor", NULL, NULL, NULL, NULL,
                    extra, err);
}


/*
 * The anchor of a store that has none (made before anchors), naming the
 * trail's end once the trail verifies; or, with --reset, over one the
 * store does not match, after a backup was restored on purpose.  Either
 * is an audited write, whose own record the anchor then names.
 */
static int
mc_audit_anchor(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, arc, reset;
    MDB_txn                     *txn;
    mado_err_t                   err;
    mado_store_t                 s;
    mc_anchor_t                  an;
    mado_anchor_t                old;
    mado_audit_verify_t          res;
    mado_anchor_check_t          chk;
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "reset", no_argument, NULL, 'r' },
        { "help",  no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    reset = 0;
    optind = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {
        case 'r': reset = 1; break;
        case 'h': return mc_help("audit");
        default:  return mc_getopt_error("audit", c, argv);
        }
    }

    if ((rc = mc_args("audit", argc, argv, names, 0)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    memset(&an, 0, sizeof(an));
    an.now = ctx->now;
    an.path = mc_anchor_path(ctx);

    if (an.path == NULL) {
        return MC_EXIT_STORE;
    }

    if ((rc = mc_store_open(ctx, &s, MC_OPEN_NOANCHOR)) != MC_EXIT_OK) {
        return rc;
    }

    if ((rc = mc_anchor_open(ctx, &s, MADO_ANCHOR_CREATE)) != MC_EXIT_OK) {
        mado_store_close(&s);
        return rc;
    }

    arc = mado_anchor_read(s.anchor_fd, s.audit_key, &old, &err);

    if (arc != MADO_OK && arc != MADO_ENOTFOUND && arc != MADO_EINVAL) {
        goto failed;
    }

    rc = mado_store_read_begin(&s, &txn, &err);
    if (rc != MADO_OK) {
        goto failed;
    }

    /* what is anchored must be what verify accepts */
    rc = mado_audit_walk(&s, txn, NULL, NULL, &res, &err);

    if (rc == MADO_OK && !res.broken && arc == MADO_OK) {
        rc = mado_anchor_check(&s, txn, &old, &res, &chk, &err);
    }

    mdb_txn_abort(txn);

    if (rc != MADO_OK) {
        goto failed;
    }

    if (res.broken) {
        mado_store_close(&s);
        mc_error("audit trail broken at record %llu: %s; an anchor would "
                 "hide it, none is made", (unsigned long long) res.broken,
                 res.why);
        return MC_EXIT_REFUSED;
    }

    if (arc == MADO_ENOTFOUND) {
        snprintf(an.replaced, sizeof(an.replaced), "none");

    } else if (arc == MADO_OK && chk.ok) {
        snprintf(an.replaced, sizeof(an.replaced), "record %llu of %s "
                 "(matching)", (unsigned long long) old.seq, old.time);

    } else if (!reset) {
        mado_store_close(&s);
        mc_error("the store does not match the audit anchor %s: %s; if an "
                 "older copy of the store was put back on purpose (a backup "
                 "restored), \"--reset\" anchors it as it is now",
                 an.path, arc == MADO_OK ? chk.why : err.text);
        return MC_EXIT_REFUSED;

    } else if (arc == MADO_OK) {
        snprintf(an.replaced, sizeof(an.replaced), "record %llu of %s",
                 (unsigned long long) old.seq, old.time);

    } else {
        snprintf(an.replaced, sizeof(an.replaced), "garbled");
    }

    /* the write's commit moves the anchor to its own record, back too */
    s.anchor_reset = reset;

    rc = mado_store_write(&s, mc_audit_anchor_write, &an, &err);

    if (rc != MADO_OK) {
        goto failed;
    }

    mado_store_close(&s);

    printf("anchored the audit trail at record %llu in %s\n",
           (unsigned long long) s.anchor_next.seq, an.path);

    return MC_EXIT_OK;

failed:

    mado_store_close(&s);
    mc_error("%s", err.text);

    return mc_exit_code(rc);
}
