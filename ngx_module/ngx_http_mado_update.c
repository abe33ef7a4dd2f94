
/*
 * mado: counter updates (POST .../offices/{office}/counters/{counter}),
 * in a thread: the session checked, the change applied by the same rules
 * as madoctl's and audited, in one write transaction.
 */


#include "ngx_http_mado_admin.h"


static int
ngx_http_mado_admin_counter_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc;
    char                         actor[MADO_ID_MAX + 8];
    uint32_t                     result;
    const char                  *field;
    mado_err_t                   e;
    mado_account_t               a;
    mado_counter_state_t         before, after;
    ngx_http_mado_admin_task_t  *t = arg;

    t->status = NGX_HTTP_OK;

    rc = ngx_http_mado_admin_session(s, txn, t, &a, err);
    if (rc != MADO_OK || t->status != NGX_HTTP_OK) {
        return rc;
    }

    if (t->route != NGX_HTTP_MADO_ADMIN_COUNTER) {
        return ngx_http_mado_admin_session_write(s, txn, t, &a, err);
    }

    ngx_sprintf((u_char *) actor, "user:%s%Z", t->user);

    if (!mado_account_may(&a, t->office) || a.role == MADO_ROLE_FEED) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                       "mado admin: auth: \"%s\" may not change office "
                       "\"%s\"", t->user, t->office);

        t->status = NGX_HTTP_FORBIDDEN;
        return ngx_http_mado_admin_refusal(s, txn, t, t->user,
                                           NGX_HTTP_FORBIDDEN, "office", err);
    }

    rc = ngx_http_mado_admin_replay(s, txn, t, err);
    if (rc != MADO_ENOTFOUND) {
        return rc;
    }

    rc = mado_counter_apply(s, txn, t->office, t->counter, &t->op, t->now,
                            &before, &after, &result, &field, err);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                   "mado admin: %s at \"%s/%s\": %s",
                   mado_hev_names[t->op.type], t->office, t->counter,
                   rc == MADO_OK ? "applied"
                   : rc == MADO_EINVAL ? "refused" : "failed");

    if (rc == MADO_EINVAL) {
        /* refused: nothing is written, the answer says why */
        if (field == NULL || ngx_strcmp(field, "number") == 0) {
            t->status = NGX_HTTP_CONFLICT;

        } else if (ngx_strcmp(field, "office") == 0
                   || ngx_strcmp(field, "counter") == 0)
        {
            t->status = NGX_HTTP_NOT_FOUND;

        } else {
            /* set's calling or last_issued: named as the body names it */
            t->status = NGX_HTTP_BAD_REQUEST;
            e = *err;
            (void) mado_fail(err, rc, "%s: %.480s", field, e.text);
        }

        return rc;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    rc = mado_audit_write(s, txn, t->now, actor, t->client,
                          mado_hev_names[t->op.type], t->office, t->counter,
                          &before, &after, NULL, err);
    if (rc != MADO_OK) {
        return rc;
    }

    t->len = mado_update_answer(t->body, sizeof(t->body), t->office,
                                t->counter, result, &after);

    if (t->len == 0) {
        /* yajl had no memory: no answer, so nothing applied either */
        return mado_fail(err, MADO_ESTORE, "out of memory");
    }

    return ngx_http_mado_admin_remember(s, txn, t, err);
}


/*
 * A request of a session (a counter update, POST session, POST logout) in
 * one write transaction; what it met becomes the answer.
 */
void
ngx_http_mado_admin_update(ngx_http_mado_admin_task_t *t, ngx_log_t *log)
{
    int         rc;
    mado_err_t  err;

    rc = mado_store_write(t->store, ngx_http_mado_admin_counter_write, t,
                          &err);

    if (t->status == NGX_HTTP_UNAUTHORIZED) {
        /* a dead session's cookie is of no further use */
        t->clear_cookie = t->cookie;
        ngx_http_mado_admin_fail(t, t->status, "unauthorized",
                                 "the session is unknown or has "
                                 "expired; log in again");
    } else if (t->status == NGX_HTTP_FORBIDDEN) {
        ngx_http_mado_admin_fail(t, t->status, "forbidden",
                                 "this account may not change that "
                                 "office's counters");
    } else if (rc == MADO_ERESIZED || rc == MADO_ERETIRED) {
        t->resized = (rc == MADO_ERESIZED);
        t->retired = (rc == MADO_ERETIRED);
        t->retry_after = 1;
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_busy", err.text);
    } else if (t->status == NGX_HTTP_MADO_UNPROCESSABLE) {
        /* answered by ngx_http_mado_admin_replay() */
    } else if (rc != MADO_OK && t->status != NGX_HTTP_OK) {
        ngx_http_mado_admin_fail(t, t->status,
                                 t->status == NGX_HTTP_NOT_FOUND
                                 ? "not_found"
                                 : t->status == NGX_HTTP_BAD_REQUEST
                                 ? "bad_request" : "refused", err.text);
    } else if (rc != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado admin: %s", err.text);
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_unavailable", err.text);
    } else if (t->route == NGX_HTTP_MADO_ADMIN_LOGOUT) {
        t->len = ngx_snprintf((u_char *) t->body, sizeof(t->body),
                              "{\"logged_out\":true}")
                 - (u_char *) t->body;
    }

    /* a task tried again (the map grew, a restore) needs the token again */
    if (!t->resized && !t->retired) {
        ngx_explicit_memzero(t->token, sizeof(t->token));
    }
}
