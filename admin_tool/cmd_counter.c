/*
 * madoctl set, issue, call, cancel: changes to one counter's live state.
 *
 * Each is one mado_store_write whose callback reads the state, checks the
 * request against it and puts the result, so two madoctl runs (or a run
 * and simulate) never interleave.  The callback may run again when the
 * map grows: it only ever overwrites the outputs in its argument.
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "madoctl.h"


#define MC_STAFF_MAX        99

#define MC_KEEP             (-1)


typedef struct mc_op_s  mc_op_t;

/* the part of a verb that checks and changes the state read in the txn */
typedef int (*mc_op_pt)(mc_op_t *op, mado_err_t *err);

struct mc_op_s {
    const char             *office;
    const char             *counter;
    int64_t                 now;
    mc_op_pt                change;

    uint32_t                number;         /* call, cancel; 0: next */

    /* set: new values, MC_KEEP to keep */
    int64_t                 waiting;
    int64_t                 calling;
    int64_t                 last_issued;
    int64_t                 staff;
    int                     status;
    const char             *message;        /* NULL: keep */

    const mado_counter_def_t *def;          /* valid while change runs */
    mado_hev_e              hev;            /* what the history records */

    mado_counter_state_t    st;             /* out: the state written */
    uint32_t                result;         /* out: ticket issued/called */
};


static int mc_op_args(int argc, char **argv, const char *const *names,
    mc_op_t *op);
static int mc_op_run(mc_ctx_t *ctx, mc_op_t *op);
static int mc_op_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);
static int mc_set_change(mc_op_t *op, mado_err_t *err);
static int mc_issue_change(mc_op_t *op, mado_err_t *err);
static int mc_call_change(mc_op_t *op, mado_err_t *err);
static int mc_cancel_change(mc_op_t *op, mado_err_t *err);


int
mc_cmd_set(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, any;
    uint32_t                     v;
    mc_op_t                      op;
    const char                  *waiting, *calling, *last, *staff, *status;
    static const char *const     names[] = { "OFFICE", "COUNTER", NULL };
    static const struct option   opts[] = {
        { "waiting",     required_argument, NULL, 'w' },
        { "calling",     required_argument, NULL, 'c' },
        { "last-issued", required_argument, NULL, 'l' },
        { "status",      required_argument, NULL, 's' },
        { "message",     required_argument, NULL, 'm' },
        { "staff",       required_argument, NULL, 'f' },
        { "help",        no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&op, 0, sizeof(mc_op_t));
    op.change = mc_set_change;
    op.hev = MADO_HEV_SET;
    op.waiting = op.calling = op.last_issued = op.staff = MC_KEEP;
    op.status = MC_KEEP;

    waiting = calling = last = staff = status = NULL;
    any = 0;

    /* only collect here: usage errors come before value errors */
    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'w': waiting = optarg; break;
        case 'c': calling = optarg; break;
        case 'l': last = optarg; break;
        case 's': status = optarg; break;
        case 'm': op.message = optarg; break;
        case 'f': staff = optarg; break;

        case 'h':
            return mc_help("set");

        default:
            return mc_getopt_error("set", c, argv);
        }

        any = 1;
    }

    if ((rc = mc_args("set", argc, argv, names, 2)) != MC_EXIT_OK) {
        return rc;
    }

    if (!any) {
        return mc_usage_error("set", "nothing to set: give one or more of "
                              "--waiting, --calling, --last-issued, "
                              "--status, --message, --staff");
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    if (waiting != NULL) {
        if (mc_parse_uint("--waiting", waiting, 0, MADO_COUNT_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.waiting = v;
    }

    if (calling != NULL) {
        if (mc_parse_uint("--calling", calling, 0, MADO_COUNT_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.calling = v;
    }

    if (last != NULL) {
        if (mc_parse_uint("--last-issued", last, 0, MADO_COUNT_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.last_issued = v;
    }

    if (staff != NULL) {
        if (mc_parse_uint("--staff", staff, 0, MC_STAFF_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.staff = v;
    }

    if (status != NULL) {
        op.status = mado_status_parse(status, strlen(status));

        if (op.status < 0) {
            mc_error("--status: must be open, paused, closed or ended, "
                     "not \"%s\"", status);
            return MC_EXIT_REFUSED;
        }
    }

    if (op.message != NULL) {
        mado_err_t  err;

        if (mado_message_check(op.message, strlen(op.message), &err)
            != MADO_OK)
        {
            mc_error("--message: %s", err.text);
            return MC_EXIT_REFUSED;
        }
    }

    if ((rc = mc_op_args(argc, argv, names, &op)) != MC_EXIT_OK
        || (rc = mc_op_run(ctx, &op)) != MC_EXIT_OK)
    {
        return rc;
    }

    printf("%s/%s: %s waiting=%u calling=%u last=%u served=%u staff=%u",
           op.office, op.counter, mado_status_names[op.st.status],
           op.st.waiting, op.st.calling, op.st.last_issued,
           op.st.served_today, op.st.staff);

    if (op.st.message_len > 0) {
        printf(" message=\"%s\"", op.st.message);
    }

    putchar('\n');

    return MC_EXIT_OK;
}


static int
mc_set_change(mc_op_t *op, mado_err_t *err)
{
    mado_counter_state_t  *st = &op->st;

    (void) err;

    /* no checks between the numbers: set is for repairs, and wraps */

    if (op->waiting != MC_KEEP) {
        st->waiting = (uint32_t) op->waiting;
    }

    if (op->calling != MC_KEEP) {
        st->calling = (uint32_t) op->calling;
    }

    if (op->last_issued != MC_KEEP) {
        st->last_issued = (uint32_t) op->last_issued;
    }

    if (op->staff != MC_KEEP) {
        st->staff = (uint32_t) op->staff;
    }

    if (op->status != MC_KEEP) {
        st->status = (uint32_t) op->status;
    }

    if (op->message != NULL) {
        mc_state_message(st, op->message);
    }

    return MADO_OK;
}


int
mc_cmd_issue(mc_ctx_t *ctx, int argc, char **argv)
{
    int                        rc;
    mc_op_t                    op;
    static const char *const   names[] = { "OFFICE", "COUNTER", NULL };

    memset(&op, 0, sizeof(mc_op_t));
    op.change = mc_issue_change;
    op.hev = MADO_HEV_ISSUE;

    if ((rc = mc_no_options("issue", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("issue", argc, argv, names, 2)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK
        || (rc = mc_op_args(argc, argv, names, &op)) != MC_EXIT_OK
        || (rc = mc_op_run(ctx, &op)) != MC_EXIT_OK)
    {
        return rc;
    }

    printf("%u\n", op.result);

    return MC_EXIT_OK;
}


static int
mc_issue_change(mc_op_t *op, mado_err_t *err)
{
    if (op->st.status == MADO_STATUS_CLOSED) {
        return mc_fail(err, MADO_EINVAL, "counter %s/%s is closed",
                       op->office, op->counter);
    }

    if (op->st.status == MADO_STATUS_ENDED) {
        return mc_fail(err, MADO_EINVAL, "counter %s/%s has ended taking "
                       "tickets for today", op->office, op->counter);
    }

    op->result = mc_ticket_issue(&op->st, op->def, op->now);

    return MADO_OK;
}


int
mc_cmd_call(mc_ctx_t *ctx, int argc, char **argv)
{
    int                        rc;
    mc_op_t                    op;
    static const char *const   names[] = {
        "OFFICE", "COUNTER", "NUMBER", NULL
    };

    memset(&op, 0, sizeof(mc_op_t));
    op.change = mc_call_change;
    op.hev = MADO_HEV_CALL;

    if ((rc = mc_no_options("call", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("call", argc, argv, names, 2)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK
        || (rc = mc_op_args(argc, argv, names, &op)) != MC_EXIT_OK
        || (rc = mc_op_run(ctx, &op)) != MC_EXIT_OK)
    {
        return rc;
    }

    printf("%u\n", op.result);

    return MC_EXIT_OK;
}


static int
mc_call_change(mc_op_t *op, mado_err_t *err)
{
    mado_counter_state_t  *st = &op->st;

    if (st->status == MADO_STATUS_CLOSED) {
        return mc_fail(err, MADO_EINVAL, "counter %s/%s is closed",
                       op->office, op->counter);
    }

    if (op->number == 0) {
        if (st->waiting == 0) {
            return mc_fail(err, MADO_EINVAL, "nobody is waiting at %s/%s",
                           op->office, op->counter);
        }

    } else if (op->number > st->last_issued) {
        return mc_fail(err, MADO_EINVAL,
                       "ticket %u has not been issued (last issued "
                       "%u)", op->number, st->last_issued);
    }

    op->result = mc_ticket_call(st, op->def, op->number, op->now);

    return MADO_OK;
}


int
mc_cmd_cancel(mc_ctx_t *ctx, int argc, char **argv)
{
    int                        rc;
    mc_op_t                    op;
    static const char *const   names[] = {
        "OFFICE", "COUNTER", "NUMBER", NULL
    };

    memset(&op, 0, sizeof(mc_op_t));
    op.change = mc_cancel_change;
    op.hev = MADO_HEV_CANCEL;

    if ((rc = mc_no_options("cancel", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("cancel", argc, argv, names, 3)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK
        || (rc = mc_op_args(argc, argv, names, &op)) != MC_EXIT_OK
        || (rc = mc_op_run(ctx, &op)) != MC_EXIT_OK)
    {
        return rc;
    }

    printf("cancelled %u\n", op.result);

    return MC_EXIT_OK;
}


static int
mc_cancel_change(mc_op_t *op, mado_err_t *err)
{
    mado_counter_state_t  *st = &op->st;

    if (op->number > st->last_issued) {
        return mc_fail(err, MADO_EINVAL,
                       "ticket %u has not been issued (last issued "
                       "%u)", op->number, st->last_issued);
    }

    if (op->number <= st->calling) {
        return mc_fail(err, MADO_EINVAL,
                       "ticket %u has already been called (calling "
                       "%u)", op->number, st->calling);
    }

    if (st->waiting == 0) {
        return mc_fail(err, MADO_EINVAL, "nobody is waiting at %s/%s",
                       op->office, op->counter);
    }

    st->waiting--;
    op->result = op->number;

    return MADO_OK;
}


/* OFFICE COUNTER [NUMBER], checked for syntax; the count already is */
static int
mc_op_args(int argc, char **argv, const char *const *names, mc_op_t *op)
{
    op->office = argv[optind];
    op->counter = argv[optind + 1];

    if (mc_check_id(names[0], op->office) != MC_EXIT_OK
        || mc_check_id(names[1], op->counter) != MC_EXIT_OK)
    {
        return MC_EXIT_REFUSED;
    }

    if (optind + 2 < argc) {
        if (mc_parse_uint(names[2], argv[optind + 2], 1, MADO_COUNT_MAX,
                          &op->number) != MC_EXIT_OK)
        {
            return MC_EXIT_REFUSED;
        }
    }

    return MC_EXIT_OK;
}


static int
mc_op_run(mc_ctx_t *ctx, mc_op_t *op)
{
    int           rc;
    mado_err_t    err;
    mado_store_t  s;

    op->now = ctx->now;

    rc = mc_store_open(ctx, &s, 0);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    rc = mado_store_write(&s, mc_op_write, op, &err);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    return MC_EXIT_OK;
}


/* the write callback of every verb here: read, check and change, put */
static int
mc_op_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                        rc;
    mc_op_t                   *op = arg;
    mado_event_t               ev;
    mado_office_def_t          o;
    mado_counter_state_t       before;
    const mado_counter_def_t  *c;

    memset(&o, 0, sizeof(mado_office_def_t));

    rc = mado_office_get(s, txn, op->office, &o, err);

    if (rc == MADO_ENOTFOUND) {
        return mc_fail(err, MADO_EINVAL, "OFFICE: no office \"%s\"",
                       op->office);
    }

    if (rc == MADO_EINVAL) {
        /* a definition the library wrote and cannot read back */
        return mc_fail(err, MADO_ESTORE, "office %s in the store is garbled",
                       op->office);
    }

    if (rc != MADO_OK) {
        return rc;
    }

    c = mado_office_counter(&o, op->counter);

    if (c == NULL) {
        mado_office_free(&o);
        return mc_fail(err, MADO_EINVAL, "COUNTER: office %s has no counter "
                       "\"%s\"", op->office, op->counter);
    }

    /* op->st is overwritten here, so a re-run starts afresh */
    rc = mado_state_get(s, txn, op->office, op->counter, &op->st, err);

    if (rc == MADO_OK) {
        /* the first write of an opening day starts from zero */
        mado_new_day(&op->st, op->now);
    }

    if (rc == MADO_ENOTFOUND) {
        mado_office_free(&o);
        return mc_fail(err, MADO_ESTORE, "state of %s/%s is missing; run "
                       "\"madoctl load\" again", op->office, op->counter);
    }

    if (rc != MADO_OK) {
        mado_office_free(&o);
        return rc;
    }

    before = op->st;

    op->def = c;
    rc = op->change(op, err);
    op->def = NULL;

    if (rc != MADO_OK) {
        mado_office_free(&o);
        return rc;
    }

    op->st.updated_at = op->now;

    memset(&ev, 0, sizeof(ev));
    ev.time = op->now;
    ev.type = op->hev;
    ev.ticket = op->result;
    ev.wait = -1;

    /* the ticket's times, so that the history knows how long it waited */
    if (op->hev == MADO_HEV_ISSUE || op->hev == MADO_HEV_CALL) {
        rc = mado_ticket_note(s, txn, op->office, c, op->result,
                              op->hev == MADO_HEV_CALL, op->now, &ev.wait,
                              err);
    }

    if (rc == MADO_OK) {
        rc = mado_history_record(s, txn, op->office, &o, c, &before, &op->st,
                                 &ev, err);
    }

    if (rc == MADO_OK) {
        rc = mc_audit(s, txn, op->now, mado_hev_names[op->hev], op->office,
                      op->counter, &before, &op->st, NULL, err);
    }

    mado_office_free(&o);

    if (rc != MADO_OK) {
        return rc;
    }

    /* an LMDB "map full" goes up as it is: the library grows and re-runs */
    return mado_state_put(s, txn, op->office, op->counter, &op->st, err);
}


/* the number after n in the counter's range (c NULL: 1..MADO_COUNT_MAX) */
static uint32_t
mc_ticket_next(const mado_counter_def_t *c, uint32_t n)
{
    uint32_t  first, last;

    first = c ? c->ticket_first : 1;
    last = c ? c->ticket_last : MADO_COUNT_MAX;

    return (n < first || n >= last) ? first : n + 1;
}


uint32_t
mc_ticket_issue(mado_counter_state_t *st, const mado_counter_def_t *c,
    int64_t now)
{
    mado_service_issue(st, now);

    st->last_issued = mc_ticket_next(c, st->last_issued);
    st->issued_at = now;

    if (st->waiting < MADO_COUNT_MAX) {
        st->waiting++;
    }

    return st->last_issued;
}


/* number 0: the next one */
uint32_t
mc_ticket_call(mado_counter_state_t *st, const mado_counter_def_t *c,
    uint32_t number, int64_t now)
{
    if (number == 0) {
        number = mc_ticket_next(c, st->calling);
    }

    /* simulate (c NULL) keeps virtual time: nothing to learn from it */
    if (c != NULL) {
        mado_service_call(c, st, now);
    }

    st->calling = number;
    st->called_at = now;

    /* a re-call when nobody waits leaves waiting at 0 */
    if (st->waiting > 0) {
        st->waiting--;
    }

    if (st->served_today < UINT32_MAX) {
        st->served_today++;
    }

    return number;
}


void
mc_state_message(mado_counter_state_t *st, const char *msg)
{
    size_t  len;

    len = strlen(msg);
    if (len > MADO_MESSAGE_MAX) {
        len = MADO_MESSAGE_MAX;
    }

    memcpy(st->message, msg, len);
    st->message[len] = '\0';
    st->message_len = (uint32_t) len;
}


/* the same as far as readers can see; updated_at is not compared */
int
mc_state_same(const mado_counter_state_t *a, const mado_counter_state_t *b)
{
    return a->status == b->status
           && a->waiting == b->waiting
           && a->calling == b->calling
           && a->last_issued == b->last_issued
           && a->served_today == b->served_today
           && a->staff == b->staff
           && a->message_len == b->message_len
           && memcmp(a->message, b->message, a->message_len) == 0;
}
