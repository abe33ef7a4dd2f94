/*
 * The languages made from the one list (MADO_LANGUAGES): codes, <html
 * lang> tags, the language an Accept-Language tag chooses, and the one a
 * whole header chooses.
 */

#include "unit.h"


static void
test_codes(void)
{
    int  l;

    CHECK_INT(MADO_LANG_JA, 0);
    CHECK_STR(mado_lang_codes[MADO_LANG_JA], "ja");
    CHECK_STR(mado_lang_codes[MADO_LANG_ZH_HANT], "zh-hant");
    CHECK_STR(mado_lang_codes[MADO_LANG_JA_EASY], "ja-easy");
    CHECK(mado_lang_codes[MADO_NLANG] == NULL);
    CHECK_STR(mado_lang_tags[MADO_LANG_ZH_HANS], "zh-Hans");
    CHECK_STR(mado_lang_tags[MADO_LANG_JA_EASY], "ja");

    for (l = 0; l < MADO_NLANG; l++) {
        CHECK_INT(mado_lang_code(mado_lang_codes[l],
                                 strlen(mado_lang_codes[l])), l);
    }

    CHECK_INT(mado_lang_code("ZH-Hant", 7), MADO_LANG_ZH_HANT);
    CHECK_INT(mado_lang_code("ja-eas", 6), -1);
    CHECK_INT(mado_lang_code("", 0), -1);
    CHECK_INT(mado_lang_code("fr", 2), -1);
}


static int
match(const char *tag)
{
    return mado_lang_match(tag, strlen(tag), NULL);
}


static void
test_match(void)
{
    size_t  n;

    CHECK_INT(match("ja"), MADO_LANG_JA);
    CHECK_INT(match("ja-JP"), MADO_LANG_JA);
    CHECK_INT(match("JA"), MADO_LANG_JA);
    CHECK_INT(match("jav"), -1);             /* Javanese is not Japanese */
    CHECK_INT(match("en-US"), MADO_LANG_EN);
    CHECK_INT(match("eng"), -1);
    CHECK_INT(match("ko-KR"), MADO_LANG_KO);
    CHECK_INT(match("zh"), MADO_LANG_ZH_HANS);
    CHECK_INT(match("zh-CN"), MADO_LANG_ZH_HANS);
    CHECK_INT(match("zh-Hans-HK"), MADO_LANG_ZH_HANS);    /* script first */
    CHECK_INT(match("zh-TW"), MADO_LANG_ZH_HANT);
    CHECK_INT(match("zh-hk"), MADO_LANG_ZH_HANT);
    CHECK_INT(match("zh-MO"), MADO_LANG_ZH_HANT);
    CHECK_INT(match("zh-Hant"), MADO_LANG_ZH_HANT);
    CHECK_INT(match("zh-Hant-CN"), MADO_LANG_ZH_HANT);
    CHECK_INT(match("zh-TWX"), MADO_LANG_ZH_HANS);        /* not zh-TW */
    CHECK_INT(match("ja-easy"), MADO_LANG_JA);            /* a choice only */
    CHECK_INT(match("fr-FR"), -1);
    CHECK_INT(match("*"), -1);
    CHECK_INT(match(""), -1);
    CHECK_INT(match("-"), -1);

    CHECK_INT(mado_lang_match("zh-TW", 5, &n), MADO_LANG_ZH_HANT);
    CHECK_INT(n, 5);
    CHECK_INT(mado_lang_match("zh-Hant-TW", 10, &n), MADO_LANG_ZH_HANT);
    CHECK_INT(n, 7);

    /* the length given counts, not the NUL */
    CHECK_INT(mado_lang_match("zh-TW;q=0.8", 5, NULL), MADO_LANG_ZH_HANT);
    CHECK_INT(mado_lang_match("en,ja", 2, NULL), MADO_LANG_EN);
}


static int
accept(const char *value)
{
    return mado_lang_accept(value, strlen(value));
}


static void
test_accept(void)
{
    CHECK_INT(accept(""), -1);
    CHECK_INT(accept("fr"), -1);
    CHECK_INT(accept("en"), MADO_LANG_EN);
    CHECK_INT(accept("fr, en;q=0.5, ko;q=0.8"), MADO_LANG_KO);
    CHECK_INT(accept("ko;q=0.8,en;q=0.8"), MADO_LANG_KO);  /* first wins */
    CHECK_INT(accept("zh-TW,zh;q=0.9"), MADO_LANG_ZH_HANT);
    CHECK_INT(accept("en;q=0, ko;q=0.001"), MADO_LANG_KO);
    CHECK_INT(accept("en;q=0"), -1);
    CHECK_INT(accept("en;q=1.0, ja;q=0.99999999"), MADO_LANG_EN);
    CHECK_INT(accept("  ,, ;q=1, en"), MADO_LANG_EN);
    CHECK_INT(accept(";;;q=q=,q=0."), -1);
    CHECK_INT(accept("en;q="), -1);                 /* q= without a value */

    /* the length given counts, not the NUL */
    CHECK_INT(mado_lang_accept("ko,en", 2), MADO_LANG_KO);
    CHECK_INT(mado_lang_accept("en;q=0.5,ko", 8), MADO_LANG_EN);
}


int
main(void)
{
    test_codes();
    test_match();
    test_accept();

    return unit_done("lang");
}
