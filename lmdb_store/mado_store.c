/*
 * mado store: LMDB access shared by the nginx module and madoctl.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mado_store.h"


const char *const mado_status_names[MADO_NSTATUS] = {
    "open", "paused", "closed", "ended"
};


int
mado_fail(mado_err_t *err, int rc, const char *fmt, ...)
{
    va_list  ap;

    if (err != NULL) {
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
    }

    return rc;
}


/*
 * Storage errors inside a write callback are passed up as the raw LMDB code
 * when they mean "grow and retry", as rc otherwise.
 */
int
mado_mdb_fail(mado_err_t *err, int rc, const char *what, int mrc)
{
    mado_fail(err, rc, "%s: %s", what, mdb_strerror(mrc));

    return (mrc == MDB_MAP_FULL || mrc == MDB_TXN_FULL) ? mrc : rc;
}


int
mado_store_data_path(const char *dir, char *buf, size_t len)
{
    int  n;

    n = snprintf(buf, len, "%s/data.mdb", dir);

    return (n < 0 || (size_t) n >= len) ? -1 : 0;
}


int
mado_store_open(mado_store_t *s, const char *dir, unsigned flags,
    size_t mapsize, mado_err_t *err)
{
    int           rc;
    char          path[4096];
    MDB_txn      *txn;
    unsigned      envflags, dbflags;
    struct stat   sb;

    memset(s, 0, sizeof(mado_store_t));
    s->readonly = (flags & MADO_OPEN_RDONLY) ? 1 : 0;
    s->anchor_fd = -1;

    if (stat(dir, &sb) == -1) {
        if (errno == ENOENT && (flags & MADO_OPEN_CREATE)) {
            if (mkdir(dir, 0770) == -1 && errno != EEXIST) {
                return mado_fail(err, MADO_ESTORE,
                                 "cannot create store directory %s: %s",
                                 dir, strerror(errno));
            }

        } else {
            return mado_fail(err, MADO_ESTORE, "store %s: %s", dir,
                             strerror(errno));
        }

    } else if (!S_ISDIR(sb.st_mode)) {
        return mado_fail(err, MADO_ESTORE, "store %s is not a directory", dir);
    }

    if (mado_store_data_path(dir, path, sizeof(path)) != 0) {
        return mado_fail(err, MADO_ESTORE, "store path too long");
    }

    if (!(flags & MADO_OPEN_CREATE) && stat(path, &sb) == -1) {
        return mado_fail(err, MADO_ESTORE,
                         "no store in %s (%s); create it with "
                         "\"madoctl init\"", dir, strerror(errno));
    }

    rc = mdb_env_create(&s->env);
    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "mdb_env_create: %s",
                         mdb_strerror(rc));
    }

    mdb_env_set_maxdbs(s->env, 16);
    mdb_env_set_maxreaders(s->env, MADO_MAXREADERS);

    if (mapsize) {
        mdb_env_set_mapsize(s->env, mapsize);
    }

    /*
     * MDB_NOTLS: a reader's transaction handle belongs to the caller, not
     * to a thread, so the module can keep one per worker and renew it.
     */
    envflags = MDB_NOTLS;
    if (s->readonly) {
        envflags |= MDB_RDONLY;
    }

    if (flags & MADO_OPEN_NOMETASYNC) {
        envflags |= MDB_NOMETASYNC;
    }

    /* group rw: nginx workers run under another user in the store's group */
    rc = mdb_env_open(s->env, dir, envflags, 0660);
    if (rc != 0) {
        mdb_env_close(s->env);
        s->env = NULL;
        return mado_fail(err, MADO_ESTORE, "cannot open store %s: %s",
                         dir, mdb_strerror(rc));
    }

    if (!s->readonly) {
        int  dead;

        /* slots of readers that died (a killed worker or madoctl) */
        mdb_reader_check(s->env, &dead);
    }

    dbflags = s->readonly ? 0 : MDB_CREATE;

    rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0, &txn);
    if (rc != 0) {
        mado_store_close(s);
        return mado_fail(err, MADO_ESTORE, "store %s: %s", dir,
                         mdb_strerror(rc));
    }

    if ((rc = mdb_dbi_open(txn, "meta", dbflags, &s->meta)) != 0
        || (rc = mdb_dbi_open(txn, "office", dbflags, &s->office)) != 0
        || (rc = mdb_dbi_open(txn, "state", dbflags, &s->state)) != 0
        || (!s->readonly
            && ((rc = mdb_dbi_open(txn, "ticket", dbflags, &s->ticket)) != 0
                || (rc = mdb_dbi_open(txn, "feed", dbflags, &s->feed)) != 0
                || (rc = mdb_dbi_open(txn, "event", dbflags, &s->event)) != 0
                || (rc = mdb_dbi_open(txn, "sample", dbflags, &s->sample))
                   != 0
                || (rc = mdb_dbi_open(txn, "hourly", dbflags, &s->hourly))
                   != 0
                || (rc = mdb_dbi_open(txn, "audit", dbflags, &s->audit_db))
                   != 0
                || (rc = mdb_dbi_open(txn, "account", dbflags, &s->account))
                   != 0
                || (rc = mdb_dbi_open(txn, "session", dbflags, &s->session))
                   != 0
                || (rc = mdb_dbi_open(txn, "idem", dbflags, &s->idem))
                   != 0
                || (rc = mdb_dbi_open(txn, "clientfail", dbflags,
                                      &s->clientfail))
                   != 0
                || (rc = mdb_dbi_open(txn, "refusal", dbflags, &s->refusal))
                   != 0
                || (rc = mdb_dbi_open(txn, "login", dbflags, &s->login))
                   != 0)))
    {
        mdb_txn_abort(txn);
        mado_store_close(s);

        if (rc == MDB_NOTFOUND) {
            return mado_fail(err, MADO_ESTORE,
                             "store %s is not initialised; run "
                             "\"madoctl init\"", dir);
        }

        return mado_fail(err, MADO_ESTORE, "store %s: %s", dir,
                         mdb_strerror(rc));
    }

    if (flags & MADO_OPEN_CREATE) {
        MDB_val  k, v;
        char     ver[24];

        k.mv_data = MADO_META_SCHEMA;
        k.mv_size = sizeof(MADO_META_SCHEMA) - 1;

        rc = mdb_get(txn, s->meta, &k, &v);
        if (rc == MDB_NOTFOUND) {
            v.mv_size = mado_meta_number(MADO_SCHEMA_VERSION, ver);
            v.mv_data = ver;
            rc = mdb_put(txn, s->meta, &k, &v, 0);
        }

        if (rc != 0) {
            mdb_txn_abort(txn);
            mado_store_close(s);
            return mado_fail(err, MADO_ESTORE, "store %s: %s", dir,
                             mdb_strerror(rc));
        }
    }

    s->history = 1;

    if (s->readonly
        && (mdb_dbi_open(txn, "event", 0, &s->event) != 0
            || mdb_dbi_open(txn, "sample", 0, &s->sample) != 0
            || mdb_dbi_open(txn, "hourly", 0, &s->hourly) != 0))
    {
        /* a store no writer of this version has opened yet: no history */
        s->history = 0;
    }

    /* for monitoring (the module's metrics): what the feeds did, the trail */
    s->feeds = !s->readonly || mdb_dbi_open(txn, "feed", 0, &s->feed) == 0;
    s->trail = !s->readonly
               || mdb_dbi_open(txn, "audit", 0, &s->audit_db) == 0;

    rc = mado_schema_check(s, txn, err);

    /* a store a restore put aside takes no writer (mado_backup.c) */
    if (rc == MADO_OK && !s->readonly) {
        char  why[256];

        if (mado_store_retired(s, txn, why, sizeof(why))) {
            rc = mado_fail(err, MADO_ERETIRED, "store %s: %s; open it "
                           "again", dir, why);
        }
    }

    /* a writer's records are of this version (it seals them): older
       builds must refuse the store from now on */
    if (rc == MADO_OK && !s->readonly && !(flags & MADO_OPEN_KEEP_SCHEMA)) {
        MDB_val  k, v, old;
        char     ver[24];

        k.mv_data = MADO_META_SCHEMA;
        k.mv_size = sizeof(MADO_META_SCHEMA) - 1;
        v.mv_size = mado_meta_number(MADO_SCHEMA_VERSION, ver);
        v.mv_data = ver;

        if (mdb_get(txn, s->meta, &k, &old) != 0 || old.mv_size != v.mv_size
            || memcmp(old.mv_data, ver, v.mv_size) != 0)
        {
            rc = mdb_put(txn, s->meta, &k, &v, 0);
            rc = rc ? mado_fail(err, MADO_ESTORE, "writing the schema "
                                "version: %s", mdb_strerror(rc))
                    : MADO_OK;
        }
    }

    if (rc != MADO_OK) {
        mdb_txn_abort(txn);
        mado_store_close(s);
        return rc;
    }

    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        mado_store_close(s);
        return mado_fail(err, MADO_ESTORE, "store %s: %s", dir,
                         mdb_strerror(rc));
    }

    return MADO_OK;
}


void
mado_store_close(mado_store_t *s)
{
    if (s->env != NULL) {
        mdb_env_close(s->env);
        s->env = NULL;
    }

    if (s->anchored && s->anchor_own) {
        close(s->anchor_fd);
    }

    s->anchored = 0;
    s->anchor_fd = -1;
}


/*
 * After a commit that appended audit records: the anchor follows.  The
 * change is made, so a failure is only said (to log): the next write's
 * anchor, or "madoctl audit anchor", puts it right.
 */
static void
mado_store_anchor(mado_store_t *s, const mado_anchor_t *a, int force)
{
    mado_err_t  err;

    if (mado_anchor_write(s->anchor_fd, s->audit_key, a, force, &err)
        != MADO_OK
        && s->log != NULL)
    {
        s->log(s->log_data, err.text);
    }
}


int
mado_schema_check(mado_store_t *s, MDB_txn *txn, mado_err_t *err)
{
    int      rc, n;
    char     ver[16];
    MDB_val  k, v;

    k.mv_data = MADO_META_SCHEMA;
    k.mv_size = sizeof(MADO_META_SCHEMA) - 1;

    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        return mado_fail(err, MADO_ESTORE,
                         "store has no schema version; run \"madoctl init\"");
    }

    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "reading schema version: %s",
                         mdb_strerror(rc));
    }

    if (v.mv_size == 0 || v.mv_size >= sizeof(ver)) {
        return mado_fail(err, MADO_ESTORE, "store schema version is garbled");
    }

    memcpy(ver, v.mv_data, v.mv_size);
    ver[v.mv_size] = '\0';

    n = atoi(ver);

    if (n < MADO_SCHEMA_OLDEST || n > MADO_SCHEMA_VERSION) {
        return mado_fail(err, MADO_ESTORE,
                         "store has schema version %s, this build reads "
                         "versions %d to %d; upgrade or re-create the store",
                         ver, MADO_SCHEMA_OLDEST, MADO_SCHEMA_VERSION);
    }

    return MADO_OK;
}


int
mado_store_read_begin(mado_store_t *s, MDB_txn **txn, mado_err_t *err)
{
    int  rc;

    rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);

    if (rc == MDB_MAP_RESIZED && s->no_grow) {
        *txn = NULL;
        return mado_fail(err, MADO_ERESIZED, "the store's map was grown by "
                         "another process; try again");
    }

    if (rc == MDB_MAP_RESIZED) {
        /* a writer grew the map: adopt its size (no txn of ours is live) */
        rc = mdb_env_set_mapsize(s->env, 0);
        if (rc == 0) {
            rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
        }
    }

    if (rc != 0) {
        *txn = NULL;
        return mado_fail(err, MADO_ESTORE, "read transaction: %s",
                         mdb_strerror(rc));
    }

    return MADO_OK;
}


int
mado_store_sync(mado_store_t *s, mado_err_t *err)
{
    int  rc;

    rc = mdb_env_sync(s->env, 1);

    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "flushing the store: %s",
                         mdb_strerror(rc));
    }

    return MADO_OK;
}


int
mado_store_adopt(mado_store_t *s, int grow, mado_err_t *err)
{
    int          rc;
    size_t       before;
    MDB_envinfo  info;

    mdb_env_info(s->env, &info);
    before = info.me_mapsize;

    rc = mdb_env_set_mapsize(s->env, 0);

    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "adopting the grown map: %s",
                         mdb_strerror(rc));
    }

    mdb_env_info(s->env, &info);

    if (grow && info.me_mapsize == before) {
        rc = mdb_env_set_mapsize(s->env, before * 2);

        if (rc != 0) {
            return mado_fail(err, MADO_ESTORE, "growing the map to %zu: %s",
                             before * 2, mdb_strerror(rc));
        }
    }

    return MADO_OK;
}


int
mado_store_write(mado_store_t *s, mado_write_pt fn, void *arg,
    mado_err_t *err)
{
    int            rc, attempt, due;
    char           why[256];
    MDB_txn       *txn;
    MDB_envinfo    info;
    mado_anchor_t  anchor;

    for (attempt = 0; attempt < 16; attempt++) {

        rc = mdb_txn_begin(s->env, NULL, 0, &txn);

        if (rc == MDB_MAP_RESIZED && s->no_grow) {
            return mado_fail(err, MADO_ERESIZED, "the store's map was grown "
                             "by another process; try again");
        }

        if (rc == MDB_MAP_RESIZED) {
            /* another writer grew the map since we opened */
            mdb_env_set_mapsize(s->env, 0);
            continue;
        }

        if (rc != 0) {
            return mado_fail(err, MADO_ESTORE, "write transaction: %s",
                             mdb_strerror(rc));
        }

        s->anchor_due = 0;

        /* one lookup: a write never lands in a store a restore retired,
           where nobody would read it again */
        if (mado_store_retired(s, txn, why, sizeof(why))) {
            mdb_txn_abort(txn);
            return mado_fail(err, MADO_ERETIRED, "%s; open the store "
                             "again", why);
        }

        rc = fn(s, txn, arg, err);

        if ((rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) && s->no_grow) {
            /* full here, but another process may have grown the map */
            mdb_txn_abort(txn);
            return mado_fail(err, MADO_ERESIZED, "the store is full at this "
                             "process's map size; try again");
        }

        if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) {
            mdb_txn_abort(txn);
            goto grow;
        }

        if (rc != MADO_OK) {
            mdb_txn_abort(txn);
            return rc;
        }

        /* read while the write lock keeps other threads' writes out */
        due = s->anchor_due && s->anchored && s->audit;
        anchor = s->anchor_next;
        s->anchor_due = 0;

        rc = mdb_txn_commit(txn);

        if (rc == 0) {
            if (due) {
                mado_store_anchor(s, &anchor, s->anchor_reset);
                s->anchor_reset = 0;
            }

            return MADO_OK;
        }

        if (rc == MDB_MAP_FULL && s->no_grow) {
            return mado_fail(err, MADO_ERESIZED, "the store is full at this "
                             "process's map size; try again");
        }

        if (rc != MDB_MAP_FULL) {
            return mado_fail(err, MADO_ESTORE, "commit: %s",
                             mdb_strerror(rc));
        }

    grow:

        mdb_env_info(s->env, &info);

        rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
        if (rc != 0) {
            return mado_fail(err, MADO_ESTORE, "growing the map to %zu: %s",
                             info.me_mapsize * 2, mdb_strerror(rc));
        }
    }

    return mado_fail(err, MADO_ESTORE, "store is full and cannot grow");
}


int
mado_office_ids(mado_store_t *s, MDB_txn *txn, char ids[][MADO_ID_MAX + 1],
    unsigned max, unsigned *n, mado_err_t *err)
{
    int      rc;
    MDB_val  k, v;

    *n = 0;

    k.mv_data = MADO_META_OFFICES;
    k.mv_size = sizeof(MADO_META_OFFICES) - 1;

    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        return MADO_OK;
    }

    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "reading office list: %s",
                         mdb_strerror(rc));
    }

    *n = mado_meta_offices_parse(v.mv_data, v.mv_size, ids, max);

    return MADO_OK;
}


int
mado_office_get(mado_store_t *s, MDB_txn *txn, const char *id,
    mado_office_def_t *o, mado_err_t *err)
{
    int          rc;
    size_t       len;
    const char  *json;

    rc = mado_office_raw(s, txn, id, &json, &len, err);
    if (rc != MADO_OK) {
        return rc;
    }

    return mado_office_parse(json, len, o, err);
}


int
mado_office_raw(mado_store_t *s, MDB_txn *txn, const char *id,
    const char **json, size_t *len, mado_err_t *err)
{
    int      rc;
    MDB_val  k, v;

    k.mv_data = (void *) id;
    k.mv_size = strlen(id);

    rc = mdb_get(txn, s->office, &k, &v);
    if (rc == MDB_NOTFOUND) {
        return mado_fail(err, MADO_ENOTFOUND, "office \"%s\" not found", id);
    }

    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "reading office %s: %s", id,
                         mdb_strerror(rc));
    }

    *json = v.mv_data;
    *len = v.mv_size;

    return MADO_OK;
}


const mado_counter_def_t *
mado_office_counter(const mado_office_def_t *o, const char *counter)
{
    unsigned  i;

    for (i = 0; i < o->ncounters; i++) {
        if (strcmp(o->counters[i].id, counter) == 0) {
            return &o->counters[i];
        }
    }

    return NULL;
}


int
mado_state_get(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, mado_counter_state_t *st, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  key[MADO_KEY_MAX];

    memset(st, 0, sizeof(mado_counter_state_t));

    k.mv_data = key;
    k.mv_size = mado_state_key(office, counter, key);

    rc = mdb_get(txn, s->state, &k, &v);
    if (rc == MDB_NOTFOUND) {
        return mado_fail(err, MADO_ENOTFOUND,
                         "counter \"%s\" of office \"%s\" not found",
                         counter, office);
    }

    if (rc != 0) {
        return mado_fail(err, MADO_ESTORE, "reading %s/%s: %s", office,
                         counter, mdb_strerror(rc));
    }

    if (mado_state_decode(v.mv_data, v.mv_size, st) != 0) {
        return mado_fail(err, MADO_ESTORE, "state of %s/%s is garbled",
                         office, counter);
    }

    return MADO_OK;
}


int
mado_state_put(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, const mado_counter_state_t *st, mado_err_t *err)
{
    int            rc;
    MDB_val        k, v;
    unsigned char  key[MADO_KEY_MAX];
    unsigned char  buf[MADO_STATE_FIXED + MADO_MESSAGE_MAX];

    k.mv_data = key;
    k.mv_size = mado_state_key(office, counter, key);
    v.mv_data = buf;
    v.mv_size = mado_state_encode(st, buf);

    rc = mdb_put(txn, s->state, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing counter state", rc);
    }

    return MADO_OK;
}


int
mado_offices_put(mado_store_t *s, MDB_txn *txn, const mado_offices_t *all,
    int64_t now, mado_err_t *err)
{
    int                    rc;
    char                  *json, *list;
    char                   ts[24];
    size_t                 len;
    unsigned               i, j;
    MDB_val                k, v;
    MDB_cursor            *cur;
    mado_counter_state_t   st;
    const mado_office_def_t  *o;

    /* drop state of counters that no longer exist */
    rc = mdb_cursor_open(txn, s->state, &cur);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "opening state cursor", rc);
    }

    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        char  office[MADO_ID_MAX + 1], ctr[MADO_ID_MAX + 1];
        int   keep = 0;

        /* a garbled key is no counter's: it goes too */
        for (i = 0;
             i < all->noffices && !keep
             && mado_state_key_parse(k.mv_data, k.mv_size, office, ctr) == 0;
             i++)
        {
            o = &all->offices[i];

            if (strcmp(o->id, office) != 0) {
                continue;
            }

            for (j = 0; j < o->ncounters; j++) {
                if (strcmp(o->counters[j].id, ctr) == 0) {
                    keep = 1;
                    break;
                }
            }
        }

        if (!keep) {
            rc = mdb_cursor_del(cur, 0);
            if (rc != 0) {
                mdb_cursor_close(cur);
                return mado_mdb_fail(err, MADO_ESTORE, "removing old counter",
                                     rc);
            }
        }
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        return mado_mdb_fail(err, MADO_ESTORE, "walking counter state", rc);
    }

    rc = mdb_drop(txn, s->office, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "clearing offices", rc);
    }

    list = malloc(all->noffices * (MADO_ID_MAX + 1) + 1);
    if (list == NULL) {
        return mado_fail(err, MADO_ESTORE, "out of memory");
    }

    for (i = 0; i < all->noffices; i++) {
        o = &all->offices[i];

        json = mado_office_to_json(o, &len);
        if (json == NULL) {
            free(list);
            return mado_fail(err, MADO_ESTORE, "out of memory");
        }

        k.mv_data = (void *) o->id;
        k.mv_size = strlen(o->id);
        v.mv_data = json;
        v.mv_size = len;

        rc = mdb_put(txn, s->office, &k, &v, 0);
        free(json);

        if (rc != 0) {
            free(list);
            return mado_mdb_fail(err, MADO_ESTORE, "writing office", rc);
        }

        for (j = 0; j < o->ncounters; j++) {
            rc = mado_state_get(s, txn, o->id, o->counters[j].id, &st, err);

            if (rc == MADO_ENOTFOUND) {
                /* a new counter starts closed until staff or a feed open it */
                memset(&st, 0, sizeof(st));
                st.status = MADO_STATUS_CLOSED;
                st.updated_at = now;

                rc = mado_state_put(s, txn, o->id, o->counters[j].id, &st,
                                    err);
            }

            if (rc != MADO_OK) {
                free(list);
                return rc;
            }
        }
    }

    k.mv_data = MADO_META_OFFICES;
    k.mv_size = sizeof(MADO_META_OFFICES) - 1;
    v.mv_data = list;
    v.mv_size = mado_meta_offices(all, list);

    rc = mdb_put(txn, s->meta, &k, &v, 0);
    free(list);

    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing office list", rc);
    }

    k.mv_data = MADO_META_LOADED_AT;
    k.mv_size = sizeof(MADO_META_LOADED_AT) - 1;
    v.mv_size = mado_meta_number(now, ts);
    v.mv_data = ts;

    rc = mdb_put(txn, s->meta, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "writing load time", rc);
    }

    return MADO_OK;
}


int
mado_valid_id(const char *id, size_t len)
{
    size_t  i;

    if (len == 0 || len > MADO_ID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')
              || id[i] == '-' || id[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


int
mado_status_parse(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < MADO_NSTATUS; i++) {
        if (strlen(mado_status_names[i]) == len
            && memcmp(mado_status_names[i], name, len) == 0)
        {
            return i;
        }
    }

    return -1;
}


size_t
mado_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    size_t                k, n;
    uint32_t              c;
    const unsigned char  *p = (const unsigned char *) s;

    if (len == 0) {
        return 0;
    }

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        c &= 0x1f;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        c &= 0x0f;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        c &= 0x07;

    } else {
        return 0;
    }

    if (n > len) {
        return 0;
    }

    for (k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[k] & 0x3f);
    }

    /* overlong forms, UTF-16 surrogates and beyond U+10FFFF */
    if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000)
        || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    {
        return 0;
    }

    *cp = c;

    return n;
}


int
mado_utf8_valid(const char *s, size_t len)
{
    size_t    i, n;
    uint32_t  c;

    for (i = 0; i < len; i += n) {
        n = mado_utf8_next(s + i, len - i, &c);
        if (n == 0) {
            return 0;
        }
    }

    return 1;
}


int
mado_message_check(const char *msg, size_t len, mado_err_t *err)
{
    size_t    i, n;
    uint32_t  c;

    if (len > MADO_MESSAGE_MAX) {
        return mado_fail(err, MADO_EINVAL,
                         "must be at most %d bytes of UTF-8, not %zu",
                         MADO_MESSAGE_MAX, len);
    }

    for (i = 0; i < len; i += n) {
        n = mado_utf8_next(msg + i, len - i, &c);

        if (n == 0) {
            return mado_fail(err, MADO_EINVAL, "is not valid UTF-8 (at byte "
                             "%zu)", i);
        }

        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            return mado_fail(err, MADO_EINVAL,
                             "must not contain control characters "
                             "(U+%04X at byte %zu)", (unsigned) c, i);
        }
    }

    return MADO_OK;
}


size_t
mado_time_iso(int64_t t, char *buf)
{
    time_t     local;
    struct tm  tm;

    local = (time_t) (t + MADO_TZ_OFFSET);
    gmtime_r(&local, &tm);

    return strftime(buf, 26, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
}


/*
 * A Cookie header read as nginx reads it (ngx_http_parse_multi_header_lines),
 * every read inside value[0..len): pairs end at ";" (or ","), spaces after
 * them and around "=" are skipped, the name is compared ignoring case, the
 * value runs to the next ";".  In the library, so that it is fuzzed.
 */
const char *
mado_cookie_value(const char *value, size_t len, const char *name,
    size_t *vlen)
{
    char         c;
    size_t       n;
    const char  *p, *end, *last;

    n = strlen(name);
    p = value;
    end = value + len;

    while (p < end) {
        if ((size_t) (end - p) >= n && strncasecmp(p, name, n) == 0) {
            for (p += n; p < end && *p == ' '; p++) {
                /* void */
            }

            if (p < end && *p == '=') {
                for (p++; p < end && *p == ' '; p++) {
                    /* void */
                }

                for (last = p; last < end && *last != ';'; last++) {
                    /* void */
                }

                *vlen = last - p;
                return p;
            }
        }

        /* not this pair: the next one */
        while (p < end) {
            c = *p++;

            if (c == ';' || c == ',') {
                break;
            }
        }

        while (p < end && *p == ' ') {
            p++;
        }
    }

    return NULL;
}


int
mado_store_retire(mado_store_t *s, MDB_txn *txn, const char *why,
    mado_err_t *err)
{
    int      rc;
    MDB_val  k, v;

    k.mv_data = MADO_META_RETIRED;
    k.mv_size = sizeof(MADO_META_RETIRED) - 1;
    v.mv_data = (void *) why;
    v.mv_size = strlen(why);

    rc = mdb_put(txn, s->meta, &k, &v, 0);
    if (rc != 0) {
        return mado_mdb_fail(err, MADO_ESTORE, "marking the store retired",
                             rc);
    }

    return MADO_OK;
}


int
mado_store_retired(mado_store_t *s, MDB_txn *txn, char *why, size_t len)
{
    MDB_val  k, v;

    k.mv_data = MADO_META_RETIRED;
    k.mv_size = sizeof(MADO_META_RETIRED) - 1;

    if (mdb_get(txn, s->meta, &k, &v) != 0) {
        return 0;
    }

    if (why != NULL && len > 0) {
        snprintf(why, len, "%.*s", (int) (v.mv_size < len ? v.mv_size
                                                         : len - 1),
                 (const char *) v.mv_data);
    }

    return 1;
}
