/*
 * The update API's request bodies (mado_update_decode), on every route:
 * the first byte picks the route.  What is accepted is what the codec
 * writes back: a counter update or a login encoded again decodes to the
 * same request.
 */

#include "fuzz.h"


static void
fuzz_same(const mado_update_req_t *a, const mado_update_req_t *b)
{
    FUZZ_CHECK(a->op.type == b->op.type);
    FUZZ_CHECK(a->op.number == b->op.number);

    if (a->op.type != MADO_HEV_SET) {
        return;
    }

    FUZZ_CHECK(a->op.waiting == b->op.waiting);
    FUZZ_CHECK(a->op.calling == b->op.calling);
    FUZZ_CHECK(a->op.last_issued == b->op.last_issued);
    FUZZ_CHECK(a->op.staff == b->op.staff);
    FUZZ_CHECK(a->op.status == b->op.status);
    FUZZ_CHECK((a->op.message == NULL) == (b->op.message == NULL));
    FUZZ_CHECK(a->op.message == NULL
               || strcmp(a->op.message, b->op.message) == 0);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                len;
    yajl_gen              g;
    mado_err_t            err;
    mado_update_req_t     req, again;
    mado_update_route_e   route;
    const unsigned char  *out;

    if (size == 0) {
        return 0;
    }

    route = (mado_update_route_e) (data[0] % (MADO_UPDATE_FEED + 1));

    if (mado_update_decode(route, (const char *) data + 1, size - 1, &req,
                           &err)
        != MADO_OK)
    {
        FUZZ_CHECK(err.text[0] != '\0');
        return 0;
    }

    if (req.op.message != NULL) {
        FUZZ_CHECK(req.op.message == req.message);
        FUZZ_CHECK(mado_message_check(req.message, strlen(req.message),
                                      &err) == MADO_OK);
    }

    g = yajl_gen_alloc(NULL);
    FUZZ_CHECK(g != NULL);

    if (route == MADO_UPDATE_LOGIN) {
        FUZZ_CHECK(mado_valid_id(req.user, strlen(req.user)));
        FUZZ_CHECK(strlen(req.password) <= MADO_PASSWORD_MAX);
        mado_update_login_encode(g, req.user, req.password);

    } else {
        mado_update_encode(g, &req.op);
    }

    FUZZ_CHECK(yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok);

    if (route == MADO_UPDATE_LOGIN || route == MADO_UPDATE_COUNTER) {
        FUZZ_CHECK(mado_update_decode(route, (const char *) out, len, &again,
                                      &err) == MADO_OK);
        fuzz_same(&req, &again);

        if (route == MADO_UPDATE_LOGIN) {
            FUZZ_CHECK(strcmp(req.user, again.user) == 0);
            FUZZ_CHECK(strcmp(req.password, again.password) == 0);
        }
    }

    yajl_gen_free(g);

    return 0;
}
