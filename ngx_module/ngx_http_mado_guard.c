
/*
 * mado: what the update API checks before it reads a request, and the
 * audit of what it refuses.
 *
 *  - TLS: passwords, tokens and the session cookie never cross the
 *    network in clear.  "mado_admin_insecure on" allows plain HTTP, for a
 *    demo or tests on loopback.
 *  - The body's type: application/json on the JSON routes (415 for any
 *    other), so that no HTML form (text/plain, form types) can post one.
 *  - Where a request comes from: a login, or a request of a cookie
 *    session, that another site started (its Origin, Sec-Fetch-Site) is
 *    refused.  Tools with a bearer token send neither.
 *  - Refusals (403, 429) are audited, a few a minute from one address
 *    (mado_refusal_audit()): a flood cannot fill the store.
 */


#include "ngx_http_mado_admin.h"


static ngx_int_t ngx_http_mado_admin_tls(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
static ngx_int_t ngx_http_mado_admin_json_type(ngx_http_request_t *r,
    ngx_int_t *sent);
static ngx_uint_t ngx_http_mado_admin_same_origin(ngx_http_request_t *r,
    ngx_str_t *origin);
static int ngx_http_mado_admin_refused_write(mado_store_t *s, MDB_txn *txn,
    void *arg, mado_err_t *err);


/* the audit's names of the routes, ngx_http_mado_admin_route_e's order */
static const char *const  ngx_http_mado_admin_route_names[] = {
    "login", "logout", "session", "counter", "feed"
};


/* before anything is read: TLS, then the body's type; a login's origin */
ngx_int_t
ngx_http_mado_admin_guard(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent)
{
    if (ngx_http_mado_admin_tls(r, t, sent) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* a feed's lines have types of their own (ngx_http_mado_feed.c) */
    if (t->route != NGX_HTTP_MADO_ADMIN_FEED
        && ngx_http_mado_admin_json_type(r, sent) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /*
     * Every login, not only a cookie's: a page of another site could
     * otherwise log its visitors' browsers in, or lock accounts out with
     * their failures.
     */
    if (t->route == NGX_HTTP_MADO_ADMIN_LOGIN) {
        return ngx_http_mado_admin_origin(r, t, sent);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mado_admin_tls(ngx_http_request_t *r, ngx_http_mado_admin_task_t *t,
    ngx_int_t *sent)
{
    ngx_http_mado_loc_conf_t  *mlcf;

#if (NGX_SSL || NGX_COMPAT)
    if (r->connection->ssl) {
        return NGX_OK;
    }
#endif

#if defined(NGX_HTTP_VERSION_30)
    /* QUIC is TLS whatever its stream's connection says */
    if (r->http_version == NGX_HTTP_VERSION_30) {
        return NGX_OK;
    }
#endif

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    if (mlcf->admin_insecure) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "mado admin: a request over plain HTTP refused; serve "
                  "the update API over TLS (\"mado_admin_insecure on\" is "
                  "for a loopback demo or tests)");

    *sent = ngx_http_mado_admin_refuse(r, t, NGX_HTTP_FORBIDDEN,
                "https_required", "https_required",
                "the update API needs HTTPS: passwords, tokens and session "
                "cookies must not cross the network in clear (for a demo "
                "or tests on loopback only: \"mado_admin_insecure on\" in "
                "its location)");
    return NGX_DECLINED;
}


/*
 * application/json (its parameters, e.g. charset, as they are); a request
 * without a body may have no type at all (POST session, POST logout)
 */
static ngx_int_t
ngx_http_mado_admin_json_type(ngx_http_request_t *r, ngx_int_t *sent)
{
    size_t      k;
    ngx_str_t  *ct;

    static u_char  json[] = "application/json";

    if (r->headers_in.content_type == NULL) {
        if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
            return NGX_OK;
        }

    } else {
        ct = &r->headers_in.content_type->value;

        for (k = 0; k < ct->len && ct->data[k] != ';' && ct->data[k] != ' ';
             k++)
        {
            /* void */
        }

        if (k == sizeof(json) - 1
            && ngx_strncasecmp(ct->data, json, sizeof(json) - 1) == 0)
        {
            return NGX_OK;
        }
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado admin: not application/json, refused");

    *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                     "unsupported_type", "Content-Type: "
                                     "send application/json");
    return NGX_DECLINED;
}


/*
 * A request another site started: Sec-Fetch-Site other than same-origin
 * (or none: typed by the user), or an Origin other than this server's.
 * Browsers send both with every POST; tools send neither.
 */
ngx_int_t
ngx_http_mado_admin_origin(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent)
{
    ngx_table_elt_t  *h;

    static ngx_str_t  fetch_site = ngx_string("Sec-Fetch-Site");
    static ngx_str_t  origin = ngx_string("Origin");

    h = ngx_http_mado_header(r, &fetch_site, NULL);

    if (h != NULL
        && !(h->value.len == 11
             && ngx_strncasecmp(h->value.data, (u_char *) "same-origin", 11)
                == 0)
        && !(h->value.len == 4
             && ngx_strncasecmp(h->value.data, (u_char *) "none", 4) == 0))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mado admin: a request another site started "
                      "(Sec-Fetch-Site: %V), refused", &h->value);

        *sent = ngx_http_mado_admin_refuse(r, t, NGX_HTTP_FORBIDDEN,
                    "cross_site", "cross_site",
                    "Sec-Fetch-Site: %V: a request another site started "
                    "is refused; use the staff panel of this server",
                    &h->value);
        return NGX_DECLINED;
    }

    h = ngx_http_mado_header(r, &origin, NULL);

    if (h != NULL && !ngx_http_mado_admin_same_origin(r, &h->value)) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mado admin: a request from another origin (Origin: "
                      "%V), refused", &h->value);

        *sent = ngx_http_mado_admin_refuse(r, t, NGX_HTTP_FORBIDDEN,
                    "cross_site", "cross_site",
                    "Origin: \"%V\" is not this server: a request another "
                    "site started is refused; use the staff panel of this "
                    "server", &h->value);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * SCHEME://HOST[:PORT] of this request (its Host, over TLS unless the
 * connection is plain), or the origin of mado_public_url; "null" (a
 * sandboxed or opaque page) is never the same
 */
static ngx_uint_t
ngx_http_mado_admin_same_origin(ngx_http_request_t *r, ngx_str_t *origin)
{
    u_char                    *host, *p, *end;
    size_t                     len;
    ngx_uint_t                 tls;
    ngx_str_t                 *want;
    ngx_http_mado_loc_conf_t  *mlcf;

    tls = 0;

#if (NGX_SSL || NGX_COMPAT)
    tls = (r->connection->ssl != NULL);
#endif

    /* the public URL's scheme, host and port, without its path */
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    if (mlcf->public_url.len) {
        /* past "http://" or "https://" (checked by the directive) */
        end = mlcf->public_url.data + mlcf->public_url.len;
        p = ngx_strlchr(mlcf->public_url.data, end, ':') + 3;
        p = ngx_strlchr(p, end, '/');
        len = (p ? p : end) - mlcf->public_url.data;

        if (origin->len == len
            && ngx_strncasecmp(origin->data, mlcf->public_url.data, len) == 0)
        {
            return 1;
        }
    }

    end = origin->data + origin->len;

    if (origin->len > 8
        && ngx_strncasecmp(origin->data, (u_char *) "https://", 8) == 0)
    {
        host = origin->data + 8;

    } else if (!tls && origin->len > 7
               && ngx_strncasecmp(origin->data, (u_char *) "http://", 7) == 0)
    {
        /* http:// over TLS would be a downgrade: another origin */
        host = origin->data + 7;

    } else {
        return 0;
    }

    if (r->headers_in.host != NULL) {
        want = &r->headers_in.host->value;

    } else {
        /* HTTP/2 without a Host header: its :authority */
        want = &r->headers_in.server;
    }

    return want->len != 0 && (size_t) (end - host) == want->len
           && ngx_strncasecmp(host, want->data, want->len) == 0;
}


/*
 * A refusal of the event loop (no TLS, another site, no CSRF token): the
 * error is answered at once unless it is to be audited; then the body is
 * discarded and a thread writes the audit record before the answer goes.
 */
ngx_int_t
ngx_http_mado_admin_refuse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_uint_t status, const char *code,
    const char *reason, const char *fmt, ...)
{
    int                         due;
    u_char                     *p;
    va_list                     args;
    MDB_txn                    *txn;
    ngx_int_t                   rc;
    mado_err_t                  err;
    ngx_http_mado_main_conf_t  *mmcf;
    u_char                      text[512];
    char                        client[NGX_SOCKADDR_STRLEN + 1];

    va_start(args, fmt);
    p = ngx_vslprintf(text, text + sizeof(text), fmt, args);
    va_end(args);

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);

    /* a read of the mapped store, no syscall: is one more record due? */
    due = 0;
    ngx_cpystrn((u_char *) client, r->connection->addr_text.data,
                ngx_min(r->connection->addr_text.len + 1, sizeof(client)));

    if (mmcf->worker != NULL && mmcf->worker->opened
        && ngx_http_mado_read_begin(r->connection->log, mmcf->worker, &txn,
                                    &err)
           == MADO_OK)
    {
        due = mado_refusal_due(&mmcf->worker->store, txn, client,
                               ngx_http_mado_now(mmcf));
        mdb_txn_abort(txn);
    }

    if (!due) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado admin: refused (%s), not audited: enough of "
                       "this address's are", reason);

        return ngx_http_mado_send_error(r, 0, status, code, "%*s",
                                        (size_t) (p - text), text);
    }

    t->status = status;
    t->len = ngx_http_mado_json_error((u_char *) t->body, sizeof(t->body),
                                      status, code, text, p - text);
    t->reason = reason;
    t->refused = 1;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    /* finalized when the thread is done: the handler returns NGX_DONE */
    r->main->count++;
    ngx_http_mado_admin_post(r, t);

    return NGX_DONE;
}


/* in a thread: the refusal of the event loop audited, its answer kept */
void
ngx_http_mado_admin_refused(ngx_http_mado_admin_task_t *t, ngx_log_t *log)
{
    (void) log;

    ngx_http_mado_admin_refusal_txn(t, NULL, t->status, t->reason);
}


typedef struct {
    ngx_http_mado_admin_task_t  *t;
    const char                  *user;
    ngx_uint_t                   status;
    const char                  *reason;
} ngx_http_mado_admin_refusal_t;


/*
 * In a thread, a refusal in a transaction of its own (a login that found
 * the account or address waiting wrote nothing): looked at in a read
 * transaction first, so that a flood writes nothing once enough is.
 */
void
ngx_http_mado_admin_refusal_txn(ngx_http_mado_admin_task_t *t,
    const char *user, ngx_uint_t status, const char *reason)
{
    int                             rc, due;
    MDB_txn                        *txn;
    mado_err_t                      err;
    ngx_http_mado_admin_refusal_t   a;

    if (mado_store_read_begin(t->store, &txn, &err) != MADO_OK) {
        return;
    }

    due = mado_refusal_due(t->store, txn, t->client, t->now);
    mdb_txn_abort(txn);

    if (!due) {
        return;
    }

    a.t = t;
    a.user = user;
    a.status = status;
    a.reason = reason;

    rc = mado_store_write(t->store, ngx_http_mado_admin_refused_write, &a,
                          &err);

    if (rc == MADO_ERESIZED) {
        /* the answer stands; the event loop adopts the map */
        t->resized = 1;

    } else if (rc == MADO_ERETIRED) {
        /* the answer stands; the event loop opens the restored store */
        t->retired = 1;
        ngx_log_error(NGX_LOG_WARN, &t->log, 0, "mado admin: a refusal not "
                      "audited: %s", err.text);

    } else if (rc != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, &t->log, 0, "mado admin: auditing a "
                      "refusal: %s", err.text);
    }
}


static int
ngx_http_mado_admin_refused_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    ngx_http_mado_admin_refusal_t  *a = arg;

    return ngx_http_mado_admin_refusal(s, txn, a->t, a->user, a->status,
                                       a->reason, err);
}


/*
 * The record of a refusal, in the transaction that decided it, if due:
 * who (user NULL: not known, or what was typed, which is not kept), the
 * status, why and the route.
 */
int
ngx_http_mado_admin_refusal(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, const char *user, ngx_uint_t status,
    const char *reason, mado_err_t *err)
{
    int          rc, written;
    char         actor[MADO_ID_MAX + 8], code[NGX_INT_T_LEN + 1];
    const char  *extra[] = { "status", code, "reason", reason,
                             "route", NULL, NULL };

    extra[5] = ngx_http_mado_admin_route_names[t->route];
    ngx_sprintf((u_char *) code, "%ui%Z", status);

    if (user != NULL && user[0] != '\0') {
        ngx_sprintf((u_char *) actor, "user:%s%Z", user);

    } else {
        ngx_cpystrn((u_char *) actor, (u_char *) "anonymous", sizeof(actor));
    }

    rc = mado_refusal_audit(s, txn, t->now, actor, t->client,
                            t->office[0] ? t->office : NULL, extra, &written,
                            err);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                   "mado admin: refused %ui (%s): %s", status, reason,
                   rc != MADO_OK ? "the audit failed"
                   : written ? "audited" : "not audited: enough of this "
                                           "address's are");

    return rc;
}


/*
 * A login's audit record, in its transaction.  A user id that names no
 * account is kept only as a keyed hash: a password typed into the user
 * field must not be kept.  The login also sweeps a few expired sessions
 * and failure records (mado_retention.c).
 */
int
ngx_http_mado_admin_login_audit(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, int ok, int known, const char **sealed,
    mado_err_t *err)
{
    int                  rc;
    char                 actor[MADO_ID_MAX + 8], tried[MADO_TRIED_LEN + 1];
    const char          *extra[] = { "tried", tried, NULL };
    mado_sweep_stats_t   st;

    rc = mado_sweep(s, txn, t->now, MADO_SWEEP_STEP, &st, err);
    if (rc != MADO_OK) {
        return rc;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                   "mado admin: swept %uL sessions, %uL failure records, "
                   "%uL refusal counts", st.sessions, st.clients,
                   st.refusals);

    if (known) {
        ngx_sprintf((u_char *) actor, "user:%s%Z", t->user);
        /* an account changed outside madoctl: refused, said as such */
        return mado_audit_write(s, txn, t->now, actor, t->client,
                                ok ? "login"
                                : sealed ? "login.refused" : "login.failed",
                                NULL, NULL, NULL, NULL, sealed, err);
    }

    mado_tried_id(s, t->user, tried);

    return mado_audit_write(s, txn, t->now, "anonymous", t->client,
                            "login.failed", NULL, NULL, NULL, NULL, extra,
                            err);
}
