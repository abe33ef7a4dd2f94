
/*
 * mado: counter congestion for citizens, served straight from LMDB.
 */


#ifndef _NGX_HTTP_MADO_MODULE_H_INCLUDED_
#define _NGX_HTTP_MADO_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "mado_store.h"


/* one ready-to-send representation: body bytes and their strong ETag */
typedef struct {
    ngx_str_t                  id;
    ngx_str_t                  body;
    ngx_str_t                  etag;
} ngx_http_mado_doc_t;


/*
 * Everything rendered from one store transaction.  Requests point into its
 * pool without copying, so it lives until the last of them is finalized.
 */
typedef struct {
    ngx_pool_t                *pool;
    ngx_uint_t                 refs;
    size_t                     txnid;
    time_t                     expires;     /* re-render: staleness or clock */
    ngx_http_mado_doc_t        all;
    ngx_array_t                offices;     /* of ngx_http_mado_doc_t */
} ngx_http_mado_snapshot_t;


/* per-worker state: lives in the worker's cycle pool, never in the master */
typedef struct {
    mado_store_t               store;
    ngx_uint_t                 opened;      /* unsigned flags */
    ngx_uint_t                 failing;     /* a failure is logged */
    time_t                     checked;
    ino_t                      ino;
    dev_t                      dev;
    ngx_http_mado_snapshot_t  *snapshot;
    u_char                     reason[512];
} ngx_http_mado_worker_t;


typedef struct {
    ngx_str_t                  store;
    time_t                     stale_after;
    ngx_http_mado_worker_t    *worker;
} ngx_http_mado_main_conf_t;


typedef struct {
    time_t                     max_age;
    ngx_str_t                  cache_control;   /* made once from max_age */
} ngx_http_mado_loc_conf_t;


extern ngx_module_t  ngx_http_mado_module;


/* ngx_http_mado_store.c */
ngx_int_t ngx_http_mado_store_init(ngx_cycle_t *cycle,
    ngx_http_mado_main_conf_t *mmcf);
void ngx_http_mado_store_done(ngx_http_mado_main_conf_t *mmcf);
ngx_http_mado_snapshot_t *ngx_http_mado_snapshot(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf);
ngx_int_t ngx_http_mado_snapshot_hold(ngx_http_request_t *r,
    ngx_http_mado_snapshot_t *snap);
void ngx_http_mado_snapshot_release(ngx_http_mado_snapshot_t *snap);

/* ngx_http_mado_render.c */
ngx_int_t ngx_http_mado_render(ngx_http_mado_snapshot_t *snap,
    mado_store_t *store, MDB_txn *txn, time_t now, time_t stale_after,
    ngx_log_t *log, u_char *reason, size_t reason_len);
ngx_int_t ngx_http_mado_render_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, ngx_str_t *message, ngx_str_t *out);

/* ngx_http_mado_api.c */
ngx_int_t ngx_http_mado_api_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_MADO_MODULE_H_INCLUDED_ */
