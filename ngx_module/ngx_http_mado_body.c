
/*
 * mado: the update API's request bodies: read whole, a counter update's
 * JSON parsed, a feed's batch kept for its thread (parts nginx put in a
 * temp file are read there).
 */


#include "ngx_http_mado_admin.h"

#include <yajl/yajl_tree.h>


static void ngx_http_mado_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_mado_admin_parse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, u_char *body, size_t len,
    ngx_int_t *sent);
static ngx_int_t ngx_http_mado_admin_feed_body(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);


/* the body, whole, then ngx_http_mado_admin_body() */
ngx_int_t
ngx_http_mado_admin_read(ngx_http_request_t *r, ngx_http_mado_admin_task_t *t)
{
    size_t     max;
    ngx_int_t  rc;

    max = (t->route == NGX_HTTP_MADO_ADMIN_FEED) ? NGX_HTTP_MADO_FEED_BODY_MAX
                                                 : NGX_HTTP_MADO_ADMIN_BODY_MAX;

    if (r->headers_in.content_length_n > (off_t) max) {
        return ngx_http_mado_send_error(r, 0,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
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


static void
ngx_http_mado_admin_body(ngx_http_request_t *r)
{
    u_char                      *body;
    size_t                       len;
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl;
    ngx_http_mado_admin_task_t  *t;

    t = ngx_http_get_module_ctx(r, ngx_http_mado_module);

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
        rc = ngx_http_mado_send_error(r, 0, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
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

    ngx_http_mado_admin_post(r, t);
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
        *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_BAD_REQUEST,
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

        *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_BAD_REQUEST,
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
            *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_BAD_REQUEST,     \
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
        *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_BAD_REQUEST,
                                         "bad_request", "%s: required",
                                         t->user[0] ? "password" : "user");
        return NGX_DECLINED;
    }

    if (t->route == NGX_HTTP_MADO_ADMIN_COUNTER
        && t->op.type == MADO_HEV_CANCEL && t->op.number == 0)
    {
        *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_BAD_REQUEST,
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
        *sent = ngx_http_mado_send_error(r, 0,
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
