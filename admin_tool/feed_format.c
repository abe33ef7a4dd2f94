/*
 * madoctl feed: the lines of a ticket machine's log, in its encoding
 * (UTF-8 or Shift_JIS) and format (voicecall or jsonl), into the events
 * of the library's batch.
 */

#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "madoctl.h"


static void mc_feed_voicecall(char *text, mc_feed_line_t *l);
static void mc_feed_jsonl(char *text, mc_feed_line_t *l);


/* one line, framed by mado_feed_line(), into l */
void
mc_feed_parse(const mc_feed_format_t *fmt, mado_line_e kind,
    const mado_line_t *ln, mc_feed_line_t *l)
{
    char         text[3 * MADO_FEED_LINE_MAX + 1], *in, *out;
    size_t       len, inleft, outleft;
    const char  *p;

    memset(&l->e.ev, 0, sizeof(l->e.ev));
    l->e.key[0] = '\0';
    l->e.why[0] = '\0';
    l->kind = MC_LINE_EVENT;
    l->e.result = 0;

    switch (kind) {

    case MADO_LINE_BLANK:
        l->kind = MC_LINE_BLANK;
        return;

    case MADO_LINE_LONG:
        mc_feed_bad(l, "%s", MADO_FEED_LONG);
        return;

    case MADO_LINE_BINARY:
        mc_feed_bad(l, "contains a NUL byte (a binary file?)");
        return;

    default:
        break;
    }

    p = ln->text;
    len = ln->len;

    if (fmt->encoding == MC_ENC_UTF8
        || (fmt->encoding == MC_ENC_AUTO && mado_utf8_valid(p, len)))
    {
        if (!mado_utf8_valid(p, len)) {
            mc_feed_bad(l, "not valid UTF-8 (try --encoding sjis)");
            return;
        }

        memcpy(text, p, len);
        text[len] = '\0';

    } else {
        in = (char *) p;
        inleft = len;
        out = text;
        outleft = sizeof(text) - 1;

        iconv(fmt->cd, NULL, NULL, NULL, NULL);

        if (iconv(fmt->cd, &in, &inleft, &out, &outleft) == (size_t) -1) {
            mc_feed_bad(l, "neither UTF-8 nor Shift_JIS");
            return;
        }

        *out = '\0';
    }

    if (fmt->format == MC_FMT_VOICECALL) {
        mc_feed_voicecall(text, l);

    } else {
        mc_feed_jsonl(text, l);
    }
}


static char *
mc_trim(char *s)
{
    char  *e;

    while (*s == ' ' || *s == '\t') {
        s++;
    }

    e = s + strlen(s);

    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        *--e = '\0';
    }

    return s;
}


static int
mc_all_digits(const char *s, size_t min, size_t max)
{
    size_t  n;

    n = strspn(s, "0123456789");

    return n == strlen(s) && n >= min && n <= max;
}


/* YYYYMMDD,HH:MM[:SS],EVENT,CODE,TICKET[,...] */
static void
mc_feed_voicecall(char *text, mc_feed_line_t *l)
{
    int        nf, y, mo, d, h, mi, sec, used, minute;
    char      *field[5], *p, *comma;
    unsigned   ticket;

    for (p = text, nf = 0; nf < 5; nf++) {
        field[nf] = p;
        comma = strchr(p, ',');

        if (comma == NULL) {
            nf++;
            break;
        }

        *comma = '\0';
        p = comma + 1;
    }

    if (nf < 5) {
        mc_feed_bad(l, "%d comma-separated fields, expected 5 or more: "
                    "date,time,event,business code,ticket", nf);
        return;
    }

    for (nf = 0; nf < 5; nf++) {
        field[nf] = mc_trim(field[nf]);
    }

    if (!mc_all_digits(field[0], 8, 8)
        || sscanf(field[0], "%4d%2d%2d", &y, &mo, &d) != 3
        || mado_weekday(y, mo, d) < 0)
    {
        mc_feed_bad(l, "date \"%.16s\" is not a date as YYYYMMDD", field[0]);
        return;
    }

    used = 0;
    sec = 0;
    minute = 0;

    if (sscanf(field[1], "%2d:%2d:%2d%n", &h, &mi, &sec, &used) == 3
        && field[1][used] == '\0')
    {
        /* HH:MM:SS */

    } else if (used = 0, sscanf(field[1], "%2d:%2d%n", &h, &mi, &used) == 2
               && field[1][used] == '\0')
    {
        minute = 1;

    } else {
        mc_feed_bad(l, "time \"%.16s\" is not HH:MM or HH:MM:SS", field[1]);
        return;
    }

    if (strspn(field[1], "0123456789:") != strlen(field[1])
        || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    {
        mc_feed_bad(l, "time \"%.16s\" is not HH:MM or HH:MM:SS", field[1]);
        return;
    }

    if (field[2][0] < '0' || field[2][0] > '2' || field[2][1] != '\0') {
        mc_feed_bad(l, "event \"%.16s\" is not 0 (issued), 1 (called) or "
                    "2 (cancelled)", field[2]);
        return;
    }

    if (!mado_code_valid(field[3])) {
        mc_feed_bad(l, "business code \"%.24s\" is not 1..%d bytes of text",
                    field[3], MADO_CODE_MAX);
        return;
    }

    if (!mc_all_digits(field[4], 1, 4)
        || (ticket = (unsigned) atoi(field[4])) < 1)
    {
        mc_feed_bad(l, "ticket \"%.16s\" is not a number 1..%d", field[4],
                    MADO_COUNT_MAX);
        return;
    }

    l->e.ev.time = mado_days_from_civil(y, mo, d) * 86400
                 + h * 3600 + mi * 60 + sec - MADO_TZ_OFFSET;
    l->e.ev.type = (uint32_t) (field[2][0] - '0');
    l->e.ev.ticket = ticket;

    /* HH:MM names a minute, not its first second (mado_feed_sort) */
    if (minute) {
        l->e.ev.flags |= MADO_EV_MINUTE;
    }
    strcpy(l->e.key, field[3]);
}


/* {"time": ..., "event": ..., "counter": ..., "ticket": N} */
static void
mc_feed_jsonl(char *text, mc_feed_line_t *l)
{
    if (mado_feed_jsonl(text, &l->e) != 0) {
        l->kind = MC_LINE_BAD;
    }
}


void
mc_feed_bad(mc_feed_line_t *l, const char *fmt, ...)
{
    va_list  ap;

    l->kind = MC_LINE_BAD;

    va_start(ap, fmt);
    vsnprintf(l->e.why, sizeof(l->e.why), fmt, ap);
    va_end(ap);
}
