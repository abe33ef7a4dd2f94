
/*
 * mado: the update API for counter staff (POST only, JSON in and out).
 *
 *     location /api/v1/admin/ { mado_admin; }
 *
 *     POST .../login                                {"user", "password"
 *                                                    [, "session": "cookie"]}
 *     POST .../session                              who is logged in
 *     POST .../logout                               Authorization: Bearer
 *     POST .../offices/{office}/counters/{counter}  Authorization: Bearer
 *          {"action": "issue"|"call"|"cancel"|"set", "number",
 *           "waiting", "calling", "last_issued", "staff", "status",
 *           "message"}
 *     POST .../offices/{office}/feed                Authorization: Bearer
 *          one event a line: {"time", "event", "counter", "ticket"}
 *          (a feed account's token; the batch counts whole or not at all)
 *
 * The work (PBKDF2, LMDB write transactions) runs in an nginx thread pool
 * so that neither a slow disk nor a password hash stalls citizens.  Every
 * write, and every login, is audited with the account and the client's
 * address in the transaction that makes it.
 *
 * Tools send the session token as a bearer token.  Browsers get it as an
 * HttpOnly, Secure, SameSite=Strict cookie that scripts cannot read, and a
 * CSRF token derived from it that the page must send as X-CSRF-Token with
 * every change.
 */


#include "ngx_http_mado_admin.h"


static ngx_str_t  ngx_http_mado_admin_json =
    ngx_string("application/json; charset=utf-8");


ngx_int_t
ngx_http_mado_admin_handler(ngx_http_request_t *r)
{
    u_char                      *p, *end;
    ngx_int_t                    rc;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_mado_admin_task_t  *t;
    size_t                       max;
    ngx_str_t                    path, seg[5];
    ngx_uint_t                   n;

    static ngx_str_t  allow = ngx_string("Allow");
    static ngx_str_t  post = ngx_string("POST");

    if (r->method != NGX_HTTP_POST) {
        if (ngx_http_mado_add_header(r, &allow, &post) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_admin_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "method_not_allowed",
                                         "use POST with a JSON body");
    }

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_mado_admin_task_t));
    if (t == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, t, ngx_http_mado_module);

    /* the path below the location, in segments */
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    path = r->uri;

    if (path.len >= clcf->name.len
        && ngx_strncmp(path.data, clcf->name.data, clcf->name.len) == 0)
    {
        path.data += clcf->name.len;
        path.len -= clcf->name.len;
    }

    p = path.data;
    end = path.data + path.len;
    n = 0;

    while (p < end && n < 5) {
        while (p < end && *p == '/') {
            p++;
        }

        if (p == end) {
            break;
        }

        seg[n].data = p;

        while (p < end && *p != '/') {
            p++;
        }

        seg[n].len = p - seg[n].data;
        n++;
    }

    if (n == 1 && seg[0].len == 5 && ngx_strncmp(seg[0].data, "login", 5) == 0)
    {
        t->route = NGX_HTTP_MADO_ADMIN_LOGIN;

    } else if (n == 1 && seg[0].len == 6
               && ngx_strncmp(seg[0].data, "logout", 6) == 0)
    {
        t->route = NGX_HTTP_MADO_ADMIN_LOGOUT;

    } else if (n == 1 && seg[0].len == 7
               && ngx_strncmp(seg[0].data, "session", 7) == 0)
    {
        t->route = NGX_HTTP_MADO_ADMIN_SESSION;

    } else if (n == 4 && seg[0].len == 7
               && ngx_strncmp(seg[0].data, "offices", 7) == 0
               && seg[2].len == 8
               && ngx_strncmp(seg[2].data, "counters", 8) == 0
               && mado_valid_id((char *) seg[1].data, seg[1].len)
               && mado_valid_id((char *) seg[3].data, seg[3].len))
    {
        t->route = NGX_HTTP_MADO_ADMIN_COUNTER;
        ngx_memcpy(t->office, seg[1].data, seg[1].len);
        ngx_memcpy(t->counter, seg[3].data, seg[3].len);

    } else if (n == 3 && seg[0].len == 7
               && ngx_strncmp(seg[0].data, "offices", 7) == 0
               && seg[2].len == 4
               && ngx_strncmp(seg[2].data, "feed", 4) == 0
               && mado_valid_id((char *) seg[1].data, seg[1].len))
    {
        t->route = NGX_HTTP_MADO_ADMIN_FEED;
        ngx_memcpy(t->office, seg[1].data, seg[1].len);

    } else {
        return ngx_http_mado_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                         "no such resource: %V", &r->uri);
    }

    /*
     * A feed is lines of JSON.  A form type means "curl -d", which drops
     * the line ends: refused rather than read as one bad line.
     */
    if (t->route == NGX_HTTP_MADO_ADMIN_FEED
        && r->headers_in.content_type != NULL)
    {
        ngx_str_t  *ct = &r->headers_in.content_type->value;
        size_t      k;

        for (k = 0; k < ct->len && ct->data[k] != ';' && ct->data[k] != ' ';
             k++)
        {
            /* void */
        }

#define CT(type)                                                              \
        (k == sizeof(type) - 1                                                \
         && ngx_strncasecmp(ct->data, (u_char *) type, k) == 0)

        if (!(CT("application/x-ndjson") || CT("application/jsonl")
              || CT("application/json") || CT("text/plain")))
        {
            return ngx_http_mado_admin_error(r,
                       NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_type",
                       "Content-Type: send application/x-ndjson, one event "
                       "a line (curl: --data-binary, not -d)");
        }

#undef CT
    }

    /* the token of a session: everything but login needs one */
    if (t->route != NGX_HTTP_MADO_ADMIN_LOGIN) {
        if (ngx_http_mado_admin_token(r, t, &rc) != NGX_OK) {
            return rc;
        }
    }

    /* Idempotency-Key: a retried request is answered, not applied again */
    {
        ngx_list_part_t  *part;
        ngx_table_elt_t  *e;
        ngx_uint_t        i, k;

        for (part = &r->headers_in.headers.part; part; part = part->next) {
            e = part->elts;

            for (i = 0; i < part->nelts; i++) {
                if (e[i].key.len != 15
                    || ngx_strncasecmp(e[i].key.data,
                                       (u_char *) "Idempotency-Key", 15) != 0)
                {
                    continue;
                }

                for (k = 0; k < e[i].value.len; k++) {
                    if (e[i].value.data[k] < 0x21 || e[i].value.data[k] > 0x7e)
                    {
                        break;
                    }
                }

                if (e[i].value.len == 0 || e[i].value.len > MADO_IDEM_KEY_MAX
                    || k != e[i].value.len)
                {
                    return ngx_http_mado_admin_error(r, NGX_HTTP_BAD_REQUEST,
                               "bad_request", "Idempotency-Key: must be 1..%d "
                               "visible ASCII characters", MADO_IDEM_KEY_MAX);
                }

                ngx_memcpy(t->idem, e[i].value.data, e[i].value.len);
            }
        }
    }

    max = (t->route == NGX_HTTP_MADO_ADMIN_FEED) ? NGX_HTTP_MADO_FEED_BODY_MAX
                                                 : NGX_HTTP_MADO_ADMIN_BODY_MAX;

    if (r->headers_in.content_length_n > (off_t) max) {
        return ngx_http_mado_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "too_large", "the body may have at "
                                         "most %uz bytes", max);
    }

    /* a body in memory, whatever client_body_buffer_size says */
    r->request_body_in_single_buf = 1;
    r->request_body_in_persistent_file = 0;

    rc = ngx_http_read_client_request_body(r, ngx_http_mado_admin_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


void
ngx_http_mado_admin_done(ngx_event_t *ev)
{
    ngx_int_t                    rc;
    ngx_connection_t            *c;
    ngx_thread_task_t           *task;
    ngx_http_request_t          *r;
    ngx_http_mado_worker_t      *w;
    ngx_http_mado_admin_task_t  *t;
    ngx_http_mado_loc_conf_t    *mlcf;
    ngx_http_mado_main_conf_t   *mmcf;

    task = ev->data;
    t = task->ctx;
    r = t->request;
    c = r->connection;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);
    w = mmcf->worker;
    w->busy--;

    ngx_http_mado_store_sync_later(w, mlcf->thread_pool);

    if (t->resized) {
        w->resized = 1;
    }

    /*
     * The last update out of the threads adopts a map another process grew
     * or, when the map is full, grows it: nothing of this process holds a
     * transaction now.  An update that met it is then done again (a login
     * is not: its password is gone) instead of failing.
     */
    if (w->resized && w->busy == 0
        && ngx_http_mado_store_adopt(c->log, w, t->resized) == NGX_OK
        && t->resized && t->route != NGX_HTTP_MADO_ADMIN_LOGIN
        && t->attempts++ < 2)
    {
        t->resized = 0;
        w->busy++;

        if (ngx_thread_task_post(mlcf->thread_pool, task) == NGX_OK) {
            return;
        }

        w->busy--;
    }

    r->main->blocked--;
    r->aio = 0;

    if ((t->set_cookie || t->clear_cookie)
        && ngx_http_mado_admin_cookie(r, t) != NGX_OK)
    {
        ngx_explicit_memzero(t->token, sizeof(t->token));
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        ngx_http_run_posted_requests(c);
        return;
    }

    ngx_explicit_memzero(t->token, sizeof(t->token));

    rc = ngx_http_mado_admin_reply(r, t->status, t->body, t->len,
                                   t->retry_after);
    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


ngx_int_t
ngx_http_mado_admin_reply(ngx_http_request_t *r, ngx_uint_t status,
    const char *body, size_t len, int64_t retry_after)
{
    u_char     *copy, num[NGX_INT64_LEN];
    ngx_str_t   b, key, value;

    /* ngx_http_mado_send_body() adds Cache-Control: no-store */

    if (retry_after > 0) {
        ngx_str_set(&key, "Retry-After");
        value.data = num;
        value.len = ngx_sprintf(num, "%L", retry_after) - num;

        value.data = ngx_pstrdup(r->pool, &value);
        if (value.data == NULL
            || ngx_http_mado_add_header(r, &key, &value) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    copy = ngx_pnalloc(r->pool, len);
    if (copy == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(copy, body, len);
    b.data = copy;
    b.len = len;

    return ngx_http_mado_send_body(r, status, &ngx_http_mado_admin_json, &b);
}


ngx_int_t
ngx_http_mado_admin_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *fmt, ...)
{
    u_char                      msg[512], *p;
    va_list                     args;
    ngx_http_mado_admin_task_t  t;

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg) - 1, fmt, args);
    va_end(args);
    *p = '\0';

    ngx_http_mado_admin_fail(&t, status, code, (char *) msg);

    return ngx_http_mado_admin_reply(r, status, t.body, t.len, 0);
}


void
ngx_http_mado_admin_fail(ngx_http_mado_admin_task_t *t, ngx_uint_t status,
    const char *code, const char *message)
{
    u_char  *p, *end;

    t->status = status;

    p = (u_char *) t->body;
    end = p + sizeof(t->body);

    p = ngx_slprintf(p, end, "{\"error\":\"%s\",\"message\":\"", code);

    /* the message is ours, but escape it as JSON all the same */
    for ( /* void */ ; *message && p < end - 32; message++) {
        if (*message == '"' || *message == '\\') {
            *p++ = '\\';
        }
        *p++ = (u_char) ((unsigned char) *message < 0x20 ? ' ' : *message);
    }

    p = ngx_slprintf(p, end, "\",\"status\":%ui}", status);
    t->len = p - (u_char *) t->body;
}
