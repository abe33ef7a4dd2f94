/*
 * History: an event for every change, 5-minute samples while open, and
 * the day's figures per counter and hour that the API, the pages and
 * "madoctl report" show.  See mado_store.h for the keys.  The day's
 * documents are made in mado_history_doc.c, the forecast in
 * mado_forecast.c; old days are compacted in mado_compact.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado_store.h"


const char *const  mado_hev_names[MADO_NHEV] = {
    "issue", "call", "cancel", "set"
};


/*
 * how far back a write fills in samples: the afternoon before a long
 * weekend or 年末年始 is written by the first change after it
 */
#define MADO_SAMPLE_BACK    (14 * 86400)


static void
mado_sample_of(const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t t, mado_sample_t *sm)
{
    int64_t  est, low, high;

    sm->time = t;
    sm->status = st->status;
    sm->waiting = st->waiting;
    sm->calling = st->calling;
    sm->served = st->served_today;
    sm->staff = st->staff;
    sm->wait = mado_estimate(c, st, &est, &low, &high) == 0
               ? (int32_t) est : -1;
}


static int
mado_sample_put(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, const mado_sample_t *sm, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  key[MADO_KEY_MAX], buf[MADO_SAMPLE_SIZE];

    mado_sample_encode(sm, buf);

    k.mv_data = key;
    k.mv_size = mado_sample_key(office, counter, sm->time, key);
    v.mv_data = buf;
    v.mv_size = sizeof(buf);

    rc = mdb_put(txn, s->sample, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing a sample", rc);
    }

    return MADO_OK;
}


int
mado_history_record(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *before, const mado_counter_state_t *after,
    mado_event_t *ev, mado_err_t *err)
{
    int                    rc;
    int64_t                slot, from;
    size_t                 klen, lo;
    unsigned               seq;
    MDB_val                k, v;
    MDB_cursor            *cur;
    mado_sample_t          sm;
    mado_counter_state_t   eff;
    unsigned char          key[MADO_KEY_MAX];
    unsigned char          buf[MADO_EVENT_FIXED + MADO_ID_MAX];

    /* the samples since the previous change: the figures it left */
    if (before->updated_at > 0) {
        from = before->updated_at;

        if (from < ev->time - MADO_SAMPLE_BACK) {
            from = ev->time - MADO_SAMPLE_BACK;
        }

        slot = (from / MADO_SAMPLE_EVERY + 1) * MADO_SAMPLE_EVERY;

        for ( /* void */ ; slot <= ev->time; slot += MADO_SAMPLE_EVERY) {
            mado_effective_state(o, c, before, slot, &eff);

            if (eff.status == MADO_STATUS_CLOSED) {
                continue;
            }

            mado_sample_of(c, &eff, slot, &sm);

            rc = mado_sample_put(s, txn, office, c->id, &sm, err);
            if (rc != MADO_OK) {
                return rc;
            }
        }
    }

    ev->status = after->status;
    ev->waiting = after->waiting;
    ev->served = after->served_today;
    ev->staff = after->staff;
    strcpy(ev->counter, c->id);

    /* the next number within the second */
    rc = mdb_cursor_open(txn, s->event, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading events", rc);
    }

    seq = 0;
    lo = strlen(office);

    k.mv_data = key;
    k.mv_size = mado_event_key(office, ev->time + 1, 0, key);

    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = (rc == 0) ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                   : mdb_cursor_get(cur, &k, &v, MDB_LAST);

    if (rc == 0 && k.mv_size == MADO_EVENT_KEY_LEN(lo)
        && memcmp(k.mv_data, office, lo + 1) == 0
        && mado_event_key_time(k.mv_data, lo) == ev->time)
    {
        seq = mado_event_key_seq(k.mv_data, lo) + 1;
    }

    mdb_cursor_close(cur);

    if (seq > 0xffff) {
        /* 65536 changes of one office in one second: keep the first */
        return MADO_OK;
    }

    klen = mado_event_key(office, ev->time, seq, key);

    k.mv_data = key;
    k.mv_size = klen;
    v.mv_data = buf;
    v.mv_size = mado_event_encode(ev, buf);

    rc = mdb_put(txn, s->event, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing an event", rc);
    }

    return MADO_OK;
}


int
mado_history_wait(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, int64_t t, uint32_t ticket, int32_t wait,
    mado_err_t *err)
{
    int             rc;
    size_t          lo;
    MDB_val         k, v;
    MDB_cursor     *cur;
    mado_event_t    ev;
    unsigned char   key[MADO_KEY_MAX];
    unsigned char   buf[MADO_EVENT_FIXED + MADO_ID_MAX];

    rc = mdb_cursor_open(txn, s->event, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading events", rc);
    }

    lo = strlen(office);

    k.mv_data = key;
    k.mv_size = mado_event_key(office, t, 0, key);

    /* the office's events of that second, in their order */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (!mado_event_key_in(k.mv_data, k.mv_size, office, lo)
            || mado_event_key_time(k.mv_data, lo) != t)
        {
            break;
        }

        if (mado_event_decode(k.mv_data, k.mv_size, lo, v.mv_data,
                              v.mv_size, &ev) != 0
            || ev.type != MADO_HEV_CALL || ev.ticket != ticket
            || ev.wait >= 0 || strcmp(ev.counter, counter) != 0)
        {
            continue;
        }

        ev.wait = wait;

        v.mv_data = buf;
        v.mv_size = mado_event_encode(&ev, buf);
        rc = mdb_cursor_put(cur, &k, &v, MDB_CURRENT);

        mdb_cursor_close(cur);

        if (rc != 0) {
            return mado_mdb_fail(err, MADO_ESTORE, "writing an event", rc);
        }

        return MADO_OK;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading events", rc);
    }

    return MADO_OK;
}


static int
mado_day_add_sample(mado_counter_day_t *cd, const mado_sample_t *sm,
    size_t *cap)
{
    mado_sample_t  *n;

    if (cd->nsamples == *cap) {
        *cap = *cap ? *cap * 2 : 128;
        n = realloc(cd->samples, *cap * sizeof(mado_sample_t));
        if (n == NULL) {
            return -1;
        }
        cd->samples = n;
    }

    cd->samples[cd->nsamples++] = *sm;

    return 0;
}


/* a += b: sums add, maxima take the larger */
void
mado_hour_add(mado_hour_t *a, const mado_hour_t *b)
{
    a->issued += b->issued;
    a->served += b->served;
    a->cancelled += b->cancelled;
    a->waits += b->waits;
    a->wait_sum += b->wait_sum;
    a->samples += b->samples;
    a->waiting_sum += b->waiting_sum;
    a->iwaits += b->iwaits;
    a->iwait_sum += b->iwait_sum;

    if (b->wait_max > a->wait_max) {
        a->wait_max = b->wait_max;
    }

    if (b->waiting_max > a->waiting_max) {
        a->waiting_max = b->waiting_max;
    }
}


/* one event into the hours of the day starting at start */
void
mado_hours_event(mado_hour_t *hours, const mado_event_t *ev, int64_t start)
{
    mado_hour_t  *hh;

    hh = &hours[(ev->time - start) / 3600];

    switch (ev->type) {

    case MADO_HEV_ISSUE:
        hh->issued++;
        break;

    case MADO_HEV_CALL:
        hh->served++;

        if (ev->wait >= 0) {
            hh->waits++;
            hh->wait_sum += ev->wait;

            if (ev->wait > hh->wait_max) {
                hh->wait_max = ev->wait;
            }

            /* and by the hour the ticket was issued in */
            if (ev->time - ev->wait >= start) {
                hh = &hours[(ev->time - ev->wait - start) / 3600];
                hh->iwaits++;
                hh->iwait_sum += ev->wait;
            }
        }

        break;

    case MADO_HEV_CANCEL:
        hours[(ev->time - start) / 3600].cancelled++;
        break;

    default:
        break;
    }
}


void
mado_hours_sample(mado_hour_t *hours, const mado_sample_t *sm, int64_t start)
{
    mado_hour_t  *hh = &hours[(sm->time - start) / 3600];

    hh->samples++;
    hh->waiting_sum += sm->waiting;

    if (sm->waiting > hh->waiting_max) {
        hh->waiting_max = sm->waiting;
    }
}


/* the compacted hours of one counter and day, added to hours */
static int
mado_hourly_read(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, int64_t start, mado_hour_t *hours, mado_err_t *err)
{
    int             rc;
    size_t          klen;
    int64_t         t;
    MDB_val         k, v;
    MDB_cursor     *cur;
    mado_hour_t     h;
    unsigned char   key[MADO_KEY_MAX];

    rc = mdb_cursor_open(txn, s->hourly, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading hourly figures", rc);
    }

    k.mv_data = key;
    k.mv_size = klen = mado_sample_key(office, counter, start, key);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size != klen || memcmp(k.mv_data, key, klen - 8) != 0) {
            break;
        }

        t = mado_sample_key_time(k.mv_data, klen);

        if (t >= start + 86400) {
            break;
        }

        if (mado_hour_decode(v.mv_data, v.mv_size, &h) != 0) {
            continue;
        }

        mado_hour_add(&hours[(t - start) / 3600], &h);
    }

    mdb_cursor_close(cur);

    return MADO_OK;
}


int
mado_history_day(mado_store_t *s, MDB_txn *txn, const mado_office_def_t *o,
    mado_date_t date, int64_t now, mado_day_t *d, mado_err_t *err)
{
    int                    rc;
    int64_t                start, end, slot, last;
    size_t                 lo, cap, klen;
    unsigned               i;
    MDB_val                k, v;
    MDB_cursor            *cur;
    mado_event_t           ev;
    mado_sample_t          sm;
    mado_counter_state_t   st, eff;
    unsigned char          key[MADO_KEY_MAX];

    memset(d, 0, sizeof(mado_day_t));
    d->date = date;
    snprintf(d->office, sizeof(d->office), "%s", o->id);

    start = mado_days_from_civil(date / 10000, date / 100 % 100, date % 100)
            * 86400 - MADO_TZ_OFFSET;
    end = start + 86400;

    for (i = 0; i < o->ncounters; i++) {
        strcpy(d->counters[i].id, o->counters[i].id);
    }

    d->ncounters = o->ncounters;

    if (!s->history) {
        return MADO_OK;
    }

    lo = strlen(o->id);

    /* events: one range of keys */
    rc = mdb_cursor_open(txn, s->event, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading events", rc);
    }

    k.mv_data = key;
    k.mv_size = mado_event_key(o->id, start, 0, key);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (!mado_event_key_in(k.mv_data, k.mv_size, o->id, lo)
            || mado_event_decode(k.mv_data, k.mv_size, lo, v.mv_data,
                                 v.mv_size, &ev)
               != 0)
        {
            break;
        }

        if (ev.time >= end) {
            break;
        }

        for (i = 0; i < d->ncounters; i++) {
            if (strcmp(d->counters[i].id, ev.counter) == 0) {
                break;
            }
        }

        if (i == d->ncounters) {
            continue;                   /* a counter since removed */
        }

        mado_hours_event(d->counters[i].hours, &ev, start);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "reading events", rc);
    }

    /* samples: a range per counter */
    for (i = 0; i < d->ncounters; i++) {
        mado_counter_day_t  *cd = &d->counters[i];

        cap = 0;
        last = start;

        rc = mdb_cursor_open(txn, s->sample, &cur);
        if (rc != 0) {
            return mado_mdb_fail(err, MADO_ESTORE, "reading samples", rc);
        }

        k.mv_data = key;
        k.mv_size = klen = mado_sample_key(o->id, cd->id, start, key);

        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        {
            if (k.mv_size != klen
                || memcmp(k.mv_data, key, klen - 8) != 0)
            {
                break;
            }

            mado_sample_decode(k.mv_data, k.mv_size, v.mv_data, v.mv_size,
                               &sm);

            if (sm.time >= end) {
                break;
            }

            if (mado_day_add_sample(cd, &sm, &cap) != 0) {
                mdb_cursor_close(cur);
                snprintf(err->text, sizeof(err->text), "out of memory");
                return MADO_ESTORE;
            }

            last = sm.time;
        }

        mdb_cursor_close(cur);

        /* after the last change nothing was written: it still holds */
        if (mado_state_get(s, txn, o->id, cd->id, &st, err) == MADO_OK) {
            if (st.updated_at > last) {
                last = st.updated_at;
            }

            for (slot = (last / MADO_SAMPLE_EVERY + 1) * MADO_SAMPLE_EVERY;
                 slot < end && slot <= now;
                 slot += MADO_SAMPLE_EVERY)
            {
                if (slot < start) {
                    continue;
                }

                mado_effective_state(o, &o->counters[i], &st, slot, &eff);

                if (eff.status == MADO_STATUS_CLOSED) {
                    continue;
                }

                mado_sample_of(&o->counters[i], &eff, slot, &sm);

                if (mado_day_add_sample(cd, &sm, &cap) != 0) {
                    snprintf(err->text, sizeof(err->text), "out of memory");
                    return MADO_ESTORE;
                }
            }
        }

        for (size_t j = 0; j < cd->nsamples; j++) {
            mado_hours_sample(cd->hours, &cd->samples[j], start);
        }

        /* a day past retention: only its hours are left */
        rc = mado_hourly_read(s, txn, o->id, cd->id, start, cd->hours, err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    return MADO_OK;
}


void
mado_day_free(mado_day_t *d)
{
    unsigned  i;

    for (i = 0; i < d->ncounters; i++) {
        free(d->counters[i].samples);
        d->counters[i].samples = NULL;
        d->counters[i].nsamples = 0;
    }
}


int
mado_hour_used(const mado_hour_t *h)
{
    return h->issued || h->served || h->cancelled || h->samples;
}
