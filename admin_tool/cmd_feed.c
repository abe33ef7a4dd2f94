/*
 * madoctl feed: a ticket machine's event log into counter state.
 *
 * The file is read in chunks.  Complete lines are parsed outside any
 * transaction; a batch of them is then applied in one mado_store_write
 * together with the file's cursor (how far it has been applied), so a
 * batch counts entirely or not at all and a restart goes on after it.
 *
 * A file is known by a hash of its bytes up to and including its first
 * event line: not by path or inode, which rotation and copies change, and
 * not by its first line alone, which may be a header every day's file
 * shares.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <iconv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "madoctl.h"


#define MC_FEED_BUF         (1024 * 1024)

typedef struct {
    mc_ctx_t               *ctx;
    mado_store_t            store;

    const char             *office;
    const char             *path;
    const char             *name;           /* for messages */
    const char             *feed;           /* --name: the feed's record */
    mc_feed_format_t        fmt;
    unsigned                follow:1;
    unsigned                quiet:1;
    unsigned                seekable:1;
    unsigned                rotating:1;
    unsigned                overlong:1;     /* inside a too long line */
    unsigned                restart:1;      /* read again from the start:
                                               the store was restored */
    double                  interval;
    size_t                  batch_max;

    int                     fd;
    dev_t                   dev;
    ino_t                   ino;

    char                   *buf;            /* file bytes from pos on */
    size_t                  len;
    uint64_t                pos;
    uint64_t                line;           /* lines before buf[0] */

    unsigned                fp_known:1;
    unsigned                have_cursor:1;
    char                    fp[17];
    size_t                  fp_len;         /* bytes the hash covers */
    uint64_t                fp_hash;
    uint64_t                expect;         /* cursor offset in the store */
    uint64_t                skip_to;        /* pipes: applied before */

    mc_feed_line_t         *lines;
    size_t                  nlines;
    mado_feed_event_t     **order;          /* events, in applying order */
    size_t                  norder;
    uint64_t                batch_end;      /* offset after the batch */

    /* per batch, set by the write callback */
    uint64_t                b_applied, b_dup, b_old, b_bad;

    /* bad lines found outside a batch (too long, a rotated file's
       incomplete last line): counted in the feed's record by the next
       write */
    uint64_t                pend_bad;

    /* totals */
    uint64_t                t_lines, t_applied, t_dup, t_old, t_bad;
    uint64_t                t_before;
} mc_feed_t;


static volatile sig_atomic_t  mc_feed_stop;


static void mc_feed_signal(int signo);
static int mc_feed_open(mc_feed_t *f);
static void mc_feed_reset(mc_feed_t *f);
static int mc_feed_process(mc_feed_t *f, int at_eof);
static int mc_feed_identify(mc_feed_t *f, int at_eof);
static int mc_feed_resume(mc_feed_t *f);
static int mc_feed_flush(mc_feed_t *f);
static int mc_feed_reopen(mc_feed_t *f);
static int mc_feed_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);
static int mc_feed_watch(mc_feed_t *f);
static int mc_feed_write_bad(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);
static uint64_t mc_fnv1a(const char *p, size_t len);


int
mc_cmd_feed(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc;
    uint32_t                     n;
    mc_feed_t                    f;
    const char                  *format, *encoding, *interval, *batch;
    struct sigaction             sa;
    static const char *const     names[] = { "FILE", NULL };
    static const struct option   opts[] = {
        { "office",   required_argument, NULL, 'o' },
        { "format",   required_argument, NULL, 'f' },
        { "encoding", required_argument, NULL, 'e' },
        { "follow",   no_argument,       NULL, 'F' },
        { "interval", required_argument, NULL, 'i' },
        { "batch",    required_argument, NULL, 'b' },
        { "name",     required_argument, NULL, 'n' },
        { "quiet",    no_argument,       NULL, 'q' },
        { "help",     no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&f, 0, sizeof(mc_feed_t));
    f.ctx = ctx;
    f.fd = -1;
    f.fmt.cd = (iconv_t) -1;
    f.interval = 0.5;
    f.batch_max = 4096;
    f.feed = "log";

    format = encoding = interval = batch = NULL;

    while ((c = getopt_long(argc, argv, MC_OPTS("q"), opts, NULL)) != -1) {
        switch (c) {

        case 'o': f.office = optarg; break;
        case 'f': format = optarg; break;
        case 'e': encoding = optarg; break;
        case 'F': f.follow = 1; break;
        case 'i': interval = optarg; break;
        case 'b': batch = optarg; break;
        case 'n': f.feed = optarg; break;
        case 'q': f.quiet = 1; break;

        case 'h':
            return mc_help("feed");

        default:
            return mc_getopt_error("feed", c, argv);
        }
    }

    if ((rc = mc_args("feed", argc, argv, names, 1)) != MC_EXIT_OK) {
        return rc;
    }

    if (f.office == NULL) {
        return mc_usage_error("feed", "--office is required");
    }

    if (format == NULL) {
        return mc_usage_error("feed", "--format is required (voicecall or "
                              "jsonl)");
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    if (mc_check_id("--office", f.office) != MC_EXIT_OK
        || mc_check_id("--name", f.feed) != MC_EXIT_OK)
    {
        return MC_EXIT_REFUSED;
    }

    if (strcmp(format, "voicecall") == 0) {
        f.fmt.format = MC_FMT_VOICECALL;

    } else if (strcmp(format, "jsonl") == 0) {
        f.fmt.format = MC_FMT_JSONL;

    } else {
        mc_error("--format: must be voicecall or jsonl, not \"%s\"", format);
        return MC_EXIT_REFUSED;
    }

    if (encoding == NULL || strcmp(encoding, "auto") == 0) {
        f.fmt.encoding = MC_ENC_AUTO;

    } else if (strcasecmp(encoding, "utf-8") == 0
               || strcasecmp(encoding, "utf8") == 0)
    {
        f.fmt.encoding = MC_ENC_UTF8;

    } else if (strcasecmp(encoding, "sjis") == 0
               || strcasecmp(encoding, "shift_jis") == 0
               || strcasecmp(encoding, "cp932") == 0)
    {
        f.fmt.encoding = MC_ENC_SJIS;

    } else {
        mc_error("--encoding: must be auto, utf-8 or sjis, not \"%s\"",
                 encoding);
        return MC_EXIT_REFUSED;
    }

    if (interval != NULL
        && mc_parse_double("--interval", interval, 0.05, 60, &f.interval))
    {
        return MC_EXIT_REFUSED;
    }

    if (batch != NULL) {
        if (mc_parse_uint("--batch", batch, 1, 100000, &n)) {
            return MC_EXIT_REFUSED;
        }

        f.batch_max = n;
    }

    f.path = argv[optind];
    f.name = strcmp(f.path, "-") == 0 ? "stdin" : f.path;

    if (f.fmt.encoding != MC_ENC_UTF8) {
        /* CP932: what Windows-driven machines write; a superset of SJIS */
        f.fmt.cd = iconv_open("UTF-8", "CP932");

        if (f.fmt.cd == (iconv_t) -1) {
            mc_error("this system cannot convert Shift_JIS (CP932): %s",
                     strerror(errno));
            return MC_EXIT_STORE;
        }
    }

    f.buf = malloc(MC_FEED_BUF);
    f.lines = calloc(f.batch_max, sizeof(mc_feed_line_t));
    f.order = calloc(f.batch_max, sizeof(mado_feed_event_t *));

    if (f.buf == NULL || f.lines == NULL || f.order == NULL) {
        mc_error("out of memory");
        rc = MC_EXIT_STORE;
        goto done;
    }

    rc = mc_store_open(ctx, &f.store, 0);
    if (rc != MC_EXIT_OK) {
        goto done;
    }

    /* no SA_RESTART: a signal ends the wait for more data at once */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = mc_feed_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    rc = mc_feed_open(&f);

    while (rc == MC_EXIT_OK && !mc_feed_stop) {
        ssize_t  got;

        got = read(f.fd, f.buf + f.len, MC_FEED_BUF - f.len);

        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }

            mc_error("%s: %s", f.name, strerror(errno));
            rc = MC_EXIT_STORE;
            break;
        }

        f.len += got;

        rc = mc_feed_process(&f, got == 0);

        if (rc == MC_EXIT_OK && f.restart) {
            f.restart = 0;
            continue;
        }

        if (rc != MC_EXIT_OK || got > 0) {
            continue;
        }

        if (!f.follow || !f.seekable) {
            break;
        }

        rc = mc_feed_watch(&f);
    }

    if (rc == MC_EXIT_OK && f.len > 0 && !f.overlong) {
        fprintf(stderr, "madoctl feed: %s:%llu: incomplete last line left "
                "for when it is complete\n", f.name,
                (unsigned long long) f.line + 1);
    }

    if (f.pend_bad && f.store.env != NULL) {
        /* even after SIGTERM or an error: they were reported */
        mado_err_t  err;

        if (mado_store_write(&f.store, mc_feed_write_bad, &f, &err)
            != MADO_OK)
        {
            mc_error("%s", err.text);
            rc = (rc == MC_EXIT_OK) ? MC_EXIT_STORE : rc;
        }
    }

    if (rc == MC_EXIT_OK && !f.quiet) {
        printf("%s: %llu lines: %llu applied, %llu already known, %llu of "
               "an earlier day, %llu bad", f.name,
               (unsigned long long) f.t_lines,
               (unsigned long long) f.t_applied,
               (unsigned long long) f.t_dup,
               (unsigned long long) f.t_old,
               (unsigned long long) f.t_bad);

        if (f.t_before) {
            printf("; %llu lines were applied before",
                   (unsigned long long) f.t_before);
        }

        putchar('\n');
    }

    mado_store_close(&f.store);

done:

    if (f.fd > 0) {
        close(f.fd);
    }

    if (f.fmt.cd != (iconv_t) -1) {
        iconv_close(f.fmt.cd);
    }

    free(f.buf);
    free(f.lines);
    free(f.order);

    return rc;
}


static void
mc_feed_signal(int signo)
{
    (void) signo;
    mc_feed_stop = 1;
}


static int
mc_feed_open(mc_feed_t *f)
{
    struct stat  sb;

    if (strcmp(f->path, "-") == 0) {
        f->fd = 0;

    } else {
        f->fd = open(f->path, O_RDONLY | O_CLOEXEC);

        if (f->fd == -1) {
            mc_error("FILE: cannot open %s: %s", f->path, strerror(errno));
            return (errno == ENOENT) ? MC_EXIT_REFUSED : MC_EXIT_STORE;
        }
    }

    if (fstat(f->fd, &sb) == -1) {
        mc_error("%s: %s", f->name, strerror(errno));
        return MC_EXIT_STORE;
    }

    if (S_ISDIR(sb.st_mode)) {
        mc_error("FILE: %s is a directory", f->path);
        return MC_EXIT_REFUSED;
    }

    f->seekable = S_ISREG(sb.st_mode) ? 1 : 0;
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;

    mc_feed_reset(f);

    return MC_EXIT_OK;
}


/* start reading the file from its first byte, as a file not seen yet */
static void
mc_feed_reset(mc_feed_t *f)
{
    f->len = 0;
    f->pos = 0;
    f->line = 0;
    f->overlong = 0;
    f->fp_known = 0;
    f->have_cursor = 0;
    f->expect = 0;
    f->skip_to = 0;
    f->nlines = 0;
}


/* apply the complete lines in the buffer */
static int
mc_feed_process(mc_feed_t *f, int at_eof)
{
    int              rc;
    char            *p, *end, *next;
    size_t           used;
    mado_line_t      ln;
    mado_line_e      kind;
    mc_feed_line_t  *l;

    if (!f->fp_known) {
        rc = mc_feed_identify(f, at_eof);

        if (rc != MC_EXIT_OK || !f->fp_known) {
            return rc;
        }
    }

    p = f->buf;
    end = f->buf + f->len;

    while (p < end) {
        kind = mado_feed_line(p, end - p, MADO_LINE_BOM, &ln);

        if (kind == MADO_LINE_PARTIAL) {
            break;
        }

        next = p + ln.used;
        used = next - f->buf;

        if (f->overlong) {
            /* the end of a line reported when it began */
            f->overlong = 0;
            f->line++;
            p = next;
            continue;
        }

        f->line++;

        if (f->pos + used <= f->skip_to) {
            /* a pipe: this line was applied by an earlier run */
            f->t_before++;
            p = next;
            continue;
        }

        l = &f->lines[f->nlines++];
        l->e.line = f->line;
        mc_feed_parse(&f->fmt, kind, &ln, l);

        p = next;
        f->batch_end = f->pos + used;

        if (f->nlines == f->batch_max) {
            /* consume up to here first: the flush may exit on error */
            rc = mc_feed_flush(f);
            if (rc != MC_EXIT_OK || f->restart) {
                return rc;
            }
        }
    }

    rc = mc_feed_flush(f);
    if (rc != MC_EXIT_OK || f->restart) {
        return rc;
    }

    used = p - f->buf;

    if (used == 0 && f->len == MC_FEED_BUF) {
        /* a line longer than the buffer: report it, drop what we have */
        l = &f->lines[0];
        l->e.line = f->line + 1;
        mc_feed_bad(l, "%s", MADO_FEED_LONG);
        fprintf(stderr, "madoctl feed: %s:%llu: %s\n", f->name,
                (unsigned long long) l->e.line, l->e.why);
        f->t_bad++;
        f->pend_bad++;
        f->overlong = 1;
        used = f->len;
    }

    memmove(f->buf, f->buf + used, f->len - used);
    f->len -= used;
    f->pos += used;

    return MC_EXIT_OK;
}


/*
 * Name the file by the hash of its bytes up to the end of its first event
 * line, then look up how far it was applied before.
 */
static int
mc_feed_identify(mc_feed_t *f, int at_eof)
{
    char            *p, *end;
    mado_line_t      ln;
    mado_line_e      kind;
    mc_feed_line_t   probe;

    p = f->buf;
    end = f->buf + f->len;

    while (p < end
           && (kind = mado_feed_line(p, end - p, MADO_LINE_BOM, &ln))
              != MADO_LINE_PARTIAL)
    {
        memset(&probe, 0, sizeof(probe));
        mc_feed_parse(&f->fmt, kind, &ln, &probe);

        if (probe.kind == MC_LINE_EVENT) {
            f->fp_len = (p + ln.used) - f->buf;
            f->fp_hash = mc_fnv1a(f->buf, f->fp_len);
            snprintf(f->fp, sizeof(f->fp), "%016llx",
                     (unsigned long long) f->fp_hash);
            f->fp_known = 1;

            return mc_feed_resume(f);
        }

        p += ln.used;
    }

    if ((at_eof && !f->follow) || f->len == MC_FEED_BUF) {
        /*
         * No event line to name the file by: its lines are still checked
         * and reported, but nothing is remembered.
         */
        f->fp_len = 0;
        f->fp_known = 1;
        f->have_cursor = 0;
        strcpy(f->fp, "");
    }

    return MC_EXIT_OK;
}


static int
mc_feed_resume(mc_feed_t *f)
{
    int                  rc;
    char                 last;
    MDB_txn             *txn;
    mado_err_t           err;
    struct stat          sb;
    mado_feed_cursor_t   cur;

    rc = mado_store_read_begin(&f->store, &txn, &err);
    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    rc = mado_feed_cursor_get(&f->store, txn, f->office, f->fp, &cur, &err);
    mdb_txn_abort(txn);

    if (rc == MADO_ENOTFOUND) {
        return MC_EXIT_OK;
    }

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    f->have_cursor = 1;
    f->expect = cur.offset;

    if (!f->seekable) {
        f->skip_to = cur.offset;
        return MC_EXIT_OK;
    }

    /*
     * The cursor must fall on a line end inside the file; if the file was
     * cut shorter or rewritten, read it all again: the ticket records make
     * events already applied count nothing.
     */
    if (cur.offset == 0
        || fstat(f->fd, &sb) == -1
        || (uint64_t) sb.st_size < cur.offset
        || pread(f->fd, &last, 1, (off_t) cur.offset - 1) != 1
        || last != '\n')
    {
        if (cur.offset > 0) {
            fprintf(stderr, "madoctl feed: %s: changed since it was read "
                    "to byte %llu; reading it from the start\n", f->name,
                    (unsigned long long) cur.offset);
        }

        return MC_EXIT_OK;
    }

    if (lseek(f->fd, (off_t) cur.offset, SEEK_SET) == -1) {
        mc_error("%s: %s", f->name, strerror(errno));
        return MC_EXIT_STORE;
    }

    f->t_before += cur.line;
    f->pos = cur.offset;
    f->line = cur.line;
    f->len = 0;

    return MC_EXIT_OK;
}


/* apply the parsed lines as one transaction and report them */
static int
mc_feed_flush(mc_feed_t *f)
{
    int              rc;
    size_t           i, n;
    mado_err_t       err;
    mc_feed_line_t  *l;

    if (f->nlines == 0) {
        return MC_EXIT_OK;
    }

    for (i = 0, n = 0; i < f->nlines; i++) {
        if (f->lines[i].kind == MC_LINE_EVENT) {
            f->order[n++] = &f->lines[i].e;
        }
    }

    mado_feed_sort(f->order, n);
    f->norder = n;

    /* a long follow sees the clock move */
    rc = mc_clock(f->ctx);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    rc = mado_store_write(&f->store, mc_feed_write, f, &err);

    if (rc == MADO_ERETIRED) {
        rc = mc_feed_reopen(f);

        if (rc != MC_EXIT_OK || f->restart) {
            return rc;
        }

        rc = mado_store_write(&f->store, mc_feed_write, f, &err);
    }

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    for (i = 0; i < f->nlines; i++) {
        l = &f->lines[i];

        if (l->kind == MC_LINE_BAD
            || (l->kind == MC_LINE_EVENT && l->e.result == MADO_FEED_BAD))
        {
            fprintf(stderr, "madoctl feed: %s:%llu: %s\n", f->name,
                    (unsigned long long) l->e.line, l->e.why);
        }
    }

    f->t_lines += f->nlines;
    f->t_applied += f->b_applied;
    f->t_dup += f->b_dup;
    f->t_old += f->b_old;
    f->t_bad += f->b_bad;
    f->pend_bad = 0;

    if (f->fp_len) {
        f->have_cursor = 1;
        f->expect = f->batch_end;
    }

    f->nlines = 0;

    return MC_EXIT_OK;
}


/*
 * A restore put another store in place of the one open (MADO_ERETIRED):
 * open the restored one.  A file is read again from the restored store's
 * cursor (f->restart), so what the restore took back is fed again (the
 * ticket records count nothing twice); a pipe cannot be read again: the
 * batch goes to the restored store, its cursor adopted.
 */
static int
mc_feed_reopen(mc_feed_t *f)
{
    int                  rc;
    MDB_txn             *txn;
    mado_err_t           err;
    mado_feed_cursor_t   cur;

    fprintf(stderr, "madoctl feed: %s: the store was restored; opening the "
            "restored one and going on from its cursor\n", f->name);

    mado_store_close(&f->store);

    rc = mc_store_open(f->ctx, &f->store, 0);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    if (f->seekable) {
        if (lseek(f->fd, 0, SEEK_SET) == -1) {
            mc_error("%s: %s", f->name, strerror(errno));
            return MC_EXIT_STORE;
        }

        mc_feed_reset(f);
        f->restart = 1;

        return MC_EXIT_OK;
    }

    f->have_cursor = 0;
    f->expect = 0;

    if (f->fp_len == 0) {
        return MC_EXIT_OK;
    }

    rc = mado_store_read_begin(&f->store, &txn, &err);
    if (rc == MADO_OK) {
        rc = mado_feed_cursor_get(&f->store, txn, f->office, f->fp, &cur,
                                  &err);
        mdb_txn_abort(txn);
    }

    if (rc == MADO_OK) {
        f->have_cursor = 1;
        f->expect = cur.offset;

    } else if (rc != MADO_ENOTFOUND) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    return MC_EXIT_OK;
}


static int
mc_feed_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                  rc;
    size_t               i;
    mc_feed_t           *f = arg;
    mado_feed_batch_t    b;
    mado_feed_cursor_t   cur;
    char                 lines[48];
    const char          *extra[] = { "file", f->name, "lines", lines, NULL };

    /* outputs are overwritten: this may run again when the map grows */
    f->b_applied = f->b_dup = f->b_old = f->b_bad = 0;

    if (f->fp_len) {
        rc = mado_feed_cursor_get(s, txn, f->office, f->fp, &cur, err);

        if (rc != MADO_OK && rc != MADO_ENOTFOUND) {
            return rc;
        }

        /* two feeds of one file would count its lines twice */
        if ((rc == MADO_OK) != f->have_cursor
            || (rc == MADO_OK && cur.offset != f->expect))
        {
            return mado_fail(err, MADO_EINVAL, "another \"madoctl feed\" is "
                             "reading this file for office %s (its cursor "
                             "moved); stopping", f->office);
        }
    }

    snprintf(lines, sizeof(lines), "%llu-%llu",
             (unsigned long long) (f->line - f->nlines + 1),
             (unsigned long long) f->line);

    memset(&b, 0, sizeof(b));
    b.office = f->office;
    b.now = f->ctx->now;
    b.actor = mc_actor();
    b.client = "local";
    b.extra = extra;
    b.by_code = (f->fmt.format == MC_FMT_VOICECALL);

    rc = mado_feed_batch(s, txn, &b, f->order, f->norder, err);

    if (rc == MADO_ENOTFOUND) {
        return mado_fail(err, MADO_EINVAL, "--office: no office \"%s\"",
                         f->office);
    }

    if (rc != MADO_OK) {
        return rc;
    }

    f->b_applied = b.applied;
    f->b_dup = b.duplicate;
    f->b_old = b.old;
    f->b_bad = b.bad;

    for (i = 0; i < f->nlines; i++) {
        if (f->lines[i].kind == MC_LINE_BAD) {
            f->b_bad++;
        }
    }

    /* b.bad: events the office refused; b_bad - b.bad: the parser's */
    rc = mado_feed_stat_add(s, txn, f->office, MADO_FEED_FILE, f->feed, &b,
                            f->order, f->norder,
                            f->b_bad - b.bad + f->pend_bad, f->ctx->now,
                            err);
    if (rc != MADO_OK) {
        return rc;
    }

    if (f->fp_len == 0) {
        return MADO_OK;
    }

    if (!f->have_cursor) {
        memset(&cur, 0, sizeof(cur));
    }

    cur.offset = f->batch_end;
    cur.line = f->line;
    cur.events += f->b_applied;
    cur.bad += f->b_bad;
    cur.updated_at = f->ctx->now;

    return mado_feed_cursor_put(s, txn, f->office, f->fp, &cur, err);
}


/* bad lines that no batch took up, into the feed's record at the end */
static int
mc_feed_write_bad(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                 rc;
    mc_feed_t          *f = arg;
    mado_office_def_t   o;

    memset(&o, 0, sizeof(mado_office_def_t));

    rc = mado_office_get(s, txn, f->office, &o, err);
    mado_office_free(&o);

    if (rc == MADO_ENOTFOUND) {
        return mado_fail(err, MADO_EINVAL, "--office: no office \"%s\"",
                         f->office);
    }

    if (rc != MADO_OK) {
        return rc;
    }

    return mado_feed_stat_add(s, txn, f->office, MADO_FEED_FILE, f->feed,
                              NULL, NULL, 0, f->pend_bad, f->ctx->now, err);
}


/*
 * At the end of the data with --follow: notice truncation and rotation,
 * or wait a little.
 */
static int
mc_feed_watch(mc_feed_t *f)
{
    char             head[MADO_FEED_LINE_MAX + 1];
    struct stat      fsb, psb;
    struct timespec  ts;

    if (fstat(f->fd, &fsb) == -1) {
        mc_error("%s: %s", f->name, strerror(errno));
        return MC_EXIT_STORE;
    }

    /* shorter than what we read, or rewritten from the start in place */
    if ((uint64_t) fsb.st_size < f->pos + f->len
        || (f->fp_len && f->fp_len <= sizeof(head)
            && (pread(f->fd, head, f->fp_len, 0) != (ssize_t) f->fp_len
                || mc_fnv1a(head, f->fp_len) != f->fp_hash)))
    {
        fprintf(stderr, "madoctl feed: %s: truncated or rewritten; reading "
                "it from the start\n", f->name);

        if (lseek(f->fd, 0, SEEK_SET) == -1) {
            mc_error("%s: %s", f->name, strerror(errno));
            return MC_EXIT_STORE;
        }

        mc_feed_reset(f);
        return MC_EXIT_OK;
    }

    if (stat(f->path, &psb) == 0
        && (psb.st_ino != f->ino || psb.st_dev != f->dev))
    {
        /* read what was written to the old file before the move, once */
        if (!f->rotating) {
            f->rotating = 1;
            return MC_EXIT_OK;
        }

        f->rotating = 0;

        if (f->len > 0 && !f->overlong) {
            fprintf(stderr, "madoctl feed: %s:%llu: incomplete last line of "
                    "the rotated file, skipped\n", f->name,
                    (unsigned long long) f->line + 1);
            f->t_bad++;
            f->pend_bad++;
        }

        fprintf(stderr, "madoctl feed: %s: rotated; reading the new file\n",
                f->name);

        close(f->fd);
        f->fd = -1;

        return mc_feed_open(f);
    }

    f->rotating = 0;

    ts.tv_sec = (time_t) f->interval;
    ts.tv_nsec = (long) ((f->interval - (double) ts.tv_sec) * 1e9);

    /* a signal cuts the sleep short; the caller sees mc_feed_stop */
    nanosleep(&ts, NULL);

    return MC_EXIT_OK;
}


static uint64_t
mc_fnv1a(const char *p, size_t len)
{
    size_t    i;
    uint64_t  h = 0xcbf29ce484222325ULL;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) p[i];
        h *= 0x100000001b3ULL;
    }

    return h;
}
