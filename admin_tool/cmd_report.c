/*
 * madoctl report: an office's history per day and hour, as CSV for
 * spreadsheets or as printable HTML (A4, a page per day) for the city's
 * monthly review.  The figures are those of the history API
 * (mado_history_day), so a report and the open data never disagree.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "madoctl.h"


#define MC_REPORT_DAYS_MAX  366


typedef struct {
    uint32_t            issued, served, cancelled, waits;
    int64_t             wait_sum;
    int32_t             wait_max;
    int                 peak;           /* hour with most issued; -1 */
} mc_total_t;


static void mc_report_total(const mado_counter_day_t *cd, mc_total_t *t);
static void mc_report_html_head(const mado_office_def_t *o, mado_date_t from,
    mado_date_t to);
static void mc_report_html_day(const mado_office_def_t *o,
    const mado_day_t *d);
static void mc_html(const char *s);
static void mc_minutes(FILE *f, int64_t sum, uint32_t n, const char *none);


int
mc_cmd_report(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, html;
    long                         day, first, last;
    MDB_txn                     *txn;
    mado_day_t                   d;
    mado_err_t                   err;
    mado_date_t                  from, to, date;
    const char                  *office, *sfrom, *sto, *format;
    mado_store_t                 s;
    mado_office_def_t            o;
    static const struct option   opts[] = {
        { "office", required_argument, NULL, 'o' },
        { "from",   required_argument, NULL, 'f' },
        { "to",     required_argument, NULL, 't' },
        { "format", required_argument, NULL, 'F' },
        { "help",   no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    office = sfrom = sto = format = NULL;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'o': office = optarg; break;
        case 'f': sfrom = optarg; break;
        case 't': sto = optarg; break;
        case 'F': format = optarg; break;

        case 'h':
            return mc_help("report");

        default:
            return mc_getopt_error("report", c, argv);
        }
    }

    if ((rc = mc_args("report", argc, argv, (const char *const []) { NULL },
                      0))
        != MC_EXIT_OK)
    {
        return rc;
    }

    if (office == NULL || sfrom == NULL || sto == NULL) {
        return mc_usage_error("report", "--office, --from and --to are "
                              "required");
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    if (mc_check_id("--office", office) != MC_EXIT_OK) {
        return MC_EXIT_REFUSED;
    }

    from = mado_date_parse(sfrom);
    if (from < 0) {
        mc_error("--from: must be a date as YYYY-MM-DD, not \"%s\"", sfrom);
        return MC_EXIT_REFUSED;
    }

    to = mado_date_parse(sto);
    if (to < 0) {
        mc_error("--to: must be a date as YYYY-MM-DD, not \"%s\"", sto);
        return MC_EXIT_REFUSED;
    }

    first = mado_days_from_civil(from / 10000, from / 100 % 100, from % 100);
    last = mado_days_from_civil(to / 10000, to / 100 % 100, to % 100);

    if (last < first) {
        mc_error("--to: %s is before --from %s", sto, sfrom);
        return MC_EXIT_REFUSED;
    }

    if (last - first >= MC_REPORT_DAYS_MAX) {
        mc_error("--to: at most %d days in one report", MC_REPORT_DAYS_MAX);
        return MC_EXIT_REFUSED;
    }

    html = 0;

    if (format == NULL || strcmp(format, "csv") == 0) {
        html = 0;

    } else if (strcmp(format, "html") == 0) {
        html = 1;

    } else {
        mc_error("--format: must be csv or html, not \"%s\"", format);
        return MC_EXIT_REFUSED;
    }

    rc = mc_store_open(ctx, &s, MADO_OPEN_RDONLY);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    rc = mado_store_read_begin(&s, &txn, &err);
    if (rc != MADO_OK) {
        mado_store_close(&s);
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    memset(&o, 0, sizeof(o));
    rc = mado_office_get(&s, txn, office, &o, &err);

    if (rc != MADO_OK) {
        mdb_txn_abort(txn);
        mado_store_close(&s);

        if (rc == MADO_ENOTFOUND) {
            mc_error("--office: no office \"%s\"", office);
            return MC_EXIT_REFUSED;
        }

        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    if (html) {
        mc_report_html_head(&o, from, to);

    } else {
        mc_report_csv_head(stdout);
    }

    for (day = first; day <= last && rc == MADO_OK; day++) {
        /* civil date of a day number, by going through unix time */
        date = mado_local_date((int64_t) day * 86400);

        rc = mado_history_day(&s, txn, &o, date, ctx->now, &d, &err);

        if (rc == MADO_OK) {
            if (html) {
                mc_report_html_day(&o, &d);
            } else {
                mc_report_csv(stdout, &d);
            }
        }

        mado_day_free(&d);
    }

    if (html) {
        printf("</body>\n</html>\n");
    }

    mdb_txn_abort(txn);
    mado_office_free(&o);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    return MC_EXIT_OK;
}


static void
mc_report_total(const mado_counter_day_t *cd, mc_total_t *t)
{
    int       h;
    uint32_t  best = 0;

    memset(t, 0, sizeof(mc_total_t));
    t->peak = -1;

    for (h = 0; h < 24; h++) {
        const mado_hour_t  *hh = &cd->hours[h];

        t->issued += hh->issued;
        t->served += hh->served;
        t->cancelled += hh->cancelled;
        t->waits += hh->waits;
        t->wait_sum += hh->wait_sum;

        if (hh->waits && hh->wait_max > t->wait_max) {
            t->wait_max = hh->wait_max;
        }

        if (hh->issued > best) {
            best = hh->issued;
            t->peak = h;
        }
    }
}


static void
mc_minutes(FILE *f, int64_t sum, uint32_t n, const char *none)
{
    if (n == 0) {
        fputs(none, f);
        return;
    }

    fprintf(f, "%.1f", (double) sum / n / 60.0);
}


/* the CSV's header row; "madoctl export" writes the same to its files */
void
mc_report_csv_head(FILE *f)
{
    fprintf(f, "date,counter,hour,issued,served,cancelled,"
            "wait_avg_minutes,wait_max_minutes,peak_hour\r\n");
}


/* a day's rows */
void
mc_report_csv(FILE *f, const mado_day_t *d)
{
    int          h;
    unsigned     i;
    char         date[16];
    mc_total_t   t;

    snprintf(date, sizeof(date), "%04d-%02d-%02d", d->date / 10000,
             d->date / 100 % 100, d->date % 100);

    for (i = 0; i < d->ncounters; i++) {
        const mado_counter_day_t  *cd = &d->counters[i];

        for (h = 0; h < 24; h++) {
            const mado_hour_t  *hh = &cd->hours[h];

            if (!hh->issued && !hh->served && !hh->cancelled) {
                continue;
            }

            fprintf(f, "%s,%s,%d,%u,%u,%u,", date, cd->id, h, hh->issued,
                    hh->served, hh->cancelled);
            mc_minutes(f, hh->wait_sum, hh->waits, "");
            fputc(',', f);
            mc_minutes(f, hh->wait_max, hh->waits ? 1 : 0, "");
            fprintf(f, ",\r\n");
        }

        mc_report_total(cd, &t);

        if (t.issued || t.served || t.cancelled) {
            fprintf(f, "%s,%s,day,%u,%u,%u,", date, cd->id, t.issued,
                    t.served, t.cancelled);
            mc_minutes(f, t.wait_sum, t.waits, "");
            fputc(',', f);
            mc_minutes(f, t.wait_max, t.waits ? 1 : 0, "");
            fprintf(f, ",%d\r\n", t.peak);
        }
    }
}


static void
mc_html(const char *s)
{
    for ( /* void */ ; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        case '\'': fputs("&#39;", stdout); break;
        default: putchar(*s);
        }
    }
}


static void
mc_report_html_head(const mado_office_def_t *o, mado_date_t from,
    mado_date_t to)
{
    printf("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n"
           "<meta charset=\"utf-8\">\n<title>");
    mc_html(o->name.text[MADO_LANG_JA]);
    printf(" 窓口混雑状況報告 %04d-%02d-%02d〜%04d-%02d-%02d</title>\n",
           from / 10000, from / 100 % 100, from % 100,
           to / 10000, to / 100 % 100, to % 100);

    /* A4, a page per day; tables never split a row across pages */
    printf("<style>\n"
           "@page { size: A4; margin: 15mm; }\n"
           "body { font-family: \"Noto Sans CJK JP\", sans-serif; "
           "font-size: 10pt; color: #000; }\n"
           "h1 { font-size: 16pt; }\n"
           "section.day { break-before: page; }\n"
           "section.day:first-of-type { break-before: auto; }\n"
           "h2 { font-size: 13pt; border-bottom: 1px solid #000; }\n"
           "h3 { font-size: 11pt; margin: 1em 0 0.3em; }\n"
           "table { border-collapse: collapse; width: 100%%; "
           "break-inside: auto; }\n"
           "tr { break-inside: avoid; }\n"
           "th, td { border: 1px solid #666; padding: 2px 6px; "
           "text-align: right; }\n"
           "th:first-child, td:first-child { text-align: left; }\n"
           "thead { display: table-header-group; }\n"
           "tfoot td { font-weight: bold; }\n"
           "p.none { color: #444; }\n"
           "</style>\n</head>\n<body>\n<h1>");
    mc_html(o->name.text[MADO_LANG_JA]);
    printf(" 市民窓口課 窓口混雑状況報告<br>%04d年%d月%d日〜%04d年%d月%d日</h1>\n",
           from / 10000, from / 100 % 100, from % 100,
           to / 10000, to / 100 % 100, to % 100);
}


static void
mc_report_html_day(const mado_office_def_t *o, const mado_day_t *d)
{
    int          h, any;
    unsigned     i;
    mc_total_t   t;

    static const char *const  wd[7] = { "日", "月", "火", "水", "木", "金", "土" };

    printf("<section class=\"day\">\n<h2>%04d年%d月%d日（%s）</h2>\n",
           d->date / 10000, d->date / 100 % 100, d->date % 100,
           wd[mado_weekday(d->date / 10000, d->date / 100 % 100,
                           d->date % 100)]);

    any = 0;

    for (i = 0; i < d->ncounters; i++) {
        const mado_counter_day_t  *cd = &d->counters[i];

        mc_report_total(cd, &t);

        if (!t.issued && !t.served && !t.cancelled) {
            continue;
        }

        any = 1;

        printf("<h3>");
        mc_html(o->counters[i].name.text[MADO_LANG_JA]);
        printf("（混雑のピーク %d時台）</h3>\n", t.peak);
        printf("<table>\n<thead><tr><th scope=\"col\">時間帯</th>"
               "<th scope=\"col\">発券数</th><th scope=\"col\">呼出数</th>"
               "<th scope=\"col\">取消</th><th scope=\"col\">平均待ち（分）</th>"
               "<th scope=\"col\">最大待ち（分）</th></tr></thead>\n<tbody>\n");

        for (h = 0; h < 24; h++) {
            const mado_hour_t  *hh = &cd->hours[h];

            if (!hh->issued && !hh->served && !hh->cancelled) {
                continue;
            }

            printf("<tr><td>%d:00〜%d:59</td><td>%u</td><td>%u</td>"
                   "<td>%u</td><td>", h, h, hh->issued, hh->served,
                   hh->cancelled);
            mc_minutes(stdout, hh->wait_sum, hh->waits, "—");
            printf("</td><td>");
            mc_minutes(stdout, hh->wait_max, hh->waits ? 1 : 0, "—");
            printf("</td></tr>\n");
        }

        printf("</tbody>\n<tfoot><tr><td>計</td><td>%u</td><td>%u</td>"
               "<td>%u</td><td>", t.issued, t.served, t.cancelled);
        mc_minutes(stdout, t.wait_sum, t.waits, "—");
        printf("</td><td>");
        mc_minutes(stdout, t.wait_max, t.waits ? 1 : 0, "—");
        printf("</td></tr></tfoot>\n</table>\n");
    }

    if (!any) {
        printf("<p class=\"none\">この日の記録はありません（閉庁日など）。</p>\n");
    }

    printf("</section>\n");
}
