/*
 * madoctl --server URL: login, logout, and set, issue, call, cancel
 * through the update API (ngx_http_mado_admin.c) over HTTPS.
 *
 * The counter verbs parse their options in cmd_counter.c, as locally, and
 * only the write goes here.  The session token lives in a file of mode
 * 0600 (by default ~/.config/mado/session-HOST[-PORT]); a token file
 * others could read is refused, as ssh refuses such a key.
 *
 * A counter change carries one Idempotency-Key per run: when the answer
 * is lost (a reset, a timeout, a close in the middle) it is sent again
 * with the same key, and the server answers it again without applying it
 * twice.  login has no such key: it is retried only when nothing was sent.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "madoctl.h"


#define MC_ATTEMPTS         4           /* then give up */
#define MC_TOKEN_PREFIX     "mado_s_"


typedef enum {
    MC_RETRY_UNSENT = 0,    /* only what never left: login */
    MC_RETRY_LOST           /* also a lost answer: idempotent requests */
} mc_retry_e;


typedef struct {
    mc_url_t            url;
    mc_https_t         *https;
    char                token_file[4096];
    char                token[MADO_SESSION_TOKEN_LEN + 1];
} mc_remote_t;


static int mc_remote_open(mc_ctx_t *ctx, const char *verb, mc_remote_t *r,
    int need_token);
static void mc_remote_close(mc_remote_t *r);
static int mc_remote_post(mc_remote_t *r, const char *verb, const char *path,
    const char *idem, const char *body, size_t blen, mc_retry_e retry,
    mc_http_res_t *res);
static int mc_remote_refused(mc_remote_t *r, const char *verb,
    mc_http_res_t *res);
static int mc_token_path(mc_ctx_t *ctx, mc_remote_t *r, int create);
static int mc_token_read(mc_remote_t *r, int logout);
static int mc_token_write(mc_remote_t *r, const char *token);
static int mc_token_valid(const char *t, size_t len);
static int mc_read_secret(const char *prompt, int from_stdin, char *buf,
    size_t len);


int
mc_cmd_login(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, from_stdin;
    char                         pw[1024];
    size_t                       len;
    yajl_gen                     g;
    yajl_val                     root;
    const char                  *user, *token, *ruser;
    mc_remote_t                  r;
    mc_http_res_t                res;
    struct passwd               *pwd;
    const unsigned char         *buf;
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "user",           required_argument, NULL, 'u' },
        { "password-stdin", no_argument,       NULL, 'p' },
        { "help",           no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    user = NULL;
    from_stdin = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'u': user = optarg; break;
        case 'p': from_stdin = 1; break;

        case 'h':
            return mc_help("login");

        default:
            return mc_getopt_error("login", c, argv);
        }
    }

    if ((rc = mc_args("login", argc, argv, names, 0)) != MC_EXIT_OK) {
        return rc;
    }

    if (user == NULL) {
        /* the account is usually named like the person's login */
        pwd = getpwuid(getuid());
        user = getenv("USER");

        if (user == NULL || *user == '\0') {
            user = pwd ? pwd->pw_name : NULL;
        }

        if (user == NULL) {
            return mc_usage_error("login", "who? give --user ID");
        }
    }

    if ((rc = mc_remote_open(ctx, "login", &r, 0)) != MC_EXIT_OK) {
        return rc;
    }

    /* the file is made now, not after the password: fail before asking */
    if ((rc = mc_token_path(ctx, &r, 1)) != MC_EXIT_OK) {
        mc_remote_close(&r);
        return rc;
    }

    {
        char  prompt[1024];

        snprintf(prompt, sizeof(prompt), "password for %s at %s: ", user,
                 r.url.origin);

        if (mc_read_secret(prompt, from_stdin, pw, sizeof(pw)) != 0) {
            mc_remote_close(&r);
            return MC_EXIT_REFUSED;
        }
    }

    /*
     * The user and the password go as typed: what an account may be
     * called and how long a password may be is the server's to say.
     */
    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        OPENSSL_cleanse(pw, sizeof(pw));
        mc_remote_close(&r);
        mc_error("out of memory");
        return MC_EXIT_STORE;
    }

    mado_update_login_encode(g, user, pw);
    OPENSSL_cleanse(pw, sizeof(pw));

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        mc_remote_close(&r);
        mc_error("login: cannot generate JSON");
        return MC_EXIT_STORE;
    }

    rc = mc_remote_post(&r, "login", "login", NULL, (const char *) buf, len,
                        MC_RETRY_UNSENT, &res);

    /* yajl frees without wiping: the password is in its buffer */
    OPENSSL_cleanse((void *) buf, len);
    yajl_gen_free(g);

    if (rc != MC_EXIT_OK) {
        mc_remote_close(&r);
        return rc;
    }

    if (res.status != 200) {
        rc = mc_remote_refused(&r, "login", &res);
        mc_http_res_free(&res);
        mc_remote_close(&r);
        return rc;
    }

    root = mado_json_parse(res.body, res.len, MADO_JSON_DEPTH, NULL);
    token = root ? mado_json_str(root, "token") : NULL;
    ruser = root ? mado_json_str(root, "user") : NULL;

    if (token == NULL || !mc_token_valid(token, strlen(token))) {
        mc_error("login: %s answered without a session token",
                 r.url.origin);
        rc = MC_EXIT_STORE;

    } else {
        rc = mc_token_write(&r, token);
    }

    if (rc == MC_EXIT_OK) {
        printf("logged in as %s at %s; the session is in %s\n",
               ruser ? ruser : user, r.url.origin, r.token_file);
    }

    if (root != NULL) {
        if (token != NULL) {
            OPENSSL_cleanse((void *) token, strlen(token));
        }
        yajl_tree_free(root);
    }

    OPENSSL_cleanse(res.buf, res.body + res.len - res.buf);
    mc_http_res_free(&res);
    mc_remote_close(&r);

    return rc;
}


int
mc_cmd_logout(mc_ctx_t *ctx, int argc, char **argv)
{
    int            rc;
    mc_remote_t    r;
    mc_http_res_t  res;
    static const char *const  names[] = { NULL };

    if ((rc = mc_no_options("logout", argc, argv)) != MC_CONTINUE
        || (rc = mc_args("logout", argc, argv, names, 0)) != MC_EXIT_OK)
    {
        return rc;
    }

    if ((rc = mc_remote_open(ctx, "logout", &r, 0)) != MC_EXIT_OK) {
        return rc;
    }

    if ((rc = mc_token_path(ctx, &r, 0)) != MC_EXIT_OK) {
        mc_remote_close(&r);
        return rc;
    }

    /* nothing to end is no failure: logout may run in any clean-up */
    rc = mc_token_read(&r, 1);
    if (rc == MC_CONTINUE) {
        printf("not logged in at %s (no %s)\n", r.url.origin, r.token_file);
        mc_remote_close(&r);
        return MC_EXIT_OK;
    }

    if (rc != MC_EXIT_OK) {
        mc_remote_close(&r);
        return rc;
    }

    /* ending a session twice does no harm: retried like an idempotent one */
    rc = mc_remote_post(&r, "logout", "logout", NULL, "{}", 2, MC_RETRY_LOST,
                        &res);
    if (rc != MC_EXIT_OK) {
        mc_error("logout: the session file is kept: run logout again");
        mc_remote_close(&r);
        return rc;
    }

    /* 401: the server has no such session any more, which is what we want */
    if (res.status != 200 && res.status != 401) {
        rc = mc_remote_refused(&r, "logout", &res);
        mc_http_res_free(&res);
        mc_remote_close(&r);
        return rc;
    }

    mc_http_res_free(&res);

    if (unlink(r.token_file) != 0 && errno != ENOENT) {
        mc_error("logout: the session ended, but %s stays: %s",
                 r.token_file, strerror(errno));
        mc_remote_close(&r);
        return MC_EXIT_STORE;
    }

    printf("logged out of %s\n", r.url.origin);
    mc_remote_close(&r);

    return MC_EXIT_OK;
}


/* set, issue, call, cancel: options parsed, now the write on the server */
int
mc_remote_counter(mc_ctx_t *ctx, const char *office, const char *counter,
    const mado_counter_op_t *op, mado_counter_state_t *st, uint32_t *result)
{
    int                   rc;
    char                  path[128], idem[33];
    size_t                len, i;
    yajl_gen              g;
    mc_remote_t           r;
    mc_http_res_t         res;
    unsigned char         rnd[16];
    const unsigned char  *buf;
    const char           *verb;

    verb = mado_hev_names[op->type];

    if ((rc = mc_remote_open(ctx, verb, &r, 1)) != MC_EXIT_OK) {
        return rc;
    }

    /* one key for every attempt of this run: the server applies it once */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        mc_remote_close(&r);
        mc_error("%s: no random numbers for the Idempotency-Key", verb);
        return MC_EXIT_STORE;
    }

    for (i = 0; i < sizeof(rnd); i++) {
        snprintf(idem + 2 * i, 3, "%02x", rnd[i]);
    }

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        mc_remote_close(&r);
        mc_error("out of memory");
        return MC_EXIT_STORE;
    }

    mado_update_encode(g, op);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        mc_remote_close(&r);
        mc_error("%s: cannot generate JSON", verb);
        return MC_EXIT_STORE;
    }

    /* ids are checked already: a-z 0-9 - _ need no escaping in a path */
    snprintf(path, sizeof(path), "offices/%s/counters/%s", office, counter);

    rc = mc_remote_post(&r, verb, path, idem, (const char *) buf, len,
                        MC_RETRY_LOST, &res);
    yajl_gen_free(g);

    if (rc != MC_EXIT_OK) {
        mc_remote_close(&r);
        return rc;
    }

    if (res.status != 200) {
        rc = mc_remote_refused(&r, verb, &res);
        mc_http_res_free(&res);
        mc_remote_close(&r);
        return rc;
    }

    /* the new state, as the local verbs print it */
    rc = mado_update_answer_parse(res.body, st, result) == 0 ? MC_EXIT_OK
                                                              : MC_EXIT_STORE;

    if (rc != MC_EXIT_OK) {
        mc_error("%s: %s answered 200 but not with a counter's state: "
                 "%.200s", verb, r.url.origin, res.body);

    } else {
        /* the answer leaves the message and notice out: they are what
           was sent */
        if (op->message != NULL) {
            st->message_len = strlen(op->message);
            memcpy(st->message, op->message, st->message_len + 1);
        }

        if (op->notice != NULL) {
            snprintf(st->notice, sizeof(st->notice), "%s", op->notice);
        }
    }

    mc_http_res_free(&res);
    mc_remote_close(&r);

    return rc;
}


/* the URL and TLS context; with need_token the session too */
static int
mc_remote_open(mc_ctx_t *ctx, const char *verb, mc_remote_t *r,
    int need_token)
{
    int   rc, usage;
    char  err[512];

    memset(r, 0, sizeof(mc_remote_t));

    if (mc_url_parse(ctx->server, &r->url, err, sizeof(err)) != 0) {
        return mc_usage_error(NULL, "--server: %s", err);
    }

    /* a peer that resets must give us EPIPE, not kill us */
    signal(SIGPIPE, SIG_IGN);

    if (need_token) {
        if ((rc = mc_token_path(ctx, r, 0)) != MC_EXIT_OK) {
            return rc;
        }

        rc = mc_token_read(r, 0);

        if (rc == MC_CONTINUE) {
            mc_error("%s: not logged in at %s (no %s): run madoctl --server "
                     "%s login", verb, r->url.origin, r->token_file,
                     r->url.origin);
            return MC_EXIT_AUTH;
        }

        if (rc != MC_EXIT_OK) {
            return rc;
        }
    }

    r->https = mc_https_new(ctx->cacert, ctx->proxy, ctx->proxy_from,
                            &usage, err, sizeof(err));
    if (r->https == NULL) {
        OPENSSL_cleanse(r->token, sizeof(r->token));
        mc_error("%s: %s", verb, err);
        return usage ? MC_EXIT_USAGE : MC_EXIT_TLS;
    }

    return MC_EXIT_OK;
}


static void
mc_remote_close(mc_remote_t *r)
{
    mc_https_free(r->https);
    OPENSSL_cleanse(r->token, sizeof(r->token));
}


/*
 * POST base+path, retried as retry allows; MC_EXIT_OK: an HTTP answer is
 * in res (whatever its status), else the error is printed.
 */
static int
mc_remote_post(mc_remote_t *r, const char *verb, const char *path,
    const char *idem, const char *body, size_t blen, mc_retry_e retry,
    mc_http_res_t *res)
{
    int              rc, attempt, again;
    long             delay;
    char             err[1024];
    struct timespec  ts;

    static const long  delay_ms[MC_ATTEMPTS - 1] = { 500, 1000, 2000 };

    for (attempt = 1; /* void */; attempt++) {
        rc = mc_https_post(r->https, &r->url, path, r->token, idem, body,
                           blen, res, err, sizeof(err));

        /*
         * A 503 was not acted on (the store unavailable, or logins crowding
         * the server: login_busy is answered before the attempt is
         * counted), so even a login is sent again
         */
        again = (rc == MC_HTTP_UNSENT)
                || (rc == MC_HTTP_OK && res->status == 503)
                || (retry == MC_RETRY_LOST && rc == MC_HTTP_LOST);

        if (!again || attempt == MC_ATTEMPTS) {
            break;
        }

        delay = delay_ms[attempt - 1];

        if (rc == MC_HTTP_OK) {
            snprintf(err, sizeof(err), "%s: 503, %s", r->url.origin,
                     strcmp(verb, "login") == 0
                     ? "too many logins at once, or the store unavailable"
                     : "the store is unavailable");

            /* the server's Retry-After, within reason */
            if (res->retry_after > 0) {
                delay = res->retry_after > 5 ? 5000
                                             : res->retry_after * 1000;
            }

            mc_http_res_free(res);
        }

        mc_error("%s: %s; trying again in %.1f s (attempt %d of %d%s)", verb,
                 err, delay / 1000.0, attempt + 1, MC_ATTEMPTS,
                 idem ? ", the same Idempotency-Key" : "");

        ts.tv_sec = delay / 1000;
        ts.tv_nsec = (delay % 1000) * 1000000L;

        while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
            /* void */
        }
    }

    switch (rc) {

    case MC_HTTP_OK:
        return MC_EXIT_OK;

    case MC_HTTP_UNTRUSTED:
        mc_error("%s: %s", verb, err);
        return MC_EXIT_TLS;

    case MC_HTTP_LOST:
        if (retry == MC_RETRY_UNSENT) {
            /* a password is not sent twice on a guess */
            mc_error("%s: %s; not tried again: look whether it took "
                     "effect", verb, err);
            return MC_EXIT_STORE;
        }

        /* fall through */

    default:
        mc_error("%s: %s%s", verb, err,
                 attempt > 1 ? "; giving up" : "");
        return MC_EXIT_STORE;
    }
}


/*
 * A refusal, as the server words it: its message names the field, here
 * renamed to the option that set it.  The exit status by HTTP status.
 */
static int
mc_remote_refused(mc_remote_t *r, const char *verb, mc_http_res_t *res)
{
    int          rc;
    size_t       n, i;
    yajl_val     root;
    const char  *msg, *code, *rest;

    static const char *const  fields[][2] = {
        { "waiting", "--waiting" },
        { "calling", "--calling" },
        { "last_issued", "--last-issued" },
        { "staff", "--staff" },
        { "status", "--status" },
        { "message", "--message" },
        { "notice", "--notice" },
        { "number", "NUMBER" },
        { "user", "--user" },
    };

    root = mado_json_parse(res->body, res->len, MADO_JSON_DEPTH, NULL);
    msg = root ? mado_json_str(root, "message") : NULL;
    code = root ? mado_json_str(root, "error") : NULL;

    if (msg == NULL) {
        /* not the API's answer: a proxy's page, or the wrong URL */
        mc_error("%s: %s answered %d without an error of the update API%s",
                 verb, r->url.origin, res->status,
                 res->status == 404 ? " (is the URL's path right?)" : "");

    } else {
        rest = msg;
        n = strcspn(msg, ": ");

        for (i = 0; res->status == 400 && msg[n] == ':'
                    && i < sizeof(fields) / sizeof(fields[0]); i++)
        {
            if (strlen(fields[i][0]) == n
                && strncmp(msg, fields[i][0], n) == 0)
            {
                rest = msg + n;
                break;
            }
        }

        mc_error("%s: %s%s (HTTP %d%s%s)", verb,
                 rest != msg ? fields[i][1] : "", rest, res->status,
                 code ? " " : "", code ? code : "");
    }

    switch (res->status) {

    case 401:
        if (strcmp(verb, "login") != 0) {
            mc_error("%s: log in again: madoctl --server %s login", verb,
                     r->url.origin);
        }

        rc = MC_EXIT_AUTH;
        break;

    case 429:
        if (res->retry_after > 0) {
            mc_error("%s: wait %lld s before trying again", verb,
                     (long long) res->retry_after);
        }

        rc = MC_EXIT_AUTH;
        break;

    case 403:
        rc = MC_EXIT_AUTH;
        break;

    default:
        rc = (res->status >= 400 && res->status < 500) ? MC_EXIT_REFUSED
                                                       : MC_EXIT_STORE;
    }

    if (root != NULL) {
        yajl_tree_free(root);
    }

    return rc;
}


/*
 * --token-file, $MADO_TOKEN_FILE, else $XDG_CONFIG_HOME/mado/session-HOST
 * [-PORT] (or ~/.config/...): one file per server, so that sessions at
 * two servers do not overwrite each other.  create: make the directories.
 */
static int
mc_token_path(mc_ctx_t *ctx, mc_remote_t *r, int create)
{
    int             n;
    char            dir[3072], *p;
    const char     *base, *home;
    struct passwd  *pw;

    if (ctx->token_file != NULL) {
        n = snprintf(r->token_file, sizeof(r->token_file), "%s",
                     ctx->token_file);
        return (size_t) n < sizeof(r->token_file) ? MC_EXIT_OK
               : mc_usage_error(NULL, "--token-file: too long");
    }

    base = getenv("XDG_CONFIG_HOME");

    if (base != NULL && base[0] == '/') {
        n = snprintf(dir, sizeof(dir), "%s/mado", base);

    } else {
        home = getenv("HOME");

        if (home == NULL || home[0] != '/') {
            pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }

        if (home == NULL) {
            mc_error("no home directory for the session file: give "
                     "--token-file FILE");
            return MC_EXIT_USAGE;
        }

        n = snprintf(dir, sizeof(dir), "%s/.config/mado", home);
    }

    if (n < 0 || (size_t) n >= sizeof(dir)) {
        mc_error("the session file's directory is too long: give "
                 "--token-file FILE");
        return MC_EXIT_USAGE;
    }

    n = snprintf(r->token_file, sizeof(r->token_file), "%s/session-%s%s%s",
                 dir, r->url.host, r->url.default_port ? "" : "-",
                 r->url.default_port ? "" : r->url.port);

    /* an IPv6 address's colons are no trouble in a name, but odd */
    for (p = r->token_file + strlen(dir); *p != '\0'; p++) {
        if (*p == ':') {
            *p = '_';
        }
    }

    if (!create) {
        return MC_EXIT_OK;
    }

    /* ~/.config, then ~/.config/mado; only ours to read (0700) */
    p = strrchr(dir, '/');
    *p = '\0';

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mc_error("%s: %s", dir, strerror(errno));
        return MC_EXIT_STORE;
    }

    *p = '/';

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mc_error("%s: %s", dir, strerror(errno));
        return MC_EXIT_STORE;
    }

    return MC_EXIT_OK;
}


/*
 * The token, from a file of ours that no one else may read or write;
 * MC_CONTINUE: there is no file.  logout reads a file others could read
 * all the same: ending a session that may have leaked is the remedy.
 */
static int
mc_token_read(mc_remote_t *r, int logout)
{
    int          fd;
    char         buf[MADO_SESSION_TOKEN_LEN + 8];
    ssize_t      n;
    size_t       len;
    struct stat  st;

    fd = open(r->token_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT) {
            return MC_CONTINUE;
        }

        mc_error("%s: %s", r->token_file, strerror(errno));
        return MC_EXIT_AUTH;
    }

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        mc_error("%s: not a regular file", r->token_file);
        return MC_EXIT_AUTH;
    }

    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        if (!logout) {
            close(fd);
            mc_error("%s: %s (mode %04o): the session token in it may have "
                     "leaked; not used.  End the session with logout, then "
                     "log in again (the new file is made 0600)",
                     r->token_file,
                     st.st_uid != geteuid() ? "another user's file"
                                            : "others may read or write it",
                     (unsigned) (st.st_mode & 07777));
            return MC_EXIT_AUTH;
        }

        mc_error("warning: %s may have been read by others (mode %04o): "
                 "ending its session", r->token_file,
                 (unsigned) (st.st_mode & 07777));
    }

    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);

    len = n > 0 ? (size_t) n : 0;
    buf[len] = '\0';
    len = strcspn(buf, "\r\n");

    if (!mc_token_valid(buf, len)) {
        OPENSSL_cleanse(buf, sizeof(buf));
        mc_error("%s: holds no session token: log in again", r->token_file);
        return MC_EXIT_AUTH;
    }

    memcpy(r->token, buf, len);
    r->token[len] = '\0';
    OPENSSL_cleanse(buf, sizeof(buf));

    return MC_EXIT_OK;
}


/*
 * A new file of mode 0600 (mkstemp: O_EXCL) in the same directory, then
 * renamed over the old: a reader sees the old token or the new, never
 * half of one, and never a moment of a wider mode.
 */
static int
mc_token_write(mc_remote_t *r, const char *token)
{
    int     fd, ok;
    char    tmp[4096 + 16], line[MADO_SESSION_TOKEN_LEN + 2];
    size_t  len;

    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", r->token_file);

    fd = mkstemp(tmp);
    if (fd == -1) {
        mc_error("%s: %s", tmp, strerror(errno));
        return MC_EXIT_STORE;
    }

    len = (size_t) snprintf(line, sizeof(line), "%s\n", token);

    ok = fchmod(fd, 0600) == 0
         && write(fd, line, len) == (ssize_t) len
         && fsync(fd) == 0;

    OPENSSL_cleanse(line, sizeof(line));

    if (close(fd) != 0) {
        ok = 0;
    }

    if (!ok || rename(tmp, r->token_file) != 0) {
        mc_error("%s: %s", r->token_file, strerror(errno));
        unlink(tmp);
        return MC_EXIT_STORE;
    }

    return MC_EXIT_OK;
}


/* "mado_s_" and 64 lower-case hex digits: nothing else goes in a header */
static int
mc_token_valid(const char *t, size_t len)
{
    size_t  i;

    if (len != MADO_SESSION_TOKEN_LEN
        || strncmp(t, MC_TOKEN_PREFIX, sizeof(MC_TOKEN_PREFIX) - 1) != 0)
    {
        return 0;
    }

    for (i = sizeof(MC_TOKEN_PREFIX) - 1; i < len; i++) {
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


/* one line from stdin, or asked once on the terminal without echo */
static int
mc_read_secret(const char *prompt, int from_stdin, char *buf, size_t len)
{
    int             ok;
    FILE           *in;
    size_t          n;
    struct termios  old, quiet;

    if (from_stdin) {
        in = stdin;

    } else {
        in = fopen("/dev/tty", "r+");
        if (in == NULL) {
            mc_error("password: no terminal to ask on; give "
                     "--password-stdin");
            return -1;
        }

        tcgetattr(fileno(in), &old);
        quiet = old;
        quiet.c_lflag &= ~ECHO;
        tcsetattr(fileno(in), TCSAFLUSH, &quiet);

        fputs(prompt, in);
        fflush(in);
    }

    ok = (fgets(buf, (int) len, in) != NULL);

    if (!from_stdin) {
        tcsetattr(fileno(in), TCSAFLUSH, &old);
        fputc('\n', in);
        fclose(in);
    }

    if (!ok) {
        mc_error("password: nothing %s", from_stdin ? "on standard input"
                                                    : "was typed");
        return -1;
    }

    n = strcspn(buf, "\r\n");

    if (buf[n] == '\0' && n == len - 1) {
        OPENSSL_cleanse(buf, len);
        mc_error("password: too long (at most %zu bytes)", len - 2);
        return -1;
    }

    buf[n] = '\0';

    return 0;
}
