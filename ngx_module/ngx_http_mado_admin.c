
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
 * every change.  Only over TLS, JSON bodies only, and never a login or a
 * cookie's request that another site started (ngx_http_mado_guard.c).
 */


#include "ngx_http_mado_admin.h"


static void ngx_http_mado_admin_thread(void *data, ngx_log_t *log);
static u_char *ngx_http_mado_admin_log(ngx_log_t *log, u_char *buf,
    size_t len);
static void ngx_http_mado_admin_done(ngx_event_t *ev);
static ngx_int_t ngx_http_mado_admin_reply(ngx_http_request_t *r,
    ngx_uint_t status, const char *body, size_t len, int64_t retry_after);


static ngx_str_t  ngx_http_mado_admin_json =
    ngx_string("application/json; charset=utf-8");

#if (NGX_DEBUG)
static const char *const  ngx_http_mado_admin_routes[] = {
    "login", "logout", "session", "counter", "feed"
};
#endif


ngx_int_t
ngx_http_mado_admin_handler(ngx_http_request_t *r)
{
    u_char                      *p, *end;
    ngx_int_t                    rc;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_mado_admin_task_t  *t;
    ngx_str_t                    path, seg[5];
    ngx_uint_t                   n;

    static ngx_str_t  allow = ngx_string("Allow");
    static ngx_str_t  post = ngx_string("POST");

    if (r->method != NGX_HTTP_POST) {
        if (ngx_http_mado_add_header(r, &allow, &post) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_send_error(r, 0, NGX_HTTP_NOT_ALLOWED,
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
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado admin: no route");

        return ngx_http_mado_send_error(r, 0, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such resource: %V", &r->uri);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado admin: route %s, office \"%s\", counter \"%s\"",
                   ngx_http_mado_admin_routes[t->route], t->office,
                   t->counter);

    /* TLS, the body's type, where a login comes from (guard.c) */
    if (ngx_http_mado_admin_guard(r, t, &rc) != NGX_OK) {
        return rc;
    }

    if (t->route == NGX_HTTP_MADO_ADMIN_FEED
        && ngx_http_mado_admin_feed_type(r, &rc) != NGX_OK)
    {
        return rc;
    }

    /* the token of a session: everything but login needs one */
    if (t->route != NGX_HTTP_MADO_ADMIN_LOGIN
        && ngx_http_mado_admin_token(r, t, &rc) != NGX_OK)
    {
        return rc;
    }

    if (ngx_http_mado_admin_idem_key(r, t, &rc) != NGX_OK) {
        return rc;
    }

    return ngx_http_mado_admin_read(r, t);
}


/*
 * The task to a thread of the location's pool, with a copy of its own:
 * nothing of the request's pool is touched there.
 */
void
ngx_http_mado_admin_post(ngx_http_request_t *r, ngx_http_mado_admin_task_t *t)
{
    ngx_int_t                    rc;
    ngx_thread_task_t           *task;
    ngx_http_mado_admin_task_t  *tt;
    ngx_http_mado_loc_conf_t    *mlcf;
    ngx_http_mado_main_conf_t   *mmcf;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    if (mmcf->worker == NULL || !mmcf->worker->opened
        || ngx_http_mado_snapshot(r, mmcf) == NULL)
    {
        rc = ngx_http_mado_send_error(r, 0, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "store_unavailable", "the store "
                                      "cannot be written right now");
        ngx_http_finalize_request(r, rc);
        return;
    }

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_mado_admin_task_t));
    if (task == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    tt = task->ctx;
    *tt = *t;
    tt->store = &mmcf->worker->store;
    tt->stats = mmcf->stats;
    tt->now = ngx_http_mado_now(mmcf);
    ngx_memcpy(tt->client, r->connection->addr_text.data,
               ngx_min(r->connection->addr_text.len, NGX_SOCKADDR_STRLEN));

    /* what the thread logs names the request, as the event loop's lines */
    tt->request_line = r->request_line;
    tt->log = *r->connection->log;
    tt->log.handler = ngx_http_mado_admin_log;
    tt->log.data = tt;
    tt->log.action = NULL;

    ngx_explicit_memzero(t->password, sizeof(t->password));

    tt->request = r;
    task->handler = ngx_http_mado_admin_thread;
    task->event.data = task;
    task->event.handler = ngx_http_mado_admin_done;

    if (tt->route == NGX_HTTP_MADO_ADMIN_LOGIN) {
        /* its turn among the worker's logins */
        ngx_http_mado_login_post(r, tt, task);
        return;
    }

    /* the store stays open (not reopened) while the task uses it */
    mmcf->worker->busy++;
    r->main->blocked++;
    r->aio = 1;

    if (ngx_thread_task_post(mlcf->thread_pool, task) != NGX_OK) {
        mmcf->worker->busy--;
        r->main->blocked--;
        r->aio = 0;
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/*
 * In the thread: the route's work; the answer is left in the task.  It
 * logs through the task's log (the pool's has no request to name).
 */
static void
ngx_http_mado_admin_thread(void *data, ngx_log_t *log)
{
    ngx_http_mado_admin_task_t  *t = data;

    log = &t->log;

    if (t->refused) {
        /* refused in the event loop, its answer made: audited here */
        ngx_http_mado_admin_refused(t, log);
        return;
    }

    t->status = NGX_HTTP_OK;

    switch (t->route) {

    case NGX_HTTP_MADO_ADMIN_FEED:
        ngx_http_mado_admin_feed(t, log);
        break;

    case NGX_HTTP_MADO_ADMIN_LOGIN:
        ngx_http_mado_admin_login(t, log);
        break;

    default: /* counter, session, logout */
        ngx_http_mado_admin_update(t, log);
    }
}


/* as ngx_http_log_error(), from the task's copies: safe in its thread */
static u_char *
ngx_http_mado_admin_log(ngx_log_t *log, u_char *buf, size_t len)
{
    ngx_http_mado_admin_task_t  *t = log->data;

    return ngx_snprintf(buf, len, ", client: %s, request: \"%V\"",
                        t->client, &t->request_line);
}


static void
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

    if (t->retired) {
        w->retired = 1;
    }

    /*
     * A restore put another store in place of the one this update met
     * retired: once no thread uses the old one, the restored one is opened
     * and the update done again there (a login is not: its password is
     * gone; it is answered 503 with Retry-After, as staff are, should the
     * new store not open).  Citizens' requests never write.
     */
    if (w->retired && w->busy == 0) {
        w->retired = 0;

        if (ngx_http_mado_store_retired(c->log, mmcf) == NGX_OK
            && t->retired && t->route != NGX_HTTP_MADO_ADMIN_LOGIN
            && t->attempts++ < 2)
        {
            ngx_log_error(NGX_LOG_NOTICE, c->log, 0, "mado admin: the store "
                          "was restored, the %s done again in the restored "
                          "one", ngx_http_mado_admin_routes[t->route]);

            t->retired = 0;
            w->busy++;

            if (ngx_thread_task_post(mlcf->thread_pool, task) == NGX_OK) {
                return;
            }

            w->busy--;
        }
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
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "mado admin: the map grew, the %s done again",
                       ngx_http_mado_admin_routes[t->route]);

        t->resized = 0;
        w->busy++;

        if (ngx_thread_task_post(mlcf->thread_pool, task) == NGX_OK) {
            return;
        }

        w->busy--;
    }

    if (t->route == NGX_HTTP_MADO_ADMIN_LOGIN) {
        /* the next login waiting may have its thread */
        ngx_http_mado_login_done(w, t);
    }

    r->main->blocked--;
    r->aio = 0;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "mado admin: %s done in the thread: %ui",
                   ngx_http_mado_admin_routes[t->route], t->status);

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


static ngx_int_t
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


void
ngx_http_mado_admin_fail(ngx_http_mado_admin_task_t *t, ngx_uint_t status,
    const char *code, const char *message)
{
    t->status = status;
    t->len = ngx_http_mado_json_error((u_char *) t->body, sizeof(t->body),
                                      status, code, (u_char *) message,
                                      ngx_strlen(message));
}
