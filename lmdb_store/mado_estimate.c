/*
 * The wait estimate.  Citizens are told how long a ticket taken now will
 * wait, so it must come from what the counter is doing today, not from a
 * fixed minutes-per-person table:
 *
 *   - While people wait all along, the gap between two calls is one
 *     call's share of the staff's time.  Writers report issues and calls
 *     (mado_service_issue, mado_service_call) and the state keeps a
 *     smoothed "staff-milliseconds per call" (svc_ms), so a change in
 *     staff (madoctl set --staff) changes the estimate at once.
 *   - With few calls seen, the configured minutes_per_person weighs in.
 *   - A ticket taken now waits for those ahead and about half a call.
 *   - The band around it widens with less data and fewer people ahead
 *     (one slow case matters more); bench/estimate.c measures that the
 *     actual wait falls in it for most tickets.
 *
 * Pure functions of the definition and the state, so the module, madoctl
 * and the benchmark compute the same figures.
 */

#include <math.h>

#include "mado_store.h"


#define MADO_SVC_ALPHA          0.2     /* weight of a new gap */
#define MADO_SVC_PRIOR          3.0     /* the configured value counts as
                                           this many calls */
#define MADO_SVC_CLIP           4.0     /* a gap counts at most this many
                                           times the estimate (pauses) */
#define MADO_SVC_KEEP           3       /* calls a new day keeps of the
                                           day before */
#define MADO_BAND_Z             1.28    /* 80 % of a normal band */


void
mado_service_issue(mado_counter_state_t *st, int64_t t)
{
    /* an empty queue fills again: gaps from here on are busy ones */
    if (st->waiting == 0 && t > st->busy_from) {
        st->busy_from = t;
    }
}


static double
mado_staff(const mado_counter_state_t *st)
{
    /* unknown staff reads as one; what is learnt stays consistent */
    return st->staff ? (double) st->staff : 1.0;
}


void
mado_service_call(const mado_counter_def_t *c, mado_counter_state_t *st,
    int64_t t)
{
    double  gap, cur, prior;

    /*
     * A gap is a call's share of the staff's time only if the queue was
     * never empty since the last call; a re-call or a line out of order
     * teaches nothing.
     */
    if (st->called_at == 0 || t <= st->called_at
        || st->busy_from > st->called_at || st->waiting == 0
        || st->status != MADO_STATUS_OPEN)
    {
        return;
    }

    gap = (double) (t - st->called_at) * 1000.0 * mado_staff(st);

    prior = (double) c->seconds_per_person * 1000.0;
    cur = st->svc_n ? (double) st->svc_ms : prior;

    /* a pause nobody entered, lunch: a long gap counts as a slow call */
    if (gap > cur * MADO_SVC_CLIP) {
        gap = cur * MADO_SVC_CLIP;
    }

    cur = st->svc_n ? cur + MADO_SVC_ALPHA * (gap - cur) : gap;

    st->svc_ms = cur > 4.0e9 ? 4000000000u : (uint32_t) cur;

    if (st->svc_n < UINT32_MAX) {
        st->svc_n++;
    }
}


int
mado_estimate(const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t *est, int64_t *low, int64_t *high)
{
    double  n, w, per_call, prior, learnt, e, cv_rate, r;

    if (st->status != MADO_STATUS_OPEN || c->seconds_per_person == 0) {
        return -1;
    }

    n = st->svc_n > 50 ? 50.0 : (double) st->svc_n;
    prior = (double) c->seconds_per_person;
    learnt = st->svc_n ? st->svc_ms / 1000.0 : prior;

    /* seconds between calls with today's staff */
    w = n / (n + MADO_SVC_PRIOR);
    per_call = (w * learnt + (1.0 - w) * prior) / mado_staff(st);

    if (st->waiting == 0) {
        /*
         * nobody ahead: called as soon as someone is free, which may take
         * up to about half a call when all are busy
         */
        *est = *low = 0;
        *high = (int64_t) (0.5 * per_call + 0.5);
        return 0;
    }

    e = ((double) st->waiting + 0.5) * per_call;

    /*
     * Two sources of error: the rate (less sure with fewer calls seen)
     * and the length of the calls ahead, which averages out over more
     * people ahead.
     */
    cv_rate = 0.12 + 0.3 * MADO_SVC_PRIOR / (n + MADO_SVC_PRIOR);
    r = MADO_BAND_Z * sqrt(cv_rate * cv_rate
                           + 1.0 / ((double) st->waiting + 1.0));

    *est = (int64_t) (e + 0.5);
    *low = (int64_t) (e * (1.0 - r < 0.0 ? 0.0 : 1.0 - r));
    *high = (int64_t) (e * (1.0 + r) + 0.5);

    return 0;
}


int64_t
mado_estimate_baseline(const mado_counter_def_t *c,
    const mado_counter_state_t *st)
{
    return (int64_t) st->waiting * c->seconds_per_person;
}


/* a new day keeps a little of what the day before taught */
void
mado_service_new_day(mado_counter_state_t *st)
{
    st->busy_from = 0;

    if (st->svc_n > MADO_SVC_KEEP) {
        st->svc_n = MADO_SVC_KEEP;
    }
}
