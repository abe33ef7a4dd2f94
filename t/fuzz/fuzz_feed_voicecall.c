/*
 * "madoctl feed" reading a ticket machine's log (admin_tool/feed_format.c):
 * the lines framed by mado_feed_line, in voicecall or jsonl format, as
 * UTF-8, Shift_JIS or either (the first byte chooses).  A line is an
 * event, blank or bad; an event is a whole one.
 */

#include "fuzz.h"
#include "madoctl.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned           line;
    const char        *p, *end;
    mado_line_t        l;
    mado_line_e        kind;
    mc_feed_line_t     fl;
    mc_feed_format_t   fmt;

    static iconv_t     cd = (iconv_t) -1;

    if (size == 0) {
        return 0;
    }

    if (cd == (iconv_t) -1) {
        cd = iconv_open("UTF-8", "CP932");
        FUZZ_CHECK(cd != (iconv_t) -1);
    }

    fmt.format = (data[0] & 1) ? MC_FMT_JSONL : MC_FMT_VOICECALL;
    fmt.encoding = (data[0] >> 1) % 3;
    fmt.cd = cd;

    p = (const char *) data + 1;
    end = (const char *) data + size;

    for (line = 1; p < end; line++, p += l.used) {
        kind = mado_feed_line(p, end - p, MADO_LINE_EOF
                              | (line == 1 ? MADO_LINE_BOM : 0), &l);

        FUZZ_CHECK(l.used > 0 && l.used <= (size_t) (end - p));

        mc_feed_parse(&fmt, kind, &l, &fl);

        if (fl.kind == MC_LINE_BAD) {
            FUZZ_CHECK(fl.e.why[0] != '\0');

        } else if (fl.kind == MC_LINE_EVENT) {
            FUZZ_CHECK(fl.e.ev.type < MADO_NEV);
            FUZZ_CHECK(fl.e.ev.ticket >= 1
                       && fl.e.ev.ticket <= MADO_COUNT_MAX);
            FUZZ_CHECK(fl.e.key[0] != '\0');
            /* "HH:MM" names a minute: its start */
            FUZZ_CHECK(!(fl.e.ev.flags & MADO_EV_MINUTE)
                       || fl.e.ev.time % 60 == 0);
        }
    }

    return 0;
}
