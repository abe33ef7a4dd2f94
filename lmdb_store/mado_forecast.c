/*
 * The forecast (混雑予想): per counter, weekday and hour, what the last
 * weeks' history says, and today's hours so far; and the forecast API's
 * JSON of it.
 */

#include <stdio.h>
#include <string.h>

#include "mado_store.h"


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
    mado_gen_i18n_plain(g, "name", &o->name);
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
        mado_gen_i18n_plain(g, "name", &o->counters[i].name);

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
