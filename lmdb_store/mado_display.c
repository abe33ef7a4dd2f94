/*
 * Display rules: how a counter's state is shown to citizens and staff,
 * the same in the module's API and pages, in madoctl and in the history:
 * the wait in whole minutes and as a band, the congestion level, the jam
 * message, when a closed counter opens next, whether a ticket taken now
 * may be called only after the day's close, the alerts staff and
 * monitoring see; and mado_state_json, the one writer of a counter's state
 * as JSON.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mado_store.h"


int64_t
mado_wait_minutes(const mado_counter_def_t *c, const mado_counter_state_t *st)
{
    int64_t  est, low, high;

    if (mado_estimate(c, st, &est, &low, &high) != 0) {
        return -1;
    }

    /* to the nearest minute: rounding up made every figure longer than
       what people then waited (bench/estimate.c) */
    return (est + 30) / 60;
}


int
mado_wait_range(const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t *low, int64_t *high)
{
    int64_t  est, l, h;

    if (mado_estimate(c, st, &est, &l, &h) != 0) {
        return -1;
    }

    /* minutes, outwards to whole 5 minutes */
    *low = l / 300 * 5;
    *high = (h + 299) / 300 * 5;

    /* a band of at least 5 minutes */
    if (*high < *low + 5) {
        *high = *low + 5;
    }

    return 0;
}


int
mado_level(const mado_counter_def_t *c, const mado_counter_state_t *st)
{
    int      l;
    int64_t  wait;

    wait = mado_wait_minutes(c, st);
    if (wait < 0) {
        return -1;
    }

    for (l = 0; l < MADO_NLEVELS - 1; l++) {
        if (wait < c->levels[l]) {
            break;
        }
    }

    return l;
}


int64_t
mado_next_open(const mado_office_def_t *o, const mado_counter_def_t *c,
    int64_t now)
{
    time_t       local;
    int64_t      day0, t;
    unsigned     d, k, n;
    struct tm    tm;
    mado_span_t  spans[MADO_SPANS_MAX];

    /* local midnight of today */
    day0 = (now + MADO_TZ_OFFSET) / 86400 * 86400 - MADO_TZ_OFFSET;

    /* 年末年始 and a holiday week together stay well under three weeks */
    for (d = 0; d < 21; d++) {
        local = (time_t) (day0 + (int64_t) d * 86400 + MADO_TZ_OFFSET);
        gmtime_r(&local, &tm);

        n = mado_day_spans(o, c, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                           spans, NULL);

        for (k = 0; k < n; k++) {
            t = day0 + (int64_t) d * 86400 + (int64_t) spans[k].open * 60;

            if (t > now) {
                return t;
            }
        }
    }

    return -1;
}


const char *const  mado_past_close_names[MADO_NPAST_CLOSE] = {
    NULL, "possible", "likely"
};


/*
 * Today's opening spans of counter c at now: fills spans, returns their
 * number; *day0 is local midnight, *sec the seconds since, *cur the span
 * now falls in (== the number when none).
 */
static unsigned
mado_today_spans(const mado_office_def_t *o, const mado_counter_def_t *c,
    int64_t now, mado_span_t *spans, int64_t *day0, int64_t *sec,
    unsigned *cur)
{
    time_t     local;
    unsigned   k, n;
    struct tm  tm;

    *day0 = (now + MADO_TZ_OFFSET) / 86400 * 86400 - MADO_TZ_OFFSET;
    local = (time_t) (now + MADO_TZ_OFFSET);
    gmtime_r(&local, &tm);

    n = mado_day_spans(o, c, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       spans, NULL);
    *sec = now - *day0;

    for (k = 0; k < n; k++) {
        if (*sec >= (int64_t) spans[k].open * 60
            && *sec < (int64_t) spans[k].close * 60)
        {
            break;
        }
    }

    *cur = k;

    return n;
}


mado_past_close_e
mado_past_close(const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *st, int64_t now, int64_t *closes)
{
    int64_t      day0, sec, left, low, high, wait;
    unsigned     k, n;
    mado_span_t  spans[MADO_SPANS_MAX];

    *closes = -1;

    if (st->status >= MADO_NSTATUS || st->status == MADO_STATUS_CLOSED) {
        return MADO_PAST_CLOSE_NONE;
    }

    /* today's spans, as mado_next_open walks them */
    n = mado_today_spans(o, c, now, spans, &day0, &sec, &k);

    if (k == n) {
        return MADO_PAST_CLOSE_NONE;
    }

    *closes = day0 + (int64_t) spans[n - 1].close * 60;

    /* serving time left: the queue stands still through a break */
    left = (int64_t) spans[k].close * 60 - sec;

    for (k++; k < n; k++) {
        left += (int64_t) (spans[k].close - spans[k].open) * 60;
    }

    /* with nobody ahead, the next member of staff free calls it */
    if (st->waiting == 0 || mado_wait_range(c, st, &low, &high) != 0) {
        return MADO_PAST_CLOSE_NONE;
    }

    wait = mado_wait_minutes(c, st);

    if (wait * 60 > left) {
        return MADO_PAST_CLOSE_LIKELY;
    }

    if (high * 60 > left) {
        return MADO_PAST_CLOSE_POSSIBLE;
    }

    return MADO_PAST_CLOSE_NONE;
}


const char *const  mado_alert_names[3] = {
    "stale", "stalled", "long_wait"
};


int64_t
mado_stalled_since(const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *st, int64_t now)
{
    int64_t      day0, sec, since;
    unsigned     k, n;
    mado_span_t  spans[MADO_SPANS_MAX];

    if (st->status != MADO_STATUS_OPEN || st->waiting == 0) {
        return -1;
    }

    n = mado_today_spans(o, c, now, spans, &day0, &sec, &k);

    /* outside the spans only with the calendar off: the state as stored */
    since = k < n ? day0 + (int64_t) spans[k].open * 60 : 0;

    if (st->called_at > since) {
        since = st->called_at;
    }

    /* a queue that emptied and formed again waits from then, not from
       the call before it */
    if (st->busy_from > since) {
        since = st->busy_from;
    }

    return since > 0 ? since : -1;
}


int64_t
mado_alert_wait_seconds(const mado_office_def_t *o)
{
    return (int64_t) (o->alert_wait ? o->alert_wait
                                    : MADO_ALERT_WAIT_MINUTES) * 60;
}


unsigned
mado_alerts(const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *st, int64_t now, int64_t stale_after,
    int64_t stalled_after)
{
    int64_t   since, est, low, high;
    unsigned  a;

    if (st->status != MADO_STATUS_OPEN) {
        return 0;
    }

    if (stale_after <= 0) {
        stale_after = MADO_ALERT_STALE_MINUTES * 60;
    }

    if (stalled_after <= 0) {
        stalled_after = MADO_ALERT_STALLED_MINUTES * 60;
    }

    a = 0;

    if (now - st->updated_at > stale_after) {
        a |= MADO_ALERT_STALE;
    }

    since = mado_stalled_since(o, c, st, now);

    if (since >= 0 && now - since > stalled_after) {
        a |= MADO_ALERT_STALLED;
    }

    if (mado_estimate(c, st, &est, &low, &high) == 0
        && est > mado_alert_wait_seconds(o))
    {
        a |= MADO_ALERT_LONG_WAIT;
    }

    return a;
}


size_t
mado_jam_message(const mado_counter_def_t *c, const mado_counter_state_t *st,
    mado_lang_e lang, char *buf, size_t len)
{
    int          n;
    size_t       out;
    int64_t      low, high;
    unsigned     k;
    const char  *p, *t;

    if (len == 0 || st->status != MADO_STATUS_OPEN
        || mado_wait_range(c, st, &low, &high) != 0)
    {
        return 0;
    }

    for (k = c->njam; k > 0; k--) {
        if (st->waiting >= c->jam[k - 1].from) {
            break;
        }
    }

    if (k == 0) {
        return 0;
    }

    t = c->jam[k - 1].text.text[lang];
    if (t == NULL) {
        t = c->jam[k - 1].text.text[MADO_LANG_JA];
    }

    out = 0;

    for (p = t; *p != '\0' && out + 1 < len; p++) {
        n = -1;

        if (strncmp(p, "{waiting}", 9) == 0) {
            n = snprintf(buf + out, len - out, "%u", st->waiting);
            p += 8;

        } else if (strncmp(p, "{low}", 5) == 0) {
            n = snprintf(buf + out, len - out, "%lld", (long long) low);
            p += 4;

        } else if (strncmp(p, "{high}", 6) == 0) {
            n = snprintf(buf + out, len - out, "%lld", (long long) high);
            p += 5;
        }

        if (n < 0) {
            buf[out++] = *p;

        } else {
            out += ((size_t) n < len - out) ? (size_t) n : len - out - 1;
        }
    }

    buf[out] = '\0';

    return out;
}


/* "notice": see MADO_SJ_NOTICE */
static void
mado_state_json_notice(yajl_gen g, const mado_office_def_t *o,
    const mado_counter_state_t *st, unsigned parts)
{
    int  i;

    mado_gen_lit(g, "notice");

    if (o == NULL) {
        if (st->notice[0] == '\0' && !(parts & MADO_SJ_MESSAGE_TEXT)) {
            yajl_gen_null(g);
        } else {
            mado_gen_str(g, st->notice);
        }

        return;
    }

    i = st->notice[0] ? mado_office_notice(o, st->notice) : -1;

    if (i < 0) {
        yajl_gen_null(g);
        return;
    }

    yajl_gen_map_open(g);
    mado_gen_lit(g, "id");
    mado_gen_str(g, o->notices[i].id);
    mado_gen_i18n(g, "text", &o->notices[i].text);
    yajl_gen_map_close(g);
}


void
mado_state_json(yajl_gen g, const mado_office_def_t *o,
    const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t now, unsigned parts)
{
    int                level;
    char               iso[32], jam[512], plain[768];
    size_t             len;
    int64_t            wait, low, high, next, closes;
    unsigned           l;
    mado_past_close_e  past;

    if (parts & MADO_SJ_ID) {
        mado_gen_lit(g, "id");
        mado_gen_str(g, c->id);
        mado_gen_i18n_plain(g, "name", &c->name);
    }

    mado_gen_lit(g, "status");
    mado_gen_str(g, mado_status_names[st->status < MADO_NSTATUS
                                      ? st->status : MADO_STATUS_CLOSED]);
    mado_gen_lit(g, "waiting");
    yajl_gen_integer(g, st->waiting);
    mado_gen_lit(g, "calling");
    yajl_gen_integer(g, st->calling);

    if (parts & MADO_SJ_LAST_ISSUED) {
        mado_gen_lit(g, "last_issued");
        yajl_gen_integer(g, st->last_issued);
    }

    if (parts & MADO_SJ_RANGE) {
        mado_gen_lit(g, "ticket_range");
        yajl_gen_array_open(g);
        yajl_gen_integer(g, c->ticket_first);
        yajl_gen_integer(g, c->ticket_last);
        yajl_gen_array_close(g);
    }

    if (parts & MADO_SJ_COUNTS) {
        mado_gen_lit(g, "served_today");
        yajl_gen_integer(g, st->served_today);
        mado_gen_lit(g, "staff");
        yajl_gen_integer(g, st->staff);
    }

    if (parts & MADO_SJ_WAIT) {
        mado_gen_lit(g, "wait_minutes");
        wait = mado_wait_minutes(c, st);

        if (wait < 0) {
            yajl_gen_null(g);
        } else {
            yajl_gen_integer(g, wait);
        }
    }

    if (parts & MADO_SJ_DISPLAY) {
        mado_gen_lit(g, "wait_range");

        if (mado_wait_range(c, st, &low, &high) != 0) {
            yajl_gen_null(g);

        } else {
            yajl_gen_map_open(g);
            mado_gen_lit(g, "low");
            yajl_gen_integer(g, low);
            mado_gen_lit(g, "high");
            yajl_gen_integer(g, high);
            yajl_gen_map_close(g);
        }

        mado_gen_lit(g, "level");
        level = mado_level(c, st);

        if (level < 0) {
            yajl_gen_null(g);
        } else {
            yajl_gen_integer(g, level);
        }

        mado_gen_lit(g, "next_open");
        next = -1;

        if (st->status == MADO_STATUS_CLOSED
            || st->status == MADO_STATUS_ENDED)
        {
            next = mado_next_open(o, c, now);
        }

        if (next > 0) {
            len = mado_time_iso(next, iso);
            yajl_gen_string(g, (const unsigned char *) iso, len);

        } else {
            yajl_gen_null(g);
        }

        past = MADO_PAST_CLOSE_NONE;
        closes = -1;

        if (parts & MADO_SJ_CALENDAR) {
            past = mado_past_close(o, c, st, now, &closes);
        }

        mado_gen_lit(g, "closes_at");

        if (closes > 0) {
            len = mado_time_iso(closes, iso);
            yajl_gen_string(g, (const unsigned char *) iso, len);

        } else {
            yajl_gen_null(g);
        }

        mado_gen_lit(g, "past_close");

        if (past == MADO_PAST_CLOSE_NONE) {
            yajl_gen_null(g);
        } else {
            mado_gen_str(g, mado_past_close_names[past]);
        }

        mado_gen_lit(g, "jam_message");

        if (mado_jam_message(c, st, MADO_LANG_JA, jam, sizeof(jam)) == 0) {
            yajl_gen_null(g);

        } else {
            yajl_gen_map_open(g);

            for (l = 0; l < MADO_NLANG; l++) {
                len = mado_jam_message(c, st, l, jam, sizeof(jam));

                if (l == MADO_LANG_JA_EASY) {
                    len = mado_ruby_plain(jam, len, plain, sizeof(plain));
                }

                mado_gen_str(g, mado_lang_codes[l]);
                yajl_gen_string(g, (const unsigned char *)
                                   (l == MADO_LANG_JA_EASY ? plain : jam),
                                len);
            }

            yajl_gen_map_close(g);
        }
    }

    if (parts & MADO_SJ_MESSAGE) {
        mado_gen_lit(g, "message");

        if (st->message_len == 0 && !(parts & MADO_SJ_MESSAGE_TEXT)) {
            yajl_gen_null(g);

        } else if (yajl_gen_string(g, (const unsigned char *) st->message,
                                   st->message_len)
                   != yajl_gen_status_ok)
        {
            /* writers check UTF-8; a garbled record shows no message
               where g validates (the public API) */
            yajl_gen_null(g);
        }
    }

    if (parts & MADO_SJ_NOTICE) {
        mado_state_json_notice(g, o, st, parts);
    }

    if (parts & MADO_SJ_UPDATED) {
        mado_gen_lit(g, "updated_at");
        len = mado_time_iso(st->updated_at, iso);
        yajl_gen_string(g, (const unsigned char *) iso, len);
    }
}


int
mado_state_same(const mado_counter_state_t *a, const mado_counter_state_t *b)
{
    return a->status == b->status
           && a->waiting == b->waiting
           && a->calling == b->calling
           && a->last_issued == b->last_issued
           && a->served_today == b->served_today
           && a->staff == b->staff
           && a->message_len == b->message_len
           && memcmp(a->message, b->message, a->message_len) == 0
           && a->recent_n == b->recent_n
           && memcmp(a->recent_number, b->recent_number,
                     sizeof(a->recent_number)) == 0
           && memcmp(a->recent_at, b->recent_at, sizeof(a->recent_at)) == 0
           && strcmp(a->notice, b->notice) == 0;
}
