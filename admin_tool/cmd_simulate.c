/*
 * madoctl simulate: demo traffic at every counter.
 *
 * A virtual clock runs --speed times real time.  Each real tick covers
 * speed * interval virtual seconds, cut into steps of at most a minute (so
 * that 17:00 and 17:30 are met exactly and a fast clock still looks
 * plausible), and is one write transaction over all counters: states are
 * read, people arrive (Poisson) and are served (exponential times, one
 * clock per staff member), and the counters that changed are written with
 * updated_at = now.  State is read afresh each tick, so "madoctl set" etc.
 * during a simulation are taken into account.  Tickets are issued and
 * called by the library's rules in each counter's ticket_range, and only
 * issued numbers are called: people a fed history left waiting with
 * numbers before calling (absentees) are cancelled.
 *
 * The callback may be run twice for one tick (the map grew): it works on
 * "next", a copy of the simulation state made at its start from "cur",
 * which is replaced by "next" only after the commit.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "madoctl.h"


#define MC_SIM_STAFF_MAX    8           /* service clocks per counter */
#define MC_SIM_STEP         60.0        /* virtual seconds at most */

/* the virtual day, in seconds after midnight */
#define MC_SIM_OPEN         (8 * 3600 + 45 * 60)
#define MC_SIM_CLOSE        (17 * 3600)             /* no new tickets */
#define MC_SIM_END          (17 * 3600 + 30 * 60)   /* next day begins */

#define MC_SIM_PAUSE_MSG    "システム点検中"
#define MC_SIM_PAUSES       0.02        /* per counter and virtual hour */
#define MC_SIM_STAFF_MOVES  0.2         /* per counter and virtual hour */


typedef struct {
    char                office[MADO_ID_MAX + 1];
    char                counter[MADO_ID_MAX + 1];
    double              service;        /* mean virtual seconds a person */
    double              rate;           /* arrivals per hour at factor 1 */
    unsigned            staff;          /* usual staff */
    mado_counter_def_t  def;            /* its id and ticket_range only */
} mc_sim_def_t;


/* what the simulation knows beyond the stored state, per counter */
typedef struct {
    double              busy[MC_SIM_STAFF_MAX];  /* virtual s left with
                                                    the person served */
    double              pause_left;     /* of a pause we began; 0: none */
} mc_sim_live_t;


typedef struct {
    uint64_t            rng;
    double              tod;            /* virtual seconds after midnight */
    unsigned            wday;           /* virtual weekday, 0 = Sunday */
    unsigned            days;           /* virtual days begun */
    unsigned            ticks;          /* committed ticks */
    mc_sim_live_t      *live;           /* [n] */
} mc_sim_state_t;


typedef struct {
    const mc_sim_def_t     *defs;
    unsigned                n;
    double                  dt;         /* virtual seconds per tick */
    int64_t                 now;        /* real now of this tick */

    mc_sim_state_t          cur;        /* as of the last commit */
    mc_sim_state_t          next;       /* being built by the callback */

    mado_counter_state_t   *st;         /* [n] scratch: state in the txn */
    mado_counter_state_t   *old;        /* [n] scratch: as read */
    unsigned char          *present;    /* [n] scratch: state exists */

    /* out, overwritten by each run of the callback */
    unsigned                waiting;
    unsigned                counters;
} mc_sim_t;


static volatile sig_atomic_t  mc_sim_stop;

static const char *const  mc_sim_wdays[7] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};


static int mc_sim_defs(mado_store_t *s, mc_sim_def_t **defs, unsigned *n,
    unsigned *noffices);
static int mc_sim_tick(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);
static void mc_sim_counter(mc_sim_t *sim, unsigned i, double len);
static void mc_sim_close(mc_sim_t *sim);
static void mc_sim_new_day(mc_sim_t *sim);
static double mc_sim_factor(double tod, unsigned wday);
static void mc_sim_signal(int signo);
static double mc_mono(void);
static uint64_t mc_rand(uint64_t *s);
static double mc_rand_unit(uint64_t *s);
static double mc_rand_exp(uint64_t *s, double mean);
static unsigned mc_rand_poisson(uint64_t *s, double lambda);


int
mc_cmd_simulate(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, ec, seeded;
    double                       speed, interval, duration, t0, t, next;
    int64_t                      base;
    uint32_t                     h, m;
    uint64_t                     seed, z;
    unsigned                     k, noffices, days;
    time_t                       local;
    struct tm                    tm;
    mc_sim_t                     sim;
    mado_err_t                   err;
    mado_store_t                 s;
    mc_sim_def_t                *defs;
    mc_sim_live_t               *tmp;
    struct timespec              ts;
    struct sigaction             sa;
    const char                  *a_speed, *a_start, *a_seed, *a_dur, *a_int;
    static const char *const     names[] = { NULL };
    static const struct option   opts[] = {
        { "speed",    required_argument, NULL, 'x' },
        { "start",    required_argument, NULL, 's' },
        { "seed",     required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' },
        { "interval", required_argument, NULL, 'i' },
        { "help",     no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    a_speed = a_start = a_seed = a_dur = a_int = NULL;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'x': a_speed = optarg; break;
        case 's': a_start = optarg; break;
        case 'r': a_seed = optarg; break;
        case 'd': a_dur = optarg; break;
        case 'i': a_int = optarg; break;

        case 'h':
            return mc_help("simulate");

        default:
            return mc_getopt_error("simulate", c, argv);
        }
    }

    if ((rc = mc_args("simulate", argc, argv, names, 0)) != MC_EXIT_OK
        || (rc = mc_clock(ctx)) != MC_EXIT_OK)
    {
        return rc;
    }

    speed = 20;
    interval = 1;
    duration = 0;
    h = 9;
    m = 0;
    seed = 0;
    seeded = 0;

    if ((a_speed && mc_parse_double("--speed", a_speed, 0, 100000, &speed))
        || (a_int
            && mc_parse_double("--interval", a_int, 0.01, 3600, &interval))
        || (a_dur
            && mc_parse_double("--duration", a_dur, 0, 1e9, &duration)))
    {
        return MC_EXIT_REFUSED;
    }

    if (a_start != NULL) {
        if (strlen(a_start) != 5 || a_start[2] != ':'
            || a_start[0] < '0' || a_start[0] > '2'
            || a_start[1] < '0' || a_start[1] > '9'
            || a_start[3] < '0' || a_start[3] > '5'
            || a_start[4] < '0' || a_start[4] > '9')
        {
            h = 99;

        } else {
            h = (a_start[0] - '0') * 10 + (a_start[1] - '0');
            m = (a_start[3] - '0') * 10 + (a_start[4] - '0');
        }

        if (h * 3600 + m * 60 < MC_SIM_OPEN
            || h * 3600 + m * 60 >= MC_SIM_END)
        {
            mc_error("--start: must be a time HH:MM from 08:45 to 17:29, "
                     "not \"%s\"", a_start);
            return MC_EXIT_REFUSED;
        }
    }

    if (a_seed != NULL) {
        char  *end;

        errno = 0;
        seed = strtoull(a_seed, &end, 10);

        if (end == a_seed || *end != '\0' || errno != 0 || *a_seed == '-') {
            mc_error("--seed: must be an unsigned integer, not \"%s\"",
                     a_seed);
            return MC_EXIT_REFUSED;
        }

        seeded = 1;
    }

    if (!seeded) {
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t) ts.tv_sec * 1000000007ULL) ^ (uint64_t) ts.tv_nsec
               ^ ((uint64_t) getpid() << 32);
        /* small enough to retype */
        seed %= 1000000000ULL;
    }

    rc = mc_store_open(ctx, &s, 0);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    memset(&sim, 0, sizeof(mc_sim_t));

    ec = mc_sim_defs(&s, &defs, &sim.n, &noffices);
    if (ec != MC_EXIT_OK) {
        mado_store_close(&s);
        return ec;
    }

    sim.defs = defs;
    sim.dt = speed * interval;
    sim.st = calloc(sim.n, sizeof(mado_counter_state_t));
    sim.old = calloc(sim.n, sizeof(mado_counter_state_t));
    sim.present = calloc(sim.n, 1);
    sim.cur.live = calloc(sim.n, sizeof(mc_sim_live_t));
    sim.next.live = calloc(sim.n, sizeof(mc_sim_live_t));

    if (sim.st == NULL || sim.old == NULL || sim.present == NULL
        || sim.cur.live == NULL || sim.next.live == NULL)
    {
        mc_error("out of memory");
        ec = MC_EXIT_STORE;
        goto done;
    }

    /* splitmix64 of the seed: xorshift wants a well mixed, nonzero state */
    z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    sim.cur.rng = z ? z : 1;

    sim.cur.tod = h * 3600 + m * 60;
    sim.cur.days = 1;

    /* the virtual day is today's weekday in Japan; weekends are skipped */
    local = (time_t) (ctx->now + MADO_TZ_OFFSET);
    gmtime_r(&local, &tm);
    sim.cur.wday = (tm.tm_wday == 0 || tm.tm_wday == 6) ? 1 : tm.tm_wday;

    memset(&sa, 0, sizeof(struct sigaction));
    sa.sa_handler = mc_sim_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: the sleep between ticks must end at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    printf("simulating %u counters of %u offices from %02u:%02u virtual at "
           "%gx, a tick every %g s (seed %llu)\n", sim.n, noffices,
           (unsigned) h, (unsigned) m, speed, interval,
           (unsigned long long) seed);
    fflush(stdout);

    base = ctx->now;
    t0 = mc_mono();
    ec = MC_EXIT_OK;

    for (k = 0; !mc_sim_stop; k++) {
        t = mc_mono() - t0;

        if (duration > 0 && t >= duration) {
            break;
        }

        /* real time of the tick: MADO_NOW (or the clock) plus the run */
        sim.now = base + (int64_t) t;

        rc = mado_store_write(&s, mc_sim_tick, &sim, &err);
        if (rc != MADO_OK) {
            mc_error("%s", err.text);
            ec = mc_exit_code(rc);
            break;
        }

        /* committed: next becomes cur (the live arrays trade places) */
        days = sim.cur.days;
        tmp = sim.cur.live;
        sim.cur = sim.next;
        sim.next.live = tmp;

        if (sim.cur.days != days) {
            printf("a new virtual day (%s) began at 08:45\n",
                   mc_sim_wdays[sim.cur.wday]);
        }

        if (sim.cur.ticks % 10 == 1) {
            printf("%02u:%02u virtual: %u waiting across %u counters\n",
                   (unsigned) (sim.cur.tod / 3600),
                   (unsigned) fmod(sim.cur.tod / 60, 60), sim.waiting,
                   sim.counters);
        }

        /* for whoever follows the output through a pipe */
        fflush(stdout);

        next = (k + 1) * interval;
        if (duration > 0 && next > duration) {
            next = duration;
        }

        next += t0;
        ts.tv_sec = (time_t) next;
        ts.tv_nsec = (long) ((next - (double) ts.tv_sec) * 1e9);
        if (ts.tv_nsec > 999999999) {
            ts.tv_nsec = 999999999;
        }

        /* a signal ends the sleep with EINTR, and the loop with it */
        while (!mc_sim_stop
               && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)
                  == EINTR)
        {
            /* void */
        }
    }

    if (ec == MC_EXIT_OK) {
        printf("stopped at %02u:%02u virtual after %u ticks\n",
               (unsigned) (sim.cur.tod / 3600),
               (unsigned) fmod(sim.cur.tod / 60, 60), sim.cur.ticks);
    }

done:

    mado_store_close(&s);
    free(defs);
    free(sim.st);
    free(sim.old);
    free(sim.present);
    free(sim.cur.live);
    free(sim.next.live);

    return ec;
}


/* the counters to simulate, flattened, with their rates */
static int
mc_sim_defs(mado_store_t *s, mc_sim_def_t **defs, unsigned *n,
    unsigned *noffices)
{
    int                  rc;
    char               (*ids)[MADO_ID_MAX + 1];
    double               load, scale;
    unsigned             i, j, nids, staff;
    MDB_txn             *txn;
    mado_err_t           err;
    mc_sim_def_t        *d;
    mado_office_def_t    o;
    const char          *id;

    *defs = NULL;
    *n = 0;
    *noffices = 0;
    txn = NULL;

    ids = calloc(MADO_OFFICES_MAX, sizeof(*ids));
    d = calloc(MADO_OFFICES_MAX * MADO_COUNTERS_MAX, sizeof(mc_sim_def_t));

    if (ids == NULL || d == NULL) {
        rc = mado_fail(&err, MADO_ESTORE, "out of memory");
        goto failed;
    }

    rc = mado_store_read_begin(s, &txn, &err);
    if (rc != MADO_OK) {
        goto failed;
    }

    rc = mado_office_ids(s, txn, ids, MADO_OFFICES_MAX, &nids, &err);
    if (rc != MADO_OK) {
        goto failed;
    }

    if (nids == 0) {
        rc = mado_fail(&err, MADO_EINVAL, "no offices loaded; load them with "
                       "\"madoctl load FILE\"");
        goto failed;
    }

    for (i = 0; i < nids; i++) {
        rc = mado_office_get(s, txn, ids[i], &o, &err);
        if (rc != MADO_OK) {
            rc = MADO_ESTORE;
            goto failed;
        }

        /* branches have fewer staff, and less to do for them */
        scale = strcmp(o.kind, "branch") == 0 ? 0.8 : 1.0;

        for (j = 0; j < o.ncounters; j++) {
            id = o.counters[j].id;

            /*
             * Usual staff, and how much of their time people fill at
             * factor 1: with the morning peak (and a Monday) the busiest
             * counters get more than they can serve, and queues grow.
             */
            if (strcmp(id, "certificates") == 0) {
                staff = 3; load = 0.6;
            } else if (strcmp(id, "moving") == 0) {
                staff = 2; load = 0.55;
            } else if (strcmp(id, "mynumber") == 0) {
                staff = 2; load = 0.5;
            } else if (strcmp(id, "family") == 0) {
                staff = 1; load = 0.45;
            } else {
                staff = 2; load = 0.5;
            }

            if (scale < 1 && staff > 1) {
                staff--;
            }

            strcpy(d[*n].office, o.id);
            strcpy(d[*n].counter, id);
            /* no texts: o's are freed below */
            strcpy(d[*n].def.id, id);
            d[*n].def.ticket_first = o.counters[j].ticket_first;
            d[*n].def.ticket_last = o.counters[j].ticket_last;
            d[*n].service = o.counters[j].seconds_per_person;
            d[*n].staff = staff;
            d[*n].rate = load * scale * staff * 3600 / d[*n].service;
            (*n)++;
        }

        mado_office_free(&o);
    }

    *noffices = nids;

    mdb_txn_abort(txn);
    free(ids);
    *defs = d;

    return MC_EXIT_OK;

failed:

    if (txn != NULL) {
        mdb_txn_abort(txn);
    }

    free(ids);
    free(d);
    *n = 0;

    mc_error("%s", err.text);

    return mc_exit_code(rc);
}


static int
mc_sim_tick(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int                      rc;
    double                   left, len;
    unsigned                 i;
    char                     n[16];
    unsigned                 changed = 0;
    mc_sim_t                *sim = arg;
    mc_sim_state_t          *nx = &sim->next;
    mado_counter_state_t    *st;
    const char              *extra[] = { "counters_changed", n, NULL };

    /* from the committed state, so that a re-run repeats the same tick */
    nx->rng = sim->cur.rng;
    nx->tod = sim->cur.tod;
    nx->wday = sim->cur.wday;
    nx->days = sim->cur.days;
    nx->ticks = sim->cur.ticks;
    memcpy(nx->live, sim->cur.live, sim->n * sizeof(mc_sim_live_t));

    for (i = 0; i < sim->n; i++) {
        rc = mado_state_get(s, txn, sim->defs[i].office,
                            sim->defs[i].counter, &sim->st[i], err);

        /* gone by a "load" since we started: leave it be */
        sim->present[i] = (rc == MADO_OK);

        if (rc == MADO_ENOTFOUND) {
            continue;
        }

        if (rc != MADO_OK) {
            return rc;
        }

        sim->old[i] = sim->st[i];
        st = &sim->st[i];

        if (nx->ticks == 0) {
            /* the demo starts with every counter open and no notices */
            st->status = MADO_STATUS_OPEN;
            mado_counter_message(st, "");

            if (st->staff == 0) {
                st->staff = sim->defs[i].staff;
            }
        }
    }

    for (left = sim->dt; left > 0; left -= len) {

        if (nx->tod >= MC_SIM_END) {
            mc_sim_new_day(sim);
        }

        mc_sim_close(sim);

        len = left < MC_SIM_STEP ? left : MC_SIM_STEP;

        /* stop at 17:00 and 17:30 exactly */
        if (nx->tod < MC_SIM_CLOSE && nx->tod + len > MC_SIM_CLOSE) {
            len = MC_SIM_CLOSE - nx->tod;

        } else if (nx->tod + len > MC_SIM_END) {
            len = MC_SIM_END - nx->tod;
        }

        for (i = 0; i < sim->n; i++) {
            if (sim->present[i]) {
                mc_sim_counter(sim, i, len);
            }
        }

        nx->tod += len;
    }

    mc_sim_close(sim);

    sim->waiting = 0;
    sim->counters = 0;

    for (i = 0; i < sim->n; i++) {
        if (!sim->present[i]) {
            continue;
        }

        st = &sim->st[i];
        sim->waiting += st->waiting;
        sim->counters++;

        /* untouched counters keep their updated_at */
        if (mado_state_same(st, &sim->old[i])) {
            continue;
        }

        st->updated_at = sim->now;
        changed++;

        rc = mado_state_put(s, txn, sim->defs[i].office,
                            sim->defs[i].counter, st, err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    nx->ticks++;

    if (changed == 0) {
        return MADO_OK;
    }

    /* one record per tick: the demo's traffic is not worth one per counter */
    snprintf(n, sizeof(n), "%u", changed);

    return mc_audit(s, txn, sim->now, "simulate", NULL, NULL, NULL, NULL,
                    extra, err);
}


/* len virtual seconds at counter i, from nx->tod on */
static void
mc_sim_counter(mc_sim_t *sim, unsigned i, double len)
{
    double                   t, lambda;
    unsigned                 j, slots, arrivals, guard, most;
    mc_sim_state_t          *nx = &sim->next;
    mc_sim_live_t           *lv = &nx->live[i];
    const mc_sim_def_t      *d = &sim->defs[i];
    mado_counter_state_t    *st = &sim->st[i];

    /* someone goes on a break or helps out, and comes back (1 to 4) */
    if (st->staff >= 1 && st->staff <= 4
        && mc_rand_unit(&nx->rng) < MC_SIM_STAFF_MOVES * len / 3600)
    {
        if (st->staff > d->staff
            || (st->staff == d->staff && st->staff > 1
                && (st->staff == 4 || mc_rand_unit(&nx->rng) < 0.5)))
        {
            st->staff--;

        } else {
            st->staff++;
        }
    }

    if (lv->pause_left > 0) {
        if (st->status != MADO_STATUS_PAUSED) {
            /* someone ended our pause by hand */
            lv->pause_left = 0;

        } else {
            lv->pause_left -= len;

            if (lv->pause_left <= 0) {
                lv->pause_left = 0;
                st->status = MADO_STATUS_OPEN;
                mado_counter_message(st, "");
            }
        }

    } else if (st->status == MADO_STATUS_OPEN && nx->tod < MC_SIM_CLOSE
               && mc_rand_unit(&nx->rng) < MC_SIM_PAUSES * len / 3600)
    {
        /* a few virtual minutes */
        lv->pause_left = 180 + mc_rand_unit(&nx->rng) * 420;
        st->status = MADO_STATUS_PAUSED;
        mado_counter_message(st, MC_SIM_PAUSE_MSG);
    }

    /* tickets are taken while open or paused, as "issue" allows */
    if ((st->status == MADO_STATUS_OPEN || st->status == MADO_STATUS_PAUSED)
        && nx->tod < MC_SIM_CLOSE)
    {
        lambda = d->rate * mc_sim_factor(nx->tod, nx->wday) * len / 3600;
        arrivals = mc_rand_poisson(&nx->rng, lambda);

        /*
         * The machine's numbers must not lap the queue: with half the
         * range waiting, people are turned away (the library tells the
         * rounds apart by half the range).
         */
        most = ((unsigned) d->def.ticket_last - d->def.ticket_first + 1) / 2;

        while (arrivals-- > 0 && st->waiting < most) {
            mado_counter_issue(st, &d->def, sim->now);
        }
    }

    /* staff call people while open, and after 17:00 until none wait */
    slots = st->staff == 0 ? 1 : st->staff;
    if (slots > MC_SIM_STAFF_MAX) {
        slots = MC_SIM_STAFF_MAX;
    }

    if (st->status != MADO_STATUS_OPEN && st->status != MADO_STATUS_ENDED) {
        /* paused or closed: those being served finish, nobody is called */
        slots = 0;
    }

    for (j = 0; j < MC_SIM_STAFF_MAX; j++) {
        t = len;

        for (guard = 0; guard < 1000; guard++) {
            if (lv->busy[j] > t) {
                lv->busy[j] -= t;
                break;
            }

            t -= lv->busy[j];
            lv->busy[j] = 0;

            if (j >= slots || st->waiting == 0) {
                break;
            }

            /*
             * Everyone after calling was called: those still counted as
             * waiting hold earlier numbers (absentees a fed history
             * left).  Staff cancel them, never calling a number that was
             * not issued.
             */
            if (!mado_ticket_issued(&d->def, st,
                                    mado_ticket_next(&d->def, st->calling)))
            {
                st->waiting--;
                continue;
            }

            mado_counter_call(st, &d->def, 0, sim->now);
            lv->busy[j] = mc_rand_exp(&nx->rng, d->service);
        }
    }
}


/* from 17:00 no new tickets; those waiting are still called */
static void
mc_sim_close(mc_sim_t *sim)
{
    unsigned                 i;
    mc_sim_state_t          *nx = &sim->next;
    mado_counter_state_t    *st;

    if (nx->tod < MC_SIM_CLOSE) {
        return;
    }

    for (i = 0; i < sim->n; i++) {
        st = &sim->st[i];

        if (sim->present[i]
            && (st->status == MADO_STATUS_OPEN
                || st->status == MADO_STATUS_PAUSED))
        {
            if (nx->live[i].pause_left > 0) {
                nx->live[i].pause_left = 0;
                mado_counter_message(st, "");
            }

            st->status = MADO_STATUS_ENDED;
        }
    }
}


/* 17:30 became 08:45 of the next working day */
static void
mc_sim_new_day(mc_sim_t *sim)
{
    unsigned                 i;
    mc_sim_state_t          *nx = &sim->next;
    mado_counter_state_t    *st;

    nx->tod = MC_SIM_OPEN;
    nx->days++;
    nx->wday = (nx->wday >= 5) ? 1 : nx->wday + 1;

    memset(nx->live, 0, sim->n * sizeof(mc_sim_live_t));

    for (i = 0; i < sim->n; i++) {
        if (!sim->present[i]) {
            continue;
        }

        st = &sim->st[i];
        st->status = MADO_STATUS_OPEN;
        st->waiting = 0;
        st->calling = 0;
        st->last_issued = 0;
        st->served_today = 0;
        st->staff = sim->defs[i].staff;
        st->recent_n = 0;
        mado_counter_message(st, "");
    }
}


/* how busy the hour is: morning and lunch peaks, quiet afternoons */
static double
mc_sim_factor(double tod, unsigned wday)
{
    double  f, m;

    m = tod / 60;

    if (m < 9 * 60) {
        f = 0.7;
    } else if (m < 11 * 60) {
        f = 1.6;
    } else if (m < 12 * 60) {
        f = 1.0;
    } else if (m < 13 * 60 + 30) {
        f = 1.35;
    } else if (m < 16 * 60) {
        f = 0.75;
    } else if (m < 17 * 60) {
        f = 0.5;
    } else {
        f = 0;
    }

    /* Mondays bring what the weekend could not */
    if (wday == 1) {
        f *= 1.3;
    }

    return f;
}


static void
mc_sim_signal(int signo)
{
    (void) signo;

    mc_sim_stop = 1;
}


static double
mc_mono(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* xorshift64* */
static uint64_t
mc_rand(uint64_t *s)
{
    uint64_t  x = *s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;

    return x * 0x2545f4914f6cdd1dULL;
}


/* [0, 1) */
static double
mc_rand_unit(uint64_t *s)
{
    return (mc_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}


static double
mc_rand_exp(uint64_t *s, double mean)
{
    return -mean * log(1.0 - mc_rand_unit(s));
}


static unsigned
mc_rand_poisson(uint64_t *s, double lambda)
{
    double    l, p, u1, u2, x;
    unsigned  k;

    if (lambda <= 0) {
        return 0;
    }

    if (lambda < 30) {
        /* Knuth: multiply uniforms until below e^-lambda */
        l = exp(-lambda);
        p = 1;

        for (k = 0; ; k++) {
            p *= mc_rand_unit(s);
            if (p <= l) {
                return k;
            }
        }
    }

    /* normal approximation (Box-Muller), good enough for large lambda */
    u1 = 1.0 - mc_rand_unit(s);
    u2 = mc_rand_unit(s);
    x = lambda + sqrt(lambda) * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

    if (x < 0.5) {
        return 0;
    }

    return x > MADO_COUNT_MAX ? MADO_COUNT_MAX : (unsigned) (x + 0.5);
}
