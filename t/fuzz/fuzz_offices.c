/*
 * offices.json as "madoctl load" reads it (mado_offices_parse), and one
 * office's stored record (mado_office_parse).  Whatever is accepted is
 * written as canonical JSON that reads back to the same canonical JSON.
 */

#include "fuzz.h"


static void
fuzz_round_trip(const mado_office_def_t *o)
{
    char               *json, *again;
    size_t              len, len2;
    mado_err_t          err;
    mado_office_def_t   o2;

    json = mado_office_to_json(o, &len);
    FUZZ_CHECK(json != NULL);

    if (mado_office_parse(json, len, &o2, &err) != MADO_OK) {
        fprintf(stderr, "the canonical JSON of an office does not read "
                "back: %s\n%.*s\n", err.text, (int) len, json);
        abort();
    }

    again = mado_office_to_json(&o2, &len2);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(len == len2 && memcmp(json, again, len) == 0);

    free(again);
    free(json);
    mado_office_free(&o2);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned            i;
    mado_err_t          err;
    mado_offices_t      all;
    mado_office_def_t   o;

    if (mado_offices_parse((const char *) data, size, &all, &err) == MADO_OK)
    {
        FUZZ_CHECK(all.noffices >= 1 && all.noffices <= MADO_OFFICES_MAX);

        for (i = 0; i < all.noffices; i++) {
            fuzz_round_trip(&all.offices[i]);
        }

        mado_offices_free(&all);

    } else {
        FUZZ_CHECK(err.text[0] == '$');
    }

    if (mado_office_parse((const char *) data, size, &o, &err) == MADO_OK) {
        fuzz_round_trip(&o);
        mado_office_free(&o);
    }

    return 0;
}
