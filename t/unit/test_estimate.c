/*
 * The wait estimate (mado_estimate.c) on states made by hand: what it
 * says with nothing learnt, with staff, after many calls, and how the
 * calls teach it (and which do not).
 */

#include "unit.h"


#define CHECK_ESTIMATE(c, st, e, l, h)                                        \
    do {                                                                      \
        int64_t  e_, l_, h_;                                                  \
                                                                              \
        CHECK_INT(mado_estimate(c, st, &e_, &l_, &h_), 0);                    \
        CHECK_INT(e_, e);                                                     \
        CHECK_INT(l_, l);                                                     \
        CHECK_INT(h_, h);                                                     \
    } while (0)


static void
test_estimates(void)
{
    int64_t               e, l, h;
    mado_counter_def_t    c;
    mado_counter_state_t  st;

    unit_counter(&c, 600);

    /* nobody ahead: called as soon as someone is free, up to half a call */
    unit_state(&st, 0, 0, 0, 0);
    CHECK_ESTIMATE(&c, &st, 0, 0, 300);

    /* nothing learnt, staff known: the simple rule, waiting x the
       configured 10 minutes / staff (no half call more: that made the
       figures worse); a band as sure as five calls */
    unit_state(&st, 4, 1, 0, 0);
    CHECK_ESTIMATE(&c, &st, 2400, 1296, 4443);

    /* two at the counter: half */
    st.staff = 2;
    CHECK_ESTIMATE(&c, &st, 1200, 648, 2222);

    /* staff unknown: half a call more */
    st.staff = 0;
    CHECK_ESTIMATE(&c, &st, 2700, 1458, 4998);

    /* one ahead of one at the counter: 10 minutes, 5 to 20 */
    unit_state(&st, 1, 1, 0, 0);
    CHECK_ESTIMATE(&c, &st, 600, 297, 1211);

    /* 200 calls of 5 minutes each learnt: the configuration is wrong
       beyond doubt, what was learnt counts; a narrow band */
    unit_state(&st, 20, 1, 200, 300000);
    CHECK_ESTIMATE(&c, &st, 6000, 5023, 7166);
    unit_state(&st, 20, 3, 200, 300000);
    CHECK_ESTIMATE(&c, &st, 2000, 1674, 2389);

    /* 10.5 minutes learnt against 10 configured is within the calls'
       noise: the configured value stays (the simple rule's figure) */
    unit_state(&st, 20, 1, 200, 630000);
    CHECK_ESTIMATE(&c, &st, 12000, 9943, 14482);

    /* staff unknown: the time between calls itself, as learnt */
    unit_state(&st, 20, 0, 10, 300000);
    CHECK_ESTIMATE(&c, &st, 6150, 4301, 8792);

    /* not open, or nothing configured: unknown */
    st.status = MADO_STATUS_PAUSED;
    CHECK_INT(mado_estimate(&c, &st, &e, &l, &h), -1);
    st.status = MADO_STATUS_OPEN;
    c.seconds_per_person = 0;
    CHECK_INT(mado_estimate(&c, &st, &e, &l, &h), -1);

    unit_counter(&c, 600);
    unit_state(&st, 7, 1, 0, 0);
    CHECK_INT(mado_estimate_baseline(&c, &st), 4200);
}


/*
 * At one counter, more people waiting never shows a shorter wait, a
 * lower band or a lower level, whatever was learnt; and the band stays
 * proportionate: once a day's calls are learnt its ends are within a
 * factor of the estimate that shrinks as more people wait.
 */
static void
test_monotone(void)
{
    int64_t               e, l, h, pe, pl, ph, m, pm, rl, rh, prl, prh;
    int                   lv, plv;
    unsigned              staff, k, j, w;
    mado_counter_def_t    c;
    mado_counter_state_t  st;
    static const uint32_t ns[] = { 0, 1, 3, 10, 40, 99, 100, 400 };
    static const uint32_t ms[] = { 30000, 120000, 300000, 600000, 630000,
                                   900000, 3000000 };

    for (staff = 0; staff <= 4; staff++) {
        for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
            for (j = 0; j < sizeof(ms) / sizeof(ms[0]); j++) {
                unit_counter(&c, 600);
                unit_state(&st, 0, staff, ns[k], ms[j]);

                pe = pl = ph = pm = prl = prh = -1;
                plv = -1;

                for (w = 0; w <= 400; w++) {
                    st.waiting = w;

                    CHECK_INT(mado_estimate(&c, &st, &e, &l, &h), 0);
                    CHECK_INT(mado_wait_range(&c, &st, &rl, &rh), 0);
                    m = mado_wait_minutes(&c, &st);
                    lv = mado_level(&c, &st);

                    CHECK(e >= pe && l >= pl && h >= ph);
                    CHECK(m >= pm && rl >= prl && rh >= prh && lv >= plv);

                    /* what the pages show: the minutes inside the band */
                    CHECK(l <= e && e <= h && rl <= m && m <= rh);

                    if (ns[k] >= 100 && w >= 4) {
                        CHECK(h <= 2 * e && 2 * l >= e);
                    }

                    /* a staff count known: the calls' length alone */
                    if (ns[k] >= 100 && w >= 20 && staff > 0) {
                        CHECK(10 * h <= 13 * e && 10 * l >= 7 * e);
                    }

                    pe = e; pl = l; ph = h; pm = m; prl = rl; prh = rh;
                    plv = lv;
                }
            }
        }
    }
}


static void
test_learning(void)
{
    int64_t               t;
    mado_counter_def_t    c;
    mado_counter_state_t  st;

    unit_counter(&c, 600);
    unit_state(&st, 0, 1, 0, 0);
    t = 1795737600;

    /* a ticket into an empty queue: busy from then */
    mado_service_issue(&st, t);
    CHECK_INT(st.busy_from, t);
    st.waiting = 3;
    mado_service_issue(&st, t + 10);
    CHECK_INT(st.busy_from, t);

    /* the first call learns nothing (no gap yet) */
    mado_service_call(&c, &st, t + 60);
    CHECK_INT(st.svc_n, 0);
    st.called_at = t + 60;

    /* a gap of 400 s while people waited: learnt against the
       configured 600 s, which counts as five calls */
    mado_service_call(&c, &st, t + 460);
    CHECK_INT(st.svc_n, 1);
    CHECK_INT(st.svc_ms, 566666);            /* 600 000 - 200 000 / 6 */
    st.called_at = t + 460;

    /* a long gap (lunch) counts as at most four calls' worth */
    st.svc_ms = 440000;
    mado_service_call(&c, &st, t + 460 + 10000);
    CHECK_INT(st.svc_n, 2);
    CHECK_INT(st.svc_ms, 440000 + (4 * 440000 - 440000) / 7);
    st.called_at = t + 10460;

    /* after a hundred calls, a moving mean of a hundred */
    st.svc_n = 300;
    st.svc_ms = 500000;
    mado_service_call(&c, &st, t + 10460 + 600);
    CHECK_INT(st.svc_ms, 501000);
    st.called_at = t + 11060;

    /* two at the counter: a gap is twice the staff-time */
    st.staff = 2;
    st.svc_ms = 500000;
    mado_service_call(&c, &st, t + 11060 + 250);
    CHECK_INT(st.svc_ms, 500000);
    st.called_at = t + 11310;

    /* nothing is learnt from a re-call, an empty queue or a pause */
    mado_service_call(&c, &st, t + 11310);
    st.waiting = 0;
    mado_service_call(&c, &st, t + 11400);
    st.waiting = 3;
    st.busy_from = t + 11350;
    mado_service_call(&c, &st, t + 11400);
    st.busy_from = 0;
    st.status = MADO_STATUS_PAUSED;
    mado_service_call(&c, &st, t + 11400);
    CHECK_INT(st.svc_n, 302);
    CHECK_INT(st.svc_ms, 500000);

    /* a new day keeps what was learnt: a counter slower than configured
       is slower tomorrow too */
    mado_service_new_day(&st);
    CHECK_INT(st.svc_n, 302);
    CHECK_INT(st.svc_ms, 500000);
    CHECK_INT(st.busy_from, 0);
}


int
main(void)
{
    test_estimates();
    test_monotone();
    test_learning();

    return unit_done("estimate");
}
