
/*
 * mado: what monitoring reads.
 *
 *     mado_metrics;   Prometheus text exposition (version 0.0.4)
 *     mado_health;    200 when the figures can be served, 503 and why not
 *
 * Requests, renders and logins are counted by every worker in one shared
 * memory zone (so a scrape that lands on any worker sees them all); the
 * per-counter figures are read from the worker's snapshot, which citizens'
 * requests keep current anyway, so a scrape costs no store read of its own.
 * A service counter (窓口) is a "desk" in metric names: Prometheus keeps
 * "counter" for its type, and promtool rejects gauges named so.
 */


#include "ngx_http_mado_module.h"


#define NGX_HTTP_MADO_METRICS_ZONE_SIZE  (64 * 1024)


/* the label values of mado_requests_total, indexed by location kind */
static const char *const  ngx_http_mado_route_names[NGX_HTTP_MADO_NROUTES] = {
    "other", "api", "pages", "admin", "staff", "health", "metrics"
};

/* the statuses counted each on its own; the rest by class ("4xx") */
static const ngx_uint_t  ngx_http_mado_codes[] = {
    200, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408, 409, 411, 412,
    413, 414, 415, 422, 429, 444, 494, 499, 500, 502, 503, 504
};

#define NGX_HTTP_MADO_NCODES_EXACT                                            \
    (sizeof(ngx_http_mado_codes) / sizeof(ngx_http_mado_codes[0]))


/* what a scrape reads from the store itself, in one read transaction */
typedef struct {
    const char                *office;
    int                        source;
    char                       name[MADO_ID_MAX + 1];
    mado_feed_stat_t           st;
} ngx_http_mado_feed_row_t;

typedef struct {
    ngx_array_t                feeds;       /* of ngx_http_mado_feed_row_t */
    const char                *office;      /* the one being read */
    ngx_uint_t                 trail;       /* the audit figures are read */
    size_t                     audit_records;
    uint64_t                   audit_last;
    time_t                     written;     /* data.mdb's mtime; 0: not */
} ngx_http_mado_store_read_t;


static ngx_int_t ngx_http_mado_metrics_zone_init(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_mado_metrics_log(ngx_http_request_t *r);
static ngx_uint_t ngx_http_mado_code_slot(ngx_uint_t status);
static u_char *ngx_http_mado_metrics_counters(u_char *p, u_char *end,
    ngx_http_mado_snapshot_t *snap, time_t now);
static u_char *ngx_http_mado_label(u_char *p, u_char *end, const char *s);
static ngx_int_t ngx_http_mado_metrics_read(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_store_read_t *rd);
static int ngx_http_mado_metrics_feed(int source, const char *name,
    const mado_feed_stat_t *st, void *arg);
static u_char *ngx_http_mado_metrics_store(u_char *p, u_char *end,
    ngx_http_mado_store_read_t *rd, time_t now);


static ngx_str_t  ngx_http_mado_metrics_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");
static ngx_str_t  ngx_http_mado_health_type =
    ngx_string("application/json; charset=utf-8");


/*
 * The zone is made whenever a store is configured: mado_metrics may be in
 * another server than the traffic it counts.  A reload keeps the counts
 * (the zone's data is handed to the new cycle); a binary upgrade starts
 * them again, which Prometheus' rate() takes as a counter reset.
 */
char *
ngx_http_mado_metrics_zone(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf)
{
    ngx_str_t        name = ngx_string("mado_metrics");
    ngx_shm_zone_t  *zone;

    zone = ngx_shared_memory_add(cf, &name, NGX_HTTP_MADO_METRICS_ZONE_SIZE,
                                 &ngx_http_mado_module);
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->init = ngx_http_mado_metrics_zone_init;
    zone->data = mmcf;
    zone->noreuse = 0;

    mmcf->stats_zone = zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mado_metrics_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_mado_main_conf_t  *mmcf = shm_zone->data;

    ngx_slab_pool_t             *shpool;
    ngx_http_mado_main_conf_t   *old = data;

    if (old != NULL) {
        mmcf->stats = old->stats;
        shm_zone->data = mmcf;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    mmcf->stats = ngx_slab_calloc(shpool, sizeof(ngx_http_mado_stats_t));
    if (mmcf->stats == NULL) {
        return NGX_ERROR;
    }

    mmcf->stats->started = ngx_time();

    return NGX_OK;
}


/* counts every request of the http block at its end, by location kind */
ngx_int_t
ngx_http_mado_metrics_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_mado_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_mado_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                  status, kind;
    ngx_http_mado_loc_conf_t   *mlcf;
    ngx_http_mado_main_conf_t  *mmcf;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);

    if (mmcf->stats == NULL) {
        return NGX_OK;
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    kind = mlcf->kind < NGX_HTTP_MADO_NROUTES ? mlcf->kind : 0;

    /* as $status: what was sent, or the error the request ended with */
    status = r->err_status ? r->err_status : r->headers_out.status;

    (void) ngx_atomic_fetch_add(
                 &mmcf->stats->requests[kind][ngx_http_mado_code_slot(status)],
                 1);

    return NGX_OK;
}


static ngx_uint_t
ngx_http_mado_code_slot(ngx_uint_t status)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_MADO_NCODES_EXACT; i++) {
        if (ngx_http_mado_codes[i] == status) {
            return i;
        }
    }

    /* 1xx..5xx, and 0 (closed before a status) as "other" */
    if (status >= 100 && status < 600) {
        return NGX_HTTP_MADO_NCODES_EXACT + status / 100 - 1;
    }

    return NGX_HTTP_MADO_NCODES - 1;
}


/* in the event loop or an update's thread: the zone is shared memory */
void
ngx_http_mado_stat_add(ngx_http_mado_stats_t *stats, ngx_uint_t which)
{
    if (stats != NULL && which < NGX_HTTP_MADO_NSTATS) {
        (void) ngx_atomic_fetch_add(&stats->count[which], 1);
    }
}


ngx_int_t
ngx_http_mado_metrics_handler(ngx_http_request_t *r)
{
    u_char                     *p, *end;
    size_t                      size;
    time_t                      now;
    ngx_int_t                   rc;
    ngx_str_t                   body;
    ngx_uint_t                  i, k, n, up;
    ngx_atomic_uint_t           v;
    ngx_http_mado_office_t     *o;
    ngx_http_mado_snapshot_t   *snap;
    ngx_http_mado_main_conf_t  *mmcf;
    ngx_http_mado_store_read_t  rd;

    static const char  *classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx",
                                      "other" };
    static const char  *stats[NGX_HTTP_MADO_NSTATS][2] = {
        { "mado_snapshot_renders_total",
          "Snapshots of the store rendered by the workers." },
        { "mado_logins_total", "Staff logins that opened a session." },
        { "mado_login_failures_total",
          "Staff logins refused for a wrong user or password." },
        { "mado_login_lockouts_total",
          "Failed logins that started a wait (an account or an address "
          "locked for a while)." },
        { "mado_logins_held_total",
          "Logins refused without a try while an account or address "
          "waits." }
    };

    if (ngx_http_mado_security_headers(r, NGX_HTTP_MADO_SEC_DATA) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_mado_read_only(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    now = ngx_http_mado_now(mmcf);

    snap = ngx_http_mado_snapshot(r, mmcf);
    up = (snap != NULL);

    n = 0;
    ngx_memzero(&rd, sizeof(ngx_http_mado_store_read_t));

    if (snap != NULL) {
        /* read here, copied into the body: no need to hold it */
        o = snap->offices.elts;

        for (i = 0; i < snap->offices.nelts; i++) {
            n += o[i].def.ncounters;
        }

        if (ngx_http_mado_metrics_read(r, mmcf, snap, &rd) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* each counter's and feed's lines carry their labels (at most 6x
       escaped) */
    size = 16384
           + NGX_HTTP_MADO_NROUTES * NGX_HTTP_MADO_NCODES * 64
           + n * 18 * (64 + 6 * (MADO_ID_MAX * 2))
           + rd.feeds.nelts * 6 * (96 + 6 * (MADO_ID_MAX * 2));

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;
    end = p + size;

    p = ngx_slprintf(p, end,
            "# HELP mado_build_info The mado module serving, and its store "
            "schema.\n"
            "# TYPE mado_build_info gauge\n"
            "mado_build_info{version=\"%s\",schema=\"%d\",nginx=\"%s\"} 1\n",
            MADO_VERSION, MADO_SCHEMA_VERSION, NGINX_VERSION);

    if (mmcf->stats != NULL) {
        p = ngx_slprintf(p, end,
                "# HELP mado_requests_total Requests answered, by the kind "
                "of location (route) and status.\n"
                "# TYPE mado_requests_total counter\n");

        for (i = 0; i < NGX_HTTP_MADO_NROUTES; i++) {
            for (k = 0; k < NGX_HTTP_MADO_NCODES; k++) {
                v = mmcf->stats->requests[i][k];

                if (v == 0) {
                    continue;
                }

                if (k < NGX_HTTP_MADO_NCODES_EXACT) {
                    p = ngx_slprintf(p, end, "mado_requests_total{route=\"%s\","
                                     "code=\"%ui\"} %uA\n",
                                     ngx_http_mado_route_names[i],
                                     ngx_http_mado_codes[k], v);
                } else {
                    p = ngx_slprintf(p, end, "mado_requests_total{route=\"%s\","
                                     "code=\"%s\"} %uA\n",
                                     ngx_http_mado_route_names[i],
                                     classes[k - NGX_HTTP_MADO_NCODES_EXACT],
                                     v);
                }
            }
        }

        for (i = 0; i < NGX_HTTP_MADO_NSTATS; i++) {
            p = ngx_slprintf(p, end, "# HELP %s %s\n# TYPE %s counter\n"
                             "%s %uA\n", stats[i][0], stats[i][1],
                             stats[i][0], stats[i][0],
                             mmcf->stats->count[i]);
        }

        p = ngx_slprintf(p, end,
                "# HELP mado_start_time_seconds When the counts began (the "
                "nginx master started or was upgraded).\n"
                "# TYPE mado_start_time_seconds gauge\n"
                "mado_start_time_seconds %T\n", mmcf->stats->started);
    }

    p = ngx_slprintf(p, end,
            "# HELP mado_store_up Whether this worker can read the store.\n"
            "# TYPE mado_store_up gauge\n"
            "mado_store_up %ui\n", up);

    if (snap != NULL) {
        p = ngx_slprintf(p, end,
                "# HELP mado_store_txn_id The store transaction the figures "
                "were read in.\n"
                "# TYPE mado_store_txn_id gauge\n"
                "mado_store_txn_id %uz\n"
                "# HELP mado_snapshot_age_seconds Since the figures served "
                "were rendered.\n"
                "# TYPE mado_snapshot_age_seconds gauge\n"
                "mado_snapshot_age_seconds %T\n",
                snap->txnid, now > snap->now ? now - snap->now : 0);

        p = ngx_http_mado_metrics_counters(p, end, snap, now);
        p = ngx_http_mado_metrics_store(p, end, &rd, now);
    }

    if (p == end) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mado metrics: %uz bytes were not enough", size);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.len = p - body.data;

    return ngx_http_mado_send_body(r, NGX_HTTP_OK,
                                   &ngx_http_mado_metrics_type, &body);
}


/* one family at a time, as the exposition format wants */
static u_char *
ngx_http_mado_metrics_counters(u_char *p, u_char *end,
    ngx_http_mado_snapshot_t *snap, time_t now)
{
    int64_t                  est, low, high, value;
    ngx_uint_t               f, i, j, s;
    mado_office_def_t       *def;
    mado_counter_state_t    *st;
    ngx_http_mado_office_t  *o;

    enum {
        WAITING = 0, CALLING, SERVED, STAFF, STATUS, EST, LOW, HIGH,
        UPDATED, CALLED, STALLED, STALE, NFAMILIES
    };

    static const char  *fam[NFAMILIES][3] = {
        { "mado_desk_waiting", "gauge",
          "People waiting: tickets issued and not yet called." },
        { "mado_desk_calling", "gauge", "The number now called." },
        { "mado_desk_served_today", "gauge", "Tickets called today." },
        { "mado_desk_staff", "gauge",
          "Staff serving (0: not told)." },
        { "mado_desk_status", "gauge",
          "The counter's status: 1 for the one it is in." },
        { "mado_desk_wait_estimate_seconds", "gauge",
          "The wait for a ticket taken now (absent when not open)." },
        { "mado_desk_wait_low_seconds", "gauge",
          "The low end of the band most waits fall in." },
        { "mado_desk_wait_high_seconds", "gauge",
          "The high end of the band most waits fall in." },
        { "mado_desk_update_age_seconds", "gauge",
          "Since the counter's figures last changed." },
        { "mado_desk_call_age_seconds", "gauge",
          "Since the last call (absent before the first)." },
        { "mado_desk_stalled_seconds", "gauge",
          "Since the queue last moved: the last call, the queue forming or "
          "the opening (absent when not open or nobody waits)." },
        { "mado_desk_stale", "gauge",
          "1 when the figures are too old to be shown as current." }
    };

    o = snap->offices.elts;

    for (f = 0; f < NFAMILIES; f++) {
        p = ngx_slprintf(p, end, "# HELP %s %s\n# TYPE %s %s\n",
                         fam[f][0], fam[f][2], fam[f][0], fam[f][1]);

        for (i = 0; i < snap->offices.nelts; i++) {
            def = &o[i].def;

            for (j = 0; j < def->ncounters; j++) {
                st = &o[i].states[j];

                est = -1;
                low = -1;
                high = -1;

                if (f == EST || f == LOW || f == HIGH) {
                    if (mado_estimate(&def->counters[j], st, &est, &low,
                                      &high)
                        != 0)
                    {
                        continue;
                    }
                }

                switch (f) {
                case WAITING: value = st->waiting; break;
                case CALLING: value = st->calling; break;
                case SERVED:  value = st->served_today; break;
                case STAFF:   value = st->staff; break;
                case EST:     value = est; break;
                case LOW:     value = low; break;
                case HIGH:    value = high; break;
                case UPDATED:
                    value = now > st->updated_at ? now - st->updated_at : 0;
                    break;
                case CALLED:
                    if (st->called_at == 0) {
                        continue;
                    }
                    value = now > st->called_at ? now - st->called_at : 0;
                    break;
                case STALLED:
                    value = mado_stalled_since(def, &def->counters[j], st,
                                               now);
                    if (value < 0) {
                        continue;
                    }
                    value = now > value ? now - value : 0;
                    break;
                case STALE:   value = o[i].stale[j] ? 1 : 0; break;
                default:      value = 0; break;
                }

                if (f == STATUS) {
                    /* an enum as one series per state, as Prometheus does */
                    for (s = 0; s < MADO_NSTATUS; s++) {
                        p = ngx_slprintf(p, end, "%s{office=\"", fam[f][0]);
                        p = ngx_http_mado_label(p, end, def->id);
                        p = ngx_slprintf(p, end, "\",counter=\"");
                        p = ngx_http_mado_label(p, end, def->counters[j].id);
                        p = ngx_slprintf(p, end, "\",status=\"%s\"} %d\n",
                                         mado_status_names[s],
                                         st->status == s ? 1 : 0);
                    }

                    continue;
                }

                p = ngx_slprintf(p, end, "%s{office=\"", fam[f][0]);
                p = ngx_http_mado_label(p, end, def->id);
                p = ngx_slprintf(p, end, "\",counter=\"");
                p = ngx_http_mado_label(p, end, def->counters[j].id);
                p = ngx_slprintf(p, end, "\"} %L\n", value);
            }
        }
    }

    /* only the offices that set their own: the rules default to an hour */
    p = ngx_slprintf(p, end,
            "# HELP mado_office_wait_alert_seconds The office's own limit "
            "for a wait (alert_wait_minutes in offices.json).\n"
            "# TYPE mado_office_wait_alert_seconds gauge\n");

    for (i = 0; i < snap->offices.nelts; i++) {
        if (o[i].def.alert_wait == 0) {
            continue;
        }

        p = ngx_slprintf(p, end, "mado_office_wait_alert_seconds{office=\"");
        p = ngx_http_mado_label(p, end, o[i].def.id);
        p = ngx_slprintf(p, end, "\"} %L\n",
                         mado_alert_wait_seconds(&o[i].def));
    }

    return p;
}


/*
 * The figures the snapshot does not hold, read for each scrape in one read
 * transaction: a look-up per office for its feeds' records, the audit
 * database's entry count (mdb_stat, kept by LMDB) and last key, and one
 * fstat.  Nothing is scanned, whatever the size of the store.  The store
 * may lack what an older writer never made: those families are then left
 * out, not failed.
 */
static ngx_int_t
ngx_http_mado_metrics_read(ngx_http_request_t *r,
    ngx_http_mado_main_conf_t *mmcf, ngx_http_mado_snapshot_t *snap,
    ngx_http_mado_store_read_t *rd)
{
    int                      fd;
    MDB_val                  k, v;
    MDB_txn                 *txn;
    MDB_stat                 ms;
    ngx_uint_t               i;
    mado_err_t               err;
    MDB_cursor              *cur;
    ngx_file_info_t          fi;
    ngx_http_mado_office_t  *o;
    ngx_http_mado_worker_t  *w;

    w = mmcf->worker;

    if (ngx_array_init(&rd->feeds, r->pool, 8,
                       sizeof(ngx_http_mado_feed_row_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the last commit wrote data.mdb: its time is the last write's */
    if (mdb_env_get_fd(w->store.env, &fd) == 0
        && ngx_fd_info(fd, &fi) != NGX_FILE_ERROR)
    {
        rd->written = ngx_file_mtime(&fi);
    }

    if (ngx_http_mado_read_begin(r->connection->log, w, &txn, &err)
        != MADO_OK)
    {
        /* the snapshot's figures are still served: these are left out
           (a grown map waits for the updates in threads: not a fault) */
        if (!w->resized) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "mado metrics: %s", err.text);
        }

        return NGX_OK;
    }

    if (w->store.trail && mdb_stat(txn, w->store.audit_db, &ms) == 0) {
        rd->trail = 1;
        rd->audit_records = ms.ms_entries;

        if (mdb_cursor_open(txn, w->store.audit_db, &cur) == 0) {
            if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0
                && k.mv_size == 8)
            {
                rd->audit_last = mado_be64_get(k.mv_data);
            }

            mdb_cursor_close(cur);
        }
    }

    o = snap->offices.elts;

    for (i = 0; i < snap->offices.nelts; i++) {
        rd->office = o[i].def.id;

        if (mado_feed_stats(&w->store, txn, rd->office,
                            ngx_http_mado_metrics_feed, rd, &err)
            == MADO_ESTORE)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "mado metrics: %s", err.text);
            break;
        }
    }

    mdb_txn_abort(txn);

    return NGX_OK;
}


static int
ngx_http_mado_metrics_feed(int source, const char *name,
    const mado_feed_stat_t *st, void *arg)
{
    ngx_http_mado_store_read_t  *rd = arg;

    ngx_http_mado_feed_row_t  *row;

    row = ngx_array_push(&rd->feeds);
    if (row == NULL) {
        return 1;
    }

    row->office = rd->office;
    row->source = source;
    ngx_cpystrn((u_char *) row->name, (u_char *) name, sizeof(row->name));
    row->st = *st;

    return 0;
}


static u_char *
ngx_http_mado_metrics_store(u_char *p, u_char *end,
    ngx_http_mado_store_read_t *rd, time_t now)
{
    int64_t                    value;
    ngx_uint_t                 f, i, k;
    ngx_http_mado_feed_row_t  *row;

    enum {
        EVENTS = 0, BAD, BATCH, EVENT, NFAMILIES
    };

    static const char  *fam[NFAMILIES][3] = {
        { "mado_feed_events_total", "counter",
          "Events a feed delivered, by what they did: applied (changed the "
          "figures), duplicate (already known), old (of an earlier day)." },
        { "mado_feed_bad_lines_total", "counter",
          "Lines a feed delivered that were refused: not an event, or an "
          "event the office cannot take (a refused update API batch counts "
          "the line it names)." },
        { "mado_feed_batch_age_seconds", "gauge",
          "Since the feed last wrote a batch (lines, good or bad)." },
        { "mado_feed_event_age_seconds", "gauge",
          "The age of the newest event the feed delivered (absent before "
          "the first)." }
    };

    static const char  *results[] = { "applied", "duplicate", "old" };

    if (rd->written) {
        p = ngx_slprintf(p, end,
                "# HELP mado_store_write_age_seconds Since the last write "
                "transaction was committed (data.mdb modified).\n"
                "# TYPE mado_store_write_age_seconds gauge\n"
                "mado_store_write_age_seconds %T\n",
                ngx_time() > rd->written ? ngx_time() - rd->written : 0);
    }

    if (rd->trail) {
        p = ngx_slprintf(p, end,
                "# HELP mado_audit_records Records in the audit trail.\n"
                "# TYPE mado_audit_records gauge\n"
                "mado_audit_records %uz\n"
                "# HELP mado_audit_last_seq The number of the audit trail's "
                "last record (0: none).\n"
                "# TYPE mado_audit_last_seq gauge\n"
                "mado_audit_last_seq %uL\n",
                rd->audit_records, rd->audit_last);
    }

    row = rd->feeds.elts;

    for (f = 0; f < NFAMILIES; f++) {
        p = ngx_slprintf(p, end, "# HELP %s %s\n# TYPE %s %s\n",
                         fam[f][0], fam[f][2], fam[f][0], fam[f][1]);

        for (i = 0; i < rd->feeds.nelts; i++) {
            if (f == EVENT && row[i].st.event_at == 0) {
                continue;
            }

            for (k = 0; k < (f == EVENTS ? 3 : 1); k++) {
                p = ngx_slprintf(p, end, "%s{office=\"", fam[f][0]);
                p = ngx_http_mado_label(p, end, row[i].office);
                p = ngx_slprintf(p, end, "\",feed=\"");
                p = ngx_http_mado_label(p, end, row[i].name);
                p = ngx_slprintf(p, end, "\",source=\"%s\"",
                                 row[i].source == MADO_FEED_HTTP ? "http"
                                                                 : "file");

                switch (f) {
                case EVENTS:
                    p = ngx_slprintf(p, end, ",result=\"%s\"", results[k]);
                    value = k == 0 ? (int64_t) row[i].st.applied
                            : k == 1 ? (int64_t) row[i].st.duplicate
                            : (int64_t) row[i].st.old;
                    break;
                case BAD:
                    value = (int64_t) row[i].st.bad;
                    break;
                case BATCH:
                    value = now > row[i].st.batch_at
                            ? now - row[i].st.batch_at : 0;
                    break;
                default:
                    /* an event may lead the clock by up to an hour */
                    value = now > row[i].st.event_at
                            ? now - row[i].st.event_at : 0;
                    break;
                }

                p = ngx_slprintf(p, end, "} %L\n", value);
            }
        }
    }

    return p;
}


/* a label value: backslash, quote and newline escaped, as the format says */
static u_char *
ngx_http_mado_label(u_char *p, u_char *end, const char *s)
{
    for ( /* void */ ; *s && p + 2 < end; s++) {
        switch (*s) {
        case '\\': *p++ = '\\'; *p++ = '\\'; break;
        case '"':  *p++ = '\\'; *p++ = '"'; break;
        case '\n': *p++ = '\\'; *p++ = 'n'; break;
        default:   *p++ = *s; break;
        }
    }

    return p;
}


/*
 * For load balancers and uptime checks: 200 when this worker reads the
 * store and has figures to serve, 503 with the reason otherwise.  Stale
 * counters are not a fault of the server (a ticket machine is down): they
 * are counted in the answer, and alerted on from the metrics.
 */
ngx_int_t
ngx_http_mado_health_handler(ngx_http_request_t *r)
{
    u_char                     *p, *end;
    ngx_int_t                   rc;
    ngx_str_t                   body;
    ngx_uint_t                  i, j, n, stale;
    ngx_http_mado_office_t     *o;
    ngx_http_mado_worker_t     *w;
    ngx_http_mado_snapshot_t   *snap;
    ngx_http_mado_main_conf_t  *mmcf;

    if (ngx_http_mado_security_headers(r, NGX_HTTP_MADO_SEC_DATA) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_mado_read_only(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    w = mmcf->worker;

    snap = ngx_http_mado_snapshot(r, mmcf);

    if (snap == NULL) {
        return ngx_http_mado_send_error(r, 0, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "store_unavailable", "%s",
                                        w != NULL && w->failing
                                        ? (char *) w->reason
                                        : "the store cannot be read");
    }

    if (snap->offices.nelts == 0) {
        return ngx_http_mado_send_error(r, 0, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "no_offices", "the store holds no "
                                        "offices (madoctl load)");
    }

    n = 0;
    stale = 0;
    o = snap->offices.elts;

    for (i = 0; i < snap->offices.nelts; i++) {
        for (j = 0; j < o[i].def.ncounters; j++) {
            n++;
            stale += o[i].stale[j] ? 1 : 0;
        }
    }

    p = ngx_pnalloc(r->pool, 256);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    end = p + 256;
    body.data = p;

    p = ngx_slprintf(p, end, "{\"status\":\"ok\",\"txn\":%uz,\"offices\":%ui,"
                     "\"counters\":%ui,\"stale_counters\":%ui}\n",
                     snap->txnid, snap->offices.nelts, n, stale);

    body.len = p - body.data;

    return ngx_http_mado_send_body(r, NGX_HTTP_OK,
                                   &ngx_http_mado_health_type, &body);
}
