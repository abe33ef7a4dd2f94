/*
 * madoctl holidays: the national holidays of a year, from the store
 * library's calendar (no store needed), as lines or as JSON.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "madoctl.h"


typedef struct {
    int                 month;
    int                 day;
    const char         *name;
} mc_holiday_t;


/* a year has 16..22 holidays; room to spare */
#define MC_HOLIDAYS_MAX     40


static unsigned mc_holidays_of(int year, mc_holiday_t *h, unsigned max);
static int mc_holidays_json(int year, const mc_holiday_t *h, unsigned n);


int
mc_cmd_holidays(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          rc, json, year;
    time_t                       local;
    uint32_t                     v;
    unsigned                     i, n;
    struct tm                    tm;
    mc_holiday_t                 h[MC_HOLIDAYS_MAX];
    static const char *const     names[] = { "YEAR", NULL };
    static const char            wdays[7][4] = {
        "日", "月", "火", "水", "木", "金", "土"
    };

    if ((rc = mc_json_option("holidays", argc, argv, &json)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("holidays", argc, argv, names, 0)) != MC_EXIT_OK) {
        return rc;
    }

    if (optind < argc) {
        rc = mc_parse_uint("YEAR", argv[optind], MADO_HOLIDAY_YEAR_MIN,
                           MADO_HOLIDAY_YEAR_MAX, &v);
        if (rc != MC_EXIT_OK) {
            return rc;
        }

        year = (int) v;

    } else {
        /* this year in Japan: on 31 December after 15:00 UTC it is 1 January */
        if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
            return rc;
        }

        local = (time_t) (ctx->now + MADO_TZ_OFFSET);

        if (gmtime_r(&local, &tm) == NULL) {
            mc_error("YEAR: cannot tell the current year from MADO_NOW");
            return MC_EXIT_REFUSED;
        }

        year = tm.tm_year + 1900;

        if (year < MADO_HOLIDAY_YEAR_MIN || year > MADO_HOLIDAY_YEAR_MAX) {
            mc_error("YEAR: the current year %d is outside %d..%d; give one",
                     year, MADO_HOLIDAY_YEAR_MIN, MADO_HOLIDAY_YEAR_MAX);
            return MC_EXIT_REFUSED;
        }
    }

    n = mc_holidays_of(year, h, MC_HOLIDAYS_MAX);

    if (json) {
        return mc_holidays_json(year, h, n);
    }

    for (i = 0; i < n; i++) {
        printf("%04d-%02d-%02d (%s) %s\n", year, h[i].month, h[i].day,
               wdays[mado_weekday(year, h[i].month, h[i].day)], h[i].name);
    }

    return MC_EXIT_OK;
}


static unsigned
mc_holidays_of(int year, mc_holiday_t *h, unsigned max)
{
    int          m, d;
    unsigned     n;
    const char  *name;

    n = 0;

    for (m = 1; m <= 12; m++) {
        /* mado_holiday() says 0 for the days a month does not have */
        for (d = 1; d <= 31 && n < max; d++) {
            if (mado_holiday(year, m, d, &name)) {
                h[n].month = m;
                h[n].day = d;
                h[n].name = name;
                n++;
            }
        }
    }

    return n;
}


static int
mc_holidays_json(int year, const mc_holiday_t *h, unsigned n)
{
    char                  date[16];
    unsigned              i;
    yajl_gen              g;

    g = mc_json_gen();
    if (g == NULL) {
        return MC_EXIT_STORE;
    }

    yajl_gen_array_open(g);

    for (i = 0; i < n; i++) {
        snprintf(date, sizeof(date), "%04d-%02d-%02d", year, h[i].month,
                 h[i].day);

        yajl_gen_map_open(g);
        mado_gen_str(g, "date");
        mado_gen_str(g, date);
        mado_gen_str(g, "name");
        mado_gen_str(g, h[i].name);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);

    return mc_json_print(g);
}


/*
 * madoctl calendar: the opening hours of an office (or of one of its
 * counters) day by day, as the module and the pages apply them: weekly
 * hours, national holidays, 年末年始, 臨時閉庁日 and 臨時開庁日.
 */
int
mc_cmd_calendar(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, ec, json;
    char                         date[40], hours[64];
    time_t                       local;
    MDB_txn                     *txn;
    uint32_t                     days;
    unsigned                     d, k, n, len;
    yajl_gen                     g;
    struct tm                    tm;
    mado_err_t                   err;
    mado_date_t                  from;
    mado_span_t                  spans[MADO_SPANS_MAX];
    mado_store_t                 s;
    const char                  *why, *a_from, *a_counter;
    mado_office_def_t            o;
    const mado_counter_def_t    *ctr;
    static const char *const     names[] = { "OFFICE", NULL };
    static const char            wdays[7][4] = {
        "日", "月", "火", "水", "木", "金", "土"
    };
    static const struct option   opts[] = {
        { "from",    required_argument, NULL, 'f' },
        { "days",    required_argument, NULL, 'd' },
        { "counter", required_argument, NULL, 'c' },
        { "json",    no_argument,       NULL, 'j' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    json = 0;
    days = 14;
    a_from = a_counter = NULL;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'f':
            a_from = optarg;
            break;

        case 'd':
            rc = mc_parse_uint("--days", optarg, 1, 400, &days);
            if (rc != MC_EXIT_OK) {
                return rc;
            }
            break;

        case 'c':
            a_counter = optarg;
            break;

        case 'j':
            json = 1;
            break;

        case 'h':
            return mc_help("calendar");

        default:
            return mc_getopt_error("calendar", c, argv);
        }
    }

    if ((rc = mc_args("calendar", argc, argv, names, 1)) != MC_EXIT_OK
        || (rc = mc_check_id("OFFICE", argv[optind])) != MC_EXIT_OK
        || (a_counter && (rc = mc_check_id("--counter", a_counter))
                         != MC_EXIT_OK))
    {
        return rc;
    }

    if (a_from != NULL) {
        from = mado_date_parse(a_from);

        if (from < 0) {
            mc_error("--from: must be a date YYYY-MM-DD, not \"%s\"", a_from);
            return MC_EXIT_REFUSED;
        }

    } else {
        if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
            return rc;
        }

        local = (time_t) (ctx->now + MADO_TZ_OFFSET);
        gmtime_r(&local, &tm);
        from = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
    }

    if ((ec = mc_store_open(ctx, &s, MADO_OPEN_RDONLY)) != MC_EXIT_OK) {
        return ec;
    }

    if (mado_store_read_begin(&s, &txn, &err) != MADO_OK) {
        mc_error("%s", err.text);
        mado_store_close(&s);
        return MC_EXIT_STORE;
    }

    rc = mado_office_get(&s, txn, argv[optind], &o, &err);
    mdb_txn_abort(txn);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("OFFICE: %s", err.text);
        return mc_exit_code(rc);
    }

    ctr = NULL;

    if (a_counter != NULL) {
        ctr = mado_office_counter(&o, a_counter);

        if (ctr == NULL) {
            mc_error("--counter: office %s has no counter \"%s\"", o.id,
                     a_counter);
            mado_office_free(&o);
            return MC_EXIT_REFUSED;
        }
    }

    g = NULL;

    if (json) {
        g = mc_json_gen();
        if (g == NULL) {
            mado_office_free(&o);
            return MC_EXIT_STORE;
        }

        yajl_gen_array_open(g);
    }

    /* noon of the first day, so that adding whole days never slips a date */
    memset(&tm, 0, sizeof(struct tm));
    tm.tm_year = from / 10000 - 1900;
    tm.tm_mon = from / 100 % 100 - 1;
    tm.tm_mday = from % 100;
    tm.tm_hour = 12;
    local = timegm(&tm);

    for (d = 0; d < days; d++) {
        time_t  t = local + (time_t) d * 86400;

        gmtime_r(&t, &tm);

        n = mado_day_spans(&o, ctr, tm.tm_year + 1900, tm.tm_mon + 1,
                           tm.tm_mday, spans, &why);

        snprintf(date, sizeof(date), "%04d-%02d-%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);

        len = 0;
        hours[0] = '\0';

        for (k = 0; k < n; k++) {
            len += snprintf(hours + len, sizeof(hours) - len,
                            "%s%02u:%02u-%02u:%02u", k ? "," : "",
                            spans[k].open / 60u, spans[k].open % 60u,
                            spans[k].close / 60u, spans[k].close % 60u);
        }

        if (!json) {
            printf("%s (%s) %s%s%s\n", date, wdays[tm.tm_wday],
                   n ? hours : "closed", why ? " " : "", why ? why : "");
            continue;
        }

        yajl_gen_map_open(g);
        mado_gen_str(g, "date");
        mado_gen_str(g, date);
        mado_gen_str(g, "hours");
        mado_gen_str(g, hours);
        mado_gen_str(g, "note");

        if (why != NULL) {
            mado_gen_str(g, why);
        } else {
            yajl_gen_null(g);
        }

        yajl_gen_map_close(g);
    }

    mado_office_free(&o);

    if (!json) {
        return MC_EXIT_OK;
    }

    yajl_gen_array_close(g);

    return mc_json_print(g);
}
