/*
 * The feed's counting rule (mado_ticket_apply, mado_feed_batch) on a real
 * LMDB store: a ticket counts by the latest of its events, so lines in
 * any order, a call read before its issue and a line fed twice give the
 * same counts; a cancel after the call is a no-show; an issue of a number
 * already issued that day is the range wrapping; an earlier day changes
 * nothing.  Times stamped to the minute count after what the file had
 * before them in that minute.
 */

#include "unit.h"


#define DAY         1795748400      /* 2026-11-27T12:00:00+09:00, a Friday */
#define AT(min)     (DAY - 3 * 3600 + (min) * 60)   /* 09:00 + min */


typedef struct {
    const char             *counter;
    const mado_ticket_event_t  *ev;
    size_t                  n;
    /* out */
    mado_counter_state_t    st;
    mado_feed_result_e      res[32];
    int32_t                 wait[32];
    int64_t                 at[32];
} test_apply_t;


/* events applied one by one to a counter, its state put back */
static int
test_apply_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                        rc;
    size_t                     i;
    test_apply_t              *a = arg;
    mado_office_def_t          o;
    const mado_counter_def_t  *c;

    rc = mado_office_get(s, txn, "kita", &o, err);
    if (rc != MADO_OK) {
        return rc;
    }

    c = mado_office_counter(&o, a->counter);

    rc = mado_state_get(s, txn, "kita", a->counter, &a->st, err);

    for (i = 0; rc == MADO_OK && i < a->n; i++) {
        rc = mado_ticket_apply(s, txn, "kita", c, &a->st, &a->ev[i],
                               &a->res[i], &a->wait[i], &a->at[i], err);
    }

    if (rc == MADO_OK) {
        rc = mado_state_put(s, txn, "kita", a->counter, &a->st, err);
    }

    mado_office_free(&o);

    return rc;
}


static void
test_apply(unit_store_t *u, test_apply_t *a, const char *counter,
    const mado_ticket_event_t *ev, size_t n)
{
    mado_err_t  err;

    memset(a, 0, sizeof(test_apply_t));
    a->counter = counter;
    a->ev = ev;
    a->n = n;

    if (!CHECK(mado_store_write(&u->s, test_apply_write, a, &err)
               == MADO_OK))
    {
        fprintf(stderr, "    %s\n", err.text);
    }
}


static void
test_counts(const mado_counter_state_t *st, uint32_t waiting, uint32_t served,
    uint32_t calling, uint32_t last_issued)
{
    CHECK_INT(st->waiting, waiting);
    CHECK_INT(st->served_today, served);
    CHECK_INT(st->calling, calling);
    CHECK_INT(st->last_issued, last_issued);
}


static void
test_rule(unit_store_t *u)
{
    test_apply_t  a, b;

    static const mado_ticket_event_t  day[] = {
        { AT(0), MADO_EV_ISSUE, 1, 0 },
        { AT(1), MADO_EV_ISSUE, 2, 0 },
        { AT(2), MADO_EV_ISSUE, 3, 0 },
        { AT(10), MADO_EV_CALL, 1, 0 },
        { AT(12), MADO_EV_CALL, 2, 0 },
        { AT(13), MADO_EV_CANCEL, 3, 0 },      /* gave up waiting */
        { AT(14), MADO_EV_CANCEL, 2, 0 },      /* called, did not come */
    };

    /* the same day's lines, shuffled as batches and clocks shuffle them:
       calls read before their issues */
    static const mado_ticket_event_t  shuffled[] = {
        { AT(14), MADO_EV_CANCEL, 2, 0 },
        { AT(10), MADO_EV_CALL, 1, 0 },
        { AT(12), MADO_EV_CALL, 2, 0 },
        { AT(2), MADO_EV_ISSUE, 3, 0 },
        { AT(0), MADO_EV_ISSUE, 1, 0 },
        { AT(13), MADO_EV_CANCEL, 3, 0 },
        { AT(1), MADO_EV_ISSUE, 2, 0 },
    };

    test_apply(u, &a, "a", day, 7);

    /* 1 served; 2 a no-show; 3 cancelled while waiting */
    test_counts(&a.st, 0, 1, 2, 3);
    CHECK_INT(a.st.status, MADO_STATUS_OPEN);
    CHECK_INT(a.res[0], MADO_FEED_APPLIED);
    CHECK_INT(a.wait[3], 600);              /* issued 09:00, called 09:10 */
    CHECK_INT(a.wait[4], 660);
    CHECK_INT(a.wait[5], -1);
    CHECK_INT(a.st.updated_at, AT(14));

    test_apply(u, &b, "b", shuffled, 7);
    test_counts(&b.st, a.st.waiting, a.st.served_today, a.st.calling,
                a.st.last_issued);
    CHECK_INT(b.st.updated_at, a.st.updated_at);

    /* the whole day fed again: every line known, nothing changes */
    test_apply(u, &a, "a", day, 7);
    test_counts(&a.st, 0, 1, 2, 3);

    for (size_t i = 0; i < 7; i++) {
        CHECK_INT(a.res[i], MADO_FEED_DUPLICATE);
    }
}


static void
test_partial(unit_store_t *u)
{
    test_apply_t  a;

    /* a call read before its issue: served at once, never waiting */
    static const mado_ticket_event_t  call_first[] = {
        { AT(30), MADO_EV_CALL, 20, 0 },
    };

    static const mado_ticket_event_t  issue_later[] = {
        { AT(25), MADO_EV_ISSUE, 20, 0 },
        { AT(26), MADO_EV_ISSUE, 21, 0 },
    };

    static const mado_ticket_event_t  old_day[] = {
        { AT(0) - 86400, MADO_EV_ISSUE, 22, 0 },
    };

    /* the call proves the issue: last_issued is raised to it */
    test_apply(u, &a, "a", call_first, 1);
    test_counts(&a.st, 0, 2, 20, 20);

    test_apply(u, &a, "a", issue_later, 2);
    test_counts(&a.st, 1, 2, 20, 21);

    /* the issue tells the wait of the call read before it */
    CHECK_INT(a.wait[0], 300);
    CHECK_INT(a.wait[1], -1);

    /* yesterday is history: the live counts go on */
    test_apply(u, &a, "a", old_day, 1);
    CHECK_INT(a.res[0], MADO_FEED_OLD);
    test_counts(&a.st, 1, 2, 20, 21);
}


static void
test_wrap(unit_store_t *u)
{
    size_t               i;
    test_apply_t         a;
    mado_ticket_event_t  ev[32];

    /* "small" numbers 1..10: all issued and called, then 1 and 2 again */
    for (i = 0; i < 10; i++) {
        ev[i].time = AT(i);
        ev[i].type = MADO_EV_ISSUE;
        ev[i].ticket = (uint32_t) i + 1;
        ev[10 + i].time = AT(20 + i);
        ev[10 + i].type = MADO_EV_CALL;
        ev[10 + i].ticket = (uint32_t) i + 1;
    }

    ev[20].time = AT(40);
    ev[20].type = MADO_EV_ISSUE;
    ev[20].ticket = 1;
    ev[21].time = AT(41);
    ev[21].type = MADO_EV_ISSUE;
    ev[21].ticket = 2;

    test_apply(u, &a, "small", ev, 22);

    /* the first round stays served; the second round waits */
    test_counts(&a.st, 2, 10, 10, 2);
    CHECK_INT(a.res[20], MADO_FEED_APPLIED);

    /* the first round's lines replayed: settled, not reopened */
    test_apply(u, &a, "small", ev, 20);
    test_counts(&a.st, 2, 10, 10, 2);

    for (i = 0; i < 20; i++) {
        CHECK_INT(a.res[i], MADO_FEED_DUPLICATE);
    }

    /* the second round's call of 1: 1 served again, it waited 5 minutes */
    ev[0].time = AT(45);
    ev[0].type = MADO_EV_CALL;
    ev[0].ticket = 1;
    test_apply(u, &a, "small", ev, 1);
    test_counts(&a.st, 1, 11, 1, 2);
    CHECK_INT(a.wait[0], 300);
}


/* calls read before their issues: calling is never after last_issued */
static void
test_call_proves_issue(unit_store_t *u)
{
    size_t               i;
    test_apply_t         a, b;
    mado_ticket_event_t  ev[32];

    static const mado_ticket_event_t  day[] = {
        { AT(0), MADO_EV_ISSUE, 1, 0 },
        { AT(1), MADO_EV_ISSUE, 2, 0 },
        { AT(2), MADO_EV_ISSUE, 3, 0 },
        { AT(10), MADO_EV_CALL, 1, 0 },
        { AT(15), MADO_EV_ISSUE, 4, 0 },
        { AT(16), MADO_EV_ISSUE, 5, 0 },
        { AT(18), MADO_EV_ISSUE, 6, 0 },
        { AT(20), MADO_EV_CALL, 5, 0 },
    };

    test_apply(u, &a, "a", day, 4);
    test_counts(&a.st, 2, 1, 1, 3);

    /* the call of 5 first, then 4's issue (later than 3's), then 5's */
    ev[0] = day[7];
    ev[1] = day[4];
    test_apply(u, &a, "a", ev, 1);
    test_counts(&a.st, 2, 2, 5, 5);
    test_apply(u, &a, "a", ev + 1, 1);
    test_counts(&a.st, 3, 2, 5, 5);

    ev[0] = day[5];
    ev[1] = day[6];
    test_apply(u, &a, "a", ev, 2);

    /* as if read in order */
    test_apply(u, &b, "b", day, 8);
    test_counts(&a.st, b.st.waiting, b.st.served_today, 5, 6);
    test_counts(&b.st, 4, 2, 5, 6);

    /*
     * small (1..10) round its end: 1 called before its second issue is
     * not raised to: an issue of 1 was seen (the first round's), and a
     * number called again after half the range is the same whether the
     * queue lapped or the range wrapped.  Its issue, when read, raises it.
     */
    for (i = 0; i < 10; i++) {
        ev[i].time = AT(i);
        ev[i].type = MADO_EV_ISSUE;
        ev[i].ticket = (uint32_t) i + 1;
        ev[10 + i].time = AT(20 + i);
        ev[10 + i].type = MADO_EV_CALL;
        ev[10 + i].ticket = (uint32_t) i + 1;
    }

    ev[20].time = AT(41);
    ev[20].type = MADO_EV_CALL;
    ev[20].ticket = 1;

    test_apply(u, &a, "small", ev, 21);
    CHECK_INT(a.st.calling, 1);
    CHECK_INT(a.st.last_issued, 10);

    ev[0].time = AT(40);
    ev[0].type = MADO_EV_ISSUE;
    ev[0].ticket = 1;
    test_apply(u, &a, "small", ev, 1);
    CHECK_INT(a.st.calling, 1);
    CHECK_INT(a.st.last_issued, 1);
}


/* ------------------------------------------------------------ minutes */

#define MIN         MADO_EV_MINUTE


static void
test_minutes(unit_store_t *u)
{
    test_apply_t  a;

    /* the issue at 10:31:20, its call stamped 10:31: served, waited 0 */
    static const mado_ticket_event_t  issue_call[] = {
        { AT(91) + 20, MADO_EV_ISSUE, 5, 0 },
        { AT(91), MADO_EV_CALL, 5, MIN },
    };

    /* the call again; called again at 10:31:40; the first call again */
    static const mado_ticket_event_t  again[] = {
        { AT(91), MADO_EV_CALL, 5, MIN },
        { AT(91) + 40, MADO_EV_CALL, 5, 0 },
        { AT(91), MADO_EV_CALL, 5, MIN },
    };

    /* "11:48" read after 11:48:10, "11:49" after 11:49:05 */
    static const mado_ticket_event_t  last[] = {
        { AT(168) + 10, MADO_EV_ISSUE, 7, 0 },
        { AT(168), MADO_EV_ISSUE, 8, MIN },
        { AT(169) + 5, MADO_EV_CALL, 7, 0 },
        { AT(169), MADO_EV_CALL, 8, MIN },
    };

    test_apply(u, &a, "a", issue_call, 1);
    test_apply(u, &a, "a", issue_call + 1, 1);      /* another batch */
    CHECK_INT(a.res[0], MADO_FEED_APPLIED);
    CHECK_INT(a.at[0], AT(91) + 20);
    CHECK_INT(a.wait[0], 0);
    test_counts(&a.st, 0, 1, 5, 5);

    test_apply(u, &a, "a", again, 3);
    CHECK_INT(a.res[0], MADO_FEED_DUPLICATE);
    CHECK_INT(a.res[1], MADO_FEED_APPLIED);
    CHECK_INT(a.res[2], MADO_FEED_DUPLICATE);
    test_counts(&a.st, 0, 1, 5, 5);

    test_apply(u, &a, "b", last, 4);
    CHECK_INT(a.at[1], AT(168) + 10);
    CHECK_INT(a.at[3], AT(169) + 5);
    CHECK_INT(a.wait[2], 55);
    CHECK_INT(a.wait[3], 55);                   /* 11:48:10 to 11:49:05 */
    test_counts(&a.st, 0, 2, 8, 8);
}


static void
test_minutes_wrap(unit_store_t *u)
{
    test_apply_t  a;

    /*
     * numbers 1..10: 3 issued at 09:00, called at 10:31 and issued again
     * in that minute (the machine had waited for it), the call's line
     * sent again, the new 3 called at 10:35
     */
    static const mado_ticket_event_t  comeback[] = {
        { AT(0), MADO_EV_ISSUE, 3, 0 },
        { AT(91), MADO_EV_CALL, 3, MIN },
        { AT(91), MADO_EV_ISSUE, 3, MIN },
        { AT(91), MADO_EV_CALL, 3, MIN },
        { AT(95), MADO_EV_CALL, 3, 0 },
    };

    /* 4 served at 09:10; the next 4's call read before its issue */
    static const mado_ticket_event_t  call_first[] = {
        { AT(1), MADO_EV_ISSUE, 4, 0 },
        { AT(10), MADO_EV_CALL, 4, 0 },
        { AT(120), MADO_EV_CALL, 4, 0 },
        { AT(120), MADO_EV_ISSUE, 4, 0 },
    };

    test_apply(u, &a, "small", comeback, 2);
    CHECK_INT(a.wait[1], AT(91) - AT(0));
    test_apply(u, &a, "small", comeback + 2, 1);
    CHECK_INT(a.res[0], MADO_FEED_APPLIED);
    CHECK_INT(a.at[0], AT(91) + 1);             /* after the call */
    test_counts(&a.st, 1, 1, 3, 3);             /* the new 3 waits */

    test_apply(u, &a, "small", comeback + 3, 2);
    CHECK_INT(a.res[0], MADO_FEED_DUPLICATE);
    CHECK_INT(a.res[1], MADO_FEED_APPLIED);
    CHECK_INT(a.wait[1], AT(95) - AT(91) - 1);
    test_counts(&a.st, 0, 2, 3, 3);

    /* one line a batch: the old 4 stays served, the new one is too */
    test_apply(u, &a, "small", call_first, 1);
    test_apply(u, &a, "small", call_first + 1, 1);
    test_apply(u, &a, "small", call_first + 2, 1);
    test_apply(u, &a, "small", call_first + 3, 1);
    CHECK_INT(a.res[0], MADO_FEED_APPLIED);
    CHECK_INT(a.wait[0], 0);                    /* the call's, known now */
    test_counts(&a.st, 0, 4, 4, 4);
}


static void
test_sort(void)
{
    mado_feed_body_t    fb;

    /* 10:31 after 10:31:20 in the file; 10:29, a line sent again */
    static const char   body[] =
        "{\"time\":\"2026-11-27T10:31:20+09:00\",\"event\":\"issue\","
        "\"counter\":\"a\",\"ticket\":40}\n"
        "{\"time\":\"2026-11-27T10:31:20+09:00\",\"event\":\"call\","
        "\"counter\":\"a\",\"ticket\":39}\n"
        "{\"time\":\"2026-11-27T10:31+09:00\",\"event\":\"issue\","
        "\"counter\":\"a\",\"ticket\":41}\n"
        "{\"time\":\"2026-11-27T10:30:50+09:00\",\"event\":\"call\","
        "\"counter\":\"a\",\"ticket\":38}\n"
        "{\"time\":\"2026-11-27T10:29+09:00\",\"event\":\"call\","
        "\"counter\":\"a\",\"ticket\":37}\n";

    if (!CHECK(mado_feed_body(body, sizeof(body) - 1, 100, &fb) == 0
               && !fb.bad && fb.n == 5))
    {
        mado_feed_body_free(&fb);
        return;
    }

    CHECK_INT(fb.order[0]->line, 5);
    CHECK_INT(fb.order[0]->sort_time, AT(89) + 59);
    CHECK_INT(fb.order[1]->line, 4);
    CHECK_INT(fb.order[2]->line, 1);
    CHECK_INT(fb.order[3]->line, 2);
    CHECK_INT(fb.order[4]->line, 3);            /* after the call read */
    CHECK_INT(fb.order[4]->sort_time, AT(91) + 20);
    CHECK_INT(fb.order[4]->ev.time, AT(91));
    CHECK_INT(fb.order[4]->ev.flags, MADO_EV_MINUTE);

    mado_feed_body_free(&fb);
}


/* ------------------------------------------------------------ batches */

typedef struct {
    mado_feed_batch_t    b;
    mado_feed_event_t  **order;
    size_t               n;
} test_batch_t;


static int
test_batch_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    test_batch_t  *t = arg;

    return mado_feed_batch(s, txn, &t->b, t->order, t->n, err);
}


static int
test_batch(unit_store_t *u, test_batch_t *t, const char *body, int by_code,
    int strict, mado_err_t *err)
{
    int                  rc;
    mado_feed_body_t     fb;

    if (mado_feed_body(body, strlen(body), 100, &fb) != 0 || fb.bad) {
        CHECK(!"a body that parses");
        fprintf(stderr, "    %s\n", fb.why);
        mado_feed_body_free(&fb);
        return -1;
    }

    memset(t, 0, sizeof(test_batch_t));
    t->b.office = "kita";
    t->b.now = DAY;
    t->b.actor = "user:test";
    t->b.client = "local";
    t->b.by_code = by_code;
    t->b.strict = strict;
    t->order = fb.order;
    t->n = fb.n;

    rc = mado_store_write(&u->s, test_batch_write, t, err);

    /* the events' results were marked in them */
    mado_feed_body_free(&fb);

    return rc;
}


#define EV(t, e, c, n)                                                        \
    "{\"time\":" #t ",\"event\":\"" e "\",\"counter\":\"" c "\","             \
    "\"ticket\":" #n "}\n"


static void
test_batches(unit_store_t *u)
{
    MDB_txn               *txn;
    mado_err_t             err;
    test_batch_t           t;
    mado_counter_state_t   st;

    /*
     * 08:55 issue 50, 08:56 issue 51, 09:00 call 50 (the line twice), and
     * three bad lines: a ticket out of range, no such counter, a time
     * hours ahead of the clock
     */
    CHECK_INT(test_batch(u, &t, EV(1795737600, "call", "b", 50)
                         EV(1795737300, "issue", "b", 50)
                         EV(1795737360, "issue", "b", 51)
                         EV(1795737600, "call", "b", 50)
                         EV(1795737360, "issue", "b", 400)
                         EV(1795748400, "issue", "nope", 1)
                         EV(1795760000, "issue", "b", 52), 0, 0, &err),
              MADO_OK);

    CHECK_INT(t.b.applied, 3);
    CHECK_INT(t.b.duplicate, 1);
    CHECK_INT(t.b.bad, 3);
    CHECK_INT(t.b.nchanged, 1);
    CHECK_STR(t.b.changed[0], "b");
    CHECK_INT(t.b.after[0].waiting, 1);
    CHECK_INT(t.b.after[0].calling, 50);
    CHECK_INT(t.b.after[0].last_issued, 51);

    /* strict: one bad line refuses the batch, in the API's words */
    CHECK_INT(test_batch(u, &t, EV(1795737700, "call", "b", 51)
                         EV(1795737700, "issue", "b", 400), 0, 1, &err),
              MADO_EINVAL);
    CHECK_STR(err.text, "line 2: ticket 400 is outside counter b's "
              "ticket_range 1..300");

    CHECK_INT(test_batch(u, &t, EV(1795748400, "issue", "zzz", 1), 0, 1,
                         &err), MADO_EINVAL);
    CHECK_STR(err.text, "line 1: \"counter\": office kita has no counter "
              "\"zzz\"");

    CHECK_INT(test_batch(u, &t, EV(1795800000, "issue", "b", 1), 0, 1, &err),
              MADO_EINVAL);
    CHECK_STR(err.text, "line 1: time is more than an hour ahead of the "
              "clock");

    /* business codes: "011" is "11", counter a's */
    CHECK_INT(test_batch(u, &t, EV(1795737700, "issue", "011", 60), 1, 1,
                         &err), MADO_OK);
    CHECK_INT(t.b.nchanged, 1);
    CHECK_STR(t.b.changed[0], "a");

    /* what the store holds: the refused batches wrote nothing */
    CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
    CHECK_INT(mado_state_get(&u->s, txn, "kita", "b", &st, &err), MADO_OK);
    CHECK_INT(st.waiting, 1);
    CHECK_INT(st.served_today, 1);
    CHECK_INT(st.calling, 50);
    mdb_txn_abort(txn);
}


int
main(void)
{
    unit_store_t  u;

    if (unit_store_open(&u, DAY - 4 * 3600) != 0) {
        CHECK(!"a store");
        return unit_done("feed");
    }

    test_rule(&u);
    test_partial(&u);
    test_wrap(&u);
    unit_store_close(&u);

    if (unit_store_open(&u, DAY - 4 * 3600) != 0) {
        CHECK(!"a store");
        return unit_done("feed");
    }

    test_batches(&u);
    unit_store_close(&u);

    if (unit_store_open(&u, DAY - 4 * 3600) != 0) {
        CHECK(!"a store");
        return unit_done("feed");
    }

    test_minutes(&u);
    test_minutes_wrap(&u);
    test_sort();
    unit_store_close(&u);

    /* a store of its own: the numbers above are seen already */
    if (unit_store_open(&u, DAY - 4 * 3600) != 0) {
        CHECK(!"a store");
        return unit_done("feed");
    }

    test_call_proves_issue(&u);
    unit_store_close(&u);

    return unit_done("feed");
}
