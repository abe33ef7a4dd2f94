/*
 * The retention of the history ("madoctl compact"): the events and
 * samples of old days folded into hourly figures, hourly figures past
 * keeping dropped; a transaction per office and day.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado_store.h"


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
