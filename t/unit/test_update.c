/*
 * The update API's codec (mado_update.c) and the feed's framing
 * (mado_feed_line, mado_feed_body): what madoctl encodes the module
 * decodes to the same change; what the module refuses it refuses in the
 * words its answers have always had; the answers' bytes.
 */

#include "unit.h"


/* the JSON g made, as a C string (freed with the generator) */
static const char *
test_gen_text(yajl_gen g, size_t *len)
{
    const unsigned char  *buf;

    yajl_gen_get_buf(g, &buf, len);

    return (const char *) buf;
}


static void
test_op_same(const mado_counter_op_t *a, const mado_counter_op_t *b)
{
    CHECK_INT(a->type, b->type);
    CHECK_INT(a->number, b->number);
    CHECK_INT(a->waiting, b->waiting);
    CHECK_INT(a->calling, b->calling);
    CHECK_INT(a->last_issued, b->last_issued);
    CHECK_INT(a->staff, b->staff);
    CHECK_INT(a->status, b->status);
    CHECK((a->message == NULL) == (b->message == NULL));

    if (a->message != NULL && b->message != NULL) {
        CHECK_STR(a->message, b->message);
    }
}


/* op encoded as madoctl sends it, and decoded as the module reads it */
static void
test_round_trip(const mado_counter_op_t *op, const char *want)
{
    size_t             len;
    yajl_gen           g;
    mado_err_t         err;
    const char        *json;
    mado_update_req_t  req;

    g = yajl_gen_alloc(NULL);
    mado_update_encode(g, op);
    json = test_gen_text(g, &len);

    if (want != NULL) {
        CHECK_TEXT(json, len, want);
    }

    err.text[0] = '\0';
    CHECK_INT(mado_update_decode(MADO_UPDATE_COUNTER, json, len, &req, &err),
              MADO_OK);

    if (err.text[0]) {
        fprintf(stderr, "    %s: %s\n", json, err.text);
    }

    test_op_same(&req.op, op);
    CHECK(req.op.message == NULL || req.op.message == req.message);
    CHECK_INT(req.session, -1);

    yajl_gen_free(g);
}


static void
test_requests(void)
{
    size_t             len;
    yajl_gen           g;
    mado_err_t         err;
    const char        *json;
    mado_counter_op_t  op;
    mado_update_req_t  req;

    memset(&op, 0, sizeof(op));
    op.waiting = op.calling = op.last_issued = op.staff = MADO_KEEP;
    op.status = MADO_KEEP;

    op.type = MADO_HEV_ISSUE;
    test_round_trip(&op, "{\"action\":\"issue\"}");

    op.type = MADO_HEV_CALL;
    op.number = 42;
    test_round_trip(&op, "{\"action\":\"call\",\"number\":42}");

    op.type = MADO_HEV_CANCEL;
    op.number = MADO_COUNT_MAX;
    test_round_trip(&op, "{\"action\":\"cancel\",\"number\":9999}");

    /* set: what is kept is not sent */
    op.type = MADO_HEV_SET;
    op.number = 0;
    test_round_trip(&op, "{\"action\":\"set\"}");

    op.waiting = 0;
    op.calling = 17;
    op.last_issued = MADO_COUNT_MAX;
    op.staff = 99;
    op.status = MADO_STATUS_ENDED;
    op.message = "本日の受付は終了しました \"窓口\" \\";
    test_round_trip(&op, "{\"action\":\"set\",\"waiting\":0,\"calling\":17,"
                    "\"last_issued\":9999,\"staff\":99,\"status\":\"ended\","
                    "\"message\":\"本日の受付は終了しました \\\"窓口\\\" "
                    "\\\\\"}");

    op.message = "";
    op.status = MADO_STATUS_OPEN;
    test_round_trip(&op, NULL);

    /* only a set sends figures: issue with them set sends none */
    op.type = MADO_HEV_ISSUE;
    op.message = NULL;
    g = yajl_gen_alloc(NULL);
    mado_update_encode(g, &op);
    json = test_gen_text(g, &len);
    CHECK_BYTES(json, len, "{\"action\":\"issue\"}");
    yajl_gen_free(g);

    /* login */
    g = yajl_gen_alloc(NULL);
    mado_update_login_encode(g, "tanaka", "correct horse \"battery\"");
    json = test_gen_text(g, &len);
    CHECK_BYTES(json, len, "{\"user\":\"tanaka\",\"password\":"
                "\"correct horse \\\"battery\\\"\"}");
    CHECK_INT(mado_update_decode(MADO_UPDATE_LOGIN, json, len, &req, &err),
              MADO_OK);
    CHECK_STR(req.user, "tanaka");
    CHECK_STR(req.password, "correct horse \"battery\"");
    CHECK_INT(req.session, -1);
    yajl_gen_free(g);

    json = "{\"user\":\"t\",\"password\":\"p\",\"session\":\"cookie\"}";
    CHECK_INT(mado_update_decode(MADO_UPDATE_LOGIN, json, strlen(json), &req,
                                 &err), MADO_OK);
    CHECK_INT(req.session, 1);
    json = "{\"session\":\"bearer\",\"user\":\"t\",\"password\":\"p\"}";
    CHECK_INT(mado_update_decode(MADO_UPDATE_LOGIN, json, strlen(json), &req,
                                 &err), MADO_OK);
    CHECK_INT(req.session, 0);

    /* logout and session take no body, or an empty object */
    CHECK_INT(mado_update_decode(MADO_UPDATE_SESSION, "", 0, &req, &err),
              MADO_OK);
    CHECK_INT(mado_update_decode(MADO_UPDATE_LOGOUT, "", 0, &req, &err),
              MADO_OK);
    CHECK_INT(mado_update_decode(MADO_UPDATE_LOGIN, "", 0, &req, &err),
              MADO_EINVAL);

    /* an empty object; a counter's default is a set */
    CHECK_INT(mado_update_decode(MADO_UPDATE_LOGOUT, "{}", 2, &req, &err),
              MADO_OK);
    CHECK_INT(mado_update_decode(MADO_UPDATE_COUNTER, "{}", 2, &req, &err),
              MADO_OK);
    CHECK_INT(req.op.type, MADO_HEV_SET);
    CHECK_INT(req.op.waiting, MADO_KEEP);
    CHECK_INT(req.op.status, MADO_KEEP);
    CHECK(req.op.message == NULL);
}


/* body refused on route with the message want */
static void
test_refused(mado_update_route_e route, const char *body, size_t len,
    const char *want)
{
    int                rc;
    mado_err_t         err;
    mado_update_req_t  req;

    err.text[0] = '\0';
    rc = mado_update_decode(route, body, len, &req, &err);

    if (!CHECK(rc == MADO_EINVAL)) {
        fprintf(stderr, "    body: %.*s\n", (int) len, body);
    }

    CHECK_STR(err.text, want);
}

#define REFUSED(route, body, want)                                            \
    test_refused(route, body, sizeof(body) - 1, want)


static void
test_hostile(void)
{
    char        *big;
    size_t       n;
    mado_err_t   err;
    mado_update_req_t  req;

    REFUSED(MADO_UPDATE_COUNTER, "", "the body must be a JSON object "
            "(not JSON: parse error: premature EOF)");
    REFUSED(MADO_UPDATE_COUNTER, "[]", "the body must be a JSON object");
    REFUSED(MADO_UPDATE_COUNTER, "\"str\"", "the body must be a JSON object");
    REFUSED(MADO_UPDATE_COUNTER, "{", "the body must be a JSON object "
            "(not JSON: parse error: premature EOF)");
    REFUSED(MADO_UPDATE_COUNTER, "{\"message\":\"\xff\"}",
            "the body must be a JSON object (not JSON: lexical error: "
            "invalid bytes in UTF8 string.)");
    /* the body's length decides, not a NUL */
    REFUSED(MADO_UPDATE_COUNTER, "{}\0", "the body must be a JSON object "
            "(not JSON: contains a NUL byte)");
    REFUSED(MADO_UPDATE_COUNTER, "[[[[[1]]]]]",
            "the body must be a JSON object (nests deeper than 4)");
    REFUSED(MADO_UPDATE_COUNTER, "{\"a\":[{\"b\":[{}]}]}",
            "the body must be a JSON object (nests deeper than 4)");
    REFUSED(MADO_UPDATE_COUNTER, "{\"a\":[{\"b\":[]}]}",
            "a: not a field of a counter update");
    /* brackets in a string are the string's: the nesting is yajl's */
    REFUSED(MADO_UPDATE_COUNTER, "{\"m\":\"[[[[[[[\"}",
            "m: not a field of a counter update");
    {
        static const char  msg[] = "{\"message\":\"[[[[[ {{{{{ ]]]]]\"}";

        CHECK_INT(mado_update_decode(MADO_UPDATE_COUNTER, msg,
                                     sizeof(msg) - 1, &req, &err), MADO_OK);
        CHECK_STR(req.message, "[[[[[ {{{{{ ]]]]]");
    }

    REFUSED(MADO_UPDATE_COUNTER, "{\"action\":\"CALL\"}",
            "action: must be issue, call, cancel or set");
    REFUSED(MADO_UPDATE_COUNTER, "{\"action\":1}",
            "action: must be issue, call, cancel or set");
    REFUSED(MADO_UPDATE_COUNTER, "{\"number\":0}",
            "number: must be a whole number 1..9999");
    REFUSED(MADO_UPDATE_COUNTER, "{\"number\":99999999999999999999}",
            "number: must be a whole number 1..9999");
    REFUSED(MADO_UPDATE_COUNTER, "{\"waiting\":1.5}",
            "waiting: must be a whole number 0..9999");
    REFUSED(MADO_UPDATE_COUNTER, "{\"waiting\":-1}",
            "waiting: must be a whole number 0..9999");
    REFUSED(MADO_UPDATE_COUNTER, "{\"waiting\":1,\"waiting\":true}",
            "waiting: must be a whole number 0..9999");
    REFUSED(MADO_UPDATE_COUNTER, "{\"calling\":10000}",
            "calling: must be a whole number 0..9999");
    REFUSED(MADO_UPDATE_COUNTER, "{\"last_issued\":\"3\"}",
            "last_issued: must be a whole number 0..9999");
    REFUSED(MADO_UPDATE_COUNTER, "{\"staff\":100}",
            "staff: must be a whole number 0..99");
    REFUSED(MADO_UPDATE_COUNTER, "{\"status\":\"sleeping\"}",
            "status: must be open, paused, closed or ended");
    REFUSED(MADO_UPDATE_COUNTER, "{\"status\":1}",
            "status: must be open, paused, closed or ended");
    REFUSED(MADO_UPDATE_COUNTER, "{\"message\":null}",
            "message: must be a string");
    REFUSED(MADO_UPDATE_COUNTER, "{\"message\":\"a\\u0001b\"}",
            "message: must not contain control characters (U+0001 at byte "
            "1)");
    REFUSED(MADO_UPDATE_COUNTER, "{\"bogus\":1}",
            "bogus: not a field of a counter update");
    REFUSED(MADO_UPDATE_COUNTER, "{\"a\\\"b\":1}",
            "a\"b: not a field of a counter update");
    /* a NUL in a key ends it, as C strings do */
    REFUSED(MADO_UPDATE_COUNTER, "{\"\\u0000x\":1}",
            ": not a field of a counter update");
    REFUSED(MADO_UPDATE_COUNTER, "{\"action\":\"cancel\"}",
            "number: required to cancel");
    /* the first bad field is the answer */
    REFUSED(MADO_UPDATE_COUNTER, "{\"staff\":100,\"waiting\":-1}",
            "staff: must be a whole number 0..99");

    REFUSED(MADO_UPDATE_LOGIN, "{\"user\":\"x\"}", "password: required");
    REFUSED(MADO_UPDATE_LOGIN, "{\"password\":\"y\"}", "user: required");
    REFUSED(MADO_UPDATE_LOGIN, "{}", "user: required");
    REFUSED(MADO_UPDATE_LOGIN, "{\"user\":\"A B\",\"password\":\"c\"}",
            "user: must be a user id");
    REFUSED(MADO_UPDATE_LOGIN, "{\"user\":5}", "user: must be a user id");
    REFUSED(MADO_UPDATE_LOGIN, "{\"password\":5}",
            "password: must be a string of at most 256 bytes");
    REFUSED(MADO_UPDATE_LOGIN, "{\"session\":\"x\"}",
            "session: must be cookie or bearer");
    REFUSED(MADO_UPDATE_LOGIN, "{\"foo\":1}", "foo: not a field of login");
    REFUSED(MADO_UPDATE_SESSION, "{\"z\":[1]}", "z: session takes no fields");
    REFUSED(MADO_UPDATE_LOGOUT, "{\"a\":1}", "a: logout takes no fields");

    /* bytes after a NUL are not read (the parser wants a C string) */
    CHECK_INT(mado_update_decode(MADO_UPDATE_COUNTER, "{}\0{{{{{", 2, &req,
                                 &err), MADO_OK);

    /* a key longer than a message: the message is cut, not overrun */
    big = malloc(2000);

    if (big != NULL) {
        memset(big, 'k', 2000);
        big[0] = '{';
        big[1] = '"';
        memcpy(big + 1990, "\":1}", 5);
        n = strlen(big);
        CHECK_INT(mado_update_decode(MADO_UPDATE_COUNTER, big, n, &req, &err),
                  MADO_EINVAL);
        CHECK_INT(strlen(err.text), sizeof(err.text) - 1);
        CHECK(strncmp(err.text, "kkkk", 4) == 0);
        free(big);
    }

    /* a password of the longest kind, and one byte more */
    big = malloc(MADO_PASSWORD_MAX + 64);

    if (big != NULL) {
        n = (size_t) sprintf(big, "{\"user\":\"u\",\"password\":\"%0*d\"}",
                             MADO_PASSWORD_MAX, 7);
        CHECK_INT(mado_update_decode(MADO_UPDATE_LOGIN, big, n, &req, &err),
                  MADO_OK);
        CHECK_INT(strlen(req.password), MADO_PASSWORD_MAX);

        n = (size_t) sprintf(big, "{\"user\":\"u\",\"password\":\"%0*d\"}",
                             MADO_PASSWORD_MAX + 1, 7);
        CHECK_INT(mado_update_decode(MADO_UPDATE_LOGIN, big, n, &req, &err),
                  MADO_EINVAL);
        free(big);
    }
}


static void
test_answers(void)
{
    size_t                n;
    char                  buf[4096];
    uint32_t              ticket;
    mado_feed_batch_t     b;
    mado_counter_state_t  st, back;

    memset(&st, 0, sizeof(st));
    st.status = MADO_STATUS_OPEN;
    st.waiting = 15;
    st.calling = 2;
    st.last_issued = 4;
    st.served_today = 2;
    st.staff = 3;
    st.message_len = 2;
    strcpy(st.message, "ok");

    /* the bytes the module's ngx_snprintf() made */
    n = mado_update_answer(buf, sizeof(buf), "kita", "moving", 7, &st);
    CHECK_BYTES(buf, n, "{\"office\":\"kita\",\"counter\":\"moving\","
                "\"ticket\":7,\"status\":\"open\",\"waiting\":15,"
                "\"calling\":2,\"last_issued\":4,\"served_today\":2,"
                "\"staff\":3}");
    CHECK_INT(mado_update_answer(buf, n - 1, "kita", "moving", 7, &st), 0);

    /* and madoctl reads them back */
    n = mado_update_answer(buf, sizeof(buf) - 1, "kita", "moving", 7, &st);
    buf[n] = '\0';
    CHECK_INT(mado_update_answer_parse(buf, &back, &ticket), 0);
    CHECK_INT(ticket, 7);
    CHECK(back.status == st.status && back.waiting == st.waiting
          && back.calling == st.calling && back.last_issued == st.last_issued
          && back.served_today == st.served_today && back.staff == st.staff);

    CHECK_INT(mado_update_answer_parse("{\"status\":\"open\"}", &back,
                                       &ticket), -1);
    CHECK_INT(mado_update_answer_parse("<html>", &back, &ticket), -1);
    CHECK_INT(mado_update_answer_parse(
                  "{\"status\":\"gone\",\"waiting\":1,\"calling\":1,"
                  "\"last_issued\":1,\"served_today\":1,\"staff\":1,"
                  "\"ticket\":1}", &back, &ticket), -1);
    CHECK_INT(mado_update_answer_parse(
                  "{\"status\":\"open\",\"waiting\":-1,\"calling\":1,"
                  "\"last_issued\":1,\"served_today\":1,\"staff\":1,"
                  "\"ticket\":1}", &back, &ticket), -1);

    memset(&b, 0, sizeof(b));
    b.office = "kita";
    b.applied = 7;
    b.duplicate = 1;
    b.old = 0;
    n = mado_feed_answer(buf, sizeof(buf), &b, 8);
    CHECK_BYTES(buf, n, "{\"office\":\"kita\",\"events\":8,\"applied\":7,"
                "\"duplicate\":1,\"old\":0,\"counters\":[]}");

    b.nchanged = 2;
    strcpy(b.changed[0], "moving");
    b.after[0] = st;
    strcpy(b.changed[1], "certificates");
    b.after[1] = st;
    b.after[1].status = MADO_STATUS_ENDED;
    b.after[1].waiting = 18;
    n = mado_feed_answer(buf, sizeof(buf), &b, 8);
    CHECK_BYTES(buf, n, "{\"office\":\"kita\",\"events\":8,\"applied\":7,"
                "\"duplicate\":1,\"old\":0,\"counters\":["
                "{\"counter\":\"moving\",\"status\":\"open\",\"waiting\":15,"
                "\"calling\":2,\"last_issued\":4,\"served_today\":2,"
                "\"staff\":3},"
                "{\"counter\":\"certificates\",\"status\":\"ended\","
                "\"waiting\":18,\"calling\":2,\"last_issued\":4,"
                "\"served_today\":2,\"staff\":3}]}");
}


/* ------------------------------------------------------------ framing */

static void
test_feed_line(void)
{
    char          *big;
    mado_line_t    l;
    const char    *d;

    CHECK_INT(strcmp(MADO_FEED_LONG, "longer than 4096 bytes"), 0);
    CHECK_INT(MADO_FEED_LINE_MAX, 4096);

    d = "abc\r\nnext";
    CHECK_INT(mado_feed_line(d, 9, 0, &l), MADO_LINE_TEXT);
    CHECK_BYTES(l.text, l.len, "abc");
    CHECK_INT(l.used, 5);
    CHECK_INT(mado_feed_line(d + 5, 4, 0, &l), MADO_LINE_PARTIAL);
    CHECK_INT(l.used, 0);
    CHECK_INT(mado_feed_line(d + 5, 4, MADO_LINE_EOF, &l), MADO_LINE_TEXT);
    CHECK_BYTES(l.text, l.len, "next");
    CHECK_INT(l.used, 4);
    CHECK_INT(mado_feed_line(d, 0, MADO_LINE_EOF, &l), MADO_LINE_PARTIAL);

    CHECK_INT(mado_feed_line(" \t \r\n", 5, 0, &l), MADO_LINE_BLANK);
    CHECK_INT(mado_feed_line("\n", 1, 0, &l), MADO_LINE_BLANK);
    CHECK_INT(l.used, 1);

    /* a byte order mark only when asked for */
    d = "\xef\xbb\xbf{}\r\n";
    CHECK_INT(mado_feed_line(d, 7, MADO_LINE_BOM, &l), MADO_LINE_TEXT);
    CHECK_BYTES(l.text, l.len, "{}");
    CHECK_INT(mado_feed_line(d, 7, 0, &l), MADO_LINE_TEXT);
    CHECK_INT(l.len, 5);
    CHECK_INT(mado_feed_line("\xef\xbb\xbf\r\n", 5, MADO_LINE_BOM, &l),
              MADO_LINE_BLANK);

    CHECK_INT(mado_feed_line("a\0b\n", 4, 0, &l), MADO_LINE_BINARY);

    big = malloc(MADO_FEED_LINE_MAX + 8);

    if (big != NULL) {
        /* the limit counts the line without its CR and LF */
        memset(big, 'x', MADO_FEED_LINE_MAX + 8);
        memcpy(big + MADO_FEED_LINE_MAX, "\r\n", 2);
        CHECK_INT(mado_feed_line(big, MADO_FEED_LINE_MAX + 2, 0, &l),
                  MADO_LINE_TEXT);
        big[MADO_FEED_LINE_MAX] = 'x';
        memcpy(big + MADO_FEED_LINE_MAX + 1, "\r\n", 2);
        CHECK_INT(mado_feed_line(big, MADO_FEED_LINE_MAX + 3, 0, &l),
                  MADO_LINE_LONG);
        /* too long is said before what is in it */
        big[5] = '\0';
        CHECK_INT(mado_feed_line(big, MADO_FEED_LINE_MAX + 3, 0, &l),
                  MADO_LINE_LONG);
        free(big);
    }
}


static void
test_feed_body(void)
{
    char               *big, *p;
    size_t              i;
    mado_feed_body_t    fb;
    const char         *d;

#define EV(t, e, c, n)                                                        \
    "{\"time\":" #t ",\"event\":\"" e "\",\"counter\":\"" c "\","             \
    "\"ticket\":" #n "}"

    static const char   nul[] = EV(1, "issue", "a", 1) "\n\x00{}\n";

    /* a BOM where it starts, CRLF, blank lines; sorted to apply */
    d = "\xef\xbb\xbf" EV(1795748460, "call", "a", 1) "\r\n\n  \t\n"
        EV(1795748400, "issue", "a", 1) "\n" EV(1795748460, "issue", "b", 9);
    CHECK_INT(mado_feed_body(d, strlen(d), 100, &fb), 0);
    CHECK(!fb.bad && !fb.too_many);
    CHECK_INT(fb.n, 3);

    if (fb.n == 3) {
        CHECK_INT(fb.order[0]->ev.time, 1795748400);
        CHECK_INT(fb.order[0]->line, 4);
        CHECK_INT(fb.order[1]->ev.type, MADO_EV_ISSUE);
        CHECK_INT(fb.order[1]->line, 5);
        CHECK_INT(fb.order[2]->ev.type, MADO_EV_CALL);
        CHECK_STR(fb.order[2]->key, "a");
    }

    mado_feed_body_free(&fb);
    CHECK(fb.events == NULL && fb.order == NULL);

    /* the first bad line is the answer, in the API's words */
    CHECK_INT(mado_feed_body(nul, sizeof(nul) - 1, 100, &fb), 0);
    CHECK(fb.bad);
    CHECK_STR(fb.why, "line 2: not UTF-8 text");
    mado_feed_body_free(&fb);

    d = "\n\xff\n";
    CHECK_INT(mado_feed_body(d, strlen(d), 100, &fb), 0);
    CHECK_STR(fb.why, "line 2: not UTF-8 text");
    mado_feed_body_free(&fb);

    /* before 1970: refused as a string as it is as a number */
    d = "{\"time\":\"1013-11-27T09:30:00+09:00\",\"event\":\"issue\","
        "\"counter\":\"moving\",\"ticket\":17}\n{\"time\":\"0\"}";
    CHECK_INT(mado_feed_body(d, strlen(d), 100, &fb), 0);
    CHECK_STR(fb.why, "line 1: \"time\" must be ISO 8601 like "
              "\"2026-11-27T09:30:00+09:00\" or unix seconds");
    mado_feed_body_free(&fb);

    d = "{\"time\":\"x\"}";
    CHECK_INT(mado_feed_body(d, strlen(d), 100, &fb), 0);
    CHECK_STR(fb.why, "line 1: \"time\" must be ISO 8601 like "
              "\"2026-11-27T09:30:00+09:00\" or unix seconds");
    mado_feed_body_free(&fb);

    /* a BOM further down is no BOM: that line is not JSON */
    d = "\xef\xbb\xbf\n\xef\xbb\xbf{}\n";
    CHECK_INT(mado_feed_body(d, strlen(d), 100, &fb), 0);
    CHECK_STR(fb.why, "line 2: not JSON: lexical error: invalid char in json "
              "text.");
    mado_feed_body_free(&fb);

    big = malloc(2 * MADO_FEED_LINE_MAX);

    if (big != NULL) {
        memset(big, 'x', 2 * MADO_FEED_LINE_MAX);
        memcpy(big, "\n\n", 2);
        CHECK_INT(mado_feed_body(big, 2 * MADO_FEED_LINE_MAX, 100, &fb), 0);
        CHECK_STR(fb.why, "line 3: longer than 4096 bytes");
        mado_feed_body_free(&fb);
        free(big);
    }

    /* more events than a batch may have: 413's words; blank lines free */
    big = malloc(6 * 100);

    if (big != NULL) {
        for (p = big, i = 0; i < 6; i++) {
            p += sprintf(p, "%s\n\n", EV(1795748400, "issue", "a", 1));
        }

        CHECK_INT(mado_feed_body(big, p - big, 6, &fb), 0);
        CHECK(!fb.too_many && !fb.bad);
        mado_feed_body_free(&fb);

        CHECK_INT(mado_feed_body(big, p - big, 5, &fb), 0);
        CHECK(fb.too_many);
        CHECK_STR(fb.why, "a batch may have at most 5 events");
        mado_feed_body_free(&fb);
        free(big);
    }

    /* nothing at all is a batch of none */
    CHECK_INT(mado_feed_body("", 0, 10, &fb), 0);
    CHECK(!fb.bad && fb.n == 0);
    mado_feed_body_free(&fb);

#undef EV
}


int
main(void)
{
    test_requests();
    test_hostile();
    test_answers();
    test_feed_line();
    test_feed_body();

    return unit_done("update");
}
