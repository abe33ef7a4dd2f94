/*
 * mado store: what a citizen planning a visit is told besides the live
 * figures: the closures of the coming days in words, and the best time
 * to come later today from the weekday history (mado_forecast.c).
 *
 * Pure C99 on definitions and figures already read: no store access, no
 * allocation, so that the module computes them once per snapshot.
 */

#include <stddef.h>

#include <string.h>
#include <time.h>

#include "mado_store.h"


const char *const  mado_closure_names[MADO_NCLOSURES] = {
    "closed", "holiday", "year_end", "counter_closed", "open"
};


static void
mado_visit_ymd(long day, int *y, int *m, int *d)
{
    time_t     t;
    struct tm  tm;

    t = (time_t) day * 86400;
    gmtime_r(&t, &tm);

    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}


/* a day to list, or the extension of the one before */
static unsigned
mado_closure_add(mado_closure_t *out, unsigned n, unsigned max, long day,
    mado_date_t date, mado_closure_e kind, int counter, const char *name,
    const mado_span_t *spans, unsigned nspans, long *last)
{
    mado_closure_t  *p;

    if (n > 0) {
        p = &out[n - 1];

        /* 年末年始, or a counter's closure, over days in a row: one line */
        if (p->kind == kind && p->counter == counter && last[n - 1] == day - 1
            && kind != MADO_CLOSURE_OPEN
            && (p->name == name
                || (p->name && name && strcmp(p->name, name) == 0)))
        {
            p->to = date;
            last[n - 1] = day;
            return n;
        }
    }

    if (n == max) {
        return n;
    }

    p = &out[n];
    memset(p, 0, sizeof(mado_closure_t));
    p->from = date;
    p->to = date;
    p->kind = kind;
    p->counter = counter;
    p->name = name;

    if (nspans) {
        memcpy(p->spans, spans, nspans * sizeof(mado_span_t));
    }

    p->nspans = nspans;
    last[n] = day;

    return n + 1;
}


unsigned
mado_closures(const mado_office_def_t *o, int64_t now, unsigned days,
    mado_closure_t *out, unsigned max)
{
    int           y, m, d, wday;
    long          today, day, last[MADO_CLOSURES_MAX];
    unsigned      i, k, n, ns;
    const char   *why;
    mado_date_t   date;
    mado_span_t   spans[MADO_SPANS_MAX];

    if (max > MADO_CLOSURES_MAX) {
        max = MADO_CLOSURES_MAX;
    }

    today = (long) ((now + MADO_TZ_OFFSET) / 86400);
    n = 0;

    for (i = 0; i < days; i++) {
        day = today + (long) i;
        mado_visit_ymd(day, &y, &m, &d);
        date = y * 10000 + m * 100 + d;
        wday = mado_weekday(y, m, d);

        ns = mado_day_spans(o, NULL, y, m, d, spans, &why);

        if (ns > 0) {
            if (why != NULL && strcmp(why, "臨時開庁日") == 0) {
                n = mado_closure_add(out, n, max, day, date,
                                     MADO_CLOSURE_OPEN, -1, NULL, spans, ns,
                                     last);
            }

            /* the office opens: a counter may not (窓口休止日) */
            for (k = 0; k < o->ncounters; k++) {
                if (mado_day_spans(o, &o->counters[k], y, m, d, spans, &why)
                    == 0)
                {
                    n = mado_closure_add(out, n, max, day, date,
                                         MADO_CLOSURE_COUNTER, (int) k, NULL,
                                         NULL, 0, last);
                }
            }

            continue;
        }

        if (why == NULL) {
            continue;           /* a weekend: nothing to tell */
        }

        if (strcmp(why, "臨時閉庁日") == 0) {
            if (o->nspans[wday]) {
                n = mado_closure_add(out, n, max, day, date,
                                     MADO_CLOSURE_OFFICE, -1, NULL, NULL, 0,
                                     last);
            }

        } else if (strcmp(why, "年末年始") == 0
                   || (!o->open_on_holidays && mado_is_year_end(m, d)))
        {
            /* the whole of it, weekend or not, 元日 too: one closure */
            n = mado_closure_add(out, n, max, day, date,
                                 MADO_CLOSURE_YEAR_END, -1, NULL, NULL, 0,
                                 last);

        } else if (o->nspans[wday]) {
            /* a holiday on a day the office would open: its name */
            n = mado_closure_add(out, n, max, day, date,
                                 MADO_CLOSURE_HOLIDAY, -1, why, NULL, 0,
                                 last);
        }
    }

    return n;
}


int
mado_best_time(const mado_office_def_t *o, unsigned ci,
    const mado_counter_forecast_t *cf, unsigned weeks,
    const mado_counter_state_t *st, int64_t now, mado_best_time_t *bt)
{
    int                        y, m, d, wday;
    long                       today;
    int64_t                    w, live, minute, typical, worst;
    unsigned                   k, h, ns, start, end, candidates;
    mado_span_t                spans[MADO_SPANS_MAX];
    const mado_cell_t         *cell;
    const mado_counter_def_t  *c;

    memset(bt, 0, sizeof(mado_best_time_t));

    if (ci >= o->ncounters || weeks == 0) {
        return 0;
    }

    c = &o->counters[ci];
    today = (long) ((now + MADO_TZ_OFFSET) / 86400);
    mado_visit_ymd(today, &y, &m, &d);
    wday = mado_weekday(y, m, d);
    minute = (now + MADO_TZ_OFFSET) % 86400 / 60;

    /* a day the counter does not open, or done for the day: nothing */
    ns = mado_day_spans(o, c, y, m, d, spans, NULL);

    if (ns == 0 || st->status == MADO_STATUS_ENDED) {
        return 0;
    }

    /* closed by staff while the calendar has it open: nothing either */
    if (st->status == MADO_STATUS_CLOSED) {
        for (k = 0; k < ns; k++) {
            if (minute >= spans[k].open && minute < spans[k].close) {
                return 0;
            }
        }
    }

    candidates = 0;
    worst = -1;
    typical = -1;

    /* the hours still to come that tickets are taken in */
    for (k = 0; k < ns; k++) {
        end = spans[k].close;

        if (c->reception_ends && c->reception_ends < end) {
            end = c->reception_ends;
        }

        for (h = spans[k].open / 60; h * 60 < end; h++) {
            start = h * 60 > spans[k].open ? h * 60 : spans[k].open;

            if ((int64_t) start <= minute || start >= end) {
                continue;
            }

            cell = &cf->cells[wday][h];

            /* a few weeks of this weekday and hour, or no claim */
            if (cell->days < MADO_BEST_TIME_DAYS || cell->waits == 0) {
                continue;
            }

            candidates++;

            /* the usual wait of a ticket taken then, to the minute */
            w = (cell->wait_sum + (int64_t) cell->waits * 30)
                   / ((int64_t) cell->waits * 60);

            if (w > worst) {
                worst = w;
            }

            if (typical < 0 || w < typical) {
                typical = w;
                bt->from = (uint16_t) start;
                bt->days = cell->days;
            }
        }
    }

    if (candidates == 0) {
        return 0;
    }

    /*
     * "Quieter" must be true: than the wait now when the counter is open,
     * else than the other hours still to come.
     */
    live = st->status == MADO_STATUS_OPEN ? mado_wait_minutes(c, st) : -1;

    if (live >= 0 ? typical + MADO_BEST_TIME_MARGIN > live
                  : candidates < 2 || typical >= worst)
    {
        return 0;
    }

    /* as coarse as the wait ranges: "about 10 minutes" */
    bt->typical = (uint16_t) ((typical + 2) / 5 * 5);
    bt->weeks = (uint16_t) weeks;
    bt->has = 1;

    return 1;
}
