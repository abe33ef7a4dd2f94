
/*
 * mado: the sections of an office's page below its counters: quieter
 * offices nearby, "my ticket", the week's trends and the opening hours.
 */


#include "ngx_http_mado_html.h"


static void h_spans(ngx_http_mado_html_t *h, mado_office_def_t *o,
    ngx_uint_t wday);
static void h_trend_week(ngx_http_mado_html_t *h, mado_forecast_t *f,
    ngx_uint_t i, mado_i18n_t *name, ngx_uint_t from, ngx_uint_t to);
static void h_week_caption(ngx_http_mado_html_t *h, mado_i18n_t *name);


/*
 * For a service any office does: neighbours where it is open and the
 * wait is shorter than here, quietest first (at most three).
 */
void
h_suggest(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    int64_t                    here, w, best[3];
    ngx_str_t                  id;
    ngx_uint_t                 i, k, n, j, nb;
    ngx_http_mado_var_t        var;
    mado_counter_state_t      *st;
    const mado_counter_def_t  *c, *nc;
    ngx_http_mado_office_t    *o, *pick[3];
    ngx_uint_t                 pick_c[3];

    for (i = 0; i < office->def.ncounters; i++) {
        c = &office->def.counters[i];

        if (!c->any_office) {
            continue;
        }

        here = mado_wait_minutes(c, &office->states[i]);
        n = 0;

        for (nb = 0; nb < office->def.nneighbours; nb++) {
            id.data = (u_char *) office->def.neighbours[nb];
            id.len = ngx_strlen(id.data);

            o = ngx_http_mado_snapshot_office(h->snap, &id);
            if (o == NULL) {
                continue;
            }

            for (k = 0; k < o->def.ncounters; k++) {
                nc = &o->def.counters[k];
                st = &o->states[k];

                if (ngx_strcmp(nc->id, c->id) != 0 || o->stale[k]) {
                    continue;
                }

                w = mado_wait_minutes(nc, st);

                /* open, and quieter than here (or here is not open) */
                if (w < 0 || (here >= 0 && w >= here)) {
                    break;
                }

                /* insert in order of wait */
                for (j = n; j > 0 && best[j - 1] > w; j--) {
                    if (j < 3) {
                        best[j] = best[j - 1];
                        pick[j] = pick[j - 1];
                        pick_c[j] = pick_c[j - 1];
                    }
                }

                if (j < 3) {
                    best[j] = w;
                    pick[j] = o;
                    pick_c[j] = k;
                    if (n < 3) {
                        n++;
                    }
                }

                break;
            }
        }

        if (n == 0) {
            continue;
        }

        h_lit(h, "<section class=\"suggest\" aria-labelledby=\"suggest-");
        h_cstr(h, c->id);
        h_lit(h, "\"><h2 id=\"suggest-");
        h_cstr(h, c->id);
        h_lit(h, "\">");
        h_msg(h, SUGGEST_TITLE);
        h_lit(h, "</h2><p>");

        var.name = "counter";
        var.value.data = (u_char *) c->name.text[h->lang]
                         ? (u_char *) c->name.text[h->lang]
                         : (u_char *) c->name.text[MADO_LANG_JA];
        var.value.len = ngx_strlen(var.value.data);
        h_fmt(h, NGX_HTTP_MADO_MSG_SUGGEST_TEXT, &var, 1);
        h_lit(h, "</p><ul>");

        for (j = 0; j < n; j++) {
            h_lit(h, "<li><a href=\"/");
            h_esc_str(h, &pick[j]->id);
            h_lit(h, "?lang=");
            h_cstr(h, mado_lang_codes[h->lang]);
            h_lit(h, "\">");
            h_name(h, &pick[j]->def.name);
            h_lit(h, "</a> ");
            h_wait(h, &pick[j]->def.counters[pick_c[j]],
                   &pick[j]->states[pick_c[j]]);
            h_lit(h, "</li>");
        }

        h_lit(h, "</ul></section>");
    }
}


void
h_myticket(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    ngx_uint_t  i;

    static const char *const  distances[] = { "1", "2", "3", "5", "10" };

    /*
     * Hidden until the script shows it: it all runs in the browser, and a
     * form submitted without the script would put the ticket number in a
     * URL, i.e. in the server's logs.
     */
    h_lit(h, "<section class=\"myticket\" aria-labelledby=\"myticket-h\" "
          "hidden>"
          "<h2 id=\"myticket-h\">");
    h_msg(h, MYTICKET_TITLE);
    h_lit(h, "</h2><p>");
    h_msg(h, MYTICKET_LEAD);
    h_lit(h, "</p><form class=\"myticket-form\" action=\"#\" method=\"get\">"
          "<p><label for=\"mt-counter\">");
    h_msg(h, MYTICKET_COUNTER);
    h_lit(h, "</label><select id=\"mt-counter\" name=\"counter\">");

    /*
     * Each counter's numbers and the last issued, for the script to tell
     * a number not issued yet from one called (until its first refresh:
     * then the API's figures)
     */
    for (i = 0; i < office->def.ncounters; i++) {
        h_lit(h, "<option value=\"");
        h_cstr(h, office->def.counters[i].id);
        h_lit(h, "\" data-first=\"");
        h_num(h, office->def.counters[i].ticket_first);
        h_lit(h, "\" data-last=\"");
        h_num(h, office->def.counters[i].ticket_last);
        h_lit(h, "\" data-issued=\"");
        h_num(h, office->states[i].last_issued);
        h_lit(h, "\">");
        h_name(h, &office->def.counters[i].name);
        h_lit(h, "</option>");
    }

    h_lit(h, "</select></p><p><label for=\"mt-ticket\">");
    h_msg(h, MYTICKET_NUMBER);
    h_lit(h, "</label><input id=\"mt-ticket\" name=\"ticket\" type=\"number\" "
          "inputmode=\"numeric\" min=\"1\" max=\"9999\" autocomplete=\"off\">"
          "</p><p><label for=\"mt-distance\">");
    h_msg(h, MYTICKET_DISTANCE);
    h_lit(h, "</label><select id=\"mt-distance\" name=\"distance\">");

    for (i = 0; i < sizeof(distances) / sizeof(distances[0]); i++) {
        h_lit(h, "<option value=\"");
        h_cstr(h, distances[i]);
        h_lit(h, "\"");

        if (i == 2) {
            h_lit(h, " selected");
        }

        h_lit(h, ">");
        h_cstr(h, distances[i]);
        h_lit(h, "</option>");
    }

    h_lit(h, "</select></p><p class=\"buttons\"><button type=\"submit\">");
    h_msg(h, MYTICKET_SET);
    h_lit(h, "</button> <button type=\"button\" class=\"myticket-clear\">");
    h_msg(h, MYTICKET_CLEAR);
    /* not a live region: mado.js announces what matters in #mado-live */
    h_lit(h, "</button></p></form><p class=\"myticket-status\"></p>"
          "</section>");
}


void
h_hours(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    ngx_uint_t  d, today;

    today = (ngx_uint_t) (((h->snap->now + MADO_TZ_OFFSET) / 86400 + 4) % 7);

    h_lit(h, "<section class=\"hours\" aria-labelledby=\"hours-h\">"
          "<h2 id=\"hours-h\">");
    h_msg(h, HOURS_TITLE);
    h_lit(h, "</h2><p class=\"today-hours\">");

    if (office->def.nspans[today] == 0) {
        h_msg(h, HOURS_CLOSED_TODAY);
    } else {
        h_spans(h, &office->def, today);
    }

    h_lit(h, "</p><table><caption>");
    h_msg(h, HOURS_WEEK_TITLE);
    h_lit(h, "</caption><tbody>");

    /* Monday first, as Japanese office notices list them */
    for (d = 1; d <= 7; d++) {
        h_lit(h, "<tr");

        if (d % 7 == today) {
            h_lit(h, " class=\"today\"");
        }

        h_lit(h, "><th scope=\"row\">");
        h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + d % 7]);
        h_lit(h, "</th><td>");

        if (office->def.nspans[d % 7] == 0) {
            h_msg(h, UNKNOWN);
        } else {
            h_spans(h, &office->def, d % 7);
        }

        h_lit(h, "</td></tr>");
    }

    h_lit(h, "</tbody></table></section>");
}


static void
h_spans(ngx_http_mado_html_t *h, mado_office_def_t *o, ngx_uint_t wday)
{
    u_char      buf[16];
    ngx_uint_t  k;

    for (k = 0; k < o->nspans[wday]; k++) {
        if (k) {
            h_lit(h, ", ");
        }

        h_raw(h, buf, ngx_sprintf(buf, "%02ui:%02ui–%02ui:%02ui",
                                  (ngx_uint_t) o->hours[wday][k].open / 60,
                                  (ngx_uint_t) o->hours[wday][k].open % 60,
                                  (ngx_uint_t) o->hours[wday][k].close / 60,
                                  (ngx_uint_t) o->hours[wday][k].close % 60)
                      - buf);
    }
}


/* average people waiting of a cell or an hour, in tenths; -1: no data */
static ngx_int_t
h_tenths(uint64_t sum, uint32_t n)
{
    return n ? (ngx_int_t) ((sum * 10 + n / 2) / n) : -1;
}


static void
h_tenths_text(ngx_http_mado_html_t *h, ngx_int_t v)
{
    u_char  buf[32];

    if (v < 0) {
        h_msg(h, UNKNOWN);
        return;
    }

    h_raw(h, buf, ngx_sprintf(buf, "%i.%i", v / 10, v % 10) - buf);
}


#define NGX_HTTP_MADO_CHART_W   320
#define NGX_HTTP_MADO_CHART_H   110
#define NGX_HTTP_MADO_CHART_X0  24      /* left of the plot: the scale */
#define NGX_HTTP_MADO_CHART_Y1  90      /* bottom of the plot: the hours */
#define NGX_HTTP_MADO_WEEK_X0   60      /* the week: after the day names */


/*
 * Per counter: a bar chart of the people waiting hour by hour, a usual
 * day of this weekday beside today, with the same figures as a table for
 * screen readers; then the whole week as small bar charts.
 */
void
h_trends(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office,
    mado_forecast_t *f, mado_day_t *today)
{
    u_char               buf[64], nbuf[2][NGX_INT64_LEN];
    ngx_int_t            usual[24], now_v[24], max, v;
    ngx_uint_t           i, hr, wd, from, to, n, any, slot, x, bh;
    ngx_http_mado_var_t  var[2];
    mado_office_def_t   *o = &office->def;
    mado_date_t          d = today->date;

    wd = (ngx_uint_t) mado_weekday(d / 10000, d / 100 % 100, d % 100);

    /* the hours the office opens on any weekday */
    from = 23;
    to = 0;

    for (i = 0; i < 7; i++) {
        for (n = 0; n < o->nspans[i]; n++) {
            if ((ngx_uint_t) o->hours[i][n].open / 60 < from) {
                from = o->hours[i][n].open / 60;
            }
            if ((ngx_uint_t) (o->hours[i][n].close + 59) / 60 > to) {
                to = (o->hours[i][n].close + 59) / 60;
            }
        }
    }

    if (to <= from) {
        return;
    }

    var[0].name = "weekday";
    var[0].value = h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + wd];
    var[1].name = "weeks";
    var[1].value.data = nbuf[0];
    var[1].value.len = ngx_sprintf(nbuf[0], "%uD", f->weeks) - nbuf[0];

    h_lit(h, "<section class=\"trends\" aria-labelledby=\"trends-h\">"
          "<h2 id=\"trends-h\">");
    h_msg(h, TREND_TITLE);
    h_lit(h, "</h2>");

    /* a weekday the office is closed has no usual day to compare with */
    for (i = 0, any = 0; i < o->ncounters && !any; i++) {
        for (hr = from; hr < to; hr++) {
            if (f->counters[i].cells[wd][hr].samples
                || today->counters[i].hours[hr].samples)
            {
                any = 1;
                break;
            }
        }
    }

    if (any) {
        h_lit(h, "<p>");
        h_fmt(h, NGX_HTTP_MADO_MSG_TREND_LEAD, var, 2);
        h_lit(h, "</p><p class=\"legend\" aria-hidden=\"true\">"
              "<span class=\"key usual\"></span>");
        h_fmt(h, NGX_HTTP_MADO_MSG_TREND_USUAL, var, 1);
        h_lit(h, " <span class=\"key today\"></span>");
        h_msg(h, TREND_TODAY);
        h_lit(h, "</p>");
    }

    for (i = 0; i < o->ncounters; i++) {
        max = 10;
        any = 0;

        for (hr = from; hr < to; hr++) {
            mado_cell_t  *c = &f->counters[i].cells[wd][hr];
            mado_hour_t  *t = &today->counters[i].hours[hr];

            usual[hr] = h_tenths(c->waiting_sum, c->samples);
            now_v[hr] = h_tenths(t->waiting_sum, t->samples);

            if (usual[hr] > max) { max = usual[hr]; }
            if (now_v[hr] > max) { max = now_v[hr]; }
            if (usual[hr] >= 0 || now_v[hr] >= 0) { any = 1; }
        }

        h_lit(h, "<figure class=\"trend\"><figcaption>");
        h_name(h, &o->counters[i].name);
        h_lit(h, "</figcaption>");

        if (!any) {
            /* a day the office is closed, or no history yet */
            h_lit(h, "<p class=\"none\">");
            h_msg(h, TREND_NONE);
            h_lit(h, "</p>");
            h_trend_week(h, f, i, &o->counters[i].name, from, to);
            h_lit(h, "</figure>");
            continue;
        }

        /* the table is the chart's text: the picture is hidden from
           screen readers rather than described twice */
        h_raw(h, buf, ngx_sprintf(buf, "<svg viewBox=\"0 0 %d %d\" "
                                  "aria-hidden=\"true\" focusable=\"false\">",
                                  NGX_HTTP_MADO_CHART_W,
                                  NGX_HTTP_MADO_CHART_H) - buf);

        /* the scale: 0 and the top */
        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%d\" y=\"%d\" "
                                  "class=\"scale\">0</text>",
                                  NGX_HTTP_MADO_CHART_X0 - 4,
                                  NGX_HTTP_MADO_CHART_Y1) - buf);
        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%d\" y=\"12\" "
                                  "class=\"scale\">%i</text>",
                                  NGX_HTTP_MADO_CHART_X0 - 4,
                                  (max + 9) / 10) - buf);

        slot = (NGX_HTTP_MADO_CHART_W - NGX_HTTP_MADO_CHART_X0) / (to - from);

        for (hr = from; hr < to; hr++) {
            x = NGX_HTTP_MADO_CHART_X0 + (hr - from) * slot;

            for (n = 0; n < 2; n++) {
                v = n ? now_v[hr] : usual[hr];

                if (v <= 0) {
                    continue;
                }

                bh = (ngx_uint_t) (v * 80 / ((max + 9) / 10 * 10));
                if (bh == 0) {
                    bh = 1;
                }

                h_raw(h, buf, ngx_sprintf(buf, "<rect class=\"%s\" x=\"%ui\" "
                                          "y=\"%ui\" width=\"%ui\" "
                                          "height=\"%ui\"/>",
                                          n ? "today" : "usual",
                                          x + 2 + n * (slot - 4) / 2,
                                          NGX_HTTP_MADO_CHART_Y1 - bh,
                                          (slot - 4) / 2, bh) - buf);
            }

            h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%ui\" y=\"%d\" "
                                      "class=\"hour\">%ui</text>",
                                      x + slot / 2,
                                      NGX_HTTP_MADO_CHART_Y1 + 14, hr)
                          - buf);
        }

        h_lit(h, "</svg><table class=\"visually-hidden\"><caption>");
        h_name(h, &o->counters[i].name);
        h_lit(h, "</caption><thead><tr><th scope=\"col\">");
        h_msg(h, TREND_HOUR);
        h_lit(h, "</th><th scope=\"col\">");
        h_fmt(h, NGX_HTTP_MADO_MSG_TREND_USUAL, var, 1);
        h_lit(h, "</th><th scope=\"col\">");
        h_msg(h, TREND_TODAY);
        h_lit(h, "</th></tr></thead><tbody>");

        for (hr = from; hr < to; hr++) {
            h_raw(h, buf, ngx_sprintf(buf, "<tr><th scope=\"row\">%ui:00"
                                      "</th><td>", hr) - buf);
            h_tenths_text(h, usual[hr]);
            h_lit(h, "</td><td>");
            h_tenths_text(h, now_v[hr]);
            h_lit(h, "</td></tr>");
        }

        h_lit(h, "</tbody></table>");

        h_trend_week(h, f, i, &o->counters[i].name, from, to);

        h_lit(h, "</figure>");
    }

    h_lit(h, "</section>");
}


/* the week table's caption: the counter's name and what the cells are */
static void
h_week_caption(ngx_http_mado_html_t *h, mado_i18n_t *name)
{
    ngx_http_mado_var_t  var;

    var.name = "counter";
    var.value.data = (u_char *) (name->text[h->lang]
                                 ? name->text[h->lang]
                                 : name->text[MADO_LANG_JA]);
    var.value.len = ngx_strlen(var.value.data);

    h_lit(h, "<caption>");
    h_fmt(h, NGX_HTTP_MADO_MSG_TREND_WEEK_CAPTION, &var, 1);
    h_lit(h, "</caption>");
}


/* the usual week of counter i: a row of bars per weekday with data */
static void
h_trend_week(ngx_http_mado_html_t *h, mado_forecast_t *f, ngx_uint_t i,
    mado_i18n_t *name, ngx_uint_t from, ngx_uint_t to)
{
    u_char               buf[128], nbuf[NGX_INT64_LEN];
    ngx_int_t            v, max;
    ngx_uint_t           k, wd, hr, rows, row, slot, x, bh, has[7];
    ngx_http_mado_var_t  var;

    max = 10;
    rows = 0;

    /* Monday first, as Japanese calendars at offices are */
    for (k = 0; k < 7; k++) {
        wd = (k + 1) % 7;
        has[wd] = 0;

        for (hr = from; hr < to; hr++) {
            v = h_tenths(f->counters[i].cells[wd][hr].waiting_sum,
                         f->counters[i].cells[wd][hr].samples);
            if (v >= 0) {
                has[wd] = 1;
            }
            if (v > max) {
                max = v;
            }
        }

        rows += has[wd];
    }

    if (rows == 0) {
        return;
    }

    var.name = "weeks";
    var.value.data = nbuf;
    var.value.len = ngx_sprintf(nbuf, "%uD", f->weeks) - nbuf;

    h_lit(h, "<details class=\"week\"><summary>");
    h_fmt(h, NGX_HTTP_MADO_MSG_TREND_WEEK_TITLE, &var, 1);
    h_lit(h, "</summary>");

    /* room on the left for the longest weekday name ("Wednesday") */
    slot = (NGX_HTTP_MADO_CHART_W - NGX_HTTP_MADO_WEEK_X0) / (to - from);

    h_raw(h, buf, ngx_sprintf(buf, "<svg viewBox=\"0 0 %d %ui\" "
                              "aria-hidden=\"true\" focusable=\"false\">",
                              NGX_HTTP_MADO_CHART_W, rows * 24 + 16) - buf);

    for (k = 0, row = 0; k < 7; k++) {
        wd = (k + 1) % 7;

        if (!has[wd]) {
            continue;
        }

        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"0\" y=\"%ui\" "
                                  "class=\"day\">", row * 24 + 18) - buf);
        h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + wd]);
        h_lit(h, "</text>");

        for (hr = from; hr < to; hr++) {
            v = h_tenths(f->counters[i].cells[wd][hr].waiting_sum,
                         f->counters[i].cells[wd][hr].samples);

            if (v <= 0) {
                continue;
            }

            x = NGX_HTTP_MADO_WEEK_X0 + (hr - from) * slot;
            bh = (ngx_uint_t) (v * 20 / max);
            if (bh == 0) {
                bh = 1;
            }

            h_raw(h, buf, ngx_sprintf(buf, "<rect class=\"week\" x=\"%ui\" "
                                      "y=\"%ui\" width=\"%ui\" "
                                      "height=\"%ui\"/>", x + 3,
                                      row * 24 + 22 - bh, slot - 6, bh)
                          - buf);
        }

        row++;
    }

    for (hr = from; hr < to; hr++) {
        h_raw(h, buf, ngx_sprintf(buf, "<text x=\"%ui\" y=\"%ui\" "
                                  "class=\"hour\">%ui</text>",
                                  NGX_HTTP_MADO_WEEK_X0 + (hr - from) * slot
                                  + slot / 2, rows * 24 + 14, hr) - buf);
    }

    h_lit(h, "</svg><table class=\"week-table\">");
    h_week_caption(h, name);
    h_lit(h, "<thead><tr><td></td>");

    for (hr = from; hr < to; hr++) {
        h_raw(h, buf, ngx_sprintf(buf, "<th scope=\"col\">%ui</th>", hr)
                      - buf);
    }

    h_lit(h, "</tr></thead><tbody>");

    for (k = 0; k < 7; k++) {
        wd = (k + 1) % 7;

        if (!has[wd]) {
            continue;
        }

        h_lit(h, "<tr><th scope=\"row\">");
        h_esc_str(h, &h->msg[NGX_HTTP_MADO_MSG_WEEKDAY_0 + wd]);
        h_lit(h, "</th>");

        for (hr = from; hr < to; hr++) {
            h_lit(h, "<td>");
            h_tenths_text(h, h_tenths(f->counters[i].cells[wd][hr].waiting_sum,
                                      f->counters[i].cells[wd][hr].samples));
            h_lit(h, "</td>");
        }

        h_lit(h, "</tr>");
    }

    h_lit(h, "</tbody></table></details>");
}


/*
 * Signage: the office page's QR code (/{office}/qr.svg, the public URL)
 * with a caption and the address to type, for people in the lobby to
 * follow the queue on their phones.
 */
void
h_signage_qr(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    u_char     *p, *end;
    ngx_str_t  *url;

    url = &h->site->public_url;
    end = url->data + url->len;

    /* the address without its scheme: shorter to read and to type */
    p = ngx_strlcasestrn(url->data, end, (u_char *) "://", 3 - 1);
    p = (p == NULL) ? url->data : p + 3;

    h_lit(h, "<figure class=\"signage-qr\"><img src=\"/");
    h_esc_str(h, &office->id);
    h_lit(h, "/qr.svg\" width=\"160\" height=\"160\" alt=\"");
    h->plain = 1;      /* an attribute: ja-easy readings in brackets */
    h_msg(h, SIGNAGE_QR_ALT);
    h->plain = 0;
    h_lit(h, "\"><figcaption>");
    h_msg(h, SIGNAGE_QR_CAPTION);
    h_lit(h, " <span class=\"qr-url\">");
    h_esc(h, p, end - p);
    h_lit(h, "/");
    h_esc_str(h, &office->id);
    h_lit(h, "</span></figcaption></figure>");
}


/* Office page: the same QR code, to print and post at the office */
void
h_qr_link(ngx_http_mado_html_t *h, ngx_http_mado_office_t *office)
{
    h_lit(h, "<p class=\"links qr-link\"><a href=\"/");
    h_esc_str(h, &office->id);
    h_lit(h, "/qr.svg\">");
    h_msg(h, NAV_QR);
    h_lit(h, "</a></p>");
}
