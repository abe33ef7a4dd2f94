
/*
 * mado: the update API's request bodies: a counter update's read whole
 * (from memory and nginx's temp file) and its JSON parsed, a feed's batch
 * kept for its thread (parts nginx put in a temp file are read there).
 */


#include "ngx_http_mado_admin.h"


static void ngx_http_mado_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_mado_admin_whole(ngx_http_request_t *r,
    u_char **body, size_t *len, ngx_int_t *sent);
static ngx_int_t ngx_http_mado_admin_parse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, u_char *body, size_t len,
    ngx_int_t *sent);
static ngx_int_t ngx_http_mado_admin_feed_body(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
static ngx_int_t ngx_http_mado_admin_too_large(ngx_http_request_t *r,
    size_t max);


/* the body, whole, then ngx_http_mado_admin_body() */
ngx_int_t
ngx_http_mado_admin_read(ngx_http_request_t *r, ngx_http_mado_admin_task_t *t)
{
    size_t     max;
    ngx_int_t  rc;

    max = (t->route == NGX_HTTP_MADO_ADMIN_FEED) ? NGX_HTTP_MADO_FEED_BODY_MAX
                                                 : NGX_HTTP_MADO_ADMIN_BODY_MAX;

    if (r->headers_in.content_length_n > (off_t) max) {
        return ngx_http_mado_admin_too_large(r, max);
    }

    /* one buffer where client_body_buffer_size allows; over it nginx
       writes the body to a temp file, read back below (a feed's, in the
       thread) */
    r->request_body_in_single_buf = 1;
    r->request_body_in_persistent_file = 0;

    rc = ngx_http_read_client_request_body(r, ngx_http_mado_admin_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_mado_admin_body(ngx_http_request_t *r)
{
    u_char                      *body;
    size_t                       len;
    ngx_int_t                    rc;
    ngx_http_mado_admin_task_t  *t;

    t = ngx_http_get_module_ctx(r, ngx_http_mado_module);

    if (t->route == NGX_HTTP_MADO_ADMIN_FEED) {
        if (ngx_http_mado_admin_feed_body(r, t, &rc) != NGX_OK) {
            ngx_http_finalize_request(r, rc);
            return;
        }

        goto post;
    }

    if (ngx_http_mado_admin_whole(r, &body, &len, &rc) != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_mado_admin_fingerprint(t, body, len);

    /* a refusal is answered there: finalize with what sending it gave */
    if (ngx_http_mado_admin_parse(r, t, body, len, &rc) != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

post:

    ngx_http_mado_admin_post(r, t);
}


/*
 * A body of at most NGX_HTTP_MADO_ADMIN_BODY_MAX bytes, whole and
 * NUL-terminated: the parts in memory, and those nginx put in its temp
 * file (a body over client_body_buffer_size), read here as nginx's output
 * chain reads a file: a few KB nginx has just written.
 */
static ngx_int_t
ngx_http_mado_admin_whole(ngx_http_request_t *r, u_char **body, size_t *len,
    ngx_int_t *sent)
{
    u_char       *p;
    size_t        n;
    ssize_t       got;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    n = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        n += ngx_buf_size(cl->buf);
    }

    if (n > NGX_HTTP_MADO_ADMIN_BODY_MAX) {
        *sent = ngx_http_mado_admin_too_large(r,
                                              NGX_HTTP_MADO_ADMIN_BODY_MAX);
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, n + 1);
    if (p == NULL) {
        *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    *body = p;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            /* an empty body's buffer has no memory: memcpy() takes no
               NULL */
            if (b->last != b->pos) {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }

        } else if (b->in_file && b->file_last > b->file_pos) {
            n = b->file_last - b->file_pos;
            got = ngx_read_file(b->file, p, n, b->file_pos);

            if (got != (ssize_t) n) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                              "mado admin: reading the body's temp file "
                              "failed");
                *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
                return NGX_DECLINED;
            }

            p += n;
        }
    }

    *p = '\0';
    *len = p - *body;

    return NGX_OK;
}


/* the library's codec reads the body (madoctl --server writes it with the
   same one); its refusal, naming the field, is the 400's message */
static ngx_int_t
ngx_http_mado_admin_parse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, u_char *body, size_t len, ngx_int_t *sent)
{
    mado_err_t         err;
    mado_update_req_t  req;

    if (mado_update_decode((mado_update_route_e) t->route,
                           (const char *) body, len, &req, &err)
        != MADO_OK)
    {
        ngx_explicit_memzero(&req, sizeof(mado_update_req_t));
        *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_BAD_REQUEST,
                                         "bad_request", "%s", err.text);
        return NGX_DECLINED;
    }

    ngx_memcpy(t->user, req.user, sizeof(t->user));
    ngx_memcpy(t->password, req.password, sizeof(t->password));

    /* a login may say which; otherwise how the request came decides */
    if (req.session >= 0) {
        t->cookie = req.session;
    }

    t->op = req.op;

    if (req.op.message != NULL) {
        ngx_memcpy(t->message, req.message, sizeof(t->message));
        t->op.message = t->message;
    }

    if (req.op.notice != NULL) {
        ngx_memcpy(t->notice, req.notice, sizeof(t->notice));
        t->op.notice = t->notice;
    }

    ngx_explicit_memzero(&req, sizeof(mado_update_req_t));

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
        *sent = ngx_http_mado_admin_too_large(r, NGX_HTTP_MADO_FEED_BODY_MAX);
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

            /* an empty buffer has no memory: memcpy() takes no NULL */
            if (n != 0) {
                ngx_memcpy(t->in + t->in_len, b->pos, n);
            }

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


/* 413 for a Content-Length, or a body read whole, over max */
static ngx_int_t
ngx_http_mado_admin_too_large(ngx_http_request_t *r, size_t max)
{
    return ngx_http_mado_send_error(r, 0, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                    "too_large", "the body may have at most "
                                    "%uz bytes", max);
}


/* the temp file's parts of the body, off the event loop */
ngx_int_t
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
