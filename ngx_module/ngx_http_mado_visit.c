
/*
 * mado: planning a visit: per snapshot, each counter's best time to come
 * later today (mado_best_time, from the worker's cached forecast); in the
 * API and on the office page, the office's address, phone, map link and
 * the closures of the coming days, each service's page on the city site
 * and the best time in words.
 */


#include "ngx_http_mado_html.h"

#include <yajl/yajl_gen.h>


#define NGX_HTTP_MADO_CLOSURE_DAYS  14


void
ngx_http_mado_visit_best(ngx_http_mado_snapshot_t *snap, mado_store_t *store,
    MDB_txn *txn, ngx_log_t *log)
{
    ngx_uint_t                  i, k;
    mado_forecast_t            *f;
    ngx_http_mado_office_t     *office;
    ngx_http_mado_worker_t     *w;
    ngx_http_mado_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_mado_module);
    w = mmcf ? mmcf->worker : NULL;

    office = snap->offices.elts;

    for (i = 0; i < snap->offices.nelts; i++) {
        office[i].best = ngx_pcalloc(snap->pool, (office[i].def.ncounters
                                                  ? office[i].def.ncounters
                                                  : 1)
                                                 * sizeof(mado_best_time_t));
        if (office[i].best == NULL) {
            continue;
        }

        /* no history kept, nothing to say */
        if (w == NULL || &w->store != store || !store->history) {
            continue;
        }

        f = ngx_http_mado_trends_forecast(w, txn, &office[i], snap->now, log);
        if (f == NULL) {
            continue;
        }

        for (k = 0; k < office[i].def.ncounters; k++) {
            (void) mado_best_time(&office[i].def, k, &f->counters[k],
                                  f->weeks, &office[i].states[k], snap->now,
                                  &office[i].best[k]);
        }
    }
}


static void
ngx_http_mado_gen_hhmm(yajl_gen g, const char *key, unsigned minutes)
{
    u_char  buf[8];

    mado_gen_str(g, key);
    yajl_gen_string(g, buf, ngx_sprintf(buf, "%02ui:%02ui",
                                        (ngx_uint_t) minutes / 60,
                                        (ngx_uint_t) minutes % 60) - buf);
}


/* a counter's "service_url" and "best_time" (null: nothing to say) */
void
ngx_http_mado_visit_json(yajl_gen g, ngx_http_mado_office_t *office,
    ngx_uint_t i)
{
    mado_best_time_t  *bt;

    mado_gen_str(g, "service_url");

    if (office->def.counters[i].service_url) {
        mado_gen_str(g, office->def.counters[i].service_url);
    } else {
        yajl_gen_null(g);
    }

    mado_gen_str(g, "best_time");

    bt = office->best ? &office->best[i] : NULL;

    if (bt == NULL || !bt->has) {
        yajl_gen_null(g);
        return;
    }

    yajl_gen_map_open(g);
    ngx_http_mado_gen_hhmm(g, "from", bt->from);
    mado_gen_str(g, "typical_minutes");
    yajl_gen_integer(g, bt->typical);
    mado_gen_str(g, "basis");
    mado_gen_str(g, "weekday history");
    mado_gen_str(g, "days");
    yajl_gen_integer(g, bt->days);
    mado_gen_str(g, "weeks");
    yajl_gen_integer(g, bt->weeks);
    yajl_gen_map_close(g);
}


/* the office's "address", "phone", "map_url" and "closures" */
void
ngx_http_mado_visit_office_json(yajl_gen g, ngx_http_mado_office_t *office,
    time_t now)
{
    unsigned            n, k;
    mado_closure_t      cl[MADO_CLOSURES_MAX];
    mado_office_def_t  *o = &office->def;

    if (o->address.text[MADO_LANG_JA] != NULL) {
        mado_gen_i18n(g, "address", &o->address);
    }

    mado_gen_str(g, "phone");

    if (o->phone) {
        mado_gen_str(g, o->phone);
    } else {
        yajl_gen_null(g);
    }

    mado_gen_str(g, "map_url");

    if (o->map_url) {
        mado_gen_str(g, o->map_url);
    } else {
        yajl_gen_null(g);
    }

    n = mado_closures(o, now, NGX_HTTP_MADO_CLOSURE_DAYS, cl,
                      MADO_CLOSURES_MAX);

    mado_gen_str(g, "closures");
    yajl_gen_array_open(g);

    for (k = 0; k < n; k++) {
        yajl_gen_map_open(g);
        mado_gen_date(g, "from", cl[k].from);
        mado_gen_date(g, "to", cl[k].to);
        mado_gen_str(g, "kind");
        mado_gen_str(g, mado_closure_names[cl[k].kind]);

        if (cl[k].name) {
            mado_gen_str(g, "name_ja");
            mado_gen_str(g, cl[k].name);
        }

        if (cl[k].counter >= 0) {
            mado_gen_str(g, "counter");
            mado_gen_str(g, o->counters[cl[k].counter].id);
        }

        if (cl[k].kind == MADO_CLOSURE_OPEN) {
            mado_gen_str(g, "hours");
            mado_gen_spans(g, cl[k].spans, cl[k].nspans);
        }

        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
}


/* ------------------------------------------------------------- the page */


/* a catalog text with its {vars} put in, unescaped, into buf */
static ngx_str_t
h_visit_subst(ngx_str_t *fmt, ngx_http_mado_var_t *vars, ngx_uint_t nvars,
    u_char *buf, size_t size)
{
    u_char      *p, *end, *s, *e, *close;
    size_t       len;
    ngx_str_t    r;
    ngx_uint_t   i;

    p = buf;
    end = buf + size;
    s = fmt->data;
    e = fmt->data + fmt->len;

    while (s < e && p < end) {
        close = (*s == '{') ? ngx_strlchr(s, e, '}') : NULL;

        if (close == NULL) {
            *p++ = *s++;
            continue;
        }

        len = close - s - 1;

        for (i = 0; i < nvars; i++) {
            if (ngx_strlen(vars[i].name) == len
                && ngx_strncmp(vars[i].name, s + 1, len) == 0)
            {
                break;
            }
        }

        if (i < nvars) {
            p = ngx_slprintf(p, end, "%V", &vars[i].value);
        } else {
            p = ngx_slprintf(p, end, "%*s", len + 2, s);
        }

        s = close + 1;
    }

    r.data = buf;
    r.len = p - buf;

    return r;
}


/* "Monday 12/29", "12月29日（月曜日）" */
static ngx_str_t
h_visit_date(ngx_http_mado_html_t *h, mado_date_t date, u_char *buf,
    size_t size)
{
    u_char               nbuf[2][NGX_INT64_LEN];
    ngx_uint_t           month, day;
    ngx_http_mado_var_t  var[3];

    month = (ngx_uint_t) date / 100 % 100;
    day = (ngx_uint_t) date % 100;

    var[0].name = "month";
    var[0].value.data = nbuf[0];
    var[0].value.len = ngx_sprintf(nbuf[0], "%ui", month) - nbuf[0];
    var[1].name = "day";
    var[1].value.data = nbuf[1];
    var[1].value.len = ngx_sprintf(nbuf[1], "%ui", day) - nbuf[1];
    var[2].name = "weekday";
    var[2].value = h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0
                          + mado_weekday(date / 10000, month, day)];

    return h_visit_subst(&h->msg[NGX_HTTP_MADO_MSG_VISIT_DATE], var, 3, buf,
                         size);
}


static void
h_visit_closure(ngx_http_mado_html_t *h, mado_office_def_t *o,
    mado_closure_t *cl)
{
    u_char               dbuf[3][160], hbuf[64], iso[16], *p;
    unsigned             k;
    mado_i18n_t         *n;
    ngx_http_mado_var_t  var[4];
    ngx_http_mado_msg_e  key;

    var[0].name = "date";
    var[0].value = h_visit_date(h, cl->from, dbuf[0], sizeof(dbuf[0]));

    if (cl->to != cl->from) {
        var[1].name = "from";
        var[1].value = var[0].value;
        var[2].name = "to";
        var[2].value = h_visit_date(h, cl->to, dbuf[1], sizeof(dbuf[1]));
        var[0].value = h_visit_subst(&h->msg[NGX_HTTP_MADO_MSG_CLOSURES_RANGE],
                                     &var[1], 2, dbuf[2], sizeof(dbuf[2]));
    }

    var[1].name = "name";
    var[1].value.data = (u_char *) (cl->name ? cl->name : "");
    var[1].value.len = ngx_strlen(var[1].value.data);

    var[2].name = "counter";
    ngx_str_null(&var[2].value);

    if (cl->counter >= 0) {
        n = &o->counters[cl->counter].name;
        var[2].value.data = (u_char *) (n->text[h->lang]
                                        ? n->text[h->lang]
                                        : n->text[MADO_LANG_JA]);
        var[2].value.len = ngx_strlen(var[2].value.data);
    }

    p = hbuf;

    for (k = 0; k < cl->nspans; k++) {
        p = ngx_slprintf(p, hbuf + sizeof(hbuf), "%s%02ui:%02ui–%02ui:%02ui",
                         k ? ", " : "",
                         (ngx_uint_t) cl->spans[k].open / 60,
                         (ngx_uint_t) cl->spans[k].open % 60,
                         (ngx_uint_t) cl->spans[k].close / 60,
                         (ngx_uint_t) cl->spans[k].close % 60);
    }

    var[3].name = "hours";
    var[3].value.data = hbuf;
    var[3].value.len = p - hbuf;

    switch (cl->kind) {
    case MADO_CLOSURE_HOLIDAY:
        key = NGX_HTTP_MADO_MSG_CLOSURES_HOLIDAY;
        break;
    case MADO_CLOSURE_YEAR_END:
        key = NGX_HTTP_MADO_MSG_CLOSURES_YEAR_END;
        break;
    case MADO_CLOSURE_COUNTER:
        key = NGX_HTTP_MADO_MSG_CLOSURES_COUNTER;
        break;
    case MADO_CLOSURE_OPEN:
        key = NGX_HTTP_MADO_MSG_CLOSURES_OPEN;
        break;
    default:
        key = NGX_HTTP_MADO_MSG_CLOSURES_OFFICE;
        break;
    }

    h_lit(h, "<li data-kind=\"");
    h_cstr(h, mado_closure_names[cl->kind]);
    h_lit(h, "\" data-from=\"");
    h_raw(h, iso, ngx_sprintf(iso, "%04D-%02D-%02D", cl->from / 10000,
                              cl->from / 100 % 100, cl->from % 100) - iso);
    h_lit(h, "\">");
    h_fmt(h, key, var, 4);
    h_lit(h, "</li>");
}


/*
 * Below the hours: the closures of the coming days in words, then how to
 * get there: address, phone (a tel: link), a map (a plain link: nothing
 * is fetched from another site until it is followed) and each service's
 * page on the city's site.
 */
void
h_visit(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    u_char              *q;
    size_t               len;
    unsigned             n, k, any;
    const char          *addr;
    mado_closure_t       cl[MADO_CLOSURES_MAX];
    mado_office_def_t   *o = &office->def;
    ngx_http_mado_var_t  var;

    n = mado_closures(o, h->snap->now, NGX_HTTP_MADO_CLOSURE_DAYS, cl,
                      MADO_CLOSURES_MAX);

    if (n) {
        h_lit(h, "<section class=\"closures\" aria-labelledby=\"closures-h\">"
              "<h2 id=\"closures-h\">");
        h_msg(h, CLOSURES_TITLE);
        h_lit(h, "</h2><ul>");

        for (k = 0; k < n; k++) {
            h_visit_closure(h, o, &cl[k]);
        }

        h_lit(h, "</ul></section>");
    }

    h_lit(h, "<section class=\"visit\" aria-labelledby=\"visit-h\">"
          "<h2 id=\"visit-h\">");
    h_msg(h, VISIT_TITLE);
    h_lit(h, "</h2><dl class=\"visit-info\">");

    addr = o->address.text[h->lang] ? o->address.text[h->lang]
                                    : o->address.text[MADO_LANG_JA];

    if (addr) {
        h_lit(h, "<div><dt>");
        h_msg(h, VISIT_ADDRESS);
        h_lit(h, "</dt><dd class=\"address\">");
        h_cstr(h, addr);
        h_lit(h, " <a class=\"map\" rel=\"noopener noreferrer\" href=\"");

        if (o->map_url) {
            h_cstr(h, o->map_url);

        } else {
            /* OpenStreetMap's search for the Japanese address */
            addr = o->address.text[MADO_LANG_JA];
            len = ngx_strlen(addr);
            q = ngx_pnalloc(h->pool, len * 3 + 1);

            if (q == NULL) {
                h->failed = 1;
            } else {
                h_lit(h, "https://www.openstreetmap.org/search?query=");
                h_raw(h, q, (u_char *) ngx_escape_uri(q, (u_char *) addr, len,
                                                      NGX_ESCAPE_URI_COMPONENT)
                            - q);
            }
        }

        h_lit(h, "\">");
        h_msg(h, VISIT_MAP);
        h_lit(h, "</a></dd></div>");
    }

    if (o->phone) {
        h_lit(h, "<div><dt>");
        h_msg(h, VISIT_PHONE);
        h_lit(h, "</dt><dd class=\"phone\"><a href=\"tel:");

        /* tel: takes the digits; the page shows the number as written */
        for (q = (u_char *) o->phone; *q; q++) {
            if ((*q >= '0' && *q <= '9') || *q == '+') {
                h_raw(h, q, 1);
            }
        }

        h_lit(h, "\">");
        h_cstr(h, o->phone);
        h_lit(h, "</a></dd></div>");
    }

    h_lit(h, "</dl>");

    for (k = 0, any = 0; k < o->ncounters; k++) {
        if (o->counters[k].service_url == NULL) {
            continue;
        }

        if (!any) {
            h_lit(h, "<h3>");
            h_msg(h, VISIT_SERVICES);
            h_lit(h, "</h3><ul class=\"services\">");
            any = 1;
        }

        var.name = "counter";
        var.value.data = (u_char *) (o->counters[k].name.text[h->lang]
                                     ? o->counters[k].name.text[h->lang]
                                     : o->counters[k].name.text[MADO_LANG_JA]);
        var.value.len = ngx_strlen(var.value.data);

        h_lit(h, "<li><a class=\"service\" data-counter=\"");
        h_cstr(h, o->counters[k].id);
        h_lit(h, "\" rel=\"noopener\" href=\"");
        h_cstr(h, o->counters[k].service_url);
        h_lit(h, "\">");
        h_fmt(h, NGX_HTTP_MADO_MSG_VISIT_SERVICE_LINK, &var, 1);
        h_lit(h, "</a></li>");
    }

    if (any) {
        h_lit(h, "</ul>");
    }

    h_lit(h, "</section>");
}


/* the counter's best time in words, near its figures; nothing if none */
void
h_best_time(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    ngx_uint_t i)
{
    u_char               buf[3][NGX_INT64_LEN + 8];
    ngx_uint_t           wd;
    mado_best_time_t    *bt;
    ngx_http_mado_var_t  var[4];

    bt = office->best ? &office->best[i] : NULL;

    if (bt == NULL || !bt->has) {
        return;
    }

    wd = (ngx_uint_t) (((h->snap->now + MADO_TZ_OFFSET) / 86400 + 4) % 7);

    var[0].name = "from";
    var[0].value.data = buf[0];
    var[0].value.len = ngx_sprintf(buf[0], "%02ui:%02ui",
                                   (ngx_uint_t) bt->from / 60,
                                   (ngx_uint_t) bt->from % 60) - buf[0];
    var[1].name = "minutes";
    var[1].value.data = buf[1];
    var[1].value.len = ngx_sprintf(buf[1], "%ui", (ngx_uint_t) bt->typical)
                       - buf[1];
    var[2].name = "days";
    var[2].value.data = buf[2];
    var[2].value.len = ngx_sprintf(buf[2], "%ui", (ngx_uint_t) bt->days)
                       - buf[2];
    var[3].name = "weekday";
    var[3].value = h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + wd];

    h_lit(h, "<p class=\"best-time\" data-from=\"");
    h_raw(h, var[0].value.data, var[0].value.len);
    h_lit(h, "\" data-minutes=\"");
    h_raw(h, var[1].value.data, var[1].value.len);
    h_lit(h, "\"><span class=\"best-time-text\">");
    h_fmt(h, bt->typical ? NGX_HTTP_MADO_MSG_BEST_TIME_TEXT
                         : NGX_HTTP_MADO_MSG_BEST_TIME_TEXT_NO_WAIT, var, 2);
    h_lit(h, "</span> <span class=\"best-time-basis\">");
    h_fmt(h, NGX_HTTP_MADO_MSG_BEST_TIME_BASIS, &var[2], 2);
    h_lit(h, "</span></p>");
}
