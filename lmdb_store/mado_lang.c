
/*
 * mado store: the languages, made from the one list in mado_store.h
 * (MADO_LANGUAGES), and how a request's tag chooses one.
 */

#include <string.h>
#include <strings.h>

#include "mado_store.h"


#define MADO_LANG_CODE(name, code, tag, ranges)    code,
#define MADO_LANG_TAG(name, code, tag, ranges)     tag,
#define MADO_LANG_RANGES(name, code, tag, ranges)  ranges,

const char *const mado_lang_codes[MADO_NLANG + 1] = {
    MADO_LANGUAGES(MADO_LANG_CODE)
    NULL
};

const char *const mado_lang_tags[MADO_NLANG] = {
    MADO_LANGUAGES(MADO_LANG_TAG)
};

static const char *const mado_lang_ranges[MADO_NLANG] = {
    MADO_LANGUAGES(MADO_LANG_RANGES)
};


int
mado_lang_code(const char *code, size_t len)
{
    int  l;

    for (l = 0; l < MADO_NLANG; l++) {
        if (strlen(mado_lang_codes[l]) == len
            && strncasecmp(code, mado_lang_codes[l], len) == 0)
        {
            return l;
        }
    }

    return -1;
}


/*
 * RFC 4647 "lookup" in reverse: a range matches a tag that is the range or
 * begins with it and a "-" ("zh-hant" matches "zh-Hant-TW", "ja" does not
 * match "jav"); of all languages' ranges the longest match wins.
 */
int
mado_lang_match(const char *tag, size_t len, size_t *specific)
{
    int          l, best;
    size_t       n, best_len;
    const char  *r, *end;

    best = -1;
    best_len = 0;

    for (l = 0; l < MADO_NLANG; l++) {

        for (r = mado_lang_ranges[l]; *r != '\0'; r = end) {
            while (*r == ' ') {
                r++;
            }

            for (end = r; *end != '\0' && *end != ' '; end++) {
                /* void */
            }

            n = end - r;

            if (n == 0 || n > len || n <= best_len
                || strncasecmp(tag, r, n) != 0
                || (n < len && tag[n] != '-'))
            {
                continue;
            }

            best = l;
            best_len = n;
        }
    }

    if (specific != NULL) {
        *specific = best_len;
    }

    return best;
}


/*
 * An Accept-Language header: the supported language with the highest q
 * (ties go to the first listed), each tag choosing by mado_lang_match();
 * q=0 refuses a tag.  Here, not in the module, so that it is fuzzed.
 */
int
mado_lang_accept(const char *value, size_t len)
{
    int          lang, best, quality, best_quality, scale;
    size_t       n;
    const char  *p, *end, *tag, *q;

    p = value;
    end = value + len;
    best = -1;
    best_quality = 0;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == ',')) {
            p++;
        }

        tag = p;

        while (p < end && *p != ',' && *p != ';' && *p != ' ') {
            p++;
        }

        n = p - tag;
        quality = 1000;

        /* ";q=0.8" */
        while (p < end && *p != ',') {
            if (*p == 'q' && p + 1 < end && p[1] == '=') {
                q = p + 2;
                quality = 0;

                if (q < end && *q == '1') {
                    quality = 1000;

                } else if (q + 1 < end && *q == '0' && q[1] == '.') {
                    scale = 100;

                    for (q += 2; q < end && *q >= '0' && *q <= '9'; q++) {
                        quality += (*q - '0') * scale;
                        scale /= 10;
                    }
                }
            }

            p++;
        }

        lang = mado_lang_match(tag, n, NULL);

        if (lang >= 0 && quality > best_quality) {
            best = lang;
            best_quality = quality;
        }
    }

    return best;
}
