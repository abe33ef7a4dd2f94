/*
 * madoctl set, issue, call, cancel: changes to one counter's live state.
 *
 * Each is one mado_store_write whose callback applies the library's rules
 * (mado_counter_apply, shared with the update API) and audits the change,
 * so two madoctl runs (or a run and simulate) never interleave.  The
 * callback may run again when the map grows: it only ever overwrites the
 * outputs in its argument.  With --server the options are parsed here
 * all the same, and only the write goes to the server (cmd_remote.c).
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "madoctl.h"


#define MC_STAFF_MAX        99


typedef struct {
    const char             *office;
    const char             *counter;
    int64_t                 now;
    mado_counter_op_t       op;

    mado_counter_state_t    st;             /* out: the state written */
    uint32_t                result;         /* out: ticket issued/called */
} mc_op_t;


static int mc_ticket_verb(mc_ctx_t *ctx, int argc, char **argv,
    mado_hev_e type);
static int mc_op_args(int argc, char **argv, const char *const *names,
    mc_op_t *op);
static int mc_op_run(mc_ctx_t *ctx, mc_op_t *op);
static int mc_op_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);


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
        { "notice",      required_argument, NULL, 'n' },
        { "no-notice",   no_argument,       NULL, 'N' },
        { "help",        no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&op, 0, sizeof(mc_op_t));
    op.op.type = MADO_HEV_SET;
    op.op.waiting = op.op.calling = op.op.last_issued = op.op.staff
        = MADO_KEEP;
    op.op.status = MADO_KEEP;

    waiting = calling = last = staff = status = NULL;
    any = 0;

    /* only collect here: usage errors come before value errors */
    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'w': waiting = optarg; break;
        case 'c': calling = optarg; break;
        case 'l': last = optarg; break;
        case 's': status = optarg; break;
        case 'm': op.op.message = optarg; break;
        case 'f': staff = optarg; break;
        case 'n': op.op.notice = optarg; break;
        case 'N': op.op.notice = ""; break;

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
                              "--status, --message, --staff, --notice");
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    if (waiting != NULL) {
        if (mc_parse_uint("--waiting", waiting, 0, MADO_COUNT_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.op.waiting = v;
    }

    if (calling != NULL) {
        if (mc_parse_uint("--calling", calling, 0, MADO_COUNT_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.op.calling = v;
    }

    if (last != NULL) {
        if (mc_parse_uint("--last-issued", last, 0, MADO_COUNT_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.op.last_issued = v;
    }

    if (staff != NULL) {
        if (mc_parse_uint("--staff", staff, 0, MC_STAFF_MAX, &v)) {
            return MC_EXIT_REFUSED;
        }
        op.op.staff = v;
    }

    if (status != NULL) {
        op.op.status = mado_status_parse(status, strlen(status));

        if (op.op.status < 0) {
            mc_error("--status: must be open, paused, closed or ended, "
                     "not \"%s\"", status);
            return MC_EXIT_REFUSED;
        }
    }

    if (op.op.message != NULL) {
        mado_err_t  err;

        if (mado_message_check(op.op.message, strlen(op.op.message), &err)
            != MADO_OK)
        {
            mc_error("--message: %s", err.text);
            return MC_EXIT_REFUSED;
        }
    }

    /* the office's list is checked with the write (mado_counter_apply) */
    if (op.op.notice != NULL && op.op.notice[0] != '\0'
        && !mado_valid_id(op.op.notice, strlen(op.op.notice)))
    {
        mc_error("--notice: must be a notice id (a-z 0-9 - _), not \"%s\"",
                 op.op.notice);
        return MC_EXIT_REFUSED;
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

    if (op.st.notice[0] != '\0') {
        printf(" notice=%s", op.st.notice);
    }

    putchar('\n');

    return MC_EXIT_OK;
}


int
mc_cmd_issue(mc_ctx_t *ctx, int argc, char **argv)
{
    return mc_ticket_verb(ctx, argc, argv, MADO_HEV_ISSUE);
}


int
mc_cmd_call(mc_ctx_t *ctx, int argc, char **argv)
{
    return mc_ticket_verb(ctx, argc, argv, MADO_HEV_CALL);
}


int
mc_cmd_cancel(mc_ctx_t *ctx, int argc, char **argv)
{
    return mc_ticket_verb(ctx, argc, argv, MADO_HEV_CANCEL);
}


/*
 * issue OFFICE COUNTER, call OFFICE COUNTER [NUMBER], cancel OFFICE COUNTER
 * NUMBER: the ticket issued, called or cancelled is printed
 */
static int
mc_ticket_verb(mc_ctx_t *ctx, int argc, char **argv, mado_hev_e type)
{
    int                        rc, min;
    mc_op_t                    op;
    const char                *verb;
    const char *const         *names;
    static const char *const   issue[] = { "OFFICE", "COUNTER", NULL };
    static const char *const   number[] = {
        "OFFICE", "COUNTER", "NUMBER", NULL
    };

    /* the verbs are named as the history names their events */
    verb = mado_hev_names[type];
    names = (type == MADO_HEV_ISSUE) ? issue : number;
    min = (type == MADO_HEV_CANCEL) ? 3 : 2;

    memset(&op, 0, sizeof(mc_op_t));
    op.op.type = type;

    if ((rc = mc_no_options(verb, argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args(verb, argc, argv, names, min)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK
        || (rc = mc_op_args(argc, argv, names, &op)) != MC_EXIT_OK
        || (rc = mc_op_run(ctx, &op)) != MC_EXIT_OK)
    {
        return rc;
    }

    printf(type == MADO_HEV_CANCEL ? "cancelled %u\n" : "%u\n", op.result);

    return MC_EXIT_OK;
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
                          &op->op.number) != MC_EXIT_OK)
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

    /* --server: the same change, made and audited by the update API */
    if (ctx->server != NULL) {
        return mc_remote_counter(ctx, op->office, op->counter, &op->op,
                                 &op->st, &op->result);
    }

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


/* the write callback of every verb here: the library's rules, audited */
static int
mc_op_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                    rc;
    mc_op_t               *op = arg;
    const char            *field;
    mado_err_t             e;
    mado_counter_state_t   before;

    rc = mado_counter_apply(s, txn, op->office, op->counter, &op->op,
                            op->now, &before, &op->st, &op->result, &field,
                            err);

    if (rc == MADO_EINVAL && field != NULL && strcmp(field, "number") != 0) {
        /* name the argument or option as the usage does */
        e = *err;
        snprintf(err->text, sizeof(err->text), "%s: %.480s",
                 strcmp(field, "office") == 0 ? "OFFICE"
                 : strcmp(field, "counter") == 0 ? "COUNTER"
                 : strcmp(field, "calling") == 0 ? "--calling"
                 : strcmp(field, "notice") == 0 ? "--notice"
                 : "--last-issued", e.text);
    }

    if (rc != MADO_OK) {
        return rc;
    }

    return mc_audit(s, txn, op->now, mado_hev_names[op->op.type], op->office,
                    op->counter, &before, &op->st, NULL, err);
}
