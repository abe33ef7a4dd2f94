/*
 * The schema's codec: the bytes of every key and value of every database
 * (see mado_store.h for the layouts).  Everything else in the library
 * reads and writes the store through these, so a layout is written down
 * once; t/unit/test_schema.c pins each of them to literal bytes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "mado_store.h"


/* ------------------------------------------------------------ helpers */

void
mado_be16_put(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char) (v >> 8);
    p[1] = (unsigned char) v;
}


uint16_t
mado_be16_get(const unsigned char *p)
{
    return (uint16_t) ((unsigned) p[0] << 8 | p[1]);
}


void
mado_be64_put(unsigned char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char) v;
        v >>= 8;
    }
}


uint64_t
mado_be64_get(const unsigned char *p)
{
    int       i;
    uint64_t  v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }

    return v;
}


void
mado_hex(const unsigned char *p, size_t n, char *out)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    }
}


int
mado_unhex(const char *s, unsigned char *p, size_t n)
{
    size_t    i;
    unsigned  b;

    if (s == NULL || strlen(s) != 2 * n) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (sscanf(s + 2 * i, "%2x", &b) != 1) {
            return -1;
        }
        p[i] = (unsigned char) b;
    }

    return 0;
}


/* OFFICE\0 and, if given, CTR\0: the prefix most keys start with */
static size_t
mado_key_prefix(const char *office, const char *counter, unsigned char *key)
{
    size_t  lo, lc;

    lo = strlen(office);
    memcpy(key, office, lo + 1);

    if (counter == NULL) {
        return lo + 1;
    }

    lc = strlen(counter);
    memcpy(key + lo + 1, counter, lc + 1);

    return lo + lc + 2;
}


/* ------------------------------------------------------------ meta */

size_t
mado_meta_number(int64_t n, char *buf)
{
    return (size_t) snprintf(buf, 24, "%lld", (long long) n);
}


size_t
mado_meta_offices(const mado_offices_t *all, char *buf)
{
    char      *p;
    unsigned   i;

    for (p = buf, i = 0; i < all->noffices; i++) {
        p += sprintf(p, "%s\n", all->offices[i].id);
    }

    return (size_t) (p - buf);
}


unsigned
mado_meta_offices_parse(const char *v, size_t vlen,
    char ids[][MADO_ID_MAX + 1], unsigned max)
{
    size_t       len;
    unsigned     n;
    const char  *p, *end, *nl;

    n = 0;
    p = v;
    end = p + vlen;

    while (p < end && n < max) {
        nl = memchr(p, '\n', end - p);
        len = (nl ? nl : end) - p;

        if (len > 0 && len <= MADO_ID_MAX) {
            memcpy(ids[n], p, len);
            ids[n][len] = '\0';
            n++;
        }

        p += len + 1;
    }

    return n;
}


/* ------------------------------------------------------------ state */

size_t
mado_state_key(const char *office, const char *counter, unsigned char *key)
{
    /* no NUL after the counter: the prefix's last byte is dropped */
    return mado_key_prefix(office, counter, key) - 1;
}


int
mado_state_key_parse(const void *key, size_t len, char *office,
    char *counter)
{
    size_t       lo, lc;
    const char  *k = key;

    lo = strnlen(k, len);

    if (lo == len || lo > MADO_ID_MAX) {
        return -1;
    }

    lc = len - lo - 1;

    if (lc > MADO_ID_MAX || memchr(k + lo + 1, '\0', lc) != NULL) {
        return -1;
    }

    memcpy(office, k, lo + 1);
    memcpy(counter, k + lo + 1, lc);
    counter[lc] = '\0';

    return 0;
}


size_t
mado_state_encode(const mado_counter_state_t *st, unsigned char *buf)
{
    uint32_t        size, mlen;
    unsigned char  *p;

    size = MADO_STATE_FIXED;
    mlen = st->message_len > MADO_MESSAGE_MAX ? MADO_MESSAGE_MAX
                                              : st->message_len;
    p = buf;
    memcpy(p, &size, 4);              p += 4;
    memcpy(p, &st->status, 4);        p += 4;
    memcpy(p, &st->waiting, 4);       p += 4;
    memcpy(p, &st->calling, 4);       p += 4;
    memcpy(p, &st->last_issued, 4);   p += 4;
    memcpy(p, &st->served_today, 4);  p += 4;
    memcpy(p, &st->staff, 4);         p += 4;
    memcpy(p, &st->updated_at, 8);    p += 8;
    memcpy(p, &mlen, 4);              p += 4;
    memcpy(p, &st->issued_at, 8);     p += 8;
    memcpy(p, &st->called_at, 8);     p += 8;
    memcpy(p, &st->busy_from, 8);     p += 8;
    memcpy(p, &st->svc_ms, 4);        p += 4;
    memcpy(p, &st->svc_n, 4);         p += 4;
    memcpy(p, &st->recent_n, 4);      p += 4;
    memcpy(p, st->recent_number, 4 * MADO_RECENT_MAX);
    p += 4 * MADO_RECENT_MAX;
    memcpy(p, st->recent_at, 8 * MADO_RECENT_MAX);
    p += 8 * MADO_RECENT_MAX;
    memset(p, 0, MADO_ID_MAX);
    memcpy(p, st->notice, strnlen(st->notice, MADO_ID_MAX));
                                      p += MADO_ID_MAX;
    memcpy(p, st->message, mlen);     p += mlen;

    return (size_t) (p - buf);
}


int
mado_state_decode(const void *v, size_t len, mado_counter_state_t *st)
{
    size_t          fixed;
    uint32_t        size;
    unsigned char   buf[MADO_STATE_FIXED];
    unsigned char  *p;

    memset(st, 0, sizeof(mado_counter_state_t));

    if (len < 4) {
        return -1;
    }

    memcpy(&size, v, 4);

    if (size > len || size < 4) {
        return -1;
    }

    /* a record of an older version is shorter: what it lacks reads 0 */
    memset(buf, 0, sizeof(buf));
    fixed = size < MADO_STATE_FIXED ? size : MADO_STATE_FIXED;
    memcpy(buf, v, fixed);

    p = buf + 4;
    memcpy(&st->status, p, 4);        p += 4;
    memcpy(&st->waiting, p, 4);       p += 4;
    memcpy(&st->calling, p, 4);       p += 4;
    memcpy(&st->last_issued, p, 4);   p += 4;
    memcpy(&st->served_today, p, 4);  p += 4;
    memcpy(&st->staff, p, 4);         p += 4;
    memcpy(&st->updated_at, p, 8);    p += 8;
    memcpy(&st->message_len, p, 4);   p += 4;
    memcpy(&st->issued_at, p, 8);     p += 8;
    memcpy(&st->called_at, p, 8);     p += 8;
    memcpy(&st->busy_from, p, 8);     p += 8;
    memcpy(&st->svc_ms, p, 4);        p += 4;
    memcpy(&st->svc_n, p, 4);         p += 4;
    memcpy(&st->recent_n, p, 4);      p += 4;
    memcpy(st->recent_number, p, 4 * MADO_RECENT_MAX);
    p += 4 * MADO_RECENT_MAX;
    memcpy(st->recent_at, p, 8 * MADO_RECENT_MAX);
    p += 8 * MADO_RECENT_MAX;

    if (st->recent_n > MADO_RECENT_MAX) {
        st->recent_n = MADO_RECENT_MAX;
    }

    memcpy(st->notice, p, MADO_ID_MAX);
    st->notice[MADO_ID_MAX] = '\0';

    /* an id is what a writer checked; anything else reads as none */
    if (!mado_valid_id(st->notice, strlen(st->notice))) {
        st->notice[0] = '\0';
    }

    if (st->status >= MADO_NSTATUS) {
        st->status = MADO_STATUS_CLOSED;
    }

    if (st->message_len > MADO_MESSAGE_MAX || size + st->message_len > len) {
        st->message_len = 0;
    }

    memcpy(st->message, (const char *) v + size, st->message_len);
    st->message[st->message_len] = '\0';

    return 0;
}


/* ------------------------------------------------------------ ticket */

size_t
mado_ticket_key(const char *office, const char *counter, uint32_t ticket,
    unsigned char *key)
{
    size_t  n;

    n = mado_key_prefix(office, counter, key);

    /* big endian: a counter's tickets sort by number */
    mado_be16_put(key + n, (uint16_t) ticket);

    return n + 2;
}


void
mado_ticket_encode(const mado_ticket_t *t, unsigned char *buf)
{
    unsigned char  *p;

    memset(buf, 0, MADO_TICKET_SIZE);
    p = buf;
    memcpy(p, &t->date, 4);          p += 4;
    memcpy(p, &t->minute, 4);        p += 4;
    memcpy(p, &t->issued_at, 8);     p += 8;
    memcpy(p, &t->call_seen, 8);     p += 8;
    memcpy(p, &t->cancel_seen, 8);   p += 8;
    memcpy(p, &t->call_prev, 8);     p += 8;
    memcpy(p, &t->cancel_prev, 8);
}


int
mado_ticket_decode(const void *v, size_t len, mado_ticket_t *t)
{
    const unsigned char  *p = v;

    memset(t, 0, sizeof(mado_ticket_t));

    if (len < MADO_TICKET_SIZE_1) {
        return -1;
    }

    memcpy(&t->date, p, 4);          p += 4;
    memcpy(&t->minute, p, 4);        p += 4;
    memcpy(&t->issued_at, p, 8);     p += 8;
    memcpy(&t->call_seen, p, 8);     p += 8;
    memcpy(&t->cancel_seen, p, 8);   p += 8;

    /* a record written before these were appended has none */
    if (len >= MADO_TICKET_SIZE) {
        memcpy(&t->call_prev, p, 8);     p += 8;
        memcpy(&t->cancel_prev, p, 8);
    }

    return 0;
}


/* ------------------------------------------------------------ feed */

size_t
mado_cursor_key(const char *office, const char *fp, unsigned char *key)
{
    size_t  n;

    n = mado_key_prefix(office, NULL, key);
    memcpy(key + n, fp, 16);

    return n + 16;
}


void
mado_cursor_encode(const mado_feed_cursor_t *cur, unsigned char *buf)
{
    unsigned char  *p = buf;

    memcpy(p, &cur->offset, 8);      p += 8;
    memcpy(p, &cur->line, 8);        p += 8;
    memcpy(p, &cur->events, 8);      p += 8;
    memcpy(p, &cur->bad, 8);         p += 8;
    memcpy(p, &cur->updated_at, 8);
}


int
mado_cursor_decode(const void *v, size_t len, mado_feed_cursor_t *cur)
{
    const unsigned char  *p = v;

    memset(cur, 0, sizeof(mado_feed_cursor_t));

    if (len < MADO_CURSOR_SIZE) {
        return -1;
    }

    memcpy(&cur->offset, p, 8);      p += 8;
    memcpy(&cur->line, p, 8);        p += 8;
    memcpy(&cur->events, p, 8);      p += 8;
    memcpy(&cur->bad, p, 8);         p += 8;
    memcpy(&cur->updated_at, p, 8);

    return 0;
}


size_t
mado_feed_stat_key(const char *office, int source, const char *name,
    unsigned char *key)
{
    size_t  n, ln;

    n = mado_key_prefix(office, NULL, key);
    key[n++] = '@';
    key[n++] = (unsigned char) source;

    ln = strlen(name);
    memcpy(key + n, name, ln);

    return n + ln;
}


int
mado_feed_stat_key_parse(const void *key, size_t klen, size_t lo,
    int *source, char *name)
{
    size_t                ln;
    const unsigned char  *k = key;

    if (klen < lo + 4 || k[lo] != '\0' || k[lo + 1] != '@'
        || (k[lo + 2] != MADO_FEED_FILE && k[lo + 2] != MADO_FEED_HTTP))
    {
        return -1;
    }

    ln = klen - lo - 3;

    if (ln > MADO_ID_MAX || memchr(k + lo + 3, '\0', ln) != NULL) {
        return -1;
    }

    *source = k[lo + 2];
    memcpy(name, k + lo + 3, ln);
    name[ln] = '\0';

    return 0;
}


void
mado_feed_stat_encode(const mado_feed_stat_t *st, unsigned char *buf)
{
    unsigned char  *p = buf;

    memcpy(p, &st->applied, 8);      p += 8;
    memcpy(p, &st->duplicate, 8);    p += 8;
    memcpy(p, &st->old, 8);          p += 8;
    memcpy(p, &st->bad, 8);          p += 8;
    memcpy(p, &st->batch_at, 8);     p += 8;
    memcpy(p, &st->event_at, 8);     p += 8;
    memcpy(p, &st->bad_at, 8);
}


int
mado_feed_stat_decode(const void *v, size_t len, mado_feed_stat_t *st)
{
    const unsigned char  *p = v;

    memset(st, 0, sizeof(mado_feed_stat_t));

    if (len < MADO_FEED_STAT_SIZE) {
        return -1;
    }

    memcpy(&st->applied, p, 8);      p += 8;
    memcpy(&st->duplicate, p, 8);    p += 8;
    memcpy(&st->old, p, 8);          p += 8;
    memcpy(&st->bad, p, 8);          p += 8;
    memcpy(&st->batch_at, p, 8);     p += 8;
    memcpy(&st->event_at, p, 8);     p += 8;
    memcpy(&st->bad_at, p, 8);

    return 0;
}


/* ------------------------------------------------------------ event */

size_t
mado_event_key(const char *office, int64_t t, unsigned seq,
    unsigned char *key)
{
    size_t  n;

    n = mado_key_prefix(office, NULL, key);
    mado_be64_put(key + n, (uint64_t) t);
    mado_be16_put(key + n + 8, (uint16_t) seq);

    return n + 10;
}


size_t
mado_office_key_prefix(const char *office, unsigned char *key)
{
    return mado_key_prefix(office, NULL, key);
}


int
mado_event_key_in(const void *key, size_t klen, const char *office,
    size_t lo)
{
    return klen >= lo + 9 && memcmp(key, office, lo + 1) == 0;
}


int64_t
mado_event_key_time(const void *key, size_t lo)
{
    return (int64_t) mado_be64_get((const unsigned char *) key + lo + 1);
}


unsigned
mado_event_key_seq(const void *key, size_t lo)
{
    return mado_be16_get((const unsigned char *) key + lo + 9);
}


size_t
mado_event_encode(const mado_event_t *ev, unsigned char *buf)
{
    size_t          lc;
    uint8_t         b;
    uint16_t        h;
    unsigned char  *p;

    lc = strnlen(ev->counter, MADO_ID_MAX);
    p = buf;
    b = (uint8_t) ev->type;                     memcpy(p, &b, 1); p += 1;
    b = (uint8_t) ev->status;                   memcpy(p, &b, 1); p += 1;
    h = (uint16_t) ev->ticket;                  memcpy(p, &h, 2); p += 2;
    h = (uint16_t) ev->waiting;                 memcpy(p, &h, 2); p += 2;
    h = (uint16_t) ev->staff;                   memcpy(p, &h, 2); p += 2;
    memcpy(p, &ev->served, 4);                  p += 4;
    memcpy(p, &ev->wait, 4);                    p += 4;
    memcpy(p, ev->counter, lc);                 p += lc;

    return (size_t) (p - buf);
}


int
mado_event_decode(const void *k, size_t klen, size_t lo, const void *v,
    size_t len, mado_event_t *ev)
{
    size_t                lc;
    uint16_t              h;
    const unsigned char  *p = v;

    if (klen != MADO_EVENT_KEY_LEN(lo) || len < MADO_EVENT_FIXED
        || len > MADO_EVENT_FIXED + MADO_ID_MAX)
    {
        return -1;
    }

    memset(ev, 0, sizeof(mado_event_t));
    ev->time = mado_event_key_time(k, lo);
    ev->type = p[0];
    ev->status = p[1];
    memcpy(&h, p + 2, 2);   ev->ticket = h;
    memcpy(&h, p + 4, 2);   ev->waiting = h;
    memcpy(&h, p + 6, 2);   ev->staff = h;
    memcpy(&ev->served, p + 8, 4);
    memcpy(&ev->wait, p + 12, 4);

    lc = len - MADO_EVENT_FIXED;
    memcpy(ev->counter, p + MADO_EVENT_FIXED, lc);
    ev->counter[lc] = '\0';

    return ev->type < MADO_NHEV ? 0 : -1;
}


/* ------------------------------------------------------------ samples */

size_t
mado_sample_key(const char *office, const char *counter, int64_t t,
    unsigned char *key)
{
    size_t  n;

    n = mado_key_prefix(office, counter, key);
    mado_be64_put(key + n, (uint64_t) t);

    return n + 8;
}


size_t
mado_sample_key_past(const char *office, const char *counter,
    unsigned char *key)
{
    size_t  n;

    /* "\1" sorts after the "\0" that ends the counter in its keys */
    n = mado_key_prefix(office, counter, key);
    key[n - 1] = '\1';

    return n;
}


int
mado_sample_key_counter(const void *key, size_t klen, const char *office,
    size_t lo, char *counter)
{
    size_t  lc;

    if (klen < lo + 10 || memcmp(key, office, lo + 1) != 0) {
        return -1;
    }

    lc = klen - lo - 10;

    if (lc > MADO_ID_MAX) {
        return -1;
    }

    memcpy(counter, (const char *) key + lo + 1, lc);
    counter[lc] = '\0';

    return 0;
}


int64_t
mado_sample_key_time(const void *key, size_t klen)
{
    return (int64_t) mado_be64_get((const unsigned char *) key + klen - 8);
}


void
mado_sample_encode(const mado_sample_t *sm, unsigned char *buf)
{
    unsigned char  *p;

    memset(buf, 0, MADO_SAMPLE_SIZE);
    p = buf;
    memcpy(p, &sm->status, 4);   p += 4;
    memcpy(p, &sm->waiting, 4);  p += 4;
    memcpy(p, &sm->calling, 4);  p += 4;
    memcpy(p, &sm->served, 4);   p += 4;
    memcpy(p, &sm->staff, 4);    p += 4;
    memcpy(p, &sm->wait, 4);
}


void
mado_sample_decode(const void *k, size_t klen, const void *v, size_t len,
    mado_sample_t *sm)
{
    const unsigned char  *p = v;

    memset(sm, 0, sizeof(mado_sample_t));
    sm->time = mado_sample_key_time(k, klen);

    if (len < MADO_SAMPLE_SIZE) {
        sm->wait = -1;
        return;
    }

    memcpy(&sm->status, p, 4);   p += 4;
    memcpy(&sm->waiting, p, 4);  p += 4;
    memcpy(&sm->calling, p, 4);  p += 4;
    memcpy(&sm->served, p, 4);   p += 4;
    memcpy(&sm->staff, p, 4);    p += 4;
    memcpy(&sm->wait, p, 4);
}


void
mado_hour_encode(const mado_hour_t *h, unsigned char *p)
{
    memcpy(p, &h->issued, 4);        p += 4;
    memcpy(p, &h->served, 4);        p += 4;
    memcpy(p, &h->cancelled, 4);     p += 4;
    memcpy(p, &h->waits, 4);         p += 4;
    memcpy(p, &h->wait_max, 4);      p += 4;
    memcpy(p, &h->samples, 4);       p += 4;
    memcpy(p, &h->waiting_max, 4);   p += 4;
    memcpy(p, &h->iwaits, 4);        p += 4;
    memcpy(p, &h->wait_sum, 8);      p += 8;
    memcpy(p, &h->waiting_sum, 8);   p += 8;
    memcpy(p, &h->iwait_sum, 8);
}


int
mado_hour_decode(const void *v, size_t len, mado_hour_t *h)
{
    const unsigned char  *p = v;

    if (len < MADO_HOURLY_SIZE) {
        return -1;
    }

    memcpy(&h->issued, p, 4);        p += 4;
    memcpy(&h->served, p, 4);        p += 4;
    memcpy(&h->cancelled, p, 4);     p += 4;
    memcpy(&h->waits, p, 4);         p += 4;
    memcpy(&h->wait_max, p, 4);      p += 4;
    memcpy(&h->samples, p, 4);       p += 4;
    memcpy(&h->waiting_max, p, 4);   p += 4;
    memcpy(&h->iwaits, p, 4);        p += 4;
    memcpy(&h->wait_sum, p, 8);      p += 8;
    memcpy(&h->waiting_sum, p, 8);   p += 8;
    memcpy(&h->iwait_sum, p, 8);

    return 0;
}


/* ------------------------------------------------------------ audit */

void
mado_audit_key(uint64_t seq, unsigned char *key)
{
    mado_be64_put(key, seq);
}


int
mado_audit_key_decode(const void *key, size_t len, uint64_t *seq)
{
    if (len != 8) {
        return -1;
    }

    *seq = mado_be64_get(key);

    return 0;
}


size_t
mado_audit_record_encode(const unsigned char *mac, const char *json,
    size_t len, unsigned char *buf)
{
    memcpy(buf, mac, MADO_AUDIT_MAC_LEN);
    memcpy(buf + MADO_AUDIT_MAC_LEN, json, len);

    return MADO_AUDIT_MAC_LEN + len;
}


int
mado_audit_record_decode(const void *v, size_t len,
    const unsigned char **mac, const char **json, size_t *jlen)
{
    if (len < MADO_AUDIT_MAC_LEN) {
        return -1;
    }

    *mac = v;
    *json = (const char *) v + MADO_AUDIT_MAC_LEN;
    *jlen = len - MADO_AUDIT_MAC_LEN;

    return 0;
}


void
mado_audit_head_encode(const mado_audit_head_t *h, unsigned char *buf)
{
    mado_be64_put(buf, h->seq);
    memcpy(buf + 8, h->mac, MADO_AUDIT_MAC_LEN);
    memcpy(buf + 8 + MADO_AUDIT_MAC_LEN, h->head_mac, MADO_AUDIT_MAC_LEN);
}


int
mado_audit_head_decode(const void *v, size_t len, mado_audit_head_t *h)
{
    const unsigned char  *p = v;

    if (len != MADO_AUDIT_HEAD_SIZE) {
        return -1;
    }

    h->seq = mado_be64_get(p);
    memcpy(h->mac, p + 8, MADO_AUDIT_MAC_LEN);
    memcpy(h->head_mac, p + 8 + MADO_AUDIT_MAC_LEN, MADO_AUDIT_MAC_LEN);

    return 0;
}


/* ------------------------------------------------------------ account */

#define K(s)  yajl_gen_string(g, (const unsigned char *) (s), strlen(s))

char *
mado_account_encode(const mado_account_t *a, size_t *len)
{
    char                  salt[2 * MADO_SALT_LEN + 1];
    char                  hash[2 * MADO_HASH_LEN + 1];
    char                 *out;
    unsigned              i;
    yajl_gen              g;
    const unsigned char  *buf;

    mado_hex(a->salt, MADO_SALT_LEN, salt);
    mado_hex(a->hash, MADO_HASH_LEN, hash);

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NULL;
    }

    yajl_gen_map_open(g);
    K("id");            K(a->id);
    K("role");          K(mado_role_names[a->role]);
    K("disabled");      yajl_gen_bool(g, a->disabled);
    K("iterations");    yajl_gen_integer(g, a->iterations);
    K("salt");          K(salt);
    K("hash");          K(hash);
    K("failures");      yajl_gen_integer(g, a->failures);
    K("locked_until");  yajl_gen_integer(g, a->locked_until);
    K("created_at");    yajl_gen_integer(g, a->created_at);
    K("updated_at");    yajl_gen_integer(g, a->updated_at);
    K("last_login");    yajl_gen_integer(g, a->last_login);
    K("offices");
    yajl_gen_array_open(g);
    for (i = 0; i < a->noffices; i++) {
        K(a->offices[i]);
    }
    yajl_gen_array_close(g);

    /* an account of before seals has none, and keeps none */
    if (a->seal_state != MADO_SEAL_NONE) {
        mado_hex(a->seal, MADO_HASH_LEN, hash);
        K("seal_seq");  yajl_gen_integer(g, (long long) a->seal_seq);
        K("seal");      K(hash);
    }

    yajl_gen_map_close(g);

    OPENSSL_cleanse(hash, sizeof(hash));

    out = NULL;

    if (yajl_gen_get_buf(g, &buf, len) == yajl_gen_status_ok) {
        out = malloc(*len);
        if (out != NULL) {
            memcpy(out, buf, *len);
        }
    }

    yajl_gen_clear(g);
    yajl_gen_free(g);

    return out;
}

#undef K


static int64_t
mado_tree_int(yajl_val v, const char *key)
{
    const char  *path[] = { key, NULL };
    yajl_val     n;

    n = yajl_tree_get(v, path, yajl_t_number);

    return (n != NULL && YAJL_IS_INTEGER(n)) ? YAJL_GET_INTEGER(n) : 0;
}


int
mado_account_decode(const void *v, size_t len, mado_account_t *a)
{
    int          role;
    size_t       i;
    yajl_val     root, offices, t;
    mado_err_t   err;
    const char  *id, *r, *path[] = { "offices", NULL },
                *dp[] = { "disabled", NULL };

    memset(a, 0, sizeof(mado_account_t));

    root = mado_json_tree(v, len, &err);

    if (root == NULL) {
        return -1;
    }

    id = mado_json_str(root, "id");
    r = mado_json_str(root, "role");
    role = mado_role_parse(r ? r : "");

    if (id == NULL || strlen(id) > MADO_ID_MAX || role < 0
        || mado_unhex(mado_json_str(root, "salt"), a->salt, MADO_SALT_LEN)
        || mado_unhex(mado_json_str(root, "hash"), a->hash, MADO_HASH_LEN))
    {
        yajl_tree_free(root);
        return -1;
    }

    strcpy(a->id, id);
    a->role = (uint32_t) role;
    t = yajl_tree_get(root, dp, yajl_t_any);
    a->disabled = (t != NULL && YAJL_IS_TRUE(t));
    a->iterations = (uint32_t) mado_tree_int(root, "iterations");
    a->failures = (uint32_t) mado_tree_int(root, "failures");
    a->locked_until = mado_tree_int(root, "locked_until");
    a->created_at = mado_tree_int(root, "created_at");
    a->updated_at = mado_tree_int(root, "updated_at");
    a->last_login = mado_tree_int(root, "last_login");

    offices = yajl_tree_get(root, path, yajl_t_array);

    for (i = 0; offices != NULL && i < offices->u.array.len
                && i < MADO_OFFICES_MAX; i++)
    {
        t = offices->u.array.values[i];

        if (YAJL_IS_STRING(t) && strlen(t->u.string) <= MADO_ID_MAX) {
            strcpy(a->offices[a->noffices++], t->u.string);
        }
    }

    /* checked by mado_account.c, which has the key */
    if (mado_unhex(mado_json_str(root, "seal"), a->seal, MADO_HASH_LEN) == 0)
    {
        a->seal_seq = (uint64_t) mado_tree_int(root, "seal_seq");
        a->seal_state = MADO_SEAL_UNCHECKED;
    }

    yajl_tree_free(root);

    return 0;
}


/* ------------------------------------------------------------ session */

int
mado_session_key(const char *token, unsigned char *key)
{
    unsigned int  n;

    /* kept under the token's hash: the store never holds a usable token */
    return EVP_Digest(token, strlen(token), key, &n, EVP_sha256(), NULL) == 1
           ? 0 : -1;
}


void
mado_session_encode(const mado_session_t *se, unsigned char *buf)
{
    memset(buf, 0, MADO_SESSION_SIZE);
    memcpy(buf, se->user, strnlen(se->user, MADO_ID_MAX));
    memcpy(buf + MADO_ID_MAX + 1, &se->created, 8);
    memcpy(buf + MADO_ID_MAX + 9, &se->seen, 8);
}


int
mado_session_decode(const void *v, size_t len, mado_session_t *se)
{
    const unsigned char  *p = v;

    memset(se, 0, sizeof(mado_session_t));

    if (len != MADO_SESSION_SIZE) {
        return -1;
    }

    memcpy(se->user, p, MADO_ID_MAX);
    se->user[MADO_ID_MAX] = '\0';
    memcpy(&se->created, p + MADO_ID_MAX + 1, 8);
    memcpy(&se->seen, p + MADO_ID_MAX + 9, 8);

    return 0;
}


/* ------------------------------------------------------------ idem */

size_t
mado_idem_key(const char *user, const char *key, unsigned char *out)
{
    size_t  n, lk;

    /* the key is the last part: no NUL after it */
    n = mado_key_prefix(user, NULL, out);
    lk = strlen(key);
    memcpy(out + n, key, lk);

    return n + lk;
}


size_t
mado_idem_encode(const mado_idem_t *id, unsigned char *buf)
{
    size_t  len;

    len = id->len > MADO_IDEM_BODY_MAX ? MADO_IDEM_BODY_MAX : id->len;

    memcpy(buf, &id->created, 8);
    memcpy(buf + 8, &id->status, 4);
    memcpy(buf + 12, id->fp, MADO_HASH_LEN);
    memcpy(buf + MADO_IDEM_FIXED, id->body, len);

    return MADO_IDEM_FIXED + len;
}


int
mado_idem_decode(const void *v, size_t len, mado_idem_t *id)
{
    const char  *p = v;

    memset(id, 0, sizeof(mado_idem_t));

    if (len < MADO_IDEM_FIXED) {
        return -1;
    }

    memcpy(&id->created, p, 8);
    memcpy(&id->status, p + 8, 4);
    memcpy(id->fp, p + 12, MADO_HASH_LEN);
    id->body = p + MADO_IDEM_FIXED;
    id->len = len - MADO_IDEM_FIXED;

    return 0;
}


int
mado_idem_created(const void *v, size_t len, int64_t *created)
{
    if (len < 8) {
        return -1;
    }

    memcpy(created, v, 8);

    return 0;
}


/* ------------------------------------------------------------ clientfail */

void
mado_clientfail_encode(const mado_clientfail_t *cf, unsigned char *buf)
{
    memcpy(buf, &cf->failures, 4);
    memcpy(buf + 4, &cf->since, 8);
    memcpy(buf + 12, &cf->until, 8);
}


int
mado_clientfail_decode(const void *v, size_t len, mado_clientfail_t *cf)
{
    const unsigned char  *p = v;

    memset(cf, 0, sizeof(mado_clientfail_t));

    if (len != MADO_CLIENT_SIZE) {
        return -1;
    }

    memcpy(&cf->failures, p, 4);
    memcpy(&cf->since, p + 4, 8);
    memcpy(&cf->until, p + 12, 8);

    return 0;
}


/* ------------------------------------------------------------ refusal */

void
mado_refusal_encode(const mado_refusal_t *rf, unsigned char *buf)
{
    memcpy(buf, &rf->since, 8);
    memcpy(buf + 8, &rf->audited, 4);
}


int
mado_refusal_decode(const void *v, size_t len, mado_refusal_t *rf)
{
    const unsigned char  *p = v;

    memset(rf, 0, sizeof(mado_refusal_t));

    if (len != MADO_REFUSAL_SIZE) {
        return -1;
    }

    memcpy(&rf->since, p, 8);
    memcpy(&rf->audited, p + 8, 4);

    return 0;
}


/* ------------------------------------------------------------ login */

void
mado_loginfail_encode(const mado_loginfail_t *lf, unsigned char *buf)
{
    memcpy(buf, &lf->failures, 4);
    memcpy(buf + 4, &lf->since, 8);
    memcpy(buf + 12, &lf->until, 8);
    memcpy(buf + 20, &lf->ok, 8);
}


int
mado_loginfail_decode(const void *v, size_t len, mado_loginfail_t *lf)
{
    const unsigned char  *p = v;

    memset(lf, 0, sizeof(mado_loginfail_t));

    if (len != MADO_LOGINFAIL_SIZE) {
        return -1;
    }

    memcpy(&lf->failures, p, 4);
    memcpy(&lf->since, p + 4, 8);
    memcpy(&lf->until, p + 12, 8);
    memcpy(&lf->ok, p + 20, 8);

    return 0;
}
