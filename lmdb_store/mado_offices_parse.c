/*
 * Office definitions from JSON.  One parser serves both offices.json (in
 * madoctl load) and the canonical records in the store (in the module;
 * mado_offices_json.c writes them), so what was validated on the way in
 * is exactly what is read back.  Errors name the JSON path.
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "mado_store.h"


static int mado_json_fail(mado_err_t *err, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));


static int
mado_json_fail(mado_err_t *err, const char *path, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (err != NULL) {
        n = snprintf(err->text, sizeof(err->text), "%s: ", path);
        if (n < 0 || (size_t) n >= sizeof(err->text)) {
            n = 0;
        }

        va_start(ap, fmt);
        vsnprintf(err->text + n, sizeof(err->text) - n, fmt, ap);
        va_end(ap);
    }

    return MADO_EINVAL;
}


/* refuse keys the schema does not know: a typo must not pass silently */
static int
mado_json_keys(yajl_val obj, const char *path, const char *const *known,
    mado_err_t *err)
{
    size_t  i, j, k;

    for (i = 0; i < obj->u.object.len; i++) {
        const char  *key = obj->u.object.keys[i];

        for (k = 0; known[k] != NULL; k++) {
            if (strcmp(known[k], key) == 0) {
                break;
            }
        }

        if (known[k] == NULL) {
            return mado_json_fail(err, path, "unknown key \"%s\"", key);
        }

        for (j = 0; j < i; j++) {
            if (strcmp(obj->u.object.keys[j], key) == 0) {
                return mado_json_fail(err, path, "duplicate key \"%s\"", key);
            }
        }
    }

    return MADO_OK;
}


static yajl_val
mado_json_get(yajl_val obj, const char *key)
{
    size_t  i;

    for (i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], key) == 0) {
            return obj->u.object.values[i];
        }
    }

    return NULL;
}


static int
mado_json_string(yajl_val obj, const char *key, const char *path,
    int required, size_t max, char **out, mado_err_t *err)
{
    size_t    len;
    yajl_val  v;

    *out = NULL;
    v = mado_json_get(obj, key);

    if (v == NULL) {
        if (required) {
            return mado_json_fail(err, path, "\"%s\" is required", key);
        }
        return MADO_OK;
    }

    if (!YAJL_IS_STRING(v)) {
        return mado_json_fail(err, path, "\"%s\" must be a string", key);
    }

    len = strlen(v->u.string);

    if (len > max) {
        return mado_json_fail(err, path, "\"%s\" is longer than %zu bytes",
                              key, max);
    }

    if (required && len == 0) {
        return mado_json_fail(err, path, "\"%s\" must not be empty", key);
    }

    *out = strdup(v->u.string);

    return *out ? MADO_OK : mado_json_fail(err, path, "out of memory");
}


/*
 * A link the citizen pages show as it is ("service_url", "map_url"):
 * https only, printable ASCII with no space, quote or angle bracket, so
 * that it can neither run script nor break out of an attribute.
 */
static int
mado_json_https(yajl_val obj, const char *key, const char *path, char **out,
    mado_err_t *err)
{
    int           rc;
    const char   *p;

    rc = mado_json_string(obj, key, path, 0, MADO_URL_MAX, out, err);

    if (rc != MADO_OK || *out == NULL) {
        return rc;
    }

    for (p = *out; *p != '\0'; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\''
            || *p == '<' || *p == '>' || *p == '\\' || *p == '`')
        {
            break;
        }
    }

    if (*p != '\0' || strncmp(*out, "https://", 8) != 0
        || (*out)[8] == '\0' || (*out)[8] == '/')
    {
        free(*out);
        *out = NULL;
        return mado_json_fail(err, path, "\"%s\" must be an https:// URL "
                              "with no spaces or quotes", key);
    }

    return MADO_OK;
}


static int
mado_json_id(yajl_val obj, const char *key, const char *path, char *out,
    mado_err_t *err)
{
    int    rc;
    char  *s;

    rc = mado_json_string(obj, key, path, 1, MADO_ID_MAX + 16, &s, err);
    if (rc != MADO_OK) {
        return rc;
    }

    if (!mado_valid_id(s, strlen(s))) {
        rc = mado_json_fail(err, path,
                            "\"%s\" must be 1-%d of a-z 0-9 - _, not \"%s\"",
                            key, MADO_ID_MAX, s);
        free(s);
        return rc;
    }

    strcpy(out, s);
    free(s);

    return MADO_OK;
}


static int
mado_json_i18n(yajl_val obj, const char *key, const char *path, int required,
    mado_i18n_t *out, mado_err_t *err)
{
    int       rc, l;
    char      sub[256];
    yajl_val  v;

    memset(out, 0, sizeof(mado_i18n_t));
    v = mado_json_get(obj, key);

    if (v == NULL) {
        if (required) {
            return mado_json_fail(err, path, "\"%s\" is required", key);
        }
        return MADO_OK;
    }

    snprintf(sub, sizeof(sub), "%s.%s", path, key);

    if (!YAJL_IS_OBJECT(v)) {
        return mado_json_fail(err, sub,
                              "must be an object of language: text");
    }

    rc = mado_json_keys(v, sub, mado_lang_codes, err);
    if (rc != MADO_OK) {
        return rc;
    }

    for (l = 0; l < MADO_NLANG; l++) {
        rc = mado_json_string(v, mado_lang_codes[l], sub,
                              l == MADO_LANG_JA || l == MADO_LANG_EN,
                              MADO_TEXT_MAX, &out->text[l], err);
        if (rc != MADO_OK) {
            return rc;
        }

        if (out->text[l] != NULL && out->text[l][0] == '\0') {
            free(out->text[l]);
            out->text[l] = NULL;
        }
    }

    return MADO_OK;
}


static void
mado_i18n_free(mado_i18n_t *t)
{
    int  l;

    for (l = 0; l < MADO_NLANG; l++) {
        free(t->text[l]);
        t->text[l] = NULL;
    }
}


/* "08:45-12:00,13:00-17:30" or "" (closed) */
static int
mado_parse_spans(const char *s, const char *path, mado_span_t *spans,
    unsigned *n, mado_err_t *err)
{
    unsigned     h1, m1, h2, m2;
    int          used;
    const char  *p;

    *n = 0;
    p = s;

    while (*p != '\0') {
        if (*n == MADO_SPANS_MAX) {
            return mado_json_fail(err, path, "more than %d opening spans",
                                  MADO_SPANS_MAX);
        }

        used = 0;
        if (sscanf(p, "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2, &used) != 4
            || used != 11 || h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59)
        {
            return mado_json_fail(err, path,
                                  "\"%s\" is not like \"08:45-17:30\"", s);
        }

        spans[*n].open = h1 * 60 + m1;
        spans[*n].close = h2 * 60 + m2;

        if (spans[*n].close <= spans[*n].open || spans[*n].close > 24 * 60
            || (*n > 0 && spans[*n].open < spans[*n - 1].close))
        {
            return mado_json_fail(err, path,
                                  "spans in \"%s\" must be increasing", s);
        }

        (*n)++;
        p += used;

        if (*p == ',') {
            p++;

        } else if (*p != '\0') {
            return mado_json_fail(err, path,
                                  "\"%s\" is not like \"08:45-17:30\"", s);
        }
    }

    return MADO_OK;
}


/* "closed_dates": ["2026-12-28", ...] */
static int
mado_json_dates(yajl_val obj, const char *path, mado_date_t *dates,
    unsigned *n, mado_err_t *err)
{
    char      sub[256];
    size_t    i, j;
    yajl_val  a, d;

    *n = 0;
    a = mado_json_get(obj, "closed_dates");

    if (a == NULL) {
        return MADO_OK;
    }

    snprintf(sub, sizeof(sub), "%s.closed_dates", path);

    if (!YAJL_IS_ARRAY(a)) {
        return mado_json_fail(err, sub, "must be an array of dates "
                              "like [\"2026-12-28\"]");
    }

    if (a->u.array.len > MADO_DATES_MAX) {
        return mado_json_fail(err, sub, "more than %d dates", MADO_DATES_MAX);
    }

    for (i = 0; i < a->u.array.len; i++) {
        d = a->u.array.values[i];
        snprintf(sub, sizeof(sub), "%s.closed_dates[%zu]", path, i);

        if (!YAJL_IS_STRING(d)
            || (dates[i] = mado_date_parse(d->u.string)) < 0)
        {
            return mado_json_fail(err, sub, "is not a date YYYY-MM-DD");
        }

        for (j = 0; j < i; j++) {
            if (dates[j] == dates[i]) {
                return mado_json_fail(err, sub, "is given twice");
            }
        }
    }

    *n = a->u.array.len;

    return MADO_OK;
}


/*
 * What a ticket machine needs: "business_codes" (the machine's 業務コード
 * that this counter serves) and "ticket_range" ([first, last]: numbers
 * wrap to first after last on busy days).
 */
static int
mado_parse_feed_rules(yajl_val v, const char *path, mado_counter_def_t *c,
    mado_err_t *err)
{
    size_t    i, k;
    yajl_val  m, e;

    c->ticket_first = 1;
    c->ticket_last = MADO_COUNT_MAX;

    m = mado_json_get(v, "ticket_range");

    if (m != NULL) {
        if (!YAJL_IS_ARRAY(m) || m->u.array.len != 2
            || !YAJL_IS_INTEGER(m->u.array.values[0])
            || !YAJL_IS_INTEGER(m->u.array.values[1])
            || YAJL_GET_INTEGER(m->u.array.values[0]) < 1
            || YAJL_GET_INTEGER(m->u.array.values[1]) > MADO_COUNT_MAX
            || YAJL_GET_INTEGER(m->u.array.values[0])
               >= YAJL_GET_INTEGER(m->u.array.values[1]))
        {
            return mado_json_fail(err, path, "\"ticket_range\" must be "
                                  "[first, last] with 1 <= first < last "
                                  "<= %d, like [1, 300]", MADO_COUNT_MAX);
        }

        c->ticket_first = (uint16_t) YAJL_GET_INTEGER(m->u.array.values[0]);
        c->ticket_last = (uint16_t) YAJL_GET_INTEGER(m->u.array.values[1]);
    }

    m = mado_json_get(v, "business_codes");

    if (m == NULL) {
        return MADO_OK;
    }

    if (!YAJL_IS_ARRAY(m) || m->u.array.len > MADO_CODES_MAX) {
        return mado_json_fail(err, path, "\"business_codes\" must be an "
                              "array of at most %d strings", MADO_CODES_MAX);
    }

    for (i = 0; i < m->u.array.len; i++) {
        e = m->u.array.values[i];

        if (!YAJL_IS_STRING(e) || !mado_code_valid(e->u.string)) {
            return mado_json_fail(err, path, "\"business_codes\"[%zu] must "
                                  "be 1..%d bytes of UTF-8 without commas, "
                                  "spaces at either end or control "
                                  "characters, like \"01\"", i,
                                  MADO_CODE_MAX);
        }

        for (k = 0; k < i; k++) {
            if (mado_code_eq(c->codes[k], e->u.string)) {
                return mado_json_fail(err, path, "\"business_codes\"[%zu] "
                                      "repeats \"%s\"", i, e->u.string);
            }
        }

        strcpy(c->codes[i], e->u.string);
        c->ncodes = i + 1;
    }

    return MADO_OK;
}


static int
mado_parse_counter(yajl_val v, const char *path, mado_counter_def_t *c,
    mado_err_t *err)
{
    int       rc;
    double    mpp;
    yajl_val  m;

    static const char *const  known[] = {
        "id", "name", "minutes_per_person", "levels", "closed_dates",
        "reception_ends", "jam_messages", "business_codes", "ticket_range",
        "any_office", "service_url", NULL
    };

    if (!YAJL_IS_OBJECT(v)) {
        return mado_json_fail(err, path, "must be an object");
    }

    if ((rc = mado_json_keys(v, path, known, err)) != MADO_OK
        || (rc = mado_json_id(v, "id", path, c->id, err)) != MADO_OK
        || (rc = mado_json_i18n(v, "name", path, 1, &c->name, err)) != MADO_OK
        || (rc = mado_json_dates(v, path, c->closed, &c->nclosed, err))
           != MADO_OK)
    {
        return rc;
    }

    m = mado_json_get(v, "minutes_per_person");

    if (m == NULL) {
        return mado_json_fail(err, path, "\"minutes_per_person\" is required");
    }

    if (!YAJL_IS_NUMBER(m)) {
        return mado_json_fail(err, path,
                              "\"minutes_per_person\" must be a number");
    }

    mpp = YAJL_GET_DOUBLE(m);

    if (!(mpp > 0 && mpp <= 240)) {
        return mado_json_fail(err, path,
                              "\"minutes_per_person\" must be more than 0 "
                              "and at most 240");
    }

    c->seconds_per_person = (uint32_t) lround(mpp * 60);

    m = mado_json_get(v, "reception_ends");

    if (m != NULL) {
        unsigned  hh, mm;
        int       used = 0;

        if (!YAJL_IS_STRING(m)
            || sscanf(m->u.string, "%2u:%2u%n", &hh, &mm, &used) != 2
            || used != 5 || m->u.string[5] != '\0' || hh > 23 || mm > 59
            || hh * 60 + mm == 0)
        {
            return mado_json_fail(err, path, "\"reception_ends\" must be a "
                                  "time like \"17:00\"");
        }

        c->reception_ends = (uint16_t) (hh * 60 + mm);
    }

    m = mado_json_get(v, "jam_messages");

    if (m != NULL) {
        size_t  i;
        char    sub[320];

        static const char *const  jam_known[] = { "from", "text", NULL };

        if (!YAJL_IS_ARRAY(m) || m->u.array.len > MADO_JAM_MAX) {
            return mado_json_fail(err, path, "\"jam_messages\" must be an "
                                  "array of at most %d {\"from\": N, "
                                  "\"text\": {...}}", MADO_JAM_MAX);
        }

        for (i = 0; i < m->u.array.len; i++) {
            yajl_val  j = m->u.array.values[i], f;

            snprintf(sub, sizeof(sub), "%s.jam_messages[%zu]", path, i);

            if (!YAJL_IS_OBJECT(j)) {
                return mado_json_fail(err, sub, "must be an object");
            }

            if ((rc = mado_json_keys(j, sub, jam_known, err)) != MADO_OK) {
                return rc;
            }

            f = mado_json_get(j, "from");

            if (f == NULL || !YAJL_IS_INTEGER(f) || YAJL_GET_INTEGER(f) < 1
                || YAJL_GET_INTEGER(f) > MADO_COUNT_MAX
                || (i > 0 && YAJL_GET_INTEGER(f) <= c->jam[i - 1].from))
            {
                return mado_json_fail(err, sub, "\"from\" must be a number "
                                      "waiting, 1..%d, increasing",
                                      MADO_COUNT_MAX);
            }

            c->jam[i].from = (uint32_t) YAJL_GET_INTEGER(f);

            rc = mado_json_i18n(j, "text", sub, 1, &c->jam[i].text, err);
            c->njam = i + 1;

            if (rc != MADO_OK) {
                return rc;
            }
        }
    }

    if ((rc = mado_parse_feed_rules(v, path, c, err)) != MADO_OK) {
        return rc;
    }

    m = mado_json_get(v, "any_office");

    if (m != NULL) {
        if (!YAJL_IS_TRUE(m) && !YAJL_IS_FALSE(m)) {
            return mado_json_fail(err, path, "\"any_office\" must be true "
                                  "or false");
        }

        c->any_office = YAJL_IS_TRUE(m) ? 1 : 0;
    }

    if ((rc = mado_json_https(v, "service_url", path, &c->service_url, err))
        != MADO_OK)
    {
        return rc;
    }

    /* minutes of wait where やや混雑, 混雑, 大変混雑 begin */
    c->levels[0] = 15;
    c->levels[1] = 30;
    c->levels[2] = 60;

    m = mado_json_get(v, "levels");

    if (m != NULL) {
        size_t  i;

        if (!YAJL_IS_ARRAY(m) || m->u.array.len != MADO_NLEVELS - 1) {
            return mado_json_fail(err, path, "\"levels\" must be an array of "
                                  "%d minutes, like [15, 30, 60]",
                                  MADO_NLEVELS - 1);
        }

        for (i = 0; i < MADO_NLEVELS - 1; i++) {
            yajl_val  l = m->u.array.values[i];

            if (!YAJL_IS_INTEGER(l) || YAJL_GET_INTEGER(l) < 1
                || YAJL_GET_INTEGER(l) > 600
                || (i > 0 && YAJL_GET_INTEGER(l) <= c->levels[i - 1]))
            {
                return mado_json_fail(err, path, "\"levels\"[%zu] must be "
                                      "an increasing whole number of minutes "
                                      "1..600", i);
            }

            c->levels[i] = (uint16_t) YAJL_GET_INTEGER(l);
        }
    }

    return MADO_OK;
}


/*
 * "notices": [{"id": "away", "text": {"ja": ..., "en": ..., every
 * language}}, ...]: preset staff notices, in every language (a page shows
 * the one of its language), each a line like a counter's message.
 */
static int
mado_parse_notices(yajl_val obj, const char *path, mado_office_def_t *o,
    mado_err_t *err)
{
    int         rc, l;
    char        sub[256], tsub[264];
    size_t      i, j;
    yajl_val    a, n, t;
    mado_err_t  why;

    static const char *const  known[] = { "id", "text", NULL };

    o->nnotices = 0;
    a = mado_json_get(obj, "notices");

    if (a == NULL) {
        return MADO_OK;
    }

    snprintf(sub, sizeof(sub), "%s.notices", path);

    if (!YAJL_IS_ARRAY(a)) {
        return mado_json_fail(err, sub, "must be an array like [{\"id\": "
                              "\"away\", \"text\": {\"ja\": ..., \"en\": "
                              "...}}]");
    }

    if (a->u.array.len > MADO_NOTICES_MAX) {
        return mado_json_fail(err, sub, "more than %d notices",
                              MADO_NOTICES_MAX);
    }

    for (i = 0; i < a->u.array.len; i++) {
        n = a->u.array.values[i];
        snprintf(sub, sizeof(sub), "%s.notices[%zu]", path, i);

        if (!YAJL_IS_OBJECT(n)) {
            return mado_json_fail(err, sub, "must be an object {\"id\", "
                                  "\"text\"}");
        }

        if ((rc = mado_json_keys(n, sub, known, err)) != MADO_OK
            || (rc = mado_json_id(n, "id", sub, o->notices[i].id, err))
               != MADO_OK)
        {
            return rc;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(o->notices[j].id, o->notices[i].id) == 0) {
                return mado_json_fail(err, sub, "duplicate notice id \"%s\"",
                                      o->notices[i].id);
            }
        }

        /* counted now: what was parsed is freed on an error below */
        o->nnotices = i + 1;

        t = mado_json_get(n, "text");
        snprintf(tsub, sizeof(tsub), "%s.text", sub);

        if (t == NULL) {
            return mado_json_fail(err, sub, "\"text\" is required");
        }

        if (!YAJL_IS_OBJECT(t)) {
            return mado_json_fail(err, tsub, "must be an object of "
                                  "language: text, every language");
        }

        if ((rc = mado_json_keys(t, tsub, mado_lang_codes, err)) != MADO_OK) {
            return rc;
        }

        for (l = 0; l < MADO_NLANG; l++) {
            rc = mado_json_string(t, mado_lang_codes[l], tsub, 1,
                                  MADO_MESSAGE_MAX, &o->notices[i].text.text[l],
                                  err);
            if (rc != MADO_OK) {
                return rc;
            }

            if (mado_message_check(o->notices[i].text.text[l],
                                   strlen(o->notices[i].text.text[l]), &why)
                != MADO_OK)
            {
                return mado_json_fail(err, tsub, "\"%s\": %s",
                                      mado_lang_codes[l], why.text);
            }
        }
    }

    return MADO_OK;
}


/*
 * The top-level notices g under an office's own: the office's text for an
 * id both have, in the top-level order, then the office's other ids
 */
static int
mado_merge_notices(mado_office_def_t *o, mado_office_def_t *g,
    const char *path, mado_err_t *err)
{
    int                 k, l;
    unsigned            i, n;
    char                sub[256];
    mado_office_def_t  *m;

    if (g->nnotices == 0) {
        return MADO_OK;
    }

    m = calloc(1, sizeof(mado_office_def_t));
    if (m == NULL) {
        return mado_json_fail(err, path, "out of memory");
    }

    n = 0;

    for (i = 0; i < g->nnotices; i++) {
        k = mado_office_notice(o, g->notices[i].id);

        if (k >= 0) {
            m->notices[n] = o->notices[k];
            o->notices[k].id[0] = '\0';
            memset(&o->notices[k].text, 0, sizeof(mado_i18n_t));

        } else {
            strcpy(m->notices[n].id, g->notices[i].id);

            for (l = 0; l < MADO_NLANG; l++) {
                m->notices[n].text.text[l] = strdup(g->notices[i].text.text[l]);

                if (m->notices[n].text.text[l] == NULL) {
                    m->nnotices = n + 1;
                    mado_office_free(m);
                    free(m);
                    return mado_json_fail(err, path, "out of memory");
                }
            }
        }

        n++;
    }

    for (i = 0; i < o->nnotices; i++) {
        if (o->notices[i].id[0] == '\0') {
            continue;
        }

        if (n == MADO_NOTICES_MAX) {
            m->nnotices = n;
            mado_office_free(m);
            free(m);
            snprintf(sub, sizeof(sub), "%s.notices", path);
            return mado_json_fail(err, sub, "more than %d notices with "
                                  "the top-level ones", MADO_NOTICES_MAX);
        }

        m->notices[n] = o->notices[i];
        memset(&o->notices[i], 0, sizeof(o->notices[i]));
        n++;
    }

    /* what is left in o are moved-out husks: nothing to free */
    for (i = 0; i < n; i++) {
        o->notices[i] = m->notices[i];
    }

    o->nnotices = n;
    free(m);

    return MADO_OK;
}


int
mado_office_notice(const mado_office_def_t *o, const char *id)
{
    unsigned  i;

    for (i = 0; i < o->nnotices; i++) {
        if (strcmp(o->notices[i].id, id) == 0) {
            return (int) i;
        }
    }

    return -1;
}


static int
mado_parse_office(yajl_val v, const char *path, mado_office_def_t *o,
    mado_err_t *err)
{
    int        rc;
    char       sub[256], *s;
    size_t     i, j, k;
    yajl_val   a, h;

    static const char *const  known[] = {
        "id", "kind", "name", "address", "phone", "neighbours", "hours",
        "holidays", "closed_dates", "open_dates", "counters",
        "alert_wait_minutes", "map_url", "notices", NULL
    };

    memset(o, 0, sizeof(mado_office_def_t));

    if (!YAJL_IS_OBJECT(v)) {
        return mado_json_fail(err, path, "must be an object");
    }

    if ((rc = mado_json_keys(v, path, known, err)) != MADO_OK
        || (rc = mado_json_id(v, "id", path, o->id, err)) != MADO_OK
        || (rc = mado_json_i18n(v, "name", path, 1, &o->name, err)) != MADO_OK
        || (rc = mado_json_i18n(v, "address", path, 0, &o->address, err))
           != MADO_OK
        || (rc = mado_json_string(v, "phone", path, 0, 32, &o->phone, err))
           != MADO_OK
        || (rc = mado_json_https(v, "map_url", path, &o->map_url, err))
           != MADO_OK
        || (rc = mado_json_string(v, "kind", path, 0, 16, &s, err)) != MADO_OK)
    {
        return rc;
    }

    if (s == NULL) {
        strcpy(o->kind, "ward");

    } else if (strcmp(s, "ward") == 0 || strcmp(s, "branch") == 0) {
        strcpy(o->kind, s);
        free(s);

    } else {
        free(s);
        return mado_json_fail(err, path,
                              "\"kind\" must be \"ward\" or \"branch\"");
    }

    a = mado_json_get(v, "neighbours");

    if (a != NULL) {
        snprintf(sub, sizeof(sub), "%s.neighbours", path);

        if (!YAJL_IS_ARRAY(a)) {
            return mado_json_fail(err, sub, "must be an array of office ids");
        }

        if (a->u.array.len > MADO_NEIGHBOURS_MAX) {
            return mado_json_fail(err, sub, "more than %d neighbours",
                                  MADO_NEIGHBOURS_MAX);
        }

        for (i = 0; i < a->u.array.len; i++) {
            yajl_val  n = a->u.array.values[i];

            snprintf(sub, sizeof(sub), "%s.neighbours[%zu]", path, i);

            if (!YAJL_IS_STRING(n)
                || !mado_valid_id(n->u.string, strlen(n->u.string)))
            {
                return mado_json_fail(err, sub, "must be an office id");
            }

            strcpy(o->neighbours[i], n->u.string);
        }

        o->nneighbours = a->u.array.len;
    }

    h = mado_json_get(v, "hours");
    snprintf(sub, sizeof(sub), "%s.hours", path);

    if (h == NULL) {
        return mado_json_fail(err, path, "\"hours\" is required");
    }

    if (!YAJL_IS_OBJECT(h)) {
        return mado_json_fail(err, sub,
                              "must be an object like {\"mon\": "
                              "\"08:45-17:30\", ...}");
    }

    if ((rc = mado_json_keys(h, sub, mado_weekday_keys, err)) != MADO_OK) {
        return rc;
    }

    for (i = 0; i < 7; i++) {
        yajl_val  d = mado_json_get(h, mado_weekday_keys[i]);

        snprintf(sub, sizeof(sub), "%s.hours.%s", path, mado_weekday_keys[i]);

        if (d == NULL || YAJL_IS_NULL(d)) {
            continue;
        }

        if (!YAJL_IS_STRING(d)) {
            return mado_json_fail(err, sub, "must be a string like "
                                  "\"08:45-17:30\" or \"\" when closed");
        }

        rc = mado_parse_spans(d->u.string, sub, o->hours[i], &o->nspans[i],
                              err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    h = mado_json_get(v, "holidays");

    if (h != NULL && !YAJL_IS_TRUE(h) && !YAJL_IS_FALSE(h)) {
        return mado_json_fail(err, path, "\"holidays\" must be true (closed "
                              "on national holidays and 年末年始) or false");
    }

    o->open_on_holidays = (h != NULL && YAJL_IS_FALSE(h));

    h = mado_json_get(v, "alert_wait_minutes");

    if (h != NULL) {
        if (!YAJL_IS_INTEGER(h) || YAJL_GET_INTEGER(h) < 1
            || YAJL_GET_INTEGER(h) > MADO_ALERT_WAIT_MAX)
        {
            return mado_json_fail(err, path, "\"alert_wait_minutes\" must "
                                  "be minutes, 1..%d", MADO_ALERT_WAIT_MAX);
        }

        o->alert_wait = (uint16_t) YAJL_GET_INTEGER(h);
    }

    if ((rc = mado_json_dates(v, path, o->closed, &o->nclosed, err))
        != MADO_OK)
    {
        return rc;
    }

    h = mado_json_get(v, "open_dates");

    if (h != NULL) {
        snprintf(sub, sizeof(sub), "%s.open_dates", path);

        if (!YAJL_IS_OBJECT(h)) {
            return mado_json_fail(err, sub, "must be an object like "
                                  "{\"2027-03-28\": \"09:00-16:00\"}");
        }

        if (h->u.object.len > MADO_DATES_MAX) {
            return mado_json_fail(err, sub, "more than %d dates",
                                  MADO_DATES_MAX);
        }

        for (i = 0; i < h->u.object.len; i++) {
            yajl_val  d = h->u.object.values[i];

            snprintf(sub, sizeof(sub), "%s.open_dates.%s", path,
                     h->u.object.keys[i]);

            o->open[i].date = mado_date_parse(h->u.object.keys[i]);

            if (o->open[i].date < 0) {
                return mado_json_fail(err, sub, "is not a date YYYY-MM-DD");
            }

            for (j = 0; j < i; j++) {
                if (o->open[j].date == o->open[i].date) {
                    return mado_json_fail(err, sub, "is given twice");
                }
            }

            if (!YAJL_IS_STRING(d) || d->u.string[0] == '\0') {
                return mado_json_fail(err, sub, "must be opening hours like "
                                      "\"09:00-16:00\"");
            }

            rc = mado_parse_spans(d->u.string, sub, o->open[i].spans,
                                  &o->open[i].nspans, err);
            if (rc != MADO_OK) {
                return rc;
            }

            o->nopen = i + 1;
        }
    }

    a = mado_json_get(v, "counters");
    snprintf(sub, sizeof(sub), "%s.counters", path);

    if (a == NULL) {
        return mado_json_fail(err, path, "\"counters\" is required");
    }

    if (!YAJL_IS_ARRAY(a) || a->u.array.len == 0) {
        return mado_json_fail(err, sub, "must be a non-empty array");
    }

    if (a->u.array.len > MADO_COUNTERS_MAX) {
        return mado_json_fail(err, sub, "more than %d counters",
                              MADO_COUNTERS_MAX);
    }

    for (i = 0; i < a->u.array.len; i++) {
        snprintf(sub, sizeof(sub), "%s.counters[%zu]", path, i);

        rc = mado_parse_counter(a->u.array.values[i], sub, &o->counters[i],
                                err);
        o->ncounters = i + 1;

        if (rc != MADO_OK) {
            return rc;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(o->counters[j].id, o->counters[i].id) == 0) {
                return mado_json_fail(err, sub, "duplicate counter id \"%s\"",
                                      o->counters[i].id);
            }
        }

        /* a business code must lead to one counter */
        for (k = 0; k < o->counters[i].ncodes; k++) {
            const mado_counter_def_t  *other;

            other = mado_office_code(o, o->counters[i].codes[k]);

            if (other != &o->counters[i]) {
                return mado_json_fail(err, sub, "business code \"%s\" is "
                                      "already counter \"%s\"'s",
                                      o->counters[i].codes[k], other->id);
            }
        }
    }

    return mado_parse_notices(v, path, o, err);
}


int
mado_office_parse(const char *json, size_t len, mado_office_def_t *o,
    mado_err_t *err)
{
    int       rc;
    yajl_val  root;

    memset(o, 0, sizeof(mado_office_def_t));

    root = mado_json_tree(json, len, err);
    if (root == NULL) {
        return MADO_EINVAL;
    }

    rc = mado_parse_office(root, "$", o, err);
    yajl_tree_free(root);

    if (rc != MADO_OK) {
        mado_office_free(o);
    }

    return rc;
}


int
mado_offices_parse(const char *json, size_t len, mado_offices_t *all,
    mado_err_t *err)
{
    int        rc;
    char       path[64];
    size_t     i, j, k;
    yajl_val   root, a, ver;

    mado_office_def_t  *notices;

    static const char *const  known[] = { "schema", "offices", "notices",
                                          NULL };

    memset(all, 0, sizeof(mado_offices_t));
    notices = NULL;

    root = mado_json_tree(json, len, err);
    if (root == NULL) {
        return MADO_EINVAL;
    }

    if (!YAJL_IS_OBJECT(root)) {
        rc = mado_json_fail(err, "$", "must be an object");
        goto done;
    }

    if ((rc = mado_json_keys(root, "$", known, err)) != MADO_OK) {
        goto done;
    }

    ver = mado_json_get(root, "schema");

    if (ver != NULL && !(YAJL_IS_INTEGER(ver) && YAJL_GET_INTEGER(ver) == 1)) {
        rc = mado_json_fail(err, "$.schema", "must be 1");
        goto done;
    }

    /* the top-level notices, which every office has (mado_merge_notices) */
    notices = calloc(1, sizeof(mado_office_def_t));
    if (notices == NULL) {
        rc = mado_json_fail(err, "$", "out of memory");
        goto done;
    }

    if ((rc = mado_parse_notices(root, "$", notices, err)) != MADO_OK) {
        goto done;
    }

    a = mado_json_get(root, "offices");

    if (a == NULL || !YAJL_IS_ARRAY(a) || a->u.array.len == 0) {
        rc = mado_json_fail(err, "$.offices", "must be a non-empty array");
        goto done;
    }

    if (a->u.array.len > MADO_OFFICES_MAX) {
        rc = mado_json_fail(err, "$.offices", "more than %d offices",
                            MADO_OFFICES_MAX);
        goto done;
    }

    all->offices = calloc(a->u.array.len, sizeof(mado_office_def_t));
    if (all->offices == NULL) {
        rc = mado_json_fail(err, "$", "out of memory");
        goto done;
    }

    for (i = 0; i < a->u.array.len; i++) {
        snprintf(path, sizeof(path), "$.offices[%zu]", i);

        rc = mado_parse_office(a->u.array.values[i], path, &all->offices[i],
                               err);
        all->noffices = i + 1;

        if (rc != MADO_OK) {
            goto done;
        }

        rc = mado_merge_notices(&all->offices[i], notices, path, err);
        if (rc != MADO_OK) {
            goto done;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(all->offices[j].id, all->offices[i].id) == 0) {
                rc = mado_json_fail(err, path, "duplicate office id \"%s\"",
                                    all->offices[i].id);
                goto done;
            }
        }
    }

    /* neighbours must name offices of this file, and not the office itself */
    for (i = 0; i < all->noffices; i++) {
        mado_office_def_t  *o = &all->offices[i];

        for (k = 0; k < o->nneighbours; k++) {
            snprintf(path, sizeof(path), "$.offices[%zu].neighbours[%zu]",
                     i, k);

            for (j = 0; j < all->noffices; j++) {
                if (j != i && strcmp(all->offices[j].id, o->neighbours[k]) == 0)
                {
                    break;
                }
            }

            if (j == all->noffices) {
                rc = mado_json_fail(err, path, "\"%s\" is not another office "
                                    "of this file", o->neighbours[k]);
                goto done;
            }
        }
    }

    rc = MADO_OK;

done:

    yajl_tree_free(root);

    if (notices != NULL) {
        mado_office_free(notices);
        free(notices);
    }

    if (rc != MADO_OK) {
        mado_offices_free(all);
    }

    return rc;
}


void
mado_office_free(mado_office_def_t *o)
{
    unsigned  i;

    mado_i18n_free(&o->name);
    mado_i18n_free(&o->address);
    free(o->phone);
    o->phone = NULL;
    free(o->map_url);
    o->map_url = NULL;

    for (i = 0; i < o->ncounters; i++) {
        mado_i18n_free(&o->counters[i].name);
        free(o->counters[i].service_url);
        o->counters[i].service_url = NULL;

        while (o->counters[i].njam) {
            mado_i18n_free(&o->counters[i].jam[--o->counters[i].njam].text);
        }
    }

    o->ncounters = 0;

    for (i = 0; i < o->nnotices; i++) {
        mado_i18n_free(&o->notices[i].text);
    }

    o->nnotices = 0;
}


void
mado_offices_free(mado_offices_t *all)
{
    unsigned  i;

    for (i = 0; i < all->noffices; i++) {
        mado_office_free(&all->offices[i]);
    }

    free(all->offices);
    all->offices = NULL;
    all->noffices = 0;
}
