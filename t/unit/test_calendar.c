/*
 * The calendar (mado_calendar.c): Japan's public holidays computed by the
 * law's rules, checked against years the Cabinet Office published,
 * with 振替休日 (a holiday on a Sunday moves on), 国民の休日 (a day
 * between two holidays), the special years (2019's enthronement, the
 * Olympic years' moved days), 年末年始, and an office's opening spans.
 */

#include "unit.h"


typedef struct {
    int          y, m, d;
    const char  *name;
} test_day_t;


static void
test_year(int year, const test_day_t *days, size_t n)
{
    int          m, d, found;
    size_t       i, k;
    const char  *name;

    /* every listed day is that holiday, and no other day of the year is */
    for (m = 1; m <= 12; m++) {
        for (d = 1; d <= 31; d++) {
            if (mado_weekday(year, m, d) < 0) {
                continue;
            }

            found = mado_holiday(year, m, d, &name);

            for (k = 0; k < n; k++) {
                if (days[k].m == m && days[k].d == d) {
                    break;
                }
            }

            if (k < n) {
                if (!CHECK(found)) {
                    fprintf(stderr, "    %04d-%02d-%02d: no holiday\n", year,
                            m, d);
                }

                CHECK_STR(name, days[k].name);

            } else if (!CHECK(!found)) {
                fprintf(stderr, "    %04d-%02d-%02d: %s\n", year, m, d, name);
            }
        }
    }

    for (i = 0; i < n; i++) {
        CHECK_INT(days[i].y, year);
    }
}


static void
test_holidays(void)
{
    const char  *name;

    /* 2026: 5/3 is a Sunday (振替休日 on 5/6, after 5/4 and 5/5), and
       9/22 lies between 敬老の日 and 秋分の日 (国民の休日) */
    static const test_day_t  y2026[] = {
        { 2026, 1, 1, "元日" },
        { 2026, 1, 12, "成人の日" },
        { 2026, 2, 11, "建国記念の日" },
        { 2026, 2, 23, "天皇誕生日" },
        { 2026, 3, 20, "春分の日" },
        { 2026, 4, 29, "昭和の日" },
        { 2026, 5, 3, "憲法記念日" },
        { 2026, 5, 4, "みどりの日" },
        { 2026, 5, 5, "こどもの日" },
        { 2026, 5, 6, "振替休日" },
        { 2026, 7, 20, "海の日" },
        { 2026, 8, 11, "山の日" },
        { 2026, 9, 21, "敬老の日" },
        { 2026, 9, 22, "国民の休日" },
        { 2026, 9, 23, "秋分の日" },
        { 2026, 10, 12, "スポーツの日" },
        { 2026, 11, 3, "文化の日" },
        { 2026, 11, 23, "勤労感謝の日" },
    };

    /* 2019: the enthronement; 4/30 and 5/2 between holidays */
    static const test_day_t  y2019[] = {
        { 2019, 1, 1, "元日" },
        { 2019, 1, 14, "成人の日" },
        { 2019, 2, 11, "建国記念の日" },
        { 2019, 3, 21, "春分の日" },
        { 2019, 4, 29, "昭和の日" },
        { 2019, 4, 30, "国民の休日" },
        { 2019, 5, 1, "天皇の即位の日" },
        { 2019, 5, 2, "国民の休日" },
        { 2019, 5, 3, "憲法記念日" },
        { 2019, 5, 4, "みどりの日" },
        { 2019, 5, 5, "こどもの日" },
        { 2019, 5, 6, "振替休日" },
        { 2019, 7, 15, "海の日" },
        { 2019, 8, 11, "山の日" },
        { 2019, 8, 12, "振替休日" },
        { 2019, 9, 16, "敬老の日" },
        { 2019, 9, 23, "秋分の日" },
        { 2019, 10, 14, "体育の日" },
        { 2019, 10, 22, "即位礼正殿の儀" },
        { 2019, 11, 3, "文化の日" },
        { 2019, 11, 4, "振替休日" },
        { 2019, 11, 23, "勤労感謝の日" },
    };

    /* 2021: the Olympics moved 海の日, スポーツの日 and 山の日 */
    static const test_day_t  y2021[] = {
        { 2021, 1, 1, "元日" },
        { 2021, 1, 11, "成人の日" },
        { 2021, 2, 11, "建国記念の日" },
        { 2021, 2, 23, "天皇誕生日" },
        { 2021, 3, 20, "春分の日" },
        { 2021, 4, 29, "昭和の日" },
        { 2021, 5, 3, "憲法記念日" },
        { 2021, 5, 4, "みどりの日" },
        { 2021, 5, 5, "こどもの日" },
        { 2021, 7, 22, "海の日" },
        { 2021, 7, 23, "スポーツの日" },
        { 2021, 8, 8, "山の日" },
        { 2021, 8, 9, "振替休日" },
        { 2021, 9, 20, "敬老の日" },
        { 2021, 9, 23, "秋分の日" },
        { 2021, 11, 3, "文化の日" },
        { 2021, 11, 23, "勤労感謝の日" },
    };

    test_year(2026, y2026, sizeof(y2026) / sizeof(y2026[0]));
    test_year(2019, y2019, sizeof(y2019) / sizeof(y2019[0]));
    test_year(2021, y2021, sizeof(y2021) / sizeof(y2021[0]));

    /* 振替休日 began 1973-04-12: 2/11 of 1973, a Sunday, moved nothing */
    CHECK(mado_holiday(1973, 2, 11, NULL));
    CHECK(!mado_holiday(1973, 2, 12, NULL));
    CHECK(mado_holiday(1973, 4, 30, &name));
    CHECK_STR(name, "振替休日");

    /* the days of a law of their own */
    CHECK(mado_holiday(1989, 2, 24, &name));
    CHECK_STR(name, "大喪の礼");
    CHECK(mado_holiday(1993, 6, 9, &name));
    CHECK_STR(name, "結婚の儀");

    /* outside what the rules cover, and days that do not exist */
    CHECK(!mado_holiday(1972, 1, 1, &name));
    CHECK(name == NULL);
    CHECK(!mado_holiday(2100, 1, 1, NULL));
    CHECK(!mado_holiday(2026, 2, 30, NULL));
    CHECK(!mado_holiday(2026, 13, 1, NULL));
}


static void
test_days(void)
{
    int64_t   t;
    unsigned  minute;

    CHECK_INT(mado_weekday(2026, 11, 27), 5);
    CHECK_INT(mado_weekday(2000, 2, 29), 2);
    CHECK_INT(mado_weekday(1900, 2, 29), -1);
    CHECK_INT(mado_weekday(2026, 4, 31), -1);
    CHECK_INT(mado_days_from_civil(1970, 1, 1), 0);
    CHECK_INT(mado_days_from_civil(2026, 11, 27), 20784);

    /* 年末年始: 12/29 to 1/3 */
    CHECK(!mado_is_year_end(12, 28));
    CHECK(mado_is_year_end(12, 29));
    CHECK(mado_is_year_end(12, 31));
    CHECK(mado_is_year_end(1, 1));
    CHECK(mado_is_year_end(1, 3));
    CHECK(!mado_is_year_end(1, 4));

    CHECK_INT(mado_date_parse("2027-03-28"), 20270328);
    CHECK_INT(mado_date_parse("2027-02-29"), -1);
    CHECK_INT(mado_date_parse("2027-3-28"), -1);
    /* found by t/fuzz/fuzz_time.c: sscanf() took spaces and signs */
    CHECK_INT(mado_date_parse("3223-\n3-22"), -1);
    CHECK_INT(mado_date_parse(" 123- 1- 1"), -1);
    CHECK_INT(mado_date_parse("+123-+1-+1"), -1);
    CHECK_INT(mado_date_parse("2027-03-28 "), -1);
    CHECK_INT(mado_date_parse(""), -1);

    /* local dates: JST midnight, not UTC's */
    CHECK_INT(mado_local_date(1795748400), 20261127);
    CHECK_INT(mado_local_date(1795705200), 20261127);     /* 00:00 JST */
    CHECK_INT(mado_local_date(1795705199), 20261126);

    CHECK_INT(mado_parse_time("2026-11-27T12:00:00+09:00", &t), 0);
    CHECK_INT(t, 1795748400);
    CHECK_INT(mado_parse_time("2026-11-27T03:00:00Z", &t), 0);
    CHECK_INT(t, 1795748400);
    CHECK_INT(mado_parse_time("2026-11-27T12:00:00", &t), 0);
    CHECK_INT(t, 1795748400);
    CHECK_INT(mado_parse_time("1795748400", &t), 0);
    CHECK_INT(t, 1795748400);
    CHECK_INT(mado_parse_time("2026-11-27 12:00", &t), -1);

    /* the feed's stamps: a minute without seconds */
    CHECK_INT(mado_parse_stamp("2026-11-27T12:00+09:00", &t, &minute), 0);
    CHECK_INT(t, 1795748400);
    CHECK_INT(minute, 1);
    CHECK_INT(mado_parse_stamp("2026-11-27T12:01", &t, &minute), 0);
    CHECK_INT(t, 1795748460);
    CHECK_INT(minute, 1);
    CHECK_INT(mado_parse_stamp("2026-11-27T03:00Z", &t, &minute), 0);
    CHECK_INT(t, 1795748400);
    CHECK_INT(mado_parse_stamp("2026-11-27T12:00:59+0900", &t, &minute), 0);
    CHECK_INT(t, 1795748459);
    CHECK_INT(minute, 0);
    CHECK_INT(mado_parse_stamp("1795748400", &t, &minute), 0);
    CHECK_INT(minute, 0);
    CHECK_INT(mado_parse_stamp("2026-11-27T12:0", &t, &minute), -1);
    CHECK_INT(mado_parse_stamp("2026-11-27T12:00.5", &t, &minute), -1);
    CHECK_INT(mado_parse_stamp("2026-11-27T12:00:", &t, &minute), -1);
    CHECK_INT(mado_parse_stamp("2026-11-27T12:60", &t, &minute), -1);

    /* found by t/fuzz/fuzz_time.c: "" was unix time 0 */
    CHECK_INT(mado_parse_time("", &t), -1);
}


static void
test_spans(void)
{
    mado_offices_t      all;
    mado_span_t         spans[MADO_SPANS_MAX];
    const char         *why;
    mado_office_def_t  *o;

    if (mado_offices_parse(UNIT_OFFICES, strlen(UNIT_OFFICES), &all, NULL)
        != MADO_OK)
    {
        CHECK(!"the offices parse");
        return;
    }

    o = &all.offices[0];

    /* a Friday: the weekly hours */
    CHECK_INT(mado_day_spans(o, NULL, 2026, 11, 27, spans, &why), 1);
    CHECK_INT(spans[0].open, 8 * 60 + 45);
    CHECK_INT(spans[0].close, 17 * 60 + 30);
    CHECK(why == NULL);

    /* a Saturday, a holiday, the new year */
    CHECK_INT(mado_day_spans(o, NULL, 2026, 11, 28, spans, &why), 0);
    CHECK_INT(mado_day_spans(o, NULL, 2026, 9, 22, spans, &why), 0);
    CHECK_STR(why, "国民の休日");
    CHECK_INT(mado_day_spans(o, NULL, 2026, 12, 29, spans, &why), 0);
    CHECK_STR(why, "年末年始");
    CHECK_INT(mado_day_spans(o, NULL, 2027, 1, 4, spans, &why), 1);

    /* an office open on holidays keeps its weekly hours then */
    o->open_on_holidays = 1;
    CHECK_INT(mado_day_spans(o, NULL, 2026, 12, 29, spans, &why), 1);

    mado_offices_free(&all);
}


int
main(void)
{
    test_holidays();
    test_days();
    test_spans();

    return unit_done("calendar");
}
