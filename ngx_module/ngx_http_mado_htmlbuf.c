
/*
 * mado: the HTML writer of the citizen pages: a buffer that grows in a
 * scratch pool, text escaped as it goes in, catalog texts with their
 * {placeholders}.
 */


#include "ngx_http_mado_html.h"


static void h_hhmm(ngx_http_mado_html_t *h, int64_t t);


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
    char  *s;

    s = t->text[h->lang];

    if (s == NULL) {
        s = t->text[MADO_LANG_JA];
    }

    h_esc(h, (u_char *) s, ngx_strlen(s));
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
        h_esc_str(h, fmt);
        return;
    }

    h_esc(h, fmt->data, p - fmt->data);
    h_time(h, t);
    h_esc(h, p + 6, fmt->data + fmt->len - p - 6);
}
