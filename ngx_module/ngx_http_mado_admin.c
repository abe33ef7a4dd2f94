
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


#include "ngx_http_mado_module.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <yajl/yajl_tree.h>


#define NGX_HTTP_MADO_ADMIN_BODY_MAX   16384
#define NGX_HTTP_MADO_ADMIN_DEPTH      4
#define NGX_HTTP_MADO_SESSION_IDLE     (30 * 60)
#define NGX_HTTP_MADO_SESSION_MAX      (12 * 3600)
#define NGX_HTTP_MADO_SESSION_COOKIE   "mado_session"
#define NGX_HTTP_MADO_UNPROCESSABLE    422

/* a feed's batch: bodies bigger than client_body_buffer_size are in a
   temp file, read in the thread; nginx's client_max_body_size (1m by
   default) stays above this so the answer is ours */
#define NGX_HTTP_MADO_FEED_BODY_MAX    (512 * 1024)
#define NGX_HTTP_MADO_FEED_EVENTS      10000
#define NGX_HTTP_MADO_FEED_LINE_MAX    4096
#define NGX_HTTP_MADO_FEED_PARTS       8


typedef enum {
    NGX_HTTP_MADO_ADMIN_LOGIN = 0,
    NGX_HTTP_MADO_ADMIN_LOGOUT,
    NGX_HTTP_MADO_ADMIN_SESSION,
    NGX_HTTP_MADO_ADMIN_COUNTER,
    NGX_HTTP_MADO_ADMIN_FEED
} ngx_http_mado_admin_route_e;


/* what a thread needs, and what it answers: plain C, no pools */
typedef struct {
    ngx_http_mado_admin_route_e  route;
    void                        *request;   /* for the main thread only */
    mado_store_t                *store;
    int64_t                      now;
    char                         client[NGX_SOCKADDR_STRLEN + 1];
    char                         office[MADO_ID_MAX + 1];
    char                         counter[MADO_ID_MAX + 1];
    char                         user[MADO_ID_MAX + 1];
    char                         password[MADO_PASSWORD_MAX + 1];
    char                         token[MADO_SESSION_TOKEN_LEN + 1];
    char                         message[MADO_MESSAGE_MAX + 1];
    char                         idem[MADO_IDEM_KEY_MAX + 1];
    unsigned char                fp[MADO_HASH_LEN];     /* the request's */
    mado_counter_op_t            op;
    unsigned                     cookie:1;  /* the session is a cookie's */
    unsigned                     feed_token:1;  /* token is a feed's */

    /* feed: the body (pool memory the request keeps while blocked), and
       the parts of it in the temp file, read in the thread */
    u_char                      *in;
    size_t                       in_len;
    struct {
        ngx_fd_t                 fd;
        off_t                    pos;
        size_t                   len;
        size_t                   at;
    }                            part[NGX_HTTP_MADO_FEED_PARTS];
    ngx_uint_t                   nparts;

    /* feed, in the thread: the events parsed (malloc), or why not */
    mado_feed_event_t           *events;
    mado_feed_event_t          **order;
    size_t                       nevents;
    unsigned                     bad_body:1;
    unsigned                     too_many:1;
    char                         why[MADO_FEED_WHY_MAX + 32];

    /* out */
    ngx_uint_t                   status;
    int64_t                      retry_after;
    int64_t                      client_locked;
    unsigned                     set_cookie:1;
    unsigned                     resized:1;     /* the map grew: adopt it */
    ngx_uint_t                   attempts;
    unsigned                     clear_cookie:1;
    char                         body[4096];
    size_t                       len;
} ngx_http_mado_admin_task_t;


static void ngx_http_mado_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_mado_admin_parse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, u_char *body, size_t len,
    ngx_int_t *sent);
static void ngx_http_mado_admin_thread(void *data, ngx_log_t *log);
static void ngx_http_mado_admin_done(ngx_event_t *ev);
static void ngx_http_mado_admin_fingerprint(ngx_http_mado_admin_task_t *t,
    const u_char *body, size_t len);
static ngx_int_t ngx_http_mado_admin_token(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
static ngx_int_t ngx_http_mado_admin_cookie(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t);
static void ngx_http_mado_admin_whoami(ngx_http_mado_admin_task_t *t,
    const mado_account_t *a);
static ngx_int_t ngx_http_mado_admin_reply(ngx_http_request_t *r,
    ngx_uint_t status, const char *body, size_t len, int64_t retry_after);
static ngx_int_t ngx_http_mado_admin_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *fmt, ...);
static void ngx_http_mado_admin_fail(ngx_http_mado_admin_task_t *t,
    ngx_uint_t status, const char *code, const char *message);
static void ngx_http_mado_admin_login_busy(ngx_http_mado_admin_task_t *t,
    int rc, mado_err_t *err);
static ngx_int_t ngx_http_mado_admin_feed_body(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
static void ngx_http_mado_admin_feed(ngx_http_mado_admin_task_t *t,
    ngx_log_t *log);


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


/*
 * The session's token: a bearer token (tools) or the session cookie
 * (browsers).  A cookie is sent by the browser whoever made the page, so
 * a change made with one must also carry the CSRF token only our page
 * knows; "session" changes nothing and answers with that token.
 */
static ngx_int_t
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


static void
ngx_http_mado_admin_body(ngx_http_request_t *r)
{
    u_char                      *body;
    size_t                       len;
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl;
    ngx_thread_task_t           *task;
    ngx_http_mado_admin_task_t  *t, *tt;
    ngx_http_mado_loc_conf_t    *mlcf;
    ngx_http_mado_main_conf_t   *mmcf;

    t = ngx_http_get_module_ctx(r, ngx_http_mado_module);
    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    if (t->route == NGX_HTTP_MADO_ADMIN_FEED) {
        if (ngx_http_mado_admin_feed_body(r, t, &rc) != NGX_OK) {
            ngx_http_finalize_request(r, rc);
            return;
        }

        goto post;
    }

    /* a body nginx had to put in a file is over the limit too */
    len = NGX_HTTP_MADO_ADMIN_BODY_MAX + 1;

    if (r->request_body != NULL && r->request_body->temp_file == NULL) {
        for (len = 0, cl = r->request_body->bufs; cl; cl = cl->next) {
            len += ngx_buf_size(cl->buf);
        }
    }

    if (len > NGX_HTTP_MADO_ADMIN_BODY_MAX) {
        rc = ngx_http_mado_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "too_large", "the body may have at "
                                       "most %d bytes",
                                       NGX_HTTP_MADO_ADMIN_BODY_MAX);
        ngx_http_finalize_request(r, rc);
        return;
    }

    body = ngx_pnalloc(r->pool, len + 1);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    len = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        ngx_memcpy(body + len, b->pos, b->last - b->pos);
        len += b->last - b->pos;
    }

    body[len] = '\0';

    ngx_http_mado_admin_fingerprint(t, body, len);

    /* a refusal is answered there: finalize with what sending it gave */
    if (ngx_http_mado_admin_parse(r, t, body, len, &rc) != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

post:

    if (mmcf->worker == NULL || !mmcf->worker->opened
        || ngx_http_mado_snapshot(r, mmcf) == NULL)
    {
        rc = ngx_http_mado_admin_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
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

    /* the thread gets its own copy: nothing of the pool is touched there */
    tt = task->ctx;
    *tt = *t;
    tt->store = &mmcf->worker->store;
    tt->now = ngx_http_mado_now(mmcf);
    ngx_memcpy(tt->client, r->connection->addr_text.data,
               ngx_min(r->connection->addr_text.len, NGX_SOCKADDR_STRLEN));

    ngx_explicit_memzero(t->password, sizeof(t->password));

    tt->request = r;
    task->handler = ngx_http_mado_admin_thread;
    task->event.data = task;
    task->event.handler = ngx_http_mado_admin_done;

    /* the store stays open (not reopened) while the task uses it */
    mmcf->worker->busy++;
    r->main->blocked++;
    r->aio = 1;

    if (ngx_thread_task_post(mlcf->thread_pool, task) != NGX_OK) {
        mmcf->worker->busy--;
        r->main->blocked--;
        r->aio = 0;
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
}


static ngx_int_t
ngx_http_mado_admin_parse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, u_char *body, size_t len, ngx_int_t *sent)
{
    int          depth, max;
    char         errbuf[128];
    size_t       i;
    yajl_val     root, v;
    const char  *key, *s;

    /* yajl recurses: refuse deep nesting before it sees it */
    for (i = 0, depth = 0, max = 0; i < len; i++) {
        if (body[i] == '{' || body[i] == '[') {
            if (++depth > max) {
                max = depth;
            }
        } else if (body[i] == '}' || body[i] == ']') {
            depth--;
        }
    }

    if (max > NGX_HTTP_MADO_ADMIN_DEPTH) {
        *sent = ngx_http_mado_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                         "bad_request", "the body nests "
                                         "deeper than %d",
                                         NGX_HTTP_MADO_ADMIN_DEPTH);
        return NGX_DECLINED;
    }

    root = yajl_tree_parse((const char *) body, errbuf, sizeof(errbuf));

    if (root == NULL || !YAJL_IS_OBJECT(root)) {
        if (root != NULL) {
            yajl_tree_free(root);
        }

        *sent = ngx_http_mado_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                         "bad_request", "the body must be a "
                                         "JSON object");
        return NGX_DECLINED;
    }

    t->op.type = MADO_HEV_SET;
    t->op.waiting = t->op.calling = t->op.last_issued = t->op.staff
        = MADO_KEEP;
    t->op.status = MADO_KEEP;

    for (i = 0; i < root->u.object.len; i++) {
        key = root->u.object.keys[i];
        v = root->u.object.values[i];
        s = YAJL_IS_STRING(v) ? v->u.string : NULL;

#define BAD(...)                                                              \
        do {                                                                  \
            /* the message may quote the key: free the tree after it */      \
            *sent = ngx_http_mado_admin_error(r, NGX_HTTP_BAD_REQUEST,        \
                                              "bad_request", __VA_ARGS__);    \
            yajl_tree_free(root);                                             \
            return NGX_DECLINED;                                              \
        } while (0)

#define NUM(field, lo, hi)                                                    \
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < (lo)                 \
            || YAJL_GET_INTEGER(v) > (hi))                                    \
        {                                                                     \
            BAD("%s: must be a whole number %d..%d", key, (int) (lo),         \
                (int) (hi));                                                  \
        }                                                                     \
        t->op.field = YAJL_GET_INTEGER(v)

        if (t->route == NGX_HTTP_MADO_ADMIN_LOGIN) {
            if (ngx_strcmp(key, "user") == 0) {
                if (s == NULL || !mado_valid_id(s, ngx_strlen(s))) {
                    BAD("user: must be a user id");
                }
                ngx_cpystrn((u_char *) t->user, (u_char *) s,
                            sizeof(t->user));

            } else if (ngx_strcmp(key, "password") == 0) {
                if (s == NULL || ngx_strlen(s) > MADO_PASSWORD_MAX) {
                    BAD("password: must be a string of at most %d bytes",
                        MADO_PASSWORD_MAX);
                }
                ngx_cpystrn((u_char *) t->password, (u_char *) s,
                            sizeof(t->password));

            } else if (ngx_strcmp(key, "session") == 0) {
                if (s == NULL || (ngx_strcmp(s, "cookie") != 0
                                  && ngx_strcmp(s, "bearer") != 0))
                {
                    BAD("session: must be cookie or bearer");
                }
                t->cookie = (s[0] == 'c');

            } else {
                BAD("%s: not a field of login", key);
            }

            continue;
        }

        if (t->route == NGX_HTTP_MADO_ADMIN_LOGOUT
            || t->route == NGX_HTTP_MADO_ADMIN_SESSION)
        {
            BAD("%s: %s takes no fields", key,
                t->route == NGX_HTTP_MADO_ADMIN_LOGOUT ? "logout" : "session");
        }

        if (ngx_strcmp(key, "action") == 0) {
            if (s == NULL) {
                BAD("action: must be issue, call, cancel or set");
            }

            if (ngx_strcmp(s, "issue") == 0) {
                t->op.type = MADO_HEV_ISSUE;
            } else if (ngx_strcmp(s, "call") == 0) {
                t->op.type = MADO_HEV_CALL;
            } else if (ngx_strcmp(s, "cancel") == 0) {
                t->op.type = MADO_HEV_CANCEL;
            } else if (ngx_strcmp(s, "set") == 0) {
                t->op.type = MADO_HEV_SET;
            } else {
                BAD("action: must be issue, call, cancel or set");
            }

        } else if (ngx_strcmp(key, "number") == 0) {
            if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 1
                || YAJL_GET_INTEGER(v) > MADO_COUNT_MAX)
            {
                BAD("number: must be a whole number 1..%d", MADO_COUNT_MAX);
            }
            t->op.number = (uint32_t) YAJL_GET_INTEGER(v);

        } else if (ngx_strcmp(key, "waiting") == 0) {
            NUM(waiting, 0, MADO_COUNT_MAX);
        } else if (ngx_strcmp(key, "calling") == 0) {
            NUM(calling, 0, MADO_COUNT_MAX);
        } else if (ngx_strcmp(key, "last_issued") == 0) {
            NUM(last_issued, 0, MADO_COUNT_MAX);
        } else if (ngx_strcmp(key, "staff") == 0) {
            NUM(staff, 0, 99);

        } else if (ngx_strcmp(key, "status") == 0) {
            t->op.status = s ? mado_status_parse(s, ngx_strlen(s)) : -1;
            if (t->op.status < 0) {
                BAD("status: must be open, paused, closed or ended");
            }

        } else if (ngx_strcmp(key, "message") == 0) {
            mado_err_t  err;

            if (s == NULL
                || mado_message_check(s, ngx_strlen(s), &err) != MADO_OK)
            {
                BAD("message: %s", s ? err.text : "must be a string");
            }
            ngx_cpystrn((u_char *) t->message, (u_char *) s,
                        sizeof(t->message));
            t->op.message = t->message;

        } else {
            BAD("%s: not a field of a counter update", key);
        }

#undef NUM
#undef BAD
    }

    yajl_tree_free(root);

    if (t->route == NGX_HTTP_MADO_ADMIN_LOGIN
        && (t->user[0] == '\0' || t->password[0] == '\0'))
    {
        *sent = ngx_http_mado_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                         "bad_request", "%s: required",
                                         t->user[0] ? "password" : "user");
        return NGX_DECLINED;
    }

    if (t->route == NGX_HTTP_MADO_ADMIN_COUNTER
        && t->op.type == MADO_HEV_CANCEL && t->op.number == 0)
    {
        *sent = ngx_http_mado_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                         "bad_request", "number: required "
                                         "to cancel");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * A feed's body as it is, for the thread to parse: memory parts copied
 * here, parts nginx put in the temp file noted, to be read there.
 */
static ngx_int_t
ngx_http_mado_admin_feed_body(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent)
{
    size_t        len, n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    len = 0;

    if (r->request_body != NULL) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len += ngx_buf_size(cl->buf);
        }
    }

    if (len > NGX_HTTP_MADO_FEED_BODY_MAX) {
        *sent = ngx_http_mado_admin_error(r,
                    NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", "the "
                    "body may have at most %d bytes",
                    NGX_HTTP_MADO_FEED_BODY_MAX);
        return NGX_DECLINED;
    }

    t->in = ngx_pnalloc(r->pool, len + 1);
    if (t->in == NULL) {
        *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    t->in_len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            n = b->last - b->pos;
            ngx_memcpy(t->in + t->in_len, b->pos, n);

        } else if (b->in_file) {
            if (t->nparts == NGX_HTTP_MADO_FEED_PARTS) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "mado admin: a feed body in more than %d "
                              "parts", NGX_HTTP_MADO_FEED_PARTS);
                *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
                return NGX_DECLINED;
            }

            n = b->file_last - b->file_pos;
            t->part[t->nparts].fd = b->file->fd;
            t->part[t->nparts].pos = b->file_pos;
            t->part[t->nparts].len = n;
            t->part[t->nparts].at = t->in_len;
            t->nparts++;

        } else {
            n = 0;
        }

        t->in_len += n;
    }

    return NGX_OK;
}


/* ------------------------------------------------------------ in a thread */

/*
 * Idempotency-Key: MADO_ENOTFOUND for a new request; MADO_OK when it was
 * made before (its first answer is in t, nothing is to be applied);
 * MADO_EINVAL (422 in t) when the key named another request.
 */
static int
ngx_http_mado_admin_replay(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_err_t *err)
{
    int       rc;
    uint32_t  status;

    if (t->idem[0] == '\0') {
        return MADO_ENOTFOUND;
    }

    rc = mado_idem_get(s, txn, t->user, t->idem, t->fp, t->now, &status,
                       t->body, sizeof(t->body), &t->len, err);

    if (rc == MADO_OK) {
        t->status = status;

    } else if (rc == MADO_EINVAL) {
        ngx_http_mado_admin_fail(t, NGX_HTTP_MADO_UNPROCESSABLE,
                                 "idempotency_key_reused", err->text);
    }

    return rc;
}


/* the answer made, kept for the key's retries */
static int
ngx_http_mado_admin_remember(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_err_t *err)
{
    if (t->idem[0] == '\0') {
        return MADO_OK;
    }

    return mado_idem_put(s, txn, t->user, t->idem, t->fp, t->now, NGX_HTTP_OK,
                         t->body, t->len, err);
}


static int
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


static int
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


static void
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


/* ------------------------------------------------------------ feed */

/* the temp file's parts of the body, off the event loop */
static ngx_int_t
ngx_http_mado_admin_feed_read(ngx_http_mado_admin_task_t *t)
{
    size_t      done;
    ssize_t     n;
    ngx_uint_t  i;

    for (i = 0; i < t->nparts; i++) {
        for (done = 0; done < t->part[i].len; done += n) {
            n = pread(t->part[i].fd, t->in + t->part[i].at + done,
                      t->part[i].len - done,
                      t->part[i].pos + (off_t) done);

            if (n <= 0 && !(n == -1 && ngx_errno == NGX_EINTR)) {
                return NGX_ERROR;
            }

            if (n < 0) {
                n = 0;
            }
        }
    }

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
        rc = mado_session_check(s, txn, t->token, t->now,
                                NGX_HTTP_MADO_SESSION_IDLE,
                                NGX_HTTP_MADO_SESSION_MAX, t->user, err);
        if (rc == MADO_OK) {
            rc = mado_account_get(s, txn, t->user, &a, err);

            if (rc == MADO_OK && a.disabled) {
                rc = MADO_ENOTFOUND;
            }
        }

        if (rc == MADO_ENOTFOUND) {
            ngx_http_mado_admin_fail(t, NGX_HTTP_UNAUTHORIZED,
                                     "unauthorized", "the session is "
                                     "unknown or has expired");
            return MADO_OK;
        }

        if (rc != MADO_OK) {
            return rc;
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
        ngx_http_mado_admin_fail(t, NGX_HTTP_TOO_MANY_REQUESTS, "locked",
                                 "too many failed attempts from this "
                                 "address: wait and try again");
        return MADO_OK;
    }

    rc = mado_token_find(s, txn, t->token, &a, err);

    if (rc == MADO_ENOTFOUND || (rc == MADO_OK && a.disabled)) {
        ngx_explicit_memzero(&a, sizeof(a));

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


static void
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


/*
 * What names a request for its Idempotency-Key: the route, the office and
 * counter, and the body's bytes.  Plain C: the feed's runs in a thread.
 */
static void
ngx_http_mado_admin_fingerprint(ngx_http_mado_admin_task_t *t,
    const u_char *body, size_t len)
{
    u_char       route;
    unsigned     n;
    EVP_MD_CTX  *ctx;

    route = (u_char) t->route;
    ctx = EVP_MD_CTX_new();

    if (ctx == NULL
        || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(ctx, &route, 1) != 1
        || EVP_DigestUpdate(ctx, t->office, ngx_strlen(t->office) + 1) != 1
        || EVP_DigestUpdate(ctx, t->counter, ngx_strlen(t->counter) + 1) != 1
        || EVP_DigestUpdate(ctx, body, len) != 1
        || EVP_DigestFinal_ex(ctx, t->fp, &n) != 1)
    {
        /* no fingerprint: a reused key then always looks like another
           request, which refuses rather than answers wrongly */
        (void) RAND_bytes(t->fp, sizeof(t->fp));
    }

    EVP_MD_CTX_free(ctx);
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


static void
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


/* ------------------------------------------------------------ back */

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


/*
 * The browser's session: scripts cannot read it (HttpOnly), it travels
 * only over TLS (Secure) and never with a request another site started
 * (SameSite=Strict), and only to this API (Path).  No Max-Age: the server
 * ends it (idle and absolute limits), and the browser forgets it on exit.
 */
static ngx_int_t
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


static ngx_int_t
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
