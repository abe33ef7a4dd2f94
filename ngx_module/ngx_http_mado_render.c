
/*
 * mado: reading a snapshot out of the store, and the JSON documents.
 *
 * Each office is rendered once per snapshot as a JSON fragment; the
 * one-office and all-offices documents are that fragment wrapped, so both
 * always agree byte for byte.
 */


#include "ngx_http_mado_module.h"

#include <yajl/yajl_gen.h>
#include <zlib.h>


static ngx_int_t ngx_http_mado_read(ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_defs_t **cache, mado_store_t *store, MDB_txn *txn,
    time_t now, time_t stale_after, ngx_flag_t calendar, mado_err_t *err);
static void ngx_http_mado_render_office(yajl_gen g,
    ngx_http_mado_office_t *office, time_t now, unsigned parts);
static ngx_http_mado_office_t *ngx_http_mado_unchanged(
    ngx_http_mado_snapshot_t *snap, ngx_http_mado_snapshot_t *prev,
    ngx_uint_t i, time_t now);
static ngx_int_t ngx_http_mado_doc_copy(ngx_pool_t *pool,
    ngx_http_mado_doc_t *to, ngx_http_mado_doc_t *from);
static ngx_int_t ngx_http_mado_doc(ngx_pool_t *pool, ngx_http_mado_doc_t *doc,
    ngx_str_t *head, ngx_str_t *parts, ngx_uint_t nparts, ngx_str_t *sep,
    ngx_str_t *tail);
static ngx_int_t ngx_http_mado_etag(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *etag, const char *suffix);
static void ngx_http_mado_defs_cleanup(void *data);
static ngx_int_t ngx_http_mado_defs_get(ngx_http_mado_defs_t **cache,
    mado_store_t *store, MDB_txn *txn, char ids[][MADO_ID_MAX + 1],
    ngx_uint_t n, mado_err_t *err);


ngx_int_t
ngx_http_mado_render(ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_snapshot_t *prev, ngx_http_mado_defs_t **cache,
    mado_store_t *store,
    MDB_txn *txn, time_t now, time_t stale_after, ngx_flag_t calendar,
    ngx_log_t *log, u_char *reason, size_t reason_len)
{
    size_t                   len;
    ngx_uint_t               i, n;
    yajl_gen                 g;
    ngx_str_t               *frags, head, sep, tail, office_tail;
    mado_err_t               err;
    ngx_http_mado_office_t  *office, *same, **reused;
    const unsigned char     *buf;
    char                     iso[32];

    if (ngx_http_mado_read(snap, cache, store, txn, now, stale_after,
                           calendar, &err)
        != NGX_OK)
    {
        ngx_cpystrn(reason, (u_char *) err.text, reason_len);
        return NGX_ERROR;
    }

    /* once per snapshot: the API and the pages say the same */
    ngx_http_mado_visit_best(snap, store, txn, log);

    n = snap->offices.nelts;
    office = snap->offices.elts;

    frags = ngx_palloc(snap->pool, (n ? n : 1) * sizeof(ngx_str_t));
    reused = ngx_pcalloc(snap->pool, (n ? n : 1) * sizeof(void *));

    if (frags == NULL || reused == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&head, "{\"office\":");

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NGX_ERROR;
    }

    /* a bad byte in a message must never yield invalid JSON */
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    for (i = 0; i < n; i++) {
        /*
         * An update changes one office: the others are copied, not
         * rendered again, which keeps a snapshot after each update cheap.
         */
        same = ngx_http_mado_unchanged(snap, prev, i, now);

        if (same != NULL) {
            if (ngx_http_mado_doc_copy(snap->pool, &office[i].api, &same->api)
                != NGX_OK)
            {
                yajl_gen_free(g);
                return NGX_ERROR;
            }

            /* the fragment is the document without its head and tail */
            frags[i].data = office[i].api.body.data + head.len;
            frags[i].len = same->api.body.len - head.len - same->tail_len;
            reused[i] = same;
            continue;
        }

        yajl_gen_clear(g);
        yajl_gen_reset(g, NULL);

        /* the minute, not the second: workers render the same bytes */
        ngx_http_mado_render_office(g, &office[i], snap->now,
                                    calendar ? MADO_SJ_CALENDAR : 0);

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
            yajl_gen_free(g);
            ngx_snprintf(reason, reason_len, "cannot render office %V%Z",
                         &office[i].id);
            return NGX_ERROR;
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

    mado_time_iso(snap->now, iso);

    /* "]" closes the list of all offices; one office's tail starts after it */
    tail.data = ngx_pnalloc(snap->pool, sizeof("],\"generated_at\":\"\"}") + 32);
    if (tail.data == NULL) {
        return NGX_ERROR;
    }

    tail.len = ngx_sprintf(tail.data, "],\"generated_at\":\"%s\"}", iso)
               - tail.data;

    office_tail.data = tail.data + 1;
    office_tail.len = tail.len - 1;

    ngx_str_null(&sep);

    for (i = 0; i < n; i++) {
        office[i].tail_len = office_tail.len;

        if (reused[i] == NULL
            && ngx_http_mado_doc(snap->pool, &office[i].api, &head, &frags[i],
                                 1, &sep, &office_tail)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_str_set(&head, "{\"offices\":[");
    ngx_str_set(&sep, ",");

    if (ngx_http_mado_doc(snap->pool, &snap->all, &head, frags, n, &sep, &tail)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "mado rendered txn %uz, %ui offices", snap->txnid, n);

#if !(NGX_DEBUG)
    (void) log;
#endif

    return NGX_OK;
}


/*
 * The same office in the last snapshot, when it renders to the same bytes:
 * the same definitions and figures, at the same minute, with the last
 * snapshot still current for the clock (else anything may have turned).
 */
static ngx_http_mado_office_t *
ngx_http_mado_unchanged(ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_snapshot_t *prev, ngx_uint_t i, time_t now)
{
    ngx_uint_t               nc;
    ngx_http_mado_office_t  *o, *p;

    if (prev == NULL || prev->defs != snap->defs || prev->now != snap->now
        || now >= prev->expires
        || prev->offices.nelts != snap->offices.nelts)
    {
        return NULL;
    }

    o = (ngx_http_mado_office_t *) snap->offices.elts + i;
    p = (ngx_http_mado_office_t *) prev->offices.elts + i;
    nc = o->def.ncounters;

    if (p->api.body.len == 0
        || ngx_memcmp(o->states, p->states, nc * sizeof(mado_counter_state_t))
           != 0
        || ngx_memcmp(o->stale, p->stale, nc) != 0
        || ngx_memcmp(o->alerts, p->alerts, nc) != 0)
    {
        return NULL;
    }

    return p;
}


static ngx_int_t
ngx_http_mado_doc_copy(ngx_pool_t *pool, ngx_http_mado_doc_t *to,
    ngx_http_mado_doc_t *from)
{
    ngx_str_t  *s[4], *d[4];
    ngx_uint_t  k;

    s[0] = &from->body; s[1] = &from->etag;
    s[2] = &from->gzip; s[3] = &from->gzip_etag;
    d[0] = &to->body; d[1] = &to->etag;
    d[2] = &to->gzip; d[3] = &to->gzip_etag;

    for (k = 0; k < 4; k++) {
        d[k]->len = s[k]->len;
        d[k]->data = NULL;

        if (s[k]->len == 0) {
            continue;
        }

        d[k]->data = ngx_pnalloc(pool, s[k]->len);
        if (d[k]->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(d[k]->data, s[k]->data, s[k]->len);
    }

    return NGX_OK;
}


/* copy every office and counter out of the transaction into the snapshot */
static ngx_int_t
ngx_http_mado_read(ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_defs_t **cache, mado_store_t *store,
    MDB_txn *txn, time_t now, time_t stale_after, ngx_flag_t calendar,
    mado_err_t *err)
{
    unsigned                 i, j, n;
    ngx_pool_cleanup_t      *cln;
    mado_counter_state_t    *st;
    ngx_http_mado_office_t  *office;
    char                     ids[MADO_OFFICES_MAX][MADO_ID_MAX + 1];

    if (mado_office_ids(store, txn, ids, MADO_OFFICES_MAX, &n, err)
        != MADO_OK)
    {
        return NGX_ERROR;
    }

    /*
     * To the minute: every worker then renders the same bytes, hence the
     * same ETag, for the same figures (and pages say "HH:MM現在" anyway).
     */
    snap->now = now - now % 60;
    snap->expires = snap->now + 60;

    cln = ngx_pool_cleanup_add(snap->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mado_defs_cleanup;
    cln->data = snap;

    if (ngx_http_mado_defs_get(cache, store, txn, ids, n, err) != NGX_OK) {
        return NGX_ERROR;
    }

    snap->defs = *cache;
    snap->defs->refs++;

    for (i = 0; i < n; i++) {
        office = ngx_array_push(&snap->offices);
        if (office == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(office, sizeof(ngx_http_mado_office_t));

        /* shared, not copied deep: the defs live as long as we hold them */
        office->def = snap->defs->office[i].def;

        office->id.data = (u_char *) office->def.id;
        office->id.len = ngx_strlen(office->def.id);

        office->states = ngx_pcalloc(snap->pool, office->def.ncounters
                                     * sizeof(mado_counter_state_t));
        office->stale = ngx_pcalloc(snap->pool, office->def.ncounters);
        office->alerts = ngx_pcalloc(snap->pool, office->def.ncounters);

        if (office->states == NULL || office->stale == NULL
            || office->alerts == NULL)
        {
            return NGX_ERROR;
        }

        for (j = 0; j < office->def.ncounters; j++) {
            st = &office->states[j];

            if (mado_state_get(store, txn, ids[i], office->def.counters[j].id,
                               st, err)
                != MADO_OK)
            {
                return NGX_ERROR;
            }

            /* closed, ended, a new day: what citizens see at this minute */
            if (calendar) {
                mado_counter_state_t  stored = *st;

                mado_effective_state(&office->def, &office->def.counters[j],
                                     &stored, now, st);
            }

            if (st->status != MADO_STATUS_OPEN) {
                continue;
            }

            /* what the staff panel shows, as madoctl check sees it */
            office->alerts[j] = (u_char) mado_alerts(&office->def,
                                                     &office->def.counters[j],
                                                     st, now, stale_after, 0);

            if (now - st->updated_at > stale_after) {
                office->stale[j] = 1;
                office->any_stale = 1;
                snap->any_stale = 1;

            } else if (st->updated_at + stale_after + 1 < snap->expires) {
                /* re-render the moment this counter turns stale */
                snap->expires = st->updated_at + stale_after + 1;
            }
        }
    }

    return NGX_OK;
}


static void
ngx_http_mado_defs_cleanup(void *data)
{
    ngx_http_mado_snapshot_t *snap = data;

    if (snap->defs != NULL) {
        ngx_http_mado_defs_release(snap->defs);
        snap->defs = NULL;
    }
}


static void
ngx_http_mado_defs_free(ngx_http_mado_defs_t *defs)
{
    ngx_uint_t  i;

    for (i = 0; i < defs->n; i++) {
        mado_office_free(&defs->office[i].def);
        ngx_free(defs->office[i].raw);
    }

    ngx_free(defs);
}


/* a snapshot or the worker lets go of a set of definitions */
void
ngx_http_mado_defs_release(ngx_http_mado_defs_t *defs)
{
    if (--defs->refs == 0) {
        ngx_http_mado_defs_free(defs);
    }
}


/*
 * The definitions of the offices in ids, parsed: those of the cache when
 * the stored JSON is byte for byte what they were parsed from (a memcmp
 * of a few kilobytes instead of parsing them), else parsed afresh into a
 * new cache.  The worker holds one reference to the current set.
 */
static ngx_int_t
ngx_http_mado_defs_get(ngx_http_mado_defs_t **cache, mado_store_t *store,
    MDB_txn *txn, char ids[][MADO_ID_MAX + 1], ngx_uint_t n, mado_err_t *err)
{
    size_t                 len;
    ngx_uint_t             i;
    const char            *raw;
    ngx_http_mado_defs_t  *defs;

    defs = *cache;

    if (defs != NULL && defs->n == n) {
        for (i = 0; i < n; i++) {
            if (mado_office_raw(store, txn, ids[i], &raw, &len, err)
                != MADO_OK)
            {
                return NGX_ERROR;
            }

            if (len != defs->office[i].len
                || ngx_memcmp(raw, defs->office[i].raw, len) != 0)
            {
                break;
            }
        }

        if (i == n) {
            return NGX_OK;
        }
    }

    defs = ngx_calloc(sizeof(ngx_http_mado_defs_t), ngx_cycle->log);
    if (defs == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (mado_office_raw(store, txn, ids[i], &raw, &len, err) != MADO_OK) {
            ngx_http_mado_defs_free(defs);
            return NGX_ERROR;
        }

        defs->office[i].raw = ngx_alloc(len ? len : 1, ngx_cycle->log);
        if (defs->office[i].raw == NULL) {
            ngx_http_mado_defs_free(defs);
            return NGX_ERROR;
        }

        ngx_memcpy(defs->office[i].raw, raw, len);
        defs->office[i].len = len;
        defs->n = i + 1;

        if (mado_office_parse(raw, len, &defs->office[i].def, err)
            != MADO_OK)
        {
            ngx_http_mado_defs_free(defs);
            return NGX_ERROR;
        }
    }

    /* the worker's reference moves to the new set */
    defs->refs = 1;

    if (*cache != NULL) {
        ngx_http_mado_defs_release(*cache);
    }

    *cache = defs;

    return NGX_OK;
}


static void
ngx_http_mado_render_office(yajl_gen g, ngx_http_mado_office_t *office,
    time_t now, unsigned parts)
{
    unsigned               i, k;
    mado_office_def_t     *o;
    mado_counter_def_t    *c;
    mado_counter_state_t  *st;

    o = &office->def;

    yajl_gen_map_open(g);

    mado_gen_lit(g, "id");
    mado_gen_str(g, o->id);
    mado_gen_lit(g, "kind");
    mado_gen_str(g, o->kind);
    mado_gen_lit(g, "name");
    mado_gen_i18n_plain(g, NULL, &o->name);

    mado_gen_hours(g, o);
    ngx_http_mado_visit_office_json(g, office, now);

    mado_gen_lit(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < o->ncounters; i++) {
        c = &o->counters[i];
        st = &office->states[i];

        yajl_gen_map_open(g);

        mado_state_json(g, o, c, st, now,
                        MADO_SJ_ID | MADO_SJ_LAST_ISSUED | MADO_SJ_RANGE
                        | MADO_SJ_WAIT | MADO_SJ_DISPLAY | MADO_SJ_MESSAGE
                        | MADO_SJ_NOTICE | MADO_SJ_UPDATED | parts);

        mado_recent_json(g, st, now);

        mado_gen_lit(g, "stale");
        yajl_gen_bool(g, office->stale[i]);

        ngx_http_mado_visit_json(g, office, i);

        /* for the staff panel: "stale", "stalled", "long_wait" */
        mado_gen_lit(g, "alerts");
        yajl_gen_array_open(g);

        for (k = 0; k < 3; k++) {
            if (office->alerts[i] & (1u << k)) {
                mado_gen_str(g, mado_alert_names[k]);
            }
        }

        yajl_gen_array_close(g);

        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
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

    return ngx_http_mado_etag(pool, &doc->body, &doc->etag, "");
}


ngx_int_t
ngx_http_mado_doc_set(ngx_pool_t *pool, ngx_http_mado_doc_t *doc, u_char *data,
    size_t len)
{
    ngx_memzero(doc, sizeof(ngx_http_mado_doc_t));

    doc->body.data = ngx_pnalloc(pool, len);
    if (doc->body.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(doc->body.data, data, len);
    doc->body.len = len;

    return ngx_http_mado_etag(pool, &doc->body, &doc->etag, "");
}


/* two independent 32-bit hashes: a collision must not hide a change */
static ngx_int_t
ngx_http_mado_etag(ngx_pool_t *pool, ngx_str_t *body, ngx_str_t *etag,
    const char *suffix)
{
    etag->data = ngx_pnalloc(pool, sizeof("\"0123456789abcdef-gz\""));
    if (etag->data == NULL) {
        return NGX_ERROR;
    }

    etag->len = ngx_sprintf(etag->data, "\"%08xD%08xD%s\"",
                            ngx_crc32_long(body->data, body->len),
                            ngx_murmur_hash2(body->data, body->len), suffix)
                - etag->data;

    return NGX_OK;
}


/*
 * The gzip variant is made once per document and kept beside it, so a
 * client that accepts gzip costs no compression per request.  It is its own
 * representation, hence its own strong ETag.
 */
ngx_int_t
ngx_http_mado_doc_gzip(ngx_pool_t *pool, ngx_http_mado_doc_t *doc,
    ngx_log_t *log)
{
    int        rc;
    u_char    *out;
    size_t     size;
    z_stream   z;

    if (doc->gzip.len) {
        return NGX_OK;
    }

    ngx_memzero(&z, sizeof(z_stream));

    /* windowBits 16 + 15: a gzip wrapper, as Content-Encoding: gzip wants */
    rc = deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
                      Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "deflateInit2() failed: %d", rc);
        return NGX_ERROR;
    }

    size = deflateBound(&z, doc->body.len);

    out = ngx_pnalloc(pool, size);
    if (out == NULL) {
        deflateEnd(&z);
        return NGX_ERROR;
    }

    z.next_in = doc->body.data;
    z.avail_in = doc->body.len;
    z.next_out = out;
    z.avail_out = size;

    rc = deflate(&z, Z_FINISH);
    deflateEnd(&z);

    if (rc != Z_STREAM_END) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "deflate() failed: %d", rc);
        return NGX_ERROR;
    }

    doc->gzip.data = out;
    doc->gzip.len = size - z.avail_out;

    return ngx_http_mado_etag(pool, &doc->body, &doc->gzip_etag, "-gz");
}

