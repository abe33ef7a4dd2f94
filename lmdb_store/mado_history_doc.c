/*
 * A day of the history as documents: the history API's JSON, and CSV a
 * row per sample.  mado_history_day() reads the day.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado_store.h"


/* seconds as minutes to one decimal, or null when not known */
static void
mado_gen_minutes(yajl_gen g, const char *key, int64_t seconds, int known)
{
    mado_gen_avg(g, key, (double) seconds, known ? 1 : 0, 60.0);
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
    mado_gen_i18n_plain(g, "name", &o->name);
    mado_gen_date(g, "date", d->date);
    mado_gen_str(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < d->ncounters; i++) {
        cd = &d->counters[i];

        yajl_gen_map_open(g);
        mado_gen_str(g, "id");
        mado_gen_str(g, cd->id);
        mado_gen_i18n_plain(g, "name", &o->counters[i].name);

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
            mado_gen_avg(g, "waiting_avg", (double) hh->waiting_sum,
                         hh->samples, 1.0);

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
