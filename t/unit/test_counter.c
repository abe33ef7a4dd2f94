/*
 * What every writer keeps: the number called is one that was issued,
 * going round the counter's ticket_range.  The predicate
 * (mado_ticket_issued), and the rules of call, cancel and set
 * (mado_counter_apply) on a real store, wrapping included; the pieces the
 * simulator uses (mado_counter_call) alone.
 */

#include "unit.h"


#define DAY         1795748400      /* 2026-11-27T12:00:00+09:00, a Friday */


static void
test_predicate(void)
{
    mado_counter_def_t    c;
    mado_counter_state_t  st;

    unit_counter(&c, 300);
    c.ticket_first = 1;
    c.ticket_last = 10;
    unit_state(&st, 0, 1, 0, 0);

    /* nothing issued yet today */
    CHECK(!mado_ticket_issued(&c, &st, 1));
    CHECK(mado_ticket_after(&c, 1, 0));

    st.last_issued = 5;
    CHECK(mado_ticket_issued(&c, &st, 5));
    CHECK(mado_ticket_issued(&c, &st, 1));
    CHECK(!mado_ticket_issued(&c, &st, 6));
    CHECK(!mado_ticket_issued(&c, &st, 9));
    /* half the range behind: the round before */
    CHECK(mado_ticket_issued(&c, &st, 10));
    /* outside the range */
    CHECK(!mado_ticket_issued(&c, &st, 0));
    CHECK(!mado_ticket_issued(&c, &st, 11));

    /* wrapped: 9, 10, 1, 2 were issued last; 3 .. 6 were not yet */
    st.last_issued = 2;
    CHECK(mado_ticket_issued(&c, &st, 1));
    CHECK(mado_ticket_issued(&c, &st, 10));
    CHECK(mado_ticket_issued(&c, &st, 9));
    CHECK(!mado_ticket_issued(&c, &st, 3));
    CHECK(!mado_ticket_issued(&c, &st, 6));

    CHECK_INT(mado_ticket_next(&c, 0), 1);
    CHECK_INT(mado_ticket_next(&c, 3), 4);
    CHECK_INT(mado_ticket_next(&c, 10), 1);
    CHECK_INT(mado_ticket_next(&c, 11), 1);

    /* the demo's counters: calling 150 with 149 issued is after it */
    c.ticket_last = MADO_COUNT_MAX;
    st.last_issued = 149;
    CHECK(mado_ticket_after(&c, 150, 149));
    CHECK(!mado_ticket_issued(&c, &st, 150));
    CHECK(!mado_ticket_issued(&c, &st, 5148));
    CHECK(mado_ticket_issued(&c, &st, 5150));
}


/* the simulator's pieces: a call of the next number issues it if need be */
static void
test_call_next(void)
{
    mado_counter_def_t    c;
    mado_counter_state_t  st;

    unit_counter(&c, 300);
    c.ticket_first = 101;
    c.ticket_last = 110;

    /* hand-kept: staff set 2 waiting and call */
    unit_state(&st, 2, 1, 0, 0);
    CHECK_INT(mado_counter_call(&st, &c, 0, DAY), 101);
    CHECK_INT(st.last_issued, 101);
    CHECK_INT(mado_counter_call(&st, &c, 0, DAY), 102);
    CHECK_INT(st.last_issued, 102);
    CHECK_INT(st.waiting, 0);

    /* issued numbers are called as they are */
    CHECK_INT(mado_counter_issue(&st, &c, DAY), 103);
    CHECK_INT(mado_counter_issue(&st, &c, DAY), 104);
    CHECK_INT(mado_counter_call(&st, &c, 0, DAY), 103);
    CHECK_INT(st.last_issued, 104);

    /* round the range */
    st.calling = 110;
    st.last_issued = 110;
    st.waiting = 1;
    CHECK_INT(mado_counter_call(&st, &c, 0, DAY), 101);
    CHECK_INT(st.last_issued, 101);

    /* a queue longer than half the range: 108 .. 110, 101 .. 103 wait */
    st.calling = 107;
    st.last_issued = 103;
    st.waiting = 6;
    CHECK_INT(mado_counter_call(&st, &c, 0, DAY), 108);
    CHECK_INT(st.last_issued, 103);
}


/* ------------------------------------------------------------ the store */

typedef struct {
    const char             *counter;
    mado_counter_op_t       op;
    /* out */
    mado_counter_state_t    before, after;
    uint32_t                result;
    const char             *field;
} test_op_t;


static int
test_op_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    test_op_t  *t = arg;

    return mado_counter_apply(s, txn, "kita", t->counter, &t->op, DAY,
                              &t->before, &t->after, &t->result, &t->field,
                              err);
}


/* one change; its return code, and the message in err */
static int
test_op(unit_store_t *u, test_op_t *t, const char *counter, mado_hev_e type,
    uint32_t number, mado_err_t *err)
{
    memset(t, 0, sizeof(test_op_t));
    t->counter = counter;
    t->op.type = type;
    t->op.number = number;
    t->op.waiting = t->op.calling = t->op.last_issued = t->op.staff
        = MADO_KEEP;
    t->op.status = MADO_KEEP;

    err->text[0] = '\0';

    return mado_store_write(&u->s, test_op_write, t, err);
}


/* set, opening the counter: MADO_KEEP keeps a figure */
static int
test_set(unit_store_t *u, test_op_t *t, const char *counter, int64_t waiting,
    int64_t calling, int64_t last, mado_err_t *err)
{
    memset(t, 0, sizeof(test_op_t));
    t->counter = counter;
    t->op.type = MADO_HEV_SET;
    t->op.waiting = waiting;
    t->op.calling = calling;
    t->op.last_issued = last;
    t->op.staff = MADO_KEEP;
    t->op.status = MADO_STATUS_OPEN;

    err->text[0] = '\0';

    return mado_store_write(&u->s, test_op_write, t, err);
}


/* the counter's state as stored */
static void
test_state(unit_store_t *u, const char *counter, mado_counter_state_t *st)
{
    MDB_txn     *txn;
    mado_err_t   err;

    CHECK_INT(mado_store_read_begin(&u->s, &txn, &err), MADO_OK);
    CHECK_INT(mado_state_get(&u->s, txn, "kita", counter, st, &err),
              MADO_OK);
    mdb_txn_abort(txn);
}


typedef struct {
    const char             *counter;
    mado_counter_state_t    st;
} test_put_t;


static int
test_put_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    test_put_t  *p = arg;

    return mado_state_put(s, txn, "kita", p->counter, &p->st, err);
}


static void
test_figures(unit_store_t *u, const char *counter, uint32_t waiting,
    uint32_t calling, uint32_t last)
{
    mado_counter_state_t  st;

    test_state(u, counter, &st);
    CHECK_INT(st.waiting, waiting);
    CHECK_INT(st.calling, calling);
    CHECK_INT(st.last_issued, last);
}


static void
test_set_rules(unit_store_t *u)
{
    test_op_t   t;
    test_put_t  p;
    mado_err_t  err;

    /* counter a: 1..300 */
    CHECK_INT(test_set(u, &t, "a", 2, 0, 0, &err), MADO_OK);
    test_figures(u, "a", 2, 0, 0);

    /* calling alone: it was issued, so last_issued follows */
    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, 150, MADO_KEEP, &err),
              MADO_OK);
    test_figures(u, "a", 2, 150, 150);

    /* calling and last_issued that contradict each other */
    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, 160, 155, &err), MADO_EINVAL);
    CHECK_STR(t.field, "calling");
    CHECK_STR(err.text, "160 would come after last_issued 155: a number is "
              "called after it is issued");

    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, MADO_KEEP, 100, &err),
              MADO_EINVAL);
    CHECK_STR(t.field, "last_issued");
    CHECK_STR(err.text, "100 would come before calling 150: a number is "
              "called after it is issued");

    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, 5, 0, &err), MADO_EINVAL);
    CHECK_STR(t.field, "calling");

    /* outside ticket_range */
    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, 301, MADO_KEEP, &err),
              MADO_EINVAL);
    CHECK_STR(t.field, "calling");
    CHECK_STR(err.text, "301 is outside the counter's ticket_range 1..300");

    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, MADO_KEEP, 9999, &err),
              MADO_EINVAL);
    CHECK_STR(t.field, "last_issued");

    /* refused: nothing written */
    test_figures(u, "a", 2, 150, 150);

    /* both given, in order; and both back to none */
    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, 160, 170, &err), MADO_OK);
    test_figures(u, "a", 2, 160, 170);
    CHECK_INT(test_set(u, &t, "a", 0, 0, 0, &err), MADO_OK);
    test_figures(u, "a", 0, 0, 0);

    /*
     * A state some older writer broke: a set of other figures leaves the
     * numbers be (a queue longer than half the range looks the same), a
     * set of calling repairs it
     */
    test_state(u, "a", &p.st);
    p.counter = "a";
    p.st.calling = 150;
    p.st.last_issued = 149;
    CHECK_INT(mado_store_write(&u->s, test_put_write, &p, &err), MADO_OK);
    CHECK_INT(test_set(u, &t, "a", 3, MADO_KEEP, MADO_KEEP, &err), MADO_OK);
    test_figures(u, "a", 3, 150, 149);
    CHECK_INT(test_set(u, &t, "a", MADO_KEEP, 150, MADO_KEEP, &err),
              MADO_OK);
    test_figures(u, "a", 3, 150, 150);

    /* counter small: 1..10, wrapped: calling 9 with 2 issued is fine */
    CHECK_INT(test_set(u, &t, "small", 3, 9, 2, &err), MADO_OK);
    test_figures(u, "small", 3, 9, 2);
}


static void
test_call_cancel(unit_store_t *u)
{
    test_op_t   t;
    mado_err_t  err;

    /* counter a: calling 10, 11 .. 20 issued */
    CHECK_INT(test_set(u, &t, "a", 10, 10, 20, &err), MADO_OK);

    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CALL, 25, &err), MADO_EINVAL);
    CHECK_STR(t.field, "number");
    CHECK_STR(err.text, "ticket 25 has not been issued (last issued 20)");

    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CALL, 301, &err), MADO_EINVAL);
    CHECK_STR(t.field, "number");
    CHECK_STR(err.text, "ticket 301 is outside the counter's ticket_range "
              "1..300");

    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CANCEL, 21, &err), MADO_EINVAL);
    CHECK_STR(t.field, "number");

    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CANCEL, 10, &err), MADO_EINVAL);
    CHECK_STR(err.text, "ticket 10 has already been called (calling 10)");
    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CANCEL, 4, &err), MADO_EINVAL);
    CHECK_STR(t.field, "number");

    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CANCEL, 15, &err), MADO_OK);
    CHECK_INT(t.result, 15);
    test_figures(u, "a", 9, 10, 20);

    /* an issued number, called out of turn */
    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CALL, 20, &err), MADO_OK);
    test_figures(u, "a", 8, 20, 20);

    /* those left waiting hold earlier numbers: call next issues 21 */
    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CALL, 0, &err), MADO_OK);
    CHECK_INT(t.result, 21);
    test_figures(u, "a", 7, 21, 21);

    /* nobody issued yet today */
    CHECK_INT(test_set(u, &t, "a", 1, 0, 0, &err), MADO_OK);
    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CALL, 1, &err), MADO_EINVAL);
    CHECK_STR(err.text, "ticket 1 has not been issued (none yet today)");
    CHECK_INT(test_op(u, &t, "a", MADO_HEV_CALL, 0, &err), MADO_OK);
    CHECK_INT(t.result, 1);
    test_figures(u, "a", 0, 1, 1);
}


static void
test_wrapped(unit_store_t *u)
{
    test_op_t   t;
    mado_err_t  err;

    /* counter small (1..10): calling 9; 10, 1, 2 waiting */
    CHECK_INT(test_set(u, &t, "small", 3, 9, 2, &err), MADO_OK);

    /* 1 was issued after the range wrapped, and is not called yet */
    CHECK_INT(test_op(u, &t, "small", MADO_HEV_CANCEL, 1, &err), MADO_OK);
    test_figures(u, "small", 2, 9, 2);

    CHECK_INT(test_op(u, &t, "small", MADO_HEV_CANCEL, 8, &err),
              MADO_EINVAL);
    CHECK_STR(err.text, "ticket 8 has already been called (calling 9)");
    CHECK_INT(test_op(u, &t, "small", MADO_HEV_CANCEL, 3, &err),
              MADO_EINVAL);
    CHECK_STR(err.text, "ticket 3 has not been issued (last issued 2)");
    CHECK_INT(test_op(u, &t, "small", MADO_HEV_CALL, 4, &err), MADO_EINVAL);

    /* called round the end of the range */
    CHECK_INT(test_op(u, &t, "small", MADO_HEV_CALL, 0, &err), MADO_OK);
    CHECK_INT(t.result, 10);
    CHECK_INT(test_op(u, &t, "small", MADO_HEV_CALL, 2, &err), MADO_OK);
    test_figures(u, "small", 0, 2, 2);

    /* a re-call of the round before */
    CHECK_INT(test_set(u, &t, "small", 1, MADO_KEEP, MADO_KEEP, &err),
              MADO_OK);
    CHECK_INT(test_op(u, &t, "small", MADO_HEV_CALL, 10, &err), MADO_OK);
    test_figures(u, "small", 0, 10, 2);
}


/* the recent calls: newest first, five, a recall moved up, a late one placed */
static void
test_recent(void)
{
    unsigned              i;
    mado_counter_state_t  st;

    memset(&st, 0, sizeof(st));

    for (i = 1; i <= 7; i++) {
        mado_counter_recent(&st, i, DAY + i * 60);
    }

    CHECK_INT(st.recent_n, MADO_RECENT_MAX);
    CHECK_INT(st.recent_number[0], 7);
    CHECK_INT(st.recent_number[4], 3);
    CHECK(st.recent_at[0] == DAY + 7 * 60);

    /* 5 again: up with its new time, listed once */
    mado_counter_recent(&st, 5, DAY + 600);
    CHECK_INT(st.recent_n, 5);
    CHECK_INT(st.recent_number[0], 5);
    CHECK(st.recent_at[0] == DAY + 600);
    CHECK_INT(st.recent_number[1], 7);
    CHECK_INT(st.recent_number[2], 6);
    CHECK_INT(st.recent_number[3], 4);
    CHECK_INT(st.recent_number[4], 3);

    /* an earlier report of 5 is no news; a call older than all is dropped */
    mado_counter_recent(&st, 5, DAY + 120);
    CHECK(st.recent_at[0] == DAY + 600);
    mado_counter_recent(&st, 9, DAY + 1);
    CHECK_INT(st.recent_number[4], 3);

    /* a call read late takes its place by time */
    mado_counter_recent(&st, 8, DAY + 390);
    CHECK_INT(st.recent_number[1], 7);
    CHECK_INT(st.recent_number[2], 8);
    CHECK_INT(st.recent_number[3], 6);
    CHECK_INT(st.recent_number[4], 4);

    /* today only: tomorrow none; a new day empties the list */
    CHECK_INT(mado_recent_today(&st, DAY + 3600), 5);
    CHECK_INT(mado_recent_today(&st, DAY + 86400 + 3600), 0);
    st.updated_at = DAY + 600;
    CHECK_INT(mado_new_day(&st, DAY + 86400 + 3600), 1);
    CHECK_INT(st.recent_n, 0);
}


int
main(void)
{
    unit_store_t  u;

    test_predicate();
    test_call_next();
    test_recent();

    if (unit_store_open(&u, DAY - 4 * 3600) != 0) {
        CHECK(!"a store");
        return unit_done("counter");
    }

    test_set_rules(&u);
    test_call_cancel(&u);
    test_wrapped(&u);
    unit_store_close(&u);

    return unit_done("counter");
}
