
/*
 * mado: what the office page shows of the history: the forecast of the
 * usual busy hours (weeks of samples: read once per office and local day
 * in each worker, and kept in the worker's own pool until the date
 * changes) and today's hours so far (one day: read at each render).
 */


#include "ngx_http_mado_module.h"


#define NGX_HTTP_MADO_TREND_WEEKS  8


typedef struct {
    ngx_str_t                  id;
    mado_forecast_t           *forecast;
} ngx_http_mado_trend_t;


/*
 * The office's forecast of today from the worker's cache, computed in txn
 * on the first demand of the day; NULL on failure (logged).
 */
mado_forecast_t *
ngx_http_mado_trends_forecast(ngx_http_mado_worker_t *w, MDB_txn *txn,
    ngx_http_mado_office_t *office, time_t now, ngx_log_t *log)
{
    ngx_int_t                 rc;
    ngx_uint_t                i;
    mado_err_t                err;
    mado_date_t               date;
    mado_forecast_t          *f;
    ngx_http_mado_trend_t    *t;

    date = mado_local_date(now);

    /* a new day: last weeks' figures moved on */
    if (w->trends_pool == NULL || w->trends_date != date) {
        if (w->trends_pool != NULL) {
            ngx_destroy_pool(w->trends_pool);
        }

        /* the cycle's log: the pool outlives the request */
        w->trends_pool = ngx_create_pool(16384, ngx_cycle->log);
        if (w->trends_pool == NULL) {
            return NULL;
        }

        if (ngx_array_init(&w->trends, w->trends_pool, 16,
                           sizeof(ngx_http_mado_trend_t))
            != NGX_OK)
        {
            ngx_destroy_pool(w->trends_pool);
            w->trends_pool = NULL;
            return NULL;
        }

        w->trends_date = date;
    }

    t = w->trends.elts;

    for (i = 0; i < w->trends.nelts; i++) {
        if (t[i].id.len == office->id.len
            && ngx_strncmp(t[i].id.data, office->id.data, office->id.len)
               == 0)
        {
            return t[i].forecast;
        }
    }

    f = ngx_palloc(w->trends_pool, sizeof(mado_forecast_t));
    if (f == NULL) {
        return NULL;
    }

    rc = mado_forecast(&w->store, txn, &office->def, now,
                       NGX_HTTP_MADO_TREND_WEEKS, f, &err);

    /* today changes with every write: read afresh by who needs it */
    mado_forecast_free(f);

    if (rc != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado forecast of %V: %s",
                      &office->id, err.text);
        return NULL;
    }

    t = ngx_array_push(&w->trends);
    if (t == NULL) {
        return NULL;
    }

    t->id.data = ngx_pstrdup(w->trends_pool, &office->id);
    t->id.len = office->id.len;
    t->forecast = f;

    if (t->id.data == NULL) {
        w->trends.nelts--;
        return NULL;
    }

    return f;
}


ngx_int_t
ngx_http_mado_trends_get(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_office_t *office, time_t now, ngx_log_t *log,
    mado_forecast_t **forecast, mado_day_t *today)
{
    MDB_txn                  *txn;
    ngx_int_t                 rc;
    mado_err_t                err;
    mado_forecast_t          *f;
    ngx_http_mado_worker_t   *w;

    w = mmcf->worker;

    if (w == NULL || !w->opened || !w->store.history) {
        return NGX_DECLINED;
    }

    if (ngx_http_mado_read_begin(log, w, &txn, &err) != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado trends: %s", err.text);
        return NGX_ERROR;
    }

    f = ngx_http_mado_trends_forecast(w, txn, office, now, log);

    if (f == NULL) {
        mdb_txn_abort(txn);
        return NGX_ERROR;
    }

    rc = mado_history_day(&w->store, txn, &office->def, mado_local_date(now),
                          now, today, &err);
    mdb_txn_abort(txn);

    if (rc != MADO_OK) {
        mado_day_free(today);
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado history of %V: %s",
                      &office->id, err.text);
        return NGX_ERROR;
    }

    *forecast = f;

    return NGX_OK;
}
