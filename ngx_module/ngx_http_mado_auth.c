
/*
 * mado: who may use the update API: the session's token (bearer or
 * cookie, with its CSRF token), logins with their limits (counted before
 * the hash, mado_login_begin), the session cookie and the answer saying
 * who is logged in.
 */


#include "ngx_http_mado_admin.h"

#include <openssl/crypto.h>


static int ngx_http_mado_admin_login_begin(mado_store_t *s, MDB_txn *txn,
    void *arg, mado_err_t *err);
static void ngx_http_mado_admin_login_held(ngx_http_mado_admin_task_t *t,
    mado_login_t *l, ngx_log_t *log);
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


/* a login in its thread: the task, and what its two transactions share */
typedef struct {
    ngx_http_mado_admin_task_t  *t;
    mado_login_t                 limits;
    mado_account_t               a;     /* zeros: no account of that id, or
                                           one changed outside madoctl */
    unsigned                     known:1;   /* the id names an account */
} ngx_http_mado_login_t;


/*
 * POST login, in a thread.  Three steps:
 *
 *   1. in a write transaction: the limits checked and the attempt counted
 *      as failed at once, so that logins sent together meet the limits as
 *      logins sent one by one do; the account read;
 *   2. outside any transaction: one PBKDF2 hash (about a quarter of a
 *      second), whatever the account: one that does not exist, a feed
 *      account (no password), a disabled one or one without a matching
 *      seal costs the same as any;
 *   3. in a write transaction: the verdict (a session, the count taken
 *      back; or nothing more) and the audit.
 *
 * Every failure answers the same, whatever the account's state.
 */
void
ngx_http_mado_admin_login(ngx_http_mado_admin_task_t *t, ngx_log_t *log)
{
    int                    rc, ok;
    mado_err_t             err;
    ngx_http_mado_login_t  lg;

    static const char *const  held[] = {
        "too many failed logins of this account from this address: wait "
        "and try again",
        "too many failed logins from this address: wait and try again",
        "too many failed logins of this account: wait and try again"
    };

    ngx_memzero(&lg, sizeof(lg));
    lg.t = t;

    rc = mado_store_write(t->store, ngx_http_mado_admin_login_begin, &lg,
                          &err);

    if (rc != MADO_OK) {
        ngx_explicit_memzero(t->password, sizeof(t->password));
        ngx_explicit_memzero(&lg.a, sizeof(lg.a));

        if (rc != MADO_ERESIZED && rc != MADO_ERETIRED) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "mado admin: %s", err.text);
        }

        ngx_http_mado_admin_login_busy(t, rc, &err);
        return;
    }

    if (lg.limits.retry_after) {
        /* refused before any hash, and not counted */
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                       "mado admin: auth: login of \"%s\": held, %s",
                       t->user, held[lg.limits.held]);

        ngx_explicit_memzero(t->password, sizeof(t->password));
        ngx_explicit_memzero(&lg.a, sizeof(lg.a));

        t->retry_after = lg.limits.retry_after;
        ngx_http_mado_stat_add(t->stats, NGX_HTTP_MADO_STAT_HELD);
        ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                 held[lg.limits.held]);

        /* an id that names no account is not kept, even here */
        if (lg.limits.held == MADO_LIMIT_ADDRESS) {
            ngx_http_mado_admin_refusal_txn(t, NULL,
                                            NGX_HTTP_TOO_MANY_REQUESTS,
                                            "address_locked");
        } else {
            ngx_http_mado_admin_refusal_txn(t, lg.known ? t->user : NULL,
                                            NGX_HTTP_TOO_MANY_REQUESTS,
                                            "account_locked");
        }

        return;
    }

    /* the hash first, then what else refuses the account: equal cost */
    ok = mado_password_check(&lg.a, t->password);
    ok = ok && lg.a.id[0] != '\0' && !lg.a.disabled
         && lg.a.role != MADO_ROLE_FEED;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, log, 0,
                   "mado admin: auth: login of \"%s\": one PBKDF2 of %uD "
                   "iterations, %s%s", t->user,
                   lg.a.iterations ? lg.a.iterations : MADO_PBKDF2_ITERATIONS,
                   ok ? "ok"
                   : lg.a.id[0] == '\0' ? "no such user, or not sealed"
                   : "wrong password, disabled or a feed account",
                   lg.limits.trusted ? " (an address it logged in from)"
                   : "");

    ngx_explicit_memzero(t->password, sizeof(t->password));
    ngx_explicit_memzero(&lg.a, sizeof(lg.a));

    t->status = ok ? NGX_HTTP_OK : NGX_HTTP_UNAUTHORIZED;

    rc = mado_store_write(t->store, ngx_http_mado_admin_login_write, &lg,
                          &err);

    if (rc == MADO_ERESIZED || rc == MADO_ERETIRED) {
        ngx_http_mado_admin_login_busy(t, rc, &err);
        return;
    }

    if (rc != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado admin: %s", err.text);
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_unavailable", err.text);
        return;
    }

    /* the write may refuse an account changed since the hash */
    ok = (t->status == NGX_HTTP_OK);

    if (!ok) {
        /* each failure, for fail2ban (conf.example/fail2ban): the address
           first, and not the id typed, which may be a password */
        ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: a failed login "
                      "from %s", t->client);

        ngx_http_mado_stat_add(t->stats, NGX_HTTP_MADO_STAT_LOGIN_FAILURES);

        if (lg.limits.set) {
            ngx_http_mado_stat_add(t->stats, NGX_HTTP_MADO_STAT_LOCKOUTS);
        }

        ngx_http_mado_admin_login_held(t, &lg.limits, log);
        ngx_http_mado_admin_fail(t, NGX_HTTP_UNAUTHORIZED, "unauthorized",
                                 "wrong user or password");
        t->retry_after = 0;
        return;
    }

    ngx_http_mado_stat_add(t->stats, NGX_HTTP_MADO_STAT_LOGINS);

    /* the answer was made in the transaction; a cookie takes the token */
    t->set_cookie = t->cookie;

    if (!t->cookie) {
        ngx_explicit_memzero(t->token, sizeof(t->token));
    }
}


/* the limits checked, the attempt counted, the account read */
static int
ngx_http_mado_admin_login_begin(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc;
    ngx_http_mado_login_t       *lg = arg;
    ngx_http_mado_admin_task_t  *t = lg->t;

    ngx_memzero(&lg->a, sizeof(mado_account_t));
    lg->known = 0;

    rc = mado_login_begin(s, txn, t->user, t->client, t->now, &lg->limits,
                          err);
    if (rc != MADO_OK) {
        return rc;
    }

    rc = mado_account_get(s, txn, t->user, &lg->a, err);

    if (rc == MADO_ESEAL) {
        /* put in or changed outside madoctl: someone wrote the store */
        if (!lg->limits.retry_after) {
            ngx_log_error(NGX_LOG_ALERT, &t->log, 0, "mado admin: login of "
                          "\"%s\" refused: %s", t->user, err->text);
        }

        lg->known = 1;
        ngx_explicit_memzero(&lg->a, sizeof(mado_account_t));
        return MADO_OK;
    }

    if (rc == MADO_ENOTFOUND) {
        /* its hash is made against no credential (zeros) */
        ngx_memzero(&lg->a, sizeof(mado_account_t));
        return MADO_OK;
    }

    lg->known = (rc == MADO_OK);

    if (lg->limits.retry_after) {
        /* no hash: the account was read only to name it in the audit */
        ngx_explicit_memzero(&lg->a, sizeof(mado_account_t));
    }

    return rc;
}


/* the waits this failure began, at warn: someone may be guessing */
static void
ngx_http_mado_admin_login_held(ngx_http_mado_admin_task_t *t,
    mado_login_t *l, ngx_log_t *log)
{
    if (l->set & (1u << MADO_LIMIT_PAIR)) {
        ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: account \"%s\" "
                      "waits %L s at %s after %uD failed logins", t->user,
                      l->wait[MADO_LIMIT_PAIR], t->client,
                      l->failures[MADO_LIMIT_PAIR]);
    }

    if (l->set & (1u << MADO_LIMIT_ADDRESS)) {
        ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: logins from %s "
                      "wait %L s after too many failures (%uD)", t->client,
                      l->wait[MADO_LIMIT_ADDRESS],
                      l->failures[MADO_LIMIT_ADDRESS]);
    }

    if (l->set & (1u << MADO_LIMIT_ACCOUNT)) {
        ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: account \"%s\" "
                      "waits %L s at every address after %uD failed logins "
                      "(except where it logged in lately)", t->user,
                      l->wait[MADO_LIMIT_ACCOUNT],
                      l->failures[MADO_LIMIT_ACCOUNT]);
    }
}


/* the verdict of the hash (t->status): a session, or the failure audited */
static int
ngx_http_mado_admin_login_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc, ok, known;
    const char                  *sealed[3];
    mado_account_t               a;
    ngx_http_mado_login_t       *lg = arg;
    ngx_http_mado_admin_task_t  *t = lg->t;

    sealed[0] = NULL;

    /* the task's status carries the verdict of the hash made outside */
    ok = (t->status == NGX_HTTP_OK);

    rc = mado_account_get(s, txn, t->user, &a, err);
    known = (rc == MADO_OK || rc == MADO_ESEAL);

    if (rc == MADO_OK && ok) {
        mado_login_ok(&a, t->now);
        rc = mado_session_new(s, txn, t->user, t->now, t->token, err);

        if (rc == MADO_OK) {
            ngx_http_mado_admin_whoami(t, &a);
            rc = mado_account_put(s, txn, &a, err);
        }

        if (rc == MADO_OK) {
            rc = mado_login_succeeded(s, txn, t->user, t->client, t->now,
                                      &lg->limits, err);
        }

    } else if (rc == MADO_OK || rc == MADO_ENOTFOUND) {
        /* a failure was counted before the hash: only the audit is left */
        if (ok) {
            /* the account went between the two transactions */
            ok = 0;
            t->status = NGX_HTTP_UNAUTHORIZED;
        }

        rc = MADO_OK;

    } else if (rc == MADO_ESEAL) {
        /* refused whatever the password: said in the trail as such */
        sealed[0] = "account";
        sealed[1] = a.seal_state == MADO_SEAL_NONE ? "no seal"
                    : a.seal_state == MADO_SEAL_UNREADABLE ? "does not open"
                    : "seal broken";
        sealed[2] = NULL;
        ok = 0;
        t->status = NGX_HTTP_UNAUTHORIZED;
        rc = MADO_OK;
    }

    ngx_explicit_memzero(&a, sizeof(a));

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
    if (rc == MADO_ERESIZED || rc == MADO_ERETIRED) {
        t->resized = (rc == MADO_ERESIZED);
        t->retired = (rc == MADO_ERETIRED);
        t->retry_after = 1;
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_busy", err->text);
        return;
    }

    ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                             "store_unavailable", err->text);
}
