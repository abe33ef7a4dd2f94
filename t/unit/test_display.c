/*
 * Display rules (mado_display.c) on states made by hand: the wait in
 * whole minutes and as a band, the level, the jam message; and
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
                 | MADO_SJ_DISPLAY | MADO_SJ_MESSAGE | MADO_SJ_UPDATED)
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
        "\"jam_message\":{\"ja\":\"10〜40分\",\"en\":\"10〜40分\","
        "\"zh-hans\":\"10〜40分\",\"zh-hant\":\"10〜40分\",\"ko\":\"10〜40分\","
        "\"ja-easy\":\"10〜40分\"},"
        "\"message\":\"窓口は2番です\","
        "\"updated_at\":\"2026-11-27T12:00:00+09:00\"}");

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
    test_state_json();

    return unit_done("display");
}
