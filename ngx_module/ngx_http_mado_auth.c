
/*
 * mado: who may use the update API: the session's token (bearer or
 * cookie, with its CSRF token), logins with their lockouts, the session
 * cookie and the answer saying who is logged in.
 */


#include <openssl/crypto.h>

#include "ngx_http_mado_admin.h"


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
    ngx_str_t         name, value;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *e;

    h = r->headers_in.authorization;

    /* a feed account's token: "mado_" and 64 hex digits, checked against
       the accounts in the thread */
    if (h != NULL && t->route == NGX_HTTP_MADO_ADMIN_FEED
        && h->value.len == 7 + MADO_TOKEN_LEN
        && ngx_strncasecmp(h->value.data, (u_char *) "Bearer ", 7) == 0)
    {
        ngx_memcpy(t->token, h->value.data + 7, MADO_TOKEN_LEN);
        t->feed_token = 1;
        return NGX_OK;
    }

    if (h != NULL) {
        if (h->value.len != 7 + MADO_SESSION_TOKEN_LEN
            || ngx_strncasecmp(h->value.data, (u_char *) "Bearer ", 7) != 0)
        {
            *sent = ngx_http_mado_admin_error(r, NGX_HTTP_UNAUTHORIZED,
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
        return NGX_OK;
    }

    ngx_str_set(&name, NGX_HTTP_MADO_SESSION_COOKIE);

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, &name,
                                          &value)
        == NGX_DECLINED
        || value.len != MADO_SESSION_TOKEN_LEN)
    {
        *sent = ngx_http_mado_admin_error(r, NGX_HTTP_UNAUTHORIZED,
                                         "unauthorized",
                                         "log in first: Authorization: "
                                         "Bearer and the token of POST "
                                         "login, or a session cookie");
        return NGX_DECLINED;
    }

    ngx_memcpy(t->token, value.data, MADO_SESSION_TOKEN_LEN);
    t->cookie = 1;

    if (t->route == NGX_HTTP_MADO_ADMIN_SESSION) {
        return NGX_OK;
    }

    if (mado_session_csrf(t->token, csrf) != 0) {
        *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        e = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (e[i].key.len == 12
                && ngx_strncasecmp(e[i].key.data, (u_char *) "X-CSRF-Token",
                                   12) == 0
                && e[i].value.len == MADO_CSRF_LEN
                && CRYPTO_memcmp(e[i].value.data, csrf, MADO_CSRF_LEN) == 0)
            {
                return NGX_OK;
            }
        }
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "mado admin: a cookie session's request without its "
                  "CSRF token, refused");

    *sent = ngx_http_mado_admin_error(r, NGX_HTTP_FORBIDDEN, "csrf",
                                     "X-CSRF-Token: missing or wrong; "
                                     "send the csrf of POST login or POST "
                                     "session");
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


int
ngx_http_mado_admin_login_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc, ok;
    char                        *actor, buf[MADO_ID_MAX + 8];
    mado_account_t               a;
    ngx_http_mado_admin_task_t  *t = arg;

    /* arg's status carries the verdict of the hash made outside the txn */
    ok = (t->status == NGX_HTTP_OK);

    rc = mado_account_get(s, txn, t->user, &a, err);

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
    }

    if (rc == MADO_OK && !ok) {
        rc = mado_client_failed(s, txn, t->client, t->now, &t->client_locked,
                                err);
    }

    if (rc != MADO_OK) {
        return rc;
    }

    actor = buf;
    ngx_sprintf((u_char *) buf, "user:%s%Z", t->user);

    return mado_audit_write(s, txn, t->now, actor, t->client,
                            ok ? "login" : "login.failed", NULL, NULL, NULL,
                            NULL, NULL, err);
}


/* who is logged in, and what they may change: the answer of login and
   session */
void
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
void
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
