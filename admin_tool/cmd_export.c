/*
 * madoctl export DIR: at the contract's end, everything the city owns in
 * open formats (情報取扱注意事項 第10: 返却), from one read transaction of
 * the store, so that the files agree with each other: the offices as
 * loaded, the counters' live state, the history per office (the report's
 * day-by-hour rows for every day held, the 5-minute samples, the events,
 * the compacted hours), the staff accounts without their secrets, the
 * audit trail in clear with its verification and anchor, a README in
 * Japanese and English, and MANIFEST.sha256 (sha256sum -c).
 *
 * Written into DIR.partial, each file fsync'd, then renamed to DIR: an
 * export that fails or is killed leaves no DIR that looks complete.  The
 * store is only read (a read-only file system will do).
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "madoctl.h"


#define MC_EXPORT_FILES_MAX  (16 + 4 * MADO_OFFICES_MAX)


typedef struct {
    mc_ctx_t           *ctx;
    const char         *dir;        /* DIR.partial while writing */
    char               *files[MC_EXPORT_FILES_MAX];    /* relative */
    unsigned            nfiles;
    int                 history_dir;
    mado_store_t       *s;
    MDB_txn            *txn;
    /* what the README and the summary say */
    unsigned            noffices;
    uint64_t            days, events, samples, hours, records, accounts;
    uint64_t            unreadable;
    int                 verified;   /* the trail and accounts verify */
    char                fingerprint[MC_FINGERPRINT_LEN + 1];
    char                anchor_path[4096];
    int                 anchor_copied;
} mc_export_t;


static int mc_export_run(mc_export_t *x, const char *final);
static FILE *mc_export_open(mc_export_t *x, const char *name,
    mado_err_t *err);
static int mc_export_close(mc_export_t *x, FILE *f, const char *name,
    mado_err_t *err);
static void mc_export_cleanup(mc_export_t *x);
static int mc_export_dir_empty(const char *dir);


int
mc_cmd_export(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          rc;
    char                         partial[4096], path[4096];
    size_t                       n;
    const char                  *dir;
    struct stat                  sb;
    mc_export_t                  x;
    static const char *const     names[] = { "DIR", NULL };

    if ((rc = mc_no_options("export", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("export", argc, argv, names, 1)) != MC_EXIT_OK) {
        return rc;
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    /* "out/" is "out": DIR.partial must be its sibling */
    n = strlen(argv[optind]);

    if (n >= sizeof(path)) {
        mc_error("%s: the path is too long", argv[optind]);
        return MC_EXIT_REFUSED;
    }

    memcpy(path, argv[optind], n + 1);

    while (n > 1 && path[n - 1] == '/') {
        path[--n] = '\0';
    }

    dir = path;

    /* an empty directory may be given (made for it, on a USB disk say);
       anything in it could be taken for part of the export */
    if (lstat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            mc_error("%s: exists and is not a directory; export writes a "
                     "new directory (or into an empty one)", dir);
            return MC_EXIT_REFUSED;
        }

        if (!mc_export_dir_empty(dir)) {
            mc_error("%s: the directory is not empty; export writes a new "
                     "directory (or into an empty one), never over other "
                     "files", dir);
            return MC_EXIT_REFUSED;
        }

    } else if (errno != ENOENT) {
        mc_error("%s: %s", dir, strerror(errno));
        return MC_EXIT_REFUSED;
    }

    if (snprintf(partial, sizeof(partial), "%s.partial", dir)
        >= (int) sizeof(partial) - 64)
    {
        mc_error("%s: the path is too long", dir);
        return MC_EXIT_REFUSED;
    }

    if (lstat(partial, &sb) == 0) {
        mc_error("%s exists: an export that was interrupted? remove it, "
                 "then export again", partial);
        return MC_EXIT_REFUSED;
    }

    if (mkdir(partial, 0700) == -1) {
        mc_error("%s: %s", partial, strerror(errno));
        return MC_EXIT_REFUSED;
    }

    /* mkdir's mode is under the umask; the export is the city's only */
    if (chmod(partial, 0700) == -1) {
        mc_error("%s: %s", partial, strerror(errno));
        rmdir(partial);
        return MC_EXIT_REFUSED;
    }

    memset(&x, 0, sizeof(x));
    x.ctx = ctx;
    x.dir = partial;

    rc = mc_export_run(&x, dir);

    if (rc != MC_EXIT_OK) {
        mc_export_cleanup(&x);
        mc_error("nothing exported: %s removed", partial);
    }

    while (x.nfiles) {
        free(x.files[--x.nfiles]);
    }

    return rc;
}


static int
mc_export_dir_empty(const char *dir)
{
    int             empty;
    DIR            *d;
    struct dirent  *e;

    d = opendir(dir);
    if (d == NULL) {
        return 0;
    }

    empty = 1;

    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }

    closedir(d);

    return empty;
}


/* ------------------------------------------------------------ files */

static FILE *
mc_export_open(mc_export_t *x, const char *name, mado_err_t *err)
{
    int    fd;
    char   path[4096];
    FILE  *f;

    if (x->nfiles == MC_EXPORT_FILES_MAX) {
        mado_fail(err, MADO_ESTORE, "too many files");
        return NULL;
    }

    snprintf(path, sizeof(path), "%s/%s", x->dir, name);

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
        return NULL;
    }

    x->files[x->nfiles] = strdup(name);
    if (x->files[x->nfiles] == NULL) {
        close(fd);
        unlink(path);
        mado_fail(err, MADO_ESTORE, "out of memory");
        return NULL;
    }

    x->nfiles++;

    /* 0600 whatever the umask */
    if (fchmod(fd, 0600) == -1 || (f = fdopen(fd, "w")) == NULL) {
        mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }

    return f;
}


/* flushed to the disk: the rename that follows must not publish holes */
static int
mc_export_close(mc_export_t *x, FILE *f, const char *name, mado_err_t *err)
{
    int  bad;

    bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    bad = (fclose(f) != 0) || bad;

    if (bad) {
        return mado_fail(err, MADO_ESTORE, "writing %s/%s: %s", x->dir, name,
                         strerror(errno));
    }

    return MADO_OK;
}


static void
mc_export_cleanup(mc_export_t *x)
{
    unsigned  i;
    char      path[4096];

    for (i = 0; i < x->nfiles; i++) {
        snprintf(path, sizeof(path), "%s/%s", x->dir, x->files[i]);
        unlink(path);
    }

    if (x->history_dir) {
        snprintf(path, sizeof(path), "%s/history", x->dir);
        rmdir(path);
    }

    rmdir(x->dir);
}


/* RFC 4180: a field quoted when it holds a comma, a quote or a line end */
static void
mc_csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }

    fputc('"', f);

    for ( /* void */ ; *s; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s, f);
    }

    fputc('"', f);
}


/* an ISO 8601 time, or nothing for 0 (never) */
static void
mc_csv_time(FILE *f, int64_t t)
{
    char    iso[32];
    size_t  n;

    if (t > 0) {
        n = mado_time_iso(t, iso);
        fwrite(iso, 1, n, f);
    }
}


/* ------------------------------------------------------------ offices */

static int
mc_export_offices(mc_export_t *x, char ids[][MADO_ID_MAX + 1], unsigned n,
    mado_err_t *err)
{
    int          rc;
    FILE        *f;
    size_t       len;
    unsigned     i;
    const char  *json;

    f = mc_export_open(x, "offices.json", err);
    if (f == NULL) {
        return MADO_ESTORE;
    }

    /* the shape "madoctl load" reads: it loads this file as it is */
    fputs("{\n  \"schema\": 1,\n  \"offices\": [\n", f);

    for (i = 0; i < n; i++) {
        rc = mado_office_raw(x->s, x->txn, ids[i], &json, &len, err);
        if (rc != MADO_OK) {
            fclose(f);
            return rc;
        }

        fputs("    ", f);
        fwrite(json, 1, len, f);
        fputs(i + 1 < n ? ",\n" : "\n", f);
    }

    fputs("  ]\n}\n", f);

    return mc_export_close(x, f, "offices.json", err);
}


static int
mc_export_counters(mc_export_t *x, mado_office_def_t *offices, unsigned n,
    mado_err_t *err)
{
    int                    rc;
    FILE                  *f;
    unsigned               i, j;
    mado_counter_state_t   st;

    f = mc_export_open(x, "counters.csv", err);
    if (f == NULL) {
        return MADO_ESTORE;
    }

    fputs("office,counter,status,waiting,calling,last_issued,served_today,"
          "staff,updated_at,message\r\n", f);

    for (i = 0; i < n; i++) {
        for (j = 0; j < offices[i].ncounters; j++) {
            rc = mado_state_get(x->s, x->txn, offices[i].id,
                                offices[i].counters[j].id, &st, err);
            if (rc != MADO_OK) {
                fclose(f);
                return rc;
            }

            /* as stored: the figures of its last change (show applies the
               calendar to them) */
            fprintf(f, "%s,%s,%s,%u,%u,%u,%u,%u,", offices[i].id,
                    offices[i].counters[j].id,
                    mado_status_names[st.status < MADO_NSTATUS
                                      ? st.status : MADO_STATUS_CLOSED],
                    st.waiting, st.calling, st.last_issued, st.served_today,
                    st.staff);
            mc_csv_time(f, st.updated_at);
            fputc(',', f);
            mc_csv_field(f, st.message);
            fputs("\r\n", f);
        }
    }

    return mc_export_close(x, f, "counters.csv", err);
}


/* ------------------------------------------------------------ history */

/* the first and last key time under prefix (plen bytes) in dbi */
static int
mc_export_span(mc_export_t *x, MDB_dbi dbi, const unsigned char *prefix,
    size_t plen, size_t klen, int64_t (*key_time)(const MDB_val *k,
    size_t plen), int64_t *lo, int64_t *hi, mado_err_t *err)
{
    int             rc;
    MDB_val         k, v;
    MDB_cursor     *cur;
    unsigned char   past[MADO_KEY_MAX];

    rc = mdb_cursor_open(x->txn, dbi, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the history", rc);
    }

    k.mv_data = (void *) prefix;
    k.mv_size = plen;

    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

    if (rc == 0 && k.mv_size == klen && memcmp(k.mv_data, prefix, plen) == 0)
    {
        if (*lo == 0 || key_time(&k, plen) < *lo) {
            *lo = key_time(&k, plen);
        }

        /* the last: just before the prefix's end ("\0" -> "\1") */
        memcpy(past, prefix, plen);
        past[plen - 1] = '\1';
        k.mv_data = past;
        k.mv_size = plen;

        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        rc = (rc == 0) ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                       : mdb_cursor_get(cur, &k, &v, MDB_LAST);

        if (rc == 0 && k.mv_size == klen
            && memcmp(k.mv_data, prefix, plen) == 0
            && key_time(&k, plen) > *hi)
        {
            *hi = key_time(&k, plen);
        }
    }

    mdb_cursor_close(cur);

    return MADO_OK;
}


static int64_t
mc_event_time(const MDB_val *k, size_t plen)
{
    return mado_event_key_time(k->mv_data, plen - 1);
}


static int64_t
mc_sample_time(const MDB_val *k, size_t plen)
{
    (void) plen;

    return mado_sample_key_time(k->mv_data, k->mv_size);
}


/* the raw events of an office, every one the store holds */
static int
mc_export_events(mc_export_t *x, const mado_office_def_t *o, FILE *f,
    mado_err_t *err)
{
    int             rc;
    size_t          lo;
    MDB_val         k, v;
    MDB_cursor     *cur;
    mado_event_t    ev;
    unsigned char   key[MADO_KEY_MAX];

    fputs("time,counter,event,ticket,status,waiting,served_today,staff,"
          "wait_seconds\r\n", f);

    rc = mdb_cursor_open(x->txn, x->s->event, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading events", rc);
    }

    lo = strlen(o->id);
    k.mv_data = key;
    k.mv_size = mado_office_key_prefix(o->id, key);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && mado_event_key_in(k.mv_data, k.mv_size, o->id, lo);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (mado_event_decode(k.mv_data, k.mv_size, lo, v.mv_data,
                              v.mv_size, &ev)
            != 0)
        {
            continue;
        }

        mc_csv_time(f, ev.time);
        fprintf(f, ",%s,%s,%u,%s,%u,%u,%u,", ev.counter,
                mado_hev_names[ev.type],
                ev.ticket,
                mado_status_names[ev.status < MADO_NSTATUS
                                  ? ev.status : MADO_STATUS_CLOSED],
                ev.waiting, ev.served, ev.staff);

        if (ev.wait >= 0) {
            fprintf(f, "%d", ev.wait);
        }

        fputs("\r\n", f);
        x->events++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading events", rc);
    }

    return MADO_OK;
}


/* the compacted hours of an office (days past the detail's retention) */
static int
mc_export_hourly(mc_export_t *x, const mado_office_def_t *o, FILE *f,
    mado_err_t *err)
{
    int             rc;
    size_t          lo;
    MDB_val         k, v;
    MDB_cursor     *cur;
    mado_hour_t     h;
    char            counter[MADO_ID_MAX + 1];
    unsigned char   key[MADO_KEY_MAX];

    fputs("hour,counter,issued,served,cancelled,waits,wait_sum_seconds,"
          "wait_max_seconds,samples,waiting_sum,waiting_max\r\n", f);

    rc = mdb_cursor_open(x->txn, x->s->hourly, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading hourly figures", rc);
    }

    lo = strlen(o->id);
    k.mv_data = key;
    k.mv_size = mado_office_key_prefix(o->id, key);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size <= lo || memcmp(k.mv_data, o->id, lo + 1) != 0) {
            break;
        }

        if (mado_sample_key_counter(k.mv_data, k.mv_size, o->id, lo,
                                    counter) != 0
            || mado_hour_decode(v.mv_data, v.mv_size, &h) != 0)
        {
            continue;
        }

        mc_csv_time(f, mado_sample_key_time(k.mv_data, k.mv_size));
        fprintf(f, ",%s,%u,%u,%u,%u,%lld,%d,%u,%llu,%u\r\n", counter,
                h.issued, h.served, h.cancelled, h.waits,
                (long long) h.wait_sum, h.wait_max, h.samples,
                (unsigned long long) h.waiting_sum, h.waiting_max);
        x->hours++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading hourly figures", rc);
    }

    return MADO_OK;
}


/*
 * An office's history: the first and last day the store holds anything
 * of (events, samples, hours), and every day between as "madoctl report"
 * gives it (report.csv) and as the history API's CSV does (samples.csv);
 * then the events and compacted hours as they are stored.
 */
static int
mc_export_history(mc_export_t *x, const mado_office_def_t *o,
    mado_err_t *err)
{
    int             rc;
    long            day, first, last;
    FILE           *f[4];
    char           *csv, *p;
    size_t          len, plen, lo;
    int64_t         tlo, thi;
    unsigned        i, k;
    mado_day_t      d;
    mado_date_t     dlo, dhi;
    unsigned char   prefix[MADO_KEY_MAX];
    char            name[4][MADO_ID_MAX + 32];
    static const char *const  kind[4] = {
        "report", "samples", "events", "hourly"
    };

    for (k = 0; k < 4; k++) {
        snprintf(name[k], sizeof(name[k]), "history/%s-%s.csv", o->id,
                 kind[k]);
        f[k] = mc_export_open(x, name[k], err);

        if (f[k] == NULL) {
            while (k--) {
                fclose(f[k]);
            }
            return MADO_ESTORE;
        }
    }

    mc_report_csv_head(f[0]);
    fputs("time,office,counter,status,waiting,calling,served_today,staff,"
          "wait_minutes\r\n", f[1]);

    rc = MADO_OK;

    if (!x->s->history) {
        fputs("time,counter,event,ticket,status,waiting,served_today,staff,"
              "wait_seconds\r\n", f[2]);
        fputs("hour,counter,issued,served,cancelled,waits,wait_sum_seconds,"
              "wait_max_seconds,samples,waiting_sum,waiting_max\r\n", f[3]);
        goto close;
    }

    tlo = thi = 0;
    lo = strlen(o->id);

    plen = mado_office_key_prefix(o->id, prefix);
    rc = mc_export_span(x, x->s->event, prefix, plen, MADO_EVENT_KEY_LEN(lo),
                        mc_event_time, &tlo, &thi, err);

    for (i = 0; rc == MADO_OK && i < o->ncounters; i++) {
        const char  *c = o->counters[i].id;

        plen = mado_sample_key(o->id, c, 0, prefix) - 8;
        rc = mc_export_span(x, x->s->sample, prefix, plen,
                            MADO_SAMPLE_KEY_LEN(lo, strlen(c)),
                            mc_sample_time, &tlo, &thi, err);

        if (rc == MADO_OK) {
            rc = mc_export_span(x, x->s->hourly, prefix, plen,
                                MADO_SAMPLE_KEY_LEN(lo, strlen(c)),
                                mc_sample_time, &tlo, &thi, err);
        }
    }

    if (rc != MADO_OK) {
        goto close;
    }

    if (tlo > 0) {
        dlo = mado_local_date(tlo);
        dhi = mado_local_date(thi);
        first = mado_days_from_civil(dlo / 10000, dlo / 100 % 100, dlo % 100);
        last = mado_days_from_civil(dhi / 10000, dhi / 100 % 100, dhi % 100);

        for (day = first; day <= last && rc == MADO_OK; day++) {
            rc = mado_history_day(x->s, x->txn, o,
                                  mado_local_date((int64_t) day * 86400),
                                  x->ctx->now, &d, err);

            if (rc == MADO_OK) {
                mc_report_csv(f[0], &d);

                csv = mado_day_csv(&d, &len);

                if (csv == NULL) {
                    rc = mado_fail(err, MADO_ESTORE, "out of memory");

                } else {
                    /* its header once, at the top */
                    p = strstr(csv, "\r\n");
                    p = p ? p + 2 : csv + len;
                    fwrite(p, 1, len - (size_t) (p - csv), f[1]);
                    free(csv);
                }

                for (i = 0; i < d.ncounters; i++) {
                    x->samples += d.counters[i].nsamples;
                }

                x->days++;
            }

            mado_day_free(&d);
        }
    }

    if (rc == MADO_OK) {
        rc = mc_export_events(x, o, f[2], err);
    }

    if (rc == MADO_OK) {
        rc = mc_export_hourly(x, o, f[3], err);
    }

close:

    for (k = 0; k < 4; k++) {
        if (rc == MADO_OK) {
            rc = mc_export_close(x, f[k], name[k], err);
        } else {
            fclose(f[k]);
        }
    }

    return rc;
}


/* ------------------------------------------------------------ accounts */

typedef struct {
    FILE               *f;
    mc_export_t        *x;
} mc_export_each_t;


static int
mc_export_account(const mado_account_t *a, void *arg)
{
    unsigned           i;
    mc_export_each_t  *e = arg;
    FILE              *f = e->f;

    /* no salt, hash or iteration count: a secret, and not the city's */
    fprintf(f, "%s,%s,%s,", a->id,
            a->role < MADO_NROLES ? mado_role_names[a->role] : "?",
            a->seal_state == MADO_SEAL_UNREADABLE ? ""
            : a->iterations ? "password" : "token");

    for (i = 0; i < a->noffices; i++) {
        fprintf(f, "%s%s", i ? " " : "", a->offices[i]);
    }

    fprintf(f, ",%s,", a->disabled ? "yes" : "no");
    mc_csv_time(f, a->created_at);
    fputc(',', f);
    mc_csv_time(f, a->updated_at);
    fputc(',', f);
    mc_csv_time(f, a->last_login);
    fprintf(f, ",%s\r\n", mado_seal_name(a->seal_state));

    e->x->accounts++;

    return 0;
}


static int
mc_export_accounts(mc_export_t *x, int have, mado_err_t *err)
{
    int                rc;
    mc_export_each_t   e;

    e.x = x;
    e.f = mc_export_open(x, "accounts.csv", err);
    if (e.f == NULL) {
        return MADO_ESTORE;
    }

    fputs("id,role,credential,offices,disabled,created_at,updated_at,"
          "last_login,seal\r\n", e.f);

    if (have) {
        rc = mado_account_each(x->s, x->txn, mc_export_account, &e, err);
        if (rc != MADO_OK) {
            fclose(e.f);
            return rc;
        }
    }

    return mc_export_close(x, e.f, "accounts.csv", err);
}


/* ------------------------------------------------------------ audit */

typedef struct {
    FILE               *f;
    mc_export_t        *x;
} mc_export_audit_t;


static int
mc_export_record(uint64_t seq, const char *json, size_t len, void *arg)
{
    mc_export_audit_t  *a = arg;

    /* the shape of an element of "audit list --json", a line each */
    if (json != NULL) {
        fprintf(a->f, "{\"seq\":%llu,\"record\":%.*s}\n",
                (unsigned long long) seq, (int) len, json);

    } else {
        fprintf(a->f, "{\"seq\":%llu,\"record\":null,\"unreadable\":\"does "
                "not open under the key\"}\n", (unsigned long long) seq);
        a->x->unreadable++;
    }

    a->x->records++;

    return 0;
}


typedef struct {
    FILE               *f;
    unsigned            n;
} mc_export_finding_t;


static void
mc_export_finding(const char *id, const char *why, void *arg)
{
    mc_export_finding_t  *fi = arg;

    fprintf(fi->f, "FINDING: account \"%s\" %s\n", id, why);
    fi->n++;
}


/*
 * The trail as JSON lines, and what "madoctl audit verify" says of it
 * and of the accounts, in the same transaction; the anchor was read
 * before it began (arc, a), as verify does.
 */
static int
mc_export_audit(mc_export_t *x, int have_audit, int have_accounts, int arc,
    const mado_anchor_t *a, const char *aerr, mado_err_t *err)
{
    int                    rc, bad;
    FILE                  *f;
    char                   iso[32];
    uint64_t               n, nbad;
    mc_export_audit_t      ea;
    mc_export_finding_t    fi;
    mado_anchor_check_t    c;
    mado_audit_verify_t    res;

    memset(&res, 0, sizeof(res));

    ea.x = x;
    ea.f = mc_export_open(x, "audit.jsonl", err);
    if (ea.f == NULL) {
        return MADO_ESTORE;
    }

    if (have_audit) {
        rc = mado_audit_walk(x->s, x->txn, mc_export_record, &ea, &res, err);
        if (rc != MADO_OK) {
            fclose(ea.f);
            return rc;
        }
    }

    rc = mc_export_close(x, ea.f, "audit.jsonl", err);
    if (rc != MADO_OK) {
        return rc;
    }

    f = mc_export_open(x, "audit-verify.txt", err);
    if (f == NULL) {
        return MADO_ESTORE;
    }

    iso[mado_time_iso(x->ctx->now, iso)] = '\0';
    fprintf(f, "madoctl audit verify, run by madoctl export at %s\n"
            "audit key fingerprint: %s\n\n", iso, x->fingerprint);

    bad = 0;

    if (have_audit) {
        rc = mado_audit_walk(x->s, x->txn, NULL, NULL, &res, err);
        if (rc != MADO_OK) {
            fclose(f);
            return rc;
        }
    }

    if (res.broken) {
        fprintf(f, "FINDING: audit trail broken at record %llu: %s\n",
                (unsigned long long) res.broken, res.why);
        bad = 1;

    } else {
        fprintf(f, "audit trail intact: %llu records\n",
                (unsigned long long) res.records);
    }

    if (arc == MADO_ENOTFOUND) {
        fprintf(f, "FINDING: no audit anchor: %s\n", aerr);
        bad = 1;

    } else if (arc != MADO_OK) {
        fprintf(f, "FINDING: audit anchor %s: %s\n", x->anchor_path, aerr);
        bad = 1;

    } else if (!res.broken && have_audit) {
        rc = mado_anchor_check(x->s, x->txn, a, &res, &c, err);
        if (rc != MADO_OK) {
            fclose(f);
            return rc;
        }

        if (c.ok) {
            fprintf(f, "compared with anchor %s: head seq %llu at %s\n",
                    x->anchor_path, (unsigned long long) a->seq, a->time);

            if (c.after) {
                fprintf(f, "the store has %llu record(s) after it, chained "
                        "under the key: their anchor was not written\n",
                        (unsigned long long) c.after);
            }

        } else {
            fprintf(f, "FINDING: audit trail does not reach its anchor %s: "
                    "%s\n", x->anchor_path, c.why);
            bad = 1;
        }
    }

    if (have_accounts) {
        fi.f = f;
        fi.n = 0;

        rc = mado_account_verify(x->s, x->txn, mc_export_finding, &fi, &n,
                                 &nbad, err);
        if (rc != MADO_OK) {
            fclose(f);
            return rc;
        }

        if (nbad || fi.n) {
            bad = 1;

        } else {
            fprintf(f, "accounts: %llu, each matching its seal and its last "
                    "change in the trail\n", (unsigned long long) n);
        }
    }

    fprintf(f, "\nresult: %s\n", bad ? "FAILED (each FINDING above)"
                                     : "OK (exit status 0 of audit verify)");

    x->verified = !bad;

    return mc_export_close(x, f, "audit-verify.txt", err);
}


/* the anchor's line as it is: a copy, next to the trail it names */
static int
mc_export_anchor(mc_export_t *x, mado_err_t *err)
{
    int      fd;
    FILE    *f;
    char     buf[1024];
    ssize_t  n;

    fd = open(x->anchor_path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return MADO_OK;
    }

    n = read(fd, buf, sizeof(buf));
    close(fd);

    if (n <= 0) {
        return MADO_OK;
    }

    f = mc_export_open(x, "audit.anchor", err);
    if (f == NULL) {
        return MADO_ESTORE;
    }

    fwrite(buf, 1, (size_t) n, f);
    x->anchor_copied = 1;

    return mc_export_close(x, f, "audit.anchor", err);
}


/* ------------------------------------------------------------ README */

static int
mc_export_readme(mc_export_t *x, mado_err_t *err)
{
    FILE   *f;
    char    iso[32], host[256];

    f = mc_export_open(x, "README.txt", err);
    if (f == NULL) {
        return MADO_ESTORE;
    }

    iso[mado_time_iso(x->ctx->now, iso)] = '\0';

    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "?");
    }
    host[sizeof(host) - 1] = '\0';

    fprintf(f,
"窓口混雑状況配信システム（mado）契約終了時のデータ返却\n"
"mado: the city's data returned at the end of the contract\n"
"\n"
"作成日時 / made at:   %s\n"
"ホスト / host:        %s\n"
"madoctl:              %s (store schema %d)\n"
"監査鍵の指紋 / audit key fingerprint: %s\n"
"窓口 / offices: %u   履歴の日数 / office-days: %llu   "
"イベント / events: %llu\n"
"監査記録 / audit records: %llu   職員アカウント / staff accounts: %llu\n"
"監査証跡の検証 / audit verification: %s\n"
"\n"
"すべてのファイルは、ストアの一つの読み取りトランザクションから書き出した\n"
"同一時点のものです。文字コードは UTF-8、CSV は RFC 4180（改行 CRLF、\n"
"1 行目は見出し）、時刻は日本時間の ISO 8601（+09:00）です。\n"
"All files come from one read transaction of the store (one moment).\n"
"UTF-8; CSV per RFC 4180 (CRLF, a header row); times ISO 8601 in Japan\n"
"time (+09:00).\n"
"\n"
"改ざんの確認 / checking the files:\n"
"  sha256sum -c MANIFEST.sha256\n"
"MANIFEST.sha256 の SHA-256 を受領書に記録してください。\n"
"Write the SHA-256 of MANIFEST.sha256 on the handover record: it stands\n"
"for every file here.\n"
"\n"
"ファイル / files\n"
"\n"
"offices.json\n"
"  窓口の定義（名称・住所・開庁時間・臨時閉庁日/開庁日・窓口ごとの設定）。\n"
"  読み込んだとおりの内容で、\"madoctl load\" でそのまま読み込めます。\n"
"  祝日は法律の規則から計算するため保存していません。\n"
"  The office definitions as loaded (names, addresses, hours, extra\n"
"  closed and open days, each counter's settings), in the shape\n"
"  \"madoctl load\" reads.  National holidays are computed by the law's\n"
"  rules, not stored.\n"
"\n"
"counters.csv\n"
"  各窓口の現在の状態（最後の更新時点の値）。\n"
"  Each counter's live state as last written.\n"
"\n"
"history/OFFICE-report.csv\n"
"  \"madoctl report\" と同じ日・時間帯別の集計（発券数、呼出数、取消、\n"
"  平均・最大待ち時間（分）、日計とピーク時間帯）。保存されている最初の日\n"
"  から最後の日まで。\n"
"  The day-by-hour figures of \"madoctl report\" (issued, served,\n"
"  cancelled, average and longest wait in minutes, day totals and the\n"
"  peak hour), from the first to the last day the store holds.\n"
"history/OFFICE-samples.csv\n"
"  5 分ごとの状態（待ち人数、呼出番号、推定待ち時間）。履歴 API の CSV と\n"
"  同じ形式。保存期間を過ぎて時間別に集約された日にはありません。\n"
"  The 5-minute samples, as the history API's CSV; none for days already\n"
"  folded into hourly figures (retention).\n"
"history/OFFICE-events.csv\n"
"  発券・呼出・取消・手動修正の一件ごとの記録（保存されているもの全て）。\n"
"  Every stored event: issue, call, cancel, set by hand.\n"
"history/OFFICE-hourly.csv\n"
"  保存期間を過ぎて時間別に集約された値（秒単位）。\n"
"  The hourly figures of compacted days (seconds).\n"
"\n"
"accounts.csv\n"
"  職員アカウント: ID、権限、認証の種類、担当窓口、無効化、作成・更新・\n"
"  最終ログイン日時、封印の状態。パスワードやトークンのハッシュ・ソルトは\n"
"  秘密情報のため含めません。\n"
"  Staff accounts: id, role, credential kind, offices, disabled, created,\n"
"  updated, last login, seal.  No password or token hashes or salts:\n"
"  they are secrets, not records.\n"
"\n"
"audit.jsonl\n"
"  監査証跡（全ての書き込みの記録）を復号したもの。1 行に 1 件\n"
"  {\"seq\": 番号, \"record\": 記録}（\"madoctl audit list --json\" の要素と同じ）。\n"
"  The audit trail decrypted, a record a line, as the elements of\n"
"  \"madoctl audit list --json\".\n"
"audit-verify.txt\n"
"  書き出し時に監査鍵で行った検証（HMAC チェーン、アンカー、アカウントの\n"
"  封印）の結果。監査鍵は契約終了時に消去されるため、以後の確認は\n"
"  MANIFEST.sha256 によります。\n"
"  The verification run with the audit key at export (the HMAC chain,\n"
"  the anchor, the accounts' seals).  The key is destroyed at the end\n"
"  of the contract: from then on MANIFEST.sha256 vouches for the files.\n"
"audit.anchor\n"
"  監査証跡の最後の記録の番号と MAC（ストア外に保存していたもの）。\n"
"  The anchor: the trail's last record number and MAC, kept outside the\n"
"  store.\n"
"\n"
"含めないもの / not included: パスワード・トークンのハッシュ、監査鍵、\n"
"ログインのセッション、ログイン失敗の回数など一時的な記録（個人を識別\n"
"しうるため期限で消去されるもの）、nginx のアクセスログ（別途提出）。\n"
"Password and token hashes, the audit key, login sessions, failed-login\n"
"counts and other short-lived records (kept only while they serve, as\n"
"they may identify people), nginx's access logs (handed over apart).\n",
            iso, host, MC_VERSION, MADO_SCHEMA_VERSION, x->fingerprint,
            x->noffices, (unsigned long long) x->days,
            (unsigned long long) x->events,
            (unsigned long long) x->records,
            (unsigned long long) x->accounts,
            x->verified ? "OK" : "FAILED: audit-verify.txt");

    return mc_export_close(x, f, "README.txt", err);
}


/* ------------------------------------------------------------ manifest */

static int
mc_sha256_file(const char *path, char *hex, mado_err_t *err)
{
    int            fd, ok;
    ssize_t        n;
    unsigned       len;
    EVP_MD_CTX    *md;
    unsigned char  buf[65536], dig[EVP_MAX_MD_SIZE];

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return mado_fail(err, MADO_ESTORE, "%s: %s", path, strerror(errno));
    }

    md = EVP_MD_CTX_new();
    ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

    while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            ok = 0;
            break;
        }
        ok = EVP_DigestUpdate(md, buf, (size_t) n) == 1;
    }

    ok = ok && EVP_DigestFinal_ex(md, dig, &len) == 1;

    EVP_MD_CTX_free(md);
    close(fd);

    if (!ok) {
        return mado_fail(err, MADO_ESTORE, "hashing %s", path);
    }

    mado_hex(dig, len, hex);

    return MADO_OK;
}


static int
mc_export_manifest(mc_export_t *x, char *manifest_hex, mado_err_t *err)
{
    int        rc;
    FILE      *f;
    char       path[4096], hex[2 * EVP_MAX_MD_SIZE + 1];
    unsigned   i, n;

    n = x->nfiles;

    f = mc_export_open(x, "MANIFEST.sha256", err);
    if (f == NULL) {
        return MADO_ESTORE;
    }

    /* sha256sum's own format: "HASH  NAME" (two spaces: text mode) */
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", x->dir, x->files[i]);

        rc = mc_sha256_file(path, hex, err);
        if (rc != MADO_OK) {
            fclose(f);
            return rc;
        }

        fprintf(f, "%s  %s\n", hex, x->files[i]);
    }

    rc = mc_export_close(x, f, "MANIFEST.sha256", err);
    if (rc != MADO_OK) {
        return rc;
    }

    snprintf(path, sizeof(path), "%s/MANIFEST.sha256", x->dir);

    return mc_sha256_file(path, manifest_hex, err);
}


static int
mc_fsync_dir(const char *dir)
{
    int  fd, rc;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    rc = fsync(fd);
    close(fd);

    return rc;
}


/* ------------------------------------------------------------ the run */

static int
mc_export_run(mc_export_t *x, const char *final)
{
    int                 rc, fd, arc, have_audit, have_accounts;
    char                ids[MADO_OFFICES_MAX][MADO_ID_MAX + 1];
    char                path[4096], parent[4096], *slash;
    char                manifest[2 * EVP_MAX_MD_SIZE + 1];
    unsigned            n, i, loaded;
    MDB_txn            *txn;
    mado_err_t          err, aerr;
    const char         *apath;
    mado_store_t        s;
    mado_anchor_t       a;
    mado_office_def_t  *offices;
    unsigned char       key[MADO_AUDIT_KEY_LEN];

    apath = mc_anchor_path(x->ctx);
    if (apath == NULL) {
        return MC_EXIT_STORE;
    }

    snprintf(x->anchor_path, sizeof(x->anchor_path), "%s", apath);

    if (mado_audit_key_load(x->ctx->audit_key, key, &err) != MADO_OK) {
        mc_error("%s; the audit trail and the accounts are sealed under it",
                 err.text);
        return MC_EXIT_STORE;
    }

    mc_key_fingerprint(key, x->fingerprint);

    /* the anchor before the store, as verify reads it */
    memset(&a, 0, sizeof(a));
    aerr.text[0] = '\0';
    arc = mado_anchor_open(x->anchor_path, MADO_ANCHOR_READ, NULL, &fd,
                           &aerr);

    if (arc == MADO_OK) {
        arc = mado_anchor_read(fd, key, &a, &aerr);
        close(fd);
    }

    OPENSSL_cleanse(key, sizeof(key));

    rc = mc_store_open(x->ctx, &s, MADO_OPEN_RDONLY | MC_OPEN_AUDIT);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    x->s = &s;
    offices = NULL;
    loaded = 0;

    /* one read transaction for every file: one moment of the store */
    rc = mado_store_read_begin(&s, &txn, &err);
    if (rc != MADO_OK) {
        mado_store_close(&s);
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    x->txn = txn;

    /* a read-only open does not know the writers' databases */
    have_audit = mdb_dbi_open(txn, "audit", 0, &s.audit_db) == 0;
    have_accounts = mdb_dbi_open(txn, "account", 0, &s.account) == 0;

    rc = mado_office_ids(&s, txn, ids, MADO_OFFICES_MAX, &n, &err);
    if (rc != MADO_OK) {
        goto failed;
    }

    x->noffices = n;

    offices = calloc(n ? n : 1, sizeof(mado_office_def_t));
    if (offices == NULL) {
        rc = mado_fail(&err, MADO_ESTORE, "out of memory");
        goto failed;
    }

    for (loaded = 0; loaded < n; loaded++) {
        rc = mado_office_get(&s, txn, ids[loaded], &offices[loaded], &err);
        if (rc != MADO_OK) {
            goto failed;
        }
    }

    rc = mc_export_offices(x, ids, n, &err);

    if (rc == MADO_OK) {
        rc = mc_export_counters(x, offices, n, &err);
    }

    if (rc == MADO_OK) {
        snprintf(path, sizeof(path), "%s/history", x->dir);

        if (mkdir(path, 0700) == -1 || chmod(path, 0700) == -1) {
            rc = mado_fail(&err, MADO_ESTORE, "%s: %s", path,
                           strerror(errno));
        } else {
            x->history_dir = 1;
        }
    }

    for (i = 0; rc == MADO_OK && i < n; i++) {
        rc = mc_export_history(x, &offices[i], &err);
    }

    if (rc == MADO_OK) {
        rc = mc_export_accounts(x, have_accounts, &err);
    }

    if (rc == MADO_OK) {
        rc = mc_export_audit(x, have_audit, have_accounts, arc, &a,
                             aerr.text, &err);
    }

    if (rc == MADO_OK) {
        rc = mc_export_anchor(x, &err);
    }

    if (rc == MADO_OK) {
        rc = mc_export_readme(x, &err);
    }

    if (rc != MADO_OK) {
        goto failed;
    }

    mdb_txn_abort(txn);
    x->txn = NULL;

    for (i = 0; i < loaded; i++) {
        mado_office_free(&offices[i]);
    }
    free(offices);
    mado_store_close(&s);

    rc = mc_export_manifest(x, manifest, &err);
    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    snprintf(path, sizeof(path), "%s/history", x->dir);

    if (mc_fsync_dir(path) != 0 || mc_fsync_dir(x->dir) != 0) {
        mc_error("%s: %s", x->dir, strerror(errno));
        return MC_EXIT_STORE;
    }

    /* over an empty directory too: rename(2) replaces one */
    if (rename(x->dir, final) == -1) {
        mc_error("renaming %s to %s: %s", x->dir, final, strerror(errno));
        return MC_EXIT_STORE;
    }

    snprintf(parent, sizeof(parent), "%s", final);
    slash = strrchr(parent, '/');

    if (slash == NULL) {
        snprintf(parent, sizeof(parent), ".");
    } else if (slash == parent) {
        parent[1] = '\0';
    } else {
        *slash = '\0';
    }

    mc_fsync_dir(parent);

    printf("exported to %s: %u offices, %llu office-days of history, %llu "
           "events, %llu audit records, %llu accounts, %u files\n",
           final, n, (unsigned long long) x->days,
           (unsigned long long) x->events, (unsigned long long) x->records,
           (unsigned long long) x->accounts, x->nfiles);
    printf("audit key fingerprint: %s\n", x->fingerprint);
    printf("SHA-256 of MANIFEST.sha256: %s\n", manifest);
    printf("check it with: cd %s && sha256sum -c MANIFEST.sha256\n", final);

    if (!x->verified) {
        mc_error("warning: the audit trail or the accounts did not verify: "
                 "the findings are in %s/audit-verify.txt", final);
    }

    if (x->unreadable) {
        mc_error("warning: %llu audit record(s) did not open under the key "
                 "(exported as unreadable)",
                 (unsigned long long) x->unreadable);
    }

    return MC_EXIT_OK;

failed:

    if (x->txn != NULL) {
        mdb_txn_abort(x->txn);
    }

    for (i = 0; i < loaded; i++) {
        mado_office_free(&offices[i]);
    }
    free(offices);
    mado_store_close(&s);
    mc_error("%s", err.text);

    return mc_exit_code(rc);
}
