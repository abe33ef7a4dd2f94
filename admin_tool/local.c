/*
 * The local store, for the verbs that write or read it: opening it with
 * the audit key, who writes (the actor), the audit records of madoctl's
 * writes, and the exit status of the library's return codes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <pwd.h>
#include <unistd.h>

#include "madoctl.h"


int
mc_exit_code(int rc)
{
    switch (rc) {

    case MADO_OK:
        return MC_EXIT_OK;

    case MADO_EINVAL:
    case MADO_ENOTFOUND:
    case MADO_ESEAL:
        return MC_EXIT_REFUSED;

    default:
        /* MADO_ESTORE, or an LMDB code that got through */
        return MC_EXIT_STORE;
    }
}


int
mc_store_open(mc_ctx_t *ctx, mado_store_t *s, unsigned flags)
{
    int         rc;
    mado_err_t  err;

    /* map size 0: keep the store's own, which may have grown */
    rc = mado_store_open(s, ctx->store, flags, 0, &err);
    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return MC_EXIT_STORE;
    }

    /* a writer writes nothing it cannot audit; verify needs it too, and
       so does whatever reads the records it seals */
    if (!(flags & MADO_OPEN_RDONLY) || (flags & MC_OPEN_AUDIT)) {
        if (mado_audit_key_load(ctx->audit_key, s->audit_key, &err)
            != MADO_OK
            || mado_store_keys(s, s->audit_key, &err) != MADO_OK)
        {
            mado_store_close(s);
            mc_error("%s", err.text);
            return MC_EXIT_STORE;
        }
    }

    /* a writer moves the anchor after each commit: no anchor, no write */
    if (!(flags & MADO_OPEN_RDONLY) && !(flags & MC_OPEN_NOANCHOR)) {
        rc = mc_anchor_open(ctx, s, MADO_ANCHOR_WRITE);

        if (rc != MC_EXIT_OK) {
            mado_store_close(s);
            return rc;
        }
    }

    return MC_EXIT_OK;
}


const char *
mc_anchor_path(mc_ctx_t *ctx)
{
    static char  path[4096];

    if (mado_anchor_path(ctx->audit_key, path, sizeof(path)) != 0) {
        mc_error("--audit-key: the path is too long");
        return NULL;
    }

    return path;
}


/* after a commit: the change is made, the anchor lags behind until the
   next write (or "audit anchor") */
static void
mc_anchor_log(void *data, const char *msg)
{
    (void) data;

    mc_error("warning: the change is made, but %s; the next write moves "
             "the anchor, or run \"madoctl audit anchor\"", msg);
}


int
mc_anchor_open(mc_ctx_t *ctx, mado_store_t *s, int how)
{
    int          rc, fd;
    mado_err_t   err;
    const char  *path;

    path = mc_anchor_path(ctx);
    if (path == NULL) {
        return MC_EXIT_STORE;
    }

    rc = mado_anchor_open(path, how, ctx->audit_key, &fd, &err);

    if (rc == MADO_ENOTFOUND) {
        mc_error("%s: the trail's anchor is missing; after an upgrade, make "
                 "it once with \"madoctl audit anchor\" (docs/admin.md, "
                 "\"The audit trail\")", err.text);
        return MC_EXIT_STORE;
    }

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return MC_EXIT_STORE;
    }

    s->anchor_fd = fd;
    s->anchored = 1;
    s->anchor_own = 1;
    s->log = mc_anchor_log;
    s->log_data = NULL;

    return MC_EXIT_OK;
}


/* who runs this: the login user, and who used sudo to become them */
const char *
mc_actor(void)
{
    static char     actor[128];
    const char     *sudo;
    struct passwd  *pw;

    if (actor[0] == '\0') {
        pw = getpwuid(getuid());
        sudo = getenv("SUDO_USER");

        snprintf(actor, sizeof(actor), "os:%s%s%s",
                 pw ? pw->pw_name : "?", sudo ? " via sudo by " : "",
                 sudo ? sudo : "");
    }

    return actor;
}


/*
 * The audit record of a write, in its transaction: who, when, what, and
 * the counter before and after (either may be NULL); extra is a JSON
 * object's members, e.g. "\"file\":\"x.log\"", or NULL.
 */
int
mc_audit(mado_store_t *s, MDB_txn *txn, int64_t now, const char *action,
    const char *office, const char *counter,
    const mado_counter_state_t *before, const mado_counter_state_t *after,
    const char *const *extra, mado_err_t *err)
{
    return mado_audit_write(s, txn, now, mc_actor(), "local", action, office,
                            counter, before, after, extra, err);
}


typedef struct {
    int64_t                 now;
    const char             *action;
    const char *const      *extra;
} mc_audit_only_t;


static int
mc_audit_only_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    mc_audit_only_t  *a = arg;

    return mc_audit(s, txn, a->now, a->action, NULL, NULL, NULL, NULL,
                    a->extra, err);
}


/* a write that is only its audit record: init, simulate starting */
int
mc_audit_only(mc_ctx_t *ctx, const char *action, const char *const *extra)
{
    int               rc;
    mado_err_t        err;
    mado_store_t      s;
    mc_audit_only_t   a;

    rc = mc_store_open(ctx, &s, 0);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    a.now = ctx->now;
    a.action = action;
    a.extra = extra;

    rc = mado_store_write(&s, mc_audit_only_write, &a, &err);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    return MC_EXIT_OK;
}
