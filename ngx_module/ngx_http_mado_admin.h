
/*
 * mado: the update API's parts (ngx_http_mado_admin.c and the files named
 * below), what they share: a request's task, which a thread does.
 */


#ifndef _NGX_HTTP_MADO_ADMIN_H_INCLUDED_
#define _NGX_HTTP_MADO_ADMIN_H_INCLUDED_


#include "ngx_http_mado_module.h"


#define NGX_HTTP_MADO_ADMIN_BODY_MAX   16384
#define NGX_HTTP_MADO_SESSION_IDLE     MADO_SESSION_IDLE
#define NGX_HTTP_MADO_SESSION_MAX      MADO_SESSION_MAX
#define NGX_HTTP_MADO_SESSION_COOKIE   "mado_session"
#define NGX_HTTP_MADO_UNPROCESSABLE    422

/* a feed's batch: bodies bigger than client_body_buffer_size are in a
   temp file, read in the thread; nginx's client_max_body_size (1m by
   default) stays above this so the answer is ours */
#define NGX_HTTP_MADO_FEED_BODY_MAX    (512 * 1024)
#define NGX_HTTP_MADO_FEED_EVENTS      10000
#define NGX_HTTP_MADO_FEED_PARTS       8


/* the library's routes: its codec reads a body by them, and the request
   fingerprints hash their numbers */
typedef enum {
    NGX_HTTP_MADO_ADMIN_LOGIN = MADO_UPDATE_LOGIN,
    NGX_HTTP_MADO_ADMIN_LOGOUT = MADO_UPDATE_LOGOUT,
    NGX_HTTP_MADO_ADMIN_SESSION = MADO_UPDATE_SESSION,
    NGX_HTTP_MADO_ADMIN_COUNTER = MADO_UPDATE_COUNTER,
    NGX_HTTP_MADO_ADMIN_FEED = MADO_UPDATE_FEED
} ngx_http_mado_admin_route_e;


/* what a thread needs, and what it answers: plain C, no pools */
typedef struct {
    ngx_http_mado_admin_route_e  route;
    void                        *request;   /* for the main thread only */
    mado_store_t                *store;
    ngx_http_mado_stats_t       *stats;     /* shared: logins counted */
    int64_t                      now;
    char                         client[NGX_SOCKADDR_STRLEN + 1];
    ngx_str_t                    request_line;  /* the request's memory,
                                                   kept while it waits */
    ngx_log_t                    log;       /* the connection's, with the
                                               client and request line */
    char                         office[MADO_ID_MAX + 1];
    char                         counter[MADO_ID_MAX + 1];
    char                         user[MADO_ID_MAX + 1];
    char                         password[MADO_PASSWORD_MAX + 1];
    char                         token[MADO_SESSION_TOKEN_LEN + 1];
    char                         message[MADO_MESSAGE_MAX + 1];
    char                         notice[MADO_ID_MAX + 1];   /* op.notice */
    char                         idem[MADO_IDEM_KEY_MAX + 1];
    unsigned char                fp[MADO_HASH_LEN];     /* the request's */
    mado_counter_op_t            op;
    unsigned                     cookie:1;  /* the session is a cookie's */
    unsigned                     feed_token:1;  /* token is a feed's */

    /* a login, in the event loop: its place among the worker's logins
       (ngx_http_mado_login.c) and its thread's task */
    ngx_queue_t                  login_queue;
    void                        *thread_task;

    /* feed: the body (pool memory the request keeps while blocked), and
       the parts of it in the temp file, read in the thread */
    u_char                      *in;
    size_t                       in_len;
    struct {
        ngx_fd_t                 fd;
        off_t                    pos;
        size_t                   len;
        size_t                   at;
    }                            part[NGX_HTTP_MADO_FEED_PARTS];
    ngx_uint_t                   nparts;

    /* feed, in the thread: the events parsed (malloc), or why not */
    mado_feed_body_t             feed;

    /* out */
    ngx_uint_t                   status;
    int64_t                      retry_after;
    int64_t                      client_locked;
    unsigned                     set_cookie:1;
    unsigned                     resized:1;     /* the map grew: adopt it */
    unsigned                     retired:1;     /* a restore retired the
                                                   store: open its successor */
    ngx_uint_t                   attempts;
    unsigned                     clear_cookie:1;
    char                         body[4096];
    size_t                       len;

    /* refused before the thread (ngx_http_mado_guard.c): only audited */
    unsigned                     refused:1;
    const char                  *reason;    /* static */
} ngx_http_mado_admin_task_t;


/* ngx_http_mado_admin.c */
void ngx_http_mado_admin_post(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t);
void ngx_http_mado_admin_fail(ngx_http_mado_admin_task_t *t,
    ngx_uint_t status, const char *code, const char *message);

/* ngx_http_mado_login.c */
void ngx_http_mado_login_post(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_thread_task_t *task);
void ngx_http_mado_login_done(ngx_http_mado_worker_t *w,
    ngx_http_mado_admin_task_t *t);

/* ngx_http_mado_auth.c */
ngx_int_t ngx_http_mado_admin_token(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
ngx_int_t ngx_http_mado_admin_cookie(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t);
void ngx_http_mado_admin_login(ngx_http_mado_admin_task_t *t,
    ngx_log_t *log);
int ngx_http_mado_admin_session(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_account_t *a, mado_err_t *err);
int ngx_http_mado_admin_session_write(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_account_t *a, mado_err_t *err);

/* ngx_http_mado_idem.c */
ngx_int_t ngx_http_mado_admin_idem_key(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
int ngx_http_mado_admin_replay(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_err_t *err);
int ngx_http_mado_admin_remember(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, mado_err_t *err);
void ngx_http_mado_admin_fingerprint(ngx_http_mado_admin_task_t *t,
    const u_char *body, size_t len);

/* ngx_http_mado_body.c */
ngx_int_t ngx_http_mado_admin_read(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t);
ngx_int_t ngx_http_mado_admin_feed_read(ngx_http_mado_admin_task_t *t);

/* ngx_http_mado_feed.c */
ngx_int_t ngx_http_mado_admin_feed_type(ngx_http_request_t *r,
    ngx_int_t *sent);
void ngx_http_mado_admin_feed(ngx_http_mado_admin_task_t *t,
    ngx_log_t *log);

/* ngx_http_mado_guard.c */
ngx_int_t ngx_http_mado_admin_guard(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
ngx_int_t ngx_http_mado_admin_origin(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_int_t *sent);
ngx_int_t ngx_http_mado_admin_refuse(ngx_http_request_t *r,
    ngx_http_mado_admin_task_t *t, ngx_uint_t status, const char *code,
    const char *reason, const char *fmt, ...);
void ngx_http_mado_admin_refused(ngx_http_mado_admin_task_t *t,
    ngx_log_t *log);
int ngx_http_mado_admin_refusal(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, const char *user, ngx_uint_t status,
    const char *reason, mado_err_t *err);
void ngx_http_mado_admin_refusal_txn(ngx_http_mado_admin_task_t *t,
    const char *user, ngx_uint_t status, const char *reason);
int ngx_http_mado_admin_login_audit(mado_store_t *s, MDB_txn *txn,
    ngx_http_mado_admin_task_t *t, int ok, int known, const char **sealed,
    mado_err_t *err);

/* ngx_http_mado_update.c */
void ngx_http_mado_admin_update(ngx_http_mado_admin_task_t *t,
    ngx_log_t *log);


#endif /* _NGX_HTTP_MADO_ADMIN_H_INCLUDED_ */
