
/*
 * mado: the public JSON API (GET/HEAD only; open data).
 *
 *     /api/v1/offices                      all offices with their counters
 *     /api/v1/offices/{id}                 one office
 *     /api/v1/offices/{id}/history[.csv]   one day (ngx_http_mado_history.c)
 *     /api/v1/offices/{id}/forecast        weekday x hour, and today
 *     /api/v1/offices/{id}/notices         the preset staff notices
 *                                          (ngx_http_mado_notices.c)
 *     /api/v1/summary                      the index's figures only
 *
 * The snapshot's documents go gzipped to clients that accept it (made once
 * per snapshot, as the pages are), each encoding with its own ETag.
 */


#include "ngx_http_mado_module.h"


typedef enum {
    NGX_HTTP_MADO_ROUTE_ALL = 0,
    NGX_HTTP_MADO_ROUTE_OFFICE,
    NGX_HTTP_MADO_ROUTE_HISTORY,
    NGX_HTTP_MADO_ROUTE_HISTORY_CSV,
    NGX_HTTP_MADO_ROUTE_FORECAST,
    NGX_HTTP_MADO_ROUTE_SUMMARY,
    NGX_HTTP_MADO_ROUTE_NOTICES
} ngx_http_mado_route_e;


#define NGX_HTTP_MADO_SEGMENTS_MAX  4


#if (NGX_DEBUG)
static const char *const  ngx_http_mado_routes[] = {
    "offices", "office", "history", "history.csv", "forecast", "summary",
    "notices"
};
#endif


static ngx_uint_t ngx_http_mado_route(ngx_http_request_t *r,
    ngx_http_mado_route_e *route, ngx_str_t *office, ngx_str_t *msg);


/* whole, so the header filter need not join a charset on every response */
static ngx_str_t  ngx_http_mado_json_type =
    ngx_string("application/json; charset=utf-8");
static ngx_str_t  ngx_http_mado_allow = ngx_string("Allow");
static ngx_str_t  ngx_http_mado_allow_value = ngx_string("GET, HEAD");
static ngx_str_t  ngx_http_mado_retry_after = ngx_string("Retry-After");
static ngx_str_t  ngx_http_mado_retry_value = ngx_string("5");


ngx_int_t
ngx_http_mado_api_handler(ngx_http_request_t *r)
{
    u_char                      text[512];
    ngx_int_t                   rc;
    ngx_str_t                   office, msg;
    ngx_uint_t                  status;
    ngx_http_mado_route_e       route;
    ngx_http_mado_doc_t        *doc;
    ngx_http_mado_office_t     *o;
    ngx_http_mado_loc_conf_t   *mlcf;
    ngx_http_mado_snapshot_t   *snap;
    ngx_http_mado_main_conf_t  *mmcf;

    if (ngx_http_mado_security_headers(r, NGX_HTTP_MADO_SEC_DATA) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_mado_add_header(r, &ngx_http_mado_allow,
                                     &ngx_http_mado_allow_value)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_send_error(r, NGX_HTTP_MADO_SEND_CORS,
                                        NGX_HTTP_NOT_ALLOWED,
                                        "method_not_allowed",
                                        "method %V is not allowed here; "
                                        "use GET or HEAD",
                                        &r->method_name);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    msg.data = text;
    msg.len = sizeof(text);
    ngx_str_null(&office);

    status = ngx_http_mado_route(r, &route, &office, &msg);

    if (status != NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado api: no route: %ui", status);

        return ngx_http_mado_send_error(r, NGX_HTTP_MADO_SEND_CORS, status,
                                        status == NGX_HTTP_NOT_FOUND
                                        ? "not_found" : "bad_request",
                                        "%V", &msg);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado api: route %s, office \"%V\"",
                   ngx_http_mado_routes[route], &office);

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);

    if (route != NGX_HTTP_MADO_ROUTE_ALL
        && route != NGX_HTTP_MADO_ROUTE_OFFICE
        && route != NGX_HTTP_MADO_ROUTE_SUMMARY
        && route != NGX_HTTP_MADO_ROUTE_NOTICES)
    {
        rc = ngx_http_mado_history_handler(r, &office,
                       route == NGX_HTTP_MADO_ROUTE_HISTORY_CSV
                       ? NGX_HTTP_MADO_HISTORY_CSV
                       : route == NGX_HTTP_MADO_ROUTE_FORECAST
                         ? NGX_HTTP_MADO_FORECAST : NGX_HTTP_MADO_HISTORY_JSON,
                       &status);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        if (status == NGX_HTTP_NOT_FOUND) {
            return ngx_http_mado_send_error(r, NGX_HTTP_MADO_SEND_CORS,
                                            status, "office_not_found",
                                            "no office with id \"%V\"",
                                            &office);
        }

        if (status == NGX_HTTP_BAD_REQUEST
            && route == NGX_HTTP_MADO_ROUTE_FORECAST)
        {
            return ngx_http_mado_send_error(r, NGX_HTTP_MADO_SEND_CORS,
                                            status, "bad_request",
                                            "weeks: must be a whole number "
                                            "1..%d", MADO_FORECAST_WEEKS_MAX);
        }

        if (status == NGX_HTTP_BAD_REQUEST) {
            return ngx_http_mado_send_error(r, NGX_HTTP_MADO_SEND_CORS,
                                            status, "bad_request",
                                            "date: must be a date as "
                                            "YYYY-MM-DD, not after today "
                                            "(Japan time)");
        }

        snap = NULL;

    } else {
        snap = ngx_http_mado_snapshot(r, mmcf);
    }

    if (snap == NULL) {
        if (ngx_http_mado_add_header(r, &ngx_http_mado_retry_after,
                                     &ngx_http_mado_retry_value)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_send_error(r, NGX_HTTP_MADO_SEND_CORS,
                                        NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "store_unavailable",
                                        "congestion figures are unavailable "
                                        "right now; please try again later");
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    if (route == NGX_HTTP_MADO_ROUTE_ALL) {
        return ngx_http_mado_send_doc(r, snap, &snap->all,
                                      &ngx_http_mado_json_type,
                                      &mlcf->cache_control,
                                      NGX_HTTP_MADO_SEND_CORS
                                      |NGX_HTTP_MADO_SEND_GZIP);
    }

    if (route == NGX_HTTP_MADO_ROUTE_SUMMARY) {
        doc = ngx_http_mado_summary(snap, mmcf->calendar, r->connection->log);
        if (doc == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_send_doc(r, snap, doc, &ngx_http_mado_json_type,
                                      &mlcf->cache_control,
                                      NGX_HTTP_MADO_SEND_CORS
                                      |NGX_HTTP_MADO_SEND_GZIP);
    }

    o = ngx_http_mado_snapshot_office(snap, &office);

    if (o != NULL && route == NGX_HTTP_MADO_ROUTE_NOTICES) {
        return ngx_http_mado_notices_handler(r, o, &mlcf->cache_control);
    }

    if (o != NULL) {
        return ngx_http_mado_send_doc(r, snap, &o->api,
                                      &ngx_http_mado_json_type,
                                      &mlcf->cache_control,
                                      NGX_HTTP_MADO_SEND_CORS
                                      |NGX_HTTP_MADO_SEND_GZIP);
    }

    return ngx_http_mado_send_error(r, NGX_HTTP_MADO_SEND_CORS,
                                    NGX_HTTP_NOT_FOUND, "office_not_found",
                                    "no office with id \"%V\"", &office);
}


/*
 * The path is taken relative to the location, so that "location /api/"
 * and "location /mado/api/" both serve ".../v1/offices".  Well-formed but
 * unknown paths are 404; malformed ones are 400.  On a refusal the status
 * is returned and msg says why.
 */
static ngx_uint_t
ngx_http_mado_route(ngx_http_request_t *r, ngx_http_mado_route_e *route,
    ngx_str_t *office, ngx_str_t *msg)
{
    u_char                    *p, *end, *s;
    ngx_str_t                  seg[NGX_HTTP_MADO_SEGMENTS_MAX];
    ngx_uint_t                 n;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    p = r->uri.data;
    end = r->uri.data + r->uri.len;

    if (!clcf->exact_match
#if (NGX_PCRE)
        && clcf->regex == NULL
#endif
        && r->uri.len >= clcf->name.len
        && ngx_strncmp(p, clcf->name.data, clcf->name.len) == 0)
    {
        p += clcf->name.len;
    }

    while (p < end && *p == '/') {
        p++;
    }

    /* a trailing slash names the same resource */
    if (end > p && end[-1] == '/') {
        end--;
    }

    n = 0;

    while (p < end) {
        if (n == NGX_HTTP_MADO_SEGMENTS_MAX) {
            msg->len = ngx_snprintf(msg->data, msg->len,
                                    "path \"%V\" has too many segments",
                                    &r->uri)
                       - msg->data;
            return NGX_HTTP_BAD_REQUEST;
        }

        s = p;

        while (p < end && *p != '/') {
            p++;
        }

        seg[n].data = s;
        seg[n].len = p - s;

        /* the one name with a dot: the CSV of a history */
        if (!mado_valid_id((char *) seg[n].data, seg[n].len)
            && !(n == 3 && seg[n].len == 11
                 && ngx_memcmp(seg[n].data, "history.csv", 11) == 0))
        {
            msg->len = ngx_snprintf(msg->data, msg->len,
                                    "path segment \"%V\" is not 1-%d of "
                                    "a-z 0-9 - _", &seg[n], MADO_ID_MAX)
                       - msg->data;
            return NGX_HTTP_BAD_REQUEST;
        }

        n++;
        p++;
    }

    if (n == 2
        && seg[0].len == 2 && ngx_memcmp(seg[0].data, "v1", 2) == 0
        && seg[1].len == 7 && ngx_memcmp(seg[1].data, "summary", 7) == 0)
    {
        *route = NGX_HTTP_MADO_ROUTE_SUMMARY;
        return NGX_OK;
    }

    if (n >= 2
        && seg[0].len == 2 && ngx_memcmp(seg[0].data, "v1", 2) == 0
        && seg[1].len == 7 && ngx_memcmp(seg[1].data, "offices", 7) == 0)
    {
        if (n == 2) {
            *route = NGX_HTTP_MADO_ROUTE_ALL;
            return NGX_OK;
        }

        if (n == 3) {
            *route = NGX_HTTP_MADO_ROUTE_OFFICE;
            *office = seg[2];
            return NGX_OK;
        }

        if (n == 4 && seg[3].len == 7
            && ngx_memcmp(seg[3].data, "history", 7) == 0)
        {
            *route = NGX_HTTP_MADO_ROUTE_HISTORY;
            *office = seg[2];
            return NGX_OK;
        }

        if (n == 4 && seg[3].len == 8
            && ngx_memcmp(seg[3].data, "forecast", 8) == 0)
        {
            *route = NGX_HTTP_MADO_ROUTE_FORECAST;
            *office = seg[2];
            return NGX_OK;
        }

        if (n == 4 && seg[3].len == 7
            && ngx_memcmp(seg[3].data, "notices", 7) == 0)
        {
            *route = NGX_HTTP_MADO_ROUTE_NOTICES;
            *office = seg[2];
            return NGX_OK;
        }

        if (n == 4 && seg[3].len == 11
            && ngx_memcmp(seg[3].data, "history.csv", 11) == 0)
        {
            *route = NGX_HTTP_MADO_ROUTE_HISTORY_CSV;
            *office = seg[2];
            return NGX_OK;
        }
    }

    msg->len = ngx_snprintf(msg->data, msg->len,
                            "no such resource: %V; see /api/v1/offices",
                            &r->uri)
               - msg->data;

    return NGX_HTTP_NOT_FOUND;
}
