/*
 * A Cookie header as the module reads it (mado_cookie_value): the
 * language's cookie and the staff session's.  A value found lies in the
 * header, after its name and "=".
 */

#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t       i, len;
    const char  *v, *s = (const char *) data;

    static const char *const  names[] = { "mado_lang", "mado_session", "a" };

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        v = mado_cookie_value(s, size, names[i], &len);

        if (v == NULL) {
            continue;
        }

        FUZZ_CHECK(v >= s + strlen(names[i]) + 1 && v <= s + size);
        FUZZ_CHECK(len <= (size_t) (s + size - v));
        FUZZ_CHECK(memchr(v, ';', len) == NULL);

        (void) mado_lang_code(v, len);
    }

    return 0;
}
