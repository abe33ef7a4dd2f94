/*
 * Readers of outside input not tested with their users: the one JSON
 * reader (mado_json_parse: its depth limit sees strings as strings, and a
 * deep document is refused, not recursed into) and a Cookie header.
 * t/fuzz/ feeds them random input besides.
 */

#include "unit.h"


/* mado_json_parse of a literal; err into why */
static yajl_val
parse(const char *json, size_t len, unsigned depth, mado_err_t *why)
{
    why->text[0] = '\0';

    return mado_json_parse(json, len, depth, why);
}

#define PARSE(lit, depth, why)  parse(lit, sizeof(lit) - 1, depth, why)


static void
test_json(void)
{
    char        *deep;
    size_t       i, n;
    yajl_val     v;
    mado_err_t   why;

    v = PARSE("{\"a\": [1, {\"b\": \"[[[[[[{{{{{{\"}]}", 3, &why);
    CHECK(v != NULL && YAJL_IS_OBJECT(v));
    CHECK_STR(why.text, "");
    yajl_tree_free(v);

    /* three open containers: allowed at 3, not at 2 */
    CHECK(PARSE("[[[]]]", 2, &why) == NULL);
    CHECK_STR(why.text, "nests deeper than 2");
    v = PARSE("[[[]]]", 3, &why);
    CHECK(v != NULL);
    yajl_tree_free(v);

    /* siblings are not nesting */
    v = PARSE("[[], [], {}, [[]]]", 3, &why);
    CHECK(v != NULL);
    yajl_tree_free(v);

    CHECK(PARSE("", 4, &why) == NULL);
    CHECK_STR(why.text, "not JSON: parse error: premature EOF");
    CHECK(PARSE("{\"a\":1} x", 4, &why) == NULL);
    CHECK_STR(why.text, "not JSON: parse error: trailing garbage");
    CHECK(PARSE("{\"a\":\"\xc3\x28\"}", 4, &why) == NULL);
    CHECK_STR(why.text, "not JSON: lexical error: invalid bytes in UTF8 "
              "string.");
    CHECK(PARSE("{\"a\":1}\0{", 4, &why) == NULL);
    CHECK_STR(why.text, "not JSON: contains a NUL byte");

    /* len decides: no NUL needed after it */
    v = parse("[1][2]", 3, 4, &why);
    CHECK(v != NULL && YAJL_IS_ARRAY(v) && v->u.array.len == 1);
    yajl_tree_free(v);

    /* comments, as yajl_tree_parse() has always allowed them */
    v = PARSE("/* c */ {\"a\": 1} // c", 4, &why);
    CHECK(v != NULL);
    yajl_tree_free(v);

    /* a million brackets: refused at once, the stack untouched */
    n = 1000000;
    deep = malloc(2 * n);

    if (CHECK(deep != NULL)) {
        for (i = 0; i < n; i++) {
            deep[i] = '[';
            deep[n + i] = ']';
        }

        CHECK(parse(deep, 2 * n, MADO_JSON_DEPTH, &why) == NULL);
        CHECK_STR(why.text, "nests deeper than 32");

        /* and a document's message names its root */
        CHECK(mado_json_tree(deep, 2 * n, &why) == NULL);
        CHECK_STR(why.text, "$: nests deeper than 32");

        /* at the limit it is a tree */
        v = parse(deep + n - MADO_JSON_DEPTH, 2 * MADO_JSON_DEPTH,
                  MADO_JSON_DEPTH, &why);
        CHECK(v != NULL && YAJL_IS_ARRAY(v));
        yajl_tree_free(v);

        free(deep);
    }
}


/* the value of name in a Cookie header, or "(none)" */
static const char *
cookie(const char *header, const char *name)
{
    size_t       len;
    const char  *v;
    static char  buf[64];

    v = mado_cookie_value(header, strlen(header), name, &len);

    if (v == NULL) {
        return "(none)";
    }

    snprintf(buf, sizeof(buf), "%.*s", (int) len, v);

    return buf;
}


static void
test_cookie(void)
{
    CHECK_STR(cookie("mado_lang=en", "mado_lang"), "en");
    CHECK_STR(cookie("a=1; mado_lang=ko; b=2", "mado_lang"), "ko");
    CHECK_STR(cookie("a=1;mado_lang = zh-hant", "mado_lang"), "zh-hant");
    CHECK_STR(cookie("MADO_LANG=en", "mado_lang"), "en");   /* as nginx */
    CHECK_STR(cookie("x_mado_lang=en", "mado_lang"), "(none)");
    CHECK_STR(cookie("mado_langx=en", "mado_lang"), "(none)");
    CHECK_STR(cookie("a=\"mado_lang=en\"", "mado_lang"), "(none)");
    CHECK_STR(cookie("mado_lang", "mado_lang"), "(none)");
    CHECK_STR(cookie("mado_lang;mado_lang=ja", "mado_lang"), "ja");
    CHECK_STR(cookie("mado_lang=", "mado_lang"), "");
    CHECK_STR(cookie("a=1, mado_lang=en", "mado_lang"), "en");
    CHECK_STR(cookie("", "mado_lang"), "(none)");
    CHECK_STR(cookie("mado_la", "mado_lang"), "(none)");

    /* the length given counts, not the NUL */
    {
        size_t  len;

        CHECK(mado_cookie_value("mado_lang=en", 8, "mado_lang", &len)
              == NULL);
        CHECK(mado_cookie_value("s=12345", 4, "s", &len) != NULL);
        CHECK_INT(len, 2);
    }
}


int
main(void)
{
    test_json();
    test_cookie();

    return unit_done("parse");
}
