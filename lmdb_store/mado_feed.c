/*
 * The ticket-machine feed's part of the store: business codes, the day's
 * ticket records, the rule that turns an event into counts, and cursors.
 * See mado_store.h for the counting rule and why it makes events commute.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado_store.h"


const char *const  mado_event_names[MADO_NEV] = { "issue", "call", "cancel" };


/*
 * A number's record for the day (mado_ticket_t): when its current round
 * was issued, and the latest call and cancel seen.  Its fate is the kind
 * of the latest of these (in one second: issue, then call, then cancel),
 * so events may come in any order and twice.  0 = not seen.
 */
typedef enum {
    MADO_FATE_NONE = 0,
    MADO_FATE_WAITING,
    MADO_FATE_SERVED,           /* called, and not cancelled since */
    MADO_FATE_CANCELLED
} mado_fate_e;


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


static int
mado_ticket_get(mado_store_t *s, MDB_txn *txn, MDB_val *k, mado_ticket_t *t,
    mado_err_t *err)
{
    int      rc;
    MDB_val  v;

    memset(t, 0, sizeof(mado_ticket_t));

    rc = mdb_get(txn, s->ticket, k, &v);

    if (rc == MDB_NOTFOUND) {
        return MADO_OK;
    }

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading a ticket", rc);
    }

    /* unreadable: the ticket starts afresh rather than stop the feed */
    (void) mado_ticket_decode(v.mv_data, v.mv_size, t);

    return MADO_OK;
}


static int
mado_ticket_put(mado_store_t *s, MDB_txn *txn, MDB_val *k,
    const mado_ticket_t *t, mado_err_t *err)
{
    int            rc;
    MDB_val        v;
    unsigned char  buf[MADO_TICKET_SIZE];

    mado_ticket_encode(t, buf);

    v.mv_data = buf;
    v.mv_size = sizeof(buf);

    rc = mdb_put(txn, s->ticket, k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing a ticket", rc);
    }

    return MADO_OK;
}


static mado_fate_e
mado_ticket_fate(const mado_ticket_t *t)
{
    mado_fate_e  fate;
    int64_t      at;

    fate = MADO_FATE_NONE;
    at = 0;

    if (t->issued_at) {
        fate = MADO_FATE_WAITING;
        at = t->issued_at;
    }

    if (t->call_seen && t->call_seen >= at) {
        fate = MADO_FATE_SERVED;
        at = t->call_seen;
    }

    if (t->cancel_seen && t->cancel_seen >= at) {
        fate = MADO_FATE_CANCELLED;
    }

    return fate;
}


/* a comes after b going round the counter's range (b = 0: none yet) */
static int
mado_ticket_after(const mado_counter_def_t *c, uint32_t a, uint32_t b)
{
    uint32_t  r, d;

    if (b < c->ticket_first || b > c->ticket_last) {
        return 1;
    }

    r = (uint32_t) c->ticket_last - c->ticket_first + 1;
    d = (a + r - b) % r;

    return d != 0 && d < (r + 1) / 2;
}


/* the latest event of its kind; in one second, the later number */
static int
mado_ticket_latest(const mado_counter_def_t *c, int64_t t, uint32_t ticket,
    int64_t at, uint32_t current)
{
    return t > at || (t == at && mado_ticket_after(c, ticket, current));
}


static void
mado_count_add(uint32_t *n, int d)
{
    if (d > 0 && *n < MADO_COUNT_MAX) {
        (*n)++;

    } else if (d < 0 && *n > 0) {
        /* counts set by hand may be lower than the tickets say */
        (*n)--;
    }
}


/* a ticket's fate went from f0 to f1: the counts follow */
static void
mado_fate_move(mado_counter_state_t *st, mado_fate_e f0, mado_fate_e f1)
{
    mado_count_add(&st->waiting, (f1 == MADO_FATE_WAITING)
                                 - (f0 == MADO_FATE_WAITING));

    if (f0 == MADO_FATE_SERVED && f1 != MADO_FATE_SERVED) {
        if (st->served_today > 0) {
            st->served_today--;
        }

    } else if (f1 == MADO_FATE_SERVED && f0 != MADO_FATE_SERVED
               && st->served_today < UINT32_MAX)
    {
        st->served_today++;
    }
}


int
mado_ticket_apply(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_counter_def_t *c,
    mado_counter_state_t *st, const mado_ticket_event_t *ev,
    mado_feed_result_e *result, int32_t *wait, mado_err_t *err)
{
    int             rc;
    MDB_val         k;
    mado_date_t     day;
    mado_fate_e     f0, f1;
    mado_ticket_t   t;
    unsigned char   key[MADO_KEY_MAX];

    *wait = -1;
    day = mado_local_date(ev->time);

    /* a day before the counter's is history; the live counts go on */
    if (st->updated_at > 0 && day < mado_local_date(st->updated_at)) {
        *result = MADO_FEED_OLD;
        return MADO_OK;
    }

    mado_new_day(st, ev->time);

    k.mv_data = key;
    k.mv_size = mado_ticket_key(office, c->id, ev->ticket, key);

    if ((rc = mado_ticket_get(s, txn, &k, &t, err)) != MADO_OK) {
        return rc;
    }

    if (t.date != day) {
        memset(&t, 0, sizeof(mado_ticket_t));
        t.date = day;
    }

    f0 = mado_ticket_fate(&t);

    /*
     * An event from before the number's current round belongs to an
     * earlier round, which later events have already settled: a log
     * replayed after the range wrapped must not reopen it.
     */
    if (t.issued_at && ev->time < t.issued_at) {
        *result = MADO_FEED_DUPLICATE;
        return MADO_OK;
    }

    *result = MADO_FEED_APPLIED;

    /* the estimate learns from tickets joining and leaving the queue */
    if (ev->type == MADO_EV_ISSUE && ev->time != t.issued_at) {
        mado_service_issue(st, ev->time);

    } else if (ev->type == MADO_EV_CALL && f0 == MADO_FATE_WAITING
               && ev->time > t.call_seen)
    {
        mado_service_call(c, st, ev->time);
    }

    switch (ev->type) {

    case MADO_EV_ISSUE:
        if (t.issued_at == ev->time) {
            *result = MADO_FEED_DUPLICATE;
            break;
        }

        if (t.issued_at) {
            /*
             * Issued again later the same day: the range wrapped.  The
             * settled round keeps its counts; a call or cancel seen at or
             * after this issue was the new round's.
             */
            mado_ticket_t  settled = t;

            /*
             * A call or cancel of the new round read before this issue
             * was counted as the old round's: the old round goes back to
             * the fate of its own events (batches split anywhere, so
             * this order happens).
             */
            if (settled.call_seen >= ev->time) {
                settled.call_seen = 0;
            }

            if (settled.cancel_seen >= ev->time) {
                settled.cancel_seen = 0;
            }

            mado_fate_move(st, f0, mado_ticket_fate(&settled));
            f0 = MADO_FATE_NONE;

            if (t.call_seen < ev->time) {
                t.call_seen = 0;
            }

            if (t.cancel_seen < ev->time) {
                t.cancel_seen = 0;
            }
        }

        t.issued_at = ev->time;

        if (mado_ticket_latest(c, ev->time, ev->ticket, st->issued_at,
                               st->last_issued))
        {
            st->last_issued = ev->ticket;
            st->issued_at = ev->time;
        }

        break;

    case MADO_EV_CALL:
        /* an earlier call (or this one again) changes nothing */
        if (ev->time <= t.call_seen) {
            *result = MADO_FEED_DUPLICATE;
            break;
        }

        t.call_seen = ev->time;

        if (mado_ticket_latest(c, ev->time, ev->ticket, st->called_at,
                               st->calling))
        {
            st->calling = ev->ticket;
            st->called_at = ev->time;
        }

        break;

    default: /* MADO_EV_CANCEL */
        if (ev->time <= t.cancel_seen) {
            *result = MADO_FEED_DUPLICATE;
            break;
        }

        t.cancel_seen = ev->time;
        break;
    }

    if (*result == MADO_FEED_DUPLICATE) {
        return MADO_OK;
    }

    f1 = mado_ticket_fate(&t);

    if (f0 == MADO_FATE_WAITING && f1 == MADO_FATE_SERVED) {
        *wait = (int32_t) (ev->time - t.issued_at);
    }

    mado_fate_move(st, f0, f1);

    if (ev->time > st->updated_at) {
        st->updated_at = ev->time;
    }

    /* a machine handing out or calling tickets means the counter works;
       a pause or the end of reception set by staff stays */
    if (ev->type != MADO_EV_CANCEL && st->status == MADO_STATUS_CLOSED) {
        st->status = MADO_STATUS_OPEN;
    }

    return mado_ticket_put(s, txn, &k, &t, err);
}


int
mado_ticket_note(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_counter_def_t *c, uint32_t ticket, int called, int64_t t,
    int32_t *wait, mado_err_t *err)
{
    int             rc;
    MDB_val         k;
    mado_date_t     day;
    mado_ticket_t   tk;
    unsigned char   key[MADO_KEY_MAX];

    *wait = -1;
    day = mado_local_date(t);

    k.mv_data = key;
    k.mv_size = mado_ticket_key(office, c->id, ticket, key);

    if ((rc = mado_ticket_get(s, txn, &k, &tk, err)) != MADO_OK) {
        return rc;
    }

    if (tk.date != day || !called) {
        memset(&tk, 0, sizeof(mado_ticket_t));
        tk.date = day;
    }

    if (!called) {
        tk.issued_at = t;

    } else {
        if (tk.issued_at && tk.call_seen < tk.issued_at && t >= tk.issued_at)
        {
            *wait = (int32_t) (t - tk.issued_at);
        }

        tk.call_seen = t;
    }

    return mado_ticket_put(s, txn, &k, &tk, err);
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
    char        errbuf[128], *nl;
    size_t      i;
    yajl_val    root, v;
    long long   n;

    static const char  *p_time[] = { "time", NULL };
    static const char  *p_event[] = { "event", NULL };
    static const char  *p_counter[] = { "counter", NULL };
    static const char  *p_ticket[] = { "ticket", NULL };

    memset(&e->ev, 0, sizeof(e->ev));
    e->key[0] = '\0';
    e->why[0] = '\0';
    e->result = 0;

    errbuf[0] = '\0';
    root = yajl_tree_parse(text, errbuf, sizeof(errbuf));

    if (root == NULL) {
        nl = strchr(errbuf, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }

        mado_feed_bad(e, "not JSON: %s", errbuf);
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
               || mado_parse_time(v->u.string, &e->ev.time) != 0)
    {
        mado_feed_bad(e, "\"time\" must be ISO 8601 like "
                      "\"2026-11-27T09:30:00+09:00\" or unix seconds");
        goto done;
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
mado_feed_compare(const void *a, const void *b)
{
    const mado_feed_event_t  *x = *(const mado_feed_event_t *const *) a;
    const mado_feed_event_t  *y = *(const mado_feed_event_t *const *) b;

    if (x->ev.time != y->ev.time) {
        return x->ev.time < y->ev.time ? -1 : 1;
    }

    /* the same second: issue, call, cancel, as they must have happened */
    if (x->ev.type != y->ev.type) {
        return x->ev.type < y->ev.type ? -1 : 1;
    }

    /* (which of two calls of one second is "calling" the store decides) */
    return x->line < y->line ? -1 : (x->line > y->line);
}


void
mado_feed_sort(mado_feed_event_t **ev, size_t n)
{
    qsort(ev, n, sizeof(mado_feed_event_t *), mado_feed_compare);
}


int
mado_state_same(const mado_counter_state_t *a, const mado_counter_state_t *b)
{
    return a->status == b->status
           && a->waiting == b->waiting
           && a->calling == b->calling
           && a->last_issued == b->last_issued
           && a->served_today == b->served_today
           && a->staff == b->staff
           && a->message_len == b->message_len
           && memcmp(a->message, b->message, a->message_len) == 0;
}


int
mado_feed_batch(mado_store_t *s, MDB_txn *txn, mado_feed_batch_t *b,
    mado_feed_event_t **ev, size_t n, mado_err_t *err)
{
    int                        rc;
    size_t                     i;
    unsigned                   ci;
    int32_t                    wait;
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
                               &wait, err);
        if (rc != MADO_OK) {
            goto failed;
        }

        e->result = (uint8_t) res;

        if (res == MADO_FEED_APPLIED) {
            memset(&hev, 0, sizeof(hev));
            hev.time = e->ev.time;
            hev.type = e->ev.type;          /* issue, call, cancel alike */
            hev.ticket = e->ev.ticket;
            hev.wait = wait;

            rc = mado_history_record(s, txn, b->office, &o, c, &before,
                                     &st[ci], &hev, err);
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
