/*
 * madoctl logs: one line of mado's access log (log_format mado_json in
 * conf.example/nginx/conf.d/mado.conf) read into its fields, and what
 * search and stats derive from them: the day and hour, the office a path
 * names, page views, bots, the referrer's host.
 *
 * The log is outside input (what clients sent, as nginx escaped it), and
 * archives may come from elsewhere: the parser takes any bytes, reads a
 * flat JSON object of strings, numbers and literals, and refuses the rest
 * (t/fuzz/fuzz_log_line.c).  nginx's escape=json writes bytes from 0x80
 * as they are, so strings are bytes, not checked UTF-8.
 */

#define _GNU_SOURCE     /* strcasestr */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "madoctl.h"


static const char *mc_ws(const char *p, const char *end);
static const char *mc_string(const char *p, const char *end, char **out,
    size_t *olen);
static const char *mc_scalar(const char *p, const char *end,
    const char **v, size_t *vlen);
static char *mc_utf8(char *o, unsigned long c);


/*
 * line (len bytes, no newline) into r; its strings are copied, decoded and
 * NUL-terminated, into buf (len + 1 bytes, which always suffice: an escape
 * is never shorter than what it stands for).  0, or -1 and r->why.
 */
int
mc_log_parse(const char *line, size_t len, char *buf, mc_log_rec_t *r)
{
    int                 i, n;
    char               *k, *s, *o;
    size_t              klen, slen;
    const char         *p, *end, *v;
    mc_log_str_t       *f;

    static const struct {
        const char     *name;
        size_t          off;
    } fields[] = {
        { "time",   offsetof(mc_log_rec_t, time) },
        { "addr",   offsetof(mc_log_rec_t, addr) },
        { "method", offsetof(mc_log_rec_t, method) },
        { "path",   offsetof(mc_log_rec_t, path) },
        { "ref",    offsetof(mc_log_rec_t, ref) },
        { "ua",     offsetof(mc_log_rec_t, ua) },
        { "lang",   offsetof(mc_log_rec_t, lang) },
        { "host",   offsetof(mc_log_rec_t, host) },
        { "proto",  offsetof(mc_log_rec_t, proto) },
        { "tls",    offsetof(mc_log_rec_t, tls) },
        { "id",     offsetof(mc_log_rec_t, id) },
        { NULL, 0 }
    };

    memset(r, 0, sizeof(mc_log_rec_t));
    r->status = -1;
    r->bytes = -1;
    r->rt = -1;

    for (i = 0; fields[i].name; i++) {
        f = (mc_log_str_t *) ((char *) r + fields[i].off);
        f->p = "";
    }

    p = line;
    end = line + len;
    o = buf;

    p = mc_ws(p, end);

    if (p == end || *p != '{') {
        r->why = "not a JSON object";
        return -1;
    }

    p = mc_ws(p + 1, end);

    if (p < end && *p == '}') {
        p++;
        goto done;
    }

    for ( ;; ) {
        if (p == end || *p != '"') {
            r->why = "a key is not a string";
            return -1;
        }

        k = o;
        p = mc_string(p, end, &o, &klen);
        if (p == NULL) {
            r->why = "a key is not a valid string";
            return -1;
        }

        p = mc_ws(p, end);
        if (p == end || *p != ':') {
            r->why = "no ':' after a key";
            return -1;
        }

        p = mc_ws(p + 1, end);
        if (p == end) {
            r->why = "a value is missing";
            return -1;
        }

        if (*p == '"') {
            s = o;
            p = mc_string(p, end, &o, &slen);
            if (p == NULL) {
                r->why = "a value is not a valid string";
                return -1;
            }

            for (i = 0; fields[i].name; i++) {
                if (strcmp(k, fields[i].name) == 0) {
                    f = (mc_log_str_t *) ((char *) r + fields[i].off);
                    f->p = s;
                    f->len = slen;
                    break;
                }
            }

        } else {
            p = mc_scalar(p, end, &v, &slen);
            if (p == NULL) {
                r->why = "a value is not a string, number or literal";
                return -1;
            }

            /* numbers are read from the line, not buf: they end there */
            if (strcmp(k, "status") == 0) {
                n = 0;
                for (i = 0; (size_t) i < slen && i < 4; i++) {
                    if (!isdigit((unsigned char) v[i])) {
                        break;
                    }
                    n = n * 10 + (v[i] - '0');
                }
                if ((size_t) i != slen || slen != 3) {
                    r->why = "status is not a 3-digit number";
                    return -1;
                }
                r->status = n;

            } else if (strcmp(k, "bytes") == 0) {
                r->bytes = 0;
                for (i = 0; (size_t) i < slen && i < 18; i++) {
                    if (!isdigit((unsigned char) v[i])) {
                        break;
                    }
                    r->bytes = r->bytes * 10 + (v[i] - '0');
                }
                if ((size_t) i != slen) {
                    r->why = "bytes is not a number";
                    return -1;
                }

            } else if (strcmp(k, "rt") == 0) {
                char   num[32], *e;

                if (slen >= sizeof(num)) {
                    r->why = "rt is not a number";
                    return -1;
                }
                memcpy(num, v, slen);
                num[slen] = '\0';
                r->rt = strtod(num, &e);
                if (*e != '\0' || !(r->rt >= 0 && r->rt < 1e9)) {
                    r->why = "rt is not a number";
                    return -1;
                }
            }
        }

        /* the key's copy is not needed past here */
        o = (k == o - klen - 1) ? k : o;

        p = mc_ws(p, end);
        if (p == end) {
            r->why = "the object is not closed";
            return -1;
        }

        if (*p == '}') {
            p++;
            break;
        }

        if (*p != ',') {
            r->why = "no ',' or '}' after a value";
            return -1;
        }

        p = mc_ws(p + 1, end);
    }

done:

    if (mc_ws(p, end) != end) {
        r->why = "text after the object";
        return -1;
    }

    if (r->time.len < 13 || r->status < 0 || r->path.len == 0) {
        r->why = "time, path or status missing";
        return -1;
    }

    /* YYYY-MM-DDTHH: the day and hour as logged (the server's time) */
    s = (char *) r->time.p;
    for (i = 0; i < 13; i++) {
        if (i == 4 || i == 7 ? s[i] != '-' : i == 10 ? s[i] != 'T'
            : !isdigit((unsigned char) s[i]))
        {
            r->why = "time is not ISO 8601 (YYYY-MM-DDTHH:MM:SS+HH:MM)";
            return -1;
        }
    }

    r->date = atoi(s) * 10000 + atoi(s + 5) * 100 + atoi(s + 8);
    r->hour = (s[11] - '0') * 10 + (s[12] - '0');

    if (r->date / 100 % 100 < 1 || r->date / 100 % 100 > 12
        || r->date % 100 < 1 || r->date % 100 > 31 || r->hour > 23)
    {
        r->why = "time is not a valid date and hour";
        return -1;
    }

    return 0;
}


static const char *
mc_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
    }

    return p;
}


/* a JSON string at p ('"') decoded to *out (advanced past a NUL) */
static const char *
mc_string(const char *p, const char *end, char **out, size_t *olen)
{
    int             i;
    char           *o, *start;
    unsigned long   c, lo;

    o = start = *out;
    p++;

    while (p < end && *p != '"') {
        if ((unsigned char) *p < 0x20) {
            return NULL;
        }

        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }

        if (++p == end) {
            return NULL;
        }

        switch (*p++) {
        case '"':  *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/':  *o++ = '/'; break;
        case 'b':  *o++ = '\b'; break;
        case 'f':  *o++ = '\f'; break;
        case 'n':  *o++ = '\n'; break;
        case 'r':  *o++ = '\r'; break;
        case 't':  *o++ = '\t'; break;

        case 'u':
            c = 0;
            for (i = 0; i < 4; i++, p++) {
                if (p == end || !isxdigit((unsigned char) *p)) {
                    return NULL;
                }
                c = c * 16 + (isdigit((unsigned char) *p) ? *p - '0'
                              : (tolower((unsigned char) *p) - 'a' + 10));
            }

            /* a pair of surrogates is one character, a lone one U+FFFD */
            if (c >= 0xd800 && c < 0xdc00 && end - p >= 6 && p[0] == '\\'
                && p[1] == 'u')
            {
                lo = 0;
                for (i = 2; i < 6; i++) {
                    if (!isxdigit((unsigned char) p[i])) {
                        break;
                    }
                    lo = lo * 16 + (isdigit((unsigned char) p[i]) ? p[i] - '0'
                                    : (tolower((unsigned char) p[i]) - 'a'
                                       + 10));
                }

                if (i == 6 && lo >= 0xdc00 && lo < 0xe000) {
                    c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                }
            }

            if (c >= 0xd800 && c < 0xe000) {
                c = 0xfffd;
            }

            /* a NUL would end the C strings the callers use */
            if (c == 0) {
                return NULL;
            }

            o = mc_utf8(o, c);
            break;

        default:
            return NULL;
        }
    }

    if (p == end) {
        return NULL;
    }

    *olen = (size_t) (o - start);
    *o++ = '\0';
    *out = o;

    return p + 1;
}


/* a number or true, false, null: its text */
static const char *
mc_scalar(const char *p, const char *end, const char **v, size_t *vlen)
{
    const char  *s = p;

    while (p < end && (isalnum((unsigned char) *p) || *p == '.' || *p == '-'
                       || *p == '+'))
    {
        p++;
    }

    if (p == s) {
        return NULL;
    }

    *v = s;
    *vlen = (size_t) (p - s);

    if (!isdigit((unsigned char) *s) && *s != '-'
        && !(*vlen == 4 && (memcmp(s, "true", 4) == 0
                            || memcmp(s, "null", 4) == 0))
        && !(*vlen == 5 && memcmp(s, "false", 5) == 0))
    {
        return NULL;
    }

    return p;
}


static char *
mc_utf8(char *o, unsigned long c)
{
    if (c < 0x80) {
        *o++ = (char) c;

    } else if (c < 0x800) {
        *o++ = (char) (0xc0 | (c >> 6));
        *o++ = (char) (0x80 | (c & 0x3f));

    } else if (c < 0x10000) {
        *o++ = (char) (0xe0 | (c >> 12));
        *o++ = (char) (0x80 | ((c >> 6) & 0x3f));
        *o++ = (char) (0x80 | (c & 0x3f));

    } else {
        *o++ = (char) (0xf0 | (c >> 18));
        *o++ = (char) (0x80 | ((c >> 12) & 0x3f));
        *o++ = (char) (0x80 | ((c >> 6) & 0x3f));
        *o++ = (char) (0x80 | (c & 0x3f));
    }

    return o;
}


/*
 * The office a path names, into out (MC_LOG_OFFICE_MAX + 1 bytes): /ID,
 * /ID/signage, /ID/qr.svg, /embed/ID, /api/v1/offices/ID[/...].  "" for
 * none (the top page, assets, the staff panel, the update API).  Returns
 * the page kind: MC_PAGE_* (MC_PAGE_NONE for what is not a page).
 */
int
mc_log_office(const char *path, size_t len, char *out)
{
    size_t       n, i;
    const char  *p, *end, *seg;

    static const char *const  reserved[] = {
        "api", "assets", "staff", "embed", "favicon.ico", "robots.txt", NULL
    };

    out[0] = '\0';
    p = path;
    end = path + len;

    if (len == 1 && *p == '/') {
        return MC_PAGE_TOP;
    }

    if (len > 15 && memcmp(p, "/api/v1/offices/", 16) == 0) {
        p += 16;
        for (n = 0; p + n < end && p[n] != '/'; n++) { /* void */ }
        if (n == 0 || n > MC_LOG_OFFICE_MAX) {
            return MC_PAGE_NONE;
        }
        for (i = 0; i < n; i++) {
            if (!(islower((unsigned char) p[i]) || isdigit((unsigned char) p[i])
                  || p[i] == '_' || p[i] == '-'))
            {
                return MC_PAGE_NONE;
            }
        }
        memcpy(out, p, n);
        out[n] = '\0';
        return MC_PAGE_NONE;
    }

    if (len > 7 && memcmp(p, "/embed/", 7) == 0) {
        seg = p + 7;
        for (n = 0; seg + n < end && seg[n] != '/'; n++) { /* void */ }
        if (seg + n != end && !(seg + n + 1 == end)) {
            return MC_PAGE_NONE;
        }
        p = seg;
        i = MC_PAGE_EMBED;

    } else {
        seg = p + 1;
        for (n = 0; seg + n < end && seg[n] != '/'; n++) { /* void */ }
        i = MC_PAGE_OFFICE;

        if (seg + n < end) {
            /* /ID/, /ID/signage, /ID/qr.svg */
            const char  *rest = seg + n;
            size_t       rlen = (size_t) (end - rest);

            if (rlen == 1) {
                i = MC_PAGE_OFFICE;
            } else if ((rlen == 8 || (rlen == 9 && rest[8] == '/'))
                       && memcmp(rest, "/signage", 8) == 0)
            {
                i = MC_PAGE_SIGNAGE;
            } else if (rlen == 7 && memcmp(rest, "/qr.svg", 7) == 0) {
                i = MC_PAGE_NONE;
            } else {
                return MC_PAGE_NONE;
            }
        }

        p = seg;
    }

    if (n == 0 || n > MC_LOG_OFFICE_MAX) {
        return MC_PAGE_NONE;
    }

    for (size_t j = 0; j < n; j++) {
        if (!(islower((unsigned char) p[j]) || isdigit((unsigned char) p[j])
              || p[j] == '_' || p[j] == '-'))
        {
            return MC_PAGE_NONE;
        }
    }

    if (i != MC_PAGE_EMBED) {
        for (size_t j = 0; reserved[j]; j++) {
            if (strlen(reserved[j]) == n && memcmp(reserved[j], p, n) == 0) {
                return MC_PAGE_NONE;
            }
        }
    }

    memcpy(out, p, n);
    out[n] = '\0';

    return (int) i;
}


/*
 * A robot, by its User-Agent (case-insensitive substrings): the name of
 * the pattern that matched, or NULL for a person's browser.  No
 * User-Agent at all counts as a robot: browsers always send one.
 */
const char *
mc_log_bot(const char *ua, size_t len)
{
    size_t                     i;
    static const char *const   pats[] = {
        "bot", "crawl", "spider", "slurp", "curl/", "wget/", "python",
        "go-http-client", "java/", "libwww", "httpclient", "okhttp",
        "headless", "scrapy", "facebookexternalhit", "monitor", "check_http",
        "prometheus", "zgrab", "masscan", "nmap", "nikto", "sqlmap",
        "feedfetcher", "mediapartners", "preview", NULL
    };

    if (len == 0) {
        return "(no User-Agent)";
    }

    for (i = 0; pats[i]; i++) {
        if (strcasestr(ua, pats[i]) != NULL) {
            return pats[i];
        }
    }

    return NULL;
}


/* the host of a referer URL (scheme://host[:port]/...), lower case */
size_t
mc_log_ref_host(const char *ref, size_t len, char *out, size_t size)
{
    size_t       n;
    const char  *p, *end, *s;

    out[0] = '\0';
    p = ref;
    end = ref + len;

    s = memchr(p, ':', len);
    if (s == NULL || end - s < 3 || s[1] != '/' || s[2] != '/') {
        return 0;
    }

    p = s + 3;

    /* user:password@ is not the host */
    for (s = p; s < end && *s != '/'; s++) {
        if (*s == '@') {
            p = s + 1;
        }
    }

    for (n = 0; p + n < end && p[n] != '/' && p[n] != ':' && n + 1 < size;
         n++)
    {
        if (p[n] == '[') {
            /* an IPv6 address: up to its ']' */
            while (p + n < end && p[n] != ']' && n + 1 < size) {
                out[n] = p[n];
                n++;
            }
            if (p + n == end || n + 1 >= size) {
                break;
            }
        }
        out[n] = (char) tolower((unsigned char) p[n]);
    }

    out[n] = '\0';

    return n;
}
