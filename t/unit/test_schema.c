/*
 * The schema's codec (mado_schema.c): every key and value layout pinned
 * to literal bytes, so that a change to what is on disk cannot pass
 * unnoticed, and read back to what was written.  Stores written before
 * this codec existed must read the same: these bytes are theirs.
 */

#include "unit.h"


#define T           1795748400      /* 2026-11-27T12:00:00+09:00 */


/* ------------------------------------------------------------ literals */

static const unsigned char  state_value[] =
    "\xa8\x00\x00\x00"                  /* size: MADO_STATE_FIXED, 168 */
    "\x01\x00\x00\x00"                  /* status: paused */
    "\x11\x00\x00\x00"                  /* waiting */
    "\x22\x00\x00\x00"                  /* calling */
    "\x33\x00\x00\x00"                  /* last_issued */
    "\x44\x00\x00\x00"                  /* served_today */
    "\x05\x00\x00\x00"                  /* staff */
    "\x08\x07\x06\x05\x04\x03\x02\x01"  /* updated_at */
    "\x02\x00\x00\x00"                  /* message_len */
    "\x21\x00\x00\x00\x00\x00\x00\x00"  /* issued_at */
    "\x31\x00\x00\x00\x00\x00\x00\x00"  /* called_at */
    "\x41\x00\x00\x00\x00\x00\x00\x00"  /* busy_from */
    "\x54\x53\x52\x51"                  /* svc_ms */
    "\x07\x00\x00\x00"                  /* svc_n */
    "\x02\x00\x00\x00"                  /* recent_n */
    "\x29\x00\x00\x00" "\x28\x00\x00\x00"  /* recent_number[5] */
    "\x00\x00\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x00"
    "\x61\x00\x00\x00\x00\x00\x00\x00"  /* recent_at[5] */
    "\x60\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00"
    "away\0\0\0\0\0\0\0\0\0\0\0\0"          /* notice: 32 bytes, */
    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"      /* NUL-padded */
    "ok";                               /* the message */

static const unsigned char  ticket_value[] =
    "\x07\x29\x35\x01"                   /* date 20261127 */
    "\x02\x00\x00\x00"                   /* minute: the call */
    "\x30\xf2\x08\x6b\x00\x00\x00\x00"   /* issued_at */
    "\x6c\xf2\x08\x6b\x00\x00\x00\x00"   /* call_seen */
    "\x00\x00\x00\x00\x00\x00\x00\x00"   /* cancel_seen */
    "\x34\xf2\x08\x6b\x00\x00\x00\x00"   /* call_prev */
    "\x00\x00\x00\x00\x00\x00\x00\x00";  /* cancel_prev */

static const unsigned char  ticket_key[] =
    "kita\0"              /* office */
    "moving\0"            /* counter */
    "\x01\x02";           /* ticket 258, big endian */

static const unsigned char  cursor_value[] =
    "\x00\x10\x00\x00\x00\x00\x00\x00"   /* offset */
    "\x46\x00\x00\x00\x00\x00\x00\x00"   /* line */
    "\x41\x00\x00\x00\x00\x00\x00\x00"   /* events */
    "\x03\x00\x00\x00\x00\x00\x00\x00"   /* bad */
    "\x30\xf2\x08\x6b\x00\x00\x00\x00";  /* updated_at */

static const unsigned char  cursor_key[] =
    "kita\0"              /* office */
    "0123456789abcdef";   /* fingerprint */

static const unsigned char  feed_stat_key[] =
    "kita\0"              /* office */
    "@h"                  /* a feed of the update API */
    "kita-machine";       /* its account */

static const unsigned char  event_value[] =
    "\x01"                /* type: call */
    "\x00"                /* status: open */
    "\x02\x01"            /* ticket */
    "\x07\x00"            /* waiting */
    "\x02\x00"            /* staff */
    "\x28\x00\x00\x00"    /* served */
    "\xff\xff\xff\xff"    /* wait: unknown */
    "moving";             /* counter */

static const unsigned char  event_key[] =
    "kita\0"                            /* office */
    "\x00\x00\x00\x00\x6b\x08\xf2\x30"  /* time, big endian */
    "\x00\x03";                         /* order in the second */

static const unsigned char  sample_value[] =
    "\x02\x00\x00\x00"    /* status: closed */
    "\x09\x00\x00\x00"    /* waiting */
    "\x08\x00\x00\x00"    /* calling */
    "\x07\x00\x00\x00"    /* served */
    "\x01\x00\x00\x00"    /* staff */
    "\x58\x02\x00\x00"    /* wait */
    "\x00\x00\x00\x00";   /* zeros */

static const unsigned char  sample_key[] =
    "kita\0"                             /* office */
    "moving\0"                           /* counter */
    "\x00\x00\x00\x00\x6b\x08\xf2\x30";  /* time, big endian */

static const unsigned char  hourly_value[] =
    "\x01\x00\x00\x00"                   /* issued */
    "\x02\x00\x00\x00"                   /* served */
    "\x03\x00\x00\x00"                   /* cancelled */
    "\x04\x00\x00\x00"                   /* waits */
    "\x05\x00\x00\x00"                   /* wait_max */
    "\x06\x00\x00\x00"                   /* samples */
    "\x07\x00\x00\x00"                   /* waiting_max */
    "\x08\x00\x00\x00"                   /* iwaits */
    "\x09\x00\x00\x00\x00\x00\x00\x00"   /* wait_sum */
    "\x0a\x00\x00\x00\x00\x00\x00\x00"   /* waiting_sum */
    "\x0b\x00\x00\x00\x00\x00\x00\x00";  /* iwait_sum */

static const unsigned char  audit_head_value[] =
    /* the last record's number, big endian */
    "\x01\x02\x03\x04\x05\x06\x07\x08"
    /* its MAC */
    "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
    /* the head's MAC */
    "\x40\x41\x42\x43\x44\x45\x46\x47\x48\x49\x4a\x4b\x4c\x4d\x4e\x4f"
    "\x50\x51\x52\x53\x54\x55\x56\x57\x58\x59\x5a\x5b\x5c\x5d\x5e\x5f";

static const unsigned char  session_value[] =
    /* the user, NUL padded to MADO_ID_MAX + 1 */
    "chief\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
    "\x30\xf2\x08\x6b\x00\x00\x00\x00"   /* created */
    "\x6c\xf2\x08\x6b\x00\x00\x00\x00";  /* seen */

/* SHA-256 of "mado_s_" and "ab" 32 times */
static const unsigned char  session_key[] =
    "\x87\x1e\x26\xcc\xc4\x45\xc5\xd5\x8e\xe1\x81\x4f\xb7\x39\x3a\xd0"
    "\x62\x2c\x1b\xdc\xad\x52\xdc\xb7\xbb\xf1\xa1\xb4\x73\x53\x01\xcf";

static const unsigned char  idem_value[] =
    "\x30\xf2\x08\x6b\x00\x00\x00\x00"   /* created */
    "\xc8\x00\x00\x00"                   /* status */
    /* the request's fingerprint */
    "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
    "{\"a\":1}";                         /* the answer */

static const unsigned char  clientfail_value[] =
    "\x14\x00\x00\x00"                   /* failures */
    "\x30\xf2\x08\x6b\x00\x00\x00\x00"   /* window start */
    "\x6c\xf2\x08\x6b\x00\x00\x00\x00";  /* locked until */

static const unsigned char  refusal_value[] =
    "\x30\xf2\x08\x6b\x00\x00\x00\x00"   /* window start */
    "\x02\x00\x00\x00";                  /* audited in it */
static const unsigned char  loginfail_value[] =
    "\x05\x00\x00\x00"                   /* failures */
    "\x30\xf2\x08\x6b\x00\x00\x00\x00"   /* window start */
    "\x4e\xf2\x08\x6b\x00\x00\x00\x00"   /* waits until */
    "\x30\xa7\x08\x6b\x00\x00\x00\x00";  /* the last success */


/* ------------------------------------------------------------ helpers */

static void
test_helpers(void)
{
    char           hex[2 * 4 + 1];
    unsigned char  b[8], raw[4] = { 0x00, 0x7f, 0xa0, 0xff };

    mado_be16_put(b, 0x0102);
    CHECK_BYTES(b, 2, "\x01\x02");
    CHECK_INT(mado_be16_get((const unsigned char *) "\xfe\x01"), 0xfe01);

    mado_be64_put(b, 0x0102030405060708ULL);
    CHECK_BYTES(b, 8, "\x01\x02\x03\x04\x05\x06\x07\x08");
    CHECK(mado_be64_get((const unsigned char *) "\xff\x00\x00\x00\x00\x00"
                        "\x00\x01")
          == 0xff00000000000001ULL);

    mado_hex(raw, sizeof(raw), hex);
    CHECK_STR(hex, "007fa0ff");
    memset(b, 0, sizeof(b));
    CHECK_INT(mado_unhex("007fa0ff", b, 4), 0);
    CHECK_BYTES(b, 4, "\x00\x7f\xa0\xff");
    CHECK_INT(mado_unhex("007fa0f", b, 4), -1);
    CHECK_INT(mado_unhex(NULL, b, 4), -1);
}


/* ------------------------------------------------------------ meta */

static void
test_meta(void)
{
    char            buf[3 * (MADO_ID_MAX + 1)], num[24];
    char            ids[4][MADO_ID_MAX + 1];
    size_t          n;
    mado_offices_t  all;
    mado_office_def_t  o[2];

    static const char  odd[] = "a\n\n0123456789012345678901234567890123\nb";

    CHECK_BYTES(num, mado_meta_number(MADO_SCHEMA_VERSION, num), "2");
    CHECK_BYTES(num, mado_meta_number(T, num), "1795748400");

    memset(o, 0, sizeof(o));
    strcpy(o[0].id, "kita");
    strcpy(o[1].id, "sakyo");
    all.offices = o;
    all.noffices = 2;

    n = mado_meta_offices(&all, buf);
    CHECK_BYTES(buf, n, "kita\nsakyo\n");

    CHECK_INT(mado_meta_offices_parse(buf, n, ids, 4), 2);
    CHECK_STR(ids[0], "kita");
    CHECK_STR(ids[1], "sakyo");

    /* an empty line and one too long are skipped; no end of line needed */
    CHECK_INT(mado_meta_offices_parse(odd, sizeof(odd) - 1, ids, 4), 2);
    CHECK_STR(ids[1], "b");
    CHECK_INT(mado_meta_offices_parse(buf, n, ids, 1), 1);
}


/* ------------------------------------------------------------ state */

static void
test_state(void)
{
    size_t                n;
    char                  office[MADO_ID_MAX + 1], counter[MADO_ID_MAX + 1];
    unsigned char         key[MADO_KEY_MAX];
    unsigned char         buf[MADO_STATE_FIXED + MADO_MESSAGE_MAX];
    unsigned char         old[MADO_STATE_FIXED + MADO_MESSAGE_MAX];
    mado_counter_state_t  st, back;

    n = mado_state_key("kita", "moving", key);
    CHECK_BYTES(key, n, "kita\0moving");
    CHECK_INT(mado_state_key_parse(key, n, office, counter), 0);
    CHECK_STR(office, "kita");
    CHECK_STR(counter, "moving");
    CHECK_INT(mado_state_key_parse("kita", 4, office, counter), -1);
    CHECK_INT(mado_state_key_parse("kita\0mo\0v", 10, office, counter), -1);

    memset(&st, 0, sizeof(st));
    st.status = MADO_STATUS_PAUSED;
    st.waiting = 0x11;
    st.calling = 0x22;
    st.last_issued = 0x33;
    st.served_today = 0x44;
    st.staff = 5;
    st.updated_at = 0x0102030405060708LL;
    st.issued_at = 0x21;
    st.called_at = 0x31;
    st.busy_from = 0x41;
    st.svc_ms = 0x51525354;
    st.svc_n = 7;
    st.recent_n = 2;
    st.recent_number[0] = 0x29;
    st.recent_number[1] = 0x28;
    st.recent_at[0] = 0x61;
    st.recent_at[1] = 0x60;
    st.message_len = 2;
    strcpy(st.message, "ok");
    strcpy(st.notice, "away");

    n = mado_state_encode(&st, buf);

    if (unit_little_endian()) {
        CHECK_BYTES(buf, n, state_value);
    }

    CHECK_INT(mado_state_decode(buf, n, &back), 0);
    CHECK(memcmp(&st, &back, sizeof(st)) == 0);

    /*
     * A record of the first version: size 40, the counts, updated_at and
     * the message's length; what came later reads 0
     */
    memcpy(old, buf, 40);
    old[0] = 40;
    memcpy(old + 40, "abc", 3);
    old[36] = 3;
    CHECK_INT(mado_state_decode(old, sizeof(old), &back), 0);
    CHECK_INT(back.waiting, 0x11);
    CHECK(back.updated_at == 0x0102030405060708LL);
    CHECK_INT(back.issued_at, 0);
    CHECK_INT(back.svc_n, 0);
    CHECK_STR(back.notice, "");
    CHECK_STR(back.message, "abc");

    /* a record of the version before the recent calls: size 72, none */
    memcpy(old, buf, 72);
    old[0] = 72;
    memcpy(old + 72, "abc", 3);
    old[36] = 3;
    CHECK_INT(mado_state_decode(old, sizeof(old), &back), 0);
    CHECK_INT(back.svc_n, 7);
    CHECK_INT(back.recent_n, 0);
    CHECK_STR(back.message, "abc");

    /* more recent calls than kept: as many as kept */
    memcpy(old, buf, n);
    old[72] = MADO_RECENT_MAX + 3;
    CHECK_INT(mado_state_decode(old, n, &back), 0);
    CHECK_INT(back.recent_n, MADO_RECENT_MAX);

    /* garbled: too short, a size past the value, a message past it */
    CHECK_INT(mado_state_decode(buf, 3, &back), -1);
    CHECK_INT(mado_state_decode(buf, MADO_STATE_FIXED - 1, &back), -1);
    CHECK_INT(mado_state_decode(buf, MADO_STATE_FIXED + 1, &back), 0);
    CHECK_INT(back.message_len, 0);

    /* a status no version wrote reads closed */
    buf[4] = 9;
    CHECK_INT(mado_state_decode(buf, n, &back), 0);
    CHECK_INT(back.status, MADO_STATUS_CLOSED);

    /* a message longer than allowed is cut */
    st.message_len = MADO_MESSAGE_MAX + 5;
    CHECK_INT(mado_state_encode(&st, buf), MADO_STATE_FIXED + MADO_MESSAGE_MAX);
}


/* ------------------------------------------------------------ feed */

static void
test_ticket_cursor(void)
{
    size_t              n;
    unsigned char       key[MADO_KEY_MAX], buf[MADO_TICKET_SIZE];
    unsigned char       cbuf[MADO_CURSOR_SIZE];
    mado_ticket_t       t, tb;
    mado_feed_cursor_t  c, cb;

    n = mado_ticket_key("kita", "moving", 258, key);
    CHECK_BYTES(key, n, ticket_key);

    t.date = 20261127;
    t.issued_at = T;
    t.call_seen = T + 60;
    t.cancel_seen = 0;
    t.call_prev = T + 4;
    t.cancel_prev = 0;
    t.minute = 1 << MADO_EV_CALL;
    mado_ticket_encode(&t, buf);

    if (unit_little_endian()) {
        CHECK_BYTES(buf, sizeof(buf), ticket_value);
    }

    CHECK_INT(mado_ticket_decode(buf, sizeof(buf), &tb), 0);
    CHECK(tb.date == t.date && tb.issued_at == t.issued_at
          && tb.call_seen == t.call_seen && tb.cancel_seen == 0
          && tb.call_prev == t.call_prev && tb.cancel_prev == 0
          && tb.minute == t.minute);

    /* a record written before call_prev and cancel_prev were appended */
    CHECK_INT(mado_ticket_decode(buf, MADO_TICKET_SIZE_1, &tb), 0);
    CHECK(tb.issued_at == t.issued_at && tb.call_seen == t.call_seen
          && tb.call_prev == 0 && tb.cancel_prev == 0);
    CHECK_INT(mado_ticket_decode(buf, MADO_TICKET_SIZE_1 - 1, &tb), -1);
    CHECK_INT(tb.issued_at, 0);

    n = mado_cursor_key("kita", "0123456789abcdef", key);
    CHECK_BYTES(key, n, cursor_key);

    c.offset = 4096;
    c.line = 70;
    c.events = 65;
    c.bad = 3;
    c.updated_at = T;
    mado_cursor_encode(&c, cbuf);

    if (unit_little_endian()) {
        CHECK_BYTES(cbuf, sizeof(cbuf), cursor_value);
    }

    CHECK_INT(mado_cursor_decode(cbuf, sizeof(cbuf), &cb), 0);
    CHECK(memcmp(&c, &cb, sizeof(c)) == 0);
    CHECK_INT(mado_cursor_decode(cbuf, sizeof(cbuf) - 1, &cb), -1);
}


static void
test_feed_stat(void)
{
    int               source;
    size_t            n;
    char              name[MADO_ID_MAX + 1];
    mado_feed_stat_t  f, fb;
    unsigned char     key[MADO_KEY_MAX], buf[MADO_FEED_STAT_SIZE + 8];

    n = mado_feed_stat_key("kita", MADO_FEED_HTTP, "kita-machine", key);
    CHECK_BYTES(key, n, feed_stat_key);

    CHECK_INT(mado_feed_stat_key_parse(key, n, 4, &source, name), 0);
    CHECK_INT(source, MADO_FEED_HTTP);
    CHECK_STR(name, "kita-machine");

    /* a cursor's key (16 hex digits) is no feed's */
    n = mado_cursor_key("kita", "0123456789abcdef", key);
    CHECK_INT(mado_feed_stat_key_parse(key, n, 4, &source, name), -1);

    f.applied = 65;
    f.duplicate = 2;
    f.old = 1;
    f.bad = 3;
    f.batch_at = T;
    f.event_at = T - 500;
    f.bad_at = T - 60;
    mado_feed_stat_encode(&f, buf);

    CHECK_INT(mado_feed_stat_decode(buf, MADO_FEED_STAT_SIZE, &fb), 0);
    CHECK(memcmp(&f, &fb, sizeof(f)) == 0);

    /* fields a later version appends are skipped */
    memset(buf + MADO_FEED_STAT_SIZE, 0x55, 8);
    CHECK_INT(mado_feed_stat_decode(buf, sizeof(buf), &fb), 0);
    CHECK(memcmp(&f, &fb, sizeof(f)) == 0);

    CHECK_INT(mado_feed_stat_decode(buf, MADO_FEED_STAT_SIZE - 1, &fb), -1);
    CHECK_INT(fb.applied, 0);
}


/* ------------------------------------------------------------ history */

static void
test_event(void)
{
    size_t          n, vn;
    unsigned char   key[MADO_KEY_MAX], buf[MADO_EVENT_FIXED + MADO_ID_MAX];
    mado_event_t    ev, back;

    n = mado_event_key("kita", T, 3, key);
    CHECK_BYTES(key, n, event_key);
    CHECK_INT(n, MADO_EVENT_KEY_LEN(4));
    CHECK_INT(mado_event_key_time(key, 4), T);
    CHECK_INT(mado_event_key_seq(key, 4), 3);
    CHECK(mado_event_key_in(key, n, "kita", 4));
    CHECK(!mado_event_key_in(key, n, "kitb", 4));
    CHECK(!mado_event_key_in(key, 8, "kita", 4));

    /* keys sort by time, then order: a later second after all of this */
    n = mado_event_key("kita", T, 0xffff, key);
    CHECK(memcmp(key, event_key, n) > 0);
    mado_event_key("kita", T + 1, 0, buf);
    CHECK(memcmp(buf, key, n) > 0);

    memset(&ev, 0, sizeof(ev));
    ev.time = T;
    ev.type = MADO_HEV_CALL;
    ev.status = MADO_STATUS_OPEN;
    ev.ticket = 258;
    ev.waiting = 7;
    ev.staff = 2;
    ev.served = 40;
    ev.wait = -1;
    strcpy(ev.counter, "moving");

    vn = mado_event_encode(&ev, buf);

    if (unit_little_endian()) {
        CHECK_BYTES(buf, vn, event_value);
    }

    n = mado_event_key("kita", T, 3, key);
    CHECK_INT(mado_event_decode(key, n, 4, buf, vn, &back), 0);
    CHECK(memcmp(&ev, &back, sizeof(ev)) == 0);

    /* garbled: the key's length, a value too short, an unknown type */
    CHECK_INT(mado_event_decode(key, n - 1, 4, buf, vn, &back), -1);
    CHECK_INT(mado_event_decode(key, n, 4, buf, MADO_EVENT_FIXED - 1, &back),
              -1);
    buf[0] = MADO_NHEV;
    CHECK_INT(mado_event_decode(key, n, 4, buf, vn, &back), -1);
}


static void
test_sample_hour(void)
{
    size_t          n;
    char            counter[MADO_ID_MAX + 1];
    unsigned char   key[MADO_KEY_MAX], past[MADO_KEY_MAX];
    unsigned char   buf[MADO_SAMPLE_SIZE], hbuf[MADO_HOURLY_SIZE];
    mado_hour_t     h, hb;
    mado_sample_t   sm, back;

    n = mado_sample_key("kita", "moving", T, key);
    CHECK_BYTES(key, n, sample_key);
    CHECK_INT(n, MADO_SAMPLE_KEY_LEN(4, 6));
    CHECK_INT(mado_sample_key_time(key, n), T);
    CHECK_INT(mado_sample_key_counter(key, n, "kita", 4, counter), 0);
    CHECK_STR(counter, "moving");
    CHECK_INT(mado_sample_key_counter(key, n, "kitb", 4, counter), -1);
    CHECK_INT(mado_sample_key_counter(key, 13, "kita", 4, counter), -1);

    /* past every sample of the counter, before the next counter's */
    CHECK_BYTES(past, mado_sample_key_past("kita", "moving", past),
                "kita\0moving\1");
    mado_sample_key("kita", "moving", INT64_MAX, key);
    CHECK(memcmp(past, key, 12) > 0);
    mado_sample_key("kita", "movinh", 0, key);
    CHECK(memcmp(past, key, 12) < 0);
    CHECK_BYTES(key, mado_office_key_prefix("kita", key), "kita\0");

    memset(&sm, 0, sizeof(sm));
    sm.time = T;
    sm.status = MADO_STATUS_CLOSED;
    sm.waiting = 9;
    sm.calling = 8;
    sm.served = 7;
    sm.staff = 1;
    sm.wait = 600;
    mado_sample_encode(&sm, buf);

    if (unit_little_endian()) {
        CHECK_BYTES(buf, sizeof(buf), sample_value);
    }

    n = mado_sample_key("kita", "moving", T, key);
    mado_sample_decode(key, n, buf, sizeof(buf), &back);
    CHECK(memcmp(&sm, &back, sizeof(sm)) == 0);

    /* too short: the time is known, the figures not */
    mado_sample_decode(key, n, buf, sizeof(buf) - 1, &back);
    CHECK_INT(back.time, T);
    CHECK_INT(back.wait, -1);
    CHECK_INT(back.waiting, 0);

    h.issued = 1;
    h.served = 2;
    h.cancelled = 3;
    h.waits = 4;
    h.wait_max = 5;
    h.samples = 6;
    h.waiting_max = 7;
    h.iwaits = 8;
    h.wait_sum = 9;
    h.waiting_sum = 10;
    h.iwait_sum = 11;
    mado_hour_encode(&h, hbuf);

    if (unit_little_endian()) {
        CHECK_BYTES(hbuf, sizeof(hbuf), hourly_value);
    }

    memset(&hb, 0, sizeof(hb));
    CHECK_INT(mado_hour_decode(hbuf, sizeof(hbuf), &hb), 0);
    CHECK(memcmp(&h, &hb, sizeof(h)) == 0);
    CHECK_INT(mado_hour_decode(hbuf, sizeof(hbuf) - 1, &hb), -1);
}


/* ------------------------------------------------------------ audit */

static void
test_audit(void)
{
    size_t                jlen;
    uint64_t              seq;
    const char           *json;
    unsigned char         key[8], buf[MADO_AUDIT_HEAD_SIZE], rec[64];
    mado_audit_head_t     h, hb;
    const unsigned char  *mac;
    unsigned              i;

    mado_audit_key(0x0102030405060708ULL, key);
    CHECK_BYTES(key, 8, "\x01\x02\x03\x04\x05\x06\x07\x08");
    CHECK_INT(mado_audit_key_decode(key, 8, &seq), 0);
    CHECK(seq == 0x0102030405060708ULL);
    CHECK_INT(mado_audit_key_decode(key, 7, &seq), -1);

    h.seq = 0x0102030405060708ULL;

    for (i = 0; i < MADO_AUDIT_MAC_LEN; i++) {
        h.mac[i] = (unsigned char) i;
        h.head_mac[i] = (unsigned char) (0x40 + i);
    }

    mado_audit_head_encode(&h, buf);
    CHECK_BYTES(buf, sizeof(buf), audit_head_value);
    CHECK_INT(mado_audit_head_decode(buf, sizeof(buf), &hb), 0);
    CHECK(memcmp(&h, &hb, sizeof(h)) == 0);
    CHECK_INT(mado_audit_head_decode(buf, sizeof(buf) - 1, &hb), -1);

    /* a record: its MAC, then the JSON as it is */
    CHECK_INT(mado_audit_record_encode(h.mac, "{\"a\":1}", 7, rec), 39);
    CHECK(memcmp(rec, h.mac, 32) == 0 && memcmp(rec + 32, "{\"a\":1}", 7) == 0);
    CHECK_INT(mado_audit_record_decode(rec, 39, &mac, &json, &jlen), 0);
    CHECK(mac == rec && json == (char *) rec + 32 && jlen == 7);
    CHECK_INT(mado_audit_record_decode(rec, 31, &mac, &json, &jlen), -1);
}


/* ------------------------------------------------------------ accounts */

static void
test_account(void)
{
    char            *json;
    size_t           len;
    unsigned         i;
    mado_account_t   a, b;

    memset(&a, 0, sizeof(a));
    strcpy(a.id, "tanaka");
    a.role = MADO_ROLE_STAFF;
    a.iterations = 600000;

    for (i = 0; i < MADO_SALT_LEN; i++) {
        a.salt[i] = (unsigned char) i;
    }

    for (i = 0; i < MADO_HASH_LEN; i++) {
        a.hash[i] = (unsigned char) (0xf0 + i % 16);
    }

    a.failures = 2;
    a.locked_until = 0;
    a.created_at = T;
    a.updated_at = T + 1;
    a.last_login = T + 2;
    strcpy(a.offices[0], "kita");
    strcpy(a.offices[1], "sakyo");
    a.noffices = 2;

    json = mado_account_encode(&a, &len);
    CHECK(json != NULL);

    if (json == NULL) {
        return;
    }

    CHECK_BYTES(json, len,
        "{\"id\":\"tanaka\",\"role\":\"staff\",\"disabled\":false,"
        "\"iterations\":600000,"
        "\"salt\":\"000102030405060708090a0b0c0d0e0f\","
        "\"hash\":\"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\","
        "\"failures\":2,\"locked_until\":0,\"created_at\":1795748400,"
        "\"updated_at\":1795748401,\"last_login\":1795748402,"
        "\"offices\":[\"kita\",\"sakyo\"]}");

    CHECK_INT(mado_account_decode(json, len, &b), 0);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    free(json);

    /* sealed: the seal and the audit record that made it, at the end */
    a.seal_seq = 42;
    memset(a.seal, 0x5a, MADO_HASH_LEN);
    a.seal_state = MADO_SEAL_UNCHECKED;

    json = mado_account_encode(&a, &len);
    CHECK(json != NULL);

    if (json == NULL) {
        return;
    }

    CHECK_BYTES(json, len,
        "{\"id\":\"tanaka\",\"role\":\"staff\",\"disabled\":false,"
        "\"iterations\":600000,"
        "\"salt\":\"000102030405060708090a0b0c0d0e0f\","
        "\"hash\":\"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\","
        "\"failures\":2,\"locked_until\":0,\"created_at\":1795748400,"
        "\"updated_at\":1795748401,\"last_login\":1795748402,"
        "\"offices\":[\"kita\",\"sakyo\"],\"seal_seq\":42,"
        "\"seal\":\"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
        "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a\"}");

    /* read back unchecked: checking takes the key (mado_account.c) */
    CHECK_INT(mado_account_decode(json, len, &b), 0);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    free(json);

    /* garbled: not JSON, no role, a hash of the wrong length */
    CHECK_INT(mado_account_decode("{", 1, &b), -1);
    CHECK_INT(mado_account_decode("{\"id\":\"x\",\"salt\":\"\",\"hash\":\"\"}",
                                  30, &b), -1);
    json = "{\"id\":\"x\",\"role\":\"feed\",\"salt\":"
           "\"000102030405060708090a0b0c0d0e0f\",\"hash\":\"00\"}";
    CHECK_INT(mado_account_decode(json, strlen(json), &b), -1);
}


static void
test_session_idem_client(void)
{
    size_t              n;
    unsigned            i;
    unsigned char       key[MADO_KEY_MAX], buf[MADO_SESSION_SIZE];
    unsigned char       ibuf[MADO_IDEM_FIXED + MADO_IDEM_BODY_MAX];
    unsigned char       cbuf[MADO_CLIENT_SIZE];
    unsigned char       rbuf[MADO_REFUSAL_SIZE + 1];
    mado_refusal_t      rf, rb;
    int64_t             created;
    mado_idem_t         id, ib;
    mado_session_t      se, sb;
    mado_clientfail_t   cf, cb;
    char                token[MADO_SESSION_TOKEN_LEN + 1], *big;

    strcpy(token, "mado_s_");

    for (i = 0; i < 32; i++) {
        strcat(token, "ab");
    }

    CHECK_INT(mado_session_key(token, key), 0);
    CHECK_BYTES(key, MADO_HASH_LEN, session_key);

    memset(&se, 0, sizeof(se));
    strcpy(se.user, "chief");
    se.created = T;
    se.seen = T + 60;
    mado_session_encode(&se, buf);

    if (unit_little_endian()) {
        CHECK_BYTES(buf, sizeof(buf), session_value);
    }

    CHECK_INT(mado_session_decode(buf, sizeof(buf), &sb), 0);
    CHECK(memcmp(&se, &sb, sizeof(se)) == 0);
    CHECK_INT(mado_session_decode(buf, sizeof(buf) + 0 - 1, &sb), -1);

    /* a user of the longest kind fills the field but its NUL */
    memset(buf, 'u', MADO_ID_MAX + 1);
    CHECK_INT(mado_session_decode(buf, sizeof(buf), &sb), 0);
    CHECK_INT(strlen(sb.user), MADO_ID_MAX);

    n = mado_idem_key("chief", "key-1", key);
    CHECK_BYTES(key, n, "chief\0key-1");

    id.created = T;
    id.status = 200;

    for (i = 0; i < MADO_HASH_LEN; i++) {
        id.fp[i] = (unsigned char) i;
    }

    id.body = "{\"a\":1}";
    id.len = 7;
    n = mado_idem_encode(&id, ibuf);

    if (unit_little_endian()) {
        CHECK_BYTES(ibuf, n, idem_value);
    }

    CHECK_INT(mado_idem_decode(ibuf, n, &ib), 0);
    CHECK(ib.created == T && ib.status == 200
          && memcmp(ib.fp, id.fp, MADO_HASH_LEN) == 0 && ib.len == 7
          && memcmp(ib.body, "{\"a\":1}", 7) == 0);
    CHECK_INT(mado_idem_decode(ibuf, MADO_IDEM_FIXED - 1, &ib), -1);
    CHECK_INT(mado_idem_created(ibuf, 8, &created), 0);
    CHECK_INT(created, T);
    CHECK_INT(mado_idem_created(ibuf, 7, &created), -1);

    /* an answer too long is cut */
    big = malloc(MADO_IDEM_BODY_MAX + 10);
    if (big != NULL) {
        memset(big, 'x', MADO_IDEM_BODY_MAX + 10);
        id.body = big;
        id.len = MADO_IDEM_BODY_MAX + 10;
        CHECK_INT(mado_idem_encode(&id, ibuf),
                  MADO_IDEM_FIXED + MADO_IDEM_BODY_MAX);
        free(big);
    }

    cf.failures = 20;
    cf.since = T;
    cf.until = T + 60;
    mado_clientfail_encode(&cf, cbuf);

    if (unit_little_endian()) {
        CHECK_BYTES(cbuf, sizeof(cbuf), clientfail_value);
    }

    CHECK_INT(mado_clientfail_decode(cbuf, sizeof(cbuf), &cb), 0);
    CHECK(cb.failures == 20 && cb.since == T && cb.until == T + 60);
    CHECK_INT(mado_clientfail_decode(cbuf, sizeof(cbuf) - 1, &cb), -1);
    CHECK_INT(cb.failures, 0);

    rf.since = T;
    rf.audited = 2;
    mado_refusal_encode(&rf, rbuf);

    if (unit_little_endian()) {
        CHECK_BYTES(rbuf, MADO_REFUSAL_SIZE, refusal_value);
    }

    CHECK_INT(mado_refusal_decode(rbuf, MADO_REFUSAL_SIZE, &rb), 0);
    CHECK(rb.since == T && rb.audited == 2);
    CHECK_INT(mado_refusal_decode(rbuf, sizeof(rbuf), &rb), -1);
    CHECK_INT(rb.audited, 0);
}


/* a count of failed logins (mado_login_begin) */
static void
test_loginfail(void)
{
    unsigned char     buf[MADO_LOGINFAIL_SIZE];
    mado_loginfail_t  lf, back;

    lf.failures = 5;
    lf.since = T;
    lf.until = T + 30;
    lf.ok = T - 19200;
    mado_loginfail_encode(&lf, buf);

    if (unit_little_endian()) {
        CHECK_BYTES(buf, sizeof(buf), loginfail_value);
    }

    CHECK_INT(mado_loginfail_decode(buf, sizeof(buf), &back), 0);
    CHECK(back.failures == 5 && back.since == T && back.until == T + 30
          && back.ok == T - 19200);
    CHECK_INT(mado_loginfail_decode(buf, sizeof(buf) - 1, &back), -1);
    CHECK_INT(back.failures, 0);
}


/* ------------------------------------------------------------ a store */

/* what is in LMDB is what the codec makes: read raw, compare */
static int
test_store_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    mado_counter_state_t  *st = arg;

    return mado_state_put(s, txn, "kita", "a", st, err);
}


static void
test_store(void)
{
    MDB_val               k, v;
    MDB_txn              *txn;
    mado_err_t            err;
    unit_store_t          u;
    mado_counter_state_t  st, back;
    unsigned char         key[MADO_KEY_MAX];
    unsigned char         buf[MADO_STATE_FIXED + MADO_MESSAGE_MAX];

    if (unit_store_open(&u, T) != 0) {
        CHECK(!"a store");
        return;
    }

    memset(&st, 0, sizeof(st));
    st.status = MADO_STATUS_OPEN;
    st.waiting = 12;
    st.updated_at = T;
    st.message_len = 5;
    strcpy(st.message, "hello");

    CHECK_INT(mado_store_write(&u.s, test_store_write, &st, &err), MADO_OK);

    CHECK_INT(mado_store_read_begin(&u.s, &txn, &err), MADO_OK);

    k.mv_data = key;
    k.mv_size = mado_state_key("kita", "a", key);
    CHECK_INT(mdb_get(txn, u.s.state, &k, &v), 0);
    CHECK(v.mv_size == mado_state_encode(&st, buf)
          && memcmp(v.mv_data, buf, v.mv_size) == 0);

    CHECK_INT(mado_state_get(&u.s, txn, "kita", "a", &back, &err), MADO_OK);
    CHECK(memcmp(&st, &back, sizeof(st)) == 0);

    k.mv_data = MADO_META_OFFICES;
    k.mv_size = sizeof(MADO_META_OFFICES) - 1;
    CHECK_INT(mdb_get(txn, u.s.meta, &k, &v), 0);
    CHECK_BYTES(v.mv_data, v.mv_size, "kita\n");

    k.mv_data = MADO_META_SCHEMA;
    k.mv_size = sizeof(MADO_META_SCHEMA) - 1;
    CHECK_INT(mdb_get(txn, u.s.meta, &k, &v), 0);
    CHECK_BYTES(v.mv_data, v.mv_size, "2");

    mdb_txn_abort(txn);
    unit_store_close(&u);
}


int
main(void)
{
    test_helpers();
    test_meta();
    test_state();
    test_ticket_cursor();
    test_feed_stat();
    test_event();
    test_sample_hour();
    test_audit();
    test_account();
    test_session_idem_client();
    test_loginfail();
    test_store();

    return unit_done("schema");
}
