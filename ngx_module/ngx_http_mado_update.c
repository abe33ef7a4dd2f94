
/*
 * mado: the update API's thread work: counter updates, session and logout
 * in one write transaction, and logins (the password hash outside it).
 */


#include "ngx_http_mado_admin.h"


int
ngx_http_mado_admin_counter_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc;
    char                         actor[MADO_ID_MAX + 8];
    uint32_t                     result;
    const char                  *field;
    mado_account_t               a;
    mado_counter_state_t         before, after;
    ngx_http_mado_admin_task_t  *t = arg;

    t->status = NGX_HTTP_OK;

    rc = mado_session_check(s, txn, t->token, t->now,
                            NGX_HTTP_MADO_SESSION_IDLE,
                            NGX_HTTP_MADO_SESSION_MAX, t->user, err);
    if (rc == MADO_ENOTFOUND) {
        t->status = NGX_HTTP_UNAUTHORIZED;
        return MADO_OK;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    rc = mado_account_get(s, txn, t->user, &a, err);
    if (rc == MADO_ENOTFOUND || (rc == MADO_OK && a.disabled)) {
        t->status = NGX_HTTP_UNAUTHORIZED;
        return MADO_OK;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    ngx_sprintf((u_char *) actor, "user:%s%Z", t->user);

    if (t->route == NGX_HTTP_MADO_ADMIN_SESSION) {
        ngx_http_mado_admin_whoami(t, &a);
        return MADO_OK;
    }

    if (t->route == NGX_HTTP_MADO_ADMIN_LOGOUT) {
        t->clear_cookie = t->cookie;
        rc = mado_session_end(s, txn, t->token, err);
        if (rc == MADO_OK) {
            rc = mado_audit_write(s, txn, t->now, actor, t->client, "logout",
                                  NULL, NULL, NULL, NULL, NULL, err);
        }
        return rc;
    }

    if (!mado_account_may(&a, t->office) || a.role == MADO_ROLE_FEED) {
        t->status = NGX_HTTP_FORBIDDEN;
        return MADO_OK;
    }

    rc = ngx_http_mado_admin_replay(s, txn, t, err);
    if (rc != MADO_ENOTFOUND) {
        return rc;
    }

    rc = mado_counter_apply(s, txn, t->office, t->counter, &t->op, t->now,
                            &before, &after, &result, &field, err);

    if (rc == MADO_EINVAL) {
        /* refused: nothing is written, the answer says why */
        t->status = (field && ngx_strcmp(field, "number") != 0)
                    ? NGX_HTTP_NOT_FOUND : NGX_HTTP_CONFLICT;
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

    t->len = ngx_snprintf((u_char *) t->body, sizeof(t->body),
                          "{\"office\":\"%s\",\"counter\":\"%s\","
                          "\"ticket\":%uD,\"status\":\"%s\","
                          "\"waiting\":%uD,\"calling\":%uD,"
                          "\"last_issued\":%uD,\"served_today\":%uD,"
                          "\"staff\":%uD}",
                          t->office, t->counter, result,
                          mado_status_names[after.status], after.waiting,
                          after.calling, after.last_issued,
                          after.served_today, after.staff)
             - (u_char *) t->body;

    return ngx_http_mado_admin_remember(s, txn, t, err);
}


void
ngx_http_mado_admin_thread(void *data, ngx_log_t *log)
{
    int                          rc, ok;
    MDB_txn                     *txn;
    mado_err_t                   err;
    mado_account_t               a;
    ngx_http_mado_admin_task_t  *t = data;

    t->status = NGX_HTTP_OK;

    if (t->route == NGX_HTTP_MADO_ADMIN_FEED) {
        ngx_http_mado_admin_feed(t, log);
        return;
    }

    if (t->route != NGX_HTTP_MADO_ADMIN_LOGIN) {
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
        } else if (rc == MADO_ERESIZED) {
            t->resized = 1;
            t->retry_after = 1;
            ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "store_busy", err.text);
        } else if (t->status == NGX_HTTP_MADO_UNPROCESSABLE) {
            /* answered by ngx_http_mado_admin_replay() */
        } else if (rc != MADO_OK && t->status != NGX_HTTP_OK) {
            ngx_http_mado_admin_fail(t, t->status,
                                     t->status == NGX_HTTP_NOT_FOUND
                                     ? "not_found" : "refused", err.text);
        } else if (rc != MADO_OK) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "mado admin: %s", err.text);
            ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "store_unavailable", err.text);
        } else if (t->route == NGX_HTTP_MADO_ADMIN_LOGOUT) {
            t->len = ngx_snprintf((u_char *) t->body, sizeof(t->body),
                                  "{\"logged_out\":true}")
                     - (u_char *) t->body;
        }

        /* a task tried again (the map grew) needs the token again */
        if (!t->resized) {
            ngx_explicit_memzero(t->token, sizeof(t->token));
        }

        return;
    }

    /* login: the hash (about half a second) outside any write txn */
    ok = 0;
    rc = mado_store_read_begin(t->store, &txn, &err);

    if (rc == MADO_OK) {
        /* an address trying too many: no hash is even computed */
        t->retry_after = mado_client_locked(t->store, txn, t->client, t->now);

        if (t->retry_after) {
            mdb_txn_abort(txn);
            ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: logins from %s "
                          "wait %L s after too many failures", t->client,
                          t->retry_after);
            ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                     "too many failed logins from this "
                                     "address: wait and try again");
            ngx_explicit_memzero(t->password, sizeof(t->password));
            return;
        }

        rc = mado_account_get(t->store, txn, t->user, &a, &err);
        mdb_txn_abort(txn);
    }

    if (rc == MADO_ENOTFOUND) {
        /* as slow as a real check: no telling which users exist */
        ngx_memzero(&a, sizeof(a));
        (void) mado_password_check(&a, t->password);

    } else if (rc == MADO_OK && a.locked_until > t->now) {
        t->retry_after = a.locked_until - t->now;
        ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                 "too many failed logins: wait and try "
                                 "again");
        ngx_explicit_memzero(t->password, sizeof(t->password));
        ngx_explicit_memzero(&a, sizeof(a));
        return;

    } else if (rc == MADO_OK) {
        ok = !a.disabled && a.role != MADO_ROLE_FEED
             && mado_password_check(&a, t->password);
    }

    ngx_explicit_memzero(t->password, sizeof(t->password));
    ngx_explicit_memzero(&a, sizeof(a));

    if (rc != MADO_OK && rc != MADO_ENOTFOUND) {
        ngx_http_mado_admin_login_busy(t, rc, &err);
        return;
    }

    t->status = ok ? NGX_HTTP_OK : NGX_HTTP_UNAUTHORIZED;

    rc = mado_store_write(t->store, ngx_http_mado_admin_login_write, t, &err);

    if (rc == MADO_ERESIZED) {
        ngx_http_mado_admin_login_busy(t, rc, &err);
        return;
    }

    if (rc != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado admin: %s", err.text);
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_unavailable", err.text);
        return;
    }

    if (!ok) {
        if (t->retry_after) {
            ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: account \"%s\" "
                          "waits %L s after %d failed logins", t->user,
                          t->retry_after, MADO_LOGIN_FAILURES);
        }

        if (t->client_locked) {
            ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: logins from %s "
                          "wait %L s after too many failures", t->client,
                          t->client_locked);
        }

        ngx_http_mado_admin_fail(t, NGX_HTTP_UNAUTHORIZED, "unauthorized",
                                 "wrong user or password");
        t->retry_after = 0;
        return;
    }

    /* the answer was made in the transaction; a cookie takes the token */
    t->set_cookie = t->cookie;

    if (!t->cookie) {
        ngx_explicit_memzero(t->token, sizeof(t->token));
    }
}
