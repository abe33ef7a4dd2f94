
/*
 * mado: the citizen pages' routes, assets and QR codes.
 *
 *     /                      all offices
 *     /{office}              one office
 *     /{office}/signage      waiting-room monitor
 *     /{office}/qr.svg       QR code of the office page's public URL
 *     /embed/{office}        widget for an iframe
 *     /assets/mado.HASH.css  assets, cached for a year
 */


#include "ngx_http_mado_module.h"

#include <qrencode.h>


typedef enum {
    NGX_HTTP_MADO_ROUTE_INDEX = 0,
    NGX_HTTP_MADO_ROUTE_PAGE,
    NGX_HTTP_MADO_ROUTE_ASSET
} ngx_http_mado_pages_route_e;


static ngx_int_t ngx_http_mado_pages_route(ngx_http_request_t *r,
    ngx_http_mado_pages_route_e *route, ngx_http_mado_page_e *page,
    ngx_str_t *arg);
static ngx_int_t ngx_http_mado_send_asset(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, ngx_str_t *name);
static ngx_int_t ngx_http_mado_send_message(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, mado_lang_e lang, ngx_uint_t status);
static ngx_int_t ngx_http_mado_render_qr(ngx_http_mado_site_t *site,
    ngx_http_mado_snapshot_t *snap, ngx_http_mado_office_t *office,
    ngx_log_t *log, ngx_http_mado_doc_t **out);
static ngx_int_t ngx_http_mado_asset_load(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf, ngx_http_mado_asset_t *asset,
    const char *name, const char *ext, const char *type);


#if (NGX_DEBUG)
static const char *const  ngx_http_mado_pages_routes[] = {
    "index", "page", "asset"
};
static const char *const  ngx_http_mado_page_names[] = {
    "office", "signage", "embed", "qr.svg"
};
#endif


static ngx_str_t  ngx_http_mado_html_type =
    ngx_string("text/html; charset=utf-8");
static ngx_str_t  ngx_http_mado_svg_type = ngx_string("image/svg+xml");
static ngx_str_t  ngx_http_mado_vary_lang =
    ngx_string("Accept-Language, Cookie");
static ngx_str_t  ngx_http_mado_vary = ngx_string("Vary");
static ngx_str_t  ngx_http_mado_immutable =
    ngx_string("public, max-age=31536000, immutable");
static ngx_str_t  ngx_http_mado_qr_cache =
    ngx_string("public, max-age=86400");
static ngx_str_t  ngx_http_mado_private =
    ngx_string("private, max-age=5");


ngx_int_t
ngx_http_mado_pages_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_str_t                     arg, *cache;
    ngx_uint_t                    explicit, flags;
    mado_lang_e                   lang;
    ngx_http_mado_doc_t         **slot;
    ngx_http_mado_page_e          page;
    ngx_http_mado_site_t         *site;
    ngx_http_mado_office_t       *office;
    ngx_http_mado_snapshot_t     *snap;
    ngx_http_mado_loc_conf_t     *mlcf;
    ngx_http_mado_main_conf_t    *mmcf;
    ngx_http_mado_pages_route_e   route;

    rc = ngx_http_mado_read_only(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    ngx_str_null(&arg);

    rc = ngx_http_mado_pages_route(r, &route, &page, &arg);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado pages: route %s, %s \"%V\"%s",
                   rc == NGX_OK ? ngx_http_mado_pages_routes[route] : "none",
                   ngx_http_mado_page_names[page], &arg,
                   rc == NGX_OK ? "" : ": 404");

    /* an error page of the widget's route may be framed as the widget */
    if (ngx_http_mado_security_headers(r,
            rc != NGX_OK ? NGX_HTTP_MADO_SEC_PAGE
            : route == NGX_HTTP_MADO_ROUTE_ASSET ? NGX_HTTP_MADO_SEC_ASSET
            : page == NGX_HTTP_MADO_PAGE_EMBED ? NGX_HTTP_MADO_SEC_EMBED
            : page == NGX_HTTP_MADO_PAGE_QR ? NGX_HTTP_MADO_SEC_DATA
            : NGX_HTTP_MADO_SEC_PAGE)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK && route == NGX_HTTP_MADO_ROUTE_ASSET) {
        return ngx_http_mado_send_asset(r, mmcf, &arg);
    }

    lang = ngx_http_mado_lang(r, &explicit);

    if (rc != NGX_OK) {
        return ngx_http_mado_send_message(r, mmcf, lang, NGX_HTTP_NOT_FOUND);
    }

    snap = ngx_http_mado_snapshot(r, mmcf);

    if (snap == NULL) {
        return ngx_http_mado_send_message(r, mmcf, lang,
                                          NGX_HTTP_SERVICE_UNAVAILABLE);
    }

    office = NULL;

    if (route == NGX_HTTP_MADO_ROUTE_PAGE) {
        office = ngx_http_mado_snapshot_office(snap, &arg);

        if (office == NULL) {
            return ngx_http_mado_send_message(r, mmcf, lang,
                                              NGX_HTTP_NOT_FOUND);
        }
    }

    site = &((ngx_http_mado_site_t *) mmcf->sites.elts)[mlcf->site];

    /* rendered once per snapshot, site and language, on first demand */
    slot = ngx_http_mado_page_slot(snap, office, mmcf->sites.nelts,
                                   mlcf->site, page,
                                   page == NGX_HTTP_MADO_PAGE_QR ? 0 : lang);
    if (slot == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado pages: language %s, %s", mado_lang_codes[lang],
                   *slot ? "rendered before" : "rendering");

    if (*slot == NULL) {
        if (office == NULL) {
            rc = ngx_http_mado_render_index(mmcf, site, snap, lang,
                                            r->connection->log, slot);

        } else if (page == NGX_HTTP_MADO_PAGE_QR) {
            rc = ngx_http_mado_render_qr(site, snap, office,
                                         r->connection->log, slot);

        } else {
            rc = ngx_http_mado_render_page(mmcf, site, snap, office, page,
                                           lang, r->connection->log, slot);
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (page == NGX_HTTP_MADO_PAGE_QR && office != NULL) {
        return ngx_http_mado_send_doc(r, snap, *slot, &ngx_http_mado_svg_type,
                                      &ngx_http_mado_qr_cache,
                                      NGX_HTTP_MADO_SEND_GZIP);
    }

    cache = &mlcf->cache_control;
    flags = NGX_HTTP_MADO_SEND_GZIP;

    if (explicit) {
        /* the response sets a cookie: no shared cache may keep it */
        cache = &ngx_http_mado_private;

    } else if (ngx_http_mado_add_header(r, &ngx_http_mado_vary,
                                        &ngx_http_mado_vary_lang)
               != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send_doc(r, snap, *slot, &ngx_http_mado_html_type,
                                  cache, flags);
}


/*
 * Paths are taken from the root of the server: the pages link to each
 * other absolutely.  NGX_OK with the route, or NGX_DECLINED for 404.
 */
static ngx_int_t
ngx_http_mado_pages_route(ngx_http_request_t *r,
    ngx_http_mado_pages_route_e *route, ngx_http_mado_page_e *page,
    ngx_str_t *arg)
{
    u_char     *p, *end, *s;
    ngx_str_t   seg[3];
    ngx_uint_t  n;

    p = r->uri.data;
    end = p + r->uri.len;

    *route = NGX_HTTP_MADO_ROUTE_PAGE;
    *page = NGX_HTTP_MADO_PAGE_OFFICE;

    if (end - p > 200) {
        return NGX_DECLINED;
    }

    n = 0;

    while (p < end && *p == '/') {
        p++;
    }

    while (p < end) {
        if (n == 3) {
            return NGX_DECLINED;
        }

        s = p;

        while (p < end && *p != '/') {
            p++;
        }

        seg[n].data = s;
        seg[n].len = p - s;
        n++;

        if (p < end) {
            p++;
        }
    }

    if (n == 0) {
        *route = NGX_HTTP_MADO_ROUTE_INDEX;
        return NGX_OK;
    }

    if (n == 2 && seg[0].len == 6 && ngx_memcmp(seg[0].data, "assets", 6) == 0)
    {
        *route = NGX_HTTP_MADO_ROUTE_ASSET;
        *arg = seg[1];
        return NGX_OK;
    }

    if (n == 2 && seg[0].len == 5 && ngx_memcmp(seg[0].data, "embed", 5) == 0)
    {
        *route = NGX_HTTP_MADO_ROUTE_PAGE;
        *page = NGX_HTTP_MADO_PAGE_EMBED;
        *arg = seg[1];
        return NGX_OK;
    }

    *route = NGX_HTTP_MADO_ROUTE_PAGE;
    *arg = seg[0];

    if (n == 1) {
        return NGX_OK;
    }

    if (n == 2 && seg[1].len == 7 && ngx_memcmp(seg[1].data, "signage", 7) == 0)
    {
        *page = NGX_HTTP_MADO_PAGE_SIGNAGE;
        return NGX_OK;
    }

    if (n == 2 && seg[1].len == 6 && ngx_memcmp(seg[1].data, "qr.svg", 6) == 0)
    {
        *page = NGX_HTTP_MADO_PAGE_QR;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_mado_send_asset(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, ngx_str_t *name)
{
    ngx_http_mado_asset_t  *a;

    a = NULL;

    if (name->len == mmcf->css.url.len - sizeof("/assets/") + 1
        && ngx_memcmp(name->data, mmcf->css.url.data + sizeof("/assets/") - 1,
                      name->len) == 0)
    {
        a = &mmcf->css;

    } else if (name->len == mmcf->js.url.len - sizeof("/assets/") + 1
               && ngx_memcmp(name->data,
                             mmcf->js.url.data + sizeof("/assets/") - 1,
                             name->len) == 0)
    {
        a = &mmcf->js;
    }

    if (a == NULL) {
        /* an old hash after an update: a 404, never stale content */
        return NGX_HTTP_NOT_FOUND;
    }

    return ngx_http_mado_send_doc(r, NULL, &a->doc, &a->type,
                                  &ngx_http_mado_immutable,
                                  NGX_HTTP_MADO_SEND_GZIP);
}


static ngx_int_t
ngx_http_mado_send_message(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, mado_lang_e lang, ngx_uint_t status)
{
    ngx_str_t  body;

    if (ngx_http_mado_render_message_page(r, mmcf, lang, status, &body)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send_body(r, status, &ngx_http_mado_html_type,
                                   &body);
}


/* one <path> of unit squares: small, and crisp at any size */
static ngx_int_t
ngx_http_mado_render_qr(ngx_http_mado_site_t *site,
    ngx_http_mado_snapshot_t *snap, ngx_http_mado_office_t *office,
    ngx_log_t *log, ngx_http_mado_doc_t **out)
{
    u_char               *buf, *p, *url, *label;
    size_t                size, len;
    ngx_int_t             rc;
    ngx_uint_t            x, y, w, quiet;
    QRcode               *qr;
    ngx_http_mado_doc_t  *doc;

    url = ngx_pnalloc(snap->pool, site->public_url.len + office->id.len + 2);
    if (url == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(url, "%V/%V%Z", &site->public_url, &office->id);

    qr = QRcode_encodeString((char *) url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "QRcode_encodeString(\"%s\") failed", url);
        return NGX_ERROR;
    }

    w = qr->width;
    quiet = 4;

    /* the URL is shown as the image's name: escaped like any text */
    len = ngx_strlen(url);
    label = ngx_pnalloc(snap->pool, len + ngx_escape_html(NULL, url, len) + 1);
    if (label == NULL) {
        QRcode_free(qr);
        return NGX_ERROR;
    }

    *(u_char *) ngx_escape_html(label, url, len) = '\0';

    size = 512 + w * w * sizeof("M000,000h1v1h-1z") + ngx_strlen(label);

    buf = ngx_pnalloc(snap->pool, size);
    if (buf == NULL) {
        QRcode_free(qr);
        return NGX_ERROR;
    }

    p = ngx_sprintf(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                    "viewBox=\"0 0 %ui %ui\" shape-rendering=\"crispEdges\" "
                    "role=\"img\" aria-label=\"%s\">"
                    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>"
                    "<path fill=\"#000\" d=\"",
                    w + 2 * quiet, w + 2 * quiet, label);

    for (y = 0; y < w; y++) {
        for (x = 0; x < w; x++) {
            if (qr->data[y * w + x] & 1) {
                p = ngx_sprintf(p, "M%ui,%uih1v1h-1z", x + quiet, y + quiet);
            }
        }
    }

    p = ngx_cpymem(p, "\"/></svg>\n", sizeof("\"/></svg>\n") - 1);

    QRcode_free(qr);

    doc = ngx_palloc(snap->pool, sizeof(ngx_http_mado_doc_t));
    if (doc == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_mado_doc_set(snap->pool, doc, buf, p - buf);
    if (rc != NGX_OK) {
        return rc;
    }

    *out = doc;

    return NGX_OK;
}


char *
ngx_http_mado_assets_load(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf)
{
    if (ngx_http_mado_asset_load(cf, mmcf, &mmcf->css, "mado", "css",
                                 "text/css; charset=utf-8") != NGX_OK
        || ngx_http_mado_asset_load(cf, mmcf, &mmcf->js, "mado", "js",
                                    "text/javascript; charset=utf-8")
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* the counter staff panel's own, only where a location serves it */
    if (mmcf->staff
        && (ngx_http_mado_asset_load(cf, mmcf, &mmcf->staff_css, "staff",
                                     "css", "text/css; charset=utf-8")
            != NGX_OK
            || ngx_http_mado_asset_load(cf, mmcf, &mmcf->staff_js, "staff",
                                        "js",
                                        "text/javascript; charset=utf-8")
               != NGX_OK))
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* read at configuration time; the URL carries a hash of the content */
static ngx_int_t
ngx_http_mado_asset_load(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_asset_t *asset, const char *name, const char *ext,
    const char *type)
{
    ngx_int_t   rc;
    ngx_str_t   path, text;

    path.len = mmcf->assets.len + ngx_strlen(name) + ngx_strlen(ext) + 2;
    path.data = ngx_pnalloc(cf->pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(path.data, "%V/%s.%s%Z", &mmcf->assets, name, ext);

    rc = ngx_http_mado_conf_read(cf, "mado_assets", &path, 4 * 1024 * 1024,
                                 &text);

    if (rc == NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "mado_assets: cannot open \"%V\"", &path);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_mado_doc_set(cf->pool, &asset->doc, text.data, text.len)
        != NGX_OK
        || ngx_http_mado_doc_gzip(cf->pool, &asset->doc, cf->log) != NGX_OK)
    {
        return NGX_ERROR;
    }

    asset->type.data = (u_char *) type;
    asset->type.len = ngx_strlen(type);

    asset->url.data = ngx_pnalloc(cf->pool, sizeof("/assets/.12345678.")
                                            + ngx_strlen(name)
                                            + ngx_strlen(ext));
    if (asset->url.data == NULL) {
        return NGX_ERROR;
    }

    /* the first 8 hex digits of the ETag: enough to tell versions apart */
    asset->url.len = ngx_sprintf(asset->url.data, "/assets/%s.%*s.%s", name,
                                 (size_t) 8, asset->doc.etag.data + 1, ext)
                     - asset->url.data;

    return NGX_OK;
}
