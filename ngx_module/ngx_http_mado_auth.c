
/*
 * mado: who may use the update API: the session's token (bearer or
 * cookie, with its CSRF token), logins with their lockouts, the session
 * cookie and the answer saying who is logged in.
 */


#include "ngx_http_mado_admin.h"

#include <openssl/crypto.h>


static int ngx_http_mado_admin_login_write(mado_store_t *s, MDB_txn *txn,
    void *arg, mado_err_t *err);
static void ngx_http_mado_admin_whoami(ngx_http_mado_admin_task_t *t,
    const mado_account_t *a);
static void ngx_http_mado_admin_login_busy(ngx_http_mado_admin_task_t *t,
    int rc, mado_err_t *err);


/*
 * The session's token: a bearer token (tools) or the session cookie
 * (browsers).  A cookie is sent by the browser whoever made the page, so
 * a change made with one must also carry the CSRF token only our page
 * knows; "session" changes nothing and answers with that token.
 */
ngx_int_t
ngx_http_mado_admin_token(ngx_http_request_t *r, ngx_http_mado_admin_task_t *t,
    ngx_int_t *sent)
{
    char              csrf[MADO_CSRF_LEN + 1];
    ngx_str_t         value;
    ngx_table_elt_t  *h;

    static ngx_str_t  cookie = ngx_string(NGX_HTTP_MADO_SESSION_COOKIE);
    static ngx_str_t  csrf_header = ngx_string("X-CSRF-Token");

    h = r->headers_in.authorization;

    /* a feed account's token: "mado_" and 64 hex digits, checked against
       the accounts in the thread */
    if (h != NULL && t->route == NGX_HTTP_MADO_ADMIN_FEED
        && h->value.len == 7 + MADO_TOKEN_LEN
        && ngx_strncasecmp(h->value.data, (u_char *) "Bearer ", 7) == 0)
    {
        ngx_memcpy(t->token, h->value.data + 7, MADO_TOKEN_LEN);
        t->feed_token = 1;

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado admin: auth: a feed token, checked in the "
                       "thread");
        return NGX_OK;
    }

    if (h != NULL) {
        if (h->value.len != 7 + MADO_SESSION_TOKEN_LEN
            || ngx_strncasecmp(h->value.data, (u_char *) "Bearer ", 7) != 0)
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "mado admin: auth: a malformed Authorization, "
                           "refused");

            *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_UNAUTHORIZED,
                                             "unauthorized",
                                             "Authorization: must be Bearer "
                                             "and %s",
                                             t->route
                                             == NGX_HTTP_MADO_ADMIN_FEED
                                             ? "a feed account's token"
                                             : "the token of POST login");
            return NGX_DECLINED;
        }

        ngx_memcpy(t->token, h->value.data + 7, MADO_SESSION_TOKEN_LEN);

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado admin: auth: a bearer session token, checked "
                       "in the thread");
        return NGX_OK;
    }

    if (ngx_http_mado_cookie(r, &cookie, &value) != NGX_OK
        || value.len != MADO_SESSION_TOKEN_LEN)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado admin: auth: no session token, refused");

        *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_UNAUTHORIZED,
                                         "unauthorized",
                                         "log in first: Authorization: "
                                         "Bearer and the token of POST "
                                         "login, or a session cookie");
        return NGX_DECLINED;
    }

    ngx_memcpy(t->token, value.data, MADO_SESSION_TOKEN_LEN);
    t->cookie = 1;

    /* a cookie goes with requests other sites start, too (guard.c) */
    if (ngx_http_mado_admin_origin(r, t, sent) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (t->route == NGX_HTTP_MADO_ADMIN_SESSION) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado admin: auth: a session cookie, checked in the "
                       "thread");
        return NGX_OK;
    }

    if (mado_session_csrf(t->token, csrf) != 0) {
        *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    for (h = ngx_http_mado_header(r, &csrf_header, NULL); h != NULL;
         h = ngx_http_mado_header(r, &csrf_header, h))
    {
        if (h->value.len == MADO_CSRF_LEN
            && CRYPTO_memcmp(h->value.data, csrf, MADO_CSRF_LEN) == 0)
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "mado admin: auth: a session cookie with its "
                           "CSRF token, checked in the thread");
            return NGX_OK;
        }
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "mado admin: a cookie session's request without its "
                  "CSRF token, refused");

    *sent = ngx_http_mado_admin_refuse(r, t, NGX_HTTP_FORBIDDEN, "csrf",
                                       "csrf", "X-CSRF-Token: missing or "
                                       "wrong; send the csrf of POST login "
                                       "or POST session");
    return NGX_DECLINED;
}


/*
 * The browser's session: scripts cannot read it (HttpOnly), it travels
 * only over TLS (Secure) and never with a request another site started
 * (SameSite=Strict), and only to this API (Path).  No Max-Age: the server
 * ends it (idle and absolute limits), and the browser forgets it on exit.
 */
ngx_int_t
ngx_http_mado_admin_cookie(ngx_http_request_t *r, ngx_http_mado_admin_task_t *t)
{
    u_char                    *p;
    ngx_str_t                  key, value;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    value.len = sizeof(NGX_HTTP_MADO_SESSION_COOKIE "=; Path=; Max-Age=0; "
                       "Secure; HttpOnly; SameSite=Strict") - 1
                + MADO_SESSION_TOKEN_LEN + clcf->name.len;

    value.data = ngx_pnalloc(r->pool, value.len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    if (t->set_cookie) {
        p = ngx_sprintf(value.data, NGX_HTTP_MADO_SESSION_COOKIE "=%s; Path=%V; "
                        "Secure; HttpOnly; SameSite=Strict", t->token,
                        &clcf->name);
    } else {
        p = ngx_sprintf(value.data, NGX_HTTP_MADO_SESSION_COOKIE "=; Path=%V; "
                        "Max-Age=0; Secure; HttpOnly; SameSite=Strict",
                        &clcf->name);
    }

    value.len = p - value.data;
    ngx_str_set(&key, "Set-Cookie");

    return ngx_http_mado_add_header(r, &key, &value);
}


/*
 * POST login, in a thread: the password's hash (about half a second) is
 * made outside any write transaction, then the verdict is written (the
 * account's failures and lockout, the address's, the audit) in one.
 */
void
ngx_http_mado_admin_login(ngx_http_mado_admin_task_t *t, ngx_log_t *log)
{
    int              rc, ok;
    MDB_txn         *txn;
    mado_err_t       err;
    mado_account_t   a;

    ok = 0;
    rc = mado_store_read_begin(t->store, &txn, &err);

    if (rc == MADO_OK) {
        /* an address trying too many: no hash is even computed */
        t->retry_after = mado_client_locked(t->store, txn, t->client, t->now);

        if (t->retry_after) {
            mdb_txn_abort(txn);
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                           "mado admin: auth: login of \"%s\": the address "
                           "is locked", t->user);
            ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: logins from %s "
                          "wait %L s after too many failures", t->client,
                          t->retry_after);
            ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                     "too many failed logins from this "
                                     "address: wait and try again");
            ngx_explicit_memzero(t->password, sizeof(t->password));
            ngx_http_mado_admin_refusal_txn(t, NULL,
                                            NGX_HTTP_TOO_MANY_REQUESTS,
                                            "address_locked");
            return;
        }

        rc = mado_account_get(t->store, txn, t->user, &a, &err);
        mdb_txn_abort(txn);
    }

    if (rc == MADO_ESEAL) {
        /* put in or changed outside madoctl: someone wrote the store */
        ngx_log_error(NGX_LOG_ALERT, log, 0, "mado admin: login of \"%s\" "
                      "refused: %s", t->user, err.text);
    }

    if (rc == MADO_ENOTFOUND || rc == MADO_ESEAL) {
        /* as slow as a real check: no telling which users exist */
        ngx_memzero(&a, sizeof(a));
        (void) mado_password_check(&a, t->password);

    } else if (rc == MADO_OK && a.locked_until > t->now) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                       "mado admin: auth: login of \"%s\": the account is "
                       "locked", t->user);

        t->retry_after = a.locked_until - t->now;
        ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                 "too many failed logins: wait and try "
                                 "again");
        ngx_explicit_memzero(t->password, sizeof(t->password));
        ngx_explicit_memzero(&a, sizeof(a));
        ngx_http_mado_admin_refusal_txn(t, t->user,
                                        NGX_HTTP_TOO_MANY_REQUESTS,
                                        "account_locked");
        return;

    } else if (rc == MADO_OK) {
        ok = !a.disabled && a.role != MADO_ROLE_FEED
             && mado_password_check(&a, t->password);
    }

    ngx_explicit_memzero(t->password, sizeof(t->password));
    ngx_explicit_memzero(&a, sizeof(a));

    if (rc != MADO_OK && rc != MADO_ENOTFOUND && rc != MADO_ESEAL) {
        ngx_http_mado_admin_login_busy(t, rc, &err);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "mado admin: auth: login of \"%s\": %s", t->user,
                   ok ? "ok" : rc == MADO_ENOTFOUND ? "no such user"
                               : "wrong password, disabled or a feed account");

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


static int
ngx_http_mado_admin_login_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc, ok, known;
    const char                  *sealed[3];
    mado_account_t               a;
    ngx_http_mado_admin_task_t  *t = arg;

    sealed[0] = NULL;

    /* arg's status carries the verdict of the hash made outside the txn */
    ok = (t->status == NGX_HTTP_OK);

    rc = mado_account_get(s, txn, t->user, &a, err);
    known = (rc == MADO_OK || rc == MADO_ESEAL);

    if (rc == MADO_OK) {
        if (ok) {
            mado_login_ok(&a, t->now);
            rc = mado_session_new(s, txn, t->user, t->now, t->token, err);

            if (rc == MADO_OK) {
                ngx_http_mado_admin_whoami(t, &a);
            }

        } else {
            mado_login_failed(&a, t->now);
            t->retry_after = a.locked_until > t->now
                             ? a.locked_until - t->now : 0;
        }

        if (rc == MADO_OK) {
            rc = mado_account_put(s, txn, &a, err);
        }

        ngx_explicit_memzero(&a, sizeof(a));

    } else if (rc == MADO_ENOTFOUND) {
        /* an unknown user is a failed login too, for the audit */
        rc = MADO_OK;

    } else if (rc == MADO_ESEAL) {
        /* refused whatever the password: said in the trail as such */
        sealed[0] = "account";
        sealed[1] = a.seal_state == MADO_SEAL_NONE ? "no seal"
                                                   : "seal broken";
        sealed[2] = NULL;
        ok = 0;
        ngx_explicit_memzero(&a, sizeof(a));
        rc = MADO_OK;
    }

    if (rc == MADO_OK && !ok) {
        rc = mado_client_failed(s, txn, t->client, t->now, &t->client_locked,
                                err);
    }

    if (rc != MADO_OK) {
        return rc;
    }

    /* an unknown user id is kept only as a keyed hash (guard.c) */
    return ngx_http_mado_admin_login_audit(s, txn, t, ok, known,
                                           sealed[0] ? sealed : NULL, err);
}


/*
 * The account of the task's session, in the transaction of the request
 * that needs it: 401 in t->status when the session is unknown or expired
 * or its account is gone or disabled.
 */
int
ngx_http_mado_admin_session(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_account_t *a, mado_err_t *err)
{
    int  rc;

    rc = mado_session_check(s, txn, t->token, t->now,
                            NGX_HTTP_MADO_SESSION_IDLE,
                            NGX_HTTP_MADO_SESSION_MAX, t->user, err);
    if (rc == MADO_ENOTFOUND) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                       "mado admin: auth: the session is unknown or expired");

        t->status = NGX_HTTP_UNAUTHORIZED;
        return MADO_OK;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    rc = mado_account_get(s, txn, t->user, a, err);

    if (rc == MADO_ESEAL) {
        ngx_log_error(NGX_LOG_ALERT, &t->log, 0, "mado admin: session of "
                      "\"%s\" refused: %s", t->user, err->text);
        ngx_explicit_memzero(a, sizeof(mado_account_t));
        rc = MADO_ENOTFOUND;
    }

    if (rc == MADO_ENOTFOUND || (rc == MADO_OK && a->disabled)) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                       "mado admin: auth: session of \"%s\": the account is "
                       "gone or disabled", t->user);

        t->status = NGX_HTTP_UNAUTHORIZED;
        return MADO_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                   "mado admin: auth: session of \"%s\": ok, role %s",
                   t->user, rc == MADO_OK ? mado_role_names[a->role] : "?");

    return rc;
}


/* POST session: who is logged in; POST logout: the session ended, audited */
int
ngx_http_mado_admin_session_write(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_account_t *a, mado_err_t *err)
{
    int   rc;
    char  actor[MADO_ID_MAX + 8];

    if (t->route == NGX_HTTP_MADO_ADMIN_SESSION) {
        ngx_http_mado_admin_whoami(t, a);
        return MADO_OK;
    }

    ngx_sprintf((u_char *) actor, "user:%s%Z", t->user);

    t->clear_cookie = t->cookie;
    rc = mado_session_end(s, txn, t->token, err);
    if (rc == MADO_OK) {
        rc = mado_audit_write(s, txn, t->now, actor, t->client, "logout",
                              NULL, NULL, NULL, NULL, NULL, err);
    }
    return rc;
}


/* who is logged in, and what they may change: the answer of login and
   session */
static void
ngx_http_mado_admin_whoami(ngx_http_mado_admin_task_t *t,
    const mado_account_t *a)
{
    u_char    *p, *end;
    unsigned   i;
    char       csrf[MADO_CSRF_LEN + 1];

    p = (u_char *) t->body;
    end = p + sizeof(t->body);

    p = ngx_slprintf(p, end, "{\"user\":\"%s\",\"role\":\"%s\","
                     "\"all_offices\":%s,\"offices\":[", a->id,
                     mado_role_names[a->role],
                     a->role == MADO_ROLE_ADMIN ? "true" : "false");

    for (i = 0; a->role != MADO_ROLE_ADMIN && i < a->noffices; i++) {
        p = ngx_slprintf(p, end, "%s\"%s\"", i ? "," : "", a->offices[i]);
    }

    p = ngx_slprintf(p, end, "],\"idle_seconds\":%d,\"max_seconds\":%d",
                     NGX_HTTP_MADO_SESSION_IDLE, NGX_HTTP_MADO_SESSION_MAX);

    if (t->cookie) {
        if (mado_session_csrf(t->token, csrf) == 0) {
            p = ngx_slprintf(p, end, ",\"csrf\":\"%s\"", csrf);
        }

    } else if (t->route == NGX_HTTP_MADO_ADMIN_LOGIN) {
        p = ngx_slprintf(p, end, ",\"token\":\"%s\"", t->token);
    }

    p = ngx_slprintf(p, end, "}");
    t->len = p - (u_char *) t->body;
}


/* the store could not be read or written: a grown map is adopted and the
   login tried again (the password is not kept to try it here) */
static void
ngx_http_mado_admin_login_busy(ngx_http_mado_admin_task_t *t, int rc,
    mado_err_t *err)
{
    if (rc == MADO_ERESIZED) {
        t->resized = 1;
        t->retry_after = 1;
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_busy", err->text);
        return;
    }

    ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                             "store_unavailable", err->text);
}
