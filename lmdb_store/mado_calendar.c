/*
 * mado store: the Japanese national holiday calendar, computed by the rules
 * of 国民の祝日に関する法律 (Act on National Holidays) as amended, with the
 * one-off holidays of separate laws, for 1973..2099.
 *
 * Computed, not tabled: the Cabinet Office publishes each year's list only
 * about a year ahead, and offices plan further than that.  Rules that the
 * law changed carry the date of the change, so past years stay right.
 *
 * Pure C99: no allocation, no state, no dependencies (the nginx module and
 * madoctl both link it).
 */

#include <stddef.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mado_store.h"


#define MADO_CAL_YEAR_MIN   1973
#define MADO_CAL_YEAR_MAX   2099


static int mado_time_digits(const char *s, unsigned n, unsigned *out);


/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
long
mado_days_from_civil(int y, int m, int d)
{
    long      era;
    unsigned  yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (unsigned) (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (long) doe - 719468;
}


/* the inverse of mado_days_from_civil() */
static void
mado_cal_civil(long z, int *y, int *m, int *d)
{
    long      era;
    unsigned  doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400) + (*m <= 2);
}


/* 0 = Sunday; 1970-01-01 was a Thursday */
static int
mado_cal_wday(long days)
{
    return (int) (((days % 7) + 7 + 4) % 7);
}


static int
mado_cal_valid(int y, int m, int d)
{
    static const int  mdays[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (m < 1 || m > 12 || d < 1) {
        return 0;
    }

    if (m == 2 && d == 29) {
        return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    }

    return d <= mdays[m - 1];
}


/* the day of month of the nth (1-based) Monday of y-m */
static int
mado_cal_nth_monday(int y, int m, int n)
{
    int  w;

    w = mado_cal_wday(mado_days_from_civil(y, m, 1));

    return 1 + (8 - w) % 7 + (n - 1) * 7;
}


static long
mado_cal_floor_div(long a, long b)
{
    return (a >= 0) ? a / b : -((-a + b - 1) / b);
}


/*
 * The day of the vernal (March) or autumnal (September) equinox, by the
 * approximation that agrees with the National Astronomical Observatory's
 * almanac (暦要項), on which the Cabinet declares these two holidays:
 *
 *   floor(C + 0.242194 * (y - 1980) - (y - B) / 4)
 *
 * with C = 20.8431 / 23.2488 and B = 1980 for 1980..2099, and
 * C = 20.8357 / 23.2588 and B = 1983 for 1900..1979.  (y - B) / 4 is an
 * integer division truncated toward zero, as the formula is given: for
 * 1973..1979 a floor there would move the equinoxes a day late.  Done in
 * millionths with integers: in doubles a value that should land on a
 * whole day could fall just short of it.
 */
static int
mado_cal_equinox(int y, int autumn)
{
    long  c, b, v;

    if (y >= 1980) {
        c = autumn ? 23248800 : 20843100;
        b = 1980;

    } else {
        c = autumn ? 23258800 : 20835700;
        b = 1983;
    }

    v = c + 242194L * (y - 1980) - 1000000L * ((y - b) / 4);

    return (int) mado_cal_floor_div(v, 1000000);
}


/*
 * A 国民の祝日 proper (article 2 of the law, as in force on that date), or
 * a holiday by a law of its own; not the rest days of article 3.  The
 * one-offs of 2019 count here because their law deems them 国民の祝日 for
 * article 3 paragraph 3 (so 4/30 and 5/2 became 国民の休日).  NULL: none.
 */
static const char *
mado_cal_proper(int y, int m, int d)
{
    switch (m) {

    case 1:
        if (d == 1) {
            return "元日";
        }

        /* the second Monday since 2000, 1/15 before */
        if (d == (y >= 2000 ? mado_cal_nth_monday(y, 1, 2) : 15)) {
            return "成人の日";
        }

        break;

    case 2:
        if (d == 11) {
            return "建国記念の日";
        }

        if (d == 23 && y >= 2020) {
            return "天皇誕生日";
        }

        if (d == 24 && y == 1989) {
            /* 昭和天皇の大喪の礼の行われる日を休日とする法律 */
            return "大喪の礼";
        }

        break;

    case 3:
        if (d == mado_cal_equinox(y, 0)) {
            return "春分の日";
        }

        break;

    case 4:
        if (d == 29) {
            /* the birthday of the Showa emperor under three names */
            return (y <= 1988) ? "天皇誕生日"
                   : (y <= 2006) ? "みどりの日" : "昭和の日";
        }

        break;

    case 5:
        switch (d) {
        case 1:
            if (y == 2019) {
                return "天皇の即位の日";
            }
            break;
        case 3:
            return "憲法記念日";
        case 4:
            /* before 2007 a 国民の休日 at most, by article 3 */
            if (y >= 2007) {
                return "みどりの日";
            }
            break;
        case 5:
            return "こどもの日";
        }

        break;

    case 6:
        if (d == 9 && y == 1993) {
            /* 皇太子徳仁親王の結婚の儀の行われる日を休日とする法律 */
            return "結婚の儀";
        }

        break;

    case 7:
        /* moved for the Tokyo Olympics (2020, then postponed to 2021) */
        if (y == 2020) {
            return (d == 23) ? "海の日" : (d == 24) ? "スポーツの日" : NULL;
        }

        if (y == 2021) {
            return (d == 22) ? "海の日" : (d == 23) ? "スポーツの日" : NULL;
        }

        if ((y >= 2003 && d == mado_cal_nth_monday(y, 7, 3))
            || (y >= 1996 && y <= 2002 && d == 20))
        {
            return "海の日";
        }

        break;

    case 8:
        if (y == 2020) {
            return (d == 10) ? "山の日" : NULL;
        }

        if (y == 2021) {
            return (d == 8) ? "山の日" : NULL;
        }

        if (y >= 2016 && d == 11) {
            return "山の日";
        }

        break;

    case 9:
        if (d == (y >= 2003 ? mado_cal_nth_monday(y, 9, 3) : 15)) {
            return "敬老の日";
        }

        if (d == mado_cal_equinox(y, 1)) {
            return "秋分の日";
        }

        break;

    case 10:
        if (y == 2019 && d == 22) {
            return "即位礼正殿の儀";
        }

        /* in July in 2020 and 2021 */
        if (y == 2020 || y == 2021) {
            break;
        }

        if (d == (y >= 2000 ? mado_cal_nth_monday(y, 10, 2) : 10)) {
            return (y >= 2020) ? "スポーツの日" : "体育の日";
        }

        break;

    case 11:
        if (d == 3) {
            return "文化の日";
        }

        if (d == 23) {
            return "勤労感謝の日";
        }

        if (d == 12 && y == 1990) {
            /* 即位礼正殿の儀の行われる日を休日とする法律 (1990) */
            return "即位礼正殿の儀";
        }

        break;

    case 12:
        /*
         * none in 2019: the emperor born on 12/23 abdicated on 4/30, and
         * 2/23, his successor's birthday, became the holiday from 2020
         */
        if (d == 23 && y >= 1989 && y <= 2018) {
            return "天皇誕生日";
        }

        break;
    }

    return NULL;
}


static const char *
mado_cal_proper_days(long days)
{
    int  y, m, d;

    mado_cal_civil(days, &y, &m, &d);

    return mado_cal_proper(y, m, d);
}


int
mado_holiday(int year, int month, int day, const char **name_ja)
{
    long         t, k;
    const char  *name;

    name = NULL;

    if (year < MADO_CAL_YEAR_MIN || year > MADO_CAL_YEAR_MAX
        || !mado_cal_valid(year, month, day))
    {
        goto done;
    }

    name = mado_cal_proper(year, month, day);
    if (name != NULL) {
        goto done;
    }

    t = mado_days_from_civil(year, month, day);

    /*
     * 振替休日 (article 3 paragraph 2, since 1973-04-12): when a 国民の
     * 祝日 falls on a Sunday, the next day, and since 2007 the nearest day
     * after it that is not a 国民の祝日 (5/3 on a Sunday gives 5/6).  So
     * walk back over the 国民の祝日 just before today to a Sunday.
     */
    for (k = t - 1; mado_cal_proper_days(k) != NULL; k--) {
        if (mado_cal_wday(k) == 0) {
            if (k >= mado_days_from_civil(2007, 1, 1)
                || (k == t - 1 && k >= mado_days_from_civil(1973, 4, 12)))
            {
                name = "振替休日";
            }

            break;
        }
    }

    if (name != NULL) {
        goto done;
    }

    /*
     * 国民の休日 (article 3 paragraph 3, since 1985-12-27): a day between
     * two 国民の祝日.  Before 2007 the law left out Sundays (and 振替休日,
     * handled above).  The 2007 text has no such exception, but with the
     * dates of today's 祝日 no Sunday lies between two of them, so one
     * test serves both.
     */
    if (t >= mado_days_from_civil(1985, 12, 27)
        && mado_cal_wday(t) != 0
        && mado_cal_proper_days(t - 1) != NULL
        && mado_cal_proper_days(t + 1) != NULL)
    {
        name = "国民の休日";
    }

done:

    if (name_ja != NULL) {
        *name_ja = name;
    }

    return name != NULL;
}


int
mado_weekday(int year, int month, int day)
{
    /* a year bound keeps the day count far from overflow */
    if (year < 1 || year > 9999 || !mado_cal_valid(year, month, day)) {
        return -1;
    }

    return mado_cal_wday(mado_days_from_civil(year, month, day));
}


int
mado_is_year_end(int month, int day)
{
    return (month == 12 && day >= 29 && day <= 31)
           || (month == 1 && day >= 1 && day <= 3);
}


mado_date_t
mado_date_parse(const char *s)
{
    unsigned  y, m, d;

    /* digits where digits go: sscanf()'s %d took signs and spaces
       (" 123-+1-\n1" was 0123-01-01) */
    if (strlen(s) != 10
        || mado_time_digits(s, 4, &y) != 0 || s[4] != '-'
        || mado_time_digits(s + 5, 2, &m) != 0 || s[7] != '-'
        || mado_time_digits(s + 8, 2, &d) != 0
        || mado_weekday((int) y, (int) m, (int) d) < 0)
    {
        return -1;
    }

    return (mado_date_t) (y * 10000 + m * 100 + d);
}


static int
mado_date_in(const mado_date_t *dates, unsigned n, mado_date_t date)
{
    unsigned  i;

    for (i = 0; i < n; i++) {
        if (dates[i] == date) {
            return 1;
        }
    }

    return 0;
}


unsigned
mado_day_spans(const mado_office_def_t *o, const mado_counter_def_t *c,
    int year, int month, int day, mado_span_t *spans, const char **why)
{
    int           wday;
    unsigned      i, n;
    const char   *name, *dummy;
    mado_date_t   date;

    if (why == NULL) {
        why = &dummy;
    }

    *why = NULL;

    wday = mado_weekday(year, month, day);
    if (wday < 0) {
        return 0;
    }

    date = year * 10000 + month * 100 + day;

    if (c != NULL && mado_date_in(c->closed, c->nclosed, date)) {
        *why = "窓口休止日";
        return 0;
    }

    for (i = 0; i < o->nopen; i++) {
        if (o->open[i].date == date) {
            *why = "臨時開庁日";
            memcpy(spans, o->open[i].spans,
                   o->open[i].nspans * sizeof(mado_span_t));
            return o->open[i].nspans;
        }
    }

    if (mado_date_in(o->closed, o->nclosed, date)) {
        *why = "臨時閉庁日";
        return 0;
    }

    if (!o->open_on_holidays) {
        if (mado_holiday(year, month, day, &name)) {
            *why = name;
            return 0;
        }

        if (mado_is_year_end(month, day)) {
            *why = "年末年始";
            return 0;
        }
    }

    n = o->nspans[wday];
    memcpy(spans, o->hours[wday], n * sizeof(mado_span_t));

    return n;
}


/* today's spans and the local midnight of now */
static unsigned
mado_today(const mado_office_def_t *o, const mado_counter_def_t *c,
    int64_t now, mado_span_t *spans, int64_t *midnight)
{
    time_t     local;
    struct tm  tm;

    *midnight = (now + MADO_TZ_OFFSET) / 86400 * 86400 - MADO_TZ_OFFSET;

    local = (time_t) (now + MADO_TZ_OFFSET);
    gmtime_r(&local, &tm);

    return mado_day_spans(o, c, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                          spans, NULL);
}


int
mado_new_day(mado_counter_state_t *st, int64_t now)
{
    int64_t  midnight;

    /*
     * The day starts at local midnight, not at opening: tickets a machine
     * hands out before the doors open belong to the day they are for.
     */
    midnight = (now + MADO_TZ_OFFSET) / 86400 * 86400 - MADO_TZ_OFFSET;

    if (st->updated_at >= midnight) {
        return 0;
    }

    /* staff on duty may carry over; the queue of yesterday does not */
    st->status = MADO_STATUS_OPEN;
    st->waiting = 0;
    st->calling = 0;
    st->last_issued = 0;
    st->served_today = 0;
    st->issued_at = 0;
    st->called_at = 0;
    mado_service_new_day(st);
    st->recent_n = 0;
    memset(st->recent_number, 0, sizeof(st->recent_number));
    memset(st->recent_at, 0, sizeof(st->recent_at));
    st->message_len = 0;
    st->message[0] = '\0';
    st->notice[0] = '\0';
    st->updated_at = midnight;

    return 1;
}


mado_date_t
mado_local_date(int64_t t)
{
    time_t     local;
    struct tm  tm;

    local = (time_t) (t + MADO_TZ_OFFSET);
    gmtime_r(&local, &tm);

    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}


void
mado_effective_state(const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *st, int64_t now, mado_counter_state_t *out)
{
    int          reset;
    int64_t      midnight, minute;
    unsigned     k, n;
    mado_span_t  spans[MADO_SPANS_MAX];

    *out = *st;

    reset = mado_new_day(out, now);

    n = mado_today(o, c, now, spans, &midnight);
    minute = (now - midnight) / 60;

    /* fresh counts read "as of the opening" once the doors are open */
    if (reset && n > 0 && minute >= spans[0].open) {
        out->updated_at = midnight + (int64_t) spans[0].open * 60;
    }

    for (k = 0; k < n; k++) {
        if (minute >= spans[k].open && minute < spans[k].close) {
            break;
        }
    }

    if (k == n) {
        out->status = MADO_STATUS_CLOSED;
        return;
    }

    if (c->reception_ends && minute >= c->reception_ends
        && (out->status == MADO_STATUS_OPEN
            || out->status == MADO_STATUS_PAUSED))
    {
        out->status = MADO_STATUS_ENDED;
    }
}


static int
mado_time_digits(const char *s, unsigned n, unsigned *out)
{
    unsigned  i;

    *out = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        *out = *out * 10 + (s[i] - '0');
    }

    return 0;
}


int
mado_parse_time(const char *s, int64_t *t)
{
    unsigned  minute;

    return mado_parse_stamp(s, t, &minute) != 0 || minute ? -1 : 0;
}


/*
 * "1795739400", or "2026-11-27T09:30:00" followed by an optional fraction
 * and "Z", "+09:00", "+0900" or "+09"; without an offset Japan time.
 * "2026-11-27T09:30" (and an offset) names a minute: *minute is 1.
 */
int
mado_parse_stamp(const char *s, int64_t *t, unsigned *minute)
{
    int64_t      days, off;
    unsigned     y, mo, d, h, mi, sec, oh, om;
    uint64_t     v;
    const char  *p;

    static const unsigned  mdays[12] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    /* digits only, and at least one: "" is no time */
    if (s[0] != '\0' && strspn(s, "0123456789") == strlen(s)) {
        v = 0;

        for (p = s; *p != '\0'; p++) {
            v = v * 10 + (*p - '0');

            /* up to the end of year 9999 */
            if (v > 253402300799ULL) {
                return -1;
            }
        }

        *t = (int64_t) v;
        *minute = 0;
        return 0;
    }

    if (strlen(s) < 16
        || mado_time_digits(s, 4, &y) || s[4] != '-'
        || mado_time_digits(s + 5, 2, &mo) || s[7] != '-'
        || mado_time_digits(s + 8, 2, &d)
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        || mado_time_digits(s + 11, 2, &h) || s[13] != ':'
        || mado_time_digits(s + 14, 2, &mi))
    {
        return -1;
    }

    /* no seconds: a minute ("+09:00" has its colon after a sign) */
    *minute = (s[16] != ':');
    sec = 0;

    if (!*minute && mado_time_digits(s + 17, 2, &sec)) {
        return -1;
    }

    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23
        || mi > 59 || sec > 59)
    {
        return -1;
    }

    /* 29 February only in leap years */
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    {
        return -1;
    }

    p = s + (*minute ? 16 : 19);

    if (!*minute && (*p == '.' || *p == ',')) {
        p++;

        if (*p < '0' || *p > '9') {
            return -1;
        }

        p += strspn(p, "0123456789");
    }

    if (*p == '\0') {
        off = MADO_TZ_OFFSET;

    } else if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        off = 0;

    } else if (*p == '+' || *p == '-') {
        if (mado_time_digits(p + 1, 2, &oh) != 0) {
            return -1;
        }

        om = 0;

        if (p[3] == ':' && mado_time_digits(p + 4, 2, &om) == 0
            && p[6] == '\0')
        {
            /* +09:00 */

        } else if (p[3] != ':' && p[3] != '\0'
                   && mado_time_digits(p + 3, 2, &om) == 0 && p[5] == '\0')
        {
            /* +0900 */

        } else if (p[3] != '\0') {
            return -1;
        }

        if (oh > 23 || om > 59) {
            return -1;
        }

        off = (int64_t) (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);

    } else {
        return -1;
    }

    days = mado_days_from_civil((int) y, (int) mo, (int) d);
    *t = days * 86400 + h * 3600 + mi * 60 + sec - off;

    return 0;
}
