/*
 * "madoctl --server" reading the server's answer: the HTTP/1.1 response
 * (mc_http_parse in admin_tool/https.c, included here as it is static),
 * then its JSON (mado_json_parse) and a counter's answer
 * (mado_update_answer_parse).  The first byte says whether the peer
 * closed.  A body found lies in the buffer, NUL-terminated.
 */

#include "fuzz.h"
#include "../../admin_tool/https.c"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                    rc;
    char                  *buf;
    uint32_t               ticket;
    yajl_val               root;
    mado_err_t             err;
    mc_http_res_t          res;
    mado_counter_state_t   st;

    if (size == 0) {
        return 0;
    }

    /* the client's buffer: a byte more for the NUL it writes */
    buf = malloc(size);
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, data + 1, size - 1);

    memset(&res, 0, sizeof(res));
    rc = mc_http_parse(buf, size - 1, data[0] & 1, &res);

    FUZZ_CHECK(rc >= -1 && rc <= 1);

    if (rc == 1) {
        FUZZ_CHECK(res.status >= 100 && res.status <= 599);
        FUZZ_CHECK(res.body >= buf && res.body + res.len <= buf + size - 1);
        FUZZ_CHECK(res.body[res.len] == '\0');

        root = mado_json_parse(res.body, res.len, MADO_JSON_DEPTH, &err);
        if (root != NULL) {
            (void) mado_json_str(root, "message");
            yajl_tree_free(root);
        }

        (void) mado_update_answer_parse(res.body, &st, &ticket);
    }

    free(buf);

    return 0;
}
