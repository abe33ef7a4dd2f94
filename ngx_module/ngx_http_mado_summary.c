
/*
 * mado: /api/v1/summary, what the index page shows and no more.
 *
 * The index refreshes every office at once; the full list carries each
 * office's and counter's names in six languages, the hours and the ticket
 * numbers, which the page already has.  The summary keeps the figures
 * (docs/api.md, "Summary"): about a third of the bytes.  It is rendered on
 * first demand, once per snapshot, and its gzip variant beside it.
 */


#include "ngx_http_mado_module.h"

#include <yajl/yajl_gen.h>


static void ngx_http_mado_summary_office(yajl_gen g,
    ngx_http_mado_office_t *office, time_t now, unsigned parts);


/*
 * The longest wait of an office's counters as its card says it: the range
 * of the counter with the longest estimate; NGX_DECLINED when no counter
 * has one (none open, or no estimate yet).
 */
ngx_int_t
ngx_http_mado_office_longest(ngx_http_mado_office_t *office, int64_t *low,
    int64_t *high)
{
    int64_t     wait, longest, l, hi;
    ngx_uint_t  j;

    longest = -1;
    *low = *high = 0;

    for (j = 0; j < office->def.ncounters; j++) {
        wait = mado_wait_minutes(&office->def.counters[j], &office->states[j]);

        if (wait > longest
            && mado_wait_range(&office->def.counters[j], &office->states[j],
                               &l, &hi) == 0)
        {
            longest = wait;
            *low = l;
            *high = hi;
        }
    }

    return longest < 0 ? NGX_DECLINED : NGX_OK;
}


/* the people waiting at all of an office's counters */
ngx_uint_t
ngx_http_mado_office_waiting(ngx_http_mado_office_t *office)
{
    ngx_uint_t  j, n;

    n = 0;

    for (j = 0; j < office->def.ncounters; j++) {
        n += office->states[j].waiting;
    }

    return n;
}


ngx_http_mado_doc_t *
ngx_http_mado_summary(ngx_http_mado_snapshot_t *snap, ngx_flag_t calendar,
    ngx_log_t *log)
{
    size_t                   len;
    char                     iso[32];
    ngx_uint_t               i;
    yajl_gen                 g;
    ngx_int_t                rc;
    const unsigned char     *buf;
    ngx_http_mado_office_t  *office;

    if (snap->summary.body.len) {
        return &snap->summary;
    }

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NULL;
    }

    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    yajl_gen_map_open(g);
    mado_gen_lit(g, "offices");
    yajl_gen_array_open(g);

    office = snap->offices.elts;

    for (i = 0; i < snap->offices.nelts; i++) {
        ngx_http_mado_summary_office(g, &office[i], snap->now,
                                     calendar ? MADO_SJ_CALENDAR : 0);
    }

    yajl_gen_array_close(g);

    /* the same minute as the full list's */
    len = mado_time_iso(snap->now, iso);
    mado_gen_lit(g, "generated_at");
    yajl_gen_string(g, (const unsigned char *) iso, len);
    yajl_gen_map_close(g);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "mado: cannot render the summary");
        yajl_gen_free(g);
        return NULL;
    }

    rc = ngx_http_mado_doc_set(snap->pool, &snap->summary, (u_char *) buf,
                               len);
    yajl_gen_free(g);

    if (rc != NGX_OK) {
        ngx_memzero(&snap->summary, sizeof(ngx_http_mado_doc_t));
        return NULL;
    }

    return &snap->summary;
}


static void
ngx_http_mado_summary_office(yajl_gen g, ngx_http_mado_office_t *office,
    time_t now, unsigned parts)
{
    int64_t                low, high;
    unsigned               i;
    mado_office_def_t     *o;
    mado_counter_def_t    *c;

    o = &office->def;

    yajl_gen_map_open(g);

    mado_gen_lit(g, "id");
    mado_gen_str(g, o->id);

    mado_gen_lit(g, "waiting");
    yajl_gen_integer(g, ngx_http_mado_office_waiting(office));

    mado_gen_lit(g, "longest_wait");

    if (ngx_http_mado_office_longest(office, &low, &high) != NGX_OK) {
        yajl_gen_null(g);

    } else {
        yajl_gen_map_open(g);
        mado_gen_lit(g, "low");
        yajl_gen_integer(g, low);
        mado_gen_lit(g, "high");
        yajl_gen_integer(g, high);
        yajl_gen_map_close(g);
    }

    mado_gen_lit(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < o->ncounters; i++) {
        c = &o->counters[i];

        yajl_gen_map_open(g);

        /* the id without the names: the page has them */
        mado_gen_lit(g, "id");
        mado_gen_str(g, c->id);

        mado_state_json(g, o, c, &office->states[i], now,
                        MADO_SJ_DISPLAY | MADO_SJ_MESSAGE | MADO_SJ_NOTICE
                        | MADO_SJ_UPDATED | parts);

        mado_gen_lit(g, "stale");
        yajl_gen_bool(g, office->stale[i]);

        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}
