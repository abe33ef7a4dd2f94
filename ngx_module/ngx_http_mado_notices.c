
/*
 * mado: GET /api/v1/offices/{id}/notices, the office's preset staff
 * notices in every language ({"office": ID, "notices": [{"id", "text"}]}),
 * for the staff panel's choice and for whoever shows a counter's notice.
 * Small and rare, so made on each request from the snapshot's definition
 * rather than kept in every snapshot or in the documents of all offices.
 */


#include "ngx_http_mado_module.h"


static ngx_str_t  ngx_http_mado_notices_type =
    ngx_string("application/json; charset=utf-8");


ngx_int_t
ngx_http_mado_notices_handler(ngx_http_request_t *r,
    ngx_http_mado_office_t *office, ngx_str_t *cache_control)
{
    size_t                len;
    unsigned              i;
    yajl_gen              g;
    ngx_int_t             rc;
    mado_office_def_t    *o;
    ngx_http_mado_doc_t   doc;
    const unsigned char  *buf;

    o = &office->def;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);
    mado_gen_lit(g, "office");
    mado_gen_str(g, o->id);
    mado_gen_lit(g, "notices");
    yajl_gen_array_open(g);

    for (i = 0; i < o->nnotices; i++) {
        yajl_gen_map_open(g);
        mado_gen_lit(g, "id");
        mado_gen_str(g, o->notices[i].id);
        mado_gen_i18n(g, "text", &o->notices[i].text);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    ngx_memzero(&doc, sizeof(ngx_http_mado_doc_t));

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_mado_doc_set(r->pool, &doc, (u_char *) buf, len);
    yajl_gen_free(g);

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send_doc(r, NULL, &doc, &ngx_http_mado_notices_type,
                                  cache_control, NGX_HTTP_MADO_SEND_CORS);
}
