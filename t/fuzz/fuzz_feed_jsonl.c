/*
 * A feed batch as the update API reads a POST body (mado_feed_body: the
 * lines framed by mado_feed_line, each parsed by mado_feed_jsonl, as
 * "madoctl feed --format jsonl" parses a log's lines).  Every event taken
 * is a whole one, and they come in applying order.
 */

#include "fuzz.h"


#define FUZZ_MAX_EVENTS  64


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                    i;
    mado_feed_body_t          fb;
    const mado_feed_event_t  *e, *prev;

    if (mado_feed_body((const char *) data, size, FUZZ_MAX_EVENTS, &fb) != 0)
    {
        return 0;
    }

    FUZZ_CHECK(fb.n <= FUZZ_MAX_EVENTS);
    FUZZ_CHECK(!(fb.bad || fb.too_many) || fb.why[0] != '\0');

    for (i = 0, prev = NULL; !fb.bad && i < fb.n; i++, prev = e) {
        e = fb.order[i];

        FUZZ_CHECK(e >= fb.events && e < fb.events + fb.n);
        FUZZ_CHECK(e->ev.type < MADO_NEV);
        FUZZ_CHECK(e->ev.ticket >= 1 && e->ev.ticket <= MADO_COUNT_MAX);
        FUZZ_CHECK(e->ev.time > 0);
        FUZZ_CHECK(mado_valid_id(e->key, strlen(e->key)));
        FUZZ_CHECK(e->line >= 1);

        /*
         * A second stamp is applied at its second; a minute stamp names
         * the minute's start and is applied inside that minute
         */
        if (e->ev.flags & MADO_EV_MINUTE) {
            FUZZ_CHECK(e->ev.time % 60 == 0);
            FUZZ_CHECK(e->sort_time >= e->ev.time
                       && e->sort_time <= e->ev.time + 59);

        } else {
            FUZZ_CHECK(e->sort_time == e->ev.time);
        }

        /* applying order: time, then issue, call, cancel, then line */
        FUZZ_CHECK(prev == NULL || prev->sort_time < e->sort_time
                   || (prev->sort_time == e->sort_time
                       && (prev->sort_kind < e->sort_kind
                           || (prev->sort_kind == e->sort_kind
                               && prev->line < e->line))));
    }

    mado_feed_body_free(&fb);

    return 0;
}
