
/*
 * mado: the citizen pages' HTML writer (ngx_http_mado_htmlbuf.c) and the
 * parts of pages the templates share (ngx_http_mado_html.c,
 * ngx_http_mado_html_office.c).
 */


#ifndef _NGX_HTTP_MADO_HTML_H_INCLUDED_
#define _NGX_HTTP_MADO_HTML_H_INCLUDED_


#include "ngx_http_mado_module.h"


typedef struct {
    u_char                     *data;
    size_t                      len;
    size_t                      cap;
    ngx_uint_t                  failed;
    ngx_uint_t                  plain;      /* readings as text (h_text) */
    ngx_uint_t                  kana;       /* readings only, but names */
    ngx_pool_t                 *pool;       /* scratch for growing */
    ngx_str_t                  *msg;        /* the language's catalog */
    mado_lang_e                 lang;
    ngx_http_mado_main_conf_t  *mmcf;
    ngx_http_mado_site_t       *site;
    ngx_http_mado_snapshot_t   *snap;
    ngx_uint_t                  signage;    /* recent calls shown, not in
                                               a <details> */
    ngx_uint_t                  best_time;  /* counters say their best
                                               time (the office page) */
} ngx_http_mado_html_t;


typedef struct {
    const char                 *name;
    ngx_str_t                   value;
} ngx_http_mado_var_t;


#define h_lit(h, s)  h_raw(h, (u_char *) s, sizeof(s) - 1)
#define h_msg(h, k)  h_text_str(h, &(h)->msg[NGX_HTTP_MADO_MSG_##k])


/* short names: a template reads as the HTML it writes */
#define h_init     ngx_http_mado_html_init
#define h_done     ngx_http_mado_html_done
#define h_raw      ngx_http_mado_html_raw
#define h_esc      ngx_http_mado_html_esc
#define h_esc_str  ngx_http_mado_html_esc_str
#define h_cstr     ngx_http_mado_html_cstr
#define h_num      ngx_http_mado_html_num
#define h_fmt      ngx_http_mado_html_fmt
#define h_time     ngx_http_mado_html_time
#define h_name     ngx_http_mado_html_name
#define h_timed    ngx_http_mado_html_timed
#define h_text     ngx_http_mado_html_text
#define h_text_str ngx_http_mado_html_text_str
#define h_timed_date ngx_http_mado_html_timed_date
#define h_count    ngx_http_mado_html_count
#define h_wait     ngx_http_mado_html_wait
#define h_suggest  ngx_http_mado_html_suggest
#define h_myticket ngx_http_mado_html_myticket
#define h_hours    ngx_http_mado_html_hours
#define h_trends   ngx_http_mado_html_trends
#define h_visit    ngx_http_mado_html_visit
#define h_best_time ngx_http_mado_html_best_time
#define h_signage_qr ngx_http_mado_html_signage_qr
#define h_qr_link  ngx_http_mado_html_qr_link


/* ngx_http_mado_htmlbuf.c */
ngx_int_t h_init(ngx_http_mado_html_t *h,
    ngx_http_mado_main_conf_t *mmcf, ngx_http_mado_site_t *site,
    ngx_http_mado_snapshot_t *snap,
    mado_lang_e lang, ngx_log_t *log);
ngx_int_t h_done(ngx_http_mado_html_t *h, ngx_pool_t *pool,
    ngx_http_mado_doc_t **out);
void h_raw(ngx_http_mado_html_t *h, u_char *s, size_t len);
void h_esc(ngx_http_mado_html_t *h, u_char *s, size_t len);
void h_esc_str(ngx_http_mado_html_t *h, ngx_str_t *s);
void h_cstr(ngx_http_mado_html_t *h, const char *s);
void h_num(ngx_http_mado_html_t *h, int64_t n);
void h_fmt(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    ngx_http_mado_var_t *vars, ngx_uint_t nvars);
void h_time(ngx_http_mado_html_t *h, int64_t t);
void h_name(ngx_http_mado_html_t *h, mado_i18n_t *t);
void h_timed(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    int64_t t);
void h_text(ngx_http_mado_html_t *h, u_char *s, size_t len);
void h_text_str(ngx_http_mado_html_t *h, ngx_str_t *s);
void h_timed_date(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    int64_t t);
void h_count(ngx_http_mado_html_t *h, ngx_http_mado_msg_e key,
    ngx_http_mado_msg_e one, int64_t n);

/* ngx_http_mado_html.c */
void h_wait(ngx_http_mado_html_t *h, const mado_counter_def_t *c,
    const mado_counter_state_t *st);

/* ngx_http_mado_html_office.c */
void h_suggest(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office);
void h_myticket(ngx_http_mado_html_t *h,
    ngx_http_mado_office_t *office);
void h_hours(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office);
void h_signage_qr(ngx_http_mado_html_t *h,
    ngx_http_mado_office_t *office);
void h_qr_link(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office);
void h_trends(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    mado_forecast_t *f, mado_day_t *today);

/* ngx_http_mado_visit.c */
void h_visit(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office);
void h_best_time(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    ngx_uint_t i);


#endif /* _NGX_HTTP_MADO_HTML_H_INCLUDED_ */
