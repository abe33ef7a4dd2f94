/*
 * bench/estimate: how honest is the wait shown to citizens?
 *
 * Simulates whole days at four kinds of counter: arrivals whose rate
 * varies by hour, 1..4 staff whose number changes during the day (known to
 * the system on most days, unknown on some), service times that vary
 * around a mean that is itself off from the configured minutes_per_person
 * by up to -30 %..+40 % on a given day.  Each ticket is shown, when it is
 * taken, the estimate of lmdb_store/mado_estimate.c (the code the module
 * and madoctl run, fed the same issue and call reports a ticket machine
 * would give) and the old baseline "waiting x configured
 * minutes_per_person"; both are compared with the wait it then had.
 *
 *   estimate [DAYS [SEED]]     prints a Markdown table
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado_store.h"


#define NKINDS      4
#define MAXSTAFF    4
#define MAXQ        4096
#define OPEN_AT     (8 * 3600 + 30 * 60)
#define RECEPTION   (17 * 3600)


typedef struct {
    const char     *name;
    double          minutes;        /* configured minutes_per_person */
    double          rate;           /* arrivals per hour at factor 1 */
} kind_t;

static const kind_t  kinds[NKINDS] = {
    { "certificates", 5.2, 30 },
    { "mynumber",     12.6, 12 },
    { "moving",       15.8, 10 },
    { "family",       21.0, 6 },
};

/* arrivals by hour of the day, 08..16 */
static const double  profile[9] = {
    1.0, 1.7, 1.5, 1.1, 0.8, 1.2, 1.0, 0.9, 0.6
};


typedef struct {
    uint64_t        s;
} rng_t;


static double
unit(rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;

    return ((r->s * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}


static double
expo(rng_t *r, double mean)
{
    return -mean * log(1.0 - unit(r));
}


static double
lognormal(rng_t *r, double mean, double sigma)
{
    double  u1 = unit(r), u2 = unit(r), z;

    z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);

    return mean * exp(sigma * z - sigma * sigma / 2.0);
}


typedef struct {
    double          arrival;
    double          est, low, high, base;   /* minutes */
} ticket_t;


typedef struct {
    double         *mado, *base;
    size_t          n, cap;
    size_t          inside;
} errors_t;


static void
push(errors_t *e, double m, double b, int in)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4096;
        e->mado = realloc(e->mado, e->cap * sizeof(double));
        e->base = realloc(e->base, e->cap * sizeof(double));
        if (e->mado == NULL || e->base == NULL) {
            abort();
        }
    }

    e->mado[e->n] = m;
    e->base[e->n] = b;
    e->n++;
    e->inside += in;
}


static int
cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


static void
stats(double *v, size_t n, double *mae, double *p90)
{
    size_t  i;
    double  sum = 0;

    for (i = 0; i < n; i++) {
        sum += v[i];
    }

    qsort(v, n, sizeof(double), cmp);

    *mae = n ? sum / n : 0;
    *p90 = n ? v[(size_t) (0.9 * (n - 1))] : 0;
}


/* staff on duty at time t of the day: base, +1 10-12, -1 lunch, +-1 15- */
static unsigned
staff_at(unsigned base, int late, double t)
{
    int  s = (int) base;

    if (t >= 10 * 3600 && t < 12 * 3600) {
        s += 1;
    } else if (t >= 12 * 3600 && t < 13 * 3600) {
        s -= 1;
    } else if (t >= 15 * 3600) {
        s += late;
    }

    return s < 1 ? 1 : (s > MAXSTAFF ? MAXSTAFF : (unsigned) s);
}


static void
day(rng_t *r, const kind_t *k, mado_counter_def_t *c,
    mado_counter_state_t *st, errors_t *e)
{
    int                 late, known;
    unsigned            base, staff, j, head, tail;
    double              t, next_arrival, factor, mean, lambda, h;
    double              busy[MAXSTAFF];
    ticket_t            q[MAXQ];
    int64_t             est, low, high, wl, wh;

    factor = 0.7 + 0.7 * unit(r);
    mean = k->minutes * 60.0 * factor;
    base = 1 + (unsigned) (unit(r) * 3.0);
    late = (int) (unit(r) * 3.0) - 1;
    known = unit(r) < 0.8;

    /*
     * offered load at the busiest hour 0.8..1.4 of what the usual staff
     * serve: queues build up in the morning and drain after (the days
     * citizens most need the figures)
     */
    lambda = (0.8 + 0.6 * unit(r)) * base / mean / profile[1];

    memset(busy, 0, sizeof(busy));
    head = tail = 0;

    /* the state as the store keeps it: a new day starts from zero */
    st->status = MADO_STATUS_OPEN;
    st->waiting = 0;
    st->calling = 0;
    st->called_at = 0;
    st->served_today = 0;
    mado_service_new_day(st);

    t = OPEN_AT;
    next_arrival = t + expo(r, 1.0 / (lambda * profile[0]));

    for ( ;; ) {
        double  free_at = 1e18;
        int     who = -1;

        staff = staff_at(base, late, t);
        st->staff = known ? staff : 0;

        /* the next server to free among those on duty */
        for (j = 0; j < staff; j++) {
            if (busy[j] < free_at) {
                free_at = busy[j];
                who = (int) j;
            }
        }

        if (head != tail && free_at <= next_arrival) {
            /* a call: the head of the queue, when someone is free */
            t = free_at > t ? free_at : t;
            staff = staff_at(base, late, t);
            st->staff = known ? staff : 0;

            mado_service_call(c, st, (int64_t) t);
            st->calling++;
            st->called_at = (int64_t) t;
            st->waiting--;
            st->served_today++;

            {
                ticket_t  *tk = &q[head++ % MAXQ];
                double     actual = (t - tk->arrival) / 60.0;

                push(e, fabs(tk->est - actual), fabs(tk->base - actual),
                     actual >= tk->low && actual <= tk->high);
            }

            busy[who] = t + lognormal(r, mean, 0.5);
            continue;
        }

        if (next_arrival >= RECEPTION) {
            if (head == tail) {
                break;
            }

            /* after reception: only calls remain */
            next_arrival = 1e18;
            continue;
        }

        t = next_arrival;
        h = profile[(unsigned) (t / 3600) - 8];
        next_arrival = t + expo(r, 1.0 / (lambda * h));

        staff = staff_at(base, late, t);
        st->staff = known ? staff : 0;

        if (tail - head >= MAXQ) {
            continue;
        }

        /* what the ticket is shown when taken */
        ticket_t  *tk = &q[tail++ % MAXQ];

        tk->arrival = t;

        if (mado_estimate(c, st, &est, &low, &high) != 0
            || mado_wait_range(c, st, &wl, &wh) != 0)
        {
            abort();
        }

        tk->est = est / 60.0;
        tk->low = (double) wl;
        tk->high = (double) wh;
        tk->base = mado_estimate_baseline(c, st) / 60.0;

        /* someone free is called at once: the loop's next turn */
        mado_service_issue(st, (int64_t) t);
        st->waiting++;
    }
}


int
main(int argc, char **argv)
{
    unsigned              days, seed, d, k;
    rng_t                 r;
    errors_t              all, per[NKINDS];
    mado_counter_def_t    c[NKINDS];
    mado_counter_state_t  st[NKINDS];
    double                mm, mp, bm, bp;

    days = argc > 1 ? (unsigned) atoi(argv[1]) : 60;
    seed = argc > 2 ? (unsigned) atoi(argv[2]) : 1;

    r.s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t) seed * 0xbf58476d1ce4e5b9ULL);
    if (r.s == 0) {
        r.s = 1;
    }

    memset(&all, 0, sizeof(all));
    memset(per, 0, sizeof(per));
    memset(c, 0, sizeof(c));
    memset(st, 0, sizeof(st));

    for (k = 0; k < NKINDS; k++) {
        c[k].seconds_per_person = (uint32_t) lround(kinds[k].minutes * 60);
        c[k].ticket_first = 1;
        c[k].ticket_last = MADO_COUNT_MAX;
    }

    for (d = 0; d < days; d++) {
        for (k = 0; k < NKINDS; k++) {
            size_t  from = per[k].n;

            day(&r, &kinds[k], &c[k], &st[k], &per[k]);

            for (size_t i = from; i < per[k].n; i++) {
                push(&all, per[k].mado[i], per[k].base[i], 0);
            }

            all.inside += per[k].inside;
            per[k].inside = 0;
        }
    }

    stats(all.mado, all.n, &mm, &mp);
    stats(all.base, all.n, &bm, &bp);

    printf("| tickets | mado MAE | baseline MAE | MAE ratio | mado P90 | "
           "baseline P90 | actual wait inside the shown range |\n");
    printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    printf("| %zu | %.2f min | %.2f min | **%.3f** | %.2f min | %.2f min | "
           "**%.1f %%** |\n", all.n, mm, bm, mm / bm, mp, bp,
           100.0 * all.inside / all.n);

    printf("\n%u simulated days x %d counters (seed %u).\n", days, NKINDS,
           seed);

    return (mm <= 0.5 * bm && all.inside >= 0.8 * all.n) ? 0 : 1;
}
