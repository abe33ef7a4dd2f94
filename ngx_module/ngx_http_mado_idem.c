
/*
 * mado: Idempotency-Key: a retried request is answered again, not applied
 * again; the key is bound to its request by a fingerprint.
 */


#include "ngx_http_mado_admin.h"

#include <openssl/evp.h>
#include <openssl/rand.h>


/* the request's Idempotency-Key, if any: 1..MADO_IDEM_KEY_MAX visible ASCII */
ngx_int_t
ngx_http_mado_admin_idem_key(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent)
{
    ngx_uint_t        k;
    ngx_table_elt_t  *h;

    static ngx_str_t  name = ngx_string("Idempotency-Key");

    for (h = ngx_http_mado_header(r, &name, NULL); h != NULL;
         h = ngx_http_mado_header(r, &name, h))
    {
        for (k = 0; k < h->value.len; k++) {
            if (h->value.data[k] < 0x21 || h->value.data[k] > 0x7e) {
                break;
            }
        }

        if (h->value.len == 0 || h->value.len > MADO_IDEM_KEY_MAX
            || k != h->value.len)
        {
            *sent = ngx_http_mado_send_error(r, 0, NGX_HTTP_BAD_REQUEST,
                                             "bad_request",
                                             "Idempotency-Key: must be 1..%d "
                                             "visible ASCII characters",
                                             MADO_IDEM_KEY_MAX);
            return NGX_DECLINED;
        }

        ngx_memcpy(t->idem, h->value.data, h->value.len);
        t->idem[h->value.len] = '\0';
    }

    return NGX_OK;
}


/*
 * Idempotency-Key: MADO_ENOTFOUND for a new request; MADO_OK when it was
 * made before (its first answer is in t, nothing is to be applied);
 * MADO_EINVAL (422 in t) when the key named another request.
 */
int
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

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &t->log, 0,
                   "mado admin: Idempotency-Key \"%s\": %s", t->idem,
                   rc == MADO_OK ? "seen, the first answer again"
                   : rc == MADO_EINVAL ? "reused for another request"
                   : rc == MADO_ENOTFOUND ? "new" : "not read");

    if (rc == MADO_OK) {
        t->status = status;

    } else if (rc == MADO_EINVAL) {
        ngx_http_mado_admin_fail(t, NGX_HTTP_MADO_UNPROCESSABLE,
                                 "idempotency_key_reused", err->text);
    }

    return rc;
}


/* the answer made, kept for the key's retries */
int
ngx_http_mado_admin_remember(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_err_t *err)
{
    if (t->idem[0] == '\0') {
        return MADO_OK;
    }

    return mado_idem_put(s, txn, t->user, t->idem, t->fp, t->now, NGX_HTTP_OK,
                         t->body, t->len, err);
}


/*
 * What names a request for its Idempotency-Key: the route, the office and
 * counter, and the body's bytes.  Plain C: the feed's runs in a thread.
 */
void
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
