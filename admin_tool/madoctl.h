/*
 * madoctl: the admin tool of mado.  It writes the store, as the module
 * does for the update API (mado_admin): both through lmdb_store/.
 *
 * madoctl.c      main: the global options, the dispatch to a verb
 * verbs.c        the verb table, the usage texts, help
 * cli.c          what every verb uses of the command line: messages and
 *                usage errors, arguments, numbers, ids, MADO_NOW, JSON out
 * local.c        the local store for the verbs: open (with the audit
 *                key), actor, audit records, exit codes
 * cmd_store.c    init, load
 * cmd_show.c     show
 * cmd_counter.c  set, issue, call, cancel (their rules: mado_counter.c)
 * cmd_simulate.c simulate
 * cmd_calendar.c holidays, calendar
 * cmd_feed.c     feed: ticket-machine event logs into counter state
 * feed_format.c  feed: a log's lines (encodings, voicecall, jsonl)
 * cmd_report.c   report: the history per day and hour, CSV or HTML
 * cmd_compact.c  compact: the retention of the history
 * cmd_audit.c    audit list, audit verify
 * cmd_user.c     user: staff accounts
 * cmd_remote.c   --server: login, logout, and set, issue, call, cancel
 *                through the update API over HTTPS
 * https.c        the HTTPS client that cmd_remote.c uses (libcurl),
 *                proxies included
 * cmd_export.c   export: everything the city owns, at the contract's end
 * cmd_destroy.c  destroy: keys, store and backups made unreadable, and a
 *                signed receipt
 * cmd_backup.c   backup, restore, migrate
 */

#ifndef MADOCTL_H
#define MADOCTL_H

#include <iconv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yajl/yajl_gen.h>

#include "mado_store.h"


#define MC_VERSION          MADO_VERSION

/* exit codes; the main --help documents them */
#define MC_EXIT_OK          0
#define MC_EXIT_REFUSED     1       /* request refused or invalid */
#define MC_EXIT_USAGE       2       /* unknown verb or option, missing arg */
#define MC_EXIT_STORE       3       /* store missing, other schema, I/O;
                                       remote: server unreachable, 5xx */
#define MC_EXIT_AUTH        4       /* remote: not logged in, session gone,
                                       wrong password, not allowed (401,
                                       403, 429) */
#define MC_EXIT_TLS         5       /* remote: the server's certificate
                                       failed verification */

/* not an exit code: "options parsed, go on" */
#define MC_CONTINUE         (-1)

/*
 * Every verb's optstring starts with ':' so that getopt_long returns ':'
 * for a missing option argument and we word the error ourselves.
 */
#define MC_OPTS(s)          ":h" s


#define MC_DEFAULT_AUDIT_KEY  "/etc/mado/audit.key"

/* mc_store_open: read-only, but with the audit key (audit verify) */
#define MC_OPEN_AUDIT       0x100
/* mc_store_open: a writer that has no anchor yet (init, audit anchor) */
#define MC_OPEN_NOANCHOR    0x200

typedef struct {
    const char         *store;      /* store directory */
    const char         *audit_key;  /* the audit trail's key file */
    int64_t             now;        /* set by mc_clock() */
    const char         *server;     /* --server URL: remote, else NULL */
    const char         *cacert;     /* --cacert FILE, else system CAs */
    const char         *token_file; /* --token-file, else the default */
    const char         *proxy;      /* --proxy URL, else libcurl's own
                                       https_proxy... from the environment */
    const char         *proxy_from; /* "--proxy" or "MADO_PROXY" */
} mc_ctx_t;


/* argv[0] is the verb's name; returns the exit code */
typedef int (*mc_verb_pt)(mc_ctx_t *ctx, int argc, char **argv);

/* where a verb runs: the store here, a server (--server), or either */
#define MC_LOCAL            0
#define MC_EITHER           1
#define MC_REMOTE           2

typedef struct {
    const char         *name;
    mc_verb_pt          run;
    const char         *usage;
    int                 where;
} mc_verb_t;

/* the verb of that name, or NULL */
const mc_verb_t *mc_verb_find(const char *name);


/* cli.c: the command line */
void mc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int mc_usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mc_getopt_error(const char *verb, int c, char **argv);
int mc_no_options(const char *verb, int argc, char **argv);
int mc_json_option(const char *verb, int argc, char **argv, int *json);
int mc_args(const char *verb, int argc, char **argv,
    const char *const *names, int min);
int mc_check_id(const char *name, const char *id);
int mc_parse_uint(const char *name, const char *s, uint32_t min,
    uint32_t max, uint32_t *out);
int mc_parse_double(const char *name, const char *s, double min, double max,
    double *out);
/* ctx->now: MADO_NOW (unix seconds, or ISO 8601, no offset: Japan time)
   when set, else the clock */
int mc_clock(mc_ctx_t *ctx);
yajl_gen mc_json_gen(void);
int mc_json_print(yajl_gen g);

/* verbs.c: the help of a verb, or madoctl's (NULL) */
int mc_help(const char *verb);

/* local.c: the local store */
int mc_store_open(mc_ctx_t *ctx, mado_store_t *s, unsigned flags);
/* the anchor's path, beside the audit key; NULL (said) if too long */
const char *mc_anchor_path(mc_ctx_t *ctx);
int mc_anchor_open(mc_ctx_t *ctx, mado_store_t *s, int how);
const char *mc_actor(void);
int mc_audit(mado_store_t *s, MDB_txn *txn, int64_t now, const char *action,
    const char *office, const char *counter,
    const mado_counter_state_t *before, const mado_counter_state_t *after,
    const char *const *extra, mado_err_t *err);
int mc_audit_only(mc_ctx_t *ctx, const char *action,
    const char *const *extra);
int mc_exit_code(int rc);

/* the verbs */
int mc_cmd_init(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_load(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_show(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_set(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_issue(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_call(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_cancel(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_simulate(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_holidays(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_calendar(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_feed(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_report(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_compact(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_audit(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_user(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_help(mc_ctx_t *ctx, int argc, char **argv);
/* alerts (issue 16) */
int mc_cmd_check(mc_ctx_t *ctx, int argc, char **argv);

int mc_cmd_login(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_logout(mc_ctx_t *ctx, int argc, char **argv);

int mc_cmd_backup(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_restore(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_migrate(mc_ctx_t *ctx, int argc, char **argv);

/* cmd_remote.c: one counter change through the update API */
int mc_remote_counter(mc_ctx_t *ctx, const char *office, const char *counter,
    const mado_counter_op_t *op, mado_counter_state_t *st, uint32_t *result);


/* https.c */
typedef struct {
    char                host[256];      /* lower case, IPv6 without [] */
    char                port[6];
    char                base[512];      /* the API's path, ends in '/' */
    char                authority[300]; /* for Host: */
    char                origin[800];    /* https://host[:port][/prefix] */
    unsigned            ipv6:1;
    unsigned            default_port:1;
} mc_url_t;

typedef struct {
    int                 status;
    int64_t             retry_after;    /* seconds, -1: none */
    char               *body;           /* in buf, NUL-terminated */
    size_t              len;
    char               *buf;
} mc_http_res_t;

enum {
    MC_HTTP_OK = 0,
    MC_HTTP_UNSENT,         /* failed before the request left: retry */
    MC_HTTP_LOST,           /* sent, no complete answer: maybe applied */
    MC_HTTP_UNTRUSTED,      /* the certificate failed verification */
    MC_HTTP_FAILED          /* setup, or an answer that is not HTTP */
};

typedef struct mc_https_s  mc_https_t;

int mc_url_parse(const char *s, mc_url_t *u, char *err, size_t size);
/* -1: not a proxy's URL; else whether it holds credentials */
int mc_proxy_parse(const char *s, char *shown, size_t len, char *err,
    size_t size);
/* proxy NULL: libcurl's https_proxy, all_proxy, no_proxy; *usage: the
   failure is of --cacert or of the proxy's URL */
mc_https_t *mc_https_new(const char *cacert, const char *proxy,
    const char *proxy_from, int *usage, char *err, size_t size);
void mc_https_free(mc_https_t *h);
int mc_https_post(mc_https_t *h, const mc_url_t *u, const char *path,
    const char *token, const char *idem, const char *body, size_t blen,
    mc_http_res_t *res, char *err, size_t size);
void mc_http_res_free(mc_http_res_t *res);

/* feed_format.c: the lines of a ticket machine's log (cmd_feed.c) */
enum { MC_FMT_VOICECALL = 0, MC_FMT_JSONL };
enum { MC_ENC_AUTO = 0, MC_ENC_UTF8, MC_ENC_SJIS };

/* what became of a line */
enum {
    MC_LINE_EVENT = 0,          /* parsed; the write sets the result */
    MC_LINE_BLANK,
    MC_LINE_BAD
};

/* an event of the library's batch, and what became of its line */
typedef struct {
    mado_feed_event_t       e;
    uint8_t                 kind;           /* MC_LINE_* */
} mc_feed_line_t;

/* how the log is written: --format, --encoding */
typedef struct {
    int                     format;         /* MC_FMT_* */
    int                     encoding;       /* MC_ENC_* */
    iconv_t                 cd;             /* from CP932, unless utf-8 */
} mc_feed_format_t;

void mc_feed_parse(const mc_feed_format_t *fmt, mado_line_e kind,
    const mado_line_t *ln, mc_feed_line_t *l);
/* l is bad (MC_LINE_BAD), e.why says why */
void mc_feed_bad(mc_feed_line_t *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Contract end (cmd_export.c, cmd_destroy.c): export and destroy, and
 * what they share with the report and with each other
 */
int mc_cmd_export(mc_ctx_t *ctx, int argc, char **argv);
int mc_cmd_destroy(mc_ctx_t *ctx, int argc, char **argv);
/* the report's CSV (cmd_report.c), to any file */
void mc_report_csv_head(FILE *f);
void mc_report_csv(FILE *f, const mado_day_t *d);
/*
 * a key's fingerprint: 32 hex digits of HKDF-SHA-256(key, "mado key
 * fingerprint v1"), which tells keys apart and gives nothing of the key;
 * the export and the destruction receipt both name the audit key by it
 */
#define MC_FINGERPRINT_LEN  32
void mc_key_fingerprint(const unsigned char *key, char *out);

/* ---- madoctl logs: the access logs (cmd_logs*.c, log_line.c, log_seal.c) */

int mc_cmd_logs(mc_ctx_t *ctx, int argc, char **argv);

/* log_line.c: a line of log_format mado_json */
typedef struct {
    const char         *p;          /* NUL-terminated, "" when absent */
    size_t              len;
} mc_log_str_t;

typedef struct {
    mc_log_str_t        time, addr, method, path, ref, ua, lang, host,
                        proto, tls, id;
    int                 status;     /* -1: absent */
    int64_t             bytes;      /* -1: absent */
    double              rt;         /* -1: absent */
    mado_date_t         date;       /* of time, as logged */
    int                 hour;
    const char         *why;        /* a line refused: why */
} mc_log_rec_t;

#define MC_LOG_OFFICE_MAX   32

/* what a path is: page views are the pages, not the API or assets */
enum {
    MC_PAGE_NONE = 0,
    MC_PAGE_TOP,            /* / */
    MC_PAGE_OFFICE,         /* /ID */
    MC_PAGE_SIGNAGE,        /* /ID/signage */
    MC_PAGE_EMBED           /* /embed/ID */
};

int mc_log_parse(const char *line, size_t len, char *buf, mc_log_rec_t *r);
int mc_log_office(const char *path, size_t len, char *out);
const char *mc_log_bot(const char *ua, size_t len);
size_t mc_log_ref_host(const char *ref, size_t len, char *out, size_t size);

#endif /* MADOCTL_H */
