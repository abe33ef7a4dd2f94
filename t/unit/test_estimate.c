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

    /* nothing learnt: the configured 10 minutes a person, half a call
       more for the one now served, a wide band */
    unit_state(&st, 4, 0, 0, 0);
    CHECK_ESTIMATE(&c, &st, 2700, 579, 4820);

    /* two at the counter: half */
    st.staff = 2;
    CHECK_ESTIMATE(&c, &st, 1350, 289, 2410);

    /* 50 calls of 5 minutes each learnt: mostly what was learnt, and a
       narrower band; more calls than 50 count as 50 */
    unit_state(&st, 20, 1, 50, 300000);
    CHECK_ESTIMATE(&c, &st, 6498, 4355, 8641);
    unit_state(&st, 20, 3, 60, 300000);
    CHECK_ESTIMATE(&c, &st, 2166, 1451, 2880);

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

    /* a gap of 400 s while people waited: the first value learnt */
    mado_service_call(&c, &st, t + 460);
    CHECK_INT(st.svc_n, 1);
    CHECK_INT(st.svc_ms, 400000);
    st.called_at = t + 460;

    /* then smoothed: 400 + 0.2 (600 - 400) */
    mado_service_call(&c, &st, t + 1060);
    CHECK_INT(st.svc_n, 2);
    CHECK_INT(st.svc_ms, 440000);
    st.called_at = t + 1060;

    /* a long gap (lunch) counts as at most four calls' worth */
    mado_service_call(&c, &st, t + 1060 + 10000);
    CHECK_INT(st.svc_ms, 440000 + (4 * 440000 - 440000) / 5);
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
    CHECK_INT(st.svc_n, 4);
    CHECK_INT(st.svc_ms, 500000);

    /* a new day keeps a little of the day before */
    mado_service_new_day(&st);
    CHECK_INT(st.svc_n, 3);
    CHECK_INT(st.busy_from, 0);
}


int
main(void)
{
    test_estimates();
    test_learning();

    return unit_done("estimate");
}
