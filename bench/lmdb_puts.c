/*
 * Baseline of bench/feed.sh: a plain loop of LMDB puts of the records a
 * feed writes for the same events (one ticket record of 32 bytes per
 * event, keyed office\0counter\0number), in transactions of the same
 * size, with no parsing, no counting and no cursor.
 *
 *   lmdb_puts DIR EVENTS BATCH
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lmdb.h>


#define CHECK(call)                                                          \
    do {                                                                     \
        int rc_ = (call);                                                    \
        if (rc_ != 0) {                                                      \
            fprintf(stderr, "%s: %s\n", #call, mdb_strerror(rc_));           \
            return 1;                                                        \
        }                                                                    \
    } while (0)


int
main(int argc, char **argv)
{
    long            n, batch, i, j;
    MDB_env        *env;
    MDB_txn        *txn;
    MDB_dbi         dbi;
    MDB_val         k, v;
    unsigned char   key[64], val[32];
    static const char  *counters[4] = {
        "moving", "certificates", "family", "mynumber"
    };

    if (argc != 4) {
        fprintf(stderr, "usage: lmdb_puts DIR EVENTS BATCH\n");
        return 2;
    }

    n = atol(argv[2]);
    batch = atol(argv[3]);

    CHECK(mdb_env_create(&env));
    CHECK(mdb_env_set_mapsize(env, 1UL << 30));
    CHECK(mdb_env_set_maxdbs(env, 4));
    CHECK(mdb_env_open(env, argv[1], MDB_NOTLS, 0660));

    memset(val, 0, sizeof(val));

    for (i = 0; i < n; i += batch) {
        CHECK(mdb_txn_begin(env, NULL, 0, &txn));
        CHECK(mdb_dbi_open(txn, "ticket", MDB_CREATE, &dbi));

        for (j = i; j < i + batch && j < n; j++) {
            const char  *c = counters[j % 4];
            size_t       lc = strlen(c);
            unsigned     t = (unsigned) (j / 4 % 9999) + 1;

            memcpy(key, "kita", 5);
            memcpy(key + 5, c, lc + 1);
            key[5 + lc + 1] = (unsigned char) (t >> 8);
            key[5 + lc + 2] = (unsigned char) t;
            memcpy(val + 8, &j, sizeof(j));

            k.mv_data = key;
            k.mv_size = 5 + lc + 3;
            v.mv_data = val;
            v.mv_size = sizeof(val);

            CHECK(mdb_put(txn, dbi, &k, &v, 0));
        }

        CHECK(mdb_txn_commit(txn));
    }

    mdb_env_close(env);

    return 0;
}
