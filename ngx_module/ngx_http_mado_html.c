
/*
 * mado: the citizen pages, rendered to HTML from a snapshot.
 *
 * Every page is complete without JavaScript; the script only refreshes the
 * same elements from the JSON API (docs/pages.md is the contract).  All
 * text from the store, the catalogs or the request is HTML-escaped here.
 */


#include "ngx_http_mado_module.h"


typedef struct {
    u_char                     *data;
    size_t                      len;
    size_t                      cap;
    ngx_uint_t                  failed;
    ngx_pool_t                 *pool;       /* scratch for growing */
    ngx_str_t                  *msg;        /* the language's catalog */
    mado_lang_e                 lang;
    ngx_http_mado_main_conf_t  *mmcf;
    ngx_http_mado_snapshot_t   *snap;
} ngx_http_mado_html_t;


typedef struct {
    const char                 *name;
    ngx_str_t                   value;
} ngx_http_mado_var_t;


#define h_lit(h, s)  h_raw(h, (u_char *) s, sizeof(s) - 1)
#define h_msg(h, k)  h_esc_str(h, &(h)->msg[NGX_HTTP_MADO_MSG_##k])


static void h_raw(ngx_http_mado_html_t *h, u_char *s, size_t len);
static void h_esc(ngx_http_mado_html_t *h, u_char *s, size_t len);
static void h_esc_str(ngx_http_mado_html_t *h, ngx_str_t *s);
static void h_cstr(ngx_http_mado_html_t *h, const char *s);
static void h_num(ngx_http_mado_html_t *h, int64_t n);
static void h_fmt(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    ngx_http_mado_var_t *vars, ngx_uint_t nvars);
static void h_hhmm(ngx_http_mado_html_t *h, int64_t t);
static void h_time(ngx_http_mado_html_t *h, int64_t t);
static void h_name(ngx_http_mado_html_t *h, mado_i18n_t *t);
static void h_head(ngx_http_mado_html_t *h, const char *page,
    ngx_http_mado_office_t *office, ngx_str_t *self);
static void h_foot(ngx_http_mado_html_t *h, ngx_http_mado_page_e page);
static void h_asof(ngx_http_mado_html_t *h, ngx_uint_t stale);
static void h_timed(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    int64_t t);
static void h_counter(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    ngx_uint_t i, ngx_uint_t heading, ngx_uint_t compact);
static void h_myticket(ngx_http_mado_html_t *h,
    ngx_http_mado_office_t *office);
static void h_hours(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office);
static void h_wait(ngx_http_mado_html_t *h, const mado_counter_def_t *c,
    const mado_counter_state_t *st);
static void h_suggest(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office);
static void h_trends(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    mado_forecast_t *f, mado_day_t *today);
static void h_trend_week(ngx_http_mado_html_t *h, mado_forecast_t *f,
    ngx_uint_t i, ngx_uint_t from, ngx_uint_t to);
static void h_spans(ngx_http_mado_html_t *h, mado_office_def_t *o,
    ngx_uint_t wday);
static ngx_int_t h_init(ngx_http_mado_html_t *h,
    ngx_http_mado_main_conf_t *mmcf, ngx_http_mado_snapshot_t *snap,
    mado_lang_e lang, ngx_log_t *log);
static ngx_int_t h_done(ngx_http_mado_html_t *h, ngx_pool_t *pool,
    ngx_http_mado_doc_t **out);


ngx_int_t
ngx_http_mado_render_page(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_snapshot_t *snap, ngx_http_mado_office_t *office,
    ngx_http_mado_page_e page, mado_lang_e lang, ngx_log_t *log,
    ngx_http_mado_doc_t **out)
{
    u_char                buf[128];
    ngx_str_t             self;
    ngx_uint_t            i;
    mado_day_t            today;
    mado_forecast_t      *forecast;
    ngx_http_mado_html_t  h;

    if (h_init(&h, mmcf, snap, lang, log) != NGX_OK) {
        return NGX_ERROR;
    }

    self.data = buf;

    switch (page) {

    case NGX_HTTP_MADO_PAGE_SIGNAGE:
        self.len = ngx_sprintf(buf, "/%V/signage", &office->id) - buf;
        h_head(&h, "signage", office, &self);

        h_lit(&h, "<main id=\"main\"><h1>");
        h_name(&h, &office->def.name);
        h_lit(&h, "</h1>");
        h_asof(&h, office->any_stale);

        h_lit(&h, "<div class=\"counters\">");
        for (i = 0; i < office->def.ncounters; i++) {
            h_counter(&h, office, i, 2, 0);
        }
        h_lit(&h, "</div>");
        break;

    case NGX_HTTP_MADO_PAGE_EMBED:
        self.len = ngx_sprintf(buf, "/embed/%V", &office->id) - buf;
        h_head(&h, "embed", office, &self);

        h_lit(&h, "<main id=\"main\"><h1><a href=\"/");
        h_esc_str(&h, &office->id);
        h_lit(&h, "?lang=");
        h_cstr(&h, mado_lang_codes[lang]);
        h_lit(&h, "\" target=\"_top\">");
        h_name(&h, &office->def.name);
        h_lit(&h, "</a></h1>");
        h_asof(&h, office->any_stale);

        h_lit(&h, "<div class=\"counters\">");
        for (i = 0; i < office->def.ncounters; i++) {
            h_counter(&h, office, i, 2, 1);
        }
        h_lit(&h, "</div><p class=\"more\"><a href=\"/");
        h_esc_str(&h, &office->id);
        h_lit(&h, "?lang=");
        h_cstr(&h, mado_lang_codes[lang]);
        h_lit(&h, "\" target=\"_top\">");
        h_msg(&h, EMBED_MORE);
        h_lit(&h, "</a></p>");
        break;

    default: /* NGX_HTTP_MADO_PAGE_OFFICE */
        self.len = ngx_sprintf(buf, "/%V", &office->id) - buf;
        h_head(&h, "office", office, &self);

        h_lit(&h, "<main id=\"main\"><p class=\"crumbs\"><a href=\"/\">");
        h_msg(&h, NAV_ALL_OFFICES);
        h_lit(&h, "</a></p><h1>");
        h_name(&h, &office->def.name);
        h_lit(&h, "</h1>");
        h_asof(&h, office->any_stale);

        h_lit(&h, "<div class=\"counters\">");
        for (i = 0; i < office->def.ncounters; i++) {
            h_counter(&h, office, i, 2, 0);
        }
        h_lit(&h, "</div>");

        h_suggest(&h, office);
        h_myticket(&h, office);

        if (ngx_http_mado_trends_get(mmcf, office, snap->now, log, &forecast,
                                     &today)
            == NGX_OK)
        {
            h_trends(&h, office, forecast, &today);
            mado_day_free(&today);
        }

        h_hours(&h, office);

        h_lit(&h, "<p class=\"links\"><a href=\"/");
        h_esc_str(&h, &office->id);
        h_lit(&h, "/signage\">");
        h_msg(&h, NAV_SIGNAGE);
        h_lit(&h, "</a></p>");
        break;
    }

    h_foot(&h, page);

    return h_done(&h, snap->pool, out);
}


ngx_int_t
ngx_http_mado_render_index(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_snapshot_t *snap, mado_lang_e lang, ngx_log_t *log,
    ngx_http_mado_doc_t **out)
{
    int64_t                  wait, longest, low, high, best_low, best_high;
    ngx_str_t                self;
    ngx_uint_t               i, j;
    ngx_http_mado_var_t      var[2];
    ngx_http_mado_html_t     h;
    ngx_http_mado_office_t  *office;

    if (h_init(&h, mmcf, snap, lang, log) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_set(&self, "/");
    h_head(&h, "index", NULL, &self);

    h_lit(&h, "<main id=\"main\"><h1>");
    h_msg(&h, SITE_TITLE);
    h_lit(&h, "</h1><p class=\"lead\">");
    h_msg(&h, SITE_LEAD);
    h_lit(&h, "</p>");
    h_asof(&h, snap->any_stale);

    h_lit(&h, "<div class=\"offices\">");

    office = snap->offices.elts;

    for (i = 0; i < snap->offices.nelts; i++) {
        h_lit(&h, "<section class=\"office-card\" data-office-card=\"");
        h_esc_str(&h, &office[i].id);
        h_lit(&h, "\" aria-labelledby=\"o-");
        h_esc_str(&h, &office[i].id);
        h_lit(&h, "\"><h2 id=\"o-");
        h_esc_str(&h, &office[i].id);
        h_lit(&h, "\"><a href=\"/");
        h_esc_str(&h, &office[i].id);
        h_lit(&h, "\">");
        h_name(&h, &office[i].def.name);
        h_lit(&h, "</a></h2>");

        longest = -1;
        best_low = best_high = 0;

        for (j = 0; j < office[i].def.ncounters; j++) {
            wait = mado_wait_minutes(&office[i].def.counters[j],
                                     &office[i].states[j]);

            if (wait > longest
                && mado_wait_range(&office[i].def.counters[j],
                                   &office[i].states[j], &low, &high) == 0)
            {
                longest = wait;
                best_low = low;
                best_high = high;
            }
        }

        h_lit(&h, "<p class=\"longest\">");
        h_msg(&h, LABEL_LONGEST_WAIT);
        h_lit(&h, ": <span class=\"longest-wait\">");

        if (longest < 0) {
            h_msg(&h, UNKNOWN);

        } else if (best_high == 0) {
            h_msg(&h, MINUTES_NONE);

        } else {
            var[0].name = "low";
            var[0].value.data = ngx_pnalloc(h.pool, NGX_INT64_LEN);
            var[1].name = "high";
            var[1].value.data = ngx_pnalloc(h.pool, NGX_INT64_LEN);

            if (var[0].value.data && var[1].value.data) {
                var[0].value.len = ngx_sprintf(var[0].value.data, "%L",
                                               best_low) - var[0].value.data;
                var[1].value.len = ngx_sprintf(var[1].value.data, "%L",
                                               best_high) - var[1].value.data;
                h_fmt(&h, NGX_HTTP_MADO_MSG_MINUTES_RANGE, var, 2);
            }
        }

        h_lit(&h, "</span></p><ul class=\"counters\">");

        for (j = 0; j < office[i].def.ncounters; j++) {
            h_lit(&h, "<li>");
            h_counter(&h, &office[i], j, 3, 1);
            h_lit(&h, "</li>");
        }

        h_lit(&h, "</ul></section>");
    }

    h_lit(&h, "</div>");

    h_foot(&h, NGX_HTTP_MADO_NPAGES);

    return h_done(&h, snap->pool, out);
}


/* 404 and 503 as pages, in the visitor's language */
ngx_int_t
ngx_http_mado_render_message_page(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, mado_lang_e lang, ngx_uint_t status,
    ngx_str_t *out)
{
    ngx_str_t              self;
    ngx_http_mado_doc_t   *doc;
    ngx_http_mado_html_t   h;

    if (h_init(&h, mmcf, NULL, lang, r->connection->log) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_set(&self, "/");
    h_head(&h, status == NGX_HTTP_NOT_FOUND ? "not-found" : "unavailable",
           NULL, &self);

    h_lit(&h, "<main id=\"main\"><h1>");

    if (status == NGX_HTTP_NOT_FOUND) {
        h_msg(&h, PAGE_NOT_FOUND_TITLE);
        h_lit(&h, "</h1><p>");
        h_msg(&h, PAGE_NOT_FOUND_TEXT);

    } else {
        h_msg(&h, PAGE_UNAVAILABLE_TITLE);
        h_lit(&h, "</h1><p>");
        h_msg(&h, PAGE_UNAVAILABLE_TEXT);
    }

    h_lit(&h, "</p><p><a href=\"/\">");
    h_msg(&h, NAV_ALL_OFFICES);
    h_lit(&h, "</a></p>");

    h_foot(&h, NGX_HTTP_MADO_NPAGES);

    if (h_done(&h, r->pool, &doc) != NGX_OK) {
        return NGX_ERROR;
    }

    *out = doc->body;

    return NGX_OK;
}


static void
h_head(ngx_http_mado_html_t *h, const char *page,
    ngx_http_mado_office_t *office, ngx_str_t *self)
{
    ngx_uint_t           l;
    ngx_http_mado_var_t  var;

    h_lit(h, "<!DOCTYPE html>\n<html lang=\"");
    h_cstr(h, ngx_http_mado_lang_tag(h->lang));
    h_lit(h, "\" data-lang=\"");
    h_cstr(h, mado_lang_codes[h->lang]);
    h_lit(h, "\" data-page=\"");
    h_cstr(h, page);
    h_lit(h, "\"");

    if (office != NULL) {
        h_lit(h, " data-office=\"");
        h_esc_str(h, &office->id);
        h_lit(h, "\" data-api=\"/api/v1/offices/");
        h_esc_str(h, &office->id);
        h_lit(h, "\"");

    } else if (ngx_strcmp(page, "index") == 0) {
        h_lit(h, " data-api=\"/api/v1/offices\"");
    }

    h_lit(h, " data-refresh=\"");
    h_num(h, h->mmcf->refresh);
    h_lit(h, "\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\"><title>");

    if (office != NULL) {
        var.name = "office";
        var.value.data = (u_char *) office->def.name.text[h->lang];

        if (var.value.data == NULL) {
            var.value.data = (u_char *) office->def.name.text[MADO_LANG_JA];
        }

        var.value.len = ngx_strlen(var.value.data);

        h_fmt(h, ngx_strcmp(page, "signage") == 0
                 ? NGX_HTTP_MADO_MSG_PAGE_SIGNAGE_TITLE
                 : NGX_HTTP_MADO_MSG_PAGE_OFFICE_TITLE, &var, 1);
        h_lit(h, " | ");

    } else if (ngx_strcmp(page, "not-found") == 0) {
        h_msg(h, PAGE_NOT_FOUND_TITLE);
        h_lit(h, " | ");

    } else if (ngx_strcmp(page, "unavailable") == 0) {
        h_msg(h, PAGE_UNAVAILABLE_TITLE);
        h_lit(h, " | ");
    }

    h_msg(h, SITE_TITLE);
    /* an empty icon: browsers would otherwise fetch /favicon.ico, a 404 */
    h_lit(h, "</title><link rel=\"icon\" href=\"data:,\">"
          "<link rel=\"stylesheet\" href=\"");
    h_esc_str(h, &h->mmcf->css.url);
    h_lit(h, "\"><script src=\"");
    h_esc_str(h, &h->mmcf->js.url);
    h_lit(h, "\" defer></script></head><body>");

    if (ngx_strcmp(page, "embed") != 0) {
        h_lit(h, "<a class=\"skip\" href=\"#main\">");
        h_msg(h, NAV_SKIP);
        h_lit(h, "</a>");
    }

    h_lit(h, "<header class=\"site\"><p class=\"site-title\"><a href=\"/\">");
    h_msg(h, SITE_TITLE);
    h_lit(h, "</a></p><nav class=\"langs\" aria-label=\"");
    h_msg(h, NAV_LANGUAGES);
    h_lit(h, "\"><ul>");

    for (l = 0; l < MADO_NLANG; l++) {
        h_lit(h, "<li><a href=\"");
        h_esc_str(h, self);
        h_lit(h, "?lang=");
        h_cstr(h, mado_lang_codes[l]);
        h_lit(h, "\" hreflang=\"");
        h_cstr(h, ngx_http_mado_lang_tag(l));
        h_lit(h, "\" lang=\"");
        h_cstr(h, ngx_http_mado_lang_tag(l));
        h_lit(h, "\"");

        if (l == h->lang) {
            h_lit(h, " aria-current=\"true\"");
        }

        h_lit(h, ">");
        h_esc_str(h, &h->mmcf->catalog[l][NGX_HTTP_MADO_MSG_LANG_NAME]);
        h_lit(h, "</a></li>");
    }

    h_lit(h, "</ul></nav></header>");
}


static void
h_foot(ngx_http_mado_html_t *h, ngx_http_mado_page_e page)
{
    (void) page;

    h_lit(h, "<div id=\"mado-live\" class=\"visually-hidden\" "
          "aria-live=\"polite\"></div></main><footer class=\"site\"><p>");
    h_msg(h, FOOTER_ABOUT);
    h_lit(h, "</p><noscript><p>");
    h_msg(h, FOOTER_NO_JS);
    h_lit(h, "</p></noscript><p><a href=\"/api/v1/offices\">");
    h_msg(h, FOOTER_API);
    h_lit(h, "</a></p></footer>"
          "<script type=\"application/json\" id=\"mado-i18n\">");
    /* escaped when the catalog was loaded: no "<" inside */
    h_raw(h, h->mmcf->i18n_json[h->lang].data,
          h->mmcf->i18n_json[h->lang].len);
    h_lit(h, "</script></body></html>\n");
}


static void
h_asof(ngx_http_mado_html_t *h, ngx_uint_t stale)
{
    h_lit(h, "<p class=\"asof\">");
    h_timed(h, NGX_HTTP_MADO_MSG_ASOF, h->snap->now);
    h_lit(h, "</p>");

    if (stale) {
        h_lit(h, "<div class=\"stale-banner\" role=\"status\">");
        h_msg(h, STALE_BANNER);
        h_lit(h, "</div>");
    }
}


/* a catalog text whose {time} becomes a <time> element */
static void
h_timed(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key, int64_t t)
{
    u_char     *p;
    ngx_str_t  *fmt;

    fmt = &h->msg[key];

    p = ngx_strlcasestrn(fmt->data, fmt->data + fmt->len,
                         (u_char *) "{time}", sizeof("{time}") - 2);

    if (p == NULL) {
        h_esc_str(h, fmt);
        return;
    }

    h_esc(h, fmt->data, p - fmt->data);
    h_time(h, t);
    h_esc(h, p + 6, fmt->data + fmt->len - p - 6);
}


static void
h_counter(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    ngx_uint_t i, ngx_uint_t heading, ngx_uint_t compact)
{
    int                    level;
    char                   jam[512];
    size_t                 jlen;
    int64_t                next, day0, nday0;
    u_char                 nbuf[3][NGX_INT64_LEN];
    ngx_uint_t             wday;
    ngx_http_mado_var_t    var[3];
    mado_counter_def_t    *c;
    mado_counter_state_t  *st;

    c = &office->def.counters[i];
    st = &office->states[i];
    level = mado_level(c, st);

    h_lit(h, "<article class=\"counter\" id=\"c-");
    h_cstr(h, c->id);
    h_lit(h, "\" data-counter=\"");
    h_cstr(h, c->id);
    h_lit(h, "\" data-status=\"");
    h_cstr(h, mado_status_names[st->status]);
    h_lit(h, "\" data-level=\"");

    if (level < 0) {
        h_lit(h, "unknown");
    } else {
        h_num(h, level);
    }

    h_lit(h, "\" data-stale=\"");
    h_cstr(h, office->stale[i] ? "true" : "false");
    h_lit(h, "\"><h");
    h_num(h, heading);
    h_lit(h, " class=\"name\">");
    h_name(h, &c->name);
    h_lit(h, "</h");
    h_num(h, heading);
    h_lit(h, "><p class=\"status\"><span class=\"status-text\">");
    h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_STATUS_OPEN + st->status]);
    h_lit(h, "</span>");

    next = -1;

    if (st->status == MADO_STATUS_CLOSED || st->status == MADO_STATUS_ENDED) {
        next = mado_next_open(&office->def, c, h->snap->now);
    }

    if (next > 0) {
        day0 = (h->snap->now + MADO_TZ_OFFSET) / 86400;
        nday0 = (next + MADO_TZ_OFFSET) / 86400;
        wday = (ngx_uint_t) ((nday0 + 4) % 7);

        var[0].name = "day";
        var[0].value = h->msg[nday0 == day0 ? NGX_HTTP_MADO_MSG_TODAY
                              : nday0 == day0 + 1 ? NGX_HTTP_MADO_MSG_TOMORROW
                              : NGX_HTTP_MADO_MSG_WEEKDAY_0 + wday];
        var[1].name = "time";
        var[1].value.data = nbuf[0];
        var[1].value.len = ngx_sprintf(nbuf[0], "%02L:%02L",
                                       (next + MADO_TZ_OFFSET) % 86400 / 3600,
                                       (next + MADO_TZ_OFFSET) % 3600 / 60)
                           - nbuf[0];

        h_lit(h, " <span class=\"next-open\">");
        h_fmt(h, NGX_HTTP_MADO_MSG_NEXT_OPEN, var, 2);
        h_lit(h, "</span>");
    }

    h_lit(h, "</p><dl class=\"figures\">");

    h_lit(h, "<div><dt>");
    h_msg(h, LABEL_CALLING);
    h_lit(h, "</dt><dd class=\"calling\">");

    if (st->calling == 0) {
        h_msg(h, NONE_CALLED);
    } else {
        h_num(h, st->calling);
    }

    h_lit(h, "</dd></div><div><dt>");
    h_msg(h, LABEL_WAITING);
    h_lit(h, "</dt><dd class=\"waiting\">");

    var[0].name = "n";
    var[0].value.data = nbuf[0];
    var[0].value.len = ngx_sprintf(nbuf[0], "%uD", st->waiting) - nbuf[0];
    h_fmt(h, NGX_HTTP_MADO_MSG_PEOPLE, var, 1);

    h_lit(h, "</dd></div><div><dt>");
    h_msg(h, LABEL_WAIT);
    h_lit(h, "</dt><dd class=\"wait\">");

    h_wait(h, c, st);

    h_lit(h, "</dd></div><div><dt>");
    h_msg(h, LABEL_LEVEL);
    h_lit(h, "</dt><dd class=\"level\"><span class=\"level-icon\" "
          "aria-hidden=\"true\"></span><span class=\"level-text\">");

    if (level < 0) {
        h_msg(h, LEVEL_UNKNOWN);
    } else {
        h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_LEVEL_0 + level]);
    }

    h_lit(h, "</span></dd></div></dl>");

    jlen = mado_jam_message(c, st, h->lang, jam, sizeof(jam));

    if (jlen) {
        h_lit(h, "<p class=\"jam\">");
        h_esc(h, (u_char *) jam, jlen);
        h_lit(h, "</p>");
    }

    if (st->message_len) {
        h_lit(h, "<p class=\"message\">");
        h_esc(h, (u_char *) st->message, st->message_len);
        h_lit(h, "</p>");
    }

    if (!compact || office->stale[i]) {
        h_lit(h, "<p class=\"updated\">");

        if (office->stale[i]) {
            h_msg(h, STALE_COUNTER);
            h_lit(h, " ");
        }

        h_timed(h, NGX_HTTP_MADO_MSG_UPDATED, st->updated_at);

        h_lit(h, "</p>");
    }

    h_lit(h, "</article>");
}


static void
h_myticket(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    ngx_uint_t  i;

    static const char *const  distances[] = { "1", "2", "3", "5", "10" };

    /*
     * Hidden until the script shows it: it all runs in the browser, and a
     * form submitted without the script would put the ticket number in a
     * URL, i.e. in the server's logs.
     */
    h_lit(h, "<section class=\"myticket\" aria-labelledby=\"myticket-h\" "
          "hidden>"
          "<h2 id=\"myticket-h\">");
    h_msg(h, MYTICKET_TITLE);
    h_lit(h, "</h2><p>");
    h_msg(h, MYTICKET_LEAD);
    h_lit(h, "</p><form class=\"myticket-form\" action=\"#\" method=\"get\">"
          "<p><label for=\"mt-counter\">");
    h_msg(h, MYTICKET_COUNTER);
    h_lit(h, "</label><select id=\"mt-counter\" name=\"counter\">");

    for (i = 0; i < office->def.ncounters; i++) {
        h_lit(h, "<option value=\"");
        h_cstr(h, office->def.counters[i].id);
        h_lit(h, "\">");
        h_name(h, &office->def.counters[i].name);
        h_lit(h, "</option>");
    }

    h_lit(h, "</select></p><p><label for=\"mt-ticket\">");
    h_msg(h, MYTICKET_NUMBER);
    h_lit(h, "</label><input id=\"mt-ticket\" name=\"ticket\" type=\"number\" "
          "inputmode=\"numeric\" min=\"1\" max=\"9999\" autocomplete=\"off\">"
          "</p><p><label for=\"mt-distance\">");
    h_msg(h, MYTICKET_DISTANCE);
    h_lit(h, "</label><select id=\"mt-distance\" name=\"distance\">");

    for (i = 0; i < sizeof(distances) / sizeof(distances[0]); i++) {
        h_lit(h, "<option value=\"");
        h_cstr(h, distances[i]);
        h_lit(h, "\"");

        if (i == 2) {
            h_lit(h, " selected");
        }

        h_lit(h, ">");
        h_cstr(h, distances[i]);
        h_lit(h, "</option>");
    }

    h_lit(h, "</select></p><p class=\"buttons\"><button type=\"submit\">");
    h_msg(h, MYTICKET_SET);
    h_lit(h, "</button> <button type=\"button\" class=\"myticket-clear\">");
    h_msg(h, MYTICKET_CLEAR);
    h_lit(h, "</button></p></form><p class=\"myticket-status\" "
          "aria-live=\"polite\"></p></section>");
}


static void
h_hours(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    ngx_uint_t  d, today;

    today = (ngx_uint_t) (((h->snap->now + MADO_TZ_OFFSET) / 86400 + 4) % 7);

    h_lit(h, "<section class=\"hours\" aria-labelledby=\"hours-h\">"
          "<h2 id=\"hours-h\">");
    h_msg(h, HOURS_TITLE);
    h_lit(h, "</h2><p class=\"today-hours\">");

    if (office->def.nspans[today] == 0) {
        h_msg(h, HOURS_CLOSED_TODAY);
    } else {
        h_spans(h, &office->def, today);
    }

    h_lit(h, "</p><table><caption>");
    h_msg(h, HOURS_WEEK_TITLE);
    h_lit(h, "</caption><tbody>");

    /* Monday first, as Japanese office notices list them */
    for (d = 1; d <= 7; d++) {
        h_lit(h, "<tr");

        if (d % 7 == today) {
            h_lit(h, " class=\"today\"");
        }

        h_lit(h, "><th scope=\"row\">");
        h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + d % 7]);
        h_lit(h, "</th><td>");

        if (office->def.nspans[d % 7] == 0) {
            h_msg(h, UNKNOWN);
        } else {
            h_spans(h, &office->def, d % 7);
        }

        h_lit(h, "</td></tr>");
    }

    h_lit(h, "</tbody></table></section>");
}


static void
h_spans(ngx_http_mado_html_t *h, mado_office_def_t *o, ngx_uint_t wday)
{
    u_char      buf[16];
    ngx_uint_t  k;

    for (k = 0; k < o->nspans[wday]; k++) {
        if (k) {
            h_lit(h, ", ");
        }

        h_raw(h, buf, ngx_sprintf(buf, "%02ui:%02ui–%02ui:%02ui",
                                  (ngx_uint_t) o->hours[wday][k].open / 60,
                                  (ngx_uint_t) o->hours[wday][k].open % 60,
                                  (ngx_uint_t) o->hours[wday][k].close / 60,
                                  (ngx_uint_t) o->hours[wday][k].close % 60)
                      - buf);
    }
}


/* ---- the output buffer -------------------------------------------------- */


static ngx_int_t
h_init(ngx_http_mado_html_t *h, ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_snapshot_t *snap, mado_lang_e lang, ngx_log_t *log)
{
    ngx_memzero(h, sizeof(ngx_http_mado_html_t));

    h->pool = ngx_create_pool(4096, log);
    if (h->pool == NULL) {
        return NGX_ERROR;
    }

    h->cap = 32768;
    h->data = ngx_pnalloc(h->pool, h->cap);
    if (h->data == NULL) {
        ngx_destroy_pool(h->pool);
        return NGX_ERROR;
    }

    h->mmcf = mmcf;
    h->snap = snap;
    h->lang = lang;
    h->msg = mmcf->catalog[lang];

    return NGX_OK;
}


static ngx_int_t
h_done(ngx_http_mado_html_t *h, ngx_pool_t *pool, ngx_http_mado_doc_t **out)
{
    ngx_int_t             rc;
    ngx_http_mado_doc_t  *doc;

    rc = NGX_ERROR;

    if (!h->failed) {
        doc = ngx_palloc(pool, sizeof(ngx_http_mado_doc_t));

        if (doc != NULL
            && ngx_http_mado_doc_set(pool, doc, h->data, h->len) == NGX_OK)
        {
            *out = doc;
            rc = NGX_OK;
        }
    }

    ngx_destroy_pool(h->pool);

    return rc;
}


static void
h_raw(ngx_http_mado_html_t *h, u_char *s, size_t len)
{
    u_char  *p;

    if (h->failed) {
        return;
    }

    if (h->len + len > h->cap) {
        /* the old block stays in the scratch pool until h_done() */
        h->cap = 2 * (h->len + len);

        p = ngx_pnalloc(h->pool, h->cap);
        if (p == NULL) {
            h->failed = 1;
            return;
        }

        ngx_memcpy(p, h->data, h->len);
        h->data = p;
    }

    ngx_memcpy(h->data + h->len, s, len);
    h->len += len;
}


static void
h_esc(ngx_http_mado_html_t *h, u_char *s, size_t len)
{
    u_char  *p, *end, *start;

    start = s;
    end = s + len;

    for (p = s; p < end; p++) {
        const char  *rep;

        switch (*p) {
        case '&':  rep = "&amp;";  break;
        case '<':  rep = "&lt;";   break;
        case '>':  rep = "&gt;";   break;
        case '"':  rep = "&quot;"; break;
        case '\'': rep = "&#39;";  break;
        default:   continue;
        }

        h_raw(h, start, p - start);
        h_cstr(h, rep);
        start = p + 1;
    }

    h_raw(h, start, end - start);
}


static void
h_esc_str(ngx_http_mado_html_t *h, ngx_str_t *s)
{
    h_esc(h, s->data, s->len);
}


static void
h_cstr(ngx_http_mado_html_t *h, const char *s)
{
    h_raw(h, (u_char *) s, ngx_strlen(s));
}


static void
h_num(ngx_http_mado_html_t *h, int64_t n)
{
    u_char  buf[NGX_INT64_LEN];

    h_raw(h, buf, ngx_sprintf(buf, "%L", n) - buf);
}


/* a catalog text with {name} placeholders, everything escaped */
static void
h_fmt(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    ngx_http_mado_var_t *vars, ngx_uint_t nvars)
{
    u_char      *p, *end, *start, *close;
    size_t       len;
    ngx_str_t   *fmt;
    ngx_uint_t   i;

    fmt = &h->msg[key];
    start = fmt->data;
    end = fmt->data + fmt->len;

    for (p = start; p < end; p++) {
        if (*p != '{') {
            continue;
        }

        close = ngx_strlchr(p, end, '}');
        if (close == NULL) {
            break;
        }

        len = close - p - 1;

        for (i = 0; i < nvars; i++) {
            if (ngx_strlen(vars[i].name) == len
                && ngx_strncmp(vars[i].name, p + 1, len) == 0)
            {
                h_esc(h, start, p - start);
                h_esc_str(h, &vars[i].value);
                start = close + 1;
                break;
            }
        }

        p = close;
    }

    h_esc(h, start, end - start);
}


static void
h_hhmm(ngx_http_mado_html_t *h, int64_t t)
{
    u_char  buf[8];

    t += MADO_TZ_OFFSET;

    h_raw(h, buf, ngx_sprintf(buf, "%02L:%02L", t % 86400 / 3600,
                              t % 3600 / 60) - buf);
}


static void
h_time(ngx_http_mado_html_t *h, int64_t t)
{
    char  iso[32];

    mado_time_iso(t, iso);

    h_lit(h, "<time datetime=\"");
    h_cstr(h, iso);
    h_lit(h, "\">");
    h_hhmm(h, t);
    h_lit(h, "</time>");
}


static void
h_name(ngx_http_mado_html_t *h, mado_i18n_t *t)
{
    char  *s;

    s = t->text[h->lang];

    if (s == NULL) {
        s = t->text[MADO_LANG_JA];
    }

    h_esc(h, (u_char *) s, ngx_strlen(s));
}


/* "About 10-20 min", "No wait" or "—" */
static void
h_wait(ngx_http_mado_html_t *h, const mado_counter_def_t *c,
    const mado_counter_state_t *st)
{
    u_char               nbuf[2][NGX_INT64_LEN];
    int64_t              low, high;
    ngx_http_mado_var_t  var[2];

    if (mado_wait_range(c, st, &low, &high) != 0) {
        h_msg(h, UNKNOWN);

    } else if (st->waiting == 0) {
        h_msg(h, MINUTES_NONE);

    } else {
        var[0].name = "low";
        var[0].value.data = nbuf[0];
        var[0].value.len = ngx_sprintf(nbuf[0], "%L", low) - nbuf[0];
        var[1].name = "high";
        var[1].value.data = nbuf[1];
        var[1].value.len = ngx_sprintf(nbuf[1], "%L", high) - nbuf[1];
        h_fmt(h, NGX_HTTP_MADO_MSG_MINUTES_RANGE, var, 2);
    }
}


/*
 * For a service any office does: neighbours where it is open and the
 * wait is shorter than here, quietest first (at most three).
 */
static void
h_suggest(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    int64_t                    here, w, best[3];
    ngx_str_t                  id;
    ngx_uint_t                 i, k, n, j, nb;
    ngx_http_mado_var_t        var;
    mado_counter_state_t      *st;
    const mado_counter_def_t  *c, *nc;
    ngx_http_mado_office_t    *o, *pick[3];
    ngx_uint_t                 pick_c[3];

    for (i = 0; i < office->def.ncounters; i++) {
        c = &office->def.counters[i];

        if (!c->any_office) {
            continue;
        }

        here = mado_wait_minutes(c, &office->states[i]);
        n = 0;

        for (nb = 0; nb < office->def.nneighbours; nb++) {
            id.data = (u_char *) office->def.neighbours[nb];
            id.len = ngx_strlen(id.data);

            o = ngx_http_mado_snapshot_office(h->snap, &id);
            if (o == NULL) {
                continue;
            }

            for (k = 0; k < o->def.ncounters; k++) {
                nc = &o->def.counters[k];
                st = &o->states[k];

                if (ngx_strcmp(nc->id, c->id) != 0 || o->stale[k]) {
                    continue;
                }

                w = mado_wait_minutes(nc, st);

                /* open, and quieter than here (or here is not open) */
                if (w < 0 || (here >= 0 && w >= here)) {
                    break;
                }

                /* insert in order of wait */
                for (j = n; j > 0 && best[j - 1] > w; j--) {
                    if (j < 3) {
                        best[j] = best[j - 1];
                        pick[j] = pick[j - 1];
                        pick_c[j] = pick_c[j - 1];
                    }
                }

                if (j < 3) {
                    best[j] = w;
                    pick[j] = o;
                    pick_c[j] = k;
                    if (n < 3) {
                        n++;
                    }
                }

                break;
            }
        }

        if (n == 0) {
            continue;
        }

        h_lit(h, "<section class=\"suggest\" aria-labelledby=\"suggest-");
        h_cstr(h, c->id);
        h_lit(h, "\"><h2 id=\"suggest-");
        h_cstr(h, c->id);
        h_lit(h, "\">");
        h_msg(h, SUGGEST_TITLE);
        h_lit(h, "</h2><p>");

        var.name = "counter";
        var.value.data = (u_char *) c->name.text[h->lang]
                         ? (u_char *) c->name.text[h->lang]
                         : (u_char *) c->name.text[MADO_LANG_JA];
        var.value.len = ngx_strlen(var.value.data);
        h_fmt(h, NGX_HTTP_MADO_MSG_SUGGEST_TEXT, &var, 1);
        h_lit(h, "</p><ul>");

        for (j = 0; j < n; j++) {
            h_lit(h, "<li><a href=\"/");
            h_esc_str(h, &pick[j]->id);
            h_lit(h, "?lang=");
            h_cstr(h, mado_lang_codes[h->lang]);
            h_lit(h, "\">");
            h_name(h, &pick[j]->def.name);
            h_lit(h, "</a> ");
            h_wait(h, &pick[j]->def.counters[pick_c[j]],
                   &pick[j]->states[pick_c[j]]);
            h_lit(h, "</li>");
        }

        h_lit(h, "</ul></section>");
    }
}


/* average people waiting of a cell or an hour, in tenths; -1: no data */
static ngx_int_t
h_tenths(uint64_t sum, uint32_t n)
{
    return n ? (ngx_int_t) ((sum * 10 + n / 2) / n) : -1;
}


static void
h_tenths_text(ngx_http_mado_html_t *h, ngx_int_t v)
{
    u_char  buf[32];

    if (v < 0) {
        h_msg(h, UNKNOWN);
        return;
    }

    h_raw(h, buf, ngx_sprintf(buf, "%i.%i", v / 10, v % 10) - buf);
}


#define NGX_HTTP_MADO_CHART_W   320
#define NGX_HTTP_MADO_CHART_H   110
#define NGX_HTTP_MADO_CHART_X0  24      /* left of the plot: the scale */
#define NGX_HTTP_MADO_CHART_Y1  90      /* bottom of the plot: the hours */
#define NGX_HTTP_MADO_WEEK_X0   60      /* the week: after the day names */


/*
 * Per counter: a bar chart of the people waiting hour by hour, a usual
 * day of this weekday beside today, with the same figures as a table for
 * screen readers; then the whole week as small bar charts.
 */
static void
h_trends(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    mado_forecast_t *f, mado_day_t *today)
{
    u_char               buf[64], nbuf[2][NGX_INT64_LEN];
    ngx_int_t            usual[24], now_v[24], max, v;
    ngx_uint_t           i, hr, wd, from, to, n, any, slot, x, bh;
    ngx_http_mado_var_t  var[2];
    mado_office_def_t   *o = &office->def;
    mado_date_t          d = today->date;

    wd = (ngx_uint_t) mado_weekday(d / 10000, d / 100 % 100, d % 100);

    /* the hours the office opens on any weekday */
    from = 23;
    to = 0;

    for (i = 0; i < 7; i++) {
        for (n = 0; n < o->nspans[i]; n++) {
            if ((ngx_uint_t) o->hours[i][n].open / 60 < from) {
                from = o->hours[i][n].open / 60;
            }
            if ((ngx_uint_t) (o->hours[i][n].close + 59) / 60 > to) {
                to = (o->hours[i][n].close + 59) / 60;
            }
        }
    }

    if (to <= from) {
        return;
    }

    var[0].name = "weekday";
    var[0].value = h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + wd];
    var[1].name = "weeks";
    var[1].value.data = nbuf[0];
    var[1].value.len = ngx_sprintf(nbuf[0], "%uD", f->weeks) - nbuf[0];

    h_lit(h, "<section class=\"trends\" aria-labelledby=\"trends-h\">"
          "<h2 id=\"trends-h\">");
    h_msg(h, TREND_TITLE);
    h_lit(h, "</h2>");

    /* a weekday the office is closed has no usual day to compare with */
    for (i = 0, any = 0; i < o->ncounters && !any; i++) {
        for (hr = from; hr < to; hr++) {
            if (f->counters[i].cells[wd][hr].samples
                || today->counters[i].hours[hr].samples)
            {
                any = 1;
                break;
            }
        }
    }

    if (any) {
        h_lit(h, "<p>");
        h_fmt(h, NGX_HTTP_MADO_MSG_TREND_LEAD, var, 2);
        h_lit(h, "</p><p class=\"legend\" aria-hidden=\"true\">"
              "<span class=\"key usual\"></span>");
        h_fmt(h, NGX_HTTP_MADO_MSG_TREND_USUAL, var, 1);
        h_lit(h, " <span class=\"key today\"></span>");
        h_msg(h, TREND_TODAY);
        h_lit(h, "</p>");
    }

    for (i = 0; i < o->ncounters; i++) {
        max = 10;
        any = 0;

        for (hr = from; hr < to; hr++) {
            mado_cell_t  *c = &f->counters[i].cells[wd][hr];
            mado_hour_t  *t = &today->counters[i].hours[hr];

            usual[hr] = h_tenths(c->waiting_sum, c->samples);
            now_v[hr] = h_tenths(t->waiting_sum, t->samples);

            if (usual[hr] > max) { max = usual[hr]; }
            if (now_v[hr] > max) { max = now_v[hr]; }
            if (usual[hr] >= 0 || now_v[hr] >= 0) { any = 1; }
        }

        h_lit(h, "<figure class=\"trend\"><figcaption>");
        h_name(h, &o->counters[i].name);
        h_lit(h, "</figcaption>");

        if (!any) {
            /* a day the office is closed, or no history yet */
            h_lit(h, "<p class=\"none\">");
            h_msg(h, TREND_NONE);
            h_lit(h, "</p>");
            h_trend_week(h, f, i, from, to);
            h_lit(h, "</figure>");
            continue;
        }

        /* the table is the chart's text: the picture is hidden from
           screen readers rather than described twice */
        h_raw(h, buf, ngx_sprintf(buf, "<svg viewBox=\"0 0 %d %d\" "
                                  "aria-hidden=\"true\" focusable=\"false\">",
                                  NGX_HTTP_MADO_CHART_W,
                                  NGX_HTTP_MADO_CHART_H) - buf);

        /* the scale: 0 and the top */
        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%d\" y=\"%d\" "
                                  "class=\"scale\">0</text>",
                                  NGX_HTTP_MADO_CHART_X0 - 4,
                                  NGX_HTTP_MADO_CHART_Y1) - buf);
        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%d\" y=\"12\" "
                                  "class=\"scale\">%i</text>",
                                  NGX_HTTP_MADO_CHART_X0 - 4,
                                  (max + 9) / 10) - buf);

        slot = (NGX_HTTP_MADO_CHART_W - NGX_HTTP_MADO_CHART_X0) / (to - from);

        for (hr = from; hr < to; hr++) {
            x = NGX_HTTP_MADO_CHART_X0 + (hr - from) * slot;

            for (n = 0; n < 2; n++) {
                v = n ? now_v[hr] : usual[hr];

                if (v <= 0) {
                    continue;
                }

                bh = (ngx_uint_t) (v * 80 / ((max + 9) / 10 * 10));
                if (bh == 0) {
                    bh = 1;
                }

                h_raw(h, buf, ngx_sprintf(buf, "<rect class=\"%s\" x=\"%ui\" "
                                          "y=\"%ui\" width=\"%ui\" "
                                          "height=\"%ui\"/>",
                                          n ? "today" : "usual",
                                          x + 2 + n * (slot - 4) / 2,
                                          NGX_HTTP_MADO_CHART_Y1 - bh,
                                          (slot - 4) / 2, bh) - buf);
            }

            h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%ui\" y=\"%d\" "
                                      "class=\"hour\">%ui</text>",
                                      x + slot / 2,
                                      NGX_HTTP_MADO_CHART_Y1 + 14, hr)
                          - buf);
        }

        h_lit(h, "</svg><table class=\"visually-hidden\"><caption>");
        h_name(h, &o->counters[i].name);
        h_lit(h, "</caption><thead><tr><th scope=\"col\">");
        h_msg(h, TREND_HOUR);
        h_lit(h, "</th><th scope=\"col\">");
        h_fmt(h, NGX_HTTP_MADO_MSG_TREND_USUAL, var, 1);
        h_lit(h, "</th><th scope=\"col\">");
        h_msg(h, TREND_TODAY);
        h_lit(h, "</th></tr></thead><tbody>");

        for (hr = from; hr < to; hr++) {
            h_raw(h, buf, ngx_sprintf(buf, "<tr><th scope=\"row\">%ui:00"
                                      "</th><td>", hr) - buf);
            h_tenths_text(h, usual[hr]);
            h_lit(h, "</td><td>");
            h_tenths_text(h, now_v[hr]);
            h_lit(h, "</td></tr>");
        }

        h_lit(h, "</tbody></table>");

        h_trend_week(h, f, i, from, to);

        h_lit(h, "</figure>");
    }

    h_lit(h, "</section>");
}


/* the usual week of counter i: a row of bars per weekday with data */
static void
h_trend_week(ngx_http_mado_html_t *h, mado_forecast_t *f, ngx_uint_t i,
    ngx_uint_t from, ngx_uint_t to)
{
    u_char               buf[128], nbuf[NGX_INT64_LEN];
    ngx_int_t            v, max;
    ngx_uint_t           k, wd, hr, rows, row, slot, x, bh, has[7];
    ngx_http_mado_var_t  var;

    max = 10;
    rows = 0;

    /* Monday first, as Japanese calendars at offices are */
    for (k = 0; k < 7; k++) {
        wd = (k + 1) % 7;
        has[wd] = 0;

        for (hr = from; hr < to; hr++) {
            v = h_tenths(f->counters[i].cells[wd][hr].waiting_sum,
                         f->counters[i].cells[wd][hr].samples);
            if (v >= 0) {
                has[wd] = 1;
            }
            if (v > max) {
                max = v;
            }
        }

        rows += has[wd];
    }

    if (rows == 0) {
        return;
    }

    var.name = "weeks";
    var.value.data = nbuf;
    var.value.len = ngx_sprintf(nbuf, "%uD", f->weeks) - nbuf;

    h_lit(h, "<details class=\"week\"><summary>");
    h_fmt(h, NGX_HTTP_MADO_MSG_TREND_WEEK_TITLE, &var, 1);
    h_lit(h, "</summary>");

    /* room on the left for the longest weekday name ("Wednesday") */
    slot = (NGX_HTTP_MADO_CHART_W - NGX_HTTP_MADO_WEEK_X0) / (to - from);

    h_raw(h, buf, ngx_sprintf(buf, "<svg viewBox=\"0 0 %d %ui\" "
                              "aria-hidden=\"true\" focusable=\"false\">",
                              NGX_HTTP_MADO_CHART_W, rows * 24 + 16) - buf);

    for (k = 0, row = 0; k < 7; k++) {
        wd = (k + 1) % 7;

        if (!has[wd]) {
            continue;
        }

        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"0\" y=\"%ui\" "
                                  "class=\"day\">", row * 24 + 18) - buf);
        h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + wd]);
        h_lit(h, "</text>");

        for (hr = from; hr < to; hr++) {
            v = h_tenths(f->counters[i].cells[wd][hr].waiting_sum,
                         f->counters[i].cells[wd][hr].samples);

            if (v <= 0) {
                continue;
            }

            x = NGX_HTTP_MADO_WEEK_X0 + (hr - from) * slot;
            bh = (ngx_uint_t) (v * 20 / max);
            if (bh == 0) {
                bh = 1;
            }

            h_raw(h, buf, ngx_sprintf(buf, "<rect class=\"week\" x=\"%ui\" "
                                      "y=\"%ui\" width=\"%ui\" "
                                      "height=\"%ui\"/>", x + 3,
                                      row * 24 + 22 - bh, slot - 6, bh)
                          - buf);
        }

        row++;
    }

    for (hr = from; hr < to; hr++) {
        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%ui\" y=\"%ui\" "
                                  "class=\"hour\">%ui</text>",
                                  NGX_HTTP_MADO_WEEK_X0 + (hr - from) * slot
                                  + slot / 2, rows * 24 + 14, hr) - buf);
    }

    h_lit(h, "</svg><table class=\"week-table\"><thead><tr><td></td>");

    for (hr = from; hr < to; hr++) {
        h_raw(h, buf, ngx_sprintf(buf, "<th scope=\"col\">%ui</th>", hr)
                      - buf);
    }

    h_lit(h, "</tr></thead><tbody>");

    for (k = 0; k < 7; k++) {
        wd = (k + 1) % 7;

        if (!has[wd]) {
            continue;
        }

        h_lit(h, "<tr><th scope=\"row\">");
        h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + wd]);
        h_lit(h, "</th>");

        for (hr = from; hr < to; hr++) {
            h_lit(h, "<td>");
            h_tenths_text(h, h_tenths(f->counters[i].cells[wd][hr].waiting_sum,
                                      f->counters[i].cells[wd][hr].samples));
            h_lit(h, "</td>");
        }

        h_lit(h, "</tr>");
    }

    h_lit(h, "</tbody></table></details>");
}
