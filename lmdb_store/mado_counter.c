/*
 * The changes a person makes to a counter: set (repairs), issue, call,
 * cancel.  One place for their rules, so that madoctl and the update API
 * answer alike; the caller audits the change in the same transaction.
 */

#include <stdio.h>
#include <string.h>

#include "mado_store.h"


uint32_t
mado_counter_issue(mado_counter_state_t *st, const mado_counter_def_t *c,
    int64_t now)
{
    mado_service_issue(st, now);

    st->last_issued = mado_ticket_next(c, st->last_issued);
    st->issued_at = now;

    if (st->waiting < MADO_COUNT_MAX) {
        st->waiting++;
    }

    return st->last_issued;
}


/* number 0: the next one */
uint32_t
mado_counter_call(mado_counter_state_t *st, const mado_counter_def_t *c,
    uint32_t number, int64_t now)
{
    if (number == 0) {
        number = mado_ticket_next(c, st->calling);

        /*
         * Every number issued was called (hand-kept counters never issue:
         * staff set waiting and call; or those still counted gave up):
         * the number called was issued.  Not "next is not issued": a
         * queue longer than half the range would look so.
         */
        if (st->calling == st->last_issued
            || st->last_issued < c->ticket_first
            || st->last_issued > c->ticket_last)
        {
            st->last_issued = number;
        }
    }

    st->calling = number;
    st->called_at = now;
    mado_counter_recent(st, number, now);

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
mado_counter_message(mado_counter_state_t *st, const char *msg)
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


void
mado_counter_recent(mado_counter_state_t *st, uint32_t number, int64_t at)
{
    unsigned  i, n;

    n = st->recent_n > MADO_RECENT_MAX ? MADO_RECENT_MAX : st->recent_n;

    /* a recall moves the number up; an earlier call of it is no news */
    for (i = 0; i < n; i++) {
        if (st->recent_number[i] != number) {
            continue;
        }

        if (st->recent_at[i] >= at) {
            return;
        }

        n--;
        memmove(&st->recent_number[i], &st->recent_number[i + 1],
                (n - i) * sizeof(uint32_t));
        memmove(&st->recent_at[i], &st->recent_at[i + 1],
                (n - i) * sizeof(int64_t));
        st->recent_number[n] = 0;
        st->recent_at[n] = 0;
        break;
    }

    /* newest first: the feed may read a call after later ones */
    for (i = 0; i < n && st->recent_at[i] > at; i++) { /* void */ }

    if (i == MADO_RECENT_MAX) {
        st->recent_n = n;
        return;
    }

    if (n == MADO_RECENT_MAX) {
        n--;
    }

    memmove(&st->recent_number[i + 1], &st->recent_number[i],
            (n - i) * sizeof(uint32_t));
    memmove(&st->recent_at[i + 1], &st->recent_at[i],
            (n - i) * sizeof(int64_t));
    st->recent_number[i] = number;
    st->recent_at[i] = at;
    st->recent_n = n + 1;
}


unsigned
mado_recent_today(const mado_counter_state_t *st, int64_t now)
{
    int64_t   midnight;
    unsigned  i, n;

    midnight = (now + MADO_TZ_OFFSET) / 86400 * 86400 - MADO_TZ_OFFSET;
    n = st->recent_n > MADO_RECENT_MAX ? MADO_RECENT_MAX : st->recent_n;

    for (i = 0; i < n && st->recent_at[i] >= midnight; i++) { /* void */ }

    return i;
}


void
mado_recent_json(yajl_gen g, const mado_counter_state_t *st, int64_t now)
{
    char      iso[40];
    size_t    len;
    unsigned  i, n;

    n = mado_recent_today(st, now);

    yajl_gen_string(g, (const unsigned char *) "recent_calls", 12);
    yajl_gen_array_open(g);

    for (i = 0; i < n; i++) {
        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *) "number", 6);
        yajl_gen_integer(g, st->recent_number[i]);
        yajl_gen_string(g, (const unsigned char *) "at", 2);
        len = mado_time_iso(st->recent_at[i], iso);
        yajl_gen_string(g, (const unsigned char *) iso, len);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
}


int
mado_counter_notice_check(const mado_office_def_t *o,
    const mado_counter_op_t *op, const char **field, mado_err_t *err)
{
    char      ids[MADO_NOTICES_MAX * (MADO_ID_MAX + 2) + 1];
    size_t    n;
    unsigned  i;

    if (op->type != MADO_HEV_SET || op->notice == NULL
        || op->notice[0] == '\0' || mado_office_notice(o, op->notice) >= 0)
    {
        return MADO_OK;
    }

    n = 0;
    ids[0] = '\0';

    for (i = 0; i < o->nnotices; i++) {
        n += snprintf(ids + n, sizeof(ids) - n, "%s%s", i ? ", " : "",
                      o->notices[i].id);
    }

    *field = "notice";

    if (o->nnotices == 0) {
        return mado_fail(err, MADO_EINVAL, "no notice \"%.32s\": office %s "
                         "has no notices (\"notices\" in offices.json)",
                         op->notice, o->id);
    }

    return mado_fail(err, MADO_EINVAL, "no notice \"%.32s\" at office %s; "
                     "valid ids: %s", op->notice, o->id, ids);
}


/* a number a call or cancel may name: 1 and err if it is not one */
static int
mado_counter_unissued(const mado_counter_def_t *c,
    const mado_counter_state_t *st, uint32_t n, const char **field,
    mado_err_t *err)
{
    if (mado_ticket_issued(c, st, n)) {
        return 0;
    }

    *field = "number";

    if (n < c->ticket_first || n > c->ticket_last) {
        mado_fail(err, MADO_EINVAL, "ticket %u is outside the counter's "
                  "ticket_range %u..%u", n, c->ticket_first, c->ticket_last);

    } else if (st->last_issued == 0) {
        mado_fail(err, MADO_EINVAL, "ticket %u has not been issued (none "
                  "yet today)", n);

    } else {
        mado_fail(err, MADO_EINVAL, "ticket %u has not been issued (last "
                  "issued %u)", n, st->last_issued);
    }

    return 1;
}


/* a value of set for calling or last_issued: 0 (none yet) or in range */
static int
mado_counter_in_range(const mado_counter_def_t *c, int64_t v,
    const char *name, const char **field, mado_err_t *err)
{
    if (v <= 0 || (v >= c->ticket_first && v <= c->ticket_last)) {
        return 1;
    }

    *field = name;
    mado_fail(err, MADO_EINVAL, "%u is outside the counter's ticket_range "
              "%u..%u", (unsigned) v, c->ticket_first, c->ticket_last);

    return 0;
}


/*
 * set is for repairs, and keeps what every writer keeps: calling and
 * last_issued are 0 (none yet) or numbers of the counter's range, and a
 * calling or last_issued set never leaves calling after last_issued
 * (going round the range).
 */
static int
mado_counter_set(const mado_counter_op_t *op, const mado_counter_def_t *c,
    mado_counter_state_t *st, const char **field, mado_err_t *err)
{
    uint32_t  calling, last;

    if (!mado_counter_in_range(c, op->calling, "calling", field, err)
        || !mado_counter_in_range(c, op->last_issued, "last_issued", field,
                                  err))
    {
        return MADO_EINVAL;
    }

    calling = (op->calling != MADO_KEEP) ? (uint32_t) op->calling
                                         : st->calling;
    last = (op->last_issued != MADO_KEEP) ? (uint32_t) op->last_issued
                                          : st->last_issued;

    /* numbers not given are left as they are (a queue may lap the range) */
    if ((op->calling != MADO_KEEP || op->last_issued != MADO_KEEP)
        && calling >= c->ticket_first && calling <= c->ticket_last
        && mado_ticket_after(c, calling, last))
    {
        if (op->last_issued != MADO_KEEP && op->calling != MADO_KEEP) {
            *field = "calling";
            return mado_fail(err, MADO_EINVAL, "%u would come after "
                             "last_issued %u: a number is called after it "
                             "is issued", calling, last);
        }

        if (op->last_issued != MADO_KEEP) {
            *field = "last_issued";
            return mado_fail(err, MADO_EINVAL, "%u would come before "
                             "calling %u: a number is called after it is "
                             "issued", last, calling);
        }

        /* staff stating the number called state that it was issued */
        last = calling;
    }

    st->calling = calling;
    st->last_issued = last;

    if (op->waiting != MADO_KEEP) {
        st->waiting = (uint32_t) op->waiting;
    }

    if (op->staff != MADO_KEEP) {
        st->staff = (uint32_t) op->staff;
    }

    if (op->status != MADO_KEEP) {
        st->status = (uint32_t) op->status;
    }

    if (op->message != NULL) {
        mado_counter_message(st, op->message);
    }

    if (op->notice != NULL) {
        snprintf(st->notice, sizeof(st->notice), "%s", op->notice);
    }

    return MADO_OK;
}


static int
mado_counter_change(const mado_counter_op_t *op, const char *office,
    const mado_counter_def_t *c, mado_counter_state_t *st, int64_t now,
    uint32_t *result, const char **field, mado_err_t *err)
{
    int       rc;
    uint32_t  was;

    switch (op->type) {

    case MADO_HEV_SET:
        was = st->calling;
        rc = mado_counter_set(op, c, st, field, err);

        /* staff stating a new number called have called it */
        if (rc == MADO_OK && st->calling != was && st->calling != 0) {
            mado_counter_recent(st, st->calling, now);
        }

        return rc;

    case MADO_HEV_ISSUE:
        if (st->status == MADO_STATUS_CLOSED) {
            return mado_fail(err, MADO_EINVAL, "counter %s/%s is closed",
                             office, c->id);
        }

        if (st->status == MADO_STATUS_ENDED) {
            return mado_fail(err, MADO_EINVAL, "counter %s/%s has ended "
                             "taking tickets for today", office, c->id);
        }

        *result = mado_counter_issue(st, c, now);
        return MADO_OK;

    case MADO_HEV_CALL:
        if (st->status == MADO_STATUS_CLOSED) {
            return mado_fail(err, MADO_EINVAL, "counter %s/%s is closed",
                             office, c->id);
        }

        if (op->number == 0) {
            if (st->waiting == 0) {
                return mado_fail(err, MADO_EINVAL, "nobody is waiting at "
                                 "%s/%s", office, c->id);
            }

        } else if (mado_counter_unissued(c, st, op->number, field, err)) {
            return MADO_EINVAL;
        }

        /* the estimate learns from the calls of people, not simulated ones */
        mado_service_call(c, st, now);

        *result = mado_counter_call(st, c, op->number, now);
        return MADO_OK;

    default: /* MADO_HEV_CANCEL */
        if (mado_counter_unissued(c, st, op->number, field, err)) {
            return MADO_EINVAL;
        }

        /* calling, and the numbers before it in this round */
        if (!mado_ticket_after(c, op->number, st->calling)) {
            *field = "number";
            return mado_fail(err, MADO_EINVAL, "ticket %u has already been "
                             "called (calling %u)", op->number,
                             st->calling);
        }

        if (st->waiting == 0) {
            return mado_fail(err, MADO_EINVAL, "nobody is waiting at "
                             "%s/%s", office, c->id);
        }

        st->waiting--;
        *result = op->number;
        return MADO_OK;
    }
}


int
mado_counter_apply(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, const mado_counter_op_t *op, int64_t now,
    mado_counter_state_t *before, mado_counter_state_t *after,
    uint32_t *result, const char **field, mado_err_t *err)
{
    int                        rc;
    mado_event_t               ev;
    mado_office_def_t          o;
    const mado_counter_def_t  *c;

    /* outputs are overwritten: this may run again when the map grows */
    *result = 0;
    *field = NULL;

    memset(&o, 0, sizeof(mado_office_def_t));

    rc = mado_office_get(s, txn, office, &o, err);

    if (rc == MADO_ENOTFOUND) {
        *field = "office";
        return mado_fail(err, MADO_EINVAL, "no office \"%s\"", office);
    }

    if (rc == MADO_EINVAL) {
        /* a definition the library wrote and cannot read back */
        return mado_fail(err, MADO_ESTORE, "office %s in the store is "
                         "garbled", office);
    }

    if (rc != MADO_OK) {
        return rc;
    }

    c = mado_office_counter(&o, counter);

    if (c == NULL) {
        mado_office_free(&o);
        *field = "counter";
        return mado_fail(err, MADO_EINVAL, "office %s has no counter "
                         "\"%s\"", office, counter);
    }

    if (mado_counter_notice_check(&o, op, field, err) != MADO_OK) {
        mado_office_free(&o);
        return MADO_EINVAL;
    }

    rc = mado_state_get(s, txn, office, counter, after, err);

    if (rc == MADO_ENOTFOUND) {
        mado_office_free(&o);
        return mado_fail(err, MADO_ESTORE, "state of %s/%s is missing; "
                         "run \"madoctl load\" again", office, counter);
    }

    if (rc != MADO_OK) {
        mado_office_free(&o);
        return rc;
    }

    *before = *after;

    /* the first write of a day starts from zero */
    mado_new_day(after, now);

    rc = mado_counter_change(op, office, c, after, now, result, field, err);

    if (rc == MADO_OK) {
        after->updated_at = now;

        memset(&ev, 0, sizeof(ev));
        ev.time = now;
        ev.type = op->type;
        ev.ticket = *result;
        ev.wait = -1;

        /* the ticket's times, so that the history knows how long it waited */
        if (op->type == MADO_HEV_ISSUE || op->type == MADO_HEV_CALL) {
            rc = mado_ticket_note(s, txn, office, c, *result,
                                  op->type == MADO_HEV_CALL, now, &ev.wait,
                                  err);
        }

        if (rc == MADO_OK) {
            rc = mado_history_record(s, txn, office, &o, c, before, after,
                                     &ev, err);
        }
    }

    mado_office_free(&o);

    if (rc != MADO_OK) {
        return rc;
    }

    /* an LMDB "map full" goes up as it is: the library grows and re-runs */
    return mado_state_put(s, txn, office, counter, after, err);
}
