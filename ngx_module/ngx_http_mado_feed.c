
/*
 * mado: a feed account's batch of events (POST .../offices/{office}/feed):
 * every line parsed before anything is written, then applied in one
 * transaction or not at all.
 */


#include "ngx_http_mado_admin.h"


static int ngx_http_mado_admin_feed_write(mado_store_t *s, MDB_txn *txn,
    void *arg, mado_err_t *err);
static int ngx_http_mado_admin_feed_bad(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_err_t *err);


/*
 * A feed is lines of JSON.  A form type means "curl -d", which drops the
 * line ends: refused rather than read as one bad line.
 */
ngx_int_t
ngx_http_mado_admin_feed_type(ngx_http_request_t *r, ngx_int_t *sent)
{
    size_t      k;
    ngx_str_t  *ct;

    if (r->headers_in.content_type == NULL) {
        return NGX_OK;
    }

    ct = &r->headers_in.content_type->value;

    for (k = 0; k < ct->len && ct->data[k] != ';' && ct->data[k] != ' '; k++)
    {
        /* void */
    }

#define CT(type)                                                              \
    (k == sizeof(type) - 1                                                    \
     && ngx_strncasecmp(ct->data, (u_char *) type, k) == 0)

    if (!(CT("application/x-ndjson") || CT("application/jsonl")
          || CT("application/json") || CT("text/plain")))
    {
        *sent = ngx_http_mado_send_error(r, 0,
                    NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_type",
                    "Content-Type: send application/x-ndjson, one event a "
                    "line (curl: --data-binary, not -d)");
        return NGX_DECLINED;
    }

#undef CT

    return NGX_OK;
}


static int
ngx_http_mado_admin_feed_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc, due;
    char                         actor[MADO_ID_MAX + 8], events[NGX_INT_T_LEN];
    MDB_txn                     *child;
    int64_t                      locked;
    mado_anchor_t                next;
    mado_account_t               a;
    mado_feed_batch_t            b;
    ngx_http_mado_admin_task_t  *t = arg;
    const char                  *extra[] = { "events", events, NULL };

    /* what a run before a map growth answered is no longer so */
    t->status = NGX_HTTP_OK;
    t->retry_after = 0;
    t->client_locked = 0;
    t->len = 0;

    if (!t->feed_token) {
        /* a person's session: people change counters, machines feed */
        rc = ngx_http_mado_admin_session(s, txn, t, &a, err);
        if (rc != MADO_OK) {
            return rc;
        }

        if (t->status == NGX_HTTP_UNAUTHORIZED) {
            ngx_http_mado_admin_fail(t, NGX_HTTP_UNAUTHORIZED,
                                     "unauthorized", "the session is "
                                     "unknown or has expired");
            return MADO_OK;
        }

        ngx_http_mado_admin_fail(t, NGX_HTTP_FORBIDDEN, "forbidden",
                                 "only feed accounts post events (madoctl "
                                 "user add NAME --role feed); people change "
                                 "counters at offices/{office}/counters/"
                                 "{counter}");
        return ngx_http_mado_admin_refusal(s, txn, t, t->user,
                                           NGX_HTTP_FORBIDDEN, "not_feed",
                                           err);
    }

    /* an address guessing tokens waits, as one guessing passwords */
    t->retry_after = mado_client_locked(s, txn, t->client, t->now);

    if (t->retry_after) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                       "mado admin: auth: feed token: the address is locked");

        ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                 "too many failed attempts from this "
                                 "address: wait and try again");
        return ngx_http_mado_admin_refusal(s, txn, t, NULL,
                                           NGX_HTTP_TOO_MANY_REQUESTS,
                                           "address_locked", err);
    }

    rc = mado_token_find(s, txn, t->token, &a, err);

    if (rc == MADO_ESEAL) {
        /* the token's account was put in or changed outside madoctl */
        ngx_log_error(NGX_LOG_ALERT, &t->log, 0, "mado admin: feed token "
                      "refused: %s", err->text);
        rc = MADO_ENOTFOUND;
    }

    if (rc == MADO_ENOTFOUND || (rc == MADO_OK && a.disabled)) {
        ngx_explicit_memzero(&a, sizeof(a));

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                       "mado admin: auth: feed token: no such account, or "
                       "disabled");

        rc = mado_client_failed(s, txn, t->client, t->now, &locked, err);

        if (rc == MADO_OK) {
            rc = mado_audit_write(s, txn, t->now, "token:unknown", t->client,
                                  "feed.failed", t->office, NULL, NULL, NULL,
                                  NULL, err);
        }

        if (rc != MADO_OK) {
            return rc;
        }

        t->client_locked = locked;
        ngx_http_mado_admin_fail(t, NGX_HTTP_UNAUTHORIZED, "unauthorized",
                                 "the token is not a feed account's, or "
                                 "the account is disabled");
        return MADO_OK;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    ngx_cpystrn((u_char *) t->user, (u_char *) a.id, sizeof(t->user));
    ngx_sprintf((u_char *) actor, "user:%s%Z", t->user);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                   "mado admin: auth: feed token of \"%s\": %s", t->user,
                   mado_account_may(&a, t->office) ? "ok"
                   : "not granted the office");

    /* an office not granted: 403 whether it exists or not */
    if (!mado_account_may(&a, t->office)) {
        ngx_explicit_memzero(&a, sizeof(a));
        ngx_http_mado_admin_fail(t, NGX_HTTP_FORBIDDEN, "forbidden",
                                 "this account may not feed that office");
        return ngx_http_mado_admin_refusal(s, txn, t, t->user,
                                           NGX_HTTP_FORBIDDEN, "office", err);
    }

    ngx_explicit_memzero(&a, sizeof(a));

    if (t->feed.too_many) {
        ngx_http_mado_admin_fail(t, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "too_large", t->feed.why);
        return MADO_OK;
    }

    if (t->feed.bad) {
        ngx_http_mado_admin_fail(t, NGX_HTTP_BAD_REQUEST, "bad_request",
                                 t->feed.why);

        /* the line the answer names, for monitoring (a feed refused) */
        return ngx_http_mado_admin_feed_bad(s, txn, t, err);
    }

    rc = ngx_http_mado_admin_replay(s, txn, t, err);
    if (rc != MADO_ENOTFOUND) {
        return rc;
    }

    ngx_sprintf((u_char *) events, "%uz%Z", t->feed.n);

    ngx_memzero(&b, sizeof(mado_feed_batch_t));
    b.office = t->office;
    b.now = t->now;
    b.actor = actor;
    b.client = t->client;
    b.extra = extra;
    b.strict = 1;

    /*
     * In a nested transaction: a batch refused for a line the office
     * cannot take is undone whole, and only its bad line is counted (the
     * feed's record) in the transaction around it.
     */
    rc = mdb_txn_begin(mdb_txn_env(txn), txn, 0, &child);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "a feed batch", rc);
    }

    /* a record the batch audited and took back is no anchor's */
    due = s->anchor_due;
    next = s->anchor_next;

    rc = mado_feed_batch(s, child, &b, t->feed.order, t->feed.n, err);

    if (rc != MADO_OK) {
        mdb_txn_abort(child);
        s->anchor_due = due;
        s->anchor_next = next;
    }

    if (rc == MADO_EINVAL) {
        /* refused: nothing of the batch written */
        ngx_http_mado_admin_fail(t, NGX_HTTP_BAD_REQUEST, "bad_request",
                                 err->text);
        return ngx_http_mado_admin_feed_bad(s, txn, t, err);
    }

    if (rc == MADO_ENOTFOUND) {
        ngx_http_mado_admin_fail(t, NGX_HTTP_NOT_FOUND, "not_found",
                                 err->text);
        return rc;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    rc = mdb_txn_commit(child);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "a feed batch", rc);
    }

    rc = mado_feed_stat_add(s, txn, t->office, MADO_FEED_HTTP,
                            MADO_FEED_HTTP_NAME, &b,
                            t->feed.order, t->feed.n, 0, t->now, err);
    if (rc != MADO_OK) {
        return rc;
    }

    t->len = mado_feed_answer(t->body, sizeof(t->body), &b, t->feed.n);

    if (t->len == 0) {
        /* yajl had no memory: no answer, so nothing applied either */
        return mado_fail(err, MADO_ESTORE, "out of memory");
    }

    return ngx_http_mado_admin_remember(s, txn, t, err);
}


/*
 * A batch refused for a bad line (400): that line counts in the feed's
 * record, so that a machine whose batches are all refused shows; the
 * lines after it were not looked at.  Only an office that exists has
 * feeds (a batch refused before the office was looked up may name none).
 */
static int
ngx_http_mado_admin_feed_bad(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_err_t *err)
{
    int                 rc;
    mado_office_def_t   o;

    ngx_memzero(&o, sizeof(mado_office_def_t));

    rc = mado_office_get(s, txn, t->office, &o, err);
    mado_office_free(&o);

    if (rc == MADO_ENOTFOUND) {
        return MADO_OK;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    return mado_feed_stat_add(s, txn, t->office, MADO_FEED_HTTP,
                              MADO_FEED_HTTP_NAME,
                              NULL, NULL, 0, 1, t->now, err);
}


void
ngx_http_mado_admin_feed(ngx_http_mado_admin_task_t *t, ngx_log_t *log)
{
    int         rc;
    mado_err_t  err;

    ngx_memzero(&t->feed, sizeof(mado_feed_body_t));

    if (ngx_http_mado_admin_feed_read(t) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "mado admin: reading a feed's body failed");
        ngx_http_mado_admin_fail(t, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal_error", "the body could not be "
                                 "read");
        goto done;
    }

    ngx_http_mado_admin_fingerprint(t, t->in, t->in_len);

    /*
     * Every line is parsed before anything is written (the library's
     * framing and parser, as "madoctl feed" reads a file): the first bad
     * one is the answer (its number and why), and nothing is applied.
     */
    if (mado_feed_body((const char *) t->in, t->in_len,
                       NGX_HTTP_MADO_FEED_EVENTS, &t->feed)
        != 0)
    {
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_unavailable", "out of memory");
        goto done;
    }

    rc = mado_store_write(t->store, ngx_http_mado_admin_feed_write, t, &err);

    if (rc == MADO_ERESIZED || rc == MADO_ERETIRED) {
        t->resized = (rc == MADO_ERESIZED);
        t->retired = (rc == MADO_ERETIRED);
        t->retry_after = 1;
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_busy", err.text);

    } else if (rc != MADO_OK && t->status == NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado admin: %s", err.text);
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_unavailable", err.text);
    }

    if (t->client_locked) {
        ngx_log_error(NGX_LOG_WARN, log, 0, "mado admin: feed tokens from "
                      "%s wait %L s after too many failures", t->client,
                      t->client_locked);
    }

done:

    mado_feed_body_free(&t->feed);

    /* a task tried again (the map grew, a restore) needs the token again */
    if (!t->resized && !t->retired) {
        ngx_explicit_memzero(t->token, sizeof(t->token));
    }
}
