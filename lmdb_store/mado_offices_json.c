/*
 * An office definition as canonical JSON: what the store keeps of it,
 * read back by mado_office_parse() (mado_offices_parse.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "mado_store.h"


static void
mado_gen_dates(yajl_gen g, const mado_date_t *dates, unsigned n)
{
    unsigned  i;

    if (n == 0) {
        return;
    }

    mado_gen_str(g, "closed_dates");
    yajl_gen_array_open(g);

    for (i = 0; i < n; i++) {
        mado_gen_date(g, NULL, dates[i]);
    }

    yajl_gen_array_close(g);
}


char *
mado_office_to_json(const mado_office_def_t *o, size_t *len)
{
    char                  *out, buf[64];
    size_t                 blen;
    unsigned               i, d, n;
    yajl_gen               g;
    const unsigned char   *p;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NULL;
    }

    yajl_gen_map_open(g);

    mado_gen_str(g, "id");
    mado_gen_str(g, o->id);
    mado_gen_str(g, "kind");
    mado_gen_str(g, o->kind);
    mado_gen_i18n(g, "name", &o->name);

    if (o->address.text[MADO_LANG_JA] != NULL) {
        mado_gen_i18n(g, "address", &o->address);
    }

    if (o->phone != NULL) {
        mado_gen_str(g, "phone");
        mado_gen_str(g, o->phone);
    }

    if (o->map_url != NULL) {
        mado_gen_str(g, "map_url");
        mado_gen_str(g, o->map_url);
    }

    mado_gen_str(g, "neighbours");
    yajl_gen_array_open(g);
    for (i = 0; i < o->nneighbours; i++) {
        mado_gen_str(g, o->neighbours[i]);
    }
    yajl_gen_array_close(g);

    mado_gen_hours(g, o);

    mado_gen_str(g, "holidays");
    yajl_gen_bool(g, !o->open_on_holidays);

    mado_gen_dates(g, o->closed, o->nclosed);

    if (o->alert_wait) {
        mado_gen_str(g, "alert_wait_minutes");
        yajl_gen_integer(g, o->alert_wait);
    }

    if (o->nopen) {
        mado_gen_str(g, "open_dates");
        yajl_gen_map_open(g);

        for (i = 0; i < o->nopen; i++) {
            mado_gen_date(g, NULL, o->open[i].date);
            mado_gen_spans(g, o->open[i].spans, o->open[i].nspans);
        }

        yajl_gen_map_close(g);
    }

    mado_gen_str(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < o->ncounters; i++) {
        yajl_gen_map_open(g);
        mado_gen_str(g, "id");
        mado_gen_str(g, o->counters[i].id);
        mado_gen_i18n(g, "name", &o->counters[i].name);
        mado_gen_dates(g, o->counters[i].closed, o->counters[i].nclosed);

        if (o->counters[i].njam) {
            mado_gen_str(g, "jam_messages");
            yajl_gen_array_open(g);

            for (d = 0; d < o->counters[i].njam; d++) {
                yajl_gen_map_open(g);
                mado_gen_str(g, "from");
                yajl_gen_integer(g, o->counters[i].jam[d].from);
                mado_gen_i18n(g, "text", &o->counters[i].jam[d].text);
                yajl_gen_map_close(g);
            }

            yajl_gen_array_close(g);
        }

        if (o->counters[i].reception_ends) {
            n = snprintf(buf, sizeof(buf), "%02u:%02u",
                         o->counters[i].reception_ends / 60u,
                         o->counters[i].reception_ends % 60u);
            mado_gen_str(g, "reception_ends");
            yajl_gen_string(g, (const unsigned char *) buf, n);
        }
        mado_gen_str(g, "minutes_per_person");
        n = snprintf(buf, sizeof(buf), "%g",
                     o->counters[i].seconds_per_person / 60.0);
        yajl_gen_number(g, buf, n);
        mado_gen_str(g, "levels");
        yajl_gen_array_open(g);
        for (d = 0; d < MADO_NLEVELS - 1; d++) {
            yajl_gen_integer(g, o->counters[i].levels[d]);
        }
        yajl_gen_array_close(g);

        if (o->counters[i].any_office) {
            mado_gen_str(g, "any_office");
            yajl_gen_bool(g, 1);
        }

        if (o->counters[i].service_url != NULL) {
            mado_gen_str(g, "service_url");
            mado_gen_str(g, o->counters[i].service_url);
        }

        if (o->counters[i].ncodes) {
            mado_gen_str(g, "business_codes");
            yajl_gen_array_open(g);
            for (d = 0; d < o->counters[i].ncodes; d++) {
                mado_gen_str(g, o->counters[i].codes[d]);
            }
            yajl_gen_array_close(g);
        }

        if (o->counters[i].ticket_first != 1
            || o->counters[i].ticket_last != MADO_COUNT_MAX)
        {
            mado_gen_str(g, "ticket_range");
            yajl_gen_array_open(g);
            yajl_gen_integer(g, o->counters[i].ticket_first);
            yajl_gen_integer(g, o->counters[i].ticket_last);
            yajl_gen_array_close(g);
        }
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);

    /* merged with the top-level ones: the record stands alone */
    if (o->nnotices) {
        mado_gen_str(g, "notices");
        yajl_gen_array_open(g);

        for (i = 0; i < o->nnotices; i++) {
            yajl_gen_map_open(g);
            mado_gen_str(g, "id");
            mado_gen_str(g, o->notices[i].id);
            mado_gen_i18n(g, "text", &o->notices[i].text);
            yajl_gen_map_close(g);
        }

        yajl_gen_array_close(g);
    }

    yajl_gen_map_close(g);

    if (yajl_gen_get_buf(g, &p, &blen) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return NULL;
    }

    out = malloc(blen + 1);
    if (out != NULL) {
        memcpy(out, p, blen);
        out[blen] = '\0';
        *len = blen;
    }

    yajl_gen_free(g);

    return out;
}
