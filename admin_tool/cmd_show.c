/*
 * madoctl show: offices and the live state of their counters, as a table
 * or as JSON.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "madoctl.h"


typedef struct {
    mado_office_def_t       def;
    mado_counter_state_t    st[MADO_COUNTERS_MAX];
} mc_show_office_t;


static int mc_show_read(mc_ctx_t *ctx, const char *only,
    mc_show_office_t **offices, unsigned *n);
static void mc_show_table(const mc_show_office_t *offices, unsigned n,
    int64_t now);
static int mc_show_json(const mc_show_office_t *offices, unsigned n);
static size_t mc_text_width(const char *s);
static void mc_pad(const char *s, size_t width);


int
mc_cmd_show(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          rc, json;
    unsigned                     i, n;
    const char                  *only;
    mc_show_office_t            *offices;
    static const char *const     names[] = { "OFFICE", NULL };

    if ((rc = mc_json_option("show", argc, argv, &json)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("show", argc, argv, names, 0)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    only = (optind < argc) ? argv[optind] : NULL;

    if (only != NULL && mc_check_id("OFFICE", only) != MC_EXIT_OK) {
        return MC_EXIT_REFUSED;
    }

    rc = mc_show_read(ctx, only, &offices, &n);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    if (json) {
        rc = mc_show_json(offices, n);

    } else if (n == 0) {
        mc_error("no offices loaded; load them with \"madoctl load FILE\"");

    } else {
        mc_show_table(offices, n, ctx->now);
    }

    for (i = 0; i < n; i++) {
        mado_office_free(&offices[i].def);
    }

    free(offices);

    return rc;
}


/*
 * Copy out all that is shown in one read transaction (a consistent
 * snapshot), and end it before printing to a possibly slow terminal.
 */
static int
mc_show_read(mc_ctx_t *ctx, const char *only, mc_show_office_t **offices,
    unsigned *n)
{
    int                  rc, ec;
    char               (*ids)[MADO_ID_MAX + 1];
    unsigned             i, j, nids, k;
    MDB_txn             *txn;
    mado_err_t           err;
    mado_store_t         s;
    mc_show_office_t    *o;

    *offices = NULL;
    *n = 0;

    ids = calloc(MADO_OFFICES_MAX, sizeof(*ids));
    if (ids == NULL) {
        mc_error("out of memory");
        return MC_EXIT_STORE;
    }

    ec = mc_store_open(ctx, &s, MADO_OPEN_RDONLY);
    if (ec != MC_EXIT_OK) {
        free(ids);
        return ec;
    }

    txn = NULL;

    rc = mado_store_read_begin(&s, &txn, &err);
    if (rc != MADO_OK) {
        goto failed;
    }

    rc = mado_office_ids(&s, txn, ids, MADO_OFFICES_MAX, &nids, &err);
    if (rc != MADO_OK) {
        goto failed;
    }

    if (only != NULL) {
        for (i = 0; i < nids; i++) {
            if (strcmp(ids[i], only) == 0) {
                break;
            }
        }

        if (i == nids) {
            rc = mado_fail(&err, MADO_EINVAL, "OFFICE: no office \"%s\"", only);
            goto failed;
        }

        memmove(ids[0], ids[i], sizeof(ids[0]));
        nids = 1;
    }

    if (nids > 0) {
        *offices = calloc(nids, sizeof(mc_show_office_t));
        if (*offices == NULL) {
            rc = mado_fail(&err, MADO_ESTORE, "out of memory");
            goto failed;
        }
    }

    for (k = 0; k < nids; k++) {
        o = &(*offices)[k];

        rc = mado_office_get(&s, txn, ids[k], &o->def, &err);
        if (rc != MADO_OK) {
            /* listed but missing or unreadable: the store is at fault */
            rc = MADO_ESTORE;
            goto failed;
        }

        (*n)++;

        for (j = 0; j < o->def.ncounters; j++) {
            rc = mado_state_get(&s, txn, ids[k], o->def.counters[j].id,
                                &o->st[j], &err);
            if (rc != MADO_OK) {
                rc = MADO_ESTORE;
                goto failed;
            }
        }
    }

    mdb_txn_abort(txn);
    mado_store_close(&s);
    free(ids);

    return MC_EXIT_OK;

failed:

    if (txn != NULL) {
        mdb_txn_abort(txn);
    }

    mado_store_close(&s);
    free(ids);

    for (k = 0; k < *n; k++) {
        mado_office_free(&(*offices)[k].def);
    }

    free(*offices);
    *offices = NULL;
    *n = 0;

    mc_error("%s", err.text);

    return mc_exit_code(rc);
}


static void
mc_show_table(const mc_show_office_t *offices, unsigned n, int64_t now)
{
    char                        num[3][16], wait[32], upd[16];
    size_t                      wid, wname, w;
    int64_t                     min, closes;
    time_t                      local;
    unsigned                    i, j;
    struct tm                   tm;
    mado_past_close_e           past;
    mado_counter_state_t        eff;
    const mado_office_def_t    *o;
    const mado_counter_state_t *st;

    /* one set of widths for all, so that the tables line up */
    wid = strlen("COUNTER");
    wname = strlen("NAME");

    for (i = 0; i < n; i++) {
        o = &offices[i].def;

        for (j = 0; j < o->ncounters; j++) {
            w = strlen(o->counters[j].id);
            wid = w > wid ? w : wid;

            w = mc_text_width(o->counters[j].name.text[MADO_LANG_JA]);
            wname = w > wname ? w : wname;
        }
    }

    for (i = 0; i < n; i++) {
        o = &offices[i].def;

        printf("%s%s  %s / %s\n", i ? "\n" : "", o->id,
               o->name.text[MADO_LANG_JA], o->name.text[MADO_LANG_EN]);

        printf("  %-*s  ", (int) wid, "COUNTER");
        mc_pad("NAME", wname);
        printf("  %-6s  %7s  %7s  %6s  %-7s  %-8s  %s\n", "STATUS",
               "WAITING", "CALLING", "ISSUED", "WAIT", "UPDATED", "MESSAGE");

        for (j = 0; j < o->ncounters; j++) {
            st = &offices[i].st[j];

            snprintf(num[0], sizeof(num[0]), "%u", st->waiting);

            /* 0 means "none yet" for ticket numbers */
            if (st->calling) {
                snprintf(num[1], sizeof(num[1]), "%u", st->calling);
            } else {
                strcpy(num[1], "-");
            }

            if (st->last_issued) {
                snprintf(num[2], sizeof(num[2]), "%u", st->last_issued);
            } else {
                strcpy(num[2], "-");
            }

            min = mado_wait_minutes(&o->counters[j], st);
            if (min >= 0) {
                snprintf(wait, sizeof(wait), "%lld min", (long long) min);
            } else {
                strcpy(wait, "-");
            }

            if (st->updated_at > 0) {
                local = (time_t) (st->updated_at + MADO_TZ_OFFSET);
                gmtime_r(&local, &tm);
                strftime(upd, sizeof(upd), "%H:%M:%S", &tm);

            } else {
                strcpy(upd, "-");
            }

            printf("  %-*s  ", (int) wid, o->counters[j].id);
            mc_pad(o->counters[j].name.text[MADO_LANG_JA], wname);
            printf("  %-6s  %7s  %7s  %6s  %-7s  %s",
                   mado_status_names[st->status], num[0], num[1], num[2],
                   wait, upd);

            if (st->notice[0] != '\0') {
                printf("  [%s]", st->notice);
            }

            if (st->message_len > 0) {
                printf("  %s", st->message);
            }

            putchar('\n');

            /* as citizens see it now: the calendar's state */
            mado_effective_state(o, &o->counters[j], st, now, &eff);
            past = mado_past_close(o, &o->counters[j], &eff, now, &closes);

            if (past != MADO_PAST_CLOSE_NONE) {
                printf("  %-*s  the wait may run past today's close at "
                       "%02d:%02d: %s\n", (int) wid, "",
                       (int) ((closes + MADO_TZ_OFFSET) % 86400 / 3600),
                       (int) ((closes + MADO_TZ_OFFSET) % 3600 / 60),
                       mado_past_close_names[past]);
            }
        }
    }
}


static int
mc_show_json(const mc_show_office_t *offices, unsigned n)
{
    unsigned                    i, j;
    yajl_gen                    g;
    const mado_office_def_t    *o;
    const mado_counter_state_t *st;

    g = mc_json_gen();
    if (g == NULL) {
        return MC_EXIT_STORE;
    }

    yajl_gen_map_open(g);
    mado_gen_str(g, "offices");
    yajl_gen_array_open(g);

    for (i = 0; i < n; i++) {
        o = &offices[i].def;

        yajl_gen_map_open(g);
        mado_gen_str(g, "id");
        mado_gen_str(g, o->id);
        mado_gen_i18n(g, "name", &o->name);
        mado_gen_str(g, "counters");
        yajl_gen_array_open(g);

        for (j = 0; j < o->ncounters; j++) {
            st = &offices[i].st[j];

            /* the stored figures, as they were written */
            yajl_gen_map_open(g);
            mado_state_json(g, o, &o->counters[j], st, 0,
                            MADO_SJ_ID | MADO_SJ_LAST_ISSUED | MADO_SJ_COUNTS
                            | MADO_SJ_WAIT | MADO_SJ_MESSAGE
                            | MADO_SJ_NOTICE | MADO_SJ_UPDATED);
            yajl_gen_map_close(g);
        }

        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    return mc_json_print(g);
}


/* s, then spaces up to width terminal columns */
static void
mc_pad(const char *s, size_t width)
{
    size_t  w;

    fputs(s, stdout);

    for (w = mc_text_width(s); w < width; w++) {
        putchar(' ');
    }
}


/*
 * Terminal columns of UTF-8 text: CJK, kana, hangul and fullwidth forms
 * take two.  Enough for office and counter names, not a wcwidth().
 */
static size_t
mc_text_width(const char *s)
{
    size_t                w;
    uint32_t              c;
    const unsigned char  *p;

    w = 0;

    for (p = (const unsigned char *) s; *p != '\0'; ) {
        c = *p++;

        if (c >= 0xc0) {
            unsigned  more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;

            c &= 0x3f >> more;

            while (more-- && (*p & 0xc0) == 0x80) {
                c = (c << 6) | (*p++ & 0x3f);
            }

        } else if (c >= 0x80) {
            /* a stray continuation byte */
            continue;
        }

        w += ((c >= 0x1100 && c <= 0x115f)
              || (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f)
              || (c >= 0xac00 && c <= 0xd7a3)
              || (c >= 0xf900 && c <= 0xfaff)
              || (c >= 0xfe30 && c <= 0xfe4f)
              || (c >= 0xff00 && c <= 0xff60)
              || (c >= 0xffe0 && c <= 0xffe6)
              || (c >= 0x20000 && c <= 0x3fffd)) ? 2 : 1;
    }

    return w;
}
