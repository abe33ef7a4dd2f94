/*
 * The ticket-machine feed's batches, for "madoctl feed" and the update API
 * alike: business codes, how far a file has been read (cursors), the lines
 * of a feed, and a batch applied in one transaction.  The rule that turns
 * an event into counts is in mado_ticket.c.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado_store.h"


const char *const  mado_event_names[MADO_NEV] = { "issue", "call", "cancel" };


int
mado_code_valid(const char *code)
{
    size_t  i, len;

    len = strlen(code);

    if (len == 0 || len > MADO_CODE_MAX || code[0] == ' '
        || code[len - 1] == ' ')
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) code[i] < 0x20 || code[i] == 0x7f
            || code[i] == ',')
        {
            return 0;
        }
    }

    return mado_message_check(code, len, NULL) == MADO_OK;
}


static const char *
mado_code_digits(const char *s)
{
    const char  *p;

    for (p = s; *p; p++) {
        if (*p < '0' || *p > '9') {
            return NULL;
        }
    }

    if (p == s) {
        return NULL;
    }

    /* "007" is "7", "0" stays "0" */
    while (s[0] == '0' && s[1] != '\0') {
        s++;
    }

    return s;
}


int
mado_code_eq(const char *a, const char *b)
{
    const char  *da, *db;

    da = mado_code_digits(a);
    db = mado_code_digits(b);

    if (da != NULL && db != NULL) {
        return strcmp(da, db) == 0;
    }

    return strcmp(a, b) == 0;
}


const mado_counter_def_t *
mado_office_code(const mado_office_def_t *o, const char *code)
{
    unsigned  i, k;

    for (i = 0; i < o->ncounters; i++) {
        for (k = 0; k < o->counters[i].ncodes; k++) {
            if (mado_code_eq(o->counters[i].codes[k], code)) {
                return &o->counters[i];
            }
        }
    }

    return NULL;
}


int
mado_feed_cursor_get(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *fp, mado_feed_cursor_t *cur, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  key[MADO_KEY_MAX];

    memset(cur, 0, sizeof(mado_feed_cursor_t));

    k.mv_data = key;
    k.mv_size = mado_cursor_key(office, fp, key);

    rc = mdb_get(txn, s->feed, &k, &v);

    if (rc == MDB_NOTFOUND) {
        return MADO_ENOTFOUND;
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading a feed cursor", rc);
    }

    if (mado_cursor_decode(v.mv_data, v.mv_size, cur) != 0) {
        snprintf(err->text, sizeof(err->text),
                 "the feed cursor of %s/%.16s is garbled", office, fp);
        return MADO_ESTORE;
    }

    return MADO_OK;
}


int
mado_feed_cursor_put(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *fp, const mado_feed_cursor_t *cur, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  key[MADO_KEY_MAX], buf[MADO_CURSOR_SIZE];

    mado_cursor_encode(cur, buf);

    k.mv_data = key;
    k.mv_size = mado_cursor_key(office, fp, key);
    v.mv_data = buf;
    v.mv_size = sizeof(buf);

    rc = mdb_put(txn, s->feed, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing a feed cursor", rc);
    }

    return MADO_OK;
}


/* ------------------------------------------------------------ feed records */

int
mado_feed_stat_get(mado_store_t *s, MDB_txn *txn, const char *office,
    int source, const char *name, mado_feed_stat_t *st, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  key[MADO_KEY_MAX];

    memset(st, 0, sizeof(mado_feed_stat_t));

    if (!s->feeds) {
        return MADO_ENOTFOUND;
    }

    k.mv_data = key;
    k.mv_size = mado_feed_stat_key(office, source, name, key);

    rc = mdb_get(txn, s->feed, &k, &v);

    if (rc == MDB_NOTFOUND) {
        return MADO_ENOTFOUND;
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading a feed's record", rc);
    }

    if (mado_feed_stat_decode(v.mv_data, v.mv_size, st) != 0) {
        snprintf(err->text, sizeof(err->text), "the record of feed %s of "
                 "office %s is garbled", name, office);
        return MADO_ESTORE;
    }

    return MADO_OK;
}


int
mado_feed_stat_add(mado_store_t *s, MDB_txn *txn, const char *office,
    int source, const char *name, const mado_feed_batch_t *b,
    mado_feed_event_t *const *ev, size_t n, uint64_t bad, int64_t now,
    mado_err_t *err)
{
    int               rc;
    size_t            i;
    MDB_val           k, v;
    mado_feed_stat_t  st;
    unsigned char     key[MADO_KEY_MAX], buf[MADO_FEED_STAT_SIZE];

    rc = mado_feed_stat_get(s, txn, office, source, name, &st, err);
    if (rc != MADO_OK && rc != MADO_ENOTFOUND) {
        return rc;
    }

    if (b != NULL) {
        st.applied += b->applied;
        st.duplicate += b->duplicate;
        st.old += b->old;
        bad += b->bad;
    }

    st.bad += bad;
    st.batch_at = now;

    if (bad) {
        st.bad_at = now;
    }

    for (i = 0; i < n; i++) {
        if (ev[i]->result != MADO_FEED_BAD && ev[i]->ev.time > st.event_at) {
            st.event_at = ev[i]->ev.time;
        }
    }

    mado_feed_stat_encode(&st, buf);

    k.mv_data = key;
    k.mv_size = mado_feed_stat_key(office, source, name, key);
    v.mv_data = buf;
    v.mv_size = sizeof(buf);

    rc = mdb_put(txn, s->feed, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing a feed's record", rc);
    }

    return MADO_OK;
}


int
mado_feed_stats(mado_store_t *s, MDB_txn *txn, const char *office,
    mado_feed_stat_pt fn, void *arg, mado_err_t *err)
{
    int               rc, source;
    size_t            lo, n;
    MDB_val           k, v;
    MDB_cursor       *cur;
    mado_feed_stat_t  st;
    unsigned char     key[MADO_KEY_MAX];
    char              name[MADO_ID_MAX + 1];

    if (!s->feeds) {
        return MADO_ENOTFOUND;
    }

    rc = mdb_cursor_open(txn, s->feed, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the feeds", rc);
    }

    /* OFFICE\0@: the feeds' records sort together, after no cursor's */
    n = mado_office_key_prefix(office, key);
    lo = n - 1;
    key[n++] = '@';

    k.mv_data = key;
    k.mv_size = n;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size < n || memcmp(k.mv_data, key, n) != 0) {
            break;
        }

        if (mado_feed_stat_key_parse(k.mv_data, k.mv_size, lo, &source, name)
            != 0
            || mado_feed_stat_decode(v.mv_data, v.mv_size, &st) != 0)
        {
            /* one garbled record hides nothing else from monitoring */
            continue;
        }

        if (fn(source, name, &st, arg) != 0) {
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading the feeds", rc);
    }

    return MADO_OK;
}


/* ------------------------------------------------------------ batches */

static void
mado_feed_bad(mado_feed_event_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
mado_feed_bad(mado_feed_event_t *e, const char *fmt, ...)
{
    va_list  ap;

    e->result = MADO_FEED_BAD;

    va_start(ap, fmt);
    vsnprintf(e->why, sizeof(e->why), fmt, ap);
    va_end(ap);
}


int
mado_feed_jsonl(const char *text, mado_feed_event_t *e)
{
    size_t      i;
    yajl_val    root, v;
    unsigned    minute;
    long long   n;
    mado_err_t  why;

    static const char  *p_time[] = { "time", NULL };
    static const char  *p_event[] = { "event", NULL };
    static const char  *p_counter[] = { "counter", NULL };
    static const char  *p_ticket[] = { "ticket", NULL };

    memset(&e->ev, 0, sizeof(e->ev));
    e->key[0] = '\0';
    e->why[0] = '\0';
    e->result = 0;

    root = mado_json_parse(text, strlen(text), MADO_JSON_DEPTH, &why);

    if (root == NULL) {
        mado_feed_bad(e, "%s", why.text);
        return -1;
    }

    if (!YAJL_IS_OBJECT(root)) {
        mado_feed_bad(e, "not a JSON object");
        goto done;
    }

    v = yajl_tree_get(root, p_time, yajl_t_any);

    if (v == NULL) {
        mado_feed_bad(e, "\"time\" is required");
        goto done;
    }

    if (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0) {
        e->ev.time = YAJL_GET_INTEGER(v);

    } else if (!YAJL_IS_STRING(v)
               || mado_parse_stamp(v->u.string, &e->ev.time, &minute) != 0
               || e->ev.time <= 0)
    {
        /* a string before 1970 too, as a number is (t/fuzz/fuzz_feed_jsonl
           found "1013-11-27T09:30:00+09:00" taken) */
        mado_feed_bad(e, "\"time\" must be ISO 8601 like "
                      "\"2026-11-27T09:30:00+09:00\" or unix seconds");
        goto done;

    } else if (minute) {
        /* "2026-11-27T09:30+09:00": a machine that writes minutes */
        e->ev.flags |= MADO_EV_MINUTE;
    }

    v = yajl_tree_get(root, p_event, yajl_t_string);

    for (i = 0; v != NULL && i < MADO_NEV; i++) {
        if (strcmp(v->u.string, mado_event_names[i]) == 0) {
            break;
        }
    }

    if (v == NULL || i == MADO_NEV) {
        mado_feed_bad(e, "\"event\" must be \"issue\", \"call\" or "
                      "\"cancel\"");
        goto done;
    }

    e->ev.type = (uint32_t) i;

    v = yajl_tree_get(root, p_counter, yajl_t_string);

    if (v == NULL
        || !mado_valid_id(v->u.string, strlen(v->u.string)))
    {
        mado_feed_bad(e, "\"counter\" must be a counter id like "
                      "\"certificates\"");
        goto done;
    }

    strcpy(e->key, v->u.string);

    v = yajl_tree_get(root, p_ticket, yajl_t_number);
    n = (v != NULL && YAJL_IS_INTEGER(v)) ? YAJL_GET_INTEGER(v) : 0;

    if (n < 1 || n > MADO_COUNT_MAX) {
        mado_feed_bad(e, "\"ticket\" must be a whole number 1..%d",
                      MADO_COUNT_MAX);
        goto done;
    }

    e->ev.ticket = (uint32_t) n;

done:

    yajl_tree_free(root);

    return e->result == MADO_FEED_BAD ? -1 : 0;
}


mado_line_e
mado_feed_line(const char *data, size_t len, unsigned flags, mado_line_t *l)
{
    size_t       i, n;
    const char  *nl;

    nl = memchr(data, '\n', len);

    if (nl == NULL && (!(flags & MADO_LINE_EOF) || len == 0)) {
        l->text = data;
        l->len = 0;
        l->used = 0;
        return MADO_LINE_PARTIAL;
    }

    n = nl ? (size_t) (nl - data) : len;
    l->used = nl ? n + 1 : n;

    if (n > 0 && data[n - 1] == '\r') {
        n--;
    }

    /* a UTF-8 byte order mark some Windows tools write */
    if ((flags & MADO_LINE_BOM) && n >= 3
        && memcmp(data, "\xef\xbb\xbf", 3) == 0)
    {
        data += 3;
        n -= 3;
    }

    l->text = data;
    l->len = n;

    for (i = 0; i < n && (data[i] == ' ' || data[i] == '\t'); i++) {
        /* void */
    }

    if (i == n) {
        return MADO_LINE_BLANK;
    }

    if (n > MADO_FEED_LINE_MAX) {
        return MADO_LINE_LONG;
    }

    if (memchr(data, '\0', n) != NULL) {
        return MADO_LINE_BINARY;
    }

    return MADO_LINE_TEXT;
}


int
mado_feed_body(const char *body, size_t len, size_t max,
    mado_feed_body_t *fb)
{
    size_t              n;
    uint64_t            line;
    const char         *p, *end;
    mado_line_t         l;
    mado_line_e         kind;
    mado_feed_event_t  *e;
    char                text[MADO_FEED_LINE_MAX + 1];

    memset(fb, 0, sizeof(mado_feed_body_t));

    p = body;
    end = body + len;

    /* room for an event a line, up to max */
    for (n = 1; p < end; p++) {
        n += (*p == '\n');
    }

    n = n < max ? n : max;

    fb->events = malloc(n * sizeof(mado_feed_event_t));
    fb->order = malloc(n * sizeof(mado_feed_event_t *));

    if (fb->events == NULL || fb->order == NULL) {
        mado_feed_body_free(fb);
        return -1;
    }

    /* a byte order mark only where the body starts */
    for (line = 1, p = body; p < end; line++, p += l.used) {
        kind = mado_feed_line(p, end - p, MADO_LINE_EOF
                              | (line == 1 ? MADO_LINE_BOM : 0), &l);

        if (kind == MADO_LINE_BLANK) {
            continue;
        }

        if (fb->n == max) {
            fb->too_many = 1;
            snprintf(fb->why, sizeof(fb->why), "a batch may have at most %zu "
                     "events", max);
            return 0;
        }

        e = &fb->events[fb->n];
        memset(e, 0, sizeof(mado_feed_event_t));
        e->line = line;

        if (kind == MADO_LINE_LONG) {
            snprintf(fb->why, sizeof(fb->why), "line %llu: " MADO_FEED_LONG,
                     (unsigned long long) line);
            fb->bad = 1;
            return 0;
        }

        if (kind == MADO_LINE_BINARY || !mado_utf8_valid(l.text, l.len)) {
            snprintf(fb->why, sizeof(fb->why), "line %llu: not UTF-8 text",
                     (unsigned long long) line);
            fb->bad = 1;
            return 0;
        }

        memcpy(text, l.text, l.len);
        text[l.len] = '\0';

        if (mado_feed_jsonl(text, e) != 0) {
            snprintf(fb->why, sizeof(fb->why), "line %llu: %s",
                     (unsigned long long) line, e->why);
            fb->bad = 1;
            return 0;
        }

        fb->order[fb->n++] = e;
    }

    mado_feed_sort(fb->order, fb->n);

    return 0;
}


void
mado_feed_body_free(mado_feed_body_t *fb)
{
    free(fb->events);
    free(fb->order);
    fb->events = NULL;
    fb->order = NULL;
    fb->n = 0;
}


static int
mado_feed_by_line(const void *a, const void *b)
{
    const mado_feed_event_t  *x = *(const mado_feed_event_t *const *) a;
    const mado_feed_event_t  *y = *(const mado_feed_event_t *const *) b;

    return x->line < y->line ? -1 : (x->line > y->line);
}


static int
mado_feed_compare(const void *a, const void *b)
{
    const mado_feed_event_t  *x = *(const mado_feed_event_t *const *) a;
    const mado_feed_event_t  *y = *(const mado_feed_event_t *const *) b;

    if (x->sort_time != y->sort_time) {
        return x->sort_time < y->sort_time ? -1 : 1;
    }

    /* the same second: issue, call, cancel, as they must have happened */
    if (x->sort_kind != y->sort_kind) {
        return x->sort_kind < y->sort_kind ? -1 : 1;
    }

    /* (which of two calls of one second is "calling" the store decides) */
    return x->line < y->line ? -1 : (x->line > y->line);
}


void
mado_feed_sort(mado_feed_event_t **ev, size_t n)
{
    size_t              i;
    int64_t             m, last;
    uint32_t            kind;
    mado_feed_event_t  *e;

    /*
     * The lines in the file's order: a minute stamp goes after the lines
     * read before it in its minute (at the latest second read, and after
     * the kinds read in that second), and mado_ticket_apply puts it at a
     * second.  One read after a later minute's lines is a line sent
     * again: it goes to its minute's end, after the line it repeats.
     */
    qsort(ev, n, sizeof(mado_feed_event_t *), mado_feed_by_line);

    last = 0;
    kind = 0;

    for (i = 0; i < n; i++) {
        e = ev[i];
        e->sort_time = e->ev.time;
        e->sort_kind = e->ev.type;

        if (e->ev.flags & MADO_EV_MINUTE) {
            m = e->ev.time - e->ev.time % 60;

            if (last >= m + 60) {
                e->sort_time = m + 59;
                e->sort_kind = MADO_EV_CANCEL;

            } else if (last >= m) {
                e->sort_time = last;
                e->sort_kind = e->ev.type > kind ? e->ev.type : kind;
            }
        }

        if (e->sort_time > last) {
            last = e->sort_time;
            kind = e->sort_kind;

        } else if (e->sort_time == last && e->sort_kind > kind) {
            kind = e->sort_kind;
        }
    }

    qsort(ev, n, sizeof(mado_feed_event_t *), mado_feed_compare);
}


int
mado_feed_batch(mado_store_t *s, MDB_txn *txn, mado_feed_batch_t *b,
    mado_feed_event_t **ev, size_t n, mado_err_t *err)
{
    int                        rc;
    size_t                     i;
    unsigned                   ci;
    int32_t                    wait;
    int64_t                    at;
    mado_event_t               hev;
    mado_feed_event_t         *e;
    mado_office_def_t          o;
    mado_feed_result_e         res;
    mado_counter_state_t       before;
    const mado_counter_def_t  *c;
    unsigned char              loaded[MADO_COUNTERS_MAX];
    mado_counter_state_t       st[MADO_COUNTERS_MAX];
    mado_counter_state_t       first[MADO_COUNTERS_MAX];

    b->applied = b->duplicate = b->old = b->bad = 0;
    b->nchanged = 0;

    memset(&o, 0, sizeof(mado_office_def_t));

    rc = mado_office_get(s, txn, b->office, &o, err);

    if (rc == MADO_ENOTFOUND) {
        snprintf(err->text, sizeof(err->text), "no office \"%s\"",
                 b->office);
        return MADO_ENOTFOUND;
    }

    if (rc != MADO_OK) {
        return rc;
    }

    memset(loaded, 0, sizeof(loaded));

    for (i = 0; i < n; i++) {
        e = ev[i];
        e->result = MADO_FEED_BAD;

        if (b->by_code) {
            c = mado_office_code(&o, e->key);

            if (c == NULL) {
                mado_feed_bad(e, "business code \"%s\" is no counter's at "
                              "office %s (\"business_codes\" in "
                              "offices.json)", e->key, b->office);
            }

        } else {
            c = mado_office_counter(&o, e->key);

            if (c == NULL) {
                mado_feed_bad(e, "\"counter\": office %s has no counter "
                              "\"%s\"", b->office, e->key);
            }
        }

        if (c != NULL
            && (e->ev.ticket < c->ticket_first
                || e->ev.ticket > c->ticket_last))
        {
            mado_feed_bad(e, "ticket %u is outside counter %s's "
                          "ticket_range %u..%u", e->ev.ticket, c->id,
                          c->ticket_first, c->ticket_last);
            c = NULL;
        }

        if (c != NULL && e->ev.time > b->now + MADO_FEED_AHEAD) {
            mado_feed_bad(e, "time is more than an hour ahead of the clock");
            c = NULL;
        }

        if (c == NULL) {
            b->bad++;

            if (b->strict) {
                snprintf(err->text, sizeof(err->text), "line %llu: %s",
                         (unsigned long long) e->line, e->why);
                rc = MADO_EINVAL;
                goto failed;
            }

            continue;
        }

        ci = c - o.counters;

        if (!loaded[ci]) {
            rc = mado_state_get(s, txn, b->office, c->id, &st[ci], err);

            if (rc == MADO_ENOTFOUND) {
                snprintf(err->text, sizeof(err->text), "state of %s/%s is "
                         "missing; run \"madoctl load\" again", b->office,
                         c->id);
                rc = MADO_ESTORE;
            }

            if (rc != MADO_OK) {
                goto failed;
            }

            loaded[ci] = 1;
            first[ci] = st[ci];
        }

        before = st[ci];

        rc = mado_ticket_apply(s, txn, b->office, c, &st[ci], &e->ev, &res,
                               &wait, &at, err);
        if (rc != MADO_OK) {
            goto failed;
        }

        e->result = (uint8_t) res;

        if (res == MADO_FEED_APPLIED) {
            memset(&hev, 0, sizeof(hev));
            hev.time = at;
            hev.type = e->ev.type;          /* issue, call, cancel alike */
            hev.ticket = e->ev.ticket;
            hev.wait = (e->ev.type == MADO_EV_CALL) ? wait : -1;

            rc = mado_history_record(s, txn, b->office, &o, c, &before,
                                     &st[ci], &hev, err);

            /* an issue read after its call: the call's wait */
            if (rc == MADO_OK && e->ev.type == MADO_EV_ISSUE && wait >= 0) {
                rc = mado_history_wait(s, txn, b->office, c->id,
                                       at + wait, e->ev.ticket, wait, err);
            }

            if (rc != MADO_OK) {
                goto failed;
            }
        }

        switch (res) {
        case MADO_FEED_APPLIED:   b->applied++; break;
        case MADO_FEED_DUPLICATE: b->duplicate++; break;
        default:                  b->old++; break;
        }
    }

    /* each counter once, and one audit record per counter changed */
    for (ci = 0; ci < o.ncounters; ci++) {
        if (!loaded[ci]) {
            continue;
        }

        rc = mado_state_put(s, txn, b->office, o.counters[ci].id, &st[ci],
                            err);

        if (rc == MADO_OK && !mado_state_same(&first[ci], &st[ci])) {
            rc = mado_audit_write(s, txn, b->now, b->actor, b->client,
                                  "feed", b->office, o.counters[ci].id,
                                  &first[ci], &st[ci], b->extra, err);

            strcpy(b->changed[b->nchanged], o.counters[ci].id);
            b->after[b->nchanged++] = st[ci];
        }

        if (rc != MADO_OK) {
            goto failed;
        }
    }

    rc = MADO_OK;

failed:

    mado_office_free(&o);

    return rc;
}
