/*
 * Small yajl helpers the library, the module and madoctl share.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "mado_store.h"


const char *const  mado_weekday_keys[8] = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};


yajl_val
mado_json_tree(const char *json, size_t len, mado_err_t *err)
{
    char      *text, msg[256];
    yajl_val   root;

    /* yajl_tree_parse wants a C string */
    text = malloc(len + 1);
    if (text == NULL) {
        mado_fail(err, MADO_EINVAL, "$: out of memory");
        return NULL;
    }

    memcpy(text, json, len);
    text[len] = '\0';

    if (strlen(text) != len) {
        free(text);
        mado_fail(err, MADO_EINVAL, "$: contains a NUL byte");
        return NULL;
    }

    msg[0] = '\0';
    root = yajl_tree_parse(text, msg, sizeof(msg));

    /* a stored account's hashes were in it */
    OPENSSL_cleanse(text, len);
    free(text);

    if (root == NULL) {
        char  *nl;

        /* yajl's message spans lines; keep the first for one-line errors */
        nl = strchr(msg, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }

        mado_fail(err, MADO_EINVAL, "$: not valid JSON (%s)", msg);
    }

    return root;
}


void
mado_gen_i18n(yajl_gen g, const char *key, const mado_i18n_t *t)
{
    int  l;

    if (key != NULL) {
        mado_gen_str(g, key);
    }

    yajl_gen_map_open(g);

    for (l = 0; l < MADO_NLANG; l++) {
        if (t->text[l] != NULL) {
            mado_gen_str(g, mado_lang_codes[l]);
            mado_gen_str(g, t->text[l]);
        }
    }

    yajl_gen_map_close(g);
}


void
mado_gen_date(yajl_gen g, const char *key, mado_date_t date)
{
    char  buf[16];
    int   n;

    if (key != NULL) {
        mado_gen_str(g, key);
    }

    n = snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (int) (date / 10000),
                 (int) (date / 100 % 100), (int) (date % 100));
    yajl_gen_string(g, (const unsigned char *) buf, n);
}


const char *
mado_json_str(yajl_val obj, const char *key)
{
    const char  *path[] = { key, NULL };
    yajl_val     v;

    v = yajl_tree_get(obj, path, yajl_t_string);

    return v ? v->u.string : NULL;
}


void
mado_gen_avg(yajl_gen g, const char *key, double sum, uint32_t n,
    double scale)
{
    char  buf[32];
    int   len;

    mado_gen_str(g, key);

    if (n == 0) {
        yajl_gen_null(g);
        return;
    }

    len = snprintf(buf, sizeof(buf), "%.1f", sum / n / scale);
    yajl_gen_number(g, buf, len);
}


void
mado_gen_spans(yajl_gen g, const mado_span_t *spans, unsigned n)
{
    char      buf[64];
    unsigned  i, len;

    len = 0;
    buf[0] = '\0';

    for (i = 0; i < n; i++) {
        len += snprintf(buf + len, sizeof(buf) - len, "%s%02u:%02u-%02u:%02u",
                        i ? "," : "", spans[i].open / 60, spans[i].open % 60,
                        spans[i].close / 60, spans[i].close % 60);
    }

    yajl_gen_string(g, (const unsigned char *) buf, len);
}


void
mado_gen_hours(yajl_gen g, const mado_office_def_t *o)
{
    unsigned  d;

    mado_gen_lit(g, "hours");
    yajl_gen_map_open(g);

    for (d = 0; d < 7; d++) {
        mado_gen_str(g, mado_weekday_keys[d]);
        mado_gen_spans(g, o->hours[d], o->nspans[d]);
    }

    yajl_gen_map_close(g);
}
