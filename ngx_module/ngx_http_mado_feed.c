
/*
 * mado: a feed account's batch of events (POST .../offices/{office}/feed):
 * every line parsed before anything is written, then applied in one
 * transaction or not at all.
 */


#include "ngx_http_mado_admin.h"


static ngx_int_t ngx_http_mado_admin_feed_parse(ngx_http_mado_admin_task_t *t);
static int ngx_http_mado_admin_feed_write(mado_store_t *s, MDB_txn *txn,
    void *arg, mado_err_t *err);


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


/*
 * Every line is parsed before anything is written: the first bad one is
 * the answer (its number and why), and nothing of the batch is applied.
 */
static ngx_int_t
ngx_http_mado_admin_feed_parse(ngx_http_mado_admin_task_t *t)
{
    u_char             *p, *end, *nl, *q;
    size_t              len, max, i;
    uint64_t            line;
    mado_feed_event_t  *e;
    char                text[NGX_HTTP_MADO_FEED_LINE_MAX + 1];

    t->nevents = 0;
    t->bad_body = 0;
    t->too_many = 0;

    p = t->in;
    end = t->in + t->in_len;

    /* a UTF-8 byte order mark some Windows tools write */
    if (end - p >= 3 && ngx_memcmp(p, "\xef\xbb\xbf", 3) == 0) {
        p += 3;
    }

    for (max = 1, q = p; q < end; q++) {
        max += (*q == '\n');
    }

    max = ngx_min(max, NGX_HTTP_MADO_FEED_EVENTS);

    t->events = malloc(max * sizeof(mado_feed_event_t));
    t->order = malloc(max * sizeof(mado_feed_event_t *));

    if (t->events == NULL || t->order == NULL) {
        return NGX_ERROR;
    }

    for (line = 1; p < end; line++, p = (nl ? nl + 1 : end)) {
        nl = ngx_strlchr(p, end, '\n');
        q = nl ? nl : end;
        len = q - p;

        if (len > 0 && p[len - 1] == '\r') {
            len--;
        }

        for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t'); i++) {
            /* void */
        }

        if (i == len) {
            continue;
        }

        if (t->nevents == NGX_HTTP_MADO_FEED_EVENTS) {
            t->too_many = 1;
            return NGX_OK;
        }

        e = &t->events[t->nevents];
        ngx_memzero(e, sizeof(mado_feed_event_t));
        e->line = line;

        if (len > NGX_HTTP_MADO_FEED_LINE_MAX) {
            ngx_sprintf((u_char *) t->why, "line %uL: longer than %d bytes%Z",
                        line, NGX_HTTP_MADO_FEED_LINE_MAX);
            t->bad_body = 1;
            return NGX_OK;
        }

        if (ngx_strlchr(p, p + len, '\0') != NULL
            || !mado_utf8_valid((char *) p, len))
        {
            ngx_sprintf((u_char *) t->why, "line %uL: not UTF-8 text%Z",
                        line);
            t->bad_body = 1;
            return NGX_OK;
        }

        ngx_memcpy(text, p, len);
        text[len] = '\0';

        if (mado_feed_jsonl(text, e) != 0) {
            ngx_snprintf((u_char *) t->why, sizeof(t->why) - 1,
                         "line %uL: %s%Z", line, e->why);
            t->why[sizeof(t->why) - 1] = '\0';
            t->bad_body = 1;
            return NGX_OK;
        }

        t->order[t->nevents++] = e;
    }

    mado_feed_sort(t->order, t->nevents);

    return NGX_OK;
}


static int
ngx_http_mado_admin_feed_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int                          rc;
    u_char                      *p, *end;
    char                         actor[MADO_ID_MAX + 8], events[NGX_INT_T_LEN];
    int64_t                      locked;
    unsigned                     i;
    mado_account_t               a;
    mado_feed_batch_t            b;
    const mado_counter_state_t  *st;
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
        return MADO_OK;
    }

    /* an address guessing tokens waits, as one guessing passwords */
    t->retry_after = mado_client_locked(s, txn, t->client, t->now);

    if (t->retry_after) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                       "mado admin: auth: feed token: the address is locked");

        ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                 "too many failed attempts from this "
                                 "address: wait and try again");
        return MADO_OK;
    }

    rc = mado_token_find(s, txn, t->token, &a, err);

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
        return MADO_OK;
    }

    ngx_explicit_memzero(&a, sizeof(a));

    if (t->too_many) {
        ngx_sprintf((u_char *) t->why, "a batch may have at most %d "
                    "events%Z", NGX_HTTP_MADO_FEED_EVENTS);
        ngx_http_mado_admin_fail(t, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "too_large", t->why);
        return MADO_OK;
    }

    if (t->bad_body) {
        ngx_http_mado_admin_fail(t, NGX_HTTP_BAD_REQUEST, "bad_request",
                                 t->why);
        return MADO_OK;
    }

    rc = ngx_http_mado_admin_replay(s, txn, t, err);
    if (rc != MADO_ENOTFOUND) {
        return rc;
    }

    ngx_sprintf((u_char *) events, "%uz%Z", t->nevents);

    ngx_memzero(&b, sizeof(mado_feed_batch_t));
    b.office = t->office;
    b.now = t->now;
    b.actor = actor;
    b.client = t->client;
    b.extra = extra;
    b.strict = 1;

    rc = mado_feed_batch(s, txn, &b, t->order, t->nevents, err);

    if (rc == MADO_EINVAL || rc == MADO_ENOTFOUND) {
        /* refused: the transaction is aborted, nothing written */
        ngx_http_mado_admin_fail(t, rc == MADO_EINVAL ? NGX_HTTP_BAD_REQUEST
                                                      : NGX_HTTP_NOT_FOUND,
                                 rc == MADO_EINVAL ? "bad_request"
                                                   : "not_found", err->text);
        return rc;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    p = (u_char *) t->body;
    end = p + sizeof(t->body);

    p = ngx_slprintf(p, end, "{\"office\":\"%s\",\"events\":%uz,"
                     "\"applied\":%uL,\"duplicate\":%uL,\"old\":%uL,"
                     "\"counters\":[", t->office, t->nevents, b.applied,
                     b.duplicate, b.old);

    for (i = 0; i < b.nchanged; i++) {
        st = &b.after[i];
        p = ngx_slprintf(p, end, "%s{\"counter\":\"%s\",\"status\":\"%s\","
                         "\"waiting\":%uD,\"calling\":%uD,"
                         "\"last_issued\":%uD,\"served_today\":%uD,"
                         "\"staff\":%uD}", i ? "," : "", b.changed[i],
                         mado_status_names[st->status], st->waiting,
                         st->calling, st->last_issued, st->served_today,
                         st->staff);
    }

    p = ngx_slprintf(p, end, "]}");
    t->len = p - (u_char *) t->body;

    return ngx_http_mado_admin_remember(s, txn, t, err);
}


void
ngx_http_mado_admin_feed(ngx_http_mado_admin_task_t *t, ngx_log_t *log)
{
    int         rc;
    mado_err_t  err;

    t->events = NULL;
    t->order = NULL;

    if (ngx_http_mado_admin_feed_read(t) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "mado admin: reading a feed's body failed");
        ngx_http_mado_admin_fail(t, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal_error", "the body could not be "
                                 "read");
        goto done;
    }

    ngx_http_mado_admin_fingerprint(t, t->in, t->in_len);

    if (ngx_http_mado_admin_feed_parse(t) != NGX_OK) {
        ngx_http_mado_admin_fail(t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "store_unavailable", "out of memory");
        goto done;
    }

    rc = mado_store_write(t->store, ngx_http_mado_admin_feed_write, t, &err);

    if (rc == MADO_ERESIZED) {
        t->resized = 1;
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

    free(t->events);
    free(t->order);
    t->events = NULL;
    t->order = NULL;

    /* a task tried again (the map grew) needs the token again */
    if (!t->resized) {
        ngx_explicit_memzero(t->token, sizeof(t->token));
    }
}
