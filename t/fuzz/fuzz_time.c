/*
 * Times and dates from outside: mado_parse_time (a feed's "time",
 * MADO_NOW) and mado_date_parse (?date=, offices.json's dates, madoctl's
 * --from and --to).  A date is taken only as YYYY-MM-DD exactly; a time
 * is in years 0..9999, and one written by mado_time_iso reads back.
 */

#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         *s, buf[32];
    int64_t       t, t2;
    unsigned      minute;
    mado_date_t   d;

    s = fuzz_cstr(data, size);

    if (mado_parse_time(s, &t) == 0) {
        FUZZ_CHECK(s[0] != '\0');
        /* from 0000-01-01 to 9999-12-31, whatever the offset */
        FUZZ_CHECK(t >= -62167219200LL - 86400
                   && t <= 253402300799LL + 86400);

        if (t >= 0 && t <= 253402300799LL - MADO_TZ_OFFSET) {
            FUZZ_CHECK(mado_time_iso(t, buf) == 25);
            FUZZ_CHECK(mado_parse_time(buf, &t2) == 0 && t2 == t);
        }
    }

    /* a stamp to the minute is that minute's start, and a time otherwise */
    if (mado_parse_stamp(s, &t, &minute) == 0) {
        FUZZ_CHECK(!minute || t % 60 == 0);
        FUZZ_CHECK(minute || mado_parse_time(s, &t2) == 0);
    }

    d = mado_date_parse(s);

    if (d >= 0) {
        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (int) (d / 10000),
                 (int) (d / 100 % 100), (int) (d % 100));
        FUZZ_CHECK(strcmp(buf, s) == 0);
        FUZZ_CHECK(mado_weekday(d / 10000, d / 100 % 100, d % 100) >= 0);
    }

    free(s);

    return 0;
}
