/*
 * The helpers the library's files share (mado_store.h, sections 1, 4 and
 * 9): an LMDB error into a sentence and a return code the write loop
 * understands, the yajl writers of dates, opening spans and averages, and
 * the rules that fold a day's events and samples into its hours (reading
 * a day and compacting it both use them).
 */

#include "unit.h"


/* what a generator made, as a C string in buf */
static const char *
test_gen_text(yajl_gen g, char *buf, size_t size)
{
    size_t                len;
    const unsigned char  *p;

    if (yajl_gen_get_buf(g, &p, &len) != yajl_gen_status_ok
        || len >= size)
    {
        return "(no JSON)";
    }

    memcpy(buf, p, len);
    buf[len] = '\0';
    yajl_gen_clear(g);
    yajl_gen_reset(g, NULL);

    return buf;
}


static void
test_mdb_fail(void)
{
    char        want[512];
    mado_err_t  err;

    /* a full map goes back to mado_store_write as it is, to grow */
    CHECK_INT(mado_mdb_fail(&err, MADO_ESTORE, "writing a sample",
                            MDB_MAP_FULL),
              MDB_MAP_FULL);
    snprintf(want, sizeof(want), "writing a sample: %s",
             mdb_strerror(MDB_MAP_FULL));
    CHECK_STR(err.text, want);

    CHECK_INT(mado_mdb_fail(&err, MADO_ESTORE, "x", MDB_TXN_FULL),
              MDB_TXN_FULL);

    /* anything else is the caller's code, with the reason */
    CHECK_INT(mado_mdb_fail(&err, MADO_ESTORE, "reading events",
                            MDB_CORRUPTED),
              MADO_ESTORE);
    snprintf(want, sizeof(want), "reading events: %s",
             mdb_strerror(MDB_CORRUPTED));
    CHECK_STR(err.text, want);

    CHECK_INT(mado_mdb_fail(NULL, MADO_EINVAL, "x", MDB_NOTFOUND),
              MADO_EINVAL);
}


static void
test_gen(void)
{
    char         buf[256];
    yajl_gen     g;
    mado_span_t  spans[MADO_SPANS_MAX] = {
        { 8 * 60 + 45, 12 * 60 }, { 13 * 60, 17 * 60 + 30 },
        { 0, 30 }, { 23 * 60, 24 * 60 }
    };

    g = yajl_gen_alloc(NULL);
    if (!CHECK(g != NULL)) {
        return;
    }

    /* dates: after a key or alone, four-digit years */
    yajl_gen_map_open(g);
    mado_gen_date(g, "date", 20270328);
    mado_gen_str(g, "list");
    yajl_gen_array_open(g);
    mado_gen_date(g, NULL, 20261231);
    mado_gen_date(g, NULL, 9990105);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    CHECK_STR(test_gen_text(g, buf, sizeof(buf)),
              "{\"date\":\"2027-03-28\","
              "\"list\":[\"2026-12-31\",\"0999-01-05\"]}");

    /* opening spans as offices.json writes them; none is "" (closed) */
    yajl_gen_array_open(g);
    mado_gen_spans(g, spans, 0);
    mado_gen_spans(g, spans, 1);
    mado_gen_spans(g, spans, 2);
    mado_gen_spans(g, spans, MADO_SPANS_MAX);
    yajl_gen_array_close(g);
    CHECK_STR(test_gen_text(g, buf, sizeof(buf)),
              "[\"\",\"08:45-12:00\",\"08:45-12:00,13:00-17:30\","
              "\"08:45-12:00,13:00-17:30,00:00-00:30,23:00-24:00\"]");

    /* averages to one decimal, null when there is nothing to average */
    yajl_gen_map_open(g);
    mado_gen_avg(g, "none", 100, 0, 1.0);
    mado_gen_avg(g, "half", 7, 2, 1.0);
    mado_gen_avg(g, "minutes", 5430, 1, 60.0);
    mado_gen_avg(g, "round", 1, 3, 1.0);
    yajl_gen_map_close(g);
    CHECK_STR(test_gen_text(g, buf, sizeof(buf)),
              "{\"none\":null,\"half\":3.5,\"minutes\":90.5,"
              "\"round\":0.3}");

    yajl_gen_free(g);

    /* the weekdays of "hours", Sunday first, as struct tm counts them */
    CHECK_STR(mado_weekday_keys[0], "sun");
    CHECK_STR(mado_weekday_keys[3], "wed");
    CHECK_STR(mado_weekday_keys[6], "sat");
    CHECK(mado_weekday_keys[7] == NULL);
}


static void
test_hours(void)
{
    int64_t         start;
    mado_hour_t     hours[24], sum;
    mado_event_t    ev;
    mado_sample_t   sm;

    start = 1795705200;                 /* 2026-11-27T00:00:00+09:00 */
    memset(hours, 0, sizeof(hours));
    memset(&ev, 0, sizeof(ev));
    memset(&sm, 0, sizeof(sm));

    CHECK(!mado_hour_used(&hours[9]));

    ev.type = MADO_HEV_ISSUE;
    ev.time = start + 9 * 3600 + 60;
    mado_hours_event(hours, &ev, start);
    CHECK_INT(hours[9].issued, 1);
    CHECK(mado_hour_used(&hours[9]));

    /* a call counts where it happens, its wait also where it was issued */
    ev.type = MADO_HEV_CALL;
    ev.time = start + 10 * 3600 + 30 * 60;
    ev.wait = 5400;
    mado_hours_event(hours, &ev, start);
    CHECK_INT(hours[10].served, 1);
    CHECK_INT(hours[10].waits, 1);
    CHECK_INT(hours[10].wait_sum, 5400);
    CHECK_INT(hours[10].wait_max, 5400);
    CHECK_INT(hours[10].iwaits, 0);
    CHECK_INT(hours[9].iwaits, 1);
    CHECK_INT(hours[9].iwait_sum, 5400);

    /* a wait unknown counts the call only; one from the day before has
       no hour of issue today */
    ev.wait = -1;
    mado_hours_event(hours, &ev, start);
    CHECK_INT(hours[10].served, 2);
    CHECK_INT(hours[10].waits, 1);

    ev.time = start + 3600;
    ev.wait = 7200;
    mado_hours_event(hours, &ev, start);
    CHECK_INT(hours[1].waits, 1);
    CHECK_INT(hours[0].iwaits, 0);

    ev.type = MADO_HEV_CANCEL;
    ev.time = start + 11 * 3600;
    mado_hours_event(hours, &ev, start);
    CHECK_INT(hours[11].cancelled, 1);

    /* a hand-set change is no ticket's: no hour changes */
    ev.type = MADO_HEV_SET;
    ev.time = start + 12 * 3600;
    mado_hours_event(hours, &ev, start);
    CHECK(!mado_hour_used(&hours[12]));

    /* samples: how many, their sum and the most waiting */
    sm.time = start + 9 * 3600 + 300;
    sm.waiting = 4;
    mado_hours_sample(hours, &sm, start);
    sm.time += 300;
    sm.waiting = 7;
    mado_hours_sample(hours, &sm, start);
    CHECK_INT(hours[9].samples, 2);
    CHECK_INT(hours[9].waiting_sum, 11);
    CHECK_INT(hours[9].waiting_max, 7);

    /* adding hours: sums add, maxima take the larger */
    sum = hours[10];
    mado_hour_add(&sum, &hours[9]);
    mado_hour_add(&sum, &hours[1]);
    CHECK_INT(sum.issued, 1);
    CHECK_INT(sum.served, 3);
    CHECK_INT(sum.waits, 2);
    CHECK_INT(sum.wait_sum, 5400 + 7200);
    CHECK_INT(sum.wait_max, 7200);
    CHECK_INT(sum.samples, 2);
    CHECK_INT(sum.waiting_sum, 11);
    CHECK_INT(sum.waiting_max, 7);
    CHECK_INT(sum.iwaits, 1);
    CHECK_INT(sum.iwait_sum, 5400);
}


int
main(void)
{
    test_mdb_fail();
    test_gen();
    test_hours();

    return unit_done("helpers");
}
