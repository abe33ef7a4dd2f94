/*
 * mado store: the one place where the on-disk schema of mado lives.
 *
 * Used by the nginx module (one environment per worker: read-only, or
 * read-write when a location has mado_admin, whose updates and feed
 * batches it writes in a thread pool) and by madoctl, which writes too.
 * Plain C with malloc so that both can link it; the module copies what it
 * keeps into its own pools.  The bytes of every key and value are made
 * and read in mado_schema.c (the layouts are at the end of this file).
 *
 * The sections below, in this order, and the files that implement them:
 *
 *    1  basics: limits, return codes, errors      mado_store.c
 *       the languages (one list)                  mado_lang.c
 *    2  definitions: offices, counters, and a counter's state
 *    3  the store: open, read, write; offices     mado_store.c
 *       and counter state
 *    4  helpers: ids, statuses, UTF-8, times      mado_store.c
 *       yajl helpers                              mado_json.c
 *    5  offices.json: parse, free                 mado_offices_parse.c
 *       canonical JSON of an office               mado_offices_json.c
 *    6  calendar: holidays, opening days          mado_calendar.c
 *    7  the wait estimate                         mado_estimate.c
 *    8  display rules, a state as JSON            mado_display.c
 *    9  history: record, read a day               mado_history.c
 *       a day as JSON and CSV                     mado_history_doc.c
 *       retention                                 mado_compact.c
 *       the forecast                              mado_forecast.c
 *   10  counter changes made by people            mado_counter.c
 *   11  ticket-machine feed: the counting rule    mado_ticket.c
 *       codes, cursors, lines, batches            mado_feed.c
 *   12  the audit trail                           mado_audit.c
 *   13  accounts, sessions, idempotency keys,     mado_account.c
 *       failed logins
 *       retention: sweeps, refusals audited       mado_retention.c
 *   14  the update API's messages                 mado_update.c
 *   15  the schema's codec: every key and value   mado_schema.c
 *   16  encryption: AES-256-GCM of buffers and    mado_crypt.c
 *       files, the store's sealed records and
 *       keyed lookups
 *   17  backups: the sealed file's format,        mado_backup.c
 *       restore's retired mark                    mado_store.c
 *
 * Layout (LMDB environment in a directory, named databases):
 *
 *   meta    "schema"      -> decimal text, MADO_SCHEMA_VERSION
 *           "test_store"  -> "1" in a store made for tests (mado_account.c)
 *           "offices"     -> office ids in display order, '\n' separated
 *           "loaded_at"   -> decimal unix time of the last `madoctl load`
 *           "retired"     -> set by a restore in the store it put aside:
 *                            every write refuses it (MADO_ERETIRED)
 *   office  ID            -> the office definition as canonical JSON, the
 *                            same shape as one element of offices.json
 *   state   OFFICE\0CTR   -> mado_counter_state_t, binary (see below)
 *   ticket  OFFICE\0CTR\0N -> the day's fate of ticket N (N: 2 bytes, big
 *                            endian), kept by the ticket-machine feed
 *   feed    OFFICE\0FP     -> how far the feed has read the file whose
 *                            first line hashes to FP (16 hex digits)
 *           OFFICE\0@SNAME -> what the feed S NAME did: events and bad
 *                            lines, its last batch, newest event
 *   event   OFFICE\0T\0N   -> one change of a counter at unix time T (8
 *                            bytes big endian; N: 2 bytes, the order
 *                            within the second): mado_event_t
 *   sample  OFFICE\0CTR\0T -> a counter's figures at T, every 5 minutes
 *                            while open: mado_sample_t
 *   hourly  OFFICE\0CTR\0H -> events and samples of the hour starting at
 *                            H, once compacted (madoctl compact): mado_hour_t
 *   audit   N             -> audit record N (8 bytes big endian): its MAC
 *                            and one line of JSON, sealed (mado_audit.c)
 *   account L(ID)         -> a staff account, sealed with a MAC under a key
 *                            derived from the audit key (mado_account.c),
 *                            and sealed
 *   session SHA256(TOKEN) -> user, created, last seen, sealed
 *                            (mado_account.c)
 *   idem    L(USER\0KEY)  -> the answer to an Idempotency-Key, a day
 *   clientfail L(ADDRESS) -> failed logins from a client address
 *   refusal L(ADDRESS)    -> refusals of the update API audited lately
 *                            from an address ("*": from all of them)
 *   login   T(USER)       -> failed logins of an account (known or not)
 *                            from every address
 *           T(USER)\0L(ADDRESS) -> from one address, and its last success
 *                            there
 *
 * What names people is never kept in clear (section 16, mado_crypt.c):
 * "sealed" is AES-256-GCM under a key derived from the audit key, L(x)
 * a keyed hash (mado_lookup), T(x) the tried id (mado_tried_id).  Stores
 * of schema 1 kept them in clear: they are read as they are, and "madoctl
 * compact" seals them (mado_crypt_migrate).
 *
 * Outside the store, next to the audit key: the anchor, the trail's last
 * record as every writer left it after its commit (mado_audit.c).
 *
 * Writers create databases that are missing; a read-only module opens
 * meta, office and state, and the history when it is there.  Adding a
 * database or appending fields to a record keeps the schema version; a
 * change that older code would misread bumps it, and a reader refuses a
 * store whose schema it does not know.
 */

#ifndef MADO_STORE_H
#define MADO_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <lmdb.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>


/* ------------------------------------------------ 1. basics (mado_store.c) */

/* the release, for madoctl --version and the module's build info */
#define MADO_VERSION            "0.1.0"

/*
 * 2: what names people is sealed (section 16); a writer moves a store of
 * 1 to 2 when it opens it, so that older builds, which would take sealed
 * records for altered ones, refuse it
 */
#define MADO_SCHEMA_VERSION     2
#define MADO_SCHEMA_OLDEST      1       /* still read */

#define MADO_ID_MAX             32
#define MADO_MESSAGE_MAX        280     /* bytes of UTF-8 */
#define MADO_TEXT_MAX           256     /* names, addresses */
#define MADO_URL_MAX            256     /* service_url, map_url */
#define MADO_COUNTERS_MAX       16
#define MADO_OFFICES_MAX        64
#define MADO_NEIGHBOURS_MAX     8
#define MADO_SPANS_MAX          4       /* opening spans per weekday */
#define MADO_COUNT_MAX          9999    /* waiting, ticket numbers */
#define MADO_RECENT_MAX         5       /* recent calls kept per counter */

/* the store directory of the Debian package (its parent is the group
   www-data's, setgid, so that a restore can swap the directory) */
#define MADO_DEFAULT_STORE      "/var/lib/mado/store"
#define MADO_DEFAULT_MAPSIZE    (16u * 1024 * 1024)
#define MADO_MAXREADERS         254

/* offset of Japan Standard Time from UTC; Japan keeps no daylight time */
#define MADO_TZ_OFFSET          (9 * 3600)

/* return codes of the functions below; err always gets a sentence */
#define MADO_OK          0
#define MADO_EINVAL      1      /* refused or invalid request */
#define MADO_ESTORE      3      /* store missing, of another schema, or I/O */
#define MADO_ENOTFOUND   4
#define MADO_ERESIZED    5      /* no_grow: the map is full, or another
                                   process grew it: adopt and try again */
#define MADO_ESEAL       8      /* an account changed outside madoctl and
                                   the update API: its seal does not match */
#define MADO_ERETIRED    9      /* the store was retired (a restore put
                                   another in its place): close it, open
                                   the directory again and retry */

typedef struct {
    char                text[512];
} mado_err_t;

/* the sentence into err (which may be NULL); returns rc */
int mado_fail(mado_err_t *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * an LMDB error mrc as "what: reason" into err; returns mrc when it means
 * the map is full (mado_store_write grows it and runs the write again),
 * else rc
 */
int mado_mdb_fail(mado_err_t *err, int rc, const char *what, int mrc);


/* ---------------------------------------------------------- 2. definitions */

/*
 * The languages (mado_lang.c), in the order pages list them; "ja" stays
 * first: it is the fallback, and every text has it.  Adding a language is
 * one line here and its catalog, conf.example/i18n/CODE.json:
 *
 *   X(NAME, CODE: in JSON, ?lang= and the catalog's file name,
 *     its <html lang>, the Accept-Language ranges that choose it)
 *
 * A tag chooses the language of its longest matching range ("zh-TW"
 * chooses zh-hant over zh-hans's "zh"); a language with no range is only
 * chosen with ?lang= (やさしい日本語 is a choice, not a locale).
 */
#define MADO_LANGUAGES(X)                                                     \
    X(JA,       "ja",       "ja",       "ja")                                 \
    X(EN,       "en",       "en",       "en")                                 \
    X(ZH_HANS,  "zh-hans",  "zh-Hans",  "zh zh-hans zh-cn zh-sg")             \
    X(ZH_HANT,  "zh-hant",  "zh-Hant",  "zh-hant zh-tw zh-hk zh-mo")          \
    X(KO,       "ko",       "ko",       "ko")                                 \
    X(JA_EASY,  "ja-easy",  "ja",       "")

typedef enum {
#define MADO_LANG_ENUM(name, code, tag, ranges)  MADO_LANG_##name,
    MADO_LANGUAGES(MADO_LANG_ENUM)
#undef MADO_LANG_ENUM
    MADO_NLANG
} mado_lang_e;

/* NULL-terminated */
extern const char *const mado_lang_codes[MADO_NLANG + 1];
/* what <html lang> says */
extern const char *const mado_lang_tags[MADO_NLANG];

/* the language of a code ("zh-hant", any case); -1 if none */
int mado_lang_code(const char *code, size_t len);
/*
 * the language one Accept-Language tag chooses and, in *specific, the
 * length of the range that matched; -1 if none
 */
int mado_lang_match(const char *tag, size_t len, size_t *specific);
/* the language an Accept-Language header's value chooses; -1 if none */
int mado_lang_accept(const char *value, size_t len);


typedef enum {
    MADO_STATUS_OPEN = 0,
    MADO_STATUS_PAUSED,
    MADO_STATUS_CLOSED,
    MADO_STATUS_ENDED,          /* 本日の受付終了 */
    MADO_NSTATUS
} mado_status_e;

extern const char *const mado_status_names[MADO_NSTATUS];

/* a text in several languages; missing ones are NULL (ja and en are required) */
typedef struct {
    char               *text[MADO_NLANG];
} mado_i18n_t;


typedef struct {
    uint16_t            open;       /* minutes after midnight, local time */
    uint16_t            close;
} mado_span_t;


#define MADO_NLEVELS            4       /* 空いています .. 大変混雑 */

#define MADO_DATES_MAX          32      /* extra closed or open days */
#define MADO_CODES_MAX          8       /* business codes per counter */
#define MADO_CODE_MAX           16      /* bytes of one business code */
#define MADO_JAM_MAX            4       /* jam messages per counter */
#define MADO_NOTICES_MAX        16      /* preset staff notices per office */

/* a local date as YYYYMMDD, e.g. 20270328 */
typedef int32_t  mado_date_t;

typedef struct {
    mado_date_t         date;
    mado_span_t         spans[MADO_SPANS_MAX];
    unsigned            nspans;
} mado_open_date_t;


typedef struct {
    char                id[MADO_ID_MAX + 1];
    mado_i18n_t         name;
    /* days this counter alone is closed ("closed_dates") */
    mado_date_t         closed[MADO_DATES_MAX];
    unsigned            nclosed;
    uint32_t            seconds_per_person;     /* minutes_per_person * 60 */
    /* minutes after midnight from which no tickets are taken (受付終了);
       0 = until closing */
    uint16_t            reception_ends;
    /* wait in minutes from which levels 1, 2, 3 begin ("levels" in JSON) */
    uint16_t            levels[MADO_NLEVELS - 1];
    /* jam messages: from this many waiting on, this text ("jam_messages") */
    struct {
        uint32_t        from;
        mado_i18n_t     text;
    }                   jam[MADO_JAM_MAX];
    unsigned            njam;
    /* the ticket machine's 業務コード served here ("business_codes") */
    char                codes[MADO_CODES_MAX][MADO_CODE_MAX + 1];
    unsigned            ncodes;
    /* ticket numbers run first..last, then wrap ("ticket_range") */
    uint16_t            ticket_first;
    uint16_t            ticket_last;
    /* a service any office does: pages suggest quieter neighbours */
    unsigned            any_office:1;
    /* the service's page on the city's site ("service_url"), https */
    char               *service_url;
} mado_counter_def_t;


typedef struct {
    char                id[MADO_ID_MAX + 1];
    char                kind[8];                /* "ward" or "branch" */
    mado_i18n_t         name;
    mado_i18n_t         address;
    char               *phone;
    /* a map of the office ("map_url"), https; none: pages link to
       OpenStreetMap's search for the address */
    char               *map_url;
    char                neighbours[MADO_NEIGHBOURS_MAX][MADO_ID_MAX + 1];
    unsigned            nneighbours;
    mado_span_t         hours[7][MADO_SPANS_MAX];   /* [0] is Sunday */
    unsigned            nspans[7];
    /* "holidays": false keeps national holidays and 年末年始 open days */
    unsigned            open_on_holidays;
    /* "alert_wait_minutes": a wait estimate past this is alerted on;
       0 = MADO_ALERT_WAIT_MINUTES */
    uint16_t            alert_wait;
    mado_date_t         closed[MADO_DATES_MAX];     /* 臨時閉庁日 */
    unsigned            nclosed;
    mado_open_date_t    open[MADO_DATES_MAX];       /* 臨時開庁日 */
    unsigned            nopen;
    mado_counter_def_t  counters[MADO_COUNTERS_MAX];
    unsigned            ncounters;
    /*
     * Preset staff notices ("notices"): offices.json's top-level list
     * with the office's own list over it (same id: the office's text;
     * new ids after).  Every language is required, so that no page shows
     * a notice in a language its reader may not read.
     */
    struct {
        char            id[MADO_ID_MAX + 1];
        mado_i18n_t     text;
    }                   notices[MADO_NOTICES_MAX];
    unsigned            nnotices;
} mado_office_def_t;


typedef struct {
    mado_office_def_t  *offices;
    unsigned            noffices;
} mado_offices_t;

/*
 * Live state of one counter.  Stored as a fixed little header followed by
 * the message bytes; "size" lets a later version append fields and still
 * read records written by this one (missing fields read as zero).
 */
typedef struct {
    uint32_t            status;         /* mado_status_e */
    uint32_t            waiting;        /* tickets issued, not yet called */
    uint32_t            calling;        /* number now called, 0 = none yet */
    uint32_t            last_issued;    /* last ticket number issued, 0 = none */
    uint32_t            served_today;
    uint32_t            staff;          /* staff serving, 0 = unknown */
    int64_t             updated_at;     /* unix seconds of the last change */
    int64_t             issued_at;      /* when last_issued was issued */
    int64_t             called_at;      /* when calling was called */
    /* what the estimate learns from the calls (mado_estimate.c) */
    int64_t             busy_from;      /* queue not empty since */
    uint32_t            svc_ms;         /* staff-ms per call, smoothed */
    uint32_t            svc_n;          /* calls it has learnt from */
    /* the last calls, newest first (mado_counter_recent) */
    uint32_t            recent_n;
    uint32_t            recent_number[MADO_RECENT_MAX];
    int64_t             recent_at[MADO_RECENT_MAX];
    uint32_t            message_len;
    char                message[MADO_MESSAGE_MAX + 1];
    /* the preset notice shown (an id of the office's "notices"), "" none */
    char                notice[MADO_ID_MAX + 1];
} mado_counter_state_t;


/* --------------------------------------------- 3. the store (mado_store.c) */

/* the trail's last record as the anchor outside the store keeps it */
typedef struct {
    uint64_t            seq;
    unsigned char       mac[32];        /* MADO_AUDIT_MAC_LEN */
    char                time[32];       /* ISO 8601: that record's time */
} mado_anchor_t;

typedef struct {
    MDB_env            *env;
    MDB_dbi             meta;
    MDB_dbi             office;
    MDB_dbi             state;
    MDB_dbi             ticket;         /* writers only */
    MDB_dbi             feed;           /* readers: if s->feeds */
    MDB_dbi             event;
    MDB_dbi             sample;
    MDB_dbi             hourly;
    MDB_dbi             audit_db;       /* readers: if s->trail */
    MDB_dbi             account;
    MDB_dbi             session;
    MDB_dbi             idem;
    MDB_dbi             clientfail;
    MDB_dbi             refusal;
    MDB_dbi             login;
    unsigned char       audit_key[32];
    /* sub-keys of audit_key, one a purpose (mado_store_keys) */
    unsigned char       seal_key[32];   /* AES-256-GCM of records */
    unsigned char       lookup_key[32]; /* HMAC of keys naming people */
    unsigned            readonly:1;
    unsigned            history:1;      /* event and sample exist */
    unsigned            feeds:1;        /* feed is open (readers: if it
                                           exists) */
    unsigned            trail:1;        /* audit_db is open (the same) */
    unsigned            audit:1;        /* audit_key is loaded */
    /*
     * A process whose threads may hold transactions (the nginx module with
     * its thread pool) can neither grow the map nor adopt a size another
     * process grew it to: LMDB allows mdb_env_set_mapsize() only while the
     * process has no transaction open.  A full map is then an error, and
     * a grown one MADO_ERESIZED, for the caller to adopt with
     * mado_store_adopt() when it knows nothing is open.
     */
    unsigned            no_grow:1;
    /*
     * The anchor (mado_audit.c): mado_store_write() moves it to the
     * trail's new last record after each commit that appended records.
     * Its failures come after the commit, so they go to log, not err.
     */
    unsigned            anchored:1;     /* anchor_fd is the anchor, open */
    unsigned            anchor_own:1;   /* mado_store_close() closes it */
    unsigned            anchor_reset:1; /* the next may name a lower record */
    int                 anchor_fd;
    /* set in a write transaction, which LMDB lets one thread have at a
       time: not a bit field, whose neighbours other threads read */
    int                 anchor_due;     /* this transaction appended */
    mado_anchor_t       anchor_next;
    void              (*log)(void *data, const char *msg);
    void               *log_data;
} mado_store_t;

#define MADO_OPEN_RDONLY  0x01
#define MADO_OPEN_CREATE  0x02
/*
 * One flush per commit instead of two (MDB_NOMETASYNC): a system crash
 * may undo the last transaction, never the store's integrity.  For a
 * writer that flushes on its own soon after (mado_store_sync), where a
 * second flush per write stalls everything else on the machine.
 */
#define MADO_OPEN_NOMETASYNC  0x04
/*
 * A writer that leaves the schema version as it is (madoctl migrate, which
 * moves it in the transaction that migrates the records)
 */
#define MADO_OPEN_KEEP_SCHEMA 0x08

int mado_store_open(mado_store_t *s, const char *dir, unsigned flags,
    size_t mapsize, mado_err_t *err);
void mado_store_close(mado_store_t *s);

/* data.mdb of the store, for callers that watch for a replaced store */
int mado_store_data_path(const char *dir, char *buf, size_t len);

/*
 * Read transactions.  A reader that gets MDB_MAP_RESIZED (a writer grew the
 * map) adopts the new size and retries here, so callers never see it.
 */
int mado_store_read_begin(mado_store_t *s, MDB_txn **txn, mado_err_t *err);

/* flush what was committed to disk (see MADO_OPEN_NOMETASYNC) */
int mado_store_sync(mado_store_t *s, mado_err_t *err);

/*
 * Adopt the map size another process grew the store to (see no_grow) or,
 * with grow, double the map when nobody grew it; only while the process
 * holds no transaction
 */
int mado_store_adopt(mado_store_t *s, int grow, mado_err_t *err);

/*
 * Every write is one transaction: fn runs inside it and the result is
 * committed only when fn returns MADO_OK.  A store a restore retired
 * (meta "retired") refuses it: MADO_ERETIRED, nothing written; the caller
 * closes it and opens the directory again, which is the restored store.  When the map is full the
 * transaction is aborted, the map doubled and fn run again from scratch,
 * so fn must keep its effects inside txn (and overwrite, not add to, *arg).
 */
typedef int (*mado_write_pt)(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);

int mado_store_write(mado_store_t *s, mado_write_pt fn, void *arg,
    mado_err_t *err);

/* schema */
int mado_schema_check(mado_store_t *s, MDB_txn *txn, mado_err_t *err);

/* offices: ids in display order */
int mado_office_ids(mado_store_t *s, MDB_txn *txn, char ids[][MADO_ID_MAX + 1],
    unsigned max, unsigned *n, mado_err_t *err);
int mado_office_get(mado_store_t *s, MDB_txn *txn, const char *id,
    mado_office_def_t *o, mado_err_t *err);
/* the stored JSON of a definition, valid while txn lives */
int mado_office_raw(mado_store_t *s, MDB_txn *txn, const char *id,
    const char **json, size_t *len, mado_err_t *err);
const mado_counter_def_t *mado_office_counter(const mado_office_def_t *o,
    const char *counter);

/* replace all definitions; state of counters that remain is kept */
int mado_offices_put(mado_store_t *s, MDB_txn *txn, const mado_offices_t *all,
    int64_t now, mado_err_t *err);

int mado_state_get(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, mado_counter_state_t *st, mado_err_t *err);
int mado_state_put(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, const mado_counter_state_t *st, mado_err_t *err);


/* ---------------------------------- 4. helpers (mado_store.c, mado_json.c) */

/* small helpers shared by module and tool (mado_store.c) */
int mado_valid_id(const char *id, size_t len);
int mado_status_parse(const char *name, size_t len);
/*
 * a counter message: at most MADO_MESSAGE_MAX bytes of valid UTF-8 with no
 * control characters (pages show it on one line); "" is allowed
 */
int mado_message_check(const char *msg, size_t len, mado_err_t *err);
/* one code point of UTF-8 into *cp: its length, 0 if not valid UTF-8 */
size_t mado_utf8_next(const char *s, size_t len, uint32_t *cp);
int mado_utf8_valid(const char *s, size_t len);
/* "2026-11-27T09:05:00+09:00" into buf (>= 26 bytes) */
size_t mado_time_iso(int64_t t, char *buf);
/* the value of cookie name in a Cookie header's value (*vlen bytes), or
   NULL when it has none */
const char *mado_cookie_value(const char *value, size_t len,
    const char *name, size_t *vlen);

/* yajl (mado_json.c) */
/* the string member key of a yajl object, or NULL */
const char *mado_json_str(yajl_val obj, const char *key);
/*
 * Every JSON the library, the module and madoctl read goes through here: a
 * yajl tree of len bytes (no NUL needed), or NULL and err saying why
 * without a subject ("not JSON: ...", "nests deeper than 4").  Containers
 * nest at most depth deep: yajl frees a tree by recursion.
 */
#define MADO_JSON_DEPTH         32      /* offices.json needs 8 */
yajl_val mado_json_parse(const char *json, size_t len, unsigned depth,
    mado_err_t *err);
/* the same at MADO_JSON_DEPTH, err as "$: why" (a document's root) */
yajl_val mado_json_tree(const char *json, size_t len, mado_err_t *err);
/* a string, and a string literal, into a yajl generator */
#define mado_gen_str(g, s)                                                    \
    yajl_gen_string(g, (const unsigned char *) (s), strlen(s))
#define mado_gen_lit(g, s)                                                    \
    yajl_gen_string(g, (const unsigned char *) (s), sizeof(s) - 1)
/* a text in several languages as {"ja": ..., "en": ...}, after "key" if given */
void mado_gen_i18n(yajl_gen g, const char *key, const mado_i18n_t *t);
/*
 * Readings in やさしい日本語 texts: "{北区役所|きたくやくしょ}" is the kanji
 * with its reading (<ruby> on the pages).  The plain form, for JSON and
 * wherever markup cannot go, is "北区役所（きたくやくしょ）"; into out
 * (always NUL-terminated), its length returned.
 */
size_t mado_ruby_plain(const char *in, size_t len, char *out, size_t size);
/* mado_gen_i18n() with the ja-easy text in its plain form (public JSON) */
void mado_gen_i18n_plain(yajl_gen g, const char *key, const mado_i18n_t *t);
/* a local date as "2027-03-28", after "key" if given */
void mado_gen_date(yajl_gen g, const char *key, mado_date_t date);
/* the weekdays' keys of "hours" in offices.json: "sun" .. "sat", NULL */
extern const char *const mado_weekday_keys[8];
/* opening spans as "08:45-12:00,13:00-17:30" ("" when closed) */
void mado_gen_spans(yajl_gen g, const mado_span_t *spans, unsigned n);
/* "hours": {"sun": spans, ...} as offices.json has them: the API shows the same */
void mado_gen_hours(yajl_gen g, const mado_office_def_t *o);
/* sum / n / scale to one decimal ("12.5") after "key", or null if n is 0 */
void mado_gen_avg(yajl_gen g, const char *key, double sum, uint32_t n,
    double scale);


/* ------------- 5. offices.json (mado_offices_parse.c, mado_offices_json.c) */

/*
 * Definitions from JSON (mado_offices_parse.c): offices.json, or one
 * office's canonical record; errors name the JSON path
 */
int mado_offices_parse(const char *json, size_t len, mado_offices_t *all,
    mado_err_t *err);
int mado_office_parse(const char *json, size_t len, mado_office_def_t *o,
    mado_err_t *err);
void mado_office_free(mado_office_def_t *o);
void mado_offices_free(mado_offices_t *all);
/* the index of an office's preset notice id; -1 if it has none */
int mado_office_notice(const mado_office_def_t *o, const char *id);

/* an office's canonical JSON, malloc'd (mado_offices_json.c) */
char *mado_office_to_json(const mado_office_def_t *o, size_t *len);


/* ------------------------------------------- 6. calendar (mado_calendar.c) */

/*
 * calendar (mado_calendar.c): the days Japanese public offices are closed
 * besides weekends, computed by the rules of 国民の祝日に関する法律 as
 * amended, so that no yearly table has to be kept up to date.  Dates are
 * Japan-local Gregorian year, month 1..12, day 1..31.  No allocation, no
 * state: safe in nginx workers and madoctl alike.
 */

#define MADO_HOLIDAY_YEAR_MIN   1973    /* 振替休日 began 1973-04-12 */
#define MADO_HOLIDAY_YEAR_MAX   2099    /* end of the equinox formula */

/*
 * 1 if the date is a holiday, with its Japanese name in *name_ja (a static
 * string; name_ja may be NULL): a 国民の祝日 ("元日", "成人の日", ...),
 * "振替休日", "国民の休日", or a holiday by a law of its own ("大喪の礼"
 * 1989-02-24, "即位礼正殿の儀" 1990-11-12 and 2019-10-22, "結婚の儀"
 * 1993-06-09, "天皇の即位の日" 2019-05-01).  0, and *name_ja NULL, for
 * other days, invalid dates and years outside MADO_HOLIDAY_YEAR_MIN..MAX.
 * 春分の日 and 秋分の日 come from the standard approximation of the
 * equinoxes; every year the Cabinet Office has published (up to 2027 so
 * far: it publishes a year in the February before) agrees with it.
 */
int mado_holiday(int year, int month, int day, const char **name_ja);

/* days since 1970-01-01 of a (proleptic Gregorian) date; no checks */
long mado_days_from_civil(int year, int month, int day);

/* 0 = Sunday .. 6 = Saturday; -1 for an invalid date or a year not 1..9999 */
int mado_weekday(int year, int month, int day);

/* 1 for 12/29..1/3, when public offices close for the new year (年末年始) */
int mado_is_year_end(int month, int day);

/*
 * The opening spans of an office, or of one of its counters (c may be
 * NULL), on a local date: 臨時開庁日 first, then 臨時閉庁日, national
 * holidays and 年末年始 (unless the office opens on them), then the weekly
 * hours.  Returns the number of spans (0 = closed) and, when why is not
 * NULL, a short Japanese reason for a closed or extra day, or NULL.
 */
unsigned mado_day_spans(const mado_office_def_t *o,
    const mado_counter_def_t *c, int year, int month, int day,
    mado_span_t *spans, const char **why);

/*
 * What a counter shows at now, by the calendar: a state from before
 * today (local midnight) is yesterday's, so its counts start again from zero
 * (status open); outside the day's opening spans the counter is closed;
 * from its "reception_ends" time it is ended.  The stored state is not
 * changed: the history of the day before stays as it was written.
 */
void mado_effective_state(const mado_office_def_t *o,
    const mado_counter_def_t *c, const mado_counter_state_t *st, int64_t now,
    mado_counter_state_t *out);

/*
 * only the new-day part of that, for writers: a state last changed before
 * local midnight starts from zero; 1 if counts were reset
 */
int mado_new_day(mado_counter_state_t *st, int64_t now);

/*
 * "1795739400", or "2026-11-27T09:30:00" with an optional fraction and
 * "Z", "+09:00", "+0900" or "+09" (none: Japan time); -1 if not
 */
int mado_parse_time(const char *s, int64_t *t);

/*
 * the same, and "2026-11-27T09:30" without seconds (the feed's minute
 * stamps): *minute 1 then, t its first second
 */
int mado_parse_stamp(const char *s, int64_t *t, unsigned *minute);

/* "2027-03-28" -> 20270328, checking the date exists; -1 if not */
mado_date_t mado_date_parse(const char *s);

/* the local date (JST) of a unix time, as YYYYMMDD */
mado_date_t mado_local_date(int64_t t);


/* ---------------------------------- 7. the wait estimate (mado_estimate.c) */

/*
 * The wait estimate (mado_estimate.c).  Writers tell it about every issue
 * and call, before they change the counts; it learns how long a call
 * takes per member of staff from the gaps between calls while people
 * were waiting all along, and blends that with the configured
 * minutes_per_person while it has seen few calls.
 */
void mado_service_issue(mado_counter_state_t *st, int64_t t);
void mado_service_call(const mado_counter_def_t *c, mado_counter_state_t *st,
    int64_t t);
/*
 * seconds of wait for a ticket taken now, and the band the actual wait
 * falls in for most tickets (not rounded); -1 = unknown: not open
 */
int mado_estimate(const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t *est, int64_t *low, int64_t *high);
/* called by mado_new_day: a new day keeps a little of the day before */
void mado_service_new_day(mado_counter_state_t *st);
/* the old rule, kept as the benchmark's baseline: waiting x configured */
int64_t mado_estimate_baseline(const mado_counter_def_t *c,
    const mado_counter_state_t *st);


/* --------------------------------------- 8. display rules (mado_display.c) */

/*
 * Display rules (mado_display.c): how a state is shown, alike in the
 * module, madoctl and the history.
 */

/* minutes of wait for someone who takes a ticket now; -1 = unknown */
int64_t mado_wait_minutes(const mado_counter_def_t *c,
    const mado_counter_state_t *st);
/* the wait shown as a range, rounded to 5 minutes; -1 = unknown */
int mado_wait_range(const mado_counter_def_t *c,
    const mado_counter_state_t *st, int64_t *low, int64_t *high);
/* congestion level 0..3 from the wait; -1 = unknown (not open) */
int mado_level(const mado_counter_def_t *c, const mado_counter_state_t *st);
/* start of the next opening span after now (calendar); -1 = none soon */
int64_t mado_next_open(const mado_office_def_t *o,
    const mado_counter_def_t *c, int64_t now);
/*
 * Whether a ticket taken now may be called only after today's reception
 * hours end (its wait runs past the close):
 *
 *   NONE      it fits, or nothing to say: not open (paused, ended,
 *             closed), nobody waiting (called as soon as staff are free),
 *             or now outside today's spans (a state not put through
 *             mado_effective_state);
 *   POSSIBLE  the band's upper end does not fit (mado_wait_range's high);
 *   LIKELY    the estimate itself does not fit (mado_wait_minutes): more
 *             likely than not; the band's lower end would say it only
 *             once it is all but certain.
 *
 * The time left is the counter's serving time: the rest of the span now
 * is in and the whole of later spans today; a lunch break between them
 * is not time to serve, as the queue waits through it.  *closes gets the
 * end of today's last span (unix seconds) when now is in one of today's
 * spans and the counter is not closed, else -1.
 */
typedef enum {
    MADO_PAST_CLOSE_NONE = 0,
    MADO_PAST_CLOSE_POSSIBLE,
    MADO_PAST_CLOSE_LIKELY,
    MADO_NPAST_CLOSE
} mado_past_close_e;

/* what the JSON says: NULL (null), "possible", "likely" */
extern const char *const mado_past_close_names[MADO_NPAST_CLOSE];

mado_past_close_e mado_past_close(const mado_office_def_t *o,
    const mado_counter_def_t *c, const mado_counter_state_t *st, int64_t now,
    int64_t *closes);

/*
 * Alerts: what monitoring (the Prometheus rules), madoctl check and the
 * staff panel flag, by the same rules and the same default limits.
 *
 *   STALE      open, and the figures older than the stale limit (the
 *              module's mado_stale_after, 15 minutes by default);
 *   STALLED    open, people waiting, and nobody called since the queue
 *              last moved (mado_stalled_since) for the stalled limit;
 *   LONG_WAIT  the wait estimate over the office's "alert_wait_minutes"
 *              (MADO_ALERT_WAIT_MINUTES when it says none).
 *
 * st is the state as citizens see it (mado_effective_state).
 */
#define MADO_ALERT_STALE            0x1
#define MADO_ALERT_STALLED          0x2
#define MADO_ALERT_LONG_WAIT        0x4

#define MADO_ALERT_STALE_MINUTES    15
#define MADO_ALERT_STALLED_MINUTES  30
#define MADO_ALERT_WAIT_MINUTES     60
#define MADO_ALERT_WAIT_MAX         1440    /* alert_wait_minutes' limit */

/* "stale", "stalled", "long_wait": the JSON's names, bit by bit */
extern const char *const mado_alert_names[3];

/*
 * Since when the queue has stood still: the latest of the last call, the
 * queue forming (busy_from) and the start of the opening span now (a
 * lunch break or the night is nobody's fault); -1 when that means
 * nothing: not open, nobody waiting, or no time known.
 */
int64_t mado_stalled_since(const mado_office_def_t *o,
    const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t now);

/* the office's wait limit in seconds */
int64_t mado_alert_wait_seconds(const mado_office_def_t *o);

/* MADO_ALERT_* bits; limits in seconds (stalled <= 0: the default) */
unsigned mado_alerts(const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *st, int64_t now, int64_t stale_after,
    int64_t stalled_after);

/*
 * The jam message of a counter's state in one language (Japanese when that
 * language has none), its {waiting} {low} {high} filled in, into buf;
 * 0 when there is none (not open, or fewer waiting than the first step).
 */
size_t mado_jam_message(const mado_counter_def_t *c,
    const mado_counter_state_t *st, mado_lang_e lang, char *buf, size_t len);

/*
 * A counter's state as members of a JSON object the caller has opened:
 * "status", "waiting", "calling" always; the parts asked for, in this
 * order, around them.  One writer for the public API, madoctl show
 * --json, the update API's answers, the history's samples and the audit
 * trail, so that they cannot drift apart.
 */
#define MADO_SJ_ID              0x001   /* first "id", "name" of c */
#define MADO_SJ_LAST_ISSUED     0x002   /* "last_issued" */
#define MADO_SJ_RANGE           0x004   /* "ticket_range" of c: [first,
                                           last], for pages that check a
                                           number (mado_ticket_issued) */
#define MADO_SJ_COUNTS          0x008   /* "served_today", "staff" */
#define MADO_SJ_WAIT            0x010   /* "wait_minutes": whole, or null */
#define MADO_SJ_DISPLAY         0x020   /* "wait_range", "level",
                                           "next_open" (o, now),
                                           "closes_at", "past_close",
                                           "jam_message" */
#define MADO_SJ_MESSAGE         0x040   /* "message", null if none (or not
                                           UTF-8 where g validates) */
#define MADO_SJ_MESSAGE_TEXT    0x080   /* with MESSAGE: "" if none */
#define MADO_SJ_UPDATED         0x100   /* "updated_at", ISO 8601 */
#define MADO_SJ_CALENDAR        0x200   /* with DISPLAY: st follows the
                                           calendar (mado_effective_state),
                                           so "closes_at" and "past_close"
                                           (mado_past_close) are said; else
                                           they are null */
#define MADO_SJ_NOTICE          0x8000  /* "notice" after "message": with
                                           o, {"id", "text": {every
                                           language}} or null (none, or an
                                           id o no longer defines); without
                                           o, the id, or null ("" with
                                           MESSAGE_TEXT) */

void mado_state_json(yajl_gen g, const mado_office_def_t *o,
    const mado_counter_def_t *c, const mado_counter_state_t *st,
    int64_t now, unsigned parts);

/* the figures people see are the same (not the estimate's or times) */
int mado_state_same(const mado_counter_state_t *a,
    const mado_counter_state_t *b);


/* ----------- 9. history (mado_history*.c, mado_compact.c, mado_forecast.c) */

/*
 * History (mado_history.c).  Every write records what it changed as an
 * event, and fills in the 5-minute samples since the counter's previous
 * change with the figures it had then (the state cannot have changed in
 * between, so the samples are exact without a sampling daemon).  Keys are
 * ordered by office and time, so a day reads as one range.
 */

typedef enum {
    MADO_HEV_ISSUE = 0,
    MADO_HEV_CALL,
    MADO_HEV_CANCEL,
    MADO_HEV_SET,               /* figures corrected by hand */
    MADO_NHEV
} mado_hev_e;

extern const char *const mado_hev_names[MADO_NHEV];

typedef struct {
    int64_t             time;
    char                counter[MADO_ID_MAX + 1];
    uint32_t            type;       /* mado_hev_e */
    uint32_t            status;     /* after the change */
    uint32_t            ticket;     /* issue, call, cancel */
    uint32_t            waiting;    /* after */
    uint32_t            served;     /* after */
    uint32_t            staff;      /* after */
    int32_t             wait;       /* call: seconds the ticket waited;
                                       -1 unknown */
} mado_event_t;

#define MADO_SAMPLE_EVERY       300     /* seconds */

typedef struct {
    int64_t             time;
    uint32_t            status;
    uint32_t            waiting;
    uint32_t            calling;
    uint32_t            served;
    uint32_t            staff;
    int32_t             wait;       /* estimated seconds; -1 unknown */
} mado_sample_t;

/*
 * Record a change of counter c from *before to *after at t (writers, in
 * their transaction); ev carries type, ticket and wait, the rest is
 * filled in here.
 */
int mado_history_record(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_office_def_t *o, const mado_counter_def_t *c,
    const mado_counter_state_t *before, const mado_counter_state_t *after,
    mado_event_t *ev, mado_err_t *err);

/*
 * The wait of counter's call of ticket at t, recorded without one (the
 * feed read the call before its issue); nothing when there is no such
 * call or it has a wait
 */
int mado_history_wait(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, int64_t t, uint32_t ticket, int32_t wait,
    mado_err_t *err);

/* per counter and hour of one day: what the reports and the API show */
typedef struct {
    uint32_t            issued;
    uint32_t            served;
    uint32_t            cancelled;
    uint32_t            waits;          /* calls whose wait is known */
    int64_t             wait_sum;       /* seconds */
    int32_t             wait_max;
    uint32_t            samples;
    uint64_t            waiting_sum;
    uint32_t            waiting_max;
    /* the waits again, by the hour the tickets were issued in */
    uint32_t            iwaits;
    int64_t             iwait_sum;
} mado_hour_t;

/*
 * The figures of the hours of a day starting at start (local midnight)
 * from its events and samples, alike when a day is read and when it is
 * compacted
 */
void mado_hours_event(mado_hour_t *hours, const mado_event_t *ev,
    int64_t start);
void mado_hours_sample(mado_hour_t *hours, const mado_sample_t *sm,
    int64_t start);
/* a += b: sums add, maxima take the larger */
void mado_hour_add(mado_hour_t *a, const mado_hour_t *b);
/* 1 if anything was issued, served, cancelled or sampled in the hour */
int mado_hour_used(const mado_hour_t *h);

typedef struct {
    char                id[MADO_ID_MAX + 1];
    mado_hour_t         hours[24];
    mado_sample_t      *samples;
    size_t              nsamples;
} mado_counter_day_t;

typedef struct {
    char                office[MADO_ID_MAX + 1];
    mado_date_t         date;
    mado_counter_day_t  counters[MADO_COUNTERS_MAX];
    unsigned            ncounters;
} mado_day_t;

/*
 * Read one day of an office's history; counters as defined now.  Samples
 * after the last change are added up to min(end of day, now) from the
 * current state.  Free with mado_day_free.
 */
int mado_history_day(mado_store_t *s, MDB_txn *txn,
    const mado_office_def_t *o, mado_date_t date, int64_t now, mado_day_t *d,
    mado_err_t *err);
void mado_day_free(mado_day_t *d);

/* the day as JSON (the API's document) or CSV (one row per sample):
   mado_history_doc.c */
void mado_day_json(yajl_gen g, const mado_office_def_t *o,
    const mado_day_t *d);
char *mado_day_csv(const mado_day_t *d, size_t *len);

/*
 * Retention (mado_compact.c): fold the events and samples of every day
 * before "before" (a local midnight) into hourly records and delete them;
 * delete hourly records before "drop" (0: keep them).  One transaction
 * per office and day, so it can run while everything else does.
 */
typedef struct {
    uint64_t            days;
    uint64_t            events;
    uint64_t            samples;
    uint64_t            hours_dropped;
} mado_compact_stats_t;

/* called in each compaction transaction, to audit it */
typedef int (*mado_compact_audit_pt)(mado_store_t *s, MDB_txn *txn,
    const char *office, int64_t day, uint64_t events, uint64_t samples,
    uint64_t dropped, void *arg, mado_err_t *err);

int mado_history_compact(mado_store_t *s, int64_t before, int64_t drop,
    mado_compact_audit_pt audit, void *arg, mado_compact_stats_t *stats,
    mado_err_t *err);

/*
 * The forecast (混雑予想, mado_forecast.c): per counter, weekday and
 * hour, the people waiting and the wait of tickets issued then, over the
 * last weeks before today; and today's hours so far.
 */
#define MADO_FORECAST_WEEKS_MAX 26

typedef struct {
    uint64_t            waiting_sum;
    uint32_t            samples;
    int64_t             wait_sum;       /* seconds, by issue hour */
    uint32_t            waits;
    uint32_t            issued;
    uint16_t            days;           /* days with data in this cell */
} mado_cell_t;

typedef struct {
    mado_cell_t         cells[7][24];   /* [weekday, 0 = Sunday][hour] */
} mado_counter_forecast_t;

typedef struct {
    mado_date_t             from, to;   /* the weeks looked at */
    unsigned                weeks;
    mado_counter_forecast_t counters[MADO_COUNTERS_MAX];
    mado_day_t              today;
} mado_forecast_t;

int mado_forecast(mado_store_t *s, MDB_txn *txn, const mado_office_def_t *o,
    int64_t now, unsigned weeks, mado_forecast_t *f, mado_err_t *err);
void mado_forecast_free(mado_forecast_t *f);
void mado_forecast_json(yajl_gen g, const mado_office_def_t *o,
    const mado_forecast_t *f);


/*
 * Planning a visit (mado_visit.c).  The closures of the days from today
 * on (days of them), in words: 臨時閉庁日, national holidays on days the
 * office would open, 年末年始 (all of it), a counter's own closed days,
 * and 臨時開庁日 (extra openings, with their spans); days in a row of the
 * same kind are one entry.  Returns the number of entries.
 */
#define MADO_CLOSURES_MAX       16

typedef enum {
    MADO_CLOSURE_OFFICE = 0,    /* 臨時閉庁日 */
    MADO_CLOSURE_HOLIDAY,       /* a national holiday: name */
    MADO_CLOSURE_YEAR_END,      /* 年末年始 */
    MADO_CLOSURE_COUNTER,       /* one counter closed: counter */
    MADO_CLOSURE_OPEN,          /* 臨時開庁日: spans */
    MADO_NCLOSURES
} mado_closure_e;

/* what the JSON says: "closed", "holiday", ... */
extern const char *const mado_closure_names[MADO_NCLOSURES];

typedef struct {
    mado_date_t         from, to;
    mado_closure_e      kind;
    int                 counter;        /* index, or -1: the office */
    const char         *name;           /* a holiday's Japanese name */
    mado_span_t         spans[MADO_SPANS_MAX];
    unsigned            nspans;
} mado_closure_t;

unsigned mado_closures(const mado_office_def_t *o, int64_t now,
    unsigned days, mado_closure_t *out, unsigned max);

/*
 * The best time to come later today (混雑の少ない時間帯): of the hours
 * still to come in which the counter takes tickets, the one whose
 * tickets usually waited least, on this weekday in the forecast's weeks.
 * Said only when it is honest: each hour weighed needs
 * MADO_BEST_TIME_DAYS days of history, and the hour must be quieter than
 * the wait now (by MADO_BEST_TIME_MARGIN minutes) when the counter is
 * open, else than the other hours to come.  Nothing on a day the counter
 * is closed, once reception has ended, or when closed by staff.
 * Returns bt->has.
 */
#define MADO_BEST_TIME_DAYS     3
#define MADO_BEST_TIME_MARGIN   5

typedef struct {
    unsigned            has;
    uint16_t            from;           /* minutes after midnight */
    uint16_t            typical;        /* minutes, rounded to 5 */
    uint16_t            days;           /* days of history behind it */
    uint16_t            weeks;          /* the weeks looked at */
} mado_best_time_t;

int mado_best_time(const mado_office_def_t *o, unsigned ci,
    const mado_counter_forecast_t *cf, unsigned weeks,
    const mado_counter_state_t *st, int64_t now, mado_best_time_t *bt);


/* ------------------------------------ 10. counter changes (mado_counter.c) */

/*
 * The changes a person makes to a counter (mado_counter.c), for madoctl
 * and the update API alike.  The caller audits them.
 */
#define MADO_KEEP               (-1)

typedef struct {
    mado_hev_e          type;       /* set, issue, call, cancel */
    uint32_t            number;     /* call (0: the next), cancel */
    /* set: new values, MADO_KEEP to keep */
    int64_t             waiting;
    int64_t             calling;
    int64_t             last_issued;
    int64_t             staff;
    int                 status;
    const char         *message;    /* NULL: keep */
    const char         *notice;     /* NULL: keep; "": none; else an id
                                       of the office's "notices" (else
                                       refused, *field "notice") */
} mado_counter_op_t;

/*
 * Read, check, change and put a counter in txn, with its history.  On a
 * refusal *field names what was wrong ("office", "counter", "number";
 * set's "calling", "last_issued") or is NULL when the counter's state
 * refuses it (closed, nobody waiting).
 *
 * What every writer keeps (the feed too, mado_ticket.c): calling is a
 * number that was issued, i.e. never after last_issued going round the
 * range (mado_ticket_issued).  call and cancel name issued numbers only,
 * and cancel one not called yet.  A call of the next number when every
 * number issued was called issues it (hand-kept counters never issue:
 * staff set waiting and call).  set takes 0 or numbers of the range for
 * calling and last_issued, and raises last_issued to calling when calling
 * would come after it, unless the request gave last_issued too: then it
 * is refused.  Half the range tells the rounds apart: a counter's range
 * must be over twice as long as its queue.
 */
int mado_counter_apply(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *counter, const mado_counter_op_t *op, int64_t now,
    mado_counter_state_t *before, mado_counter_state_t *after,
    uint32_t *result, const char **field, mado_err_t *err);
/*
 * the rules of a ticket issued or called in c's range (the simulator uses
 * them too); a call's number must have been issued (0: the next, which
 * this issues when calling was last_issued); a call teaches the estimate
 * nothing here
 */
uint32_t mado_counter_issue(mado_counter_state_t *st,
    const mado_counter_def_t *c, int64_t now);
uint32_t mado_counter_call(mado_counter_state_t *st,
    const mado_counter_def_t *c, uint32_t number, int64_t now);
void mado_counter_message(mado_counter_state_t *st, const char *msg);
/*
 * op->notice checked against o's notices: MADO_EINVAL, *field "notice"
 * and err listing the valid ids when it names none of them
 */
int mado_counter_notice_check(const mado_office_def_t *o,
    const mado_counter_op_t *op, const char **field, mado_err_t *err);

/*
 * Recently called numbers (for those who stepped away): every call, by
 * staff, set's calling, the feed or the simulator, goes into the list
 * kept newest first in the state, MADO_RECENT_MAX long.  A number called
 * again moves up with its new time (listed once); a call reported late
 * (the feed) takes its place by time; a new day (mado_new_day) empties it.
 */
void mado_counter_recent(mado_counter_state_t *st, uint32_t number,
    int64_t at);
/* how many of the list, from its start, were called on now's local day */
unsigned mado_recent_today(const mado_counter_state_t *st, int64_t now);
/* "recent_calls": [{"number": 41, "at": ISO 8601}, …] of now's day */
void mado_recent_json(yajl_gen g, const mado_counter_state_t *st,
    int64_t now);


/* -------------------- 11. ticket-machine feed (mado_ticket.c, mado_feed.c) */

/*
 * Ticket-machine feed (mado_ticket.c).  Events carry the machine's own
 * ticket numbers.  Each number's day is kept in the "ticket" database:
 * when its current round was issued and the latest call and cancel seen.
 * Its fate is the kind of the latest of these (in one second: issue, then
 * call, then cancel), and counts change only by the difference an event
 * makes to that fate:
 *
 *   waiting  = tickets whose latest event is their issue
 *   served   = tickets whose latest event is a call (a cancel after the
 *              call is a no-show)
 *   calling, last_issued = the ticket of the latest call, issue; a
 *              call of a number with no issue seen that day raises
 *              last_issued to it (the call proves the issue: calling is
 *              not after last_issued)
 *
 * A latest-of rule commutes: lines of one second in any order, a call read
 * before its issue, or a line fed twice give the same counts.  An issue of
 * a number already issued earlier that day starts the number's next round
 * (the range wrapped); events older than the current round are settled
 * history.  Events of a day before the counter's current day change
 * nothing.  An issue or call opens a counter that is closed; a pause or
 * end of reception set by staff stays.
 *
 * Minute stamps (MADO_EV_MINUTE: "10:31" where others write "10:31:20")
 * name a minute, not its first second.  Lines are read in the file's
 * order, which is the order events happened in whenever the stamps
 * cannot tell: mado_feed_sort sorts a minute-stamped event after the
 * lines read before it in its minute, and mado_ticket_apply counts it at
 * the latest second already known in that minute of its own number's
 * round (its issue, call, cancel) and of its counter's last issue (for an
 * issue) or call (for a call); at the second after its number's events of
 * its own or a later kind (an issue after its number's call or cancel: the
 * number came round again; a call after a cancel), since the file had
 * those first.  It is never earlier than the minute, nor later than its
 * last second.  Its own kind already seen for its number in that minute
 * from a minute stamp (the latest, or the one before it, which may be the
 * last round's) is this line again (duplicate): nothing tells a line sent
 * twice from a second event of its kind in that minute.  So a call
 * stamped to the minute is never taken for one before its own issue, and
 * a wait it begins or ends is up to 59 seconds off.
 */

typedef enum {
    MADO_EV_ISSUE = 0,
    MADO_EV_CALL,
    MADO_EV_CANCEL,
    MADO_NEV
} mado_event_e;

extern const char *const mado_event_names[MADO_NEV];

/* what applying an event did */
typedef enum {
    MADO_FEED_APPLIED = 0,
    MADO_FEED_DUPLICATE,        /* already known: nothing changed */
    MADO_FEED_OLD               /* of an earlier day than the counter's */
} mado_feed_result_e;

typedef struct {
    int64_t             time;       /* with MADO_EV_MINUTE: the minute's
                                       first second */
    uint32_t            type;       /* mado_event_e */
    uint32_t            ticket;
    uint32_t            flags;
} mado_ticket_event_t;

#define MADO_EV_MINUTE          0x01    /* stamped to the minute only */

/*
 * Ticket numbers go round the counter's range (mado_ticket.c).  a comes
 * after b when it lies less than half the range ahead of b; anything
 * comes after b = 0 or a b outside the range (none yet).  So a range must
 * be over twice as long as the most people ever waiting at once.
 */
int mado_ticket_after(const mado_counter_def_t *c, uint32_t a, uint32_t b);
/* the number after n in c's range; the first when n is 0 or outside */
uint32_t mado_ticket_next(const mado_counter_def_t *c, uint32_t n);
/*
 * n was issued: it lies in c's range and is st's last_issued or comes
 * before it in this round (not after it)
 */
int mado_ticket_issued(const mado_counter_def_t *c,
    const mado_counter_state_t *st, uint32_t n);

/*
 * Apply one event to a counter's state st (read by the caller in txn and
 * put back by it, so that a batch puts each counter once); the ticket
 * record is read and written here.  The caller checks ticket against the
 * counter's range.  *at: the second the event counts at (its time, or
 * where a minute stamp was put).  *wait: seconds from the ticket's issue
 * to the call that served it, when ev is that call; when ev is an issue
 * read after the call that serves it, the wait of that call (which the
 * caller gives to the call's history event); else -1.
 */
int mado_ticket_apply(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_counter_def_t *c,
    mado_counter_state_t *st, const mado_ticket_event_t *ev,
    mado_feed_result_e *result, int32_t *wait, int64_t *at,
    mado_err_t *err);

/* manual issue and call keep the ticket's times too, for the waits */
int mado_ticket_note(mado_store_t *s, MDB_txn *txn, const char *office,
    const mado_counter_def_t *c, uint32_t ticket, int called, int64_t t,
    int32_t *wait, mado_err_t *err);

/* business codes (mado_feed.c): the counter that serves one, or NULL */
const mado_counter_def_t *mado_office_code(const mado_office_def_t *o,
    const char *code);
/* codes compare as numbers when both are digits: "01" is "1" */
int mado_code_eq(const char *a, const char *b);
int mado_code_valid(const char *code);

/*
 * A batch of events for one office (mado_feed.c), for "madoctl feed" and
 * the update API alike.  Callers parse lines into events, sort them
 * (mado_feed_sort) and apply them in one transaction with
 * mado_feed_batch.
 */
#define MADO_FEED_AHEAD         3600    /* an event may lead the clock */
#define MADO_FEED_WHY_MAX       200
#define MADO_FEED_BAD           0xff    /* result: refused, why says why */

typedef struct {
    mado_ticket_event_t ev;
    uint64_t            line;       /* where it came from: messages, and
                                       the file's order */
    int64_t             sort_time;  /* set by mado_feed_sort */
    uint32_t            sort_kind;
    char                key[MADO_ID_MAX + 1];  /* counter id or code */
    uint8_t             result;     /* mado_feed_result_e or MADO_FEED_BAD */
    char                why[MADO_FEED_WHY_MAX];
} mado_feed_event_t;

/*
 * One jsonl line {"time": ISO 8601 or unix seconds, "event": "issue" |
 * "call" | "cancel", "counter": ID, "ticket": N} (UTF-8, NUL-terminated)
 * into e; -1 with e->why naming the field when it is not one
 */
int mado_feed_jsonl(const char *text, mado_feed_event_t *e);

/*
 * applying order: by time, in one second issue, call, cancel, then line;
 * an event stamped to the minute after the lines before it (by line) in
 * its minute (see the rule above)
 */
void mado_feed_sort(mado_feed_event_t **ev, size_t n);

/*
 * Lines of a feed, for "madoctl feed" (a file, read in pieces) and the
 * update API (a POST body) alike: a line ends at LF; a CR before it and,
 * with MADO_LINE_BOM, a UTF-8 byte order mark at its start are dropped.
 */
#define MADO_FEED_LINE_MAX      4096    /* bytes; a literal, quoted below */
#define MADO_FEED_LONG          "longer than 4096 bytes"

typedef enum {
    MADO_LINE_TEXT = 0,         /* a line to parse */
    MADO_LINE_BLANK,            /* only spaces and tabs: skipped */
    MADO_LINE_LONG,             /* more than MADO_FEED_LINE_MAX bytes */
    MADO_LINE_BINARY,           /* holds a NUL byte */
    MADO_LINE_PARTIAL           /* no LF yet: wait for more (l->used 0) */
} mado_line_e;

#define MADO_LINE_EOF           0x01    /* data ends here: the last line
                                           needs no LF */
#define MADO_LINE_BOM           0x02    /* drop a byte order mark */

typedef struct {
    const char         *text;       /* without LF, CR and BOM */
    size_t              len;
    size_t              used;       /* bytes of data it took, with LF */
} mado_line_t;

/* the first line of data[0..len) into l, and what it is */
mado_line_e mado_feed_line(const char *data, size_t len, unsigned flags,
    mado_line_t *l);

/*
 * A batch posted to the update API, every line parsed before anything is
 * written (mado_feed_jsonl), in applying order.  When a line is bad (bad,
 * 400) or there are more than max events (too_many, 413), why says so as
 * the API answers it; what was parsed is then not to be applied.
 */
typedef struct {
    mado_feed_event_t  *events;     /* malloc: mado_feed_body_free */
    mado_feed_event_t **order;
    size_t              n;
    unsigned            bad:1;
    unsigned            too_many:1;
    char                why[MADO_FEED_WHY_MAX + 32];
} mado_feed_body_t;

/* -1: out of memory */
int mado_feed_body(const char *body, size_t len, size_t max,
    mado_feed_body_t *fb);
void mado_feed_body_free(mado_feed_body_t *fb);

typedef struct {
    /* in */
    const char         *office;
    int64_t             now;
    const char         *actor;      /* for the audit: "os:USER", "user:ID" */
    const char         *client;     /* "local", an address */
    const char *const  *extra;      /* more audit members, or NULL */
    unsigned            by_code:1;  /* keys are business codes, not ids */
    /* a bad event refuses the whole batch: MADO_EINVAL, err says which
       line and why (the caller aborts the transaction); otherwise it is
       marked MADO_FEED_BAD and the others are applied */
    unsigned            strict:1;

    /* out: overwritten, as the write may run again */
    uint64_t            applied, duplicate, old, bad;
    unsigned            nchanged;   /* counters whose state changed */
    char                changed[MADO_COUNTERS_MAX][MADO_ID_MAX + 1];
    mado_counter_state_t after[MADO_COUNTERS_MAX];
} mado_feed_batch_t;

/*
 * Apply events (in mado_feed_sort's order) to one office in txn: checks
 * each against the office's counters, ticket ranges and the clock, counts
 * it (mado_ticket_apply), records the history, puts each counter once and
 * audits each changed counter ("feed", before and after).  MADO_ENOTFOUND
 * when there is no such office.
 */
int mado_feed_batch(mado_store_t *s, MDB_txn *txn, mado_feed_batch_t *b,
    mado_feed_event_t **ev, size_t n, mado_err_t *err);

/* where a feed stands in one file */
typedef struct {
    uint64_t            offset;     /* bytes applied: a line boundary */
    uint64_t            line;       /* lines up to offset */
    uint64_t            events;     /* events applied from this file */
    uint64_t            bad;        /* lines skipped as bad */
    int64_t             updated_at;
} mado_feed_cursor_t;

/* fp: 16 hex digits naming the file by its first line */
int mado_feed_cursor_get(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *fp, mado_feed_cursor_t *cur, mado_err_t *err);
int mado_feed_cursor_put(mado_store_t *s, MDB_txn *txn, const char *office,
    const char *fp, const mado_feed_cursor_t *cur, mado_err_t *err);

/*
 * What a feed has done, for monitoring (the metrics, madoctl check): one
 * record per feed of an office, whatever files it read.  A feed is named
 * by where it comes from: "madoctl feed --name NAME" (MADO_FEED_FILE,
 * default "log") or the feed accounts posting to the update API
 * (MADO_FEED_HTTP, named MADO_FEED_HTTP_NAME: one record an office, not
 * one an account, since an account's id names a person or a machine and
 * the store keeps ids only sealed).  Each batch adds to it in its own
 * transaction; a batch the update API refuses (400) adds its bad line.
 */
#define MADO_FEED_FILE          'f'
#define MADO_FEED_HTTP          'h'
#define MADO_FEED_HTTP_NAME     "api"

typedef struct {
    uint64_t            applied;    /* events by result (mado_feed_batch) */
    uint64_t            duplicate;
    uint64_t            old;
    uint64_t            bad;        /* lines refused: not an event, or an
                                       event the office cannot take */
    int64_t             batch_at;   /* the last batch written */
    int64_t             event_at;   /* the newest event time of a line not
                                       refused (a minute stamp: its first
                                       second); 0: none yet */
    int64_t             bad_at;     /* the last line refused; 0: none */
} mado_feed_stat_t;

/* a feed's name: what mado_check_id takes */
int mado_feed_stat_get(mado_store_t *s, MDB_txn *txn, const char *office,
    int source, const char *name, mado_feed_stat_t *st, mado_err_t *err);
/*
 * Add a batch to the feed's record: b's counts (b may be NULL), bad more
 * lines refused before they became events (the caller's parser), the
 * newest time of ev[0..n) not MADO_FEED_BAD, batch_at = now
 */
int mado_feed_stat_add(mado_store_t *s, MDB_txn *txn, const char *office,
    int source, const char *name, const mado_feed_batch_t *b,
    mado_feed_event_t *const *ev, size_t n, uint64_t bad, int64_t now,
    mado_err_t *err);

/*
 * Each feed of office (readers too: MADO_ENOTFOUND when the store has no
 * feed database yet); fn returns non-zero to stop
 */
typedef int (*mado_feed_stat_pt)(int source, const char *name,
    const mado_feed_stat_t *st, void *arg);
int mado_feed_stats(mado_store_t *s, MDB_txn *txn, const char *office,
    mado_feed_stat_pt fn, void *arg, mado_err_t *err);


/* -------------------------------------- 12. the audit trail (mado_audit.c) */

/*
 * The audit trail (mado_audit.c): a record per write, in the write's
 * transaction, chained with HMAC-SHA-256 under a key outside the store.
 */
#define MADO_AUDIT_KEY_LEN      32

int mado_audit_key_load(const char *path,
    unsigned char key[MADO_AUDIT_KEY_LEN], mado_err_t *err);
/* a new random key in a new 0600 file; never over an existing one */
int mado_audit_key_create(const char *path, mado_err_t *err);
/* append one record (a JSON object, one line) */
int mado_audit_append(mado_store_t *s, MDB_txn *txn, const char *json,
    size_t len, mado_err_t *err);
/*
 * The record of one write: time, who (actor), from where (client), what,
 * the counter before and after (either may be NULL), and extra
 * name/value pairs (NULL-terminated, or NULL).
 */
int mado_audit_write(mado_store_t *s, MDB_txn *txn, int64_t now,
    const char *actor, const char *client, const char *action,
    const char *office, const char *counter,
    const mado_counter_state_t *before, const mado_counter_state_t *after,
    const char *const *extra, mado_err_t *err);
void mado_audit_gen_state(yajl_gen g, const char *key,
    const mado_counter_state_t *st);

typedef struct {
    uint64_t            records;
    uint64_t            broken;     /* the first bad record; 0: none */
    char                why[256];
} mado_audit_verify_t;

/* fn gets each record in order; non-zero stops.  Without fn: verify */
typedef int (*mado_audit_pt)(uint64_t seq, const char *json, size_t len,
    void *arg);
int mado_audit_walk(mado_store_t *s, MDB_txn *txn, mado_audit_pt fn,
    void *arg, mado_audit_verify_t *res, mado_err_t *err);
/* HMAC-SHA-256 under a 32-byte key of n parts one after the other */
void mado_audit_hmac(const unsigned char *key,
    const unsigned char *const *part, const size_t *len, int n,
    unsigned char *mac);

/*
 * The anchor: the trail's last record (number, MAC, time) in a file
 * outside the store, next to the key, that the store's other writers
 * cannot write (mado_audit.c has why and how).
 */
#define MADO_ANCHOR_READ        0       /* verify */
#define MADO_ANCHOR_WRITE       1       /* a writer */
#define MADO_ANCHOR_CREATE      2       /* a writer, the file made if none */
/* KEY minus ".key", plus ".anchor": /etc/mado/audit.anchor; -1: too long */
int mado_anchor_path(const char *key_path, char *buf, size_t len);
/*
 * MADO_ENOTFOUND: no such file; MADO_EINVAL: not a file, or writable by
 * group or others.  A file made is 0600 and, for root, takes the owner
 * of the key file (the account that runs the writers)
 */
int mado_anchor_open(const char *path, int how, const char *key_path,
    int *fd, mado_err_t *err);
/* MADO_ENOTFOUND: empty (none yet); MADO_EINVAL: garbled, another key */
int mado_anchor_read(int fd, const unsigned char *key, mado_anchor_t *a,
    mado_err_t *err);
/* forward only (a higher record), unless force; under a lock */
int mado_anchor_write(int fd, const unsigned char *key,
    const mado_anchor_t *a, int force, mado_err_t *err);

typedef struct {
    uint64_t            last;       /* the store's last record */
    uint64_t            after;      /* records after the anchor's */
    unsigned            ok:1;
    char                why[384];
} mado_anchor_check_t;

/*
 * The trail in txn (intact, res->records long: mado_audit_walk) against
 * the anchor a, read before txn began: it must hold a's record, with a's
 * MAC.  Records after it are fine: chained under the key, they were
 * written by a holder of the key whose anchor did not follow (a crash
 * between the commit and the anchor)
 */
int mado_anchor_check(mado_store_t *s, MDB_txn *txn, const mado_anchor_t *a,
    const mado_audit_verify_t *res, mado_anchor_check_t *c,
    mado_err_t *err);


/* ------------------------------------------- 13. accounts (mado_account.c) */

/* staff accounts (mado_account.c) */
typedef enum {
    MADO_ROLE_ADMIN = 0,
    MADO_ROLE_STAFF,
    MADO_ROLE_FEED,
    MADO_NROLES
} mado_role_e;

extern const char *const mado_role_names[MADO_NROLES];

#define MADO_PBKDF2_ITERATIONS  600000
#define MADO_SALT_LEN           16      /* 128 bits */
#define MADO_HASH_LEN           32
#define MADO_TOKEN_BYTES        32
#define MADO_TOKEN_LEN          (5 + 2 * MADO_TOKEN_BYTES)  /* "mado_" hex */
#define MADO_PASSWORD_MIN       12      /* characters */
#define MADO_PASSWORD_MAX       256     /* bytes */
#define MADO_LOGIN_FAILURES     5       /* then the account waits at
                                           that address */

typedef struct {
    char                id[MADO_ID_MAX + 1];
    uint32_t            role;           /* mado_role_e */
    uint32_t            disabled;
    uint32_t            iterations;     /* 0: a token (feed) account */
    unsigned char       salt[MADO_SALT_LEN];
    unsigned char       hash[MADO_HASH_LEN];
    uint32_t            failures;       /* failed logins in a row */
    int64_t             locked_until;
    int64_t             created_at;
    int64_t             updated_at;
    int64_t             last_login;
    char                offices[MADO_OFFICES_MAX][MADO_ID_MAX + 1];
    unsigned            noffices;
    /*
     * The seal: a MAC under a key derived from the audit key over what
     * grants rights (id, role, disabled, the secret's hash, offices,
     * created_at) and seal_seq, the number of the audit record of the
     * write that sealed it.  Failures, lockouts and last_login are not
     * sealed: logins change them.
     */
    uint64_t            seal_seq;
    unsigned char       seal[MADO_HASH_LEN];
    uint32_t            seal_state;     /* MADO_SEAL_* */
} mado_account_t;

#define MADO_SEAL_NONE          0       /* no seal: made before seals */
#define MADO_SEAL_UNCHECKED     1       /* a seal; no key to check it */
#define MADO_SEAL_OK            2
#define MADO_SEAL_BROKEN        3       /* changed outside mado, or copied
                                           under another id */
#define MADO_SEAL_UNREADABLE    4       /* its record does not open
                                           (mado_record_open): altered, or
                                           moved from another's place; it
                                           cannot be sealed again */

/* "ok", "none", "broken", "unreadable" or "unchecked" */
const char *mado_seal_name(uint32_t state);

int mado_role_parse(const char *name);
int mado_password_policy(const char *id, const char *password,
    mado_err_t *err);
int mado_password_set(mado_account_t *a, const char *password,
    mado_err_t *err);
int mado_password_check(const mado_account_t *a, const char *password);
/*
 * A test store ("madoctl init --test-store", meta "test_store" set when the
 * store is created and never after) takes passwords hashed with fewer
 * iterations, for fast tests; any other store refuses them (MADO_EINVAL)
 */
#define MADO_TEST_STORE_KEY         "test_store"
#define MADO_PBKDF2_ITERATIONS_MAX  10000000
int mado_password_set_iterations(mado_store_t *s, MDB_txn *txn,
    mado_account_t *a, const char *password, uint32_t iterations,
    mado_err_t *err);
/* in the first write of a new store only; MADO_EINVAL otherwise */
int mado_test_store_mark(mado_store_t *s, MDB_txn *txn, mado_err_t *err);
/* 1 for a test store; txn NULL: in a read transaction of its own */
int mado_test_store(mado_store_t *s, MDB_txn *txn);
/* a new token into token (MADO_TOKEN_LEN + 1 bytes); only its hash stays */
int mado_token_new(mado_account_t *a, char *token, mado_err_t *err);
int mado_token_check(const mado_account_t *a, const char *token);
/*
 * the feed account whose token this is (a feed's client sends the token
 * alone); MADO_ENOTFOUND if none.  Disabled accounts are found too: the
 * caller refuses them like a wrong token
 */
int mado_token_find(mado_store_t *s, MDB_txn *txn, const char *token,
    mado_account_t *a, mado_err_t *err);
void mado_login_ok(mado_account_t *a, int64_t now);
/* may a change the counters of office (enabled, admin or granted) */
int mado_account_may(const mado_account_t *a, const char *office);
/*
 * With the audit key loaded, an account whose seal is missing or does not
 * match is MADO_ESEAL (logins refuse it), a filled in all the same
 */
int mado_account_get(mado_store_t *s, MDB_txn *txn, const char *id,
    mado_account_t *a, mado_err_t *err);
/*
 * Sealed under the key (MADO_ESTORE without it), with seal_seq the next
 * audit record: the write's own record must follow in its transaction
 */
int mado_account_put(mado_store_t *s, MDB_txn *txn, const mado_account_t *a,
    mado_err_t *err);
/* sessions of the update API: "mado_s_" and 64 hex digits */
#define MADO_SESSION_TOKEN_LEN  (7 + 2 * MADO_TOKEN_BYTES)
int mado_session_new(mado_store_t *s, MDB_txn *txn, const char *user,
    int64_t now, char *token, mado_err_t *err);
/* user (MADO_ID_MAX + 1) of a live session; MADO_ENOTFOUND otherwise */
int mado_session_check(mado_store_t *s, MDB_txn *txn, const char *token,
    int64_t now, int64_t idle, int64_t absolute, char *user,
    mado_err_t *err);
int mado_session_end(mado_store_t *s, MDB_txn *txn, const char *token,
    mado_err_t *err);
/* the CSRF token of a browser session: 64 hex digits and a NUL */
#define MADO_CSRF_LEN           (2 * MADO_HASH_LEN)
int mado_session_csrf(const char *token, char *csrf);
/*
 * Idempotency-Key: the answer a user's request got, so that the same
 * request retried (a connection reset) is answered again, not applied
 * twice; kept MADO_IDEM_TTL, swept by "madoctl compact"
 */
#define MADO_IDEM_KEY_MAX       64
#define MADO_IDEM_TTL           86400
/*
 * fp: MADO_HASH_LEN bytes naming the request (its route and body); a key
 * already used for another request is MADO_EINVAL, not its old answer
 */
int mado_idem_get(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *key, const unsigned char *fp, int64_t now, uint32_t *status,
    char *body, size_t size, size_t *len, mado_err_t *err);
int mado_idem_put(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *key, const unsigned char *fp, int64_t now, uint32_t status,
    const char *body, size_t len, mado_err_t *err);
int mado_idem_sweep(mado_store_t *s, MDB_txn *txn, int64_t now, uint64_t *n,
    mado_err_t *err);
/*
 * Failed logins per client address: from MADO_CLIENT_FAILURES within
 * MADO_CLIENT_WINDOW seconds the address waits (60 s, doubling, at most
 * an hour) whichever accounts it tries
 */
#define MADO_CLIENT_FAILURES    20
#define MADO_CLIENT_WINDOW      900
/* seconds the address must still wait; 0: it may try */
int64_t mado_client_locked(mado_store_t *s, MDB_txn *txn, const char *addr,
    int64_t now);
int mado_client_failed(mado_store_t *s, MDB_txn *txn, const char *addr,
    int64_t now, int64_t *locked, mado_err_t *err);
/* each account, its seal_state set (checked when the key is loaded) */
int mado_account_each(mado_store_t *s, MDB_txn *txn,
    int (*fn)(const mado_account_t *a, void *arg), void *arg,
    mado_err_t *err);
/*
 * audit verify: every account against its seal and the trail (intact,
 * checked first): a seal missing or broken, an older sealed copy put back
 * (a later user.* record names the account), an account the trail made
 * that is gone.  fn gets each finding; n: the accounts
 */
typedef void (*mado_account_finding_pt)(const char *id, const char *why,
    void *arg);
int mado_account_verify(mado_store_t *s, MDB_txn *txn,
    mado_account_finding_pt fn, void *arg, uint64_t *n, uint64_t *bad,
    mado_err_t *err);

/*
 * Retention (mado_retention.c): what identifies people is kept no longer
 * than it serves.  A session goes when it expires, at logout, and when its
 * account's password changes or the account is disabled; an address's
 * failed logins once their window and wait are over; the counts that
 * limit the audit of refusals once their window is over.  "madoctl
 * compact" sweeps every such record, and each login a few.
 */
#define MADO_SESSION_IDLE       (30 * 60)
#define MADO_SESSION_MAX        (12 * 3600)
#define MADO_SWEEP_STEP         32      /* records of each kind a login
                                           looks at */

typedef struct {
    uint64_t            sessions;
    uint64_t            clients;
    uint64_t            refusals;
} mado_sweep_stats_t;

/* the expired records; step 0: all of them, else that many of each kind
   looked at from a random place */
int mado_sweep(mado_store_t *s, MDB_txn *txn, int64_t now, unsigned step,
    mado_sweep_stats_t *st, mado_err_t *err);
/* every session of user but the one of token keep (NULL: none); n ended */
int mado_session_end_user(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *keep, uint64_t *n, mado_err_t *err);
/*
 * A user id typed into a login that names no account is audited only as
 * this: HMAC-SHA-256 under the audit key, 16 hex digits and a NUL.  The
 * same id gives the same digits (a guessing run shows), and a password
 * typed into the user field is not kept.
 */
#define MADO_TRIED_LEN          16
void mado_tried_id(const mado_store_t *s, const char *id, char *out);
/*
 * Refusals of the update API (403, 429) are audited ("refused"), at most
 * MADO_REFUSALS_ADDR a minute from one address and MADO_REFUSALS_ALL an
 * hour from all: a flood cannot fill the store, and the error log has
 * every one.  due: 1 when one from client would be audited now
 */
#define MADO_REFUSALS_ADDR      2
#define MADO_REFUSALS_ALL       60
int mado_refusal_due(mado_store_t *s, MDB_txn *txn, const char *client,
    int64_t now);
/* the refusal's record when it is due (*written 1), counted */
int mado_refusal_audit(mado_store_t *s, MDB_txn *txn, int64_t now,
    const char *actor, const char *client, const char *office,
    const char *const *extra, int *written, mado_err_t *err);

/*
 * The limits of logins.  An attempt is counted as a failure before its
 * password is hashed, in the write transaction that checks the limits, so
 * that attempts sent at once meet the same limits as attempts sent one by
 * one; a right password takes its count back.  Three counts:
 *
 *   an account from one address  MADO_LOGIN_FAILURES within a day, then
 *                                it waits there 30 s, doubling to an hour
 *   an address, any accounts     MADO_CLIENT_FAILURES within
 *                                MADO_CLIENT_WINDOW: 60 s, doubling
 *   an account, any addresses    MADO_ACCOUNT_FAILURES within
 *                                MADO_ACCOUNT_WINDOW: 60 s, doubling
 *
 * An account that logged in from an address within MADO_LOGIN_TRUST is
 * held there by its own count only, and its failures there count nowhere
 * else: nobody elsewhere can lock staff out at their own counter.  Ids
 * that are no account are counted as accounts: the answers cannot tell.
 * An IPv6 address counts as its /64 (one subscriber's prefix).
 */
#define MADO_LOGIN_WINDOW       86400
#define MADO_ACCOUNT_FAILURES   50
#define MADO_ACCOUNT_WINDOW     3600
#define MADO_LOGIN_TRUST        (30 * 86400)

typedef enum {
    MADO_LIMIT_PAIR = 0,                /* the account from this address */
    MADO_LIMIT_ADDRESS,
    MADO_LIMIT_ACCOUNT,
    MADO_NLIMITS
} mado_limit_e;

typedef struct {
    int64_t             retry_after;    /* > 0: refused, not counted */
    mado_limit_e        held;           /* by which limit */
    unsigned            trusted:1;      /* a success here lately */
    unsigned            set;            /* (1 << limit): this attempt
                                           began a wait, if it fails */
    uint32_t            failures[MADO_NLIMITS];     /* with this one */
    int64_t             wait[MADO_NLIMITS];         /* the waits begun */
} mado_login_t;

/* before the hash: refused (l->retry_after), or counted as failed */
int mado_login_begin(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *addr, int64_t now, mado_login_t *l, mado_err_t *err);
/* the right password: its count taken back, the address trusted */
int mado_login_succeeded(mado_store_t *s, MDB_txn *txn, const char *user,
    const char *addr, int64_t now, const mado_login_t *l, mado_err_t *err);
/* every count of an account forgotten (user enable, passwd) */
int mado_login_forget(mado_store_t *s, MDB_txn *txn, const char *user,
    mado_err_t *err);
/* the account's count from every address, and until when it waits */
void mado_login_state(mado_store_t *s, MDB_txn *txn, const char *user,
    int64_t now, uint32_t *failures, int64_t *until);
/* records whose counts, waits and trust have all run out (compact) */
int mado_login_sweep(mado_store_t *s, MDB_txn *txn, int64_t now,
    uint64_t *n, mado_err_t *err);


/* -------------------------------------- 14. the update API (mado_update.c) */

/*
 * The update API's messages (mado_update.c): what "madoctl --server"
 * sends and the module reads, and the module's answers, in one codec.
 */

/* the routes; the module's request fingerprints hash these numbers */
typedef enum {
    MADO_UPDATE_LOGIN = 0,
    MADO_UPDATE_LOGOUT,
    MADO_UPDATE_SESSION,
    MADO_UPDATE_COUNTER,
    MADO_UPDATE_FEED
} mado_update_route_e;

#define MADO_UPDATE_DEPTH       4       /* nesting a body may have */

typedef struct {
    /* login */
    char                user[MADO_ID_MAX + 1];
    char                password[MADO_PASSWORD_MAX + 1];
    int                 session;    /* "session": 1 cookie, 0 bearer,
                                       -1 not given */
    /* counter: op.message points to message (when given) */
    mado_counter_op_t   op;
    char                message[MADO_MESSAGE_MAX + 1];
    char                notice[MADO_ID_MAX + 1];    /* op.notice */
} mado_update_req_t;

/* a counter update, and a login, as a JSON object */
void mado_update_encode(yajl_gen g, const mado_counter_op_t *op);
void mado_update_login_encode(yajl_gen g, const char *user,
    const char *password);
/*
 * The body of a request on route (not a feed's: mado_feed_body) into req:
 * len bytes, a JSON object nesting at most MADO_UPDATE_DEPTH deep (logout
 * and session: none at all will do).  MADO_EINVAL when it is refused, err
 * then the message of the 400 answer, naming the field ("staff: must be
 * a whole number 0..99").  The caller wipes req->password.
 */
int mado_update_decode(mado_update_route_e route, const char *body,
    size_t len, mado_update_req_t *req, mado_err_t *err);
/*
 * The answers: a counter's new state and the ticket its change issued or
 * called, and a feed batch's counts and changed counters, into buf; their
 * length, 0 if they do not fit
 */
size_t mado_update_answer(char *buf, size_t size, const char *office,
    const char *counter, uint32_t ticket, const mado_counter_state_t *st);
size_t mado_feed_answer(char *buf, size_t size, const mado_feed_batch_t *b,
    size_t events);
/* the state and ticket of a counter's answer (a NUL-terminated body); -1
   if it is not one */
int mado_update_answer_parse(const char *json, mado_counter_state_t *st,
    uint32_t *ticket);


/* ---------------------------------- 15. the schema's codec (mado_schema.c) */

/*
 * The schema's codec (mado_schema.c): every key and value of every
 * database is built and read there, and nowhere else.
 *
 * Numbers in values are in the host's byte order, as LMDB keeps its own
 * pages (a store is not moved between machines of other byte orders);
 * numbers in keys are big endian, so that keys sort by them.  Values are
 * read with memcpy: LMDB does not align them.  t/unit/test_schema.c pins
 * every layout below to literal bytes.
 */

/* room for any key of the store (the longest, idem, is 97 bytes) */
#define MADO_KEY_MAX            128

void mado_be16_put(unsigned char *p, uint16_t v);
uint16_t mado_be16_get(const unsigned char *p);
void mado_be64_put(unsigned char *p, uint64_t v);
uint64_t mado_be64_get(const unsigned char *p);

/* n bytes as 2n lower-case hex digits and a NUL */
void mado_hex(const unsigned char *p, size_t n, char *out);
/* exactly 2n hex digits into n bytes; -1 if s is not that */
int mado_unhex(const char *s, unsigned char *p, size_t n);

/* meta: fixed keys */
#define MADO_META_SCHEMA        "schema"        /* decimal text */
#define MADO_META_OFFICES       "offices"       /* ids, each and '\n' */
#define MADO_META_LOADED_AT     "loaded_at"     /* decimal unix time */
#define MADO_META_AUDIT_HEAD    "audit_head"    /* mado_audit_head_t */
#define MADO_META_RETIRED       "retired"       /* text: why, when, where
                                                   the store went
                                                   (mado_backup.c) */

/* decimal text of n (schema, loaded_at) into buf (>= 24 bytes) */
size_t mado_meta_number(int64_t n, char *buf);
/* the office list: each office's id and '\n', into buf
   (noffices * (MADO_ID_MAX + 1) bytes); its length */
size_t mado_meta_offices(const mado_offices_t *all, char *buf);
/* the ids of a stored list (ids of bad length are skipped) */
unsigned mado_meta_offices_parse(const char *v, size_t len,
    char ids[][MADO_ID_MAX + 1], unsigned max);

/*
 * office: the key is the id; the value is the definition as canonical
 * JSON (mado_office_to_json, mado_office_parse: the codec of offices.json)
 */

/*
 * state: OFFICE\0CTR (no NUL after CTR) -> size (u32: the offset of the
 * message, MADO_STATE_FIXED when written by this version), status,
 * waiting, calling, last_issued, served_today, staff (u32 each),
 * updated_at (i64), message_len (u32); then fields added later, which
 * read as 0 from records too short for them: issued_at, called_at,
 * busy_from (i64 each), svc_ms, svc_n (u32 each), recent_n (u32),
 * recent_number (MADO_RECENT_MAX u32), recent_at (MADO_RECENT_MAX i64);
 * notice (32 bytes, NUL-padded: the preset notice's id); then the message
 */
#define MADO_STATE_FIXED        (4 + 6 * 4 + 8 + 4 + 8 + 8 + 8 + 4 + 4       \
                                 + 4 + MADO_RECENT_MAX * (4 + 8) + MADO_ID_MAX)

size_t mado_state_key(const char *office, const char *counter,
    unsigned char *key);
/* office and counter (MADO_ID_MAX + 1 each) of a key; -1 if garbled */
int mado_state_key_parse(const void *key, size_t len, char *office,
    char *counter);
/* into buf (MADO_STATE_FIXED + MADO_MESSAGE_MAX bytes); its length */
size_t mado_state_encode(const mado_counter_state_t *st, unsigned char *buf);
/* -1 if garbled; a status out of range reads as closed */
int mado_state_decode(const void *v, size_t len, mado_counter_state_t *st);

/*
 * ticket: OFFICE\0CTR\0N (N: be16) -> a number's day (mado_ticket.c):
 * date (i32), minute (u32; were zeros), issued_at, call_seen,
 * cancel_seen, call_prev, cancel_prev (i64); the last two were appended:
 * a record without them reads them as 0, and older code reads the first
 * five
 */
typedef struct {
    mado_date_t         date;
    uint32_t            minute;         /* which times were put from a
                                           minute stamp (mado_ticket.c) */
    int64_t             issued_at;      /* its current round; 0 = none */
    int64_t             call_seen;      /* the latest call seen */
    int64_t             cancel_seen;    /* the latest cancel seen */
    /* the call and cancel seen before those (or the settled round's
       last): when the latest was the next round's, read before its
       issue, the settled round keeps these */
    int64_t             call_prev;
    int64_t             cancel_prev;
} mado_ticket_t;

#define MADO_TICKET_SIZE        (4 + 4 + 5 * 8)
#define MADO_TICKET_SIZE_1      (4 + 4 + 3 * 8)     /* before call_prev */

size_t mado_ticket_key(const char *office, const char *counter,
    uint32_t ticket, unsigned char *key);
void mado_ticket_encode(const mado_ticket_t *t, unsigned char *buf);
/* -1 if too short (the caller starts the number afresh) */
int mado_ticket_decode(const void *v, size_t len, mado_ticket_t *t);

/*
 * feed: OFFICE\0FP (FP: 16 hex digits) -> offset, line, events, bad
 * (u64 each), updated_at (i64)
 */
#define MADO_CURSOR_SIZE        (5 * 8)

/*
 * feed: OFFICE\0@SNAME (S: MADO_FEED_FILE or MADO_FEED_HTTP; NAME without
 * NUL; '@' is no hex digit, so no cursor's key) -> applied, duplicate,
 * old, bad (u64 each), batch_at, event_at, bad_at (i64 each)
 */
#define MADO_FEED_STAT_SIZE     (7 * 8)

size_t mado_feed_stat_key(const char *office, int source, const char *name,
    unsigned char *key);
/* the source and name of a key of an office of lo bytes; -1 if not one */
int mado_feed_stat_key_parse(const void *key, size_t klen, size_t lo,
    int *source, char *name);
void mado_feed_stat_encode(const mado_feed_stat_t *st, unsigned char *buf);
/* -1 if too short; fields a later version appends are ignored */
int mado_feed_stat_decode(const void *v, size_t len, mado_feed_stat_t *st);

size_t mado_cursor_key(const char *office, const char *fp,
    unsigned char *key);
void mado_cursor_encode(const mado_feed_cursor_t *cur, unsigned char *buf);
int mado_cursor_decode(const void *v, size_t len, mado_feed_cursor_t *cur);

/*
 * event: OFFICE\0T N (T: be64 unix time, N: be16, the order within the
 * second) -> type, status (u8 each), ticket, waiting, staff (u16 each),
 * served (u32), wait (i32); then the counter's id (no NUL)
 */
#define MADO_EVENT_FIXED        (1 + 1 + 2 + 2 + 2 + 4 + 4)
#define MADO_EVENT_KEY_LEN(lo)  ((lo) + 11)

size_t mado_event_key(const char *office, int64_t t, unsigned seq,
    unsigned char *key);
/* OFFICE\0: where an office's events and samples begin */
size_t mado_office_key_prefix(const char *office, unsigned char *key);
/* 1 if key is of office's (lo bytes) events and holds a time */
int mado_event_key_in(const void *key, size_t klen, const char *office,
    size_t lo);
/* the time and order of an event key of an office of lo bytes */
int64_t mado_event_key_time(const void *key, size_t lo);
unsigned mado_event_key_seq(const void *key, size_t lo);
/* into buf (MADO_EVENT_FIXED + MADO_ID_MAX); its length */
size_t mado_event_encode(const mado_event_t *ev, unsigned char *buf);
/* the value and time of an event key of an office of lo bytes; -1 if
   either is garbled or the type unknown */
int mado_event_decode(const void *k, size_t klen, size_t lo, const void *v,
    size_t len, mado_event_t *ev);

/*
 * sample: OFFICE\0CTR\0T (T: be64) -> status, waiting, calling, served,
 * staff (u32 each), wait (i32), 4 bytes of zeros
 *
 * hourly: OFFICE\0CTR\0H (H: be64, the hour's start: a sample key) ->
 * issued, served, cancelled, waits, wait_max, samples, waiting_max,
 * iwaits (32 bits each), wait_sum, waiting_sum, iwait_sum (64 bits each)
 */
#define MADO_SAMPLE_SIZE        (6 * 4 + 4)
#define MADO_HOURLY_SIZE        (8 * 4 + 3 * 8)
#define MADO_SAMPLE_KEY_LEN(lo, lc)  ((lo) + (lc) + 10)

size_t mado_sample_key(const char *office, const char *counter, int64_t t,
    unsigned char *key);
/* the key just past all of a counter's samples: OFFICE\0CTR\1 */
size_t mado_sample_key_past(const char *office, const char *counter,
    unsigned char *key);
/* the counter (MADO_ID_MAX + 1) of a sample or hourly key of office (lo
   bytes); -1 if the key is not one of the office's */
int mado_sample_key_counter(const void *key, size_t klen, const char *office,
    size_t lo, char *counter);
/* the time at the end of a sample or hourly key */
int64_t mado_sample_key_time(const void *key, size_t klen);
void mado_sample_encode(const mado_sample_t *sm, unsigned char *buf);
/* time from the key; a value too short reads as nothing known */
void mado_sample_decode(const void *k, size_t klen, const void *v,
    size_t len, mado_sample_t *sm);
void mado_hour_encode(const mado_hour_t *h, unsigned char *buf);
/* -1 if too short */
int mado_hour_decode(const void *v, size_t len, mado_hour_t *h);

/*
 * audit: N (be64) -> the record's MAC (MADO_AUDIT_MAC_LEN) and its JSON,
 * sealed (mado_record_seal; schema 1: in clear)
 * meta "audit_head" -> last N (be64), its MAC, the head's own MAC
 */
#define MADO_AUDIT_MAC_LEN      32
#define MADO_AUDIT_HEAD_SIZE    (8 + 2 * MADO_AUDIT_MAC_LEN)

typedef struct {
    uint64_t            seq;
    unsigned char       mac[MADO_AUDIT_MAC_LEN];
    unsigned char       head_mac[MADO_AUDIT_MAC_LEN];
} mado_audit_head_t;

void mado_audit_key(uint64_t seq, unsigned char *key);
/* -1 if the key is not 8 bytes */
int mado_audit_key_decode(const void *key, size_t len, uint64_t *seq);
/* into buf (MADO_AUDIT_MAC_LEN + len); its length */
size_t mado_audit_record_encode(const unsigned char *mac, const char *json,
    size_t len, unsigned char *buf);
/* -1 if shorter than a MAC */
int mado_audit_record_decode(const void *v, size_t len,
    const unsigned char **mac, const char **json, size_t *jlen);
void mado_audit_head_encode(const mado_audit_head_t *h, unsigned char *buf);
int mado_audit_head_decode(const void *v, size_t len, mado_audit_head_t *h);

/*
 * account: L(ID) (schema 1: ID) -> the account as a JSON object (hashes
 * in hex), so that fields can be added without a new schema, sealed
 * (schema 1: in clear).  The encoding is malloc'd (and holds the hashes:
 * cleanse it); the decoding -1 if garbled.
 */
char *mado_account_encode(const mado_account_t *a, size_t *len);
int mado_account_decode(const void *v, size_t len, mado_account_t *a);

/*
 * session: SHA-256(TOKEN) -> user (MADO_ID_MAX + 1 bytes, NUL padded),
 * created, seen (i64 each), sealed (mado_record_seal; schema 1: in
 * clear).  The store never holds a usable token.
 */
#define MADO_SESSION_SIZE       (MADO_ID_MAX + 1 + 8 + 8)

typedef struct {
    char                user[MADO_ID_MAX + 1];
    int64_t             created;
    int64_t             seen;
} mado_session_t;

/* key: MADO_HASH_LEN bytes; -1 if hashing failed */
int mado_session_key(const char *token, unsigned char *key);
void mado_session_encode(const mado_session_t *se, unsigned char *buf);
int mado_session_decode(const void *v, size_t len, mado_session_t *se);
/* a stored record k, v: opened (mado_record_open) and decoded; -1 if
   garbled or it does not open */
int mado_session_value(const mado_store_t *s, const MDB_val *k,
    const MDB_val *v, mado_session_t *se);

/*
 * idem: L(USER\0KEY) -> created (i64), status (u32), the request's
 * fingerprint (MADO_HASH_LEN), then the answer's bytes
 */
#define MADO_IDEM_FIXED         (8 + 4 + MADO_HASH_LEN)
#define MADO_IDEM_BODY_MAX      4096

typedef struct {
    int64_t             created;
    uint32_t            status;
    unsigned char       fp[MADO_HASH_LEN];
    const char         *body;       /* in the value */
    size_t              len;
} mado_idem_t;

size_t mado_idem_key(const char *user, const char *key, unsigned char *out);
/* into buf (MADO_IDEM_FIXED + MADO_IDEM_BODY_MAX; a longer answer is
   cut); its length */
size_t mado_idem_encode(const mado_idem_t *id, unsigned char *buf);
int mado_idem_decode(const void *v, size_t len, mado_idem_t *id);
/* only the time it was made (the sweep): -1 if not even that */
int mado_idem_created(const void *v, size_t len, int64_t *created);

/*
 * clientfail: L(ADDRESS) -> failures (u32), the window's start, locked
 * until (i64 each)
 */
#define MADO_CLIENT_SIZE        (4 + 8 + 8)

typedef struct {
    uint32_t            failures;
    int64_t             since;
    int64_t             until;
} mado_clientfail_t;

void mado_clientfail_encode(const mado_clientfail_t *cf, unsigned char *buf);
int mado_clientfail_decode(const void *v, size_t len, mado_clientfail_t *cf);

/*
 * refusal: L(ADDRESS), or "*" for all -> the window's start (i64), the
 * refusals audited in it (u32)
 */
#define MADO_REFUSAL_SIZE       (8 + 4)
#define MADO_REFUSAL_ALL_KEY    "*"

typedef struct {
    int64_t             since;
    uint32_t            audited;
} mado_refusal_t;

void mado_refusal_encode(const mado_refusal_t *rf, unsigned char *buf);
int mado_refusal_decode(const void *v, size_t len, mado_refusal_t *rf);

/*
 * login: T(USER) or T(USER)\0L(ADDRESS) -> failures (u32), the window's
 * start, waits until, the last success from the address (i64 each; 0:
 * none)
 */
#define MADO_LOGINFAIL_SIZE     (4 + 8 + 8 + 8)

typedef struct {
    uint32_t            failures;
    int64_t             since;
    int64_t             until;
    int64_t             ok;
} mado_loginfail_t;

void mado_loginfail_encode(const mado_loginfail_t *lf, unsigned char *buf);
int mado_loginfail_decode(const void *v, size_t len, mado_loginfail_t *lf);


/* ------------------------------------------------ 16. encryption (mado_crypt.c) */

/*
 * AES-256-GCM (OpenSSL EVP) of a buffer and of a file, for the store's
 * records here and for what other parts seal (backups, log archives);
 * HKDF-SHA-256 (RFC 5869) for keys of one purpose each.
 */
#define MADO_CRYPT_KEY_LEN      32
#define MADO_CRYPT_VERSION      1       /* AES-256-GCM, 96-bit nonce */
#define MADO_CRYPT_HEADER_LEN   4       /* 00 'm' version key-id */
#define MADO_CRYPT_NONCE_LEN    12
#define MADO_CRYPT_TAG_LEN      16
#define MADO_CRYPT_OVERHEAD                                                   \
    (MADO_CRYPT_HEADER_LEN + MADO_CRYPT_NONCE_LEN + MADO_CRYPT_TAG_LEN)

/* key ids in a sealed buffer's header: which key opens it */
#define MADO_KID_STORE          1       /* the store's seal key */

/* HKDF-SHA-256 of key (salt may be NULL) with info label; -1 on failure */
int mado_crypt_derive(const unsigned char *key, size_t klen,
    const unsigned char *salt, size_t slen, const char *label,
    unsigned char *out, size_t olen);
/* 1 if in looks like a sealed buffer (its header), else 0 */
int mado_crypt_sealed(const void *in, size_t len);
/* the key id of a sealed buffer, -1 if it is none */
int mado_crypt_kid(const void *in, size_t len);
/*
 * len bytes of in sealed under key (MADO_CRYPT_KEY_LEN) with associated
 * data aad, into out (len + MADO_CRYPT_OVERHEAD bytes), a random nonce
 * each time; -1 on failure
 */
int mado_crypt_seal(const unsigned char *key, unsigned kid, const void *aad,
    size_t alen, const void *in, size_t len, unsigned char *out);
/*
 * a sealed buffer opened into out (len - MADO_CRYPT_OVERHEAD bytes), *olen
 * its length; -1 if it is not one, is cut, was altered, or another key or
 * other associated data were used (out is then wiped)
 */
int mado_crypt_open(const unsigned char *key, const void *aad, size_t alen,
    const void *in, size_t len, unsigned char *out, size_t *olen);

/*
 * A file sealed (in to out, both streamed): a header ("MADOENC", version,
 * key id, chunk size, a random salt), then chunks of 64 KiB each sealed
 * under a key of the file's own (mado_crypt.c has the layout and why).
 * Opening writes only chunks that opened; a file that does not open
 * (MADO_EINVAL: not one, another key, altered, cut, added to) may have
 * written some: write to a temporary file, keep it on MADO_OK only.
 */
#define MADO_FILE_SALT_LEN      32
#define MADO_FILE_HEADER_LEN    (8 + 4 + MADO_FILE_SALT_LEN)
#define MADO_FILE_CHUNK_LOG2    16
#define MADO_FILE_CHUNK_LOG2_MIN 10     /* what a reader accepts */
#define MADO_FILE_CHUNK_LOG2_MAX 24

int mado_crypt_seal_fd(const unsigned char *key, unsigned kid, int in,
    int out, mado_err_t *err);
int mado_crypt_open_fd(const unsigned char *key, int in, int out,
    mado_err_t *err);

/*
 * The store's keys: audit_key as key (from the file outside the store),
 * and sub-keys derived from it with HKDF, one a purpose, so that no key
 * serves two: seal_key (AES-256-GCM of records, "mado store seal v1") and
 * lookup_key (HMAC-SHA-256 of keys, "mado store lookup v1"); s->audit
 * set.  The audit trail's MACs, the anchor and the accounts' seals keep
 * their own (mado_audit.c, mado_account.c).  MADO_ESTORE if HKDF fails.
 */
int mado_store_keys(mado_store_t *s, const unsigned char *key,
    mado_err_t *err);

/*
 * What names people and is only looked up or counted, never shown
 * (addresses as keys of counts, account ids as keys, Idempotency-Keys):
 * a keyed hash, L(x) = 00 | the first 16 bytes of HMAC-SHA-256(lookup_key,
 * what | 00 | x); what names the use ("client", "refusal", "login",
 * "account", "idem").  The leading NUL tells it from the text older
 * versions kept.
 */
#define MADO_LOOKUP_LEN         17

void mado_lookup(const mado_store_t *s, const char *what, const void *data,
    size_t len, unsigned char *out);
/* 1 if a key (or the part of one) is a lookup, not text kept in clear */
int mado_lookup_is(const void *key, size_t len);

/*
 * What names people and is shown back (an audit record's actor and
 * client, an account, a session's user) is sealed: AES-256-GCM under
 * seal_key, the associated data the database's name, a NUL and the
 * record's key, so that a value moved to another key does not open.
 * out: len + MADO_CRYPT_OVERHEAD bytes.
 */
int mado_record_seal(const mado_store_t *s, const char *db, const void *key,
    size_t klen, const void *in, size_t len, unsigned char *out,
    size_t *olen, mado_err_t *err);
/*
 * A record's value opened into out (len bytes will do): MADO_OK;
 * MADO_ENOTFOUND when it is not sealed (kept in clear by schema 1: out
 * holds it as it is); MADO_ESEAL when it does not open (altered, moved,
 * another key) or there is no key
 */
int mado_record_open(const mado_store_t *s, const char *db, const void *key,
    size_t klen, const void *in, size_t len, unsigned char *out,
    size_t *olen);

/*
 * "madoctl compact": what older versions kept in clear, sealed or
 * hashed, at most max records a call (more: call again, in a new
 * transaction).  Audit records keep their MACs, which are over the JSON
 * and not over what is stored: the chain, the head and the anchor stay
 * as they were.  Accounts keep their seals.  Accounts stored under an id
 * other than their own, and records whose sealed form already exists,
 * are left as they are (verify and "user list" show them).
 */
typedef struct {
    uint64_t            audit;      /* records sealed */
    uint64_t            accounts;
    uint64_t            sessions;
    uint64_t            keys;       /* keys of counts hashed */
    unsigned            more:1;
} mado_crypt_migrate_t;

int mado_crypt_migrate(mado_store_t *s, MDB_txn *txn, size_t max,
    mado_crypt_migrate_t *st, mado_err_t *err);


/* ----------------------------------------------- 17. backups (mado_backup.c) */

/*
 * A backup (madoctl backup, restore): a compacted copy of data.mdb
 * (mdb_env_copyfd2 with MDB_CP_COMPACT) followed by this trailer, the
 * whole sealed as one file (mado_crypt_seal_fd, key id MADO_KID_BACKUP)
 * under HKDF(audit key, "mado backup v1"): the trailer is authenticated
 * with the data, and without the audit key no backup opens.  The trailer
 * is at the end so that a restore opens the file straight into the new
 * data.mdb and cuts it off (ftruncate): MADO_BACKUP_TRAILER bytes of
 * "key=value\n" lines padded with '\n', its last 8 bytes the magic:
 *
 *   mado-backup 1                  format version
 *   schema=2                       the copy's schema version
 *   txnid=N                        the store's last transaction when the
 *                                  copy began (the copy holds it or a
 *                                  later one)
 *   time=ISO  unix=T               when it was made
 *   records=N                      entries of every database of the copy
 *   audit_seq=N audit_mac=HEX      the copy's audit head (0: none)
 *   size=BYTES                     the length of the copy before it
 *   ...padding...  "MADOBKP1"
 */
#define MADO_KID_BACKUP         2
#define MADO_BACKUP_VERSION     1
#define MADO_BACKUP_TRAILER     512
#define MADO_BACKUP_MAGIC       "MADOBKP1"
#define MADO_BACKUP_LABEL       "mado backup v1"

typedef struct {
    unsigned            version;
    unsigned            schema;
    uint64_t            txnid;
    int64_t             time;
    uint64_t            records;
    uint64_t            audit_seq;
    unsigned char       audit_mac[MADO_AUDIT_MAC_LEN];
    uint64_t            size;
} mado_backup_info_t;

/* the backup key of an audit key; -1 if HKDF fails */
int mado_backup_key(const unsigned char *audit_key, unsigned char *out);

/*
 * What a store directory holds, read with LMDB (MDB_RDONLY): its schema
 * version (0: none), the entries of all its databases, its audit head.
 * nolock: the directory is private to the caller (a copy being made or
 * checked): no lock file is made.
 */
int mado_store_census(const char *dir, int nolock, mado_backup_info_t *info,
    mado_err_t *err);

/*
 * A backup of the open store s into out (a file, written from where it
 * is): the compacted copy made in tmpdir (a private directory, removed
 * after), its census into info, the trailer, sealed under key (the
 * backup key).  The caller checks it (mado_backup_read) before keeping it.
 */
int mado_backup_write(mado_store_t *s, const unsigned char *key, int out,
    const char *tmpdir, int64_t now, mado_backup_info_t *info,
    mado_err_t *err);

/*
 * A backup in (from its start) opened into dir/data.mdb (dir: an empty
 * private directory; data.mdb made with mode), the trailer checked and
 * cut, the copy's census compared with it: MADO_OK and info;
 * MADO_EINVAL (not a backup, another key, damaged, cut, a census that
 * does not match) with err saying which; MADO_ESTORE for I/O.  Whether
 * this build reads its schema is mado_backup_schema's to say.  On failure dir/data.mdb may hold part of
 * it: the caller removes the directory.
 */
int mado_backup_read(const unsigned char *key, int in, const char *dir,
    unsigned mode, mado_backup_info_t *info, mado_err_t *err);

/* MADO_EINVAL, said, if this build does not read the backup's schema */
int mado_backup_schema(const mado_backup_info_t *info, mado_err_t *err);

/* the trailer's text (MADO_BACKUP_TRAILER bytes) and back; -1 if garbled */
void mado_backup_trailer(const mado_backup_info_t *info, unsigned char *buf);
int mado_backup_trailer_parse(const unsigned char *buf,
    mado_backup_info_t *info);

/*
 * (mado_store.c, which the module links too)
 * Restore's mark in the store it puts aside, in its write transaction
 * held across the exchange of the directories: why, for the error of
 * every later write (mado_store_write refuses the store)
 */
int mado_store_retire(mado_store_t *s, MDB_txn *txn, const char *why,
    mado_err_t *err);
/* 1 and why (if not NULL, len bytes) when txn's store is retired */
int mado_store_retired(mado_store_t *s, MDB_txn *txn, char *why, size_t len);

#endif /* MADO_STORE_H */
