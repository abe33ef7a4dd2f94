/*
 * The wait estimate.  Citizens are told how long a ticket taken now will
 * wait; bench/estimate.c holds it to the best simple rule a city could
 * use instead, "waiting x minutes_per_person / staff":
 *
 *   - A ticket taken now is called when as many calls have been made as
 *     there are people ahead: waiting x the time between two calls.  The
 *     simple rule is right about that; adding half a call for the person
 *     now served made the estimate worse (the median wait, which the
 *     error a citizen feels is least around, is close to waiting gaps).
 *   - The time between calls is the per-person service time over the
 *     staff.  Writers report issues and calls (mado_service_issue,
 *     mado_service_call) and the state keeps the mean of "gap x staff"
 *     over about the last 100 calls (svc_ms), started from the configured
 *     minutes_per_person as if it had been seen MADO_SVC_K0 times.
 *   - The configured value is kept until the calls show, beyond their
 *     noise, that it is wrong (a z-test on the log ratio): where it is
 *     right the estimate is the simple rule's, where it is wrong it
 *     follows what the counter really does.
 *   - With no staff count recorded, "gap x 1" is the time between calls
 *     itself; it changes with the staff, so it is learnt over the last 8
 *     calls and used as it is.
 *   - The band: the wait of waiting+1 calls varies with the calls' length
 *     (less, relatively, the more people ahead) and with how sure the
 *     rate is; log-normal, so it is proportionate on both sides and grows
 *     with the people ahead.
 *
 * Pure functions of the definition and the state, so the module, madoctl
 * and the benchmark compute the same figures.
 */

#include <math.h>

#include "mado_store.h"


#define MADO_SVC_WINDOW         100     /* calls remembered, staff known */
#define MADO_SVC_WINDOW_U       8       /* calls remembered, staff unknown */
#define MADO_HALF_CALL_U        0.5     /* added to those ahead, staff
                                           unknown */
#define MADO_SVC_K0             5.0     /* the configured value counts as
                                           this many calls */
#define MADO_SVC_CLIP           4.0     /* a gap counts at most this many
                                           times the estimate (pauses) */
#define MADO_GAP_CV             1.0     /* spread of one gap x staff */
#define MADO_TEST_FROM          2.0     /* the learnt value replaces the */
#define MADO_TEST_TO            3.0     /* configured one between these z */
#define MADO_CV_CALL            0.55    /* spread of one call's length */
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


static double
mado_svc_window(const mado_counter_state_t *st)
{
    return st->staff ? MADO_SVC_WINDOW : MADO_SVC_WINDOW_U;
}


void
mado_service_call(const mado_counter_def_t *c, mado_counter_state_t *st,
    int64_t t)
{
    double  gap, cur, prior, k;

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

    /* the mean of the calls so far and the prior, then a moving mean */
    k = st->svc_n + 1.0 + MADO_SVC_K0;
    if (k > mado_svc_window(st)) {
        k = mado_svc_window(st);
    }

    cur += (gap - cur) / k;

    st->svc_ms = cur > 4.0e9 ? 4000000000u : (uint32_t) cur;

    if (st->svc_n < UINT32_MAX) {
        st->svc_n++;
    }
}


int
mado_estimate(const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t *est, int64_t *low, int64_t *high)
{
    double  win, n, prior, d, se2, w, z, per_call, e, cv2, sig;

    if (st->status != MADO_STATUS_OPEN || c->seconds_per_person == 0) {
        return -1;
    }

    prior = (double) c->seconds_per_person;
    win = mado_svc_window(st);

    /* how many calls the learnt value stands for: a moving mean of
       "win" calls is as sure as about twice as many */
    n = st->svc_n + MADO_SVC_K0;
    n = n >= win ? 2.0 * win - 1.0 : n;

    d = 0.0;
    w = 0.0;
    se2 = MADO_GAP_CV * MADO_GAP_CV / n;

    if (st->svc_n && st->svc_ms) {
        /* how far, in log, the counter is from its configuration */
        d = log(st->svc_ms / 1000.0 / prior);

        if (st->staff == 0) {
            w = 1.0;

        } else {
            z = fabs(d) / sqrt(se2);
            w = z <= MADO_TEST_FROM ? 0.0
                : z >= MADO_TEST_TO ? 1.0
                : (z - MADO_TEST_FROM) / (MADO_TEST_TO - MADO_TEST_FROM);
        }
    }

    /* seconds between calls with today's staff */
    per_call = prior * exp(w * d) / mado_staff(st);

    if (st->waiting == 0) {
        /*
         * nobody ahead: called as soon as someone is free, which may take
         * up to about half a call when all are busy
         */
        *est = *low = 0;
        *high = (int64_t) (0.5 * per_call + 0.5);
        return 0;
    }

    /* with no staff count, half a call more: measured better there
       (bench/estimate.c: 0.62-0.77 of the simple rule's error, against
       0.64-0.78 without), worse with the staff known */
    e = ((double) st->waiting + (st->staff ? 0.0 : MADO_HALF_CALL_U)) * per_call;

    /* the rate's doubt (what was learnt, or what the prior may be off
       by), and the calls' own spread over the waiting + 1 to come */
    cv2 = se2 + (1.0 - w) * d * d
          + MADO_CV_CALL * MADO_CV_CALL / ((double) st->waiting + 1.0);
    sig = sqrt(log(1.0 + cv2));

    *est = (int64_t) (e + 0.5);
    *low = (int64_t) (e * exp(-MADO_BAND_Z * sig));
    *high = (int64_t) (e * exp(MADO_BAND_Z * sig) + 0.5);

    return 0;
}


int64_t
mado_estimate_baseline(const mado_counter_def_t *c,
    const mado_counter_state_t *st)
{
    return (int64_t) st->waiting * c->seconds_per_person;
}


/* a new day */
void
mado_service_new_day(mado_counter_state_t *st)
{
    /* what was learnt goes on: a counter slower than configured is
       slower tomorrow too; only the queue starts afresh */
    st->busy_from = 0;
}
