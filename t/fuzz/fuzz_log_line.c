/*
 * A line of the access log (log_format mado_json): mc_log_parse, and what
 * search and stats derive from a parsed line (the office of its path, a
 * robot's User-Agent, the referrer's host).  Archives may come from
 * elsewhere: any bytes must be read or refused, never overrun.
 */

#include "fuzz.h"
#include "madoctl.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int            kind;
    char          *line, *buf, office[MC_LOG_OFFICE_MAX + 1], host[256];
    size_t         n;
    mc_log_rec_t   r;

    /* exactly size bytes: the parser must not read past them */
    line = malloc(size ? size : 1);
    buf = malloc(size + 1);
    FUZZ_CHECK(line != NULL && buf != NULL);
    memcpy(line, data, size);

    if (mc_log_parse(line, size, buf, &r) == 0) {
        FUZZ_CHECK(r.status >= 0 && r.status <= 999);
        FUZZ_CHECK(r.hour >= 0 && r.hour <= 23);
        FUZZ_CHECK(r.path.len > 0 && strlen(r.path.p) <= r.path.len);
        FUZZ_CHECK(strlen(r.ua.p) <= r.ua.len);

        kind = mc_log_office(r.path.p, r.path.len, office);
        FUZZ_CHECK(kind >= MC_PAGE_NONE && kind <= MC_PAGE_EMBED);
        FUZZ_CHECK(strlen(office) <= MC_LOG_OFFICE_MAX);
        FUZZ_CHECK(kind == MC_PAGE_NONE || kind == MC_PAGE_TOP
                   || office[0] != '\0');

        (void) mc_log_bot(r.ua.p, r.ua.len);

        n = mc_log_ref_host(r.ref.p, r.ref.len, host, sizeof(host));
        FUZZ_CHECK(n < sizeof(host) && strlen(host) == n);

    } else {
        FUZZ_CHECK(r.why != NULL);
    }

    free(line);
    free(buf);

    return 0;
}
