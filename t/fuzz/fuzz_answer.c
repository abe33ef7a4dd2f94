/*
 * "madoctl --server" reading the server's answer: libcurl reads the
 * HTTP/1.1 response (its head, chunks, lengths); what madoctl itself
 * reads is the body, as cmd_remote.c does: JSON (mado_json_parse) and its
 * "token", "user", "message" and "error", and a counter's answer
 * (mado_update_answer_parse, on the body as a C string).  The body as
 * libcurl hands it over, NUL-terminated, NULs inside it included.
 */

#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                  *body;
    size_t                 i;
    uint32_t               ticket;
    yajl_val               root;
    mado_err_t             err;
    const char            *s;
    mado_counter_state_t   st;

    static const char *const  keys[] = { "token", "user", "message", "error" };

    body = fuzz_cstr(data, size);

    root = mado_json_parse(body, size, MADO_JSON_DEPTH, &err);

    if (root != NULL) {
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            s = mado_json_str(root, keys[i]);
            if (s != NULL) {
                /* the messages are printed: a C string, whole */
                FUZZ_CHECK(strlen(s) <= size);
            }
        }

        yajl_tree_free(root);
    }

    if (mado_update_answer_parse(body, &st, &ticket) == 0) {
        /* what the counter verbs print: a known status */
        FUZZ_CHECK(st.status < MADO_NSTATUS);
        FUZZ_CHECK(mado_status_names[st.status] != NULL);
    }

    free(body);

    return 0;
}
