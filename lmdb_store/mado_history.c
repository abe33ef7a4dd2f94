/*
 * History: an event for every change, 5-minute samples while open, and
 * the day's figures per counter and hour that the API, the pages and
 * "madoctl report" show.  See mado_store.h for the keys.
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


static void
mado_gen_minutes(yajl_gen g, const char *key, int64_t seconds, int known)
{
    char  buf[32];
    int   n;

    yajl_gen_string(g, (const unsigned char *) key, strlen(key));

    if (!known) {
        yajl_gen_null(g);
        return;
    }

    n = snprintf(buf, sizeof(buf), "%.1f", seconds / 60.0);
    yajl_gen_number(g, buf, n);
}


void
mado_day_json(yajl_gen g, const mado_office_def_t *o, const mado_day_t *d)
{
    char                       iso[32];
    unsigned                   i, h;
    size_t                     j, n;
    const mado_hour_t         *hh;
    const mado_sample_t       *sm;
    mado_counter_state_t       st;
    const mado_counter_day_t  *cd;

    yajl_gen_map_open(g);
    mado_gen_str(g, "office");
    mado_gen_str(g, o->id);
    mado_gen_i18n(g, "name", &o->name);
    mado_gen_date(g, "date", d->date);
    mado_gen_str(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < d->ncounters; i++) {
        cd = &d->counters[i];

        yajl_gen_map_open(g);
        mado_gen_str(g, "id");
        mado_gen_str(g, cd->id);
        mado_gen_i18n(g, "name", &o->counters[i].name);

        mado_gen_str(g, "hours");
        yajl_gen_array_open(g);

        for (h = 0; h < 24; h++) {
            hh = &cd->hours[h];

            if (!mado_hour_used(hh)) {
                continue;
            }

            yajl_gen_map_open(g);
            mado_gen_str(g, "hour");
            yajl_gen_integer(g, h);
            mado_gen_str(g, "issued");
            yajl_gen_integer(g, hh->issued);
            mado_gen_str(g, "served");
            yajl_gen_integer(g, hh->served);
            mado_gen_str(g, "cancelled");
            yajl_gen_integer(g, hh->cancelled);
            mado_gen_minutes(g, "wait_avg_minutes",
                             hh->waits ? hh->wait_sum / hh->waits : 0,
                             hh->waits > 0);
            mado_gen_minutes(g, "wait_max_minutes", hh->wait_max,
                             hh->waits > 0);
            mado_gen_str(g, "waiting_avg");

            if (hh->samples) {
                char  buf[32];
                int   bn;

                bn = snprintf(buf, sizeof(buf), "%.1f",
                              (double) hh->waiting_sum / hh->samples);
                yajl_gen_number(g, buf, bn);

            } else {
                yajl_gen_null(g);
            }

            mado_gen_str(g, "waiting_max");
            if (hh->samples) {
                yajl_gen_integer(g, hh->waiting_max);
            } else {
                yajl_gen_null(g);
            }

            yajl_gen_map_close(g);
        }

        yajl_gen_array_close(g);

        mado_gen_str(g, "samples");
        yajl_gen_array_open(g);

        for (j = 0; j < cd->nsamples; j++) {
            sm = &cd->samples[j];

            /* the figures of then; the wait is the estimate made then */
            memset(&st, 0, sizeof(mado_counter_state_t));
            st.status = sm->status;
            st.waiting = sm->waiting;
            st.calling = sm->calling;
            st.served_today = sm->served;
            st.staff = sm->staff;

            yajl_gen_map_open(g);
            mado_gen_str(g, "time");
            n = mado_time_iso(sm->time, iso);
            yajl_gen_string(g, (const unsigned char *) iso, n);
            mado_state_json(g, o, &o->counters[i], &st, sm->time,
                            MADO_SJ_COUNTS);
            mado_gen_minutes(g, "wait_minutes", sm->wait, sm->wait >= 0);
            yajl_gen_map_close(g);
        }

        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}


char *
mado_day_csv(const mado_day_t *d, size_t *len)
{
    char                 *out, *p, iso[32];
    size_t                cap, n, need;
    unsigned              i;
    size_t                j;
    const mado_sample_t  *sm;

    cap = 256;
    for (i = 0; i < d->ncounters; i++) {
        cap += d->counters[i].nsamples * 160;
    }

    out = malloc(cap);
    if (out == NULL) {
        return NULL;
    }

    /* RFC 4180: CRLF, a header row; nothing here needs quoting */
    p = out;
    p += sprintf(p, "time,office,counter,status,waiting,calling,"
                 "served_today,staff,wait_minutes\r\n");

    for (i = 0; i < d->ncounters; i++) {
        for (j = 0; j < d->counters[i].nsamples; j++) {
            sm = &d->counters[i].samples[j];
            n = mado_time_iso(sm->time, iso);
            iso[n] = '\0';

            need = (size_t) (p - out) + 160;
            if (need > cap) {
                break;
            }

            p += sprintf(p, "%s,%s,%s,%s,%u,%u,%u,%u,", iso, d->office,
                         d->counters[i].id,
                         mado_status_names[sm->status < MADO_NSTATUS
                                           ? sm->status : MADO_STATUS_CLOSED],
                         sm->waiting, sm->calling, sm->served, sm->staff);

            if (sm->wait >= 0) {
                p += sprintf(p, "%.1f", sm->wait / 60.0);
            }

            p += sprintf(p, "\r\n");
        }
    }

    *len = (size_t) (p - out);

    return out;
}


int
mado_forecast(mado_store_t *s, MDB_txn *txn, const mado_office_def_t *o,
    int64_t now, unsigned weeks, mado_forecast_t *f, mado_err_t *err)
{
    int          rc, wd;
    long         today, day;
    unsigned     i, h;
    mado_day_t   d;
    mado_date_t  date;

    memset(f, 0, sizeof(mado_forecast_t));

    if (weeks < 1) {
        weeks = 1;
    }

    if (weeks > MADO_FORECAST_WEEKS_MAX) {
        weeks = MADO_FORECAST_WEEKS_MAX;
    }

    f->weeks = weeks;
    today = (long) ((now + MADO_TZ_OFFSET) / 86400);
    f->from = mado_local_date((int64_t) (today - 7 * (long) weeks) * 86400);
    f->to = mado_local_date((int64_t) (today - 1) * 86400);

    for (day = today - 7 * (long) weeks; day < today; day++) {
        date = mado_local_date((int64_t) day * 86400);
        wd = mado_weekday(date / 10000, date / 100 % 100, date % 100);

        rc = mado_history_day(s, txn, o, date, now, &d, err);
        if (rc != MADO_OK) {
            mado_day_free(&d);
            return rc;
        }

        for (i = 0; i < d.ncounters; i++) {
            for (h = 0; h < 24; h++) {
                const mado_hour_t  *hh = &d.counters[i].hours[h];
                mado_cell_t        *c = &f->counters[i].cells[wd][h];

                if (!hh->samples && !hh->issued) {
                    continue;
                }

                c->days++;
                c->samples += hh->samples;
                c->waiting_sum += hh->waiting_sum;
                c->waits += hh->iwaits;
                c->wait_sum += hh->iwait_sum;
                c->issued += hh->issued;
            }
        }

        mado_day_free(&d);
    }

    return mado_history_day(s, txn, o, mado_local_date(now), now, &f->today,
                            err);
}


void
mado_forecast_free(mado_forecast_t *f)
{
    mado_day_free(&f->today);
}


static void
mado_gen_avg(yajl_gen g, const char *key, double sum, uint32_t n,
    double scale)
{
    char  buf[32];
    int   len;

    mado_gen_str(g, key);

    if (n == 0) {
        yajl_gen_null(g);
        return;
    }

    len = snprintf(buf, sizeof(buf), "%.1f", sum / n / scale);
    yajl_gen_number(g, buf, len);
}


void
mado_forecast_json(yajl_gen g, const mado_office_def_t *o,
    const mado_forecast_t *f)
{
    unsigned                  i, w, h;
    const mado_cell_t        *c;
    const mado_hour_t        *hh;

    yajl_gen_map_open(g);
    mado_gen_str(g, "office");
    mado_gen_str(g, o->id);
    mado_gen_i18n(g, "name", &o->name);
    mado_gen_str(g, "weeks");
    yajl_gen_integer(g, f->weeks);
    mado_gen_date(g, "from", f->from);
    mado_gen_date(g, "to", f->to);
    mado_gen_date(g, "today", f->today.date);
    mado_gen_str(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < o->ncounters; i++) {
        yajl_gen_map_open(g);
        mado_gen_str(g, "id");
        mado_gen_str(g, o->counters[i].id);
        mado_gen_i18n(g, "name", &o->counters[i].name);

        mado_gen_str(g, "weekdays");
        yajl_gen_array_open(g);

        for (w = 0; w < 7; w++) {
            yajl_gen_map_open(g);
            mado_gen_str(g, "weekday");
            yajl_gen_integer(g, w);
            mado_gen_str(g, "hours");
            yajl_gen_array_open(g);

            for (h = 0; h < 24; h++) {
                c = &f->counters[i].cells[w][h];

                if (c->days == 0) {
                    continue;
                }

                yajl_gen_map_open(g);
                mado_gen_str(g, "hour");
                yajl_gen_integer(g, h);
                mado_gen_str(g, "days");
                yajl_gen_integer(g, c->days);
                mado_gen_avg(g, "waiting_avg", (double) c->waiting_sum,
                             c->samples, 1.0);
                mado_gen_avg(g, "wait_avg_minutes", (double) c->wait_sum,
                             c->waits, 60.0);
                mado_gen_avg(g, "issued_avg", (double) c->issued, c->days,
                             1.0);
                yajl_gen_map_close(g);
            }

            yajl_gen_array_close(g);
            yajl_gen_map_close(g);
        }

        yajl_gen_array_close(g);

        mado_gen_str(g, "today");
        yajl_gen_array_open(g);

        for (h = 0; h < 24; h++) {
            hh = &f->today.counters[i].hours[h];

            if (!hh->samples && !hh->issued) {
                continue;
            }

            yajl_gen_map_open(g);
            mado_gen_str(g, "hour");
            yajl_gen_integer(g, h);
            mado_gen_avg(g, "waiting_avg", (double) hh->waiting_sum,
                         hh->samples, 1.0);
            mado_gen_avg(g, "wait_avg_minutes", (double) hh->iwait_sum,
                         hh->iwaits, 60.0);
            mado_gen_str(g, "issued");
            yajl_gen_integer(g, hh->issued);
            yajl_gen_map_close(g);
        }

        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}


/* ------------------------------------------------------------ retention */

#define MADO_COMPACT_COUNTERS   (2 * MADO_COUNTERS_MAX)

typedef struct {
    const char             *office;
    int64_t                 day;        /* local midnight */
    mado_compact_audit_pt   audit;
    void                   *arg;
    /* out, overwritten by each run */
    uint64_t                events;
    uint64_t                samples;
    unsigned                n;
    struct {
        char                id[MADO_ID_MAX + 1];
        mado_hour_t         hours[24];
    }                       c[MADO_COMPACT_COUNTERS];
} mado_compact_t;


static mado_hour_t *
mado_compact_hours(mado_compact_t *cp, const char *id)
{
    unsigned  i;

    for (i = 0; i < cp->n; i++) {
        if (strcmp(cp->c[i].id, id) == 0) {
            return cp->c[i].hours;
        }
    }

    if (cp->n == MADO_COMPACT_COUNTERS) {
        return NULL;
    }

    memset(&cp->c[cp->n], 0, sizeof(cp->c[0]));
    snprintf(cp->c[cp->n].id, sizeof(cp->c[0].id), "%s", id);

    return cp->c[cp->n++].hours;
}


/* one office and day: fold, delete, write the hours */
static int
mado_compact_day(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int              rc;
    size_t           lo, klen;
    unsigned         i, h;
    MDB_val          k, v;
    MDB_cursor      *cur;
    mado_hour_t     *hours, old;
    mado_event_t     ev;
    mado_sample_t    sm;
    mado_compact_t  *cp = arg;
    unsigned char    key[MADO_KEY_MAX], buf[MADO_HOURLY_SIZE];
    char             counter[MADO_ID_MAX + 1];

    cp->events = cp->samples = 0;
    cp->n = 0;
    lo = strlen(cp->office);

    /* events: one range */
    rc = mdb_cursor_open(txn, s->event, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "compacting events", rc);
    }

    k.mv_data = key;
    k.mv_size = mado_event_key(cp->office, cp->day, 0, key);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (!mado_event_key_in(k.mv_data, k.mv_size, cp->office, lo)
            || mado_event_key_time(k.mv_data, lo) >= cp->day + 86400)
        {
            break;
        }

        if (mado_event_decode(k.mv_data, k.mv_size, lo, v.mv_data, v.mv_size,
                              &ev)
            == 0
            && (hours = mado_compact_hours(cp, ev.counter)) != NULL)
        {
            mado_hours_event(hours, &ev, cp->day);
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            mdb_cursor_close(cur);
            return mado_mdb_fail(err, MADO_ESTORE, "compacting events", rc);
        }

        cp->events++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "compacting events", rc);
    }

    /* samples: a range per counter; "office\0counter\1" is past one */
    rc = mdb_cursor_open(txn, s->sample, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "compacting samples", rc);
    }

    k.mv_data = key;
    k.mv_size = mado_office_key_prefix(cp->office, key);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

    while (rc == 0) {
        if (mado_sample_key_counter(k.mv_data, k.mv_size, cp->office, lo,
                                    counter)
            != 0)
        {
            break;
        }

        /* this counter's samples of the day */
        k.mv_data = key;
        k.mv_size = klen = mado_sample_key(cp->office, counter, cp->day, key);

        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        {
            if (k.mv_size != klen || memcmp(k.mv_data, key, klen - 8) != 0) {
                break;
            }

            mado_sample_decode(k.mv_data, k.mv_size, v.mv_data, v.mv_size,
                               &sm);

            if (sm.time >= cp->day + 86400) {
                break;
            }

            if ((hours = mado_compact_hours(cp, counter)) != NULL) {
                mado_hours_sample(hours, &sm, cp->day);
            }

            rc = mdb_cursor_del(cur, 0);
            if (rc != 0) {
                mdb_cursor_close(cur);
                return mado_mdb_fail(err, MADO_ESTORE, "compacting samples",
                                     rc);
            }

            cp->samples++;
        }

        if (rc != 0 && rc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            return mado_mdb_fail(err, MADO_ESTORE, "compacting samples", rc);
        }

        /* the next counter */
        k.mv_data = key;
        k.mv_size = mado_sample_key_past(cp->office, counter, key);
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "compacting samples", rc);
    }

    /* the hours, added to what an earlier run may have left */
    for (i = 0; i < cp->n; i++) {
        for (h = 0; h < 24; h++) {
            mado_hour_t  *hh = &cp->c[i].hours[h];

            if (!mado_hour_used(hh)) {
                continue;
            }

            k.mv_data = key;
            k.mv_size = mado_sample_key(cp->office, cp->c[i].id,
                                        cp->day + h * 3600, key);

            rc = mdb_get(txn, s->hourly, &k, &v);

            if (rc == 0 && mado_hour_decode(v.mv_data, v.mv_size, &old) == 0)
            {
                mado_hour_add(hh, &old);

            } else if (rc != 0 && rc != MDB_NOTFOUND) {
                return mado_mdb_fail(err, MADO_ESTORE, "reading hourly figures",
                                     rc);
            }

            mado_hour_encode(hh, buf);
            v.mv_data = buf;
            v.mv_size = sizeof(buf);

            rc = mdb_put(txn, s->hourly, &k, &v, 0);
            if (rc != 0) {
                return mado_mdb_fail(err, MADO_ESTORE, "writing hourly figures",
                                     rc);
            }
        }
    }

    if (cp->audit != NULL && (cp->events || cp->samples)) {
        return cp->audit(s, txn, cp->office, cp->day, cp->events, cp->samples,
                         0, cp->arg, err);
    }

    return MADO_OK;
}


/* the earliest time an office has events or samples of; 0: none */
static int64_t
mado_compact_first(mado_store_t *s, MDB_txn *txn, const char *office)
{
    int             rc;
    size_t          lo;
    int64_t         first, t;
    MDB_val         k, v;
    MDB_cursor     *cur;
    unsigned char   key[MADO_KEY_MAX];
    char            counter[MADO_ID_MAX + 1];

    first = 0;
    lo = strlen(office);

    if (mdb_cursor_open(txn, s->event, &cur) == 0) {
        k.mv_data = key;
        k.mv_size = mado_office_key_prefix(office, key);

        if (mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0
            && k.mv_size == MADO_EVENT_KEY_LEN(lo)
            && mado_event_key_in(k.mv_data, k.mv_size, office, lo))
        {
            first = mado_event_key_time(k.mv_data, lo);
        }

        mdb_cursor_close(cur);
    }

    if (mdb_cursor_open(txn, s->sample, &cur) == 0) {
        k.mv_data = key;
        k.mv_size = mado_office_key_prefix(office, key);
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

        /* the first sample of each counter */
        while (rc == 0
               && mado_sample_key_counter(k.mv_data, k.mv_size, office, lo,
                                          counter)
                  == 0)
        {
            t = mado_sample_key_time(k.mv_data, k.mv_size);
            if (first == 0 || t < first) {
                first = t;
            }

            k.mv_data = key;
            k.mv_size = mado_sample_key_past(office, counter, key);
            rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        }

        mdb_cursor_close(cur);
    }

    return first;
}


typedef struct {
    int64_t                 before;
    mado_compact_audit_pt   audit;
    void                   *arg;
    uint64_t                dropped;    /* out */
} mado_compact_drop_t;


/* hourly records before drop, of every office */
static int
mado_compact_drop(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int              rc;
    int64_t          t;
    MDB_val          k, v;
    MDB_cursor      *cur;
    mado_compact_drop_t  *d = arg;

    d->dropped = 0;

    rc = mdb_cursor_open(txn, s->hourly, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "dropping hourly figures", rc);
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size < 10) {
            continue;               /* not an hourly key */
        }

        t = mado_sample_key_time(k.mv_data, k.mv_size);

        if (t < d->before) {
            rc = mdb_cursor_del(cur, 0);
            if (rc != 0) {
                break;
            }

            d->dropped++;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "dropping hourly figures", rc);
    }

    if (d->audit != NULL && d->dropped) {
        return d->audit(s, txn, NULL, d->before, 0, 0, d->dropped, d->arg,
                        err);
    }

    return MADO_OK;
}


int
mado_history_compact(mado_store_t *s, int64_t before, int64_t drop,
    mado_compact_audit_pt audit, void *arg, mado_compact_stats_t *stats,
    mado_err_t *err)
{
    int               rc;
    char              ids[MADO_OFFICES_MAX][MADO_ID_MAX + 1];
    int64_t           first, day;
    unsigned          i, n;
    MDB_txn          *txn;
    mado_compact_t      *cp;
    mado_compact_drop_t  dr;

    memset(stats, 0, sizeof(mado_compact_stats_t));

    rc = mado_store_read_begin(s, &txn, err);
    if (rc != MADO_OK) {
        return rc;
    }

    rc = mado_office_ids(s, txn, ids, MADO_OFFICES_MAX, &n, err);
    mdb_txn_abort(txn);

    if (rc != MADO_OK) {
        return rc;
    }

    cp = malloc(sizeof(mado_compact_t));
    if (cp == NULL) {
        snprintf(err->text, sizeof(err->text), "out of memory");
        return MADO_ESTORE;
    }

    for (i = 0; i < n; i++) {
        rc = mado_store_read_begin(s, &txn, err);
        if (rc != MADO_OK) {
            break;
        }

        first = mado_compact_first(s, txn, ids[i]);
        mdb_txn_abort(txn);

        if (first == 0 || first >= before) {
            continue;
        }

        day = (first + MADO_TZ_OFFSET) / 86400 * 86400 - MADO_TZ_OFFSET;

        for ( /* void */ ; day < before; day += 86400) {
            cp->office = ids[i];
            cp->day = day;
            cp->audit = audit;
            cp->arg = arg;

            rc = mado_store_write(s, mado_compact_day, cp, err);
            if (rc != MADO_OK) {
                break;
            }

            if (cp->events || cp->samples) {
                stats->days++;
                stats->events += cp->events;
                stats->samples += cp->samples;
            }
        }

        if (rc != MADO_OK) {
            break;
        }
    }

    free(cp);

    if (rc == MADO_OK && drop > 0) {
        dr.before = drop;
        dr.audit = audit;
        dr.arg = arg;
        rc = mado_store_write(s, mado_compact_drop, &dr, err);
        stats->hours_dropped = dr.dropped;
    }

    return rc;
}
