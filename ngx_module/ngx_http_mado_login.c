
/*
 * mado: the logins' share of the thread pool.  A login hashes its password
 * in a thread for about a quarter of a second; a flood of logins would take
 * every thread of the pool, and counter updates would wait behind them.
 * So each worker gives logins at most mado_login_threads threads, runs at
 * most one at a time for each client address and each account (one
 * address or account cannot take them all), and keeps the others waiting
 * here, in its event loop, where they cost no thread.  The rest of the
 * pool stays free for updates.
 *
 * A login is answered at once, without a thread, when its address already
 * has as many logins waiting as it may fail (429) or the queue is full
 * (503 login_busy).  Neither is counted as a failed login: nothing was
 * evaluated.  The limits of failures are the library's (mado_login_begin),
 * counted in the store and so shared by the workers.
 */


#include "ngx_http_mado_admin.h"


static void ngx_http_mado_login_next(ngx_http_mado_worker_t *w);
static ngx_uint_t ngx_http_mado_login_count(ngx_queue_t *queue,
    ngx_http_mado_admin_task_t *t, ngx_uint_t same_user);
static void ngx_http_mado_login_refuse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_uint_t status, const char *code,
    const char *message);


void
ngx_http_mado_login_post(ngx_http_request_t *r, ngx_http_mado_admin_task_t *t,
    ngx_thread_task_t *task)
{
    ngx_http_mado_worker_t     *w;
    ngx_http_mado_main_conf_t  *mmcf;

    static time_t  logged;      /* once a second at most, in a flood */

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    w = mmcf->worker;

    if (w->logins_waiting.next == NULL) {
        ngx_queue_init(&w->logins_waiting);
        ngx_queue_init(&w->logins_running);
    }

    /* more than the address may fail cannot be evaluated anyway */
    if (ngx_http_mado_login_count(&w->logins_waiting, t, 0)
        + ngx_http_mado_login_count(&w->logins_running, t, 0)
        >= MADO_CLIENT_FAILURES)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "mado admin: login of \"%s\": its address has too "
                       "many logins waiting", t->user);

        ngx_http_mado_login_refuse(r, t, NGX_HTTP_TOO_MANY_REQUESTS,
                                   "too_many_logins",
                                   "too many logins at once from this "
                                   "address: wait and try again");
        return;
    }

    t->thread_task = task;

    /* the request and its task stay until the login is done */
    r->main->blocked++;
    r->aio = 1;

    ngx_queue_insert_tail(&w->logins_waiting, &t->login_queue);
    w->nlogins_waiting++;

    ngx_http_mado_login_next(w);

    if (w->nlogins_waiting > mmcf->login_queue
        && ngx_queue_last(&w->logins_waiting) == &t->login_queue)
    {
        if (logged != ngx_time()) {
            logged = ngx_time();
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "mado admin: %ui logins wait for a thread: more "
                          "are refused (mado_login_threads %ui queue=%ui)",
                          w->nlogins_waiting - 1, mmcf->login_threads,
                          mmcf->login_queue);
        }

        ngx_queue_remove(&t->login_queue);
        w->nlogins_waiting--;
        r->main->blocked--;
        r->aio = 0;

        ngx_http_mado_login_refuse(r, t, NGX_HTTP_SERVICE_UNAVAILABLE,
                                   "login_busy",
                                   "too many logins at once: try again in "
                                   "a moment");
    }
}


/* a login's thread is done: the next ones may have it */
void
ngx_http_mado_login_done(ngx_http_mado_worker_t *w,
    ngx_http_mado_admin_task_t *t)
{
    ngx_queue_remove(&t->login_queue);
    w->nlogins_running--;

    ngx_http_mado_login_next(w);
}


/*
 * The logins waiting longest go to threads while there are threads for
 * them, each only when no login of its address or account runs.
 */
static void
ngx_http_mado_login_next(ngx_http_mado_worker_t *w)
{
    ngx_int_t                    rc;
    ngx_queue_t                 *q, *next;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_mado_loc_conf_t    *mlcf;
    ngx_http_mado_main_conf_t   *mmcf;
    ngx_http_mado_admin_task_t  *t;

    for (q = ngx_queue_head(&w->logins_waiting);
         q != ngx_queue_sentinel(&w->logins_waiting);
         q = next)
    {
        next = ngx_queue_next(q);
        t = ngx_queue_data(q, ngx_http_mado_admin_task_t, login_queue);
        r = t->request;
        c = r->connection;

        mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
        mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

        if (w->nlogins_running >= mmcf->login_threads) {
            return;
        }

        if (ngx_http_mado_login_count(&w->logins_running, t, 1)) {
            continue;
        }

        ngx_queue_remove(q);
        w->nlogins_waiting--;

        if (!w->opened) {
            ngx_explicit_memzero(t->password, sizeof(t->password));
            r->main->blocked--;
            r->aio = 0;

            rc = ngx_http_mado_send_error(r, 0, NGX_HTTP_SERVICE_UNAVAILABLE,
                                          "store_unavailable", "the store "
                                          "cannot be written right now");
            ngx_http_finalize_request(r, rc);
            ngx_http_run_posted_requests(c);
            continue;
        }

        /* the clock of its turn, not of its arrival */
        t->now = ngx_http_mado_now(mmcf);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "mado admin: login of \"%s\" to a thread, %ui wait",
                       t->user, w->nlogins_waiting);

        /* the store stays open (not reopened) while the task uses it */
        w->busy++;

        if (ngx_thread_task_post(mlcf->thread_pool, t->thread_task)
            != NGX_OK)
        {
            ngx_explicit_memzero(t->password, sizeof(t->password));
            w->busy--;
            r->main->blocked--;
            r->aio = 0;
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            ngx_http_run_posted_requests(c);
            continue;
        }

        ngx_queue_insert_tail(&w->logins_running, &t->login_queue);
        w->nlogins_running++;
    }
}


/* the logins in queue from t's address, or of its address or account */
static ngx_uint_t
ngx_http_mado_login_count(ngx_queue_t *queue, ngx_http_mado_admin_task_t *t,
    ngx_uint_t same_user)
{
    ngx_uint_t                   n;
    ngx_queue_t                 *q;
    ngx_http_mado_admin_task_t  *o;

    n = 0;

    for (q = ngx_queue_head(queue);
         q != ngx_queue_sentinel(queue);
         q = ngx_queue_next(q))
    {
        o = ngx_queue_data(q, ngx_http_mado_admin_task_t, login_queue);

        if (ngx_strcmp(o->client, t->client) == 0
            || (same_user && ngx_strcmp(o->user, t->user) == 0))
        {
            n++;
        }
    }

    return n;
}


/* answered at once: not evaluated, not counted; try again in a second */
static void
ngx_http_mado_login_refuse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_uint_t status, const char *code,
    const char *message)
{
    ngx_int_t  rc;
    ngx_str_t  key, value;

    ngx_explicit_memzero(t->password, sizeof(t->password));

    ngx_str_set(&key, "Retry-After");
    ngx_str_set(&value, "1");

    if (ngx_http_mado_add_header(r, &key, &value) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_mado_send_error(r, 0, status, code, "%s", message);
    ngx_http_finalize_request(r, rc);
}
