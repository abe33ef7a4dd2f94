
/*
 * mado: sending responses: a cached document, an answer made for one
 * request, a JSON error (valid JSON whatever bytes the request had); the
 * headers they add; the request's headers and cookies, found.
 */


#include "ngx_http_mado_module.h"


static ngx_int_t ngx_http_mado_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body, ngx_http_mado_snapshot_t *snap);
static u_char *ngx_http_mado_json_escape(u_char *dst, u_char *end,
    u_char *src, size_t len);
static ngx_int_t ngx_http_mado_cache_control_set(ngx_http_request_t *r,
    ngx_str_t *value);
static ngx_int_t ngx_http_mado_header_filter(ngx_http_request_t *r);
static ngx_uint_t ngx_http_mado_replaced(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/* whole, so the header filter need not join a charset on every response */
static ngx_str_t  ngx_http_mado_json_type =
    ngx_string("application/json; charset=utf-8");
static ngx_str_t  ngx_http_mado_acao = ngx_string("Access-Control-Allow-Origin");
static ngx_str_t  ngx_http_mado_acao_value = ngx_string("*");
static ngx_str_t  ngx_http_mado_cache_control = ngx_string("Cache-Control");
static ngx_str_t  ngx_http_mado_no_store = ngx_string("no-store");
static ngx_str_t  ngx_http_mado_vary = ngx_string("Vary");
static ngx_str_t  ngx_http_mado_vary_encoding = ngx_string("Accept-Encoding");

/* the security headers (ngx_http_mado_security_headers()) */
static ngx_str_t  ngx_http_mado_csp = ngx_string("Content-Security-Policy");
static ngx_str_t  ngx_http_mado_xfo = ngx_string("X-Frame-Options");
static ngx_str_t  ngx_http_mado_xcto = ngx_string("X-Content-Type-Options");
static ngx_str_t  ngx_http_mado_referrer = ngx_string("Referrer-Policy");
static ngx_str_t  ngx_http_mado_nosniff = ngx_string("nosniff");
static ngx_str_t  ngx_http_mado_deny = ngx_string("DENY");
/* our own links keep it; other sites learn nothing of the page */
static ngx_str_t  ngx_http_mado_same_origin = ngx_string("same-origin");
static ngx_str_t  ngx_http_mado_page_csp =
    ngx_string(NGX_HTTP_MADO_PAGE_CSP "'none'");
static ngx_str_t  ngx_http_mado_data_csp =
    ngx_string("default-src 'none'; frame-ancestors 'none'");


/*
 * Send a cached document without copying it: the body stays in the
 * snapshot, which the request holds until it is finalized.  The
 * not-modified filter answers If-None-Match from the ETag set here.
 */
ngx_int_t
ngx_http_mado_send_doc(ngx_http_request_t *r, ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_doc_t *doc, ngx_str_t *type, ngx_str_t *cache_control,
    ngx_uint_t flags)
{
    ngx_str_t        *body, *etag_value;
    ngx_table_elt_t  *etag;

    body = &doc->body;
    etag_value = &doc->etag;

    if (flags & NGX_HTTP_MADO_SEND_GZIP) {
        if (ngx_http_mado_add_header(r, &ngx_http_mado_vary,
                                     &ngx_http_mado_vary_encoding)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* assets (no snapshot) were compressed at configuration time */
        if (ngx_http_gzip_ok(r) == NGX_OK
            && (doc->gzip.len
                || (snap != NULL
                    && ngx_http_mado_doc_gzip(snap->pool, doc,
                                              r->connection->log)
                       == NGX_OK)))
        {
            body = &doc->gzip;
            etag_value = &doc->gzip_etag;

            r->headers_out.content_encoding = ngx_list_push(
                                                   &r->headers_out.headers);
            if (r->headers_out.content_encoding == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            r->headers_out.content_encoding->hash = 1;
            ngx_str_set(&r->headers_out.content_encoding->key,
                        "Content-Encoding");
            ngx_str_set(&r->headers_out.content_encoding->value, "gzip");
        }
    }

    etag = ngx_list_push(&r->headers_out.headers);
    if (etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    etag->hash = 1;
    ngx_str_set(&etag->key, "ETag");
    etag->value = *etag_value;
    r->headers_out.etag = etag;

    if (ngx_http_mado_cache_control_set(r, cache_control) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if ((flags & NGX_HTTP_MADO_SEND_CORS)
        && ngx_http_mado_add_header(r, &ngx_http_mado_acao,
                                    &ngx_http_mado_acao_value)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send(r, NGX_HTTP_OK, type, body, snap);
}


/*
 * A JSON error, {"error":CODE,"message":...,"status":N}: the message is
 * printf'd (it may quote the request's own bytes) and escaped by
 * ngx_http_mado_json_error(); flags as for ngx_http_mado_send_doc().
 */
ngx_int_t
ngx_http_mado_send_error(ngx_http_request_t *r, ngx_uint_t flags,
    ngx_uint_t status, const char *code, const char *fmt, ...)
{
    u_char     *p;
    size_t      size;
    va_list     args;
    ngx_str_t   body;
    u_char      text[512];

    va_start(args, fmt);
    p = ngx_vslprintf(text, text + sizeof(text), fmt, args);
    va_end(args);

    size = NGX_HTTP_MADO_JSON_ERROR_LEN(p - text);

    body.data = ngx_pnalloc(r->pool, size);
    if (body.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.len = ngx_http_mado_json_error(body.data, size, status, code, text,
                                        p - text);

    if ((flags & NGX_HTTP_MADO_SEND_CORS)
        && ngx_http_mado_add_header(r, &ngx_http_mado_acao,
                                    &ngx_http_mado_acao_value)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send_body(r, status, &ngx_http_mado_json_type, &body);
}


/*
 * The error document into buf of size bytes (NGX_HTTP_MADO_JSON_ERROR_LEN
 * of the message's length is always enough; a smaller buf cuts the message
 * short); its length.  code is ours, plain ASCII.  Plain C, no pools: the
 * update API's threads make their errors with it too.
 */
size_t
ngx_http_mado_json_error(u_char *buf, size_t size, ngx_uint_t status,
    const char *code, u_char *msg, size_t len)
{
    u_char  *p, *end;

    p = buf;
    end = buf + size;

    /* room is kept for the tail, whatever the message takes */
    p = ngx_slprintf(p, end, "{\"error\":\"%s\",\"message\":\"", code);
    p = ngx_http_mado_json_escape(p, end - sizeof("\",\"status\":999}\n"),
                                  msg, len);
    p = ngx_slprintf(p, end, "\",\"status\":%ui}\n", status);

    return p - buf;
}


/*
 * The inside of a JSON string from any bytes: ngx_escape_json() for what
 * is UTF-8, U+FFFD for each byte that is not (a decoded URI may hold any),
 * cut at a whole character when dst reaches end.
 */
static u_char *
ngx_http_mado_json_escape(u_char *dst, u_char *end, u_char *src, size_t len)
{
    size_t    n, need;
    uint32_t  c;

    while (len) {
        n = mado_utf8_next((char *) src, len, &c);

        if (n == 0) {
            if (end - dst < (ssize_t) sizeof("\\ufffd") - 1) {
                break;
            }

            dst = ngx_cpymem(dst, "\\ufffd", sizeof("\\ufffd") - 1);
            src++;
            len--;
            continue;
        }

        need = n + ngx_escape_json(NULL, src, n);

        if (end - dst < (ssize_t) need) {
            break;
        }

        dst = (u_char *) ngx_escape_json(dst, src, n);
        src += n;
        len -= n;
    }

    return dst;
}


/* an answer made for this request alone (errors): never cached */
ngx_int_t
ngx_http_mado_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body)
{
    if (ngx_http_mado_cache_control_set(r, &ngx_http_mado_no_store)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send(r, status, type, body, NULL);
}


/*
 * The header, then the body's bytes where they are: a snapshot's (held by
 * the request until it is finalized) or the request's pool.
 */
static ngx_int_t
ngx_http_mado_send(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *type,
    ngx_str_t *body, ngx_http_mado_snapshot_t *snap)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = body->len;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (snap != NULL && ngx_http_mado_snapshot_hold(r, snap) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_mado_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *key;
    h->value = *value;

    return NGX_OK;
}


/*
 * What a citizen's browser may do with a response: never sniff its type;
 * an HTML page runs only our own script and styles and is framed nowhere
 * (the embed widget: where mado_embed_ancestors says); data runs nothing.
 * Set before the response, so that its errors (404, 503) have them too.
 */
ngx_int_t
ngx_http_mado_security_headers(ngx_http_request_t *r, ngx_http_mado_sec_e kind)
{
    ngx_str_t                 *csp, *xfo;
    ngx_http_mado_loc_conf_t  *mlcf;

    if (ngx_http_mado_add_header(r, &ngx_http_mado_xcto,
                                 &ngx_http_mado_nosniff)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    switch (kind) {

    case NGX_HTTP_MADO_SEC_PAGE:
        csp = &ngx_http_mado_page_csp;
        xfo = &ngx_http_mado_deny;
        break;

    case NGX_HTTP_MADO_SEC_EMBED:
        mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);
        csp = &mlcf->embed_csp;
        /* X-Frame-Options cannot name sites: with a list, CSP alone */
        xfo = &mlcf->embed_xfo;
        break;

    case NGX_HTTP_MADO_SEC_DATA:
        csp = &ngx_http_mado_data_csp;
        xfo = &ngx_http_mado_deny;
        break;

    default: /* NGX_HTTP_MADO_SEC_ASSET */
        return NGX_OK;
    }

    if (ngx_http_mado_add_header(r, &ngx_http_mado_csp, csp) != NGX_OK
        || (xfo->len
            && ngx_http_mado_add_header(r, &ngx_http_mado_xfo, xfo) != NGX_OK))
    {
        return NGX_ERROR;
    }

    if (kind != NGX_HTTP_MADO_SEC_DATA
        && ngx_http_mado_add_header(r, &ngx_http_mado_referrer,
                                    &ngx_http_mado_same_origin)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Cache-Control goes where nginx keeps it (r->headers_out.cache_control),
 * so that "expires" in the location replaces its value instead of adding
 * a second header; its key is ours, so the filter below knows it.
 */
static ngx_int_t
ngx_http_mado_cache_control_set(ngx_http_request_t *r, ngx_str_t *value)
{
    ngx_table_elt_t   *h;
#if (nginx_version < 1023000)
    ngx_table_elt_t  **ph;
#endif

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = ngx_http_mado_cache_control;
    h->value = *value;

#if (nginx_version >= 1023000)
    h->next = NULL;
    r->headers_out.cache_control = h;
#else
    if (r->headers_out.cache_control.elts == NULL
        && ngx_array_init(&r->headers_out.cache_control, r->pool, 1,
                          sizeof(ngx_table_elt_t *))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ph = ngx_array_push(&r->headers_out.cache_control);
    if (ph == NULL) {
        return NGX_ERROR;
    }

    *ph = h;
#endif

    return NGX_OK;
}


/*
 * A binary upgrade (USR2) renames the master's pid file to ccf->oldpid
 * ("nginx.pid.oldbin") before the new master starts.  Once a worker sees
 * its own master's pid there, it stops keep-alive: each answer says
 * "Connection: close" and the connection is closed after it, so when the
 * old master is told to QUIT no client has a request on its way over a
 * connection the worker would close as idle (nginx closes idle
 * keep-alive connections at once on shutdown, a race HTTP/1.1 clients
 * that do not retry lose).  Looked at once a second; a worker never
 * returns from it.
 */
static ngx_uint_t
ngx_http_mado_replaced(ngx_http_request_t *r)
{
    u_char                     *p, buf[NGX_INT64_LEN + 2];
    ssize_t                     n;
    ngx_fd_t                    fd;
    ngx_int_t                   pid;
    ngx_core_conf_t            *ccf;
    ngx_http_mado_worker_t     *w;
    ngx_http_mado_main_conf_t  *mmcf;

    if (ngx_process != NGX_PROCESS_WORKER) {
        return 0;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    w = mmcf->worker;

    if (w == NULL || w->replaced || w->replaced_checked == ngx_time()) {
        return w ? w->replaced : 0;
    }

    w->replaced_checked = ngx_time();

    ccf = (ngx_core_conf_t *) ngx_get_conf(ngx_cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf == NULL || ccf->oldpid.len == 0) {
        return 0;
    }

    fd = ngx_open_file(ccf->oldpid.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return 0;
    }

    n = ngx_read_fd(fd, buf, sizeof(buf) - 1);
    (void) ngx_close_file(fd);

    if (n <= 0) {
        return 0;
    }

    for (p = buf; p < buf + n && *p >= '0' && *p <= '9'; p++) {
        /* the pid's digits */
    }

    pid = ngx_atoi(buf, p - buf);

    if (pid != NGX_ERROR && (ngx_pid_t) pid == getppid()) {
        w->replaced = 1;
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "mado: the master %P is being replaced, "
                      "keep-alive ends in this worker", (ngx_pid_t) pid);
    }

    return w->replaced;
}


/*
 * The location's own "add_header Cache-Control" wins over mado_max_age:
 * this filter runs after nginx's headers filter (the module is ordered
 * before it, see "config") and drops our header when another is there.
 * It also ends keep-alive in a worker whose master is being replaced
 * (above), before nginx's header filter writes "Connection".
 */
static ngx_int_t
ngx_http_mado_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t         n;
    ngx_table_elt_t   *h, *ours;
#if (nginx_version >= 1023000)
    ngx_table_elt_t  **ph;
#else
    ngx_uint_t         i, j;
    ngx_table_elt_t  **elts;
#endif

    if (r == r->main && r->keepalive && ngx_http_mado_replaced(r)) {
        r->keepalive = 0;
    }

#if (nginx_version >= 1023000)
    n = 0;
    ours = NULL;

    for (h = r->headers_out.cache_control; h; h = h->next) {
        if (h->hash == 0) {
            continue;
        }

        n++;

        if (h->key.data == ngx_http_mado_cache_control.data) {
            ours = h;
        }
    }

    if (ours == NULL || n < 2) {
        return ngx_http_next_header_filter(r);
    }

    for (ph = &r->headers_out.cache_control; *ph; ph = &(*ph)->next) {
        if (*ph == ours) {
            *ph = ours->next;
            break;
        }
    }

#else
    n = 0;
    ours = NULL;
    elts = r->headers_out.cache_control.elts;

    for (i = 0; i < r->headers_out.cache_control.nelts; i++) {
        h = elts[i];

        if (h->hash == 0) {
            continue;
        }

        n++;

        if (h->key.data == ngx_http_mado_cache_control.data) {
            ours = h;
        }
    }

    if (ours == NULL || n < 2) {
        return ngx_http_next_header_filter(r);
    }

    for (i = 0, j = 0; i < r->headers_out.cache_control.nelts; i++) {
        if (elts[i] != ours) {
            elts[j++] = elts[i];
        }
    }

    r->headers_out.cache_control.nelts = j;
#endif

    ours->hash = 0;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado: the location's Cache-Control replaces "
                   "mado_max_age's");

    return ngx_http_next_header_filter(r);
}


ngx_int_t
ngx_http_mado_header_filter_init(ngx_conf_t *cf)
{
    (void) cf;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_mado_header_filter;

    return NGX_OK;
}


/* pages are only read: GET and HEAD, the body (if any) discarded */
ngx_int_t
ngx_http_mado_read_only(ngx_http_request_t *r)
{
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_mado_add_header(r, &(ngx_str_t) ngx_string("Allow"),
                                     &(ngx_str_t) ngx_string("GET, HEAD"))
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    return ngx_http_discard_request_body(r);
}


/*
 * The request's header of that name after the one given (NULL: the first),
 * or NULL: a header nginx has no field of its own for, or one that may be
 * repeated.
 */
ngx_table_elt_t *
ngx_http_mado_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_table_elt_t *after)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (after != NULL) {
                if (&h[i] == after) {
                    after = NULL;
                }

                continue;
            }

            if (h[i].key.len == name->len
                && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
            {
                return &h[i];
            }
        }
    }

    return NULL;
}


/*
 * A cookie's value: NGX_OK, or NGX_DECLINED when the request has none of
 * that name (name: a literal, NUL-terminated).  The library reads each
 * Cookie header; nginx 1.23 replaced their array with a list.
 */
ngx_int_t
ngx_http_mado_cookie(ngx_http_request_t *r, ngx_str_t *name, ngx_str_t *value)
{
    size_t            len;
    const char       *v;
    ngx_table_elt_t  *h;
#if (nginx_version < 1023000)
    ngx_uint_t        i;
    ngx_table_elt_t **hs;

    hs = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        h = hs[i];
#else

    for (h = r->headers_in.cookie; h != NULL; h = h->next) {
#endif
        v = mado_cookie_value((char *) h->value.data, h->value.len,
                              (char *) name->data, &len);

        if (v != NULL) {
            value->data = (u_char *) v;
            value->len = len;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}
