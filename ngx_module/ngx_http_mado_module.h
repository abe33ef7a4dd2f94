
/*
 * mado: counter congestion for citizens, served straight from LMDB.
 */


#ifndef _NGX_HTTP_MADO_MODULE_H_INCLUDED_
#define _NGX_HTTP_MADO_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "mado_store.h"
#include "ngx_http_mado_messages.h"


/* one ready-to-send representation: body bytes and their strong ETag */
typedef struct {
    ngx_str_t                  body;
    ngx_str_t                  etag;
    ngx_str_t                  gzip;        /* made on first demand */
    ngx_str_t                  gzip_etag;
} ngx_http_mado_doc_t;


typedef enum {
    NGX_HTTP_MADO_PAGE_OFFICE = 0,
    NGX_HTTP_MADO_PAGE_SIGNAGE,
    NGX_HTTP_MADO_PAGE_EMBED,
    NGX_HTTP_MADO_PAGE_QR,
    NGX_HTTP_MADO_NPAGES
} ngx_http_mado_page_e;


/* one office as read in one transaction */
typedef struct {
    ngx_str_t                  id;
    mado_office_def_t          def;         /* freed with the snapshot */
    mado_counter_state_t      *states;      /* [def.ncounters] */
    u_char                    *stale;       /* [def.ncounters] */
    u_char                    *alerts;      /* [def.ncounters] MADO_ALERT_ */
    mado_best_time_t          *best;        /* [def.ncounters], once per
                                               snapshot (ngx_http_mado_visit.c) */
    ngx_uint_t                 any_stale;
    ngx_http_mado_doc_t        api;
    size_t                     tail_len;    /* of api.body after the office */
    /* [site][page][lang], on first demand (ngx_http_mado_page_slot) */
    ngx_http_mado_doc_t      **pages;
} ngx_http_mado_office_t;


/*
 * The parsed office definitions, shared by the snapshots that use them:
 * they change only with "madoctl load", and parsing them was most of a
 * snapshot's cost.  Freed when the last snapshot lets go of a replaced
 * set.
 */
typedef struct {
    ngx_uint_t                 refs;
    ngx_uint_t                 n;
    struct {
        u_char                *raw;        /* the stored JSON it came from */
        size_t                 len;
        mado_office_def_t      def;
    }                          office[MADO_OFFICES_MAX];
} ngx_http_mado_defs_t;


/*
 * Everything read in one store transaction and what is rendered from it.
 * Requests point into its pool without copying, so it lives until the last
 * of them is finalized.  Pages are rendered on first demand.
 */
typedef struct {
    ngx_pool_t                *pool;
    ngx_uint_t                 refs;
    size_t                     txnid;
    time_t                     now;         /* the minute it was rendered at */
    time_t                     expires;     /* re-render: staleness or clock */
    ngx_uint_t                 any_stale;
    ngx_http_mado_doc_t        all;
    ngx_http_mado_doc_t        summary;     /* /api/v1/summary, on demand */
    ngx_http_mado_doc_t      **index;       /* [site][lang], on demand */
    ngx_array_t                offices;     /* of ngx_http_mado_office_t */
    ngx_http_mado_defs_t      *defs;        /* office[].def points here */
} ngx_http_mado_snapshot_t;


/* per-worker state: lives in the worker's cycle pool, never in the master */
typedef struct {
    mado_store_t               store;
    ngx_uint_t                 opened;
    ngx_uint_t                 failing;     /* a failure is logged */
    time_t                     checked;
    ino_t                      ino;
    dev_t                      dev;
    ngx_http_mado_snapshot_t  *snapshot;
    ngx_http_mado_defs_t      *defs;        /* the current definitions */
    u_char                     reason[512];
    ngx_uint_t                 busy;        /* admin tasks using store */
    ngx_uint_t                 resized;     /* a grown map waits for
                                               busy == 0 to be adopted */
    ngx_uint_t                 retired;     /* a restore retired the
                                               store: reopen at busy == 0 */
    /* updates commit with one flush; a thread flushes the rest soon */
    ngx_event_t                sync_event;
    ngx_thread_task_t         *sync_task;
    ngx_thread_pool_t         *sync_pool;
    ngx_uint_t                 syncing;
    ngx_uint_t                 sync_again;
    ngx_pool_t                *trends_pool;     /* forecasts of today */
    mado_date_t                trends_date;
    ngx_array_t                trends;
    /* logins: in threads (at most mado_login_threads), and waiting for
       one (ngx_http_mado_login.c) */
    ngx_queue_t                logins_running;
    ngx_queue_t                logins_waiting;
    ngx_uint_t                 nlogins_running;
    ngx_uint_t                 nlogins_waiting;
    /* the master is being replaced (binary upgrade): no more keep-alive,
       so that its QUIT finds no connection a client would send on */
    ngx_uint_t                 replaced;
    time_t                     replaced_checked;
} ngx_http_mado_worker_t;


/*
 * What every worker counts, in the shared zone "mado_metrics"
 * (ngx_http_mado_metrics.c): requests by location kind and status, and
 * events by NGX_HTTP_MADO_STAT_*.
 */
#define NGX_HTTP_MADO_NROUTES      7        /* ngx_http_mado_loc_e */
#define NGX_HTTP_MADO_NCODES       32       /* 26 statuses, 5 classes, 0 */

typedef enum {
    NGX_HTTP_MADO_STAT_RENDERS = 0,
    NGX_HTTP_MADO_STAT_LOGINS,
    NGX_HTTP_MADO_STAT_LOGIN_FAILURES,
    NGX_HTTP_MADO_STAT_LOCKOUTS,
    NGX_HTTP_MADO_STAT_HELD,
    NGX_HTTP_MADO_NSTATS
} ngx_http_mado_stat_e;

typedef struct {
    ngx_atomic_t               requests[NGX_HTTP_MADO_NROUTES]
                                       [NGX_HTTP_MADO_NCODES];
    ngx_atomic_t               count[NGX_HTTP_MADO_NSTATS];
    time_t                     started;
} ngx_http_mado_stats_t;


/* a static asset (mado.css, mado.js) kept in memory with its hashed name */
typedef struct {
    ngx_str_t                  name;        /* "mado.css" */
    ngx_str_t                  url;         /* "/assets/mado.0123abcd.css" */
    ngx_str_t                  type;
    ngx_http_mado_doc_t        doc;
} ngx_http_mado_asset_t;


typedef struct {
    ngx_str_t                  store;
    time_t                     stale_after;

    ngx_str_t                  messages;    /* directory of catalogs */
    ngx_str_t                 *catalog[MADO_NLANG];   /* [NGX_HTTP_MADO_NMSG] */
    ngx_str_t                  i18n_json[MADO_NLANG]; /* catalog for scripts */

    ngx_str_t                  assets;      /* directory of mado.css, .js */
    ngx_http_mado_asset_t      css;
    ngx_http_mado_asset_t      js;
    ngx_flag_t                 staff;       /* a mado_staff location: load
                                               staff.css, staff.js too */
    ngx_http_mado_asset_t      staff_css;
    ngx_http_mado_asset_t      staff_js;

    ngx_flag_t                 calendar;    /* status follows the calendar */
    ngx_flag_t                 admin;       /* a mado_admin location: the
                                               workers open the store rw */
    ngx_str_t                  audit_key_file;
    unsigned char              audit_key[MADO_AUDIT_KEY_LEN];
    ngx_fd_t                   audit_anchor;    /* opened by the master */
    ngx_uint_t                 login_threads;   /* mado_login_threads */
    ngx_uint_t                 login_queue;
    time_t                     clock_offset;    /* MADO_NOW, for tests */

    /* locations with a mado handler, checked once the http block is read */
    ngx_array_t                locations;   /* of ngx_http_mado_loc_conf_t * */
    /* what pages differ in between servers or locations; each page is
       rendered once per snapshot for each */
    ngx_array_t                sites;       /* of ngx_http_mado_site_t */

    ngx_shm_zone_t            *stats_zone;
    ngx_http_mado_stats_t     *stats;       /* in stats_zone */

    ngx_http_mado_worker_t    *worker;
} ngx_http_mado_main_conf_t;


/* what the citizen pages say that may differ per server or location */
typedef struct {
    ngx_str_t                  public_url;  /* no trailing "/" */
    time_t                     refresh;
} ngx_http_mado_site_t;


/* what a location's content handler is */
typedef enum {
    NGX_HTTP_MADO_LOC_NONE = 0,
    NGX_HTTP_MADO_LOC_API,
    NGX_HTTP_MADO_LOC_PAGES,
    NGX_HTTP_MADO_LOC_ADMIN,
    NGX_HTTP_MADO_LOC_STAFF,
    NGX_HTTP_MADO_LOC_HEALTH,
    NGX_HTTP_MADO_LOC_METRICS
} ngx_http_mado_loc_e;


typedef struct {
    /*
     * a location with a mado handler: its kind, name and server, and where
     * the directive was, so that what it lacks is named once all of the
     * http block is read, whatever the order of the directives
     */
    ngx_uint_t                 kind;            /* ngx_http_mado_loc_e */
    ngx_str_t                  name;
    void                     **srv_conf;
    u_char                    *conf_file;
    ngx_uint_t                 conf_line;

    ngx_str_t                  public_url;
    time_t                     refresh;
    ngx_uint_t                 site;            /* mado_pages: in sites */

    time_t                     max_age;
    ngx_str_t                  cache_control;   /* made once from max_age */
    ngx_thread_pool_t         *thread_pool;     /* mado_admin */
    ngx_flag_t                 admin_insecure;  /* mado_admin without TLS */
    ngx_str_t                  staff_api;       /* the update API's path */
    ngx_http_mado_doc_t       *staff_page;      /* rendered when merged */
    ngx_http_mado_doc_t       *staff_icon;

    /* mado_embed_ancestors: the sites that may frame /embed/{office} */
    ngx_array_t               *embed_ancestors; /* of ngx_str_t, as CSP */
    ngx_str_t                  embed_csp;       /* made when merged */
    ngx_str_t                  embed_xfo;       /* X-Frame-Options, or "" */
} ngx_http_mado_loc_conf_t;


/*
 * The citizen pages' Content-Security-Policy: the script and styles are
 * files of our own origin (data in a JSON block, never inline script),
 * the figures come from our own API; frame-ancestors is added, 'none'
 * except for the embed widget (mado_embed_ancestors).
 */
#define NGX_HTTP_MADO_PAGE_CSP                                                \
    "default-src 'none'; script-src 'self'; style-src 'self'; "               \
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "          \
    "base-uri 'none'; frame-ancestors "

/* what a response is, for its security headers */
typedef enum {
    NGX_HTTP_MADO_SEC_ASSET = 0,    /* CSS, JS: nosniff */
    NGX_HTTP_MADO_SEC_PAGE,         /* HTML: the CSP, never framed */
    NGX_HTTP_MADO_SEC_EMBED,        /* the widget: mado_embed_ancestors */
    NGX_HTTP_MADO_SEC_DATA          /* JSON, CSV, SVG: nothing runs */
} ngx_http_mado_sec_e;


extern ngx_module_t  ngx_http_mado_module;


#define ngx_http_mado_now(mmcf)  (ngx_time() + (mmcf)->clock_offset)


/* ngx_http_mado_module.c */
ngx_int_t ngx_http_mado_conf_read(ngx_conf_t *cf, const char *directive,
    ngx_str_t *path, size_t max, ngx_str_t *text);

/* ngx_http_mado_store.c */
ngx_int_t ngx_http_mado_store_init(ngx_cycle_t *cycle,
    ngx_http_mado_main_conf_t *mmcf);
void ngx_http_mado_store_done(ngx_http_mado_main_conf_t *mmcf);
int ngx_http_mado_read_begin(ngx_log_t *log, ngx_http_mado_worker_t *w,
    MDB_txn **txn, mado_err_t *err);
ngx_int_t ngx_http_mado_store_adopt(ngx_log_t *log,
    ngx_http_mado_worker_t *w, ngx_uint_t grow);
ngx_int_t ngx_http_mado_store_retired(ngx_log_t *log,
    ngx_http_mado_main_conf_t *mmcf);
void ngx_http_mado_store_sync_later(ngx_http_mado_worker_t *w,
    ngx_thread_pool_t *pool);
ngx_http_mado_snapshot_t *ngx_http_mado_snapshot(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf);
ngx_int_t ngx_http_mado_snapshot_hold(ngx_http_request_t *r,
    ngx_http_mado_snapshot_t *snap);
void ngx_http_mado_snapshot_release(ngx_http_mado_snapshot_t *snap);
ngx_http_mado_doc_t **ngx_http_mado_page_slot(ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_office_t *office, ngx_uint_t nsites, ngx_uint_t site,
    ngx_http_mado_page_e page, mado_lang_e lang);
ngx_http_mado_office_t *ngx_http_mado_snapshot_office(
    ngx_http_mado_snapshot_t *snap, ngx_str_t *id);

/* ngx_http_mado_render.c: JSON */
void ngx_http_mado_defs_release(ngx_http_mado_defs_t *defs);
ngx_int_t ngx_http_mado_render(ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_snapshot_t *prev,
    ngx_http_mado_defs_t **cache,
    mado_store_t *store, MDB_txn *txn, time_t now, time_t stale_after,
    ngx_flag_t calendar, ngx_log_t *log, u_char *reason, size_t reason_len);
ngx_int_t ngx_http_mado_doc_set(ngx_pool_t *pool, ngx_http_mado_doc_t *doc,
    u_char *data, size_t len);
ngx_int_t ngx_http_mado_doc_gzip(ngx_pool_t *pool, ngx_http_mado_doc_t *doc,
    ngx_log_t *log);

/* ngx_http_mado_summary.c: what the index shows */
ngx_http_mado_doc_t *ngx_http_mado_summary(ngx_http_mado_snapshot_t *snap,
    ngx_flag_t calendar, ngx_log_t *log);
ngx_int_t ngx_http_mado_office_longest(ngx_http_mado_office_t *office,
    int64_t *low, int64_t *high);
ngx_uint_t ngx_http_mado_office_waiting(ngx_http_mado_office_t *office);
/* ngx_http_mado_visit.c: planning a visit, per snapshot */
void ngx_http_mado_visit_best(ngx_http_mado_snapshot_t *snap,
    mado_store_t *store, MDB_txn *txn, ngx_log_t *log);
void ngx_http_mado_visit_json(yajl_gen g, ngx_http_mado_office_t *office,
    ngx_uint_t i);
void ngx_http_mado_visit_office_json(yajl_gen g,
    ngx_http_mado_office_t *office, time_t now);

/* ngx_http_mado_api.c */
ngx_int_t ngx_http_mado_api_handler(ngx_http_request_t *r);

/* ngx_http_mado_notices.c: an office's preset staff notices */
ngx_int_t ngx_http_mado_notices_handler(ngx_http_request_t *r,
    ngx_http_mado_office_t *office, ngx_str_t *cache_control);

/* ngx_http_mado_response.c */
ngx_int_t ngx_http_mado_send_doc(ngx_http_request_t *r,
    ngx_http_mado_snapshot_t *snap, ngx_http_mado_doc_t *doc,
    ngx_str_t *type, ngx_str_t *cache_control, ngx_uint_t flags);
ngx_int_t ngx_http_mado_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body);
ngx_int_t ngx_http_mado_send_error(ngx_http_request_t *r, ngx_uint_t flags,
    ngx_uint_t status, const char *code, const char *fmt, ...);
size_t ngx_http_mado_json_error(u_char *buf, size_t size, ngx_uint_t status,
    const char *code, u_char *msg, size_t len);
/* GET or HEAD only (405 with Allow otherwise), the request body discarded */
ngx_int_t ngx_http_mado_read_only(ngx_http_request_t *r);
ngx_int_t ngx_http_mado_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value);
ngx_int_t ngx_http_mado_security_headers(ngx_http_request_t *r,
    ngx_http_mado_sec_e kind);
ngx_int_t ngx_http_mado_header_filter_init(ngx_conf_t *cf);
ngx_table_elt_t *ngx_http_mado_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_table_elt_t *after);
ngx_int_t ngx_http_mado_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value);

/* enough for ngx_http_mado_json_error(): a code of up to 64 bytes and a
   message of len (each byte escaped takes at most 6) */
#define NGX_HTTP_MADO_JSON_ERROR_LEN(len)                                     \
    (sizeof("{\"error\":\"\",\"message\":\"\",\"status\":999}\n") + 64        \
     + 6 * (len))

#define NGX_HTTP_MADO_SEND_GZIP   0x01      /* the doc may go gzipped */
#define NGX_HTTP_MADO_SEND_CORS   0x02

/* ngx_http_mado_history.c */
typedef enum {
    NGX_HTTP_MADO_HISTORY_JSON = 0,
    NGX_HTTP_MADO_HISTORY_CSV,
    NGX_HTTP_MADO_FORECAST
} ngx_http_mado_history_e;

ngx_int_t ngx_http_mado_history_handler(ngx_http_request_t *r,
    ngx_str_t *office, ngx_http_mado_history_e kind, ngx_uint_t *status);

/* ngx_http_mado_admin.c (its parts share ngx_http_mado_admin.h) */
ngx_int_t ngx_http_mado_admin_handler(ngx_http_request_t *r);

/* ngx_http_mado_trends.c */
ngx_int_t ngx_http_mado_trends_get(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_office_t *office, time_t now, ngx_log_t *log,
    mado_forecast_t **forecast, mado_day_t *today);
mado_forecast_t *ngx_http_mado_trends_forecast(ngx_http_mado_worker_t *w,
    MDB_txn *txn, ngx_http_mado_office_t *office, time_t now, ngx_log_t *log);

/* ngx_http_mado_i18n.c */
char *ngx_http_mado_messages_load(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf);
mado_lang_e ngx_http_mado_lang(ngx_http_request_t *r, ngx_uint_t *explicit);
const char *ngx_http_mado_lang_tag(mado_lang_e lang);

/* ngx_http_mado_html.c (its writer and parts: ngx_http_mado_html.h) */
ngx_int_t ngx_http_mado_render_page(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_site_t *site, ngx_http_mado_snapshot_t *snap, ngx_http_mado_office_t *office,
    ngx_http_mado_page_e page, mado_lang_e lang, ngx_log_t *log,
    ngx_http_mado_doc_t **out);
ngx_int_t ngx_http_mado_render_index(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_site_t *site, ngx_http_mado_snapshot_t *snap, mado_lang_e lang, ngx_log_t *log,
    ngx_http_mado_doc_t **out);
ngx_int_t ngx_http_mado_render_message_page(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, mado_lang_e lang, ngx_uint_t status,
    ngx_str_t *out);

/* ngx_http_mado_staff.c */
ngx_int_t ngx_http_mado_staff_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_mado_staff_page(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf, ngx_http_mado_loc_conf_t *mlcf);

/* ngx_http_mado_metrics.c */
char *ngx_http_mado_metrics_zone(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf);
ngx_int_t ngx_http_mado_metrics_init(ngx_conf_t *cf);
void ngx_http_mado_stat_add(ngx_http_mado_stats_t *stats, ngx_uint_t which);
ngx_int_t ngx_http_mado_metrics_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_mado_health_handler(ngx_http_request_t *r);

/* ngx_http_mado_pages.c */
ngx_int_t ngx_http_mado_pages_handler(ngx_http_request_t *r);
char *ngx_http_mado_assets_load(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf);


#endif /* _NGX_HTTP_MADO_MODULE_H_INCLUDED_ */
