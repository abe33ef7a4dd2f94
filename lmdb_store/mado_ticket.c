/*
 * The counting rule of the ticket-machine feed: each number's day in the
 * "ticket" database, and the difference an event makes to the counts.
 * See mado_store.h for the rule and why it makes events commute.
 */

#include <string.h>

#include "mado_store.h"


/*
 * A number's record for the day (mado_ticket_t): when its current round
 * was issued, and the latest call and cancel seen.  Its fate is the kind
 * of the latest of these (in one second: issue, then call, then cancel),
 * so events may come in any order and twice.  0 = not seen.  The call
 * and cancel seen before the latest ones are kept too: a call of the
 * next round read before its issue does not lose the settled round's;
 * and which times were put from minute stamps (mado_ticket_minute).
 */
typedef enum {
    MADO_FATE_NONE = 0,
    MADO_FATE_WAITING,
    MADO_FATE_SERVED,           /* called, and not cancelled since */
    MADO_FATE_CANCELLED
} mado_fate_e;


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


int
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


uint32_t
mado_ticket_next(const mado_counter_def_t *c, uint32_t n)
{
    return (n < c->ticket_first || n >= c->ticket_last) ? c->ticket_first
                                                        : n + 1;
}


int
mado_ticket_issued(const mado_counter_def_t *c,
    const mado_counter_state_t *st, uint32_t n)
{
    return n >= c->ticket_first && n <= c->ticket_last
           && !mado_ticket_after(c, n, st->last_issued);
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


/*
 * bits of mado_ticket_t.minute: the time of that kind, or the one seen
 * before it (call_prev, cancel_prev), was put from a minute stamp
 */
#define MADO_TK_MINUTE(kind)    (1u << (kind))
#define MADO_TK_PREV(kind)      (8u << (kind))


/* the call or cancel seen so far becomes the one seen before */
static void
mado_ticket_push(mado_ticket_t *t, uint32_t kind)
{
    int64_t  *seen, *prev;

    seen = (kind == MADO_EV_CALL) ? &t->call_seen : &t->cancel_seen;
    prev = (kind == MADO_EV_CALL) ? &t->call_prev : &t->cancel_prev;

    if (*seen == 0) {
        return;
    }

    *prev = *seen;
    t->minute &= ~MADO_TK_PREV(kind);

    if (t->minute & MADO_TK_MINUTE(kind)) {
        t->minute |= MADO_TK_PREV(kind);
    }
}


/*
 * Where an event stamped to the minute counts (the rule in mado_store.h):
 * at the latest second already known in its minute of its number's round
 * and of its counter's last event of its kind; a second after its
 * number's event of its own or a later kind, which the file had first.
 * 1 when its own kind was seen for the number in that minute from a
 * minute stamp too (also the call or cancel before the latest, which may
 * be the last round's): this line again.
 */
static int
mado_ticket_minute(const mado_counter_state_t *st, const mado_ticket_t *t,
    const mado_ticket_event_t *ev, int64_t *at)
{
    uint32_t  i;
    int64_t   m, k, seen[MADO_NEV], prev[MADO_NEV];

    m = ev->time - ev->time % 60;

    seen[MADO_EV_ISSUE] = t->issued_at;
    seen[MADO_EV_CALL] = t->call_seen;
    seen[MADO_EV_CANCEL] = t->cancel_seen;
    prev[MADO_EV_ISSUE] = 0;
    prev[MADO_EV_CALL] = t->call_prev;
    prev[MADO_EV_CANCEL] = t->cancel_prev;

    if ((seen[ev->type] >= m && seen[ev->type] < m + 60
         && (t->minute & MADO_TK_MINUTE(ev->type)))
        || (prev[ev->type] >= m && prev[ev->type] < m + 60
            && (t->minute & MADO_TK_PREV(ev->type))))
    {
        return 1;
    }

    *at = m;

    for (i = 0; i < MADO_NEV; i++) {
        k = seen[i] + (i >= ev->type);

        if (seen[i] >= m && seen[i] < m + 60 && k > *at) {
            *at = k;
        }
    }

    k = (ev->type == MADO_EV_ISSUE) ? st->issued_at
        : (ev->type == MADO_EV_CALL) ? st->called_at : 0;

    if (k >= m && k < m + 60 && k > *at) {
        *at = k;
    }

    /* (an event at :59 read before one stamped to its minute) */
    if (*at > m + 59) {
        *at = m + 59;
    }

    return 0;
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


/* MADO_ENOTFOUND when no issue of ticket was seen on day (t: its record) */
static int
mado_ticket_unseen(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_counter_def_t *c, uint32_t ticket, mado_date_t day,
    const mado_ticket_t *t, mado_err_t *err)
{
    int             rc;
    MDB_val         k;
    mado_ticket_t   other;
    unsigned char   key[MADO_KEY_MAX];

    if (t == NULL) {
        k.mv_data = key;
        k.mv_size = mado_ticket_key(office, c->id, ticket, key);

        if ((rc = mado_ticket_get(s, txn, &k, &other, err)) != MADO_OK) {
            return rc;
        }

        t = &other;
    }

    return (t->date == day && t->issued_at) ? MADO_OK : MADO_ENOTFOUND;
}


int
mado_ticket_apply(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_counter_def_t *c,
    mado_counter_state_t *st, const mado_ticket_event_t *ev,
    mado_feed_result_e *result, int32_t *wait, int64_t *at, mado_err_t *err)
{
    int                  rc;
    MDB_val              k;
    mado_date_t          day;
    mado_fate_e          f0, f1;
    mado_ticket_t        t;
    mado_ticket_event_t  placed;
    unsigned char        key[MADO_KEY_MAX];

    *wait = -1;
    *at = ev->time;
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

    /* a minute stamp counts at a second of its minute */
    if (ev->flags & MADO_EV_MINUTE) {
        placed = *ev;
        placed.flags = 0;

        if (mado_ticket_minute(st, &t, ev, &placed.time)) {
            *result = MADO_FEED_DUPLICATE;
            return MADO_OK;
        }

        ev = &placed;
        *at = ev->time;
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
             * the fate of its own events, the ones seen before (batches
             * split anywhere, so this order happens).
             */
            if (settled.call_seen >= ev->time) {
                settled.call_seen = (settled.call_prev < ev->time
                                     && settled.call_prev >= t.issued_at)
                                    ? settled.call_prev : 0;
            }

            if (settled.cancel_seen >= ev->time) {
                settled.cancel_seen = (settled.cancel_prev < ev->time
                                       && settled.cancel_prev >= t.issued_at)
                                      ? settled.cancel_prev : 0;
            }

            mado_fate_move(st, f0, mado_ticket_fate(&settled));
            f0 = MADO_FATE_NONE;

            /* the settled round's last ones stay known as the ones before */
            if (t.call_seen < ev->time) {
                mado_ticket_push(&t, MADO_EV_CALL);
                t.call_seen = 0;
                t.minute &= ~MADO_TK_MINUTE(MADO_EV_CALL);
            }

            if (t.cancel_seen < ev->time) {
                mado_ticket_push(&t, MADO_EV_CANCEL);
                t.cancel_seen = 0;
                t.minute &= ~MADO_TK_MINUTE(MADO_EV_CANCEL);
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

        mado_ticket_push(&t, MADO_EV_CALL);
        t.call_seen = ev->time;
        mado_counter_recent(st, ev->ticket, ev->time);

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

        mado_ticket_push(&t, MADO_EV_CANCEL);
        t.cancel_seen = ev->time;
        break;
    }

    if (*result == MADO_FEED_DUPLICATE) {
        return MADO_OK;
    }

    /* so that the same line again is known (mado_ticket_minute) */
    if (ev == &placed) {
        t.minute |= MADO_TK_MINUTE(ev->type);

    } else {
        t.minute &= ~MADO_TK_MINUTE(ev->type);
    }

    f1 = mado_ticket_fate(&t);

    if (f0 == MADO_FATE_WAITING && f1 == MADO_FATE_SERVED) {
        *wait = (int32_t) (ev->time - t.issued_at);

    } else if (ev->type == MADO_EV_ISSUE && f1 == MADO_FATE_SERVED) {
        /* its call was read first: the call's wait, known now */
        *wait = (int32_t) (t.call_seen - t.issued_at);
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

    /*
     * A call read before its issue (batches come in any order) proves the
     * issue: while the number called has no issue seen today, last_issued
     * is raised to it.  (A number whose issue was seen may be after
     * last_issued by half the range when the queue laps it.)
     */
    if (st->calling >= c->ticket_first && st->calling <= c->ticket_last
        && mado_ticket_after(c, st->calling, st->last_issued))
    {
        rc = mado_ticket_unseen(s, txn, office, c, st->calling, day,
                                st->calling == ev->ticket ? &t : NULL, err);

        if (rc == MADO_ENOTFOUND) {
            st->last_issued = st->calling;

        } else if (rc != MADO_OK) {
            return rc;
        }
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
