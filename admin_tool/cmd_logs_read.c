/*
 * madoctl logs search|stats: the access log read back, from the
 * compressed archives (zlib reads .gz and plain alike) and the current
 * log, line by line through mc_log_parse (log_line.c).
 *
 * The archive named for day D (logrotate's dateyesterday) holds D's
 * requests up to the rotation a little after midnight, so the day's first
 * minutes are in D-1's: the files of [from - 1, to + 1] are read and each
 * line is kept by the date it was logged with.
 */

#define _GNU_SOURCE     /* strcasestr, memmem */

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <dirent.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "madoctl.h"
#include "log_seal.h"


#define MC_LINE_MAX     (1024 * 1024)   /* longer: not a line of ours */
#define MC_STATS_DAYS   400


typedef int (*mc_line_pt)(void *arg, const char *line, size_t len,
    const mc_log_rec_t *r);

typedef struct {
    uint64_t            lines, bad;
    char                first_bad[PATH_MAX + 64];
} mc_read_t;


/* ------------------------------------------------------------ the files */

typedef struct {
    char                name[MC_NAME_MAX + 1];
    mado_date_t         date;
} mc_file_t;


static int
mc_file_cmp(const void *a, const void *b)
{
    const mc_file_t  *x = a, *y = b;

    if (x->date != y->date) {
        return x->date < y->date ? -1 : 1;
    }

    /* access.log-D before access.log-D.gz: the same day either way */
    return strcmp(x->name, y->name);
}


/* the archives that may hold lines of [first, last], then the current log */
static int
mc_read_files(const mc_logs_opt_t *o, mc_file_t **out, size_t *n)
{
    DIR            *d;
    size_t          cap;
    long            day;
    mc_file_t      *f, *t;
    mado_date_t     date;
    struct dirent  *de;

    d = opendir(o->log_dir);
    if (d == NULL) {
        return -1;
    }

    f = NULL;
    cap = 0;
    *n = 0;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, MC_LOG_CURRENT) == 0) {
            date = 99991231;        /* last */

        } else if (strlen(de->d_name) > MC_NAME_MAX
                   || mc_log_archive_name(de->d_name, &date) != 0)
        {
            continue;

        } else {
            day = mc_day(date);
            if ((o->first >= 0 && day < o->first - 1)
                || (o->last != LONG_MAX && day > o->last + 1))
            {
                continue;
            }
        }

        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            t = realloc(f, cap * sizeof(mc_file_t));
            if (t == NULL) {
                free(f);
                closedir(d);
                errno = ENOMEM;
                return -1;
            }
            f = t;
        }

        strcpy(f[*n].name, de->d_name);
        f[*n].date = date;
        (*n)++;
    }

    closedir(d);

    if (*n) {
        qsort(f, *n, sizeof(mc_file_t), mc_file_cmp);
    }

    *out = f;

    return 0;
}


/* each line of one file to fn; MC_EXIT_* */
static int
mc_read_file(const char *path, mc_read_t *rd, const mc_logs_opt_t *o,
    mc_line_pt fn, void *arg)
{
    int            n, rc;
    char          *buf, *dec, *t, *p, *nl, *end;
    gzFile         gz;
    size_t         size, have, len;
    uint64_t       no;
    mc_log_rec_t   r;

    gz = gzopen(path, "rb");
    if (gz == NULL) {
        mc_error("%s: %s", path, strerror(errno ? errno : ENOMEM));
        return MC_EXIT_STORE;
    }

    gzbuffer(gz, 256 * 1024);

    size = 256 * 1024;
    buf = malloc(size + 1);
    dec = malloc(size + 1);
    have = 0;
    no = 0;
    rc = MC_EXIT_OK;

    if (buf == NULL || dec == NULL) {
        mc_error("out of memory");
        rc = MC_EXIT_STORE;
        goto done;
    }

    for ( ;; ) {
        n = gzread(gz, buf + have, (unsigned) (size - have));

        if (n < 0) {
            int          e;
            const char  *msg = gzerror(gz, &e);

            mc_error("%s: %s", path, e == Z_ERRNO ? strerror(errno) : msg);
            rc = MC_EXIT_STORE;
            goto done;
        }

        have += (size_t) n;
        end = buf + have;
        p = buf;

        /* the last line may have no newline: it ends the file */
        while (p < end) {
            nl = memchr(p, '\n', (size_t) (end - p));
            if (nl == NULL) {
                if (n > 0) {
                    break;
                }
                nl = end;
            }

            len = (size_t) (nl - p);
            *nl = '\0';
            no++;
            rd->lines++;

            if (len > 0 && p[len - 1] == '\r') {
                p[--len] = '\0';
            }

            if (len == 0) {
                /* a blank line: nothing */

            } else if (mc_log_parse(p, len, dec, &r) != 0) {
                if (rd->bad++ == 0) {
                    snprintf(rd->first_bad, sizeof(rd->first_bad),
                             "%s:%llu: %s", path, (unsigned long long) no,
                             r.why);
                }

            } else if ((o->first < 0 || mc_day(r.date) >= o->first)
                       && (o->last == LONG_MAX || mc_day(r.date) <= o->last))
            {
                rc = fn(arg, p, len, &r);
                if (rc != MC_EXIT_OK) {
                    goto done;
                }
            }

            p = nl + 1;
        }

        if (n == 0) {
            break;
        }

        /* the rest of a line to the front; a line too long for the
           buffer grows it, up to MC_LINE_MAX */
        have = (size_t) (end - p);
        memmove(buf, p, have);

        if (have == size) {
            if (size >= MC_LINE_MAX) {
                rd->bad++;
                have = 0;
                continue;
            }

            size *= 2;
            t = realloc(buf, size + 1);
            if (t == NULL) {
                mc_error("out of memory");
                rc = MC_EXIT_STORE;
                goto done;
            }
            buf = t;

            t = realloc(dec, size + 1);
            if (t == NULL) {
                mc_error("out of memory");
                rc = MC_EXIT_STORE;
                goto done;
            }
            dec = t;
        }
    }

done:

    free(buf);
    free(dec);
    gzclose(gz);

    return rc;
}


static int
mc_read_all(const mc_logs_opt_t *o, mc_line_pt fn, void *arg, mc_read_t *rd)
{
    int         rc;
    char        path[PATH_MAX];
    size_t      i, n;
    mc_file_t  *f;

    memset(rd, 0, sizeof(mc_read_t));

    if (mc_read_files(o, &f, &n) != 0) {
        mc_error("--log-dir %s: %s", o->log_dir, strerror(errno));
        return MC_EXIT_STORE;
    }

    rc = MC_EXIT_OK;

    for (i = 0; i < n && rc == MC_EXIT_OK; i++) {
        /* access.log-D and access.log-D.gz: a rotation in progress, the
           compressed one is whole only when the plain one is gone */
        if (i + 1 < n && f[i + 1].date == f[i].date
            && strncmp(f[i + 1].name, f[i].name, strlen(f[i].name)) == 0)
        {
            continue;
        }

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", o->log_dir,
                              f[i].name)
            >= sizeof(path))
        {
            mc_error("%s: path too long", o->log_dir);
            rc = MC_EXIT_STORE;
            break;
        }

        rc = mc_read_file(path, rd, o, fn, arg);
    }

    free(f);

    if (rd->bad) {
        mc_error("%llu of %llu lines are not mado_json and were skipped "
                 "(the first: %s)", (unsigned long long) rd->bad,
                 (unsigned long long) rd->lines, rd->first_bad);
    }

    return rc;
}


/* ------------------------------------------------------------ search */

typedef struct {
    const mc_logs_opt_t  *o;
    uint64_t              matches;
    int                   status, status_class;
    int                   af, bits;
    unsigned char         net[16];
    char                  ip[INET6_ADDRSTRLEN];     /* exact, canonical */
    const char           *path_exact;
    int                   path_glob;
} mc_search_t;


static void
mc_put(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            printf("\\x%02x", (unsigned char) *s);
        } else {
            putchar(*s);
        }
    }
}


static int
mc_search_line(void *arg, const char *line, size_t len, const mc_log_rec_t *r)
{
    int             i, bits;
    char            office[MC_LOG_OFFICE_MAX + 1];
    mc_search_t    *s = arg;
    unsigned char   a[16];

    if (s->status >= 0 && r->status != s->status) {
        return MC_EXIT_OK;
    }

    if (s->status_class >= 0 && r->status / 100 != s->status_class) {
        return MC_EXIT_OK;
    }

    if (s->ip[0] != '\0' && strcmp(r->addr.p, s->ip) != 0) {
        return MC_EXIT_OK;
    }

    if (s->af != 0) {
        if (inet_pton(s->af, r->addr.p, a) != 1) {
            return MC_EXIT_OK;
        }

        bits = s->bits;
        for (i = 0; bits >= 8; i++, bits -= 8) {
            if (a[i] != s->net[i]) {
                return MC_EXIT_OK;
            }
        }
        if (bits > 0 && ((a[i] ^ s->net[i]) & (0xff << (8 - bits)) & 0xff)) {
            return MC_EXIT_OK;
        }
    }

    if (s->o->path != NULL) {
        if (s->path_glob ? fnmatch(s->o->path, r->path.p, 0) != 0
                         : strcmp(s->o->path, r->path.p) != 0)
        {
            return MC_EXIT_OK;
        }
    }

    if (s->o->ua != NULL && strcasestr(r->ua.p, s->o->ua) == NULL) {
        return MC_EXIT_OK;
    }

    if (s->o->office != NULL) {
        mc_log_office(r->path.p, r->path.len, office);
        if (strcmp(office, s->o->office) != 0) {
            return MC_EXIT_OK;
        }
    }

    s->matches++;

    if (s->o->count) {
        return MC_EXIT_OK;
    }

    if (s->o->json) {
        fwrite(line, 1, len, stdout);
        putchar('\n');

    } else {
        mc_put(r->time.p);
        putchar(' ');
        mc_put(r->addr.p);
        putchar(' ');
        mc_put(r->method.p);
        putchar(' ');
        mc_put(r->path.p);
        printf(" %d %lld", r->status, (long long) r->bytes);
        fputs(" lang=", stdout);
        mc_put(r->lang.len ? r->lang.p : "-");
        fputs(" ref=", stdout);
        mc_put(r->ref.len ? r->ref.p : "-");
        fputs(" \"", stdout);
        mc_put(r->ua.p);
        fputs("\"\n", stdout);
    }

    return ferror(stdout) ? MC_EXIT_REFUSED : MC_EXIT_OK;
}


int
mc_logs_search(mc_ctx_t *ctx, mc_logs_opt_t *o)
{
    int           rc;
    char          ipbuf[INET6_ADDRSTRLEN + 8], *slash;
    mc_read_t     rd;
    mc_search_t   s;
    uint32_t      bits;

    (void) ctx;

    memset(&s, 0, sizeof(s));
    s.o = o;
    s.status = -1;
    s.status_class = -1;

    if (o->status != NULL) {
        if (strlen(o->status) == 3 && o->status[0] >= '1'
            && o->status[0] <= '5' && strcasecmp(o->status + 1, "xx") == 0)
        {
            s.status_class = o->status[0] - '0';

        } else {
            uint32_t  st;

            if (mc_parse_uint("--status", o->status, 100, 599, &st)
                != MC_EXIT_OK)
            {
                mc_error("--status: a code (404) or a class (4xx)");
                return MC_EXIT_REFUSED;
            }
            s.status = (int) st;
        }
    }

    if (o->ip != NULL) {
        if (strlen(o->ip) >= sizeof(ipbuf)) {
            mc_error("--ip: not an address: \"%s\"", o->ip);
            return MC_EXIT_REFUSED;
        }

        strcpy(ipbuf, o->ip);
        slash = strchr(ipbuf, '/');
        if (slash != NULL) {
            *slash++ = '\0';
        }

        s.af = strchr(ipbuf, ':') ? AF_INET6 : AF_INET;

        if (inet_pton(s.af, ipbuf, s.net) != 1) {
            mc_error("--ip: not an IPv4 or IPv6 address: \"%s\"", o->ip);
            return MC_EXIT_REFUSED;
        }

        if (slash == NULL) {
            /* the form nginx writes, whatever form was typed */
            inet_ntop(s.af, s.net, s.ip, sizeof(s.ip));
            s.af = 0;

        } else {
            if (mc_parse_uint("--ip", slash, 0, s.af == AF_INET ? 32 : 128,
                              &bits)
                != MC_EXIT_OK)
            {
                return MC_EXIT_REFUSED;
            }
            s.bits = (int) bits;
        }
    }

    if (o->path != NULL) {
        s.path_glob = strpbrk(o->path, "*?[") != NULL;
    }

    if (o->office != NULL && mc_check_id("--office", o->office) != MC_EXIT_OK)
    {
        return MC_EXIT_REFUSED;
    }

    rc = mc_read_all(o, mc_search_line, &s, &rd);

    if (rc == MC_EXIT_OK && o->count) {
        printf("%llu\n", (unsigned long long) s.matches);
    }

    return rc;
}


/* ------------------------------------------------------------ stats */

/* a set of 64-bit hashes (open addressing; 0 stands for itself apart) */
typedef struct {
    uint64_t           *h;
    size_t              n, cap;
    unsigned            zero:1;
} mc_set_t;


static int
mc_set_add(mc_set_t *s, uint64_t v)
{
    size_t     i, j, cap;
    uint64_t  *h;

    if (v == 0) {
        s->zero = 1;
        return 0;
    }

    if (2 * (s->n + 1) > s->cap) {
        cap = s->cap ? 2 * s->cap : 1024;
        h = calloc(cap, sizeof(uint64_t));
        if (h == NULL) {
            return -1;
        }
        for (i = 0; i < s->cap; i++) {
            if (s->h[i]) {
                for (j = s->h[i] & (cap - 1); h[j]; j = (j + 1) & (cap - 1)) {
                    /* void */
                }
                h[j] = s->h[i];
            }
        }
        free(s->h);
        s->h = h;
        s->cap = cap;
    }

    for (i = v & (s->cap - 1); s->h[i]; i = (i + 1) & (s->cap - 1)) {
        if (s->h[i] == v) {
            return 0;
        }
    }

    s->h[i] = v;
    s->n++;

    return 0;
}


/* counts by a string key (a small hash table) */
typedef struct {
    char               *key;
    uint64_t            n;
} mc_kv_t;

typedef struct {
    mc_kv_t            *e;
    size_t              n, cap;
} mc_count_t;


static uint64_t
mc_fnv(const char *s)
{
    uint64_t  h = 14695981039346656037ULL;

    for ( /* void */ ; *s; s++) {
        h = (h ^ (unsigned char) *s) * 1099511628211ULL;
    }

    return h;
}


static int
mc_count_add(mc_count_t *c, const char *key, uint64_t by)
{
    size_t    i, j, cap;
    mc_kv_t  *e;

    if (2 * (c->n + 1) > c->cap) {
        cap = c->cap ? 2 * c->cap : 64;
        e = calloc(cap, sizeof(mc_kv_t));
        if (e == NULL) {
            return -1;
        }
        for (i = 0; i < c->cap; i++) {
            if (c->e[i].key) {
                for (j = mc_fnv(c->e[i].key) & (cap - 1); e[j].key;
                     j = (j + 1) & (cap - 1))
                {
                    /* void */
                }
                e[j] = c->e[i];
            }
        }
        free(c->e);
        c->e = e;
        c->cap = cap;
    }

    for (i = mc_fnv(key) & (c->cap - 1); c->e[i].key;
         i = (i + 1) & (c->cap - 1))
    {
        if (strcmp(c->e[i].key, key) == 0) {
            c->e[i].n += by;
            return 0;
        }
    }

    c->e[i].key = strdup(key);
    if (c->e[i].key == NULL) {
        return -1;
    }
    c->e[i].n = by;
    c->n++;

    return 0;
}


static int
mc_kv_cmp(const void *a, const void *b)
{
    const mc_kv_t  *x = a, *y = b;

    if (x->n != y->n) {
        return x->n > y->n ? -1 : 1;
    }

    return strcmp(x->key, y->key);
}


static int
mc_kv_key_cmp(const void *a, const void *b)
{
    return strcmp(((const mc_kv_t *) a)->key, ((const mc_kv_t *) b)->key);
}


/* the entries, packed and sorted (by count, or by key) */
static mc_kv_t *
mc_count_sorted(mc_count_t *c, int by_key)
{
    size_t  i, n;

    for (i = n = 0; i < c->cap; i++) {
        if (c->e[i].key) {
            c->e[n++] = c->e[i];
        }
    }

    c->cap = 0;     /* packed: no more adds */

    if (n) {
        qsort(c->e, n, sizeof(mc_kv_t), by_key ? mc_kv_key_cmp : mc_kv_cmp);
    }

    return c->e;
}


static void
mc_count_free(mc_count_t *c)
{
    size_t  i, m;

    /* packed (mc_count_sorted): the first n; else anywhere in cap */
    m = c->cap ? c->cap : c->n;

    for (i = 0; i < m; i++) {
        free(c->e[i].key);
    }

    free(c->e);
}


typedef struct {
    uint64_t            requests, pages, bots, visitors, bot_visitors;
    uint64_t            s4xx, s5xx, bytes;
    mc_set_t            seen, bots_seen;
    unsigned char       secret[32];     /* this day's, this run's */
} mc_stat_day_t;

typedef struct {
    long                first, ndays;
    mc_stat_day_t      *days;
    uint64_t            hour_req[24], hour_pages[24];
    uint64_t            status[600];
    mc_count_t          pages, bots, refs;
    uint64_t            requests, page_views, bot_requests;
    int                 oom;
} mc_stats_t;


static int
mc_stats_line(void *arg, const char *line, size_t len, const mc_log_rec_t *r)
{
    int             kind;
    char            office[MC_LOG_OFFICE_MAX + 1], key[64], host[256];
    uint64_t        h;
    const char     *bot;
    mc_stats_t     *st = arg;
    unsigned int    hl;
    unsigned char   mac[32];
    mc_stat_day_t  *d;

    (void) line;
    (void) len;

    d = &st->days[mc_day(r->date) - st->first];
    bot = mc_log_bot(r->ua.p, r->ua.len);

    d->requests++;
    st->requests++;
    st->hour_req[r->hour]++;

    if (r->status >= 100 && r->status < 600) {
        st->status[r->status]++;
    }
    if (r->status / 100 == 4) {
        d->s4xx++;
    } else if (r->status / 100 == 5) {
        d->s5xx++;
    }
    if (r->bytes > 0) {
        d->bytes += (uint64_t) r->bytes;
    }

    /* the address, hashed under the day's secret: never kept as such */
    HMAC(EVP_sha256(), d->secret, sizeof(d->secret),
         (const unsigned char *) r->addr.p, r->addr.len, mac, &hl);
    memcpy(&h, mac, sizeof(h));

    if (bot != NULL) {
        d->bots++;
        st->bot_requests++;
        if (mc_set_add(&d->bots_seen, h) != 0
            || mc_count_add(&st->bots, bot, 1) != 0)
        {
            st->oom = 1;
        }
        return st->oom ? MC_EXIT_STORE : MC_EXIT_OK;
    }

    if (mc_set_add(&d->seen, h) != 0) {
        st->oom = 1;
        return MC_EXIT_STORE;
    }

    kind = mc_log_office(r->path.p, r->path.len, office);

    if (kind != MC_PAGE_NONE && (r->status == 200 || r->status == 304)
        && (strcmp(r->method.p, "GET") == 0 || strcmp(r->method.p, "HEAD") == 0))
    {
        d->pages++;
        st->page_views++;
        st->hour_pages[r->hour]++;
        snprintf(key, sizeof(key), "%s,%s", kind == MC_PAGE_TOP ? "(top)"
                 : office, r->lang.len ? r->lang.p : "(default)");
        if (mc_count_add(&st->pages, key, 1) != 0) {
            st->oom = 1;
            return MC_EXIT_STORE;
        }
    }

    if (mc_log_ref_host(r->ref.p, r->ref.len, host, sizeof(host)) > 0) {
        /* a host is letters, digits, dots, dashes: anything else is junk
           that must not break a CSV row */
        if (strpbrk(host, ",\"<>&' \t") != NULL) {
            snprintf(host, sizeof(host), "(invalid)");
        }
        if (mc_count_add(&st->refs, host, 1) != 0) {
            st->oom = 1;
            return MC_EXIT_STORE;
        }
    }

    return MC_EXIT_OK;
}


static void
mc_h(const char *s)
{
    for ( /* void */ ; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        default: putchar(*s);
        }
    }
}


/* a two-column table of counted keys (bots, referrers) */
static void
mc_stats_kv_table(const char *title, const char *col, mc_kv_t *kv, size_t n)
{
    size_t  j;

    printf("<h2>%s</h2>\n<table>\n<thead><tr><th scope=\"col\">%s</th>"
           "<th scope=\"col\">リクエスト</th></tr></thead>\n<tbody>\n",
           title, col);

    for (j = 0; j < n; j++) {
        printf("<tr><td>");
        mc_h(kv[j].key);
        printf("</td><td>%llu</td></tr>\n", (unsigned long long) kv[j].n);
    }

    printf("</tbody>\n</table>\n");
}


static void
mc_stats_csv(mc_stats_t *st, mc_kv_t *pages, mc_kv_t *bots, mc_kv_t *refs)
{
    int             i;
    long            k;
    size_t          j;
    mado_date_t     dt;
    mc_stat_day_t  *d;

    printf("table,key,subkey,count\r\n");
    printf("total,,requests,%llu\r\n", (unsigned long long) st->requests);
    printf("total,,page_views,%llu\r\n", (unsigned long long) st->page_views);
    printf("total,,bot_requests,%llu\r\n",
           (unsigned long long) st->bot_requests);

    for (k = 0; k < st->ndays; k++) {
        d = &st->days[k];
        dt = mc_date(st->first + k);
        printf("day,%04d-%02d-%02d,requests,%llu\r\n"
               "day,%04d-%02d-%02d,page_views,%llu\r\n"
               "day,%04d-%02d-%02d,visitors,%llu\r\n"
               "day,%04d-%02d-%02d,bot_requests,%llu\r\n"
               "day,%04d-%02d-%02d,bot_visitors,%llu\r\n"
               "day,%04d-%02d-%02d,4xx,%llu\r\n"
               "day,%04d-%02d-%02d,5xx,%llu\r\n"
               "day,%04d-%02d-%02d,bytes,%llu\r\n",
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->requests,
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->pages,
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->visitors,
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->bots,
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->bot_visitors,
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->s4xx,
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->s5xx,
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->bytes);
    }

    for (i = 0; i < 24; i++) {
        printf("hour,%02d,requests,%llu\r\nhour,%02d,page_views,%llu\r\n",
               i, (unsigned long long) st->hour_req[i], i,
               (unsigned long long) st->hour_pages[i]);
    }

    for (j = 0; j < st->pages.n; j++) {
        printf("page_views,%s,%llu\r\n", pages[j].key,
               (unsigned long long) pages[j].n);
    }

    for (i = 100; i < 600; i++) {
        if (st->status[i]) {
            printf("status,%d,,%llu\r\n", i,
                   (unsigned long long) st->status[i]);
        }
    }

    for (j = 0; j < st->bots.n; j++) {
        printf("bot,%s,,%llu\r\n", bots[j].key,
               (unsigned long long) bots[j].n);
    }

    for (j = 0; j < st->refs.n; j++) {
        printf("referrer,%s,,%llu\r\n", refs[j].key,
               (unsigned long long) refs[j].n);
    }
}


static void
mc_stats_html(mc_stats_t *st, const mc_logs_opt_t *o, mc_kv_t *pages,
    mc_kv_t *bots, mc_kv_t *refs)
{
    int             i;
    long            k;
    size_t          j;
    char           *comma;
    mado_date_t     dt;
    mc_stat_day_t  *d;

    printf("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n"
           "<meta charset=\"utf-8\">\n<title>アクセスログ統計 %s〜%s</title>\n",
           o->sfrom, o->sto);

    /* A4 as madoctl report; a table's rows never split across pages */
    printf("<style>\n"
           "@page { size: A4; margin: 15mm; }\n"
           "body { font-family: \"Noto Sans CJK JP\", sans-serif; "
           "font-size: 9pt; color: #000; }\n"
           "h1 { font-size: 16pt; }\n"
           "h2 { font-size: 12pt; border-bottom: 1px solid #000; "
           "margin-top: 1.2em; break-after: avoid; }\n"
           "section.break { break-before: page; }\n"
           "table { border-collapse: collapse; width: 100%%; }\n"
           "tr { break-inside: avoid; }\n"
           "th, td { border: 1px solid #666; padding: 1px 5px; "
           "text-align: right; }\n"
           "th:first-child, td:first-child { text-align: left; }\n"
           "thead { display: table-header-group; }\n"
           "tfoot td { font-weight: bold; }\n"
           "p.note { color: #333; }\n"
           "</style>\n</head>\n<body>\n");

    printf("<h1>アクセスログ統計<br>%s〜%s</h1>\n", o->sfrom, o->sto);
    printf("<p>リクエスト %llu 件、ページビュー %llu 件、ボット %llu 件。"
           "</p>\n<p class=\"note\">訪問者数は、IPアドレスをその日だけの秘密鍵"
           "（保存しない）でハッシュして数えたもので、アドレスは記録していません。"
           "ボット（User-Agentによる）はページビューと訪問者数に含めません。</p>\n",
           (unsigned long long) st->requests,
           (unsigned long long) st->page_views,
           (unsigned long long) st->bot_requests);

    printf("<section>\n<h2>日別</h2>\n<table>\n<thead><tr>"
           "<th scope=\"col\">日付</th><th scope=\"col\">リクエスト</th>"
           "<th scope=\"col\">ページビュー</th><th scope=\"col\">訪問者</th>"
           "<th scope=\"col\">ボット</th><th scope=\"col\">4xx</th>"
           "<th scope=\"col\">5xx</th></tr></thead>\n<tbody>\n");

    for (k = 0; k < st->ndays; k++) {
        d = &st->days[k];
        dt = mc_date(st->first + k);
        printf("<tr><td>%04d-%02d-%02d</td><td>%llu</td><td>%llu</td>"
               "<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
               dt / 10000, dt / 100 % 100, dt % 100,
               (unsigned long long) d->requests,
               (unsigned long long) d->pages,
               (unsigned long long) d->visitors,
               (unsigned long long) d->bots,
               (unsigned long long) d->s4xx,
               (unsigned long long) d->s5xx);
    }

    printf("</tbody>\n</table>\n</section>\n");

    printf("<section class=\"break\">\n<h2>時間帯別（期間の合計）</h2>\n<table>\n"
           "<thead><tr><th scope=\"col\">時間帯</th>"
           "<th scope=\"col\">リクエスト</th><th scope=\"col\">ページビュー</th>"
           "</tr></thead>\n<tbody>\n");

    for (i = 0; i < 24; i++) {
        printf("<tr><td>%d:00〜%d:59</td><td>%llu</td><td>%llu</td></tr>\n",
               i, i, (unsigned long long) st->hour_req[i],
               (unsigned long long) st->hour_pages[i]);
    }

    printf("</tbody>\n</table>\n");

    printf("<h2>窓口・言語別ページビュー</h2>\n<table>\n<thead><tr>"
           "<th scope=\"col\">窓口</th><th scope=\"col\">言語</th>"
           "<th scope=\"col\">ページビュー</th></tr></thead>\n<tbody>\n");

    for (j = 0; j < st->pages.n; j++) {
        comma = strchr(pages[j].key, ',');
        *comma = '\0';
        printf("<tr><td>");
        mc_h(pages[j].key);
        printf("</td><td>");
        mc_h(comma + 1);
        printf("</td><td>%llu</td></tr>\n", (unsigned long long) pages[j].n);
        *comma = ',';
    }

    printf("</tbody>\n</table>\n</section>\n");

    printf("<section>\n<h2>ステータスコード</h2>\n<table>\n<thead><tr>"
           "<th scope=\"col\">コード</th><th scope=\"col\">件数</th></tr>"
           "</thead>\n<tbody>\n");

    for (i = 100; i < 600; i++) {
        if (st->status[i]) {
            printf("<tr><td>%d</td><td>%llu</td></tr>\n", i,
                   (unsigned long long) st->status[i]);
        }
    }

    printf("</tbody>\n</table>\n");

    mc_stats_kv_table("ボット（User-Agentの型）", "型", bots, st->bots.n);
    mc_stats_kv_table("参照元（ホスト、上位50）", "ホスト", refs,
                      st->refs.n < 50 ? st->refs.n : 50);

    printf("</tbody>\n</table>\n</section>\n</body>\n</html>\n");
}


int
mc_logs_stats(mc_ctx_t *ctx, mc_logs_opt_t *o)
{
    int          rc, html;
    long         k;
    mc_kv_t     *pages, *bots, *refs;
    mc_read_t    rd;
    mc_stats_t   st;

    (void) ctx;

    if (o->sfrom == NULL || o->sto == NULL) {
        return mc_usage_error("logs stats", "--from and --to are required");
    }

    if (o->last - o->first >= MC_STATS_DAYS) {
        mc_error("--to: at most %d days in one run", MC_STATS_DAYS);
        return MC_EXIT_REFUSED;
    }

    if (o->format == NULL || strcmp(o->format, "csv") == 0) {
        html = 0;
    } else if (strcmp(o->format, "html") == 0) {
        html = 1;
    } else {
        mc_error("--format: must be csv or html, not \"%s\"", o->format);
        return MC_EXIT_REFUSED;
    }

    memset(&st, 0, sizeof(st));
    st.first = o->first;
    st.ndays = o->last - o->first + 1;
    st.days = calloc((size_t) st.ndays, sizeof(mc_stat_day_t));

    if (st.days == NULL) {
        mc_error("out of memory");
        return MC_EXIT_STORE;
    }

    for (k = 0; k < st.ndays; k++) {
        if (RAND_bytes(st.days[k].secret, sizeof(st.days[k].secret)) != 1) {
            mc_error("no random bytes");
            free(st.days);
            return MC_EXIT_STORE;
        }
    }

    rc = mc_read_all(o, mc_stats_line, &st, &rd);

    /* the secrets go first: what they hashed can no longer be tried */
    for (k = 0; k < st.ndays; k++) {
        OPENSSL_cleanse(st.days[k].secret, sizeof(st.days[k].secret));
        st.days[k].visitors = st.days[k].seen.n + st.days[k].seen.zero;
        st.days[k].bot_visitors = st.days[k].bots_seen.n
                                  + st.days[k].bots_seen.zero;
        free(st.days[k].seen.h);
        free(st.days[k].bots_seen.h);
    }

    if (st.oom) {
        mc_error("out of memory");
    }

    if (rc == MC_EXIT_OK) {
        size_t  np = st.pages.n, nb = st.bots.n, nr = st.refs.n;

        pages = np ? mc_count_sorted(&st.pages, 1) : NULL;
        bots = nb ? mc_count_sorted(&st.bots, 0) : NULL;
        refs = nr ? mc_count_sorted(&st.refs, 0) : NULL;

        if (html) {
            mc_stats_html(&st, o, pages, bots, refs);
        } else {
            mc_stats_csv(&st, pages, bots, refs);
        }
    }

    mc_count_free(&st.pages);
    mc_count_free(&st.bots);
    mc_count_free(&st.refs);
    free(st.days);

    return rc;
}
