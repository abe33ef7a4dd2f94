/*
 * Display rules (mado_display.c) on states made by hand: the wait in
 * whole minutes and as a band, the level, the jam message, a wait that
 * runs past the day's close; and
 * mado_state_json, the one writer of a state as JSON, in the shape each
 * of its callers has always shown.
 */

#include "unit.h"


static void
test_rules(void)
{
    int64_t               low, high;
    char                  buf[256];
    mado_counter_def_t    c;
    mado_counter_state_t  st;

    unit_counter(&c, 600);

    /* whole minutes, to the nearest: 2400 s is 40 minutes, 300 s 5,
       330 s 6, 329 s 5 */
    unit_state(&st, 4, 1, 0, 0);
    CHECK_INT(mado_wait_minutes(&c, &st), 40);
    c.seconds_per_person = 330;
    unit_state(&st, 1, 1, 0, 0);
    CHECK_INT(mado_wait_minutes(&c, &st), 6);
    c.seconds_per_person = 329;
    CHECK_INT(mado_wait_minutes(&c, &st), 5);
    c.seconds_per_person = 300;
    CHECK_INT(mado_wait_minutes(&c, &st), 5);

    /* the band outwards to whole 5 minutes, at least 5 wide */
    CHECK_INT(mado_wait_range(&c, &st, &low, &high), 0);
    CHECK_INT(low, 0);
    CHECK_INT(high, 15);
    c.seconds_per_person = 600;
    unit_state(&st, 4, 1, 0, 0);
    CHECK_INT(mado_wait_range(&c, &st, &low, &high), 0);
    CHECK_INT(low, 20);
    CHECK_INT(high, 75);
    unit_state(&st, 0, 0, 0, 0);
    CHECK_INT(mado_wait_range(&c, &st, &low, &high), 0);
    CHECK_INT(low, 0);
    CHECK_INT(high, 5);

    /* levels from the wait: 0 < 15 <= 1 < 30 <= 2 < 60 <= 3 */
    CHECK_INT(mado_level(&c, &st), 0);
    unit_state(&st, 2, 1, 0, 0);            /* 20 min */
    CHECK_INT(mado_level(&c, &st), 1);
    unit_state(&st, 3, 1, 0, 0);            /* 30 min */
    CHECK_INT(mado_level(&c, &st), 2);
    unit_state(&st, 6, 1, 0, 0);            /* 60 min */
    CHECK_INT(mado_level(&c, &st), 3);
    st.status = MADO_STATUS_CLOSED;
    CHECK_INT(mado_level(&c, &st), -1);
    CHECK_INT(mado_wait_minutes(&c, &st), -1);
    CHECK_INT(mado_wait_range(&c, &st, &low, &high), -1);

    /* the jam message of the highest step reached, filled in; Japanese
       where a language has none */
    c.njam = 2;
    c.jam[0].from = 3;
    c.jam[0].text.text[MADO_LANG_JA] = "混雑 {waiting}人 {low}〜{high}分";
    c.jam[0].text.text[MADO_LANG_EN] = "{waiting} waiting, {low} to {high}";
    c.jam[1].from = 10;
    c.jam[1].text.text[MADO_LANG_JA] = "大変混雑";

    unit_state(&st, 2, 1, 0, 0);
    CHECK_INT(mado_jam_message(&c, &st, MADO_LANG_JA, buf, sizeof(buf)), 0);

    unit_state(&st, 4, 0, 0, 0);
    CHECK_INT(mado_jam_message(&c, &st, MADO_LANG_EN, buf, sizeof(buf)),
              strlen("4 waiting, 20 to 85"));
    CHECK_STR(buf, "4 waiting, 20 to 85");
    mado_jam_message(&c, &st, MADO_LANG_KO, buf, sizeof(buf));
    CHECK_STR(buf, "混雑 4人 20〜85分");

    /* cut to the buffer, never past it */
    CHECK_INT(mado_jam_message(&c, &st, MADO_LANG_EN, buf, 6), 5);
    CHECK_STR(buf, "4 wai");

    st.waiting = 12;
    mado_jam_message(&c, &st, MADO_LANG_EN, buf, sizeof(buf));
    CHECK_STR(buf, "大変混雑");

    st.status = MADO_STATUS_PAUSED;
    CHECK_INT(mado_jam_message(&c, &st, MADO_LANG_JA, buf, sizeof(buf)), 0);
}


/*
 * Whether a ticket taken now is called before the day's close, on an
 * office with a lunch break on Saturdays, a closed day, a counter's own
 * closed day and an extra open Sunday.  The times are put at the
 * estimate's own figures (mado_wait_minutes, mado_wait_range), so that
 * these checks hold however the estimate computes them.
 */
#define UNIT_HOURS_OFFICE                                                     \
    "{\"offices\": [{\"id\": \"t\","                                          \
    " \"name\": {\"ja\": \"T\", \"en\": \"T\"},"                              \
    " \"hours\": {\"mon\": \"08:45-17:30\", \"tue\": \"08:45-17:30\","        \
    "  \"wed\": \"08:45-17:30\", \"thu\": \"08:45-17:30\","                   \
    "  \"fri\": \"08:45-17:30\", \"sat\": \"09:00-12:00,13:00-13:30\"},"      \
    " \"closed_dates\": [\"2026-11-26\"],"                                    \
    " \"open_dates\": {\"2026-11-29\": \"09:00-12:00\"},"                     \
    " \"counters\": ["                                                        \
    "  {\"id\": \"x\", \"name\": {\"ja\": \"X\", \"en\": \"X\"},"             \
    "   \"minutes_per_person\": 10, \"ticket_range\": [1, 300],"              \
    "   \"closed_dates\": [\"2026-11-25\"]},"                                 \
    "  {\"id\": \"y\", \"name\": {\"ja\": \"Y\", \"en\": \"Y\"},"             \
    "   \"minutes_per_person\": 10, \"ticket_range\": [1, 300],"              \
    "   \"reception_ends\": \"17:00\"}]}]}"

/* local midnight of Friday 2026-11-27, and minutes after it */
#define FRI          1795705200
#define AT(day, hh, mm)  (FRI + (day) * 86400 + ((hh) * 60 + (mm)) * 60)


static void
test_past_close(void)
{
    int64_t                closes, low, high, wait, close;
    mado_offices_t         all;
    mado_office_def_t     *o;
    mado_counter_def_t    *x, *y;
    mado_counter_state_t   st;

    if (mado_offices_parse(UNIT_HOURS_OFFICE, strlen(UNIT_HOURS_OFFICE),
                           &all, NULL)
        != MADO_OK)
    {
        CHECK(!"the offices parse");
        return;
    }

    o = &all.offices[0];
    x = &o->counters[0];
    y = &o->counters[1];

    unit_state(&st, 4, 0, 0, 0);
    wait = mado_wait_minutes(x, &st);
    CHECK_INT(mado_wait_range(x, &st, &low, &high), 0);

    /* the checks below need a band around the estimate, and a wait that
       outlasts Saturday's afternoon span */
    if (!CHECK(low <= wait && wait + 2 < high && wait > 31)) {
        mado_offices_free(&all);
        return;
    }

    /* Friday: the close at 17:30; the wait fits, then the band's end
       does not, then the estimate does not */
    close = AT(0, 17, 30);
    CHECK_INT(mado_past_close(o, x, &st, AT(0, 10, 0), &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, close);
    CHECK_INT(mado_past_close(o, x, &st, close - high * 60, &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(mado_past_close(o, x, &st, close - high * 60 + 60, &closes),
              MADO_PAST_CLOSE_POSSIBLE);
    CHECK_INT(closes, close);
    CHECK_INT(mado_past_close(o, x, &st, close - wait * 60, &closes),
              MADO_PAST_CLOSE_POSSIBLE);
    CHECK_INT(mado_past_close(o, x, &st, close - wait * 60 + 60, &closes),
              MADO_PAST_CLOSE_LIKELY);
    CHECK_INT(mado_past_close(o, x, &st, close - 60, &closes),
              MADO_PAST_CLOSE_LIKELY);
    CHECK_INT(closes, close);
    CHECK_STR(mado_past_close_names[MADO_PAST_CLOSE_POSSIBLE], "possible");
    CHECK_STR(mado_past_close_names[MADO_PAST_CLOSE_LIKELY], "likely");
    CHECK(mado_past_close_names[MADO_PAST_CLOSE_NONE] == NULL);

    /* past the close, before the opening: no span, nothing to say */
    CHECK_INT(mado_past_close(o, x, &st, close, &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, -1);
    CHECK_INT(mado_past_close(o, x, &st, AT(0, 8, 44), &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, -1);

    /* nobody waiting: called as soon as someone is free */
    unit_state(&st, 0, 0, 0, 0);
    CHECK_INT(mado_past_close(o, x, &st, close - 60, &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, close);

    /* not open: no wait to compare; the close is still the day's, unless
       the counter is closed */
    unit_state(&st, 4, 0, 0, 0);
    st.status = MADO_STATUS_PAUSED;
    CHECK_INT(mado_past_close(o, x, &st, close - 60, &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, close);
    st.status = MADO_STATUS_ENDED;
    CHECK_INT(mado_past_close(o, y, &st, AT(0, 17, 10), &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, close);
    st.status = MADO_STATUS_CLOSED;
    CHECK_INT(mado_past_close(o, x, &st, close - 60, &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, -1);

    /* reception_ends stops the tickets, not the serving: the close counts */
    unit_state(&st, 4, 0, 0, 0);
    CHECK_INT(mado_past_close(o, y, &st, close - high * 60, &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, close);

    /* closed days: the office's (Thursday), the counter's alone
       (Wednesday, where y is open), a Sunday */
    CHECK_INT(mado_past_close(o, x, &st, AT(-1, 17, 0), &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, -1);
    CHECK_INT(mado_past_close(o, x, &st, AT(-2, 17, 0), &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, -1);
    CHECK_INT(mado_past_close(o, y, &st, AT(-2, 17, 0), &closes),
              MADO_PAST_CLOSE_LIKELY);
    CHECK_INT(closes, AT(-2, 17, 30));
    CHECK_INT(mado_past_close(o, x, &st, AT(-5, 17, 0), &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, -1);

    /* an extra open Sunday closes at its own hour */
    CHECK_INT(mado_past_close(o, x, &st, AT(2, 11, 59), &closes),
              MADO_PAST_CLOSE_LIKELY);
    CHECK_INT(closes, AT(2, 12, 0));

    /*
     * Saturday, 09:00-12:00 and 13:00-13:30: the day closes at 13:30, and
     * the morning's queue waits through the break, which is not time to
     * serve: at 12:00 - (high - 30) minutes the band's end just fits
     * though it runs past noon.
     */
    close = AT(1, 13, 30);
    CHECK_INT(mado_past_close(o, x, &st, AT(1, 12, 0) - (high - 30) * 60,
                              &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, close);
    CHECK_INT(mado_past_close(o, x, &st,
                              AT(1, 12, 0) - (high - 30) * 60 + 60, &closes),
              MADO_PAST_CLOSE_POSSIBLE);
    CHECK_INT(mado_past_close(o, x, &st,
                              AT(1, 12, 0) - (wait - 30) * 60 + 60, &closes),
              MADO_PAST_CLOSE_LIKELY);
    CHECK_INT(closes, close);

    /* in the break itself: outside the spans */
    CHECK_INT(mado_past_close(o, x, &st, AT(1, 12, 30), &closes),
              MADO_PAST_CLOSE_NONE);
    CHECK_INT(closes, -1);

    /* the afternoon span alone */
    CHECK_INT(mado_past_close(o, x, &st, AT(1, 13, 0), &closes),
              MADO_PAST_CLOSE_LIKELY);
    CHECK_INT(closes, close);

    mado_offices_free(&all);
}



/* the members parts writes, in a map of their own, as text */
static const char *
test_json(yajl_gen g, const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *st, int64_t now, unsigned parts, size_t *len)
{
    const unsigned char  *buf;

    yajl_gen_clear(g);
    yajl_gen_reset(g, NULL);
    yajl_gen_map_open(g);
    mado_state_json(g, o, c, st, now, parts);
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, len);

    return (const char *) buf;
}


#define PUBLIC  (MADO_SJ_ID | MADO_SJ_LAST_ISSUED | MADO_SJ_WAIT             \
                 | MADO_SJ_DISPLAY | MADO_SJ_MESSAGE | MADO_SJ_UPDATED        \
                 | MADO_SJ_CALENDAR)
#define SHOW    (MADO_SJ_ID | MADO_SJ_LAST_ISSUED | MADO_SJ_COUNTS            \
                 | MADO_SJ_WAIT | MADO_SJ_MESSAGE | MADO_SJ_UPDATED)
#define AUDIT   (MADO_SJ_LAST_ISSUED | MADO_SJ_COUNTS | MADO_SJ_MESSAGE       \
                 | MADO_SJ_MESSAGE_TEXT)


static void
test_state_json(void)
{
    size_t                 n;
    yajl_gen               g, v;
    const char            *json;
    mado_offices_t         all;
    mado_office_def_t     *o;
    mado_counter_def_t    *c;
    mado_counter_state_t   st;

    if (mado_offices_parse(UNIT_OFFICES, strlen(UNIT_OFFICES), &all, NULL)
        != MADO_OK)
    {
        CHECK(!"the offices parse");
        return;
    }

    o = &all.offices[0];
    c = &o->counters[2];                    /* small: 5 minutes a person */
    c->levels[0] = 15;
    c->levels[1] = 30;
    c->levels[2] = 60;
    c->njam = 1;
    c->jam[0].from = 3;
    /* freed with the definitions */
    c->jam[0].text.text[MADO_LANG_JA] = strdup("{low}〜{high}分");

    g = yajl_gen_alloc(NULL);
    v = yajl_gen_alloc(NULL);
    yajl_gen_config(v, yajl_gen_validate_utf8, 1);

    memset(&st, 0, sizeof(st));
    st.status = MADO_STATUS_OPEN;
    st.waiting = 4;
    st.calling = 7;
    st.last_issued = 11;
    st.served_today = 6;
    st.staff = 1;
    st.updated_at = 1795748400;
    strcpy(st.message, "窓口は2番です");
    st.message_len = strlen(st.message);

    /* the public API: the display rules, no counts */
    json = test_json(v, o, c, &st, 1795748400, PUBLIC, &n);
    CHECK_BYTES(json, n,
        "{\"id\":\"small\",\"name\":{\"ja\":\"S\",\"en\":\"S\"},"
        "\"status\":\"open\",\"waiting\":4,\"calling\":7,\"last_issued\":11,"
        "\"wait_minutes\":20,\"wait_range\":{\"low\":10,\"high\":40},"
        "\"level\":1,\"next_open\":null,"
        "\"closes_at\":\"2026-11-27T17:30:00+09:00\",\"past_close\":null,"
        "\"jam_message\":{\"ja\":\"10〜40分\",\"en\":\"10〜40分\","
        "\"zh-hans\":\"10〜40分\",\"zh-hant\":\"10〜40分\",\"ko\":\"10〜40分\","
        "\"ja-easy\":\"10〜40分\"},"
        "\"message\":\"窓口は2番です\","
        "\"updated_at\":\"2026-11-27T12:00:00+09:00\"}");

    /* a minute before the close: the wait runs past it */
    json = test_json(v, o, c, &st, 1795748400 + 5 * 3600 + 29 * 60,
                     MADO_SJ_DISPLAY | MADO_SJ_CALENDAR, &n);
    CHECK(n > 0 && strstr(json, "\"closes_at\":\"2026-11-27T17:30:00+09:00\","
                                "\"past_close\":\"likely\",") != NULL);

    /* a state not put through the calendar (mado_calendar off): the
       hours are not applied, so nothing is said of the close */
    json = test_json(v, o, c, &st, 1795748400 + 5 * 3600 + 29 * 60,
                     MADO_SJ_DISPLAY, &n);
    CHECK(n > 0 && strstr(json, "\"closes_at\":null,\"past_close\":null,")
                   != NULL);

    /* madoctl show --json: the counts, no display rules */
    json = test_json(g, o, c, &st, 0, SHOW, &n);
    CHECK_BYTES(json, n,
        "{\"id\":\"small\",\"name\":{\"ja\":\"S\",\"en\":\"S\"},"
        "\"status\":\"open\",\"waiting\":4,\"calling\":7,\"last_issued\":11,"
        "\"served_today\":6,\"staff\":1,\"wait_minutes\":20,"
        "\"message\":\"窓口は2番です\","
        "\"updated_at\":\"2026-11-27T12:00:00+09:00\"}");

    /* a closed counter (a Friday evening): when it opens next, no wait */
    st.status = MADO_STATUS_CLOSED;
    st.message_len = 0;
    st.message[0] = '\0';
    json = test_json(v, o, c, &st, 1795748400 + 7 * 3600, PUBLIC, &n);
    CHECK_BYTES(json, n,
        "{\"id\":\"small\",\"name\":{\"ja\":\"S\",\"en\":\"S\"},"
        "\"status\":\"closed\",\"waiting\":4,\"calling\":7,"
        "\"last_issued\":11,\"wait_minutes\":null,\"wait_range\":null,"
        "\"level\":null,\"next_open\":\"2026-11-30T08:45:00+09:00\","
        "\"closes_at\":null,\"past_close\":null,"
        "\"jam_message\":null,\"message\":null,"
        "\"updated_at\":\"2026-11-27T12:00:00+09:00\"}");

    /* the audit trail: an empty message is "", and a status no writer
       makes reads closed */
    st.status = 77;
    json = test_json(g, NULL, NULL, &st, 0, AUDIT, &n);
    CHECK_BYTES(json, n,
        "{\"status\":\"closed\",\"waiting\":4,\"calling\":7,"
        "\"last_issued\":11,\"served_today\":6,\"staff\":1,"
        "\"message\":\"\"}");

    /* the history's samples */
    st.status = MADO_STATUS_PAUSED;
    json = test_json(g, NULL, NULL, &st, 0, MADO_SJ_COUNTS, &n);
    CHECK_BYTES(json, n,
        "{\"status\":\"paused\",\"waiting\":4,\"calling\":7,"
        "\"served_today\":6,\"staff\":1}");

    /* a garbled message: null where the generator validates UTF-8 */
    memcpy(st.message, "a\xff", 3);
    st.message_len = 2;
    json = test_json(v, NULL, NULL, &st, 0, MADO_SJ_MESSAGE, &n);
    CHECK_BYTES(json, n,
        "{\"status\":\"paused\",\"waiting\":4,\"calling\":7,"
        "\"message\":null}");

    yajl_gen_free(g);
    yajl_gen_free(v);
    mado_offices_free(&all);
}


int
main(void)
{
    test_rules();
    test_past_close();
    test_state_json();

    return unit_done("display");
}
