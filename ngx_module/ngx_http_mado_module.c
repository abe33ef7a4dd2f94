
/*
 * mado: the module definition, its directives and configuration.
 *
 *     load_module modules/ngx_http_mado_module.so;
 *     http {
 *         mado_store        /var/lib/mado;
 *         mado_stale_after  15m;
 *         mado_messages     /etc/mado/i18n;
 *         mado_assets       /usr/share/mado/assets;
 *         mado_public_url   https://mado.example.jp;
 *         mado_refresh      30s;
 *         mado_audit_key    /etc/mado/audit.key;     # for mado_admin
 *         server {
 *             location /api/v1/admin/ { mado_admin; }   # before /api/
 *                               # over TLS; mado_admin_insecure on: loopback
 *             location /staff/ { mado_staff /api/v1/admin/; }
 *             location /api/ { mado_api; mado_max_age 5s; }
 *             location /     { mado_pages; }
 *             location = /healthz { allow 127.0.0.1; deny all; mado_health; }
 *             location = /metrics { allow 127.0.0.1; deny all; mado_metrics; }
 *         }
 *     }
 */


#include "ngx_http_mado_module.h"


static void *ngx_http_mado_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_mado_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_mado_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mado_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_mado_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_pages(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_admin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_staff(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_health(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_mado_postconfiguration(ngx_conf_t *cf);
static char *ngx_http_mado_login_threads(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_store(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_check_stale_after(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_mado_check_refresh(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_mado_public_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mado_embed_ancestors(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mado_embed_merge(ngx_conf_t *cf,
    ngx_http_mado_loc_conf_t *prev, ngx_http_mado_loc_conf_t *conf);
static char *ngx_http_mado_set_handler(ngx_conf_t *cf,
    ngx_http_mado_loc_conf_t *mlcf, ngx_uint_t kind,
    ngx_http_handler_pt handler);
static char *ngx_http_mado_check_locations(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf);
static ngx_uint_t ngx_http_mado_admin_at(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_loc_conf_t *staff);
static void ngx_http_mado_loc_error(ngx_conf_t *cf,
    ngx_http_mado_loc_conf_t *l, const char *need, ngx_str_t *arg);
static char *ngx_http_mado_site(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf, ngx_http_mado_loc_conf_t *mlcf);
static char *ngx_http_mado_anchor_open(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf);
static void ngx_http_mado_anchor_close(void *data);
static ngx_int_t ngx_http_mado_init_process(ngx_cycle_t *cycle);
static void ngx_http_mado_exit_process(ngx_cycle_t *cycle);


/* what pages need: the catalogs and assets (http), a public URL (any level) */
#define NGX_HTTP_MADO_PAGES_NEED                                              \
    "requires \"mado_messages\", \"mado_assets\" and \"mado_public_url\""


static ngx_conf_post_handler_pt  ngx_http_mado_stale_after_post =
    ngx_http_mado_check_stale_after;
static ngx_conf_post_handler_pt  ngx_http_mado_refresh_post =
    ngx_http_mado_check_refresh;


static ngx_command_t  ngx_http_mado_commands[] = {

    { ngx_string("mado_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_mado_store,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mado_main_conf_t, store),
      NULL },

    { ngx_string("mado_stale_after"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mado_main_conf_t, stale_after),
      &ngx_http_mado_stale_after_post },

    { ngx_string("mado_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mado_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mado_messages"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mado_main_conf_t, messages),
      NULL },

    { ngx_string("mado_assets"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mado_main_conf_t, assets),
      NULL },

    { ngx_string("mado_public_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_mado_public_url,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mado_loc_conf_t, public_url),
      NULL },

    { ngx_string("mado_refresh"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mado_loc_conf_t, refresh),
      &ngx_http_mado_refresh_post },

    { ngx_string("mado_calendar"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mado_main_conf_t, calendar),
      NULL },

    { ngx_string("mado_audit_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mado_main_conf_t, audit_key_file),
      NULL },

    { ngx_string("mado_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_mado_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mado_admin_insecure"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mado_loc_conf_t, admin_insecure),
      NULL },

    { ngx_string("mado_login_threads"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_mado_login_threads,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mado_staff"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_mado_staff,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mado_pages"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mado_pages,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mado_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mado_loc_conf_t, max_age),
      NULL },

    { ngx_string("mado_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mado_health,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mado_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mado_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mado_embed_ancestors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_mado_embed_ancestors,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mado_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_mado_postconfiguration,       /* postconfiguration */

    ngx_http_mado_create_main_conf,        /* create main configuration */
    ngx_http_mado_init_main_conf,          /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_mado_create_loc_conf,         /* create location configuration */
    ngx_http_mado_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_mado_module = {
    NGX_MODULE_V1,
    &ngx_http_mado_module_ctx,             /* module context */
    ngx_http_mado_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_mado_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_mado_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the header filter (security headers) and the requests' count */
static ngx_int_t
ngx_http_mado_postconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_mado_header_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_mado_metrics_init(cf);
}


static void *
ngx_http_mado_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_mado_main_conf_t  *mmcf;

    mmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mado_main_conf_t));
    if (mmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mmcf->store = { 0, NULL };
     *     mmcf->worker = NULL;
     */

    mmcf->stale_after = NGX_CONF_UNSET;
    mmcf->calendar = NGX_CONF_UNSET;
    mmcf->login_threads = NGX_CONF_UNSET_UINT;
    mmcf->login_queue = NGX_CONF_UNSET_UINT;

    if (ngx_array_init(&mmcf->locations, cf->pool, 4,
                       sizeof(ngx_http_mado_loc_conf_t *))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mmcf->sites, cf->pool, 1,
                       sizeof(ngx_http_mado_site_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mmcf;
}


/*
 * Runs once the whole http block is read: directives may come in any
 * order, so what they need from each other is checked here, not where
 * they appear.
 */
static char *
ngx_http_mado_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_mado_main_conf_t *mmcf = conf;

    mado_err_t  err;

    ngx_conf_init_value(mmcf->stale_after, 15 * 60);
    ngx_conf_init_value(mmcf->calendar, 1);
    ngx_conf_init_uint_value(mmcf->login_threads, 1);
    ngx_conf_init_uint_value(mmcf->login_queue, 64);

    if (ngx_http_mado_check_locations(cf, mmcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (mmcf->store.len
        && ngx_http_mado_metrics_zone(cf, mmcf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (mmcf->messages.len) {
        if (ngx_conf_full_name(cf->cycle, &mmcf->messages, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_mado_messages_load(cf, mmcf) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (mmcf->assets.len) {
        if (ngx_conf_full_name(cf->cycle, &mmcf->assets, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_mado_assets_load(cf, mmcf) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (mmcf->admin) {
        if (ngx_conf_full_name(cf->cycle, &mmcf->audit_key_file, 1)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        /* read by the master (root) here; workers keep it in memory */
        if (mado_audit_key_load((char *) mmcf->audit_key_file.data,
                                mmcf->audit_key, &err)
            != MADO_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err.text);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_mado_anchor_open(cf, mmcf) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * The audit trail's anchor beside the key (lmdb_store/mado_audit.c has
 * why), opened here by the master (root) before the workers fork: they
 * move it after each update through this descriptor, while the store's
 * group (the workers' user) can neither open nor replace the file.
 */
static char *
ngx_http_mado_anchor_open(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf)
{
    int                  rc, fd;
    char                 path[NGX_MAX_PATH];
    mado_err_t           err;
    ngx_pool_cleanup_t  *cln;

    if (mado_anchor_path((char *) mmcf->audit_key_file.data, path,
                         sizeof(path))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "mado_audit_key: the path "
                           "is too long");
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    rc = mado_anchor_open(path, MADO_ANCHOR_WRITE, NULL, &fd, &err);

    if (rc != MADO_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s%s", err.text,
                           rc == MADO_ENOTFOUND
                           ? " (the audit trail's anchor: after an upgrade, "
                             "make it once with \"madoctl audit anchor\")"
                           : "");
        return NGX_CONF_ERROR;
    }

    /* closed with the configuration: a reload opens the file again */
    mmcf->audit_anchor = fd;
    cln->handler = ngx_http_mado_anchor_close;
    cln->data = mmcf;

    return NGX_CONF_OK;
}


static void
ngx_http_mado_anchor_close(void *data)
{
    ngx_http_mado_main_conf_t  *mmcf = data;

    (void) close(mmcf->audit_anchor);
}


/*
 * What each mado location needs, named with the file and line of its
 * directive: ngx_conf_log_error() would point at the end of the http block.
 */
static char *
ngx_http_mado_check_locations(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf)
{
    const char                 *need;
    ngx_uint_t                  i;
    ngx_http_mado_loc_conf_t  **loc, *l;

    loc = mmcf->locations.elts;

    for (i = 0; i < mmcf->locations.nelts; i++) {
        l = loc[i];

        if (mmcf->store.len == 0) {
            need = "requires \"mado_store\" in \"http\"";

        } else if (l->kind == NGX_HTTP_MADO_LOC_PAGES
                   && (mmcf->messages.len == 0 || mmcf->assets.len == 0))
        {
            /* and the public URL, checked when the location is merged */
            need = NGX_HTTP_MADO_PAGES_NEED;

        } else if (l->kind == NGX_HTTP_MADO_LOC_STAFF
                   && (mmcf->messages.len == 0 || mmcf->assets.len == 0))
        {
            need = "requires \"mado_messages\" and \"mado_assets\" in "
                   "\"http\"";

        } else if (l->kind == NGX_HTTP_MADO_LOC_ADMIN
                   && mmcf->audit_key_file.len == 0)
        {
            /* every write is audited: no key, no writes */
            need = "requires \"mado_audit_key\" in \"http\"";

        } else if (l->kind == NGX_HTTP_MADO_LOC_STAFF
                   && !ngx_http_mado_admin_at(mmcf, l))
        {
            /* the panel's page calls the update API at that path */
            ngx_http_mado_loc_error(cf, l, "requires a \"mado_admin\" "
                                    "location with its path in the same "
                                    "server", &l->staff_api);
            return NGX_CONF_ERROR;

        } else {
            continue;
        }

        ngx_http_mado_loc_error(cf, l, need, NULL);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* a mado_admin location at the staff panel's API path, in its server */
static ngx_uint_t
ngx_http_mado_admin_at(ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_loc_conf_t *staff)
{
    ngx_uint_t                  i;
    ngx_http_mado_loc_conf_t  **loc, *a;

    loc = mmcf->locations.elts;

    for (i = 0; i < mmcf->locations.nelts; i++) {
        a = loc[i];

        if (a->kind == NGX_HTTP_MADO_LOC_ADMIN
            && a->srv_conf == staff->srv_conf
            && a->name.len == staff->staff_api.len
            && ngx_strncmp(a->name.data, staff->staff_api.data, a->name.len)
               == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* "directive" NEED ("ARG") in FILE:LINE, as nginx words its own */
static void
ngx_http_mado_loc_error(ngx_conf_t *cf, ngx_http_mado_loc_conf_t *l,
    const char *need, ngx_str_t *arg)
{
    static const char  *names[] = {
        "", "mado_api", "mado_pages", "mado_admin", "mado_staff",
        "mado_health", "mado_metrics"
    };

    if (arg != NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" directive %s (\"%V\") in %s:%ui",
                      names[l->kind], need, arg, l->conf_file, l->conf_line);
        return;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "\"%s\" directive %s in %s:%ui",
                  names[l->kind], need, l->conf_file, l->conf_line);
}


static void *
ngx_http_mado_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mado_loc_conf_t  *mlcf;

    mlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mado_loc_conf_t));
    if (mlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mlcf->public_url = { 0, NULL };
     *     mlcf->kind = NGX_HTTP_MADO_LOC_NONE;
     */

    mlcf->refresh = NGX_CONF_UNSET;
    mlcf->max_age = NGX_CONF_UNSET;
    mlcf->admin_insecure = NGX_CONF_UNSET;
    mlcf->embed_ancestors = NGX_CONF_UNSET_PTR;

    return mlcf;
}


static char *
ngx_http_mado_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_mado_loc_conf_t *prev = parent;
    ngx_http_mado_loc_conf_t *conf = child;

    u_char                     *p;
    ngx_http_mado_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mado_module);

    ngx_conf_merge_str_value(conf->public_url, prev->public_url, "");
    ngx_conf_merge_sec_value(conf->refresh, prev->refresh, 30);

    /* the update API refuses plain HTTP unless told (a loopback demo) */
    ngx_conf_merge_value(conf->admin_insecure, prev->admin_insecure, 0);

    if (conf->kind == NGX_HTTP_MADO_LOC_PAGES
        && ngx_http_mado_site(cf, mmcf, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_mado_embed_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    /* the catalogs and assets are loaded by now: render the panel once */
    if (conf->kind == NGX_HTTP_MADO_LOC_STAFF) {
        if (ngx_http_mado_staff_page(cf, mmcf, conf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    /* short: figures change by the minute and a stale cache misleads */
    ngx_conf_merge_sec_value(conf->max_age, prev->max_age, 5);

    if (conf->max_age == 0) {
        ngx_str_set(&conf->cache_control, "no-cache");
        return NGX_CONF_OK;
    }

    conf->cache_control.data = ngx_pnalloc(cf->pool,
                                           sizeof("public, max-age=") - 1
                                           + NGX_TIME_T_LEN);
    if (conf->cache_control.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_sprintf(conf->cache_control.data, "public, max-age=%T",
                    conf->max_age);
    conf->cache_control.len = p - conf->cache_control.data;

    return NGX_CONF_OK;
}


/*
 * A pages location's site: the public URL and refresh it merged to.
 * Locations that agree share one, so one nginx serving several host
 * names renders each page once per name, and most render it once.
 */
static char *
ngx_http_mado_site(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_loc_conf_t *mlcf)
{
    ngx_uint_t             i;
    ngx_http_mado_site_t  *site;

    if (mlcf->public_url.len == 0) {
        ngx_http_mado_loc_error(cf, mlcf, NGX_HTTP_MADO_PAGES_NEED, NULL);
        return NGX_CONF_ERROR;
    }

    site = mmcf->sites.elts;

    for (i = 0; i < mmcf->sites.nelts; i++) {
        if (site[i].refresh == mlcf->refresh
            && site[i].public_url.len == mlcf->public_url.len
            && ngx_strncmp(site[i].public_url.data, mlcf->public_url.data,
                           mlcf->public_url.len) == 0)
        {
            mlcf->site = i;
            return NGX_CONF_OK;
        }
    }

    site = ngx_array_push(&mmcf->sites);
    if (site == NULL) {
        return NGX_CONF_ERROR;
    }

    site->public_url = mlcf->public_url;
    site->refresh = mlcf->refresh;
    mlcf->site = mmcf->sites.nelts - 1;

    return NGX_CONF_OK;
}


/*
 * mado_embed_ancestors self | none | * | URL ...: the sites whose pages
 * may show the widget (/embed/{office}) in an iframe, as CSP's
 * frame-ancestors; "self" (the default) is the mado site itself.  Each
 * URL is a scheme and host, e.g. https://www.city.kyoto.lg.jp, with an
 * optional port and a leading "*." for any subdomain.  nginx takes quotes
 * away, so self and none are written bare ('self' inside "…" works too).
 */
static char *
ngx_http_mado_embed_ancestors(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mado_loc_conf_t *mlcf = conf;

    u_char      *c, *host, *end;
    ngx_str_t   *value, *src;
    ngx_uint_t   i, alone;

    (void) cmd;

    if (mlcf->embed_ancestors != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    mlcf->embed_ancestors = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                             sizeof(ngx_str_t));
    if (mlcf->embed_ancestors == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    alone = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        src = ngx_array_push(mlcf->embed_ancestors);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }

        c = value[i].data;
        end = c + value[i].len;

        if ((value[i].len == 4 && ngx_strncmp(c, "self", 4) == 0)
            || (value[i].len == 6 && ngx_strncmp(c, "'self'", 6) == 0))
        {
            ngx_str_set(src, "'self'");
            continue;
        }

        if ((value[i].len == 4 && ngx_strncmp(c, "none", 4) == 0)
            || (value[i].len == 6 && ngx_strncmp(c, "'none'", 6) == 0))
        {
            ngx_str_set(src, "'none'");
            alone = 1;
            continue;
        }

        if (value[i].len == 1 && *c == '*') {
            *src = value[i];
            continue;
        }

        if (value[i].len > 7 && ngx_strncmp(c, "http://", 7) == 0) {
            host = c + 7;

        } else if (value[i].len > 8 && ngx_strncmp(c, "https://", 8) == 0) {
            host = c + 8;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"mado_embed_ancestors\" "
                               "takes self, none, * or a site's URL, e.g. "
                               "\"https://www.city.kyoto.lg.jp\", not \"%V\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        /* the header's value is made of these bytes: nothing else passes */
        c = host;

        if (end - c > 2 && c[0] == '*' && c[1] == '.') {
            c += 2;
        }

        for ( /* void */ ; c < end; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                  || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
            {
                break;
            }
        }

        if (c == host || host[0] == '.' || host[0] == '-') {
            c = host;

        } else if (c < end && *c == ':') {
            do {
                c++;
            } while (c < end && *c >= '0' && *c <= '9');

            if (c == end && c[-1] == ':') {
                c--;
            }
        }

        if (c != end) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"mado_embed_ancestors\" "
                               "takes a URL of a scheme, a host and an "
                               "optional port, with no path, e.g. "
                               "\"https://www.city.kyoto.lg.jp\", not \"%V\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        *src = value[i];
    }

    if (alone && cf->args->nelts > 2) {
        return "takes none alone";
    }

    return NGX_CONF_OK;
}


/*
 * The widget's CSP and X-Frame-Options, made once per location:
 * X-Frame-Options cannot name other sites, so with a list of them the
 * widget has frame-ancestors alone (which browsers prefer anyway).
 */
static char *
ngx_http_mado_embed_merge(ngx_conf_t *cf, ngx_http_mado_loc_conf_t *prev,
    ngx_http_mado_loc_conf_t *conf)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *src;
    ngx_uint_t   i, n;

    static ngx_str_t  self = ngx_string("'self'");

    ngx_conf_merge_ptr_value(conf->embed_ancestors, prev->embed_ancestors,
                             NULL);

    if (conf->kind != NGX_HTTP_MADO_LOC_PAGES) {
        return NGX_CONF_OK;
    }

    if (conf->embed_ancestors != NULL) {
        src = conf->embed_ancestors->elts;
        n = conf->embed_ancestors->nelts;

    } else {
        src = &self;
        n = 1;
    }

    len = sizeof(NGX_HTTP_MADO_PAGE_CSP) - 1;

    for (i = 0; i < n; i++) {
        len += src[i].len + 1;
    }

    conf->embed_csp.data = ngx_pnalloc(cf->pool, len);
    if (conf->embed_csp.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(conf->embed_csp.data, NGX_HTTP_MADO_PAGE_CSP,
                   sizeof(NGX_HTTP_MADO_PAGE_CSP) - 1);

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, src[i].data, src[i].len);
    }

    conf->embed_csp.len = p - conf->embed_csp.data;

    ngx_str_null(&conf->embed_xfo);

    if (n == 1 && src[0].len == 6
        && ngx_strncmp(src[0].data, "'none'", 6) == 0)
    {
        ngx_str_set(&conf->embed_xfo, "DENY");

    } else if (n == 1 && src[0].len == 6
               && ngx_strncmp(src[0].data, "'self'", 6) == 0)
    {
        ngx_str_set(&conf->embed_xfo, "SAMEORIGIN");
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mado_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    (void) cmd;

    return ngx_http_mado_set_handler(cf, conf, NGX_HTTP_MADO_LOC_API,
                                     ngx_http_mado_api_handler);
}


/* mado_admin [thread_pool]: the update API, its work in that pool */
static char *
ngx_http_mado_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mado_loc_conf_t *mlcf = conf;

    ngx_str_t                  *value, name;
    ngx_http_mado_main_conf_t  *mmcf;

    (void) cmd;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mado_module);

    /* the workers open the store read-write, and load the audit key */
    mmcf->admin = 1;

    value = cf->args->elts;

    if (cf->args->nelts > 1) {
        name = value[1];
    } else {
        ngx_str_set(&name, "default");
    }

    mlcf->thread_pool = ngx_thread_pool_add(cf, &name);
    if (mlcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_mado_set_handler(cf, mlcf, NGX_HTTP_MADO_LOC_ADMIN,
                                     ngx_http_mado_admin_handler);
}


/*
 * mado_login_threads NUMBER [queue=NUMBER]: how many logins of a worker
 * hash at once (each in a thread of its mado_admin pool, whose other
 * threads stay free for counter updates), and how many more may wait
 */
static char *
ngx_http_mado_login_threads(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mado_main_conf_t *mmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    (void) cmd;

    if (mmcf->login_threads != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n < 1 || n > 512) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"mado_login_threads\": "
                           "\"%V\" must be a number of threads, 1 to 512",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    mmcf->login_threads = n;

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    n = NGX_ERROR;

    if (value[2].len > 6 && ngx_strncmp(value[2].data, "queue=", 6) == 0) {
        n = ngx_atoi(value[2].data + 6, value[2].len - 6);
    }

    if (n < 0 || n > 65536) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"mado_login_threads\": "
                           "\"%V\" must be queue= and a number of logins, "
                           "0 to 65536", &value[2]);
        return NGX_CONF_ERROR;
    }

    mmcf->login_queue = n;

    return NGX_CONF_OK;
}


/*
 * mado_staff [admin_api_path]: the counter staff panel, one page and its
 * assets below this (prefix) location; the page talks to the mado_admin
 * location at that path, "/api/v1/admin/" unless given.
 */
static char *
ngx_http_mado_staff(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mado_loc_conf_t *mlcf = conf;

    u_char                      c;
    ngx_str_t                  *value, *path;
    ngx_uint_t                  i, n;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_mado_main_conf_t  *mmcf;

    (void) cmd;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mado_module);
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    /* the page links its assets below the location's own path */
    if (clcf->name.len == 0 || clcf->name.data[clcf->name.len - 1] != '/'
#if (NGX_PCRE)
        || clcf->regex != NULL
#endif
        || clcf->exact_match || clcf->named)
    {
        return "must be in a prefix location ending in \"/\", "
               "e.g. \"location /staff/\"";
    }

    value = cf->args->elts;

    if (cf->args->nelts > 1) {
        mlcf->staff_api = value[1];

    } else {
        ngx_str_set(&mlcf->staff_api, "/api/v1/admin/");
    }

    if (mlcf->staff_api.len < 2 || mlcf->staff_api.data[0] != '/'
        || mlcf->staff_api.data[mlcf->staff_api.len - 1] != '/')
    {
        return "takes the path of the \"mado_admin\" location, "
               "e.g. \"/api/v1/admin/\"";
    }

    /* both paths go into the page's HTML and URLs as they are */
    for (n = 0; n < 2; n++) {
        path = n ? &clcf->name : &mlcf->staff_api;

        for (i = 0; i < path->len; i++) {
            c = path->data[i];

            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || (c >= '0' && c <= '9') || c == '/' || c == '-'
                  || c == '.' || c == '_' || c == '~'))
            {
                return n ? "must be in a location of letters, digits and "
                           "\"/-._~\" only"
                         : "takes a path of letters, digits and \"/-._~\" "
                           "only";
            }
        }
    }

    mmcf->staff = 1;

    return ngx_http_mado_set_handler(cf, mlcf, NGX_HTTP_MADO_LOC_STAFF,
                                     ngx_http_mado_staff_handler);
}


/* mado_health, mado_metrics: read what every worker has (module.c's
   store and the shared zone); the store they need is checked once the
   http block is read */
static char *
ngx_http_mado_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    (void) cmd;

    return ngx_http_mado_set_handler(cf, conf, NGX_HTTP_MADO_LOC_HEALTH,
                                     ngx_http_mado_health_handler);
}


static char *
ngx_http_mado_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    (void) cmd;

    return ngx_http_mado_set_handler(cf, conf, NGX_HTTP_MADO_LOC_METRICS,
                                     ngx_http_mado_metrics_handler);
}


static char *
ngx_http_mado_pages(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    (void) cmd;

    return ngx_http_mado_set_handler(cf, conf, NGX_HTTP_MADO_LOC_PAGES,
                                     ngx_http_mado_pages_handler);
}


/* what the handler needs is checked in ngx_http_mado_init_main_conf() */
static char *
ngx_http_mado_set_handler(ngx_conf_t *cf, ngx_http_mado_loc_conf_t *mlcf,
    ngx_uint_t kind, ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_mado_loc_conf_t   **loc;
    ngx_http_mado_main_conf_t   *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mado_module);
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate or conflicts with another content handler";
    }

    clcf->handler = handler;

    mlcf->kind = kind;
    mlcf->name = clcf->name;
    mlcf->srv_conf = ((ngx_http_conf_ctx_t *) cf->ctx)->srv_conf;
    mlcf->conf_file = cf->conf_file->file.name.data;
    mlcf->conf_line = cf->conf_file->line;

    loc = ngx_array_push(&mmcf->locations);
    if (loc == NULL) {
        return NGX_CONF_ERROR;
    }

    *loc = mlcf;

    return NGX_CONF_OK;
}


/* the store is a directory (LMDB's data.mdb and lock.mdb go in it) */
static char *
ngx_http_mado_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mado_main_conf_t *mmcf = conf;

    ngx_str_t        *value;
    ngx_file_info_t   fi;

    (void) cmd;

    if (mmcf->store.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    mmcf->store = value[1];

    if (mmcf->store.len == 0) {
        return "takes the path of a directory";
    }

    if (ngx_conf_full_name(cf->cycle, &mmcf->store, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * The store may legitimately appear later (workers pick it up by
     * themselves), so a missing one is worth a warning, not a refusal;
     * a file in its place can never work.
     */
    if (ngx_file_info(mmcf->store.data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, ngx_errno,
                           "mado_store \"%V\" is not there yet; "
                           "create it with \"madoctl init\"", &mmcf->store);

    } else if (!ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mado_store \"%V\" is not a directory: it names "
                           "the directory \"madoctl init\" made",
                           &mmcf->store);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mado_check_stale_after(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sp = data;

    (void) cf;
    (void) post;

    /* 0 would call every figure stale the moment it is written */
    if (*sp <= 0) {
        return "must be more than 0";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mado_check_refresh(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *sp = data;

    (void) cf;
    (void) post;

    /* every open page polls at this rate */
    if (*sp < 5) {
        return "must be at least 5s";
    }

    return NGX_CONF_OK;
}


/*
 * mado_public_url https://host[:port][/path]: the address citizens reach
 * the pages at, printed in QR codes and the staff panel; an absolute
 * http(s) URL of a host, with no query, fragment or user part.
 */
static char *
ngx_http_mado_public_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char      *c, *host, *end;
    ngx_str_t   *field, *value;

    (void) cmd;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    c = value[1].data;
    end = c + value[1].len;

    if (value[1].len > 7 && ngx_strncasecmp(c, (u_char *) "http://", 7) == 0) {
        host = c + 7;

    } else if (value[1].len > 8
               && ngx_strncasecmp(c, (u_char *) "https://", 8) == 0)
    {
        host = c + 8;

    } else {
        return "takes an absolute http or https URL, "
               "e.g. \"https://mado.example.jp\"";
    }

    for (c = host; c < end && *c != '/'; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'
              || *c == ':' || *c == '[' || *c == ']'))
        {
            return "takes a URL whose host is letters, digits, \"-\" and "
                   "\".\", with an optional port";
        }
    }

    if (c == host || *host == ':' || *host == '.') {
        return "takes a URL with a host, e.g. \"https://mado.example.jp\"";
    }

    for ( /* void */ ; c < end; c++) {
        if (*c <= ' ' || *c >= 0x7f || *c == '?' || *c == '#' || *c == '"'
            || *c == '\'' || *c == '<' || *c == '>' || *c == '\\')
        {
            return "takes a URL whose path is printable ASCII with no "
                   "query or fragment";
        }
    }

    *field = value[1];

    if (field->data[field->len - 1] == '/') {
        field->len--;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mado_init_process(ngx_cycle_t *cycle)
{
    ngx_http_mado_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_mado_module);

    if (mmcf == NULL || mmcf->store.len == 0) {
        return NGX_OK;
    }

    /* the environment is opened here, after fork: LMDB forbids sharing it */
    return ngx_http_mado_store_init(cycle, mmcf);
}


static void
ngx_http_mado_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_mado_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_mado_module);

    if (mmcf != NULL && mmcf->worker != NULL) {
        ngx_http_mado_store_done(mmcf);
    }
}


/*
 * A whole file read at configuration time (catalogs, assets), NUL
 * terminated.  NGX_DECLINED: it cannot be opened (ngx_errno says why),
 * which the caller may tolerate; NGX_ERROR: anything else, logged here.
 */
ngx_int_t
ngx_http_mado_conf_read(ngx_conf_t *cf, const char *directive,
    ngx_str_t *path, size_t max, ngx_str_t *text)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || (size_t) ngx_file_size(&fi) > max)
    {
        ngx_close_file(fd);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s: \"%V\" is unreadable or larger than %uz "
                           "bytes", directive, path, max);
        return NGX_ERROR;
    }

    text->len = ngx_file_size(&fi);
    text->data = ngx_pnalloc(cf->temp_pool, text->len + 1);
    if (text->data == NULL) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, text->data, text->len);
    ngx_close_file(fd);

    if (n != (ssize_t) text->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s: cannot read \"%V\"", directive, path);
        return NGX_ERROR;
    }

    text->data[n] = '\0';

    return NGX_OK;
}
