
/*
 * mado: the HTML writer of the citizen pages: a buffer that grows in a
 * scratch pool, text escaped as it goes in, catalog texts with their
 * {placeholders}.
 */


#include "ngx_http_mado_html.h"


static void h_hhmm(ngx_http_mado_html_t *h, int64_t t);
static void h_fmt_whole(ngx_http_mado_html_t *h, ngx_str_t *fmt,
    ngx_http_mado_var_t *vars, ngx_uint_t nvars);


ngx_int_t
h_init(ngx_http_mado_html_t *h, ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_site_t *site, ngx_http_mado_snapshot_t *snap,
    mado_lang_e lang, ngx_log_t *log)
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
    h->site = site;
    h->snap = snap;
    h->lang = lang;
    h->msg = mmcf->catalog[lang];

    return NGX_OK;
}


ngx_int_t
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


void
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


void
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


void
h_esc_str(ngx_http_mado_html_t *h, ngx_str_t *s)
{
    h_esc(h, s->data, s->len);
}


void
h_cstr(ngx_http_mado_html_t *h, const char *s)
{
    h_raw(h, (u_char *) s, ngx_strlen(s));
}


void
h_num(ngx_http_mado_html_t *h, int64_t n)
{
    u_char  buf[NGX_INT64_LEN];

    h_raw(h, buf, ngx_sprintf(buf, "%L", n) - buf);
}


/* a catalog text with {name} placeholders, everything escaped */
void
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

    if (h->lang == MADO_LANG_JA_EASY && !h->plain) {
        /* filled in first: a phrase ("60〜200分") is kept whole by h_text */
        h_fmt_whole(h, fmt, vars, nvars);
        return;
    }

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
                h_text(h, start, p - start);
                h_text(h, vars[i].value.data, vars[i].value.len);
                start = close + 1;
                break;
            }
        }

        p = close;
    }

    h_text(h, start, end - start);
}


static void
h_hhmm(ngx_http_mado_html_t *h, int64_t t)
{
    u_char  buf[8];

    t += MADO_TZ_OFFSET;

    h_raw(h, buf, ngx_sprintf(buf, "%02L:%02L", t % 86400 / 3600,
                              t % 3600 / 60) - buf);
}


void
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


void
h_name(ngx_http_mado_html_t *h, mado_i18n_t *t)
{
    char        *s;
    ngx_uint_t   kana;

    s = t->text[h->lang];

    if (s == NULL) {
        s = t->text[MADO_LANG_JA];
    }

    /* a name keeps its kanji, as on the building (h->kana) */
    kana = h->kana;
    h->kana = 0;
    h_text(h, (u_char *) s, ngx_strlen(s));
    h->kana = kana;
}


/* a catalog text whose {time} becomes a <time> element */
void
h_timed(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key, int64_t t)
{
    u_char     *p;
    ngx_str_t  *fmt;

    fmt = &h->msg[key];

    p = ngx_strlcasestrn(fmt->data, fmt->data + fmt->len,
                         (u_char *) "{time}", sizeof("{time}") - 2);

    if (p == NULL) {
        h_text(h, fmt->data, fmt->len);
        return;
    }

    h_text(h, fmt->data, p - fmt->data);
    h_time(h, t);
    h_text(h, p + 6, fmt->data + fmt->len - p - 6);
}


/*
 * Text that may carry readings ("{北区役所|きたくやくしょ}", ja-easy only):
 * <ruby> in the page, "北区役所（きたくやくしょ）" while h->plain (the
 * <title>, attributes, SVG), the reading alone while h->kana (the
 * signage but for names), escaped either way.  A phrase (up to the next
 * space) that holds a reading is kept on one line: a line break between a
 * <ruby> and the kana after it would cut a word in two.
 */
void
h_text(ngx_http_mado_html_t *h, u_char *s, size_t len)
{
    u_char      *p, *end, *start, *bar, *close, *ph;
    ngx_uint_t   open;

    if (h->lang != MADO_LANG_JA_EASY) {
        h_esc(h, s, len);
        return;
    }

    end = s + len;
    start = s;
    open = 0;

    for (p = s; p < end; p++) {
        if (*p == ' ' && open) {
            h_esc(h, start, p - start);
            h_lit(h, "</span>");
            start = p;
            open = 0;
            continue;
        }

        if (*p != '{') {
            continue;
        }

        bar = ngx_strlchr(p, end, '|');
        close = ngx_strlchr(p, end, '}');

        if (bar == NULL || close == NULL || bar > close || bar == p + 1
            || close == bar + 1)
        {
            continue;   /* a {placeholder} or a lone brace: as it is */
        }

        if (h->kana && !h->plain) {
            h_esc(h, start, p - start);
            h_esc(h, bar + 1, close - bar - 1);
            start = close + 1;
            p = close;
            continue;
        }

        if (!h->plain && !open) {
            /* the phrase starts after the last space before the reading */
            for (ph = p; ph > start && ph[-1] != ' '; ph--) { /* void */ }

            h_esc(h, start, ph - start);
            h_lit(h, "<span class=\"ph\">");
            start = ph;
            open = 1;
        }

        h_esc(h, start, p - start);

        if (h->plain) {
            h_esc(h, p + 1, bar - p - 1);
            h_lit(h, "\xef\xbc\x88");
            h_esc(h, bar + 1, close - bar - 1);
            h_lit(h, "\xef\xbc\x89");

        } else {
            h_lit(h, "<ruby>");
            h_esc(h, p + 1, bar - p - 1);
            h_lit(h, "<rt>");
            h_esc(h, bar + 1, close - bar - 1);
            h_lit(h, "</rt></ruby>");
        }

        start = close + 1;
        p = close;
    }

    h_esc(h, start, end - start);

    if (open) {
        h_lit(h, "</span>");
    }
}


void
h_text_str(ngx_http_mado_html_t *h, ngx_str_t *s)
{
    h_text(h, s->data, s->len);
}


/* the nth word of a catalog list ("Sun Mon Tue ...") */
static ngx_str_t
h_word(ngx_str_t *list, ngx_uint_t n)
{
    u_char     *p, *end, *w;
    ngx_str_t   r;

    p = list->data;
    end = p + list->len;
    ngx_str_null(&r);

    for ( ;; ) {
        while (p < end && *p == ' ') { p++; }

        w = p;

        while (p < end && *p != ' ') { p++; }

        if (w == p) {
            return r;
        }

        if (n-- == 0) {
            r.data = w;
            r.len = p - w;
            return r;
        }
    }
}


/*
 * A catalog text whose {time} becomes <time> with the date and the time
 * ("2026年12月3日(木) 10:42", "Thu 3 Dec 2026, 10:42"): a printout or a
 * screenshot says when it was.  mado.js writes the same from the catalog.
 */
void
h_timed_date(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key, int64_t t)
{
    char                 iso[32];
    u_char              *p, nbuf[4][NGX_INT64_LEN];
    int64_t              lt, days;
    ngx_int_t            y, m, d;
    ngx_str_t           *fmt;
    ngx_http_mado_var_t  var[5];

    fmt = &h->msg[key];

    p = ngx_strlcasestrn(fmt->data, fmt->data + fmt->len,
                         (u_char *) "{time}", sizeof("{time}") - 2);

    if (p == NULL) {
        h_text(h, fmt->data, fmt->len);
        return;
    }

    lt = t + MADO_TZ_OFFSET;
    days = lt / 86400;

    /* civil from days (H. Hinnant), 1970-01-01 is day 0 */
    {
        int64_t  z, era, doe, yoe, doy, mp;

        z = days + 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        d = (ngx_int_t) (doy - (153 * mp + 2) / 5 + 1);
        m = (ngx_int_t) (mp < 10 ? mp + 3 : mp - 9);
        y = (ngx_int_t) (yoe + era * 400 + (m <= 2));
    }

    var[0].name = "year";
    var[0].value.data = nbuf[0];
    var[0].value.len = ngx_sprintf(nbuf[0], "%i", y) - nbuf[0];
    var[1].name = "month";
    var[1].value = h_word(&h->msg[NGX_HTTP_MADO_MSG_DATE_MONTHS], m - 1);
    var[2].name = "day";
    var[2].value.data = nbuf[1];
    var[2].value.len = ngx_sprintf(nbuf[1], "%i", d) - nbuf[1];
    var[3].name = "weekday";
    var[3].value = h_word(&h->msg[NGX_HTTP_MADO_MSG_DATE_WEEKDAYS],
                          (ngx_uint_t) ((days + 4) % 7));
    var[4].name = "time";
    var[4].value.data = nbuf[2];
    var[4].value.len = ngx_sprintf(nbuf[2], "%02L:%02L", lt % 86400 / 3600,
                                   lt % 3600 / 60) - nbuf[2];

    mado_time_iso(t, iso);

    h_text(h, fmt->data, p - fmt->data);
    h_lit(h, "<time datetime=\"");
    h_cstr(h, iso);
    h_lit(h, "\">");
    h_fmt(h, NGX_HTTP_MADO_MSG_ASOF_DATETIME, var, 5);
    h_lit(h, "</time>");
    h_text(h, p + 6, fmt->data + fmt->len - p - 6);
}


/* a count with its plural: KEY.one for 1 where the catalog has it */
void
h_count(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    ngx_http_mado_msg_e one, int64_t n)
{
    u_char               nbuf[NGX_INT64_LEN];
    ngx_http_mado_var_t  var;

    var.name = "n";
    var.value.data = nbuf;
    var.value.len = ngx_sprintf(nbuf, "%L", n) - nbuf;

    h_fmt(h, n == 1 && h->msg[one].len ? one : key, &var, 1);
}


/* h_fmt() for ja-easy: the values (numbers, names, times: never a
   visitor's text) put in, then the whole text through h_text() */
static void
h_fmt_whole(ngx_http_mado_html_t *h, ngx_str_t *fmt,
    ngx_http_mado_var_t *vars, ngx_uint_t nvars)
{
    u_char      *p, *end, *close, *buf, *o;
    size_t       len, size;
    ngx_uint_t   i;

    size = fmt->len;

    for (i = 0; i < nvars; i++) {
        size += vars[i].value.len;
    }

    buf = ngx_pnalloc(h->pool, size);
    if (buf == NULL) {
        h->failed = 1;
        return;
    }

    o = buf;
    end = fmt->data + fmt->len;

    for (p = fmt->data; p < end; p++) {
        if (*p == '{' && (close = ngx_strlchr(p, end, '}')) != NULL) {
            len = close - p - 1;

            for (i = 0; i < nvars; i++) {
                if (ngx_strlen(vars[i].name) == len
                    && ngx_strncmp(vars[i].name, p + 1, len) == 0)
                {
                    break;
                }
            }

            if (i < nvars) {
                o = ngx_cpymem(o, vars[i].value.data, vars[i].value.len);
                p = close;
                continue;
            }
        }

        *o++ = *p;
    }

    h_text(h, buf, o - buf);
}
