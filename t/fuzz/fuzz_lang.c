/*
 * The language of a request: an Accept-Language header
 * (mado_lang_accept, each tag by mado_lang_match) and ?lang= or the
 * mado_lang cookie's value (mado_lang_code).
 */

#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          l;
    size_t       n;
    const char  *s = (const char *) data;

    l = mado_lang_accept(s, size);
    FUZZ_CHECK(l >= -1 && l < MADO_NLANG);

    l = mado_lang_match(s, size, &n);
    FUZZ_CHECK(l >= -1 && l < MADO_NLANG);
    FUZZ_CHECK(n <= size && (l >= 0 || n == 0));

    l = mado_lang_code(s, size);
    FUZZ_CHECK(l >= -1 && l < MADO_NLANG);
    FUZZ_CHECK(l < 0 || strlen(mado_lang_codes[l]) == size);

    return 0;
}
