/*
 * Small yajl helpers the library, the module and madoctl share.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "mado_store.h"


const char *const  mado_weekday_keys[8] = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};


/* the nesting so far and its limit, for the pass before the tree */
typedef struct {
    unsigned            depth;
    unsigned            max;
} mado_json_nest_t;


static int
mado_json_open(void *ctx)
{
    mado_json_nest_t  *n = ctx;

    /* 0 stops yajl: the caller says "nests deeper" */
    return ++n->depth <= n->max;
}


static int
mado_json_close(void *ctx)
{
    mado_json_nest_t  *n = ctx;

    n->depth--;

    return 1;
}


/*
 * Only the containers are seen: strings and numbers are checked by yajl's
 * lexer, a bracket in a string is a string's byte.
 */
static const yajl_callbacks  mado_json_nest_callbacks = {
    NULL, NULL, NULL, NULL, NULL, NULL,
    mado_json_open, NULL, mado_json_close,
    mado_json_open, mado_json_close
};


/* 0 if json nests at most depth deep; -1 and err if not, or not JSON */
static int
mado_json_nesting(const char *json, size_t len, unsigned depth,
    mado_err_t *err)
{
    char              *msg, *nl;
    yajl_handle        h;
    yajl_status        st;
    mado_json_nest_t   nest;

    nest.depth = 0;
    nest.max = depth;

    h = yajl_alloc(&mado_json_nest_callbacks, NULL, &nest);
    if (h == NULL) {
        return mado_fail(err, -1, "out of memory");
    }

    /* as yajl_tree_parse() reads it */
    yajl_config(h, yajl_allow_comments, 1);

    st = yajl_parse(h, (const unsigned char *) json, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    if (st == yajl_status_client_canceled) {
        mado_fail(err, -1, "nests deeper than %u", depth);

    } else if (st != yajl_status_ok) {
        msg = (char *) yajl_get_error(h, 0, (const unsigned char *) json,
                                      len);

        /* yajl's message ends in a new line */
        nl = msg ? strchr(msg, '\n') : NULL;
        if (nl != NULL) {
            *nl = '\0';
        }

        mado_fail(err, -1, "not JSON: %s", msg ? msg : "out of memory");

        if (msg != NULL) {
            yajl_free_error(h, (unsigned char *) msg);
        }
    }

    yajl_free(h);

    return (st == yajl_status_ok) ? 0 : -1;
}


yajl_val
mado_json_parse(const char *json, size_t len, unsigned depth, mado_err_t *err)
{
    char      *text, msg[256], *nl;
    size_t     i, open;
    yajl_val   root;

    if (memchr(json, '\0', len) != NULL) {
        mado_fail(err, MADO_EINVAL, "not JSON: contains a NUL byte");
        return NULL;
    }

    /*
     * yajl's tree is built without a limit and freed by recursion: a
     * deep one would overflow the stack.  A first pass with yajl's
     * callbacks (its parser keeps its state on the heap) refuses it.
     * Only JSON with more brackets than depth can nest deeper than it: a
     * feed line or a counter update is read once.
     */
    for (i = 0, open = 0; i < len && open <= depth; i++) {
        open += (json[i] == '{' || json[i] == '[');
    }

    if (open > depth && mado_json_nesting(json, len, depth, err) != 0) {
        return NULL;
    }

    /* yajl_tree_parse wants a C string */
    text = malloc(len + 1);
    if (text == NULL) {
        mado_fail(err, MADO_EINVAL, "out of memory");
        return NULL;
    }

    memcpy(text, json, len);
    text[len] = '\0';

    msg[0] = '\0';
    root = yajl_tree_parse(text, msg, sizeof(msg));

    /* a stored account's hashes, a login's password were in it */
    OPENSSL_cleanse(text, len);
    free(text);

    if (root == NULL) {
        /* yajl's message spans lines: the first says what */
        nl = strchr(msg, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }

        mado_fail(err, MADO_EINVAL, "not JSON: %s",
                  msg[0] ? msg : "out of memory");
    }

    return root;
}


yajl_val
mado_json_tree(const char *json, size_t len, mado_err_t *err)
{
    yajl_val    root;
    mado_err_t  why;

    root = mado_json_parse(json, len, MADO_JSON_DEPTH, &why);

    if (root == NULL) {
        mado_fail(err, MADO_EINVAL, "$: %s", why.text);
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


size_t
mado_ruby_plain(const char *in, size_t len, char *out, size_t size)
{
    size_t       o, n;
    const char  *p, *end, *bar, *close;

    if (size == 0) {
        return 0;
    }

    o = 0;
    end = in + len;

#define mado_put(s, l)                                                        \
    n = (l) < size - 1 - o ? (l) : size - 1 - o;                              \
    memcpy(out + o, s, n);                                                    \
    o += n

    for (p = in; p < end; ) {
        close = NULL;
        bar = NULL;

        if (*p == '{') {
            bar = memchr(p, '|', end - p);
            close = memchr(p, '}', end - p);
        }

        /* "{base|reading}": anything else (a {placeholder}) stays as it is */
        if (bar == NULL || close == NULL || bar > close || bar == p + 1
            || close == bar + 1)
        {
            mado_put(p, (size_t) 1);
            p++;
            continue;
        }

        mado_put(p + 1, (size_t) (bar - p - 1));
        mado_put("\xef\xbc\x88", (size_t) 3);           /* （ */
        mado_put(bar + 1, (size_t) (close - bar - 1));
        mado_put("\xef\xbc\x89", (size_t) 3);           /* ） */
        p = close + 1;
    }

#undef mado_put

    out[o] = '\0';

    return o;
}


void
mado_gen_i18n_plain(yajl_gen g, const char *key, const mado_i18n_t *t)
{
    int     l;
    char    buf[1024];
    size_t  n;

    if (key != NULL) {
        mado_gen_str(g, key);
    }

    yajl_gen_map_open(g);

    for (l = 0; l < MADO_NLANG; l++) {
        if (t->text[l] == NULL) {
            continue;
        }

        mado_gen_str(g, mado_lang_codes[l]);

        if (l == MADO_LANG_JA_EASY) {
            n = mado_ruby_plain(t->text[l], strlen(t->text[l]), buf,
                                sizeof(buf));
            yajl_gen_string(g, (const unsigned char *) buf, n);

        } else {
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
