
/*
 * mado: the history API (open data).
 *
 *     /api/v1/offices/{id}/history?date=YYYY-MM-DD       JSON
 *     /api/v1/offices/{id}/history.csv?date=YYYY-MM-DD   CSV, as is
 *                                                        Accept: text/csv
 *     /api/v1/offices/{id}/forecast?weeks=N              weekday x hour
 *
 * A day is read from the store per request (events and 5-minute samples
 * of one office and day: a few thousand records) and not cached here: a
 * past day never changes, so its answer carries a long max-age for the
 * caches in front, and today's the short one of the figures.
 */


#include "ngx_http_mado_module.h"


static ngx_int_t ngx_http_mado_history_date(ngx_http_request_t *r,
    time_t now, mado_date_t *date, ngx_uint_t *today);
static ngx_int_t ngx_http_mado_forecast_weeks(ngx_http_request_t *r,
    unsigned *weeks);


static ngx_str_t  ngx_http_mado_json_type =
    ngx_string("application/json; charset=utf-8");
static ngx_str_t  ngx_http_mado_csv_type =
    ngx_string("text/csv; charset=utf-8; header=present");
static ngx_str_t  ngx_http_mado_past_cache = ngx_string("public, max-age=86400");
static ngx_str_t  ngx_http_mado_forecast_cache =
    ngx_string("public, max-age=300");
static ngx_str_t  ngx_http_mado_vary = ngx_string("Vary");
static ngx_str_t  ngx_http_mado_vary_accept = ngx_string("Accept");


/* NGX_DECLINED and *status when it cannot answer; the caller says why */
ngx_int_t
ngx_http_mado_history_handler(ngx_http_request_t *r, ngx_str_t *office,
    ngx_http_mado_history_e kind, ngx_uint_t *status)
{
    char                       *text;
    size_t                      len;
    unsigned                    weeks;
    ngx_uint_t                  csv, forecast;
    mado_forecast_t            *fc;
    time_t                      now;
    MDB_txn                    *txn;
    ngx_int_t                   rc;
    ngx_uint_t                  today;
    mado_day_t                  day;
    mado_err_t                  err;
    mado_date_t                 date;
    const unsigned char        *buf;
    yajl_gen                    g;
    ngx_table_elt_t            *accept;
    mado_office_def_t           def;
    ngx_http_mado_doc_t         doc;
    ngx_http_mado_worker_t     *w;
    ngx_http_mado_loc_conf_t   *mlcf;
    ngx_http_mado_snapshot_t   *snap;
    ngx_http_mado_main_conf_t  *mmcf;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    /* the snapshot says whether the store is there and the office is */
    snap = ngx_http_mado_snapshot(r, mmcf);

    if (snap == NULL) {
        *status = NGX_HTTP_SERVICE_UNAVAILABLE;
        return NGX_DECLINED;
    }

    if (ngx_http_mado_snapshot_office(snap, office) == NULL) {
        *status = NGX_HTTP_NOT_FOUND;
        return NGX_DECLINED;
    }

    now = ngx_http_mado_now(mmcf);
    csv = (kind == NGX_HTTP_MADO_HISTORY_CSV);
    forecast = (kind == NGX_HTTP_MADO_FORECAST);
    weeks = 0;
    fc = NULL;

    if (forecast) {
        date = mado_local_date(now);
        today = 1;

        if (ngx_http_mado_forecast_weeks(r, &weeks) != NGX_OK) {
            *status = NGX_HTTP_BAD_REQUEST;
            return NGX_DECLINED;
        }

    } else if (ngx_http_mado_history_date(r, now, &date, &today) != NGX_OK) {
        *status = NGX_HTTP_BAD_REQUEST;
        return NGX_DECLINED;
    }

    /* Accept: text/csv chooses CSV too; caches must keep both apart */
    if (!forecast
        && ngx_http_mado_add_header(r, &ngx_http_mado_vary,
                                    &ngx_http_mado_vary_accept)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    accept = r->headers_in.accept;

    if (!csv && !forecast && accept != NULL
        && ngx_strlcasestrn(accept->value.data,
                            accept->value.data + accept->value.len,
                            (u_char *) "text/csv", 8 - 1)
           != NULL)
    {
        csv = 1;
    }

    w = mmcf->worker;

    if (ngx_http_mado_read_begin(r->connection->log, w, &txn, &err)
        != MADO_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "mado history: %s", err.text);
        *status = NGX_HTTP_SERVICE_UNAVAILABLE;
        return NGX_DECLINED;
    }

    ngx_memzero(&def, sizeof(mado_office_def_t));
    text = ngx_pnalloc(r->pool, office->len + 1);

    if (text == NULL) {
        mdb_txn_abort(txn);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(text, office->data, office->len);
    text[office->len] = '\0';

    if (mado_office_get(&w->store, txn, text, &def, &err) != MADO_OK) {
        mdb_txn_abort(txn);
        *status = NGX_HTTP_NOT_FOUND;
        return NGX_DECLINED;
    }

    if (forecast) {
        /* a few kilobytes too big for a worker's stack */
        fc = ngx_pcalloc(r->pool, sizeof(mado_forecast_t));
        if (fc == NULL) {
            mdb_txn_abort(txn);
            mado_office_free(&def);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = mado_forecast(&w->store, txn, &def, now, weeks, fc, &err);

    } else {
        rc = mado_history_day(&w->store, txn, &def, date, now, &day, &err);
    }

    mdb_txn_abort(txn);

    if (rc != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "mado history of %V: %s", office, err.text);

        if (forecast) {
            mado_forecast_free(fc);
        } else {
            mado_day_free(&day);
        }

        mado_office_free(&def);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = NGX_ERROR;

    if (forecast) {
        g = yajl_gen_alloc(NULL);

        if (g != NULL) {
            yajl_gen_config(g, yajl_gen_validate_utf8, 1);
            mado_forecast_json(g, &def, fc);

            if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
                rc = ngx_http_mado_doc_set(r->pool, &doc, (u_char *) buf,
                                           len);
            }

            yajl_gen_free(g);
        }

        mado_forecast_free(fc);
        mado_office_free(&def);

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_send_doc(r, NULL, &doc, &ngx_http_mado_json_type,
                                      &ngx_http_mado_forecast_cache,
                                      NGX_HTTP_MADO_SEND_CORS);
    }

    if (csv) {
        text = mado_day_csv(&day, &len);

        if (text != NULL) {
            rc = ngx_http_mado_doc_set(r->pool, &doc, (u_char *) text, len);
            free(text);
        }

    } else {
        g = yajl_gen_alloc(NULL);

        if (g != NULL) {
            yajl_gen_config(g, yajl_gen_validate_utf8, 1);
            mado_day_json(g, &def, &day);

            if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
                rc = ngx_http_mado_doc_set(r->pool, &doc, (u_char *) buf,
                                           len);
            }

            yajl_gen_free(g);
        }
    }

    mado_day_free(&day);
    mado_office_free(&def);

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send_doc(r, NULL, &doc,
                                  csv ? &ngx_http_mado_csv_type
                                      : &ngx_http_mado_json_type,
                                  today ? &mlcf->cache_control
                                        : &ngx_http_mado_past_cache,
                                  NGX_HTTP_MADO_SEND_CORS);
}


/* ?date=YYYY-MM-DD, default today (Japan); no later than today */
static ngx_int_t
ngx_http_mado_history_date(ngx_http_request_t *r, time_t now,
    mado_date_t *date, ngx_uint_t *today)
{
    char         buf[16];
    ngx_str_t    arg;
    mado_date_t  t;

    t = mado_local_date(now);

    if (ngx_http_arg(r, (u_char *) "date", 4, &arg) != NGX_OK) {
        *date = t;
        *today = 1;
        return NGX_OK;
    }

    if (arg.len != 10) {
        return NGX_ERROR;
    }

    ngx_memcpy(buf, arg.data, 10);
    buf[10] = '\0';

    *date = mado_date_parse(buf);

    if (*date < 0 || *date > t) {
        return NGX_ERROR;
    }

    *today = (*date == t);

    return NGX_OK;
}


/* ?weeks=N, 1..MADO_FORECAST_WEEKS_MAX, default 8 */
static ngx_int_t
ngx_http_mado_forecast_weeks(ngx_http_request_t *r, unsigned *weeks)
{
    ngx_int_t  n;
    ngx_str_t  arg;

    *weeks = 8;

    if (ngx_http_arg(r, (u_char *) "weeks", 5, &arg) != NGX_OK) {
        return NGX_OK;
    }

    n = ngx_atoi(arg.data, arg.len);

    if (n < 1 || n > MADO_FORECAST_WEEKS_MAX) {
        return NGX_ERROR;
    }

    *weeks = (unsigned) n;

    return NGX_OK;
}
