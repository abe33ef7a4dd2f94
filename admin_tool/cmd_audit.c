/*
 * madoctl audit list|verify: read and check the audit trail
 * (lmdb_store/mado_audit.c has how it is chained).
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        return mc_usage_error("audit", "say list or verify");
    }

    if (strcmp(argv[1], "list") == 0) {
        return mc_audit_list(ctx, argc - 1, argv + 1);
    }

    if (strcmp(argv[1], "verify") == 0) {
        return mc_audit_verify(ctx, argc - 1, argv + 1);
    }

    return mc_usage_error("audit", "unknown audit verb \"%s\"; say list or "
                          "verify", argv[1]);
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

    /* the id as failed logins keep it: a hash under the audit key */
    if ((rc = mc_audit_open(ctx, &s, &txn, tried != NULL)) != MC_EXIT_OK) {
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

    root = mado_json_tree(json, len, &err);

    if (root == NULL) {
        printf("%llu\t(unreadable record)\n", (unsigned long long) seq);
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


static int
mc_audit_verify(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          rc;
    MDB_txn                     *txn;
    mado_err_t                   err;
    mado_store_t                 s;
    mado_audit_verify_t          res;

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

    if ((rc = mc_audit_open(ctx, &s, &txn, 1)) != MC_EXIT_OK) {
        return rc;
    }

    rc = mado_audit_walk(&s, txn, NULL, NULL, &res, &err);
    mdb_txn_abort(txn);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    if (res.broken) {
        mc_error("audit trail broken at record %llu: %s",
                 (unsigned long long) res.broken, res.why);
        return MC_EXIT_REFUSED;
    }

    printf("audit trail intact: %llu records\n",
           (unsigned long long) res.records);

    return MC_EXIT_OK;
}
