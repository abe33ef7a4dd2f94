
/*
 * mado: the worker's view of the store.
 *
 * Each worker opens the LMDB environment after fork (read-only, or
 * read-write when a location has mado_admin: its updates are written in
 * a thread pool) and keeps a snapshot of rendered responses.  A request
 * costs one look at the store's last transaction id (a read of the mapped
 * meta page); only when a write has happened, or a counter is about to
 * turn stale, is anything rendered.
 */


#include "ngx_http_mado_module.h"


static void ngx_http_mado_store_fail(ngx_log_t *log,
    ngx_http_mado_worker_t *w, const char *reason);
static void ngx_http_mado_store_close(ngx_http_mado_worker_t *w);
static void ngx_http_mado_store_check(ngx_log_t *log,
    ngx_http_mado_main_conf_t *mmcf);
static ngx_http_mado_snapshot_t *ngx_http_mado_snapshot_build(
    ngx_log_t *log, ngx_http_mado_main_conf_t *mmcf);
static void ngx_http_mado_snapshot_cleanup(void *data);
static void ngx_http_mado_store_sync_start(ngx_event_t *ev);
static void ngx_http_mado_store_sync_thread(void *data, ngx_log_t *log);
static void ngx_http_mado_store_sync_done(ngx_event_t *ev);


ngx_int_t
ngx_http_mado_store_init(ngx_cycle_t *cycle, ngx_http_mado_main_conf_t *mmcf)
{
    char                    *now;
    time_t                   t;
    ngx_http_mado_worker_t  *w;

    w = ngx_pcalloc(cycle->pool, sizeof(ngx_http_mado_worker_t));
    if (w == NULL) {
        return NGX_ERROR;
    }

    mmcf->worker = w;

    w->sync_event.handler = ngx_http_mado_store_sync_start;
    w->sync_event.data = w;
    w->sync_event.log = cycle->log;
    w->sync_event.cancelable = 1;

    /*
     * A test clock: with "env MADO_NOW;" in nginx.conf the workers see the
     * variable and run that much ahead of (or behind) the real clock, so
     * the calendar can be tested at any hour.  Production sets nothing.
     */
    now = getenv("MADO_NOW");

    if (now != NULL) {
        t = ngx_atotm((u_char *) now, ngx_strlen(now));

        if (t == NGX_ERROR) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "MADO_NOW must be unix seconds, not \"%s\"", now);
            return NGX_ERROR;
        }

        mmcf->clock_offset = t - ngx_time();

        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "mado clock set by MADO_NOW: %T s from the real one",
                      mmcf->clock_offset);
    }

    /* a missing store is not fatal: requests get 503 until it appears */
    ngx_http_mado_store_check(cycle->log, mmcf);

    return NGX_OK;
}


void
ngx_http_mado_store_done(ngx_http_mado_main_conf_t *mmcf)
{
    ngx_http_mado_store_close(mmcf->worker);
}


static void
ngx_http_mado_store_close(ngx_http_mado_worker_t *w)
{
    if (w->snapshot != NULL) {
        ngx_http_mado_snapshot_release(w->snapshot);
        w->snapshot = NULL;
    }

    /* forecasts of a store that is gone or replaced */
    if (w->trends_pool != NULL) {
        ngx_destroy_pool(w->trends_pool);
        w->trends_pool = NULL;
    }

    /* a store replaced may define the offices anew */
    if (w->defs != NULL) {
        ngx_http_mado_defs_release(w->defs);
        w->defs = NULL;
    }

    if (w->opened) {
        mado_store_close(&w->store);
        w->opened = 0;
    }
}


/* an update committed, its anchor not moved (in a thread) */
static void
ngx_http_mado_anchor_log(void *data, const char *msg)
{
    ngx_log_error(NGX_LOG_ERR, (ngx_log_t *) data, 0, "mado admin: the "
                  "update is made, but %s; the next update moves the anchor",
                  msg);
}


static void
ngx_http_mado_store_fail(ngx_log_t *log, ngx_http_mado_worker_t *w,
    const char *reason)
{
    ngx_cpystrn(w->reason, (u_char *) reason, sizeof(w->reason));

    /* one line per outage, not one per request */
    if (!w->failing) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado store unavailable: %s",
                      reason);
        w->failing = 1;
    }
}


static ngx_int_t
ngx_http_mado_store_open(ngx_http_mado_main_conf_t *mmcf, mado_store_t *s,
    mado_err_t *err)
{
    /* with mado_admin the workers write too, in thread pools */
    if (mado_store_open(s, (char *) mmcf->store.data,
                        mmcf->admin ? MADO_OPEN_NOMETASYNC : MADO_OPEN_RDONLY,
                        0, err)
        != MADO_OK)
    {
        return NGX_ERROR;
    }

    /* the audit key and the sub-keys of what names people */
    if (mmcf->admin && mado_store_keys(s, mmcf->audit_key, err) != MADO_OK) {
        mado_store_close(s);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A restore retired the store the updates wrote to (MADO_ERETIRED): once
 * no thread uses it, look at once for the one in its place.  NGX_OK: a
 * store is open, and it is not the one retired.
 */
ngx_int_t
ngx_http_mado_store_retired(ngx_log_t *log, ngx_http_mado_main_conf_t *mmcf)
{
    ngx_http_mado_worker_t  *w = mmcf->worker;
    ino_t                    ino;
    dev_t                    dev;

    ino = w->ino;
    dev = w->dev;

    ngx_http_mado_store_check(log, mmcf);

    return (w->opened && (w->ino != ino || w->dev != dev)) ? NGX_OK
                                                           : NGX_DECLINED;
}


/*
 * At most once a second: open the store if it is not open, and notice a
 * store that was removed or replaced (a new data.mdb has another inode) so
 * that the worker never serves a dead file's figures.
 */
static void
ngx_http_mado_store_check(ngx_log_t *log, ngx_http_mado_main_conf_t *mmcf)
{
    char                    path[NGX_MAX_PATH];
    mado_err_t              err;
    mado_store_t            fresh;
    ngx_file_info_t         fi;
    ngx_http_mado_worker_t  *w;

    w = mmcf->worker;
    w->checked = ngx_time();

    /* mmcf->store is null-terminated: it comes from the config parser */
    if (mado_store_data_path((char *) mmcf->store.data, path, sizeof(path))
        != 0)
    {
        ngx_http_mado_store_fail(log, w, "store path too long");
        return;
    }

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        if (w->busy) {
            /* an update in a thread still uses it: close it later */
            return;
        }

        ngx_http_mado_store_close(w);

        ngx_snprintf((u_char *) err.text, sizeof(err.text) - 1,
                     "no store at %V (%s)%Z", &mmcf->store,
                     strerror(ngx_errno));
        ngx_http_mado_store_fail(log, w, err.text);
        return;
    }

    if (w->opened) {
        /* an update in a thread still uses it: look again later */
        if ((fi.st_ino == w->ino && fi.st_dev == w->dev) || w->busy) {
            return;
        }

        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "mado store %V was replaced, reopening", &mmcf->store);
    }

    /*
     * The new store is opened before the old one is closed: should it not
     * open (yet), the old one's figures are served, not a 503, and the
     * next second tries again.
     */
    if (ngx_http_mado_store_open(mmcf, &fresh, &err) != NGX_OK) {
        ngx_http_mado_store_fail(log, w, err.text);
        return;
    }

    if (w->opened) {
        ngx_http_mado_store_close(w);
    }

    w->store = fresh;

    /* the keys live on in w->store only */
    ngx_explicit_memzero(&fresh, sizeof(mado_store_t));

    if (mmcf->admin) {
        w->store.no_grow = 1;

        /* the master's descriptor, shared by every worker: never closed
           with the store */
        w->store.anchor_fd = mmcf->audit_anchor;
        w->store.anchored = 1;
        w->store.log = ngx_http_mado_anchor_log;
        w->store.log_data = ngx_cycle->log;
    }

    w->opened = 1;
    w->ino = fi.st_ino;
    w->dev = fi.st_dev;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0, "mado store: %V opened %s",
                   &mmcf->store, mmcf->admin ? "read-write" : "read-only");

    if (mado_test_store(&w->store, NULL) == 1) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "mado store %V is a test store (madoctl init "
                      "--test-store): its passwords may be weakly hashed, "
                      "never serve it in production", &mmcf->store);
    }

    if (w->failing) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "mado store %V is available again", &mmcf->store);
        w->failing = 0;
    }
}


/*
 * A read transaction of the worker's event loop.  With mado_admin, update
 * threads may hold transactions, and LMDB lets a process adopt a map that
 * another process grew only while it holds none: so the size is adopted
 * here when no update is in a thread, or by the last update to finish.
 */
int
ngx_http_mado_read_begin(ngx_log_t *log, ngx_http_mado_worker_t *w,
    MDB_txn **txn, mado_err_t *err)
{
    int  rc;

    rc = mado_store_read_begin(&w->store, txn, err);

    if (rc == MADO_ERESIZED) {
        w->resized = 1;

        if (w->busy == 0
            && ngx_http_mado_store_adopt(log, w, 0) != NGX_ERROR)
        {
            rc = mado_store_read_begin(&w->store, txn, err);
        }
    }

    return rc;
}


/*
 * Adopt the map size another process grew the store to or, with grow,
 * double it when nobody did; only while no transaction of this process is
 * open.  NGX_OK: the map is larger now.
 */
ngx_int_t
ngx_http_mado_store_adopt(ngx_log_t *log, ngx_http_mado_worker_t *w,
    ngx_uint_t grow)
{
    size_t       before;
    mado_err_t   err;
    MDB_envinfo  info;

    mdb_env_info(w->store.env, &info);
    before = info.me_mapsize;

    if (mado_store_adopt(&w->store, grow, &err) != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado store: %s", err.text);
        return NGX_ERROR;
    }

    w->resized = 0;
    mdb_env_info(w->store.env, &info);

    if (info.me_mapsize == before) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, log, 0, "mado store: the map is %uz bytes "
                  "now", info.me_mapsize);

    return NGX_OK;
}


/*
 * Updates commit with one flush instead of two (MADO_OPEN_NOMETASYNC): the
 * second one stalled citizens' requests on small machines.  What is left
 * unflushed (the last commit's meta page) is flushed by a thread a second
 * after the last update, so a power cut loses at most that last second.
 */
void
ngx_http_mado_store_sync_later(ngx_http_mado_worker_t *w,
    ngx_thread_pool_t *pool)
{
    w->sync_pool = pool;

    if (w->syncing) {
        w->sync_again = 1;
        return;
    }

    if (!w->sync_event.timer_set) {
        ngx_add_timer(&w->sync_event, 1000);
    }
}


static void
ngx_http_mado_store_sync_start(ngx_event_t *ev)
{
    ngx_http_mado_worker_t  *w = ev->data;

    if (!w->opened || w->sync_pool == NULL) {
        return;
    }

    if (w->sync_task == NULL) {
        w->sync_task = ngx_thread_task_alloc(ngx_cycle->pool, 0);
        if (w->sync_task == NULL) {
            return;
        }

        w->sync_task->handler = ngx_http_mado_store_sync_thread;
        w->sync_task->ctx = w;
        w->sync_task->event.handler = ngx_http_mado_store_sync_done;
        w->sync_task->event.data = w;
        w->sync_task->event.log = ngx_cycle->log;
    }

    /* the store stays open (not reopened) while the thread uses it */
    w->busy++;
    w->syncing = 1;
    w->sync_again = 0;

    if (ngx_thread_task_post(w->sync_pool, w->sync_task) != NGX_OK) {
        w->busy--;
        w->syncing = 0;
    }
}


static void
ngx_http_mado_store_sync_thread(void *data, ngx_log_t *log)
{
    mado_err_t               err;
    ngx_http_mado_worker_t  *w = data;

    if (mado_store_sync(&w->store, &err) != MADO_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "mado store: %s", err.text);
    }
}


static void
ngx_http_mado_store_sync_done(ngx_event_t *ev)
{
    ngx_http_mado_worker_t  *w = ev->data;

    w->busy--;
    w->syncing = 0;

    if (w->resized && w->busy == 0) {
        (void) ngx_http_mado_store_adopt(ev->log, w, 0);
    }

    if (w->sync_again) {
        w->sync_again = 0;
        ngx_add_timer(&w->sync_event, 1000);
    }
}


ngx_http_mado_snapshot_t *
ngx_http_mado_snapshot(ngx_http_request_t *r, ngx_http_mado_main_conf_t *mmcf)
{
    MDB_envinfo                info;
    ngx_http_mado_worker_t    *w;
    ngx_http_mado_snapshot_t  *snap;

    w = mmcf->worker;

    if (w == NULL) {
        return NULL;
    }

    if (ngx_time() != w->checked) {
        ngx_http_mado_store_check(r->connection->log, mmcf);
    }

    if (!w->opened) {
        return NULL;
    }

    /* me_last_txnid comes from the mapped meta page: no syscall, no lock */
    if (mdb_env_info(w->store.env, &info) != 0) {
        ngx_http_mado_store_fail(r->connection->log, w,
                                 "cannot read store info");
        return NULL;
    }

    snap = w->snapshot;

    if (snap != NULL
        && snap->txnid == info.me_last_txnid
        && ngx_http_mado_now(mmcf) < snap->expires)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado store: snapshot of txn %uz reused", snap->txnid);
        return snap;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado store: snapshot rebuilt at txn %uz: %s",
                   info.me_last_txnid,
                   snap == NULL ? "none yet"
                   : snap->txnid != info.me_last_txnid ? "the store changed"
                   : "a figure turns stale or the clock moved");

    snap = ngx_http_mado_snapshot_build(r->connection->log, mmcf);
    if (snap == NULL) {
        /* until a grown map can be adopted, the last figures are shown */
        return w->resized ? w->snapshot : NULL;
    }

    if (w->snapshot != NULL) {
        ngx_http_mado_snapshot_release(w->snapshot);
    }

    w->snapshot = snap;

    return snap;
}


static ngx_http_mado_snapshot_t *
ngx_http_mado_snapshot_build(ngx_log_t *log, ngx_http_mado_main_conf_t *mmcf)
{
    MDB_txn                   *txn;
    ngx_int_t                  rc;
    ngx_pool_t                *pool;
    mado_err_t                 err;
    ngx_http_mado_worker_t    *w;
    ngx_http_mado_snapshot_t  *snap;

    w = mmcf->worker;

    if (ngx_http_mado_read_begin(log, w, &txn, &err) != MADO_OK) {
        /* a grown map is adopted once the updates in threads are done */
        if (!w->resized) {
            ngx_http_mado_store_fail(log, w, err.text);
        }

        return NULL;
    }

    /*
     * The cycle's log, not the request's: the snapshot outlives the request
     * that built it, and ngx_destroy_pool() logs through pool->log.
     */
    pool = ngx_create_pool(16384, ngx_cycle->log);
    if (pool == NULL) {
        mdb_txn_abort(txn);
        return NULL;
    }

    snap = ngx_pcalloc(pool, sizeof(ngx_http_mado_snapshot_t));
    if (snap == NULL) {
        goto failed;
    }

    snap->pool = pool;
    snap->refs = 1;

    /* the id of what is read, not of the look before: a write may be between */
    snap->txnid = mdb_txn_id(txn);

    if (ngx_array_init(&snap->offices, pool, 16,
                       sizeof(ngx_http_mado_office_t))
        != NGX_OK)
    {
        goto failed;
    }

    if (mado_schema_check(&w->store, txn, &err) != MADO_OK) {
        ngx_http_mado_store_fail(log, w, err.text);
        goto failed;
    }

    /* the last snapshot lends the offices that did not change */
    rc = ngx_http_mado_render(snap, w->snapshot, &w->defs, &w->store, txn,
                              ngx_http_mado_now(mmcf),
                              mmcf->stale_after, mmcf->calendar, log, (u_char *) err.text,
                              sizeof(err.text));
    if (rc != NGX_OK) {
        ngx_http_mado_store_fail(log, w, err.text);
        goto failed;
    }

    mdb_txn_abort(txn);

    ngx_http_mado_stat_add(mmcf->stats, NGX_HTTP_MADO_STAT_RENDERS);

    if (w->failing) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "mado store %V is readable again", &mmcf->store);
        w->failing = 0;
    }

    return snap;

failed:

    mdb_txn_abort(txn);
    ngx_destroy_pool(pool);

    return NULL;
}


/* the request keeps the snapshot's memory alive until it is finalized */
ngx_int_t
ngx_http_mado_snapshot_hold(ngx_http_request_t *r,
    ngx_http_mado_snapshot_t *snap)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mado_snapshot_cleanup;
    cln->data = snap;
    snap->refs++;

    return NGX_OK;
}


void
ngx_http_mado_snapshot_release(ngx_http_mado_snapshot_t *snap)
{
    if (--snap->refs == 0) {
        ngx_destroy_pool(snap->pool);
    }
}


static void
ngx_http_mado_snapshot_cleanup(void *data)
{
    ngx_http_mado_snapshot_release(data);
}


ngx_http_mado_office_t *
ngx_http_mado_snapshot_office(ngx_http_mado_snapshot_t *snap, ngx_str_t *id)
{
    ngx_uint_t               i;
    ngx_http_mado_office_t  *office;

    office = snap->offices.elts;

    for (i = 0; i < snap->offices.nelts; i++) {
        if (office[i].id.len == id->len
            && ngx_memcmp(office[i].id.data, id->data, id->len) == 0)
        {
            return &office[i];
        }
    }

    return NULL;
}


/*
 * Where a page of a snapshot is kept: the index (office NULL) or an
 * office's page, for one site and language.  The tables are made on first
 * demand in the snapshot's pool, sized by the sites the configuration has.
 */
ngx_http_mado_doc_t **
ngx_http_mado_page_slot(ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_office_t *office, ngx_uint_t nsites, ngx_uint_t site,
    ngx_http_mado_page_e page, mado_lang_e lang)
{
    ngx_http_mado_doc_t  ***table;

    table = office ? &office->pages : &snap->index;

    if (*table == NULL) {
        *table = ngx_pcalloc(snap->pool, nsites * sizeof(ngx_http_mado_doc_t *)
                             * (office ? NGX_HTTP_MADO_NPAGES : 1)
                             * MADO_NLANG);
        if (*table == NULL) {
            return NULL;
        }
    }

    if (office == NULL) {
        return &(*table)[site * MADO_NLANG + lang];
    }

    return &(*table)[(site * NGX_HTTP_MADO_NPAGES + page) * MADO_NLANG + lang];
}
