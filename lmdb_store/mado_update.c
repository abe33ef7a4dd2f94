/*
 * The update API's messages: the requests "madoctl --server" sends and
 * the module reads, and the answers the module makes and madoctl reads.
 * One codec, so that the two ends cannot disagree on a field.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "mado_store.h"


static const struct {
    const char         *name;
    size_t              off;
    int64_t             max;
} mado_update_nums[] = {
    { "waiting",     offsetof(mado_counter_op_t, waiting),     MADO_COUNT_MAX },
    { "calling",     offsetof(mado_counter_op_t, calling),     MADO_COUNT_MAX },
    { "last_issued", offsetof(mado_counter_op_t, last_issued), MADO_COUNT_MAX },
    { "staff",       offsetof(mado_counter_op_t, staff),       99 },
};

#define MADO_UPDATE_NNUMS                                                     \
    (sizeof(mado_update_nums) / sizeof(mado_update_nums[0]))


void
mado_update_encode(yajl_gen g, const mado_counter_op_t *op)
{
    size_t   i;
    int64_t  n;

    yajl_gen_map_open(g);
    mado_gen_lit(g, "action");
    mado_gen_str(g, mado_hev_names[op->type]);

    if (op->number != 0) {
        mado_gen_lit(g, "number");
        yajl_gen_integer(g, op->number);
    }

    for (i = 0; op->type == MADO_HEV_SET && i < MADO_UPDATE_NNUMS; i++) {
        n = *(const int64_t *) ((const char *) op + mado_update_nums[i].off);

        if (n != MADO_KEEP) {
            mado_gen_str(g, mado_update_nums[i].name);
            yajl_gen_integer(g, n);
        }
    }

    if (op->type == MADO_HEV_SET && op->status != MADO_KEEP) {
        mado_gen_lit(g, "status");
        mado_gen_str(g, mado_status_names[op->status]);
    }

    if (op->type == MADO_HEV_SET && op->message != NULL) {
        mado_gen_lit(g, "message");
        mado_gen_str(g, op->message);
    }

    if (op->type == MADO_HEV_SET && op->notice != NULL) {
        mado_gen_lit(g, "notice");
        mado_gen_str(g, op->notice);
    }

    yajl_gen_map_close(g);
}


void
mado_update_login_encode(yajl_gen g, const char *user, const char *password)
{
    yajl_gen_map_open(g);
    mado_gen_lit(g, "user");
    mado_gen_str(g, user);
    mado_gen_lit(g, "password");
    mado_gen_str(g, password);
    yajl_gen_map_close(g);
}


/* one member of a counter update; MADO_EINVAL and err if refused */
static int
mado_update_member(const char *key, yajl_val v, mado_update_req_t *req,
    mado_err_t *err)
{
    int          status;
    size_t       i;
    mado_err_t   why;
    const char  *s;

    s = YAJL_IS_STRING(v) ? v->u.string : NULL;

    if (strcmp(key, "action") == 0) {
        for (i = 0; s != NULL && i < MADO_NHEV; i++) {
            if (strcmp(s, mado_hev_names[i]) == 0) {
                req->op.type = (mado_hev_e) i;
                return MADO_OK;
            }
        }

        return mado_fail(err, MADO_EINVAL, "action: must be issue, call, "
                         "cancel or set");
    }

    if (strcmp(key, "number") == 0) {
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 1
            || YAJL_GET_INTEGER(v) > MADO_COUNT_MAX)
        {
            return mado_fail(err, MADO_EINVAL, "number: must be a whole "
                             "number 1..%d", MADO_COUNT_MAX);
        }

        req->op.number = (uint32_t) YAJL_GET_INTEGER(v);
        return MADO_OK;
    }

    for (i = 0; i < MADO_UPDATE_NNUMS; i++) {
        if (strcmp(key, mado_update_nums[i].name) != 0) {
            continue;
        }

        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0
            || YAJL_GET_INTEGER(v) > mado_update_nums[i].max)
        {
            return mado_fail(err, MADO_EINVAL, "%s: must be a whole number "
                             "%d..%d", key, 0, (int) mado_update_nums[i].max);
        }

        *(int64_t *) ((char *) &req->op + mado_update_nums[i].off) =
            YAJL_GET_INTEGER(v);
        return MADO_OK;
    }

    if (strcmp(key, "status") == 0) {
        status = s ? mado_status_parse(s, strlen(s)) : -1;

        if (status < 0) {
            return mado_fail(err, MADO_EINVAL, "status: must be open, "
                             "paused, closed or ended");
        }

        req->op.status = status;
        return MADO_OK;
    }

    if (strcmp(key, "message") == 0) {
        if (s == NULL || mado_message_check(s, strlen(s), &why) != MADO_OK) {
            return mado_fail(err, MADO_EINVAL, "message: %s",
                             s ? why.text : "must be a string");
        }

        snprintf(req->message, sizeof(req->message), "%s", s);
        req->op.message = req->message;
        return MADO_OK;
    }

    /* a preset's id, "" (or null) for none; the office's list is checked
       when the change is applied (mado_counter_notice_check) */
    if (strcmp(key, "notice") == 0) {
        if (YAJL_IS_NULL(v)) {
            s = "";
        }

        if (s == NULL || (s[0] != '\0' && !mado_valid_id(s, strlen(s)))) {
            return mado_fail(err, MADO_EINVAL, "notice: must be the id of "
                             "one of the office's notices, or \"\" for none");
        }

        snprintf(req->notice, sizeof(req->notice), "%s", s);
        req->op.notice = req->notice;
        return MADO_OK;
    }

    return mado_fail(err, MADO_EINVAL, "%s: not a field of a counter update",
                     key);
}


/* one member of a login; MADO_EINVAL and err if refused */
static int
mado_update_login_member(const char *key, yajl_val v, mado_update_req_t *req,
    mado_err_t *err)
{
    const char  *s;

    s = YAJL_IS_STRING(v) ? v->u.string : NULL;

    if (strcmp(key, "user") == 0) {
        if (s == NULL || !mado_valid_id(s, strlen(s))) {
            return mado_fail(err, MADO_EINVAL, "user: must be a user id");
        }

        snprintf(req->user, sizeof(req->user), "%s", s);
        return MADO_OK;
    }

    if (strcmp(key, "password") == 0) {
        if (s == NULL || strlen(s) > MADO_PASSWORD_MAX) {
            return mado_fail(err, MADO_EINVAL, "password: must be a string "
                             "of at most %d bytes", MADO_PASSWORD_MAX);
        }

        snprintf(req->password, sizeof(req->password), "%s", s);
        return MADO_OK;
    }

    if (strcmp(key, "session") == 0) {
        if (s == NULL || (strcmp(s, "cookie") != 0 && strcmp(s, "bearer") != 0))
        {
            return mado_fail(err, MADO_EINVAL, "session: must be cookie or "
                             "bearer");
        }

        req->session = (s[0] == 'c');
        return MADO_OK;
    }

    return mado_fail(err, MADO_EINVAL, "%s: not a field of login", key);
}


int
mado_update_decode(mado_update_route_e route, const char *body, size_t len,
    mado_update_req_t *req, mado_err_t *err)
{
    int          rc;
    size_t       i;
    yajl_val     root, v;
    mado_err_t   why;
    const char  *key;

    memset(req, 0, sizeof(mado_update_req_t));
    req->session = -1;
    req->op.type = MADO_HEV_SET;
    req->op.waiting = req->op.calling = req->op.last_issued = req->op.staff
        = MADO_KEEP;
    req->op.status = MADO_KEEP;

    /* logout and session take no fields: no body is {} (the API's
       documents send none) */
    if (len == 0
        && (route == MADO_UPDATE_LOGOUT || route == MADO_UPDATE_SESSION))
    {
        return MADO_OK;
    }

    /* the nesting is yajl's: a bracket in a string is a string's */
    root = mado_json_parse(body, len, MADO_UPDATE_DEPTH, &why);

    if (root == NULL) {
        return mado_fail(err, MADO_EINVAL, "the body must be a JSON object "
                         "(%s)", why.text);
    }

    if (!YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        return mado_fail(err, MADO_EINVAL, "the body must be a JSON object");
    }

    rc = MADO_OK;

    for (i = 0; rc == MADO_OK && i < root->u.object.len; i++) {
        key = root->u.object.keys[i];
        v = root->u.object.values[i];

        switch (route) {

        case MADO_UPDATE_LOGIN:
            rc = mado_update_login_member(key, v, req, err);
            break;

        case MADO_UPDATE_LOGOUT:
        case MADO_UPDATE_SESSION:
            rc = mado_fail(err, MADO_EINVAL, "%s: %s takes no fields", key,
                           route == MADO_UPDATE_LOGOUT ? "logout"
                                                       : "session");
            break;

        default:
            rc = mado_update_member(key, v, req, err);
        }
    }

    /* the password is in the tree too: yajl frees without wiping */
    for (i = 0; i < root->u.object.len; i++) {
        v = root->u.object.values[i];

        if (route == MADO_UPDATE_LOGIN && YAJL_IS_STRING(v)
            && strcmp(root->u.object.keys[i], "password") == 0)
        {
            OPENSSL_cleanse(v->u.string, strlen(v->u.string));
        }
    }

    yajl_tree_free(root);

    if (rc != MADO_OK) {
        return rc;
    }

    if (route == MADO_UPDATE_LOGIN
        && (req->user[0] == '\0' || req->password[0] == '\0'))
    {
        return mado_fail(err, MADO_EINVAL, "%s: required",
                         req->user[0] ? "password" : "user");
    }

    if (route == MADO_UPDATE_COUNTER && req->op.type == MADO_HEV_CANCEL
        && req->op.number == 0)
    {
        return mado_fail(err, MADO_EINVAL, "number: required to cancel");
    }

    return MADO_OK;
}


/* yajl's bytes into buf; their length, 0 if they do not fit */
static size_t
mado_update_copy(yajl_gen g, char *buf, size_t size)
{
    size_t                len;
    const unsigned char  *out;

    if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok
        || len > size)
    {
        len = 0;

    } else {
        memcpy(buf, out, len);
    }

    yajl_gen_free(g);

    return len;
}


/* an answer's generator, its object opened with the office */
static yajl_gen
mado_update_answer_open(const char *office)
{
    yajl_gen  g;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NULL;
    }

    yajl_gen_map_open(g);
    mado_gen_lit(g, "office");
    mado_gen_str(g, office);

    return g;
}


size_t
mado_update_answer(char *buf, size_t size, const char *office,
    const char *counter, uint32_t ticket, const mado_counter_state_t *st)
{
    yajl_gen  g;

    g = mado_update_answer_open(office);
    if (g == NULL) {
        return 0;
    }

    mado_gen_lit(g, "counter");
    mado_gen_str(g, counter);
    mado_gen_lit(g, "ticket");
    yajl_gen_integer(g, ticket);
    mado_state_json(g, NULL, NULL, st, 0,
                    MADO_SJ_LAST_ISSUED | MADO_SJ_COUNTS);
    yajl_gen_map_close(g);

    return mado_update_copy(g, buf, size);
}


size_t
mado_feed_answer(char *buf, size_t size, const mado_feed_batch_t *b,
    size_t events)
{
    unsigned  i;
    yajl_gen  g;

    g = mado_update_answer_open(b->office);
    if (g == NULL) {
        return 0;
    }

    mado_gen_lit(g, "events");
    yajl_gen_integer(g, (long long) events);
    mado_gen_lit(g, "applied");
    yajl_gen_integer(g, (long long) b->applied);
    mado_gen_lit(g, "duplicate");
    yajl_gen_integer(g, (long long) b->duplicate);
    mado_gen_lit(g, "old");
    yajl_gen_integer(g, (long long) b->old);
    mado_gen_lit(g, "counters");
    yajl_gen_array_open(g);

    for (i = 0; i < b->nchanged; i++) {
        yajl_gen_map_open(g);
        mado_gen_lit(g, "counter");
        mado_gen_str(g, b->changed[i]);
        mado_state_json(g, NULL, NULL, &b->after[i], 0,
                        MADO_SJ_LAST_ISSUED | MADO_SJ_COUNTS);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    return mado_update_copy(g, buf, size);
}


int
mado_update_answer_parse(const char *json, mado_counter_state_t *st,
    uint32_t *ticket)
{
    int          status, rc;
    size_t       i;
    yajl_val     root, v;
    uint32_t    *out;
    const char  *s, *path[2];

    static const struct {
        const char       *name;
        size_t            off;
    } outs[] = {
        { "waiting",      offsetof(mado_counter_state_t, waiting) },
        { "calling",      offsetof(mado_counter_state_t, calling) },
        { "last_issued",  offsetof(mado_counter_state_t, last_issued) },
        { "served_today", offsetof(mado_counter_state_t, served_today) },
        { "staff",        offsetof(mado_counter_state_t, staff) },
        { "ticket",       0 },
    };

    memset(st, 0, sizeof(mado_counter_state_t));

    root = mado_json_parse(json, strlen(json), MADO_JSON_DEPTH, NULL);
    s = root ? mado_json_str(root, "status") : NULL;
    status = s ? mado_status_parse(s, strlen(s)) : -1;
    rc = (status < 0) ? -1 : 0;

    for (i = 0; rc == 0 && i < sizeof(outs) / sizeof(outs[0]); i++) {
        out = (strcmp(outs[i].name, "ticket") == 0)
              ? ticket : (uint32_t *) ((char *) st + outs[i].off);

        path[0] = outs[i].name;
        path[1] = NULL;
        v = yajl_tree_get(root, path, yajl_t_number);

        if (v == NULL || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0
            || YAJL_GET_INTEGER(v) > UINT32_MAX)
        {
            rc = -1;
            break;
        }

        *out = (uint32_t) YAJL_GET_INTEGER(v);
    }

    if (rc == 0) {
        st->status = (uint32_t) status;
    }

    if (root != NULL) {
        yajl_tree_free(root);
    }

    return rc;
}
