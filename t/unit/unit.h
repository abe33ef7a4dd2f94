/*
 * The library's C tests: a few checks and a throw-away store, no
 * framework (like LMDB's mtest.c).  Each test_*.c is a program that runs
 * its checks, says what failed, and exits non-zero if anything did;
 * "make unit" builds and runs them all.
 */

#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mado_store.h"


static unsigned  unit_checks, unit_failures;


static inline int
unit_check(int ok, const char *file, int line, const char *what)
{
    unit_checks++;

    if (!ok) {
        unit_failures++;
        fprintf(stderr, "%s:%d: failed: %s\n", file, line, what);
    }

    return ok;
}


#define CHECK(c)  unit_check((c) != 0, __FILE__, __LINE__, #c)

#define CHECK_INT(a, b)                                                       \
    do {                                                                      \
        long long  a_ = (long long) (a), b_ = (long long) (b);                \
                                                                              \
        if (!unit_check(a_ == b_, __FILE__, __LINE__, #a " == " #b)) {        \
            fprintf(stderr, "    %lld, not %lld\n", a_, b_);                  \
        }                                                                     \
    } while (0)

#define CHECK_STR(a, b)                                                       \
    do {                                                                      \
        const char  *a_ = (a), *b_ = (b);                                     \
                                                                              \
        if (!unit_check(a_ != NULL && strcmp(a_, b_) == 0, __FILE__,          \
                        __LINE__, #a " == " #b))                              \
        {                                                                     \
            fprintf(stderr, "    \"%s\",\n    not \"%s\"\n",                  \
                    a_ ? a_ : "(null)", b_);                                  \
        }                                                                     \
    } while (0)

/* len bytes at p are the bytes of the string literal lit */
#define CHECK_BYTES(p, len, lit)                                              \
    unit_bytes((const unsigned char *) (p), (len),                            \
               (const unsigned char *) (lit), sizeof(lit) - 1, __FILE__,      \
               __LINE__, #lit)

/* len bytes at p are the bytes of the C string s */
#define CHECK_TEXT(p, len, s)                                                 \
    unit_bytes((const unsigned char *) (p), (len),                            \
               (const unsigned char *) (s), strlen(s), __FILE__, __LINE__,    \
               #s)


static inline void
unit_hex(const char *name, const unsigned char *p, size_t n)
{
    size_t  i;

    fprintf(stderr, "    %s (%zu):", name, n);

    for (i = 0; i < n; i++) {
        fprintf(stderr, "%s%02x", i % 16 ? " " : "\n      ", p[i]);
    }

    fputc('\n', stderr);
}


static inline int
unit_bytes(const unsigned char *got, size_t glen, const unsigned char *want,
    size_t wlen, const char *file, int line, const char *what)
{
    if (unit_check(glen == wlen && memcmp(got, want, wlen) == 0, file, line,
                   what))
    {
        return 1;
    }

    unit_hex("got", got, glen);
    unit_hex("want", want, wlen);

    return 0;
}


static inline int
unit_done(const char *name)
{
    printf("%s: %u checks, %u failed\n", name, unit_checks, unit_failures);

    return unit_failures ? 1 : 0;
}


/* the layouts are pinned as written on little-endian machines */
static inline int
unit_little_endian(void)
{
    uint16_t  one = 1;

    return *(unsigned char *) &one == 1;
}


/* ------------------------------------------------------------ states */

/* a counter of seconds a person, levels from 15, 30 and 60 minutes */
static inline mado_counter_def_t *
unit_counter(mado_counter_def_t *c, uint32_t seconds)
{
    memset(c, 0, sizeof(mado_counter_def_t));
    strcpy(c->id, "moving");
    c->seconds_per_person = seconds;
    c->levels[0] = 15;
    c->levels[1] = 30;
    c->levels[2] = 60;
    c->ticket_first = 1;
    c->ticket_last = 300;

    return c;
}


/* an open counter's state; svc_*: what the estimate has learnt */
static inline void
unit_state(mado_counter_state_t *st, uint32_t waiting, uint32_t staff,
    uint32_t svc_n, uint32_t svc_ms)
{
    memset(st, 0, sizeof(mado_counter_state_t));
    st->status = MADO_STATUS_OPEN;
    st->waiting = waiting;
    st->staff = staff;
    st->svc_n = svc_n;
    st->svc_ms = svc_ms;
}


/* ------------------------------------------------------------ a store */

/*
 * Two offices' worth of definitions: "kita" with counters a and b alike
 * (to compare orders of the same events), a small range (1..10) to wrap,
 * and business codes
 */
#define UNIT_OFFICES                                                          \
    "{\"offices\": [{\"id\": \"kita\","                                       \
    " \"name\": {\"ja\": \"北区役所\", \"en\": \"Kita\"},"                    \
    " \"hours\": {\"mon\": \"08:45-17:30\", \"tue\": \"08:45-17:30\","        \
    "  \"wed\": \"08:45-17:30\", \"thu\": \"08:45-17:30\","                   \
    "  \"fri\": \"08:45-17:30\"},"                                            \
    " \"counters\": ["                                                        \
    "  {\"id\": \"a\", \"name\": {\"ja\": \"A\", \"en\": \"A\"},"             \
    "   \"minutes_per_person\": 10, \"ticket_range\": [1, 300],"              \
    "   \"business_codes\": [\"11\"]},"                                       \
    "  {\"id\": \"b\", \"name\": {\"ja\": \"B\", \"en\": \"B\"},"             \
    "   \"minutes_per_person\": 10, \"ticket_range\": [1, 300]},"             \
    "  {\"id\": \"small\", \"name\": {\"ja\": \"S\", \"en\": \"S\"},"         \
    "   \"minutes_per_person\": 5, \"ticket_range\": [1, 10],"                \
    "   \"business_codes\": [\"21\"]}]}]}"


typedef struct {
    char                dir[64];
    mado_store_t        s;
    mado_offices_t      all;
} unit_store_t;


typedef struct {
    const mado_offices_t  *all;
    int64_t                now;
} unit_load_t;


static inline int
unit_load_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    unit_load_t  *l = arg;

    return mado_offices_put(s, txn, l->all, l->now, err);
}


/* a new store in a temporary directory, UNIT_OFFICES loaded at now */
static inline int
unit_store_open(unit_store_t *u, int64_t now)
{
    mado_err_t   err;
    unit_load_t  l;
    const char  *tmp = getenv("TMPDIR");

    snprintf(u->dir, sizeof(u->dir), "%s/mado-unit-XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");

    if (mkdtemp(u->dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }

    if (mado_store_open(&u->s, u->dir, MADO_OPEN_CREATE, 1024 * 1024, &err)
        != MADO_OK
        || mado_offices_parse(UNIT_OFFICES, strlen(UNIT_OFFICES), &u->all,
                              &err)
           != MADO_OK)
    {
        fprintf(stderr, "unit store: %s\n", err.text);
        return -1;
    }

    /* writes are audited, and what names people sealed: a key of zeros
       will do */
    memset(u->s.audit_key, 0, sizeof(u->s.audit_key));

    if (mado_store_keys(&u->s, u->s.audit_key, &err) != MADO_OK) {
        fprintf(stderr, "unit store: %s\n", err.text);
        return -1;
    }

    l.all = &u->all;
    l.now = now;

    if (mado_store_write(&u->s, unit_load_write, &l, &err) != MADO_OK) {
        fprintf(stderr, "unit store: %s\n", err.text);
        return -1;
    }

    return 0;
}


/*
 * 1 if the store file holds the len bytes of p (-1: unreadable).  live:
 * in the pages in use only, as a compacting copy of the store has them
 * (LMDB leaves what it freed in the file until it writes over it)
 */
static inline int
unit_store_holds(unit_store_t *u, const void *p, size_t len, int live)
{
    int      found;
    char     path[160], copy[128];
    FILE    *f;
    size_t   n, i;
    char    *buf;

    snprintf(path, sizeof(path), "%s/data.mdb", u->dir);

    if (live) {
        snprintf(copy, sizeof(copy), "%s/copy", u->dir);
        (void) mkdir(copy, 0700);
        snprintf(path, sizeof(path), "%s/data.mdb", copy);
        (void) unlink(path);

        if (mdb_env_copy2(u->s.env, copy, MDB_CP_COMPACT) != 0) {
            return -1;
        }
    }

    f = fopen(path, "r");
    buf = malloc(8 << 20);

    if (f == NULL || buf == NULL) {
        if (f != NULL) {
            fclose(f);
        }
        free(buf);
        return -1;
    }

    n = fread(buf, 1, 8 << 20, f);
    fclose(f);

    for (i = 0, found = 0; !found && i + len <= n; i++) {
        found = memcmp(buf + i, p, len) == 0;
    }

    free(buf);

    if (live) {
        unlink(path);
        rmdir(copy);
    }

    return found;
}


static inline void
unit_store_close(unit_store_t *u)
{
    char  path[128];

    mado_store_close(&u->s);
    mado_offices_free(&u->all);

    snprintf(path, sizeof(path), "%s/data.mdb", u->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", u->dir);
    unlink(path);
    rmdir(u->dir);
}

#endif /* UNIT_H */
