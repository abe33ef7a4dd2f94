
/*
 * mado: the citizen pages, rendered to HTML from a snapshot.
 *
 * Every page is complete without JavaScript; the script only refreshes the
 * same elements from the JSON API (docs/pages.md is the contract).  All
 * text from the store, the catalogs or the request is HTML-escaped here.
 */


#include "ngx_http_mado_html.h"


static void h_head(ngx_http_mado_html_t *h, const char *page,
    ngx_http_mado_office_t *office, ngx_str_t *self);
static void h_foot(ngx_http_mado_html_t *h, ngx_http_mado_page_e page);
static void h_asof(ngx_http_mado_html_t *h, ngx_uint_t stale,
    ngx_uint_t dated);
static void h_counters(ngx_http_mado_html_t *h,
    ngx_http_mado_office_t *office, ngx_uint_t compact);
static void h_notices(ngx_http_mado_html_t *h, mado_office_def_t *o,
    mado_counter_state_t *st);
static void h_counter(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    ngx_uint_t i, ngx_uint_t heading, ngx_uint_t compact);
static void h_recent(ngx_http_mado_html_t *h, mado_counter_state_t *st);
static void h_index_jump(ngx_http_mado_html_t *h);
static void h_index_longest(ngx_http_mado_html_t *h,
    ngx_http_mado_office_t *office);
static void h_minutes_range(ngx_http_mado_html_t *h, int64_t low,
    int64_t high);

/* h_counter()'s compact: the index's rows, whose ids name the office too */
#define NGX_HTTP_MADO_COMPACT_INDEX  2


ngx_int_t
ngx_http_mado_render_page(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_site_t *site, ngx_http_mado_snapshot_t *snap, ngx_http_mado_office_t *office,
    ngx_http_mado_page_e page, mado_lang_e lang, ngx_log_t *log,
    ngx_http_mado_doc_t **out)
{
    u_char                buf[128];
    ngx_str_t             self;
    mado_day_t            today;
    mado_forecast_t      *forecast;
    ngx_http_mado_html_t  h;

    if (h_init(&h, mmcf, site, snap, lang, log) != NGX_OK) {
        return NGX_ERROR;
    }

    self.data = buf;

    switch (page) {

    case NGX_HTTP_MADO_PAGE_SIGNAGE:
        self.len = ngx_sprintf(buf, "/%V/signage", &office->id) - buf;
        h_head(&h, "signage", office, &self);
        h.signage = 1;
        /* across a waiting room a reading over a label is too small to
           read: ja-easy's signage says it in kana, as before, but for
           the names, which the building shows in kanji */
        h.kana = (lang == MADO_LANG_JA_EASY);

        h_lit(&h, "<main id=\"main\"><h1>");
        h_name(&h, &office->def.name);
        h_lit(&h, "</h1>");
        h_asof(&h, office->any_stale, 1);

        h_counters(&h, office, 0);
        h_signage_qr(&h, office);
        break;

    case NGX_HTTP_MADO_PAGE_EMBED:
        h.kana = (lang == MADO_LANG_JA_EASY);     /* as the signage */
        self.len = ngx_sprintf(buf, "/embed/%V", &office->id) - buf;
        h_head(&h, "embed", office, &self);

        h_lit(&h, "<main id=\"main\"><h1><a href=\"/");
        h_esc_str(&h, &office->id);
        h_lit(&h, "?lang=");
        h_cstr(&h, mado_lang_codes[lang]);
        h_lit(&h, "\" target=\"_top\">");
        h_name(&h, &office->def.name);
        h_lit(&h, "</a></h1>");
        h_asof(&h, office->any_stale, 0);

        h_counters(&h, office, 1);
        h_lit(&h, "<p class=\"more\"><a href=\"/");
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
        h_asof(&h, office->any_stale, 1);

        h.best_time = 1;
        h_counters(&h, office, 0);
        h.best_time = 0;

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
        h_visit(&h, office);

        h_lit(&h, "<p class=\"links\"><a href=\"/");
        h_esc_str(&h, &office->id);
        h_lit(&h, "/signage\">");
        h_msg(&h, NAV_SIGNAGE);
        h_lit(&h, "</a></p>");
        h_qr_link(&h, office);
        break;
    }

    h_foot(&h, page);

    return h_done(&h, snap->pool, out);
}


ngx_int_t
ngx_http_mado_render_index(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_site_t *site, ngx_http_mado_snapshot_t *snap, mado_lang_e lang, ngx_log_t *log,
    ngx_http_mado_doc_t **out)
{
    ngx_str_t                self;
    ngx_uint_t               i, j;
    ngx_http_mado_html_t     h;
    ngx_http_mado_office_t  *office;

    if (h_init(&h, mmcf, site, snap, lang, log) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_set(&self, "/");
    h_head(&h, "index", NULL, &self);

    h_lit(&h, "<main id=\"main\"><h1>");
    h_msg(&h, SITE_TITLE);
    h_lit(&h, "</h1>");
    h_asof(&h, snap->any_stale, 1);

    /* the table first: on a phone it is the first screen */
    h_index_jump(&h);

    h_lit(&h, "<p class=\"lead\">");
    h_msg(&h, SITE_LEAD);
    h_lit(&h, "</p>");

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

        h_lit(&h, "<p class=\"longest\">");
        h_msg(&h, LABEL_LONGEST_WAIT);
        h_lit(&h, ": <span class=\"longest-wait\">");
        h_index_longest(&h, &office[i]);
        h_lit(&h, "</span></p><ul class=\"counters\">");

        for (j = 0; j < office[i].def.ncounters; j++) {
            h_lit(&h, "<li>");
            h_counter(&h, &office[i], j, 3, NGX_HTTP_MADO_COMPACT_INDEX);
            h_lit(&h, "</li>");
        }

        h_lit(&h, "</ul></section>");
    }

    h_lit(&h, "</div>");

    h_foot(&h, NGX_HTTP_MADO_NPAGES);

    return h_done(&h, snap->pool, out);
}


/*
 * The index's first screen on a phone: every office in one short table,
 * in the city's order (the order of offices.json: the wards by their
 * code, then the branches), its longest wait and the people waiting; the
 * name jumps to the office's card below.  mado.js refreshes the figures
 * from /api/v1/summary.
 */
static void
h_index_jump(ngx_http_mado_html_t *h)
{
    u_char                   nbuf[NGX_INT64_LEN];
    ngx_uint_t               i;
    ngx_http_mado_var_t      var;
    ngx_http_mado_office_t  *office;

    h_lit(h, "<nav class=\"jump\" aria-labelledby=\"jump-title\">"
          "<table><caption id=\"jump-title\">");
    h_msg(h, NAV_ALL_OFFICES);
    h_lit(h, "</caption><thead><tr><th scope=\"col\">");
    h_msg(h, INDEX_COL_OFFICE);
    h_lit(h, "</th><th scope=\"col\">");
    h_msg(h, INDEX_COL_LONGEST);
    h_lit(h, "</th><th scope=\"col\">");
    h_msg(h, LABEL_WAITING);
    h_lit(h, "</th></tr></thead><tbody>");

    office = h->snap->offices.elts;

    for (i = 0; i < h->snap->offices.nelts; i++) {
        h_lit(h, "<tr data-office-row=\"");
        h_esc_str(h, &office[i].id);
        h_lit(h, "\" data-stale=\"");
        h_cstr(h, office[i].any_stale ? "true" : "false");
        h_lit(h, "\"><th scope=\"row\"><a href=\"#o-");
        h_esc_str(h, &office[i].id);
        h_lit(h, "\">");
        h_name(h, &office[i].def.name);
        h_lit(h, "</a></th><td class=\"longest-wait\">");
        h_index_longest(h, &office[i]);
        h_lit(h, "</td><td class=\"office-waiting\">");

        var.name = "n";
        var.value.data = nbuf;
        var.value.len = ngx_sprintf(nbuf, "%ui",
                                    ngx_http_mado_office_waiting(&office[i]))
                        - nbuf;
        h_fmt(h, NGX_HTTP_MADO_MSG_PEOPLE, &var, 1);

        h_lit(h, "</td></tr>");
    }

    h_lit(h, "</tbody></table></nav>");
}


/* "About {low}-{high} min" */
static void
h_minutes_range(ngx_http_mado_html_t *h, int64_t low, int64_t high)
{
    u_char               nbuf[2][NGX_INT64_LEN];
    ngx_http_mado_var_t  var[2];

    var[0].name = "low";
    var[0].value.data = nbuf[0];
    var[0].value.len = ngx_sprintf(nbuf[0], "%L", low) - nbuf[0];
    var[1].name = "high";
    var[1].value.data = nbuf[1];
    var[1].value.len = ngx_sprintf(nbuf[1], "%L", high) - nbuf[1];
    h_fmt(h, NGX_HTTP_MADO_MSG_MINUTES_RANGE, var, 2);
}


/* an office's longest wait: "About 10-20 min", "No wait" or "—" */
static void
h_index_longest(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    int64_t  low, high;

    if (ngx_http_mado_office_longest(office, &low, &high) != NGX_OK) {
        h_msg(h, UNKNOWN);

    } else if (high == 0) {
        h_msg(h, MINUTES_NONE);

    } else {
        h_minutes_range(h, low, high);
    }
}


/* 404 and 503 as pages, in the visitor's language */
ngx_int_t
ngx_http_mado_render_message_page(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, mado_lang_e lang, ngx_uint_t status,
    ngx_str_t *out)
{
    ngx_str_t                  self;
    ngx_http_mado_doc_t       *doc;
    ngx_http_mado_html_t       h;
    ngx_http_mado_site_t      *sites;
    ngx_http_mado_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);
    sites = mmcf->sites.elts;

    if (h_init(&h, mmcf, &sites[mlcf->site], NULL, lang, r->connection->log)
        != NGX_OK)
    {
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
        /* the index's figures only (ngx_http_mado_summary.c) */
        h_lit(h, " data-api=\"/api/v1/summary\"");
    }

    h_lit(h, " data-refresh=\"");
    h_num(h, h->site->refresh);
    h_lit(h, "\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\"><title>");

    h->plain = 1;

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
    h->plain = 0;
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
    h->plain = 1;
    h_msg(h, NAV_LANGUAGES);
    h->plain = 0;
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


/*
 * The time the figures are of, dated so that a screenshot or a printout
 * is; the embed's is the time only: its 320x260 frame has no room for a
 * date (the page it links to has it)
 */
static void
h_asof(ngx_http_mado_html_t *h, ngx_uint_t stale, ngx_uint_t dated)
{
    h_lit(h, "<p class=\"asof\">");

    if (dated) {
        h_timed_date(h, NGX_HTTP_MADO_MSG_ASOF, h->snap->now);

    } else {
        h_timed(h, NGX_HTTP_MADO_MSG_ASOF, h->snap->now);
    }

    h_lit(h, "</p>");

    if (stale) {
        /* one flex item: the text may hold <ruby> (ja-easy) */
        h_lit(h, "<div class=\"stale-banner\" role=\"status\"><span>");
        h_msg(h, STALE_BANNER);
        h_lit(h, "</span></div>");
    }
}


/* an office's counters, each an <article> with an <h2> */
static void
h_counters(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    ngx_uint_t compact)
{
    ngx_uint_t  i;

    h_lit(h, "<div class=\"counters\">");

    for (i = 0; i < office->def.ncounters; i++) {
        h_counter(h, office, i, 2, compact);
    }

    h_lit(h, "</div>");
}


static void
h_counter(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    ngx_uint_t i, ngx_uint_t heading, ngx_uint_t compact)
{
    int                    level;
    char                   jam[512];
    size_t                 jlen;
    int64_t                next, day0, nday0, closes;
    mado_past_close_e      past;
    u_char                 nbuf[3][NGX_INT64_LEN];
    ngx_uint_t             wday;
    ngx_http_mado_var_t    var[3];
    mado_counter_def_t    *c;
    mado_counter_state_t  *st;

    c = &office->def.counters[i];
    st = &office->states[i];
    level = mado_level(c, st);

    h_lit(h, "<article class=\"counter\" id=\"");

    /* the index shows every office's counters: "kita-c-moving" */
    if (compact == NGX_HTTP_MADO_COMPACT_INDEX) {
        h_esc_str(h, &office->id);
        h_lit(h, "-");
    }

    h_lit(h, "c-");
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
    h_text_str(h, &h->msg[NGX_HTTP_MADO_MSG_STATUS_OPEN + st->status]);
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

    h_count(h, NGX_HTTP_MADO_MSG_PEOPLE, NGX_HTTP_MADO_MSG_PEOPLE_ONE,
            st->waiting);

    h_lit(h, "</dd></div><div><dt>");
    h_msg(h, LABEL_WAIT);
    h_lit(h, "</dt><dd class=\"wait\">");

    h_wait(h, c, st);

    h_lit(h, "</dd></div><div><dt>");
    h_msg(h, LABEL_LEVEL);
    h_lit(h, "</dt><dd class=\"level\"><span class=\"level-icon\" "
          "aria-hidden=\"true\"></span><span class=\"level-text\">");

    if (st->status != MADO_STATUS_OPEN) {
        /* no level while not open: say why rather than "—" */
        h_msg(h, LEVEL_NOT_OPEN);
    } else if (level < 0) {
        h_msg(h, LEVEL_UNKNOWN);
    } else {
        h_text_str(h, &h->msg[NGX_HTTP_MADO_MSG_LEVEL_0 + level]);
    }

    h_lit(h, "</span></dd></div></dl>");

    if (h->best_time) {
        h_best_time(h, office, i);
    }

    /* the hours apply only when the states follow the calendar */
    past = MADO_PAST_CLOSE_NONE;

    if (h->mmcf->calendar) {
        past = mado_past_close(&office->def, c, st, h->snap->now, &closes);
    }

    if (past != MADO_PAST_CLOSE_NONE) {
        var[0].name = "time";
        var[0].value.data = nbuf[0];
        var[0].value.len = ngx_sprintf(nbuf[0], "%02L:%02L",
                                       (closes + MADO_TZ_OFFSET) % 86400 / 3600,
                                       (closes + MADO_TZ_OFFSET) % 3600 / 60)
                           - nbuf[0];

        h_lit(h, "<p class=\"past-close\" data-past-close=\"");
        h_cstr(h, mado_past_close_names[past]);
        h_lit(h, "\">");
        h_fmt(h, past == MADO_PAST_CLOSE_LIKELY
                 ? NGX_HTTP_MADO_MSG_PAST_CLOSE_LIKELY
                 : NGX_HTTP_MADO_MSG_PAST_CLOSE_POSSIBLE, var, 1);
        h_lit(h, "</p>");
    }

    jlen = mado_jam_message(c, st, h->lang, jam, sizeof(jam));

    if (jlen) {
        h_lit(h, "<p class=\"jam\">");
        h_text(h, (u_char *) jam, jlen);
        h_lit(h, "</p>");
    }

    h_notices(h, &office->def, st);

    if (!compact) {
        h_recent(h, st);
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


/*
 * Recently called numbers, newest first, today's only: not in the live
 * region, so read on demand; hidden while there are none (mado.js shows
 * it when the first call comes)
 */
static void
h_recent(ngx_http_mado_html_t *h, mado_counter_state_t *st)
{
    unsigned  j, n;

    n = mado_recent_today(st, h->snap->now);

    h_lit(h, "<");
    h_cstr(h, h->signage ? "div" : "details");
    h_lit(h, " class=\"recent\"");

    if (n == 0) {
        h_lit(h, " hidden");
    }

    h_cstr(h, h->signage ? "><h3 class=\"recent-title\">" : "><summary>");
    h_msg(h, RECENT_TITLE);
    h_cstr(h, h->signage ? "</h3>" : "</summary>");
    h_lit(h, "<ol class=\"recent-list\">");

    for (j = 0; j < n; j++) {
        h_lit(h, "<li><span class=\"recent-number\">");
        h_num(h, st->recent_number[j]);
        h_lit(h, "</span> ");
        h_time(h, st->recent_at[j]);
        h_lit(h, "</li>");
    }

    h_lit(h, "</ol>");
    h_cstr(h, h->signage ? "</div>" : "</details>");
}


/*
 * What staff say: the preset notice in the page's language, then the free
 * text as it was typed, which is Japanese: marked so, and said so on the
 * pages of other languages
 */
static void
h_notices(ngx_http_mado_html_t *h, mado_office_def_t *o,
    mado_counter_state_t *st)
{
    int     k;
    char   *text;

    k = st->notice[0] ? mado_office_notice(o, st->notice) : -1;

    if (k >= 0) {
        text = o->notices[k].text.text[h->lang];

        if (text == NULL) {
            text = o->notices[k].text.text[MADO_LANG_JA];
        }

        h_lit(h, "<p class=\"notice\" data-notice=\"");
        h_cstr(h, o->notices[k].id);
        h_lit(h, "\">");
        h_esc(h, (u_char *) text, ngx_strlen(text));
        h_lit(h, "</p>");
    }

    if (st->message_len == 0) {
        return;
    }

    h_lit(h, "<p class=\"message\">");

    if (h->lang != MADO_LANG_JA && h->lang != MADO_LANG_JA_EASY) {
        h_lit(h, "<span class=\"message-label\">");
        h_msg(h, NOTICE_STAFF_JA);
        h_lit(h, "</span> ");
    }

    h_lit(h, "<span class=\"message-text\" lang=\"ja\">");
    h_esc(h, (u_char *) st->message, st->message_len);
    h_lit(h, "</span></p>");
}


/* "About 10-20 min", "No wait" or "—" */
void
h_wait(ngx_http_mado_html_t *h, const mado_counter_def_t *c,
    const mado_counter_state_t *st)
{
    int64_t  low, high;

    if (mado_wait_range(c, st, &low, &high) != 0) {
        h_msg(h, UNKNOWN);

    } else if (st->waiting == 0) {
        h_msg(h, MINUTES_NONE);

    } else {
        h_minutes_range(h, low, high);
    }
}
