/*
 * What the libFuzzer targets share (t/fuzz/fuzz_*.c, "make fuzz"): each
 * feeds random bytes to one reader of outside input and checks what must
 * hold of what it read; a broken rule aborts, which libFuzzer reports
 * with the input, as it does sanitizer errors.
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado_store.h"


#define FUZZ_CHECK(c)                                                         \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #c);   \
            abort();                                                          \
        }                                                                     \
    } while (0)


/* data as a C string (malloc'd), as the readers that want one get it */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
    char  *s;

    s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);

    memcpy(s, data, size);
    s[size] = '\0';

    return s;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* FUZZ_H */
