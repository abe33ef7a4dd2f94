
/*
 * mado: rendering of the JSON documents, with yajl.
 *
 * Each office is rendered once per snapshot as a JSON fragment; the
 * one-office and all-offices documents are that fragment wrapped, so both
 * always agree byte for byte.
 */


#include <yajl/yajl_gen.h>

#include "ngx_http_mado_module.h"


#define ngx_http_mado_gen_str(g, s)                                           \
    yajl_gen_string(g, (const unsigned char *) (s), ngx_strlen(s))

#define ngx_http_mado_gen_lit(g, s)                                           \
    yajl_gen_string(g, (const unsigned char *) (s), sizeof(s) - 1)


static const char *const  ngx_http_mado_days[7] = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat"
};


static ngx_int_t ngx_http_mado_render_office(yajl_gen g,
    mado_store_t *store, MDB_txn *txn, mado_office_def_t *o, time_t now,
    time_t stale_after, time_t *expires, mado_err_t *err);
static void ngx_http_mado_gen_i18n(yajl_gen g, mado_i18n_t *t);
static ngx_int_t ngx_http_mado_doc(ngx_pool_t *pool, ngx_http_mado_doc_t *doc,
    ngx_str_t *head, ngx_str_t *parts, ngx_uint_t nparts, ngx_str_t *sep,
    ngx_str_t *tail);


ngx_int_t
ngx_http_mado_render(ngx_http_mado_snapshot_t *snap, mado_store_t *store,
    MDB_txn *txn, time_t now, time_t stale_after, ngx_log_t *log,
    u_char *reason, size_t reason_len)
{
    size_t                 len;
    unsigned               i, n;
    yajl_gen               g;
    ngx_str_t             *frags, head, sep, tail, office_tail;
    ngx_int_t              rc;
    mado_err_t             err;
    ngx_http_mado_doc_t   *doc;
    mado_office_def_t      def;
    const unsigned char   *buf;
    char                   ids[MADO_OFFICES_MAX][MADO_ID_MAX + 1];
    char                   iso[32];

    if (mado_office_ids(store, txn, ids, MADO_OFFICES_MAX, &n, &err)
        != MADO_OK)
    {
        ngx_cpystrn(reason, (u_char *) err.text, reason_len);
        return NGX_ERROR;
    }

    /* figures turn stale with time alone, and generated_at should move */
    snap->expires = now + 60 - now % 60;

    frags = ngx_palloc(snap->pool, (n ? n : 1) * sizeof(ngx_str_t));
    if (frags == NULL) {
        return NGX_ERROR;
    }

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NGX_ERROR;
    }

    /* a bad byte in a message must never yield invalid JSON */
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    rc = NGX_OK;

    for (i = 0; i < n; i++) {

        if (mado_office_get(store, txn, ids[i], &def, &err) != MADO_OK) {
            rc = NGX_ERROR;
            break;
        }

        yajl_gen_clear(g);
        yajl_gen_reset(g, NULL);

        rc = ngx_http_mado_render_office(g, store, txn, &def, now,
                                         stale_after, &snap->expires, &err);
        mado_office_free(&def);

        if (rc != NGX_OK) {
            break;
        }

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
            ngx_sprintf((u_char *) err.text, "cannot render office %s%Z",
                        ids[i]);
            rc = NGX_ERROR;
            break;
        }

        frags[i].data = ngx_pnalloc(snap->pool, len);
        if (frags[i].data == NULL) {
            yajl_gen_free(g);
            return NGX_ERROR;
        }

        ngx_memcpy(frags[i].data, buf, len);
        frags[i].len = len;
    }

    yajl_gen_free(g);

    if (rc != NGX_OK) {
        ngx_cpystrn(reason, (u_char *) err.text, reason_len);
        return NGX_ERROR;
    }

    /*
     * To the minute: every worker then renders the same bytes, hence the
     * same ETag, for the same figures (and pages say "HH:MM現在" anyway).
     */
    mado_time_iso(now - now % 60, iso);

    /* "]" closes the list of all offices; one office's tail starts after it */
    tail.data = ngx_pnalloc(snap->pool, sizeof("],\"generated_at\":\"\"}") + 32);
    if (tail.data == NULL) {
        return NGX_ERROR;
    }

    tail.len = ngx_sprintf(tail.data, "],\"generated_at\":\"%s\"}", iso)
               - tail.data;

    office_tail.data = tail.data + 1;
    office_tail.len = tail.len - 1;

    ngx_str_set(&head, "{\"office\":");
    ngx_str_null(&sep);

    for (i = 0; i < n; i++) {
        doc = ngx_array_push(&snap->offices);
        if (doc == NULL) {
            return NGX_ERROR;
        }

        doc->id.len = ngx_strlen(ids[i]);
        doc->id.data = ngx_pnalloc(snap->pool, doc->id.len);
        if (doc->id.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(doc->id.data, ids[i], doc->id.len);

        if (ngx_http_mado_doc(snap->pool, doc, &head, &frags[i], 1, &sep,
                              &office_tail)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_str_set(&head, "{\"offices\":[");
    ngx_str_set(&sep, ",");
    ngx_str_null(&snap->all.id);

    if (ngx_http_mado_doc(snap->pool, &snap->all, &head, frags, n, &sep, &tail)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "mado rendered txn %uz, %ui offices",
                   snap->txnid, snap->offices.nelts);

    return NGX_OK;
}


static ngx_int_t
ngx_http_mado_render_office(yajl_gen g, mado_store_t *store, MDB_txn *txn,
    mado_office_def_t *o, time_t now, time_t stale_after, time_t *expires,
    mado_err_t *err)
{
    char                   iso[32], spans[64];
    int64_t                wait;
    unsigned               i, d, k, n;
    mado_counter_def_t    *c;
    mado_counter_state_t   st;

    yajl_gen_map_open(g);

    ngx_http_mado_gen_lit(g, "id");
    ngx_http_mado_gen_str(g, o->id);
    ngx_http_mado_gen_lit(g, "kind");
    ngx_http_mado_gen_str(g, o->kind);
    ngx_http_mado_gen_lit(g, "name");
    ngx_http_mado_gen_i18n(g, &o->name);

    ngx_http_mado_gen_lit(g, "hours");
    yajl_gen_map_open(g);

    for (d = 0; d < 7; d++) {
        n = 0;
        spans[0] = '\0';

        for (k = 0; k < o->nspans[d]; k++) {
            n = ngx_sprintf((u_char *) spans + n, "%s%02ui:%02ui-%02ui:%02ui",
                            k ? "," : "",
                            (ngx_uint_t) o->hours[d][k].open / 60,
                            (ngx_uint_t) o->hours[d][k].open % 60,
                            (ngx_uint_t) o->hours[d][k].close / 60,
                            (ngx_uint_t) o->hours[d][k].close % 60)
                - (u_char *) spans;
        }

        ngx_http_mado_gen_str(g, ngx_http_mado_days[d]);
        yajl_gen_string(g, (const unsigned char *) spans, n);
    }

    yajl_gen_map_close(g);

    ngx_http_mado_gen_lit(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < o->ncounters; i++) {
        c = &o->counters[i];

        if (mado_state_get(store, txn, o->id, c->id, &st, err) != MADO_OK) {
            return NGX_ERROR;
        }

        yajl_gen_map_open(g);

        ngx_http_mado_gen_lit(g, "id");
        ngx_http_mado_gen_str(g, c->id);
        ngx_http_mado_gen_lit(g, "name");
        ngx_http_mado_gen_i18n(g, &c->name);
        ngx_http_mado_gen_lit(g, "status");
        ngx_http_mado_gen_str(g, mado_status_names[st.status]);
        ngx_http_mado_gen_lit(g, "waiting");
        yajl_gen_integer(g, st.waiting);
        ngx_http_mado_gen_lit(g, "calling");
        yajl_gen_integer(g, st.calling);
        ngx_http_mado_gen_lit(g, "last_issued");
        yajl_gen_integer(g, st.last_issued);

        ngx_http_mado_gen_lit(g, "wait_minutes");
        wait = mado_wait_minutes(c, &st);
        if (wait < 0) {
            yajl_gen_null(g);
        } else {
            yajl_gen_integer(g, wait);
        }

        ngx_http_mado_gen_lit(g, "message");
        if (st.message_len == 0) {
            yajl_gen_null(g);

        } else if (yajl_gen_string(g, (const unsigned char *) st.message,
                                   st.message_len)
                   != yajl_gen_status_ok)
        {
            /* madoctl validates UTF-8; a garbled record shows no message */
            yajl_gen_null(g);
        }

        ngx_http_mado_gen_lit(g, "updated_at");
        mado_time_iso(st.updated_at, iso);
        ngx_http_mado_gen_str(g, iso);

        ngx_http_mado_gen_lit(g, "stale");

        if (st.status == MADO_STATUS_OPEN) {
            if (now - st.updated_at > stale_after) {
                yajl_gen_bool(g, 1);

            } else {
                yajl_gen_bool(g, 0);

                /* re-render the moment this counter turns stale */
                if (st.updated_at + stale_after + 1 < *expires) {
                    *expires = st.updated_at + stale_after + 1;
                }
            }

        } else {
            yajl_gen_bool(g, 0);
        }

        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    return NGX_OK;
}


static void
ngx_http_mado_gen_i18n(yajl_gen g, mado_i18n_t *t)
{
    int  l;

    yajl_gen_map_open(g);

    for (l = 0; l < MADO_NLANG; l++) {
        if (t->text[l] != NULL) {
            ngx_http_mado_gen_str(g, mado_lang_codes[l]);
            ngx_http_mado_gen_str(g, t->text[l]);
        }
    }

    yajl_gen_map_close(g);
}


/* concatenate into one buffer and give it a strong ETag from its bytes */
static ngx_int_t
ngx_http_mado_doc(ngx_pool_t *pool, ngx_http_mado_doc_t *doc, ngx_str_t *head,
    ngx_str_t *parts, ngx_uint_t nparts, ngx_str_t *sep, ngx_str_t *tail)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    len = head->len + tail->len;

    for (i = 0; i < nparts; i++) {
        len += parts[i].len + sep->len;
    }

    doc->body.data = ngx_pnalloc(pool, len);
    if (doc->body.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(doc->body.data, head->data, head->len);

    for (i = 0; i < nparts; i++) {
        if (i > 0) {
            p = ngx_cpymem(p, sep->data, sep->len);
        }

        p = ngx_cpymem(p, parts[i].data, parts[i].len);
    }

    p = ngx_cpymem(p, tail->data, tail->len);
    doc->body.len = p - doc->body.data;

    doc->etag.data = ngx_pnalloc(pool, sizeof("\"0123456789abcdef\"") - 1);
    if (doc->etag.data == NULL) {
        return NGX_ERROR;
    }

    /* two independent 32-bit hashes: a collision must not hide a change */
    p = ngx_sprintf(doc->etag.data, "\"%08xD%08xD\"",
                    ngx_crc32_long(doc->body.data, doc->body.len),
                    ngx_murmur_hash2(doc->body.data, doc->body.len));
    doc->etag.len = p - doc->etag.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_mado_render_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, ngx_str_t *message, ngx_str_t *out)
{
    size_t                len;
    yajl_gen              g;
    const unsigned char  *buf;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NGX_ERROR;
    }

    /* a message may quote a client's bytes: never let them break JSON */
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    yajl_gen_map_open(g);
    ngx_http_mado_gen_lit(g, "error");
    ngx_http_mado_gen_str(g, code);
    ngx_http_mado_gen_lit(g, "message");

    if (yajl_gen_string(g, message->data, message->len)
        != yajl_gen_status_ok)
    {
        ngx_http_mado_gen_lit(g, "the request was not understood");
    }

    ngx_http_mado_gen_lit(g, "status");
    yajl_gen_integer(g, status);
    yajl_gen_map_close(g);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(r->pool, len + 1);
    if (out->data == NULL) {
        yajl_gen_free(g);
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, buf, len);
    out->data[len] = '\n';
    out->len = len + 1;

    yajl_gen_free(g);

    return NGX_OK;
}
