/*
 * The command line, for every verb: messages and usage errors on standard
 * error, options and arguments, numbers and ids, MADO_NOW, and JSON on
 * standard output.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "madoctl.h"


void
mc_error(const char *fmt, ...)
{
    va_list  ap;

    /* stdout first, so that output and error keep their order on a tty */
    fflush(stdout);

    fputs("madoctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}


int
mc_usage_error(const char *verb, const char *fmt, ...)
{
    va_list  ap;

    fflush(stdout);

    fputs("madoctl: ", stderr);

    if (verb != NULL) {
        fprintf(stderr, "%s: ", verb);
    }

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);

    fprintf(stderr, "\nsee madoctl %s%s--help\n", verb ? verb : "",
            verb ? " " : "");

    return MC_EXIT_USAGE;
}


/* the '?' or ':' that getopt_long returned, as a usage error */
int
mc_getopt_error(const char *verb, int c, char **argv)
{
    int          len;
    const char  *arg;

    /*
     * For a long option getopt has stepped past its element; for an
     * unknown short one in a cluster ("-xv") maybe not, so optopt, which
     * is 0 only for unknown long options, decides.
     */
    arg = argv[optind - 1];
    len = (int) strcspn(arg, "=");

    if (c == ':') {
        return mc_usage_error(verb, "option %s needs an argument", arg);
    }

    if (optopt == 0) {
        return mc_usage_error(verb, "unknown option %.*s", len, arg);
    }

    if (strncmp(arg, "--", 2) == 0 && arg[len] == '=') {
        return mc_usage_error(verb, "option %.*s takes no argument", len,
                              arg);
    }

    return mc_usage_error(verb, "unknown option -%c", optopt);
}


/* getopt for verbs whose only option is --help; MC_CONTINUE: go on */
int
mc_no_options(const char *verb, int argc, char **argv)
{
    int                          c;
    static const struct option   opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        if (c == 'h') {
            return mc_help(verb);
        }

        return mc_getopt_error(verb, c, argv);
    }

    return MC_CONTINUE;
}


/* getopt for verbs whose only options are --json and --help */
int
mc_json_option(const char *verb, int argc, char **argv, int *json)
{
    int                          c;
    static const struct option   opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    *json = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'j':
            *json = 1;
            break;

        case 'h':
            return mc_help(verb);

        default:
            return mc_getopt_error(verb, c, argv);
        }
    }

    return MC_CONTINUE;
}


/*
 * Check the count of positional arguments left after the options: names
 * are their metavariables (NULL-terminated), the first min are required.
 */
int
mc_args(const char *verb, int argc, char **argv, const char *const *names,
    int min)
{
    int  n, max;

    for (max = 0; names[max] != NULL; max++) { /* void */ }

    n = argc - optind;

    if (n < min) {
        return mc_usage_error(verb, "missing %s", names[n]);
    }

    if (n > max) {
        return mc_usage_error(verb, "unexpected argument \"%s\"",
                              argv[optind + max]);
    }

    return MC_EXIT_OK;
}


int
mc_check_id(const char *name, const char *id)
{
    if (!mado_valid_id(id, strlen(id))) {
        mc_error("%s: must be 1-%d of a-z 0-9 - _, not \"%s\"", name,
                 MADO_ID_MAX, id);
        return MC_EXIT_REFUSED;
    }

    return MC_EXIT_OK;
}


/* a decimal integer min..max, nothing else (no sign, no spaces, no 0x) */
int
mc_parse_uint(const char *name, const char *s, uint32_t min, uint32_t max,
    uint32_t *out)
{
    uint64_t     v;
    const char  *p;

    v = 0;

    for (p = s; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');

        if (v > max) {
            break;
        }
    }

    if (p == s || *p != '\0' || v < min || v > max) {
        mc_error("%s: must be an integer %u..%u, not \"%s\"", name,
                 (unsigned) min, (unsigned) max, s);
        return MC_EXIT_REFUSED;
    }

    *out = (uint32_t) v;

    return MC_EXIT_OK;
}


int
mc_parse_double(const char *name, const char *s, double min, double max,
    double *out)
{
    char    *end;
    double   v;

    errno = 0;
    v = strtod(s, &end);

    if (end == s || *end != '\0' || errno != 0 || !isfinite(v)
        || v < min || v > max || (min == 0 && v == 0))
    {
        if (min == 0) {
            mc_error("%s: must be a number more than 0 and at most %g, "
                     "not \"%s\"", name, max, s);

        } else {
            mc_error("%s: must be a number %g..%g, not \"%s\"", name, min,
                     max, s);
        }

        return MC_EXIT_REFUSED;
    }

    *out = v;

    return MC_EXIT_OK;
}


/* now, from MADO_NOW when set (tests, replays), else the system clock */
int
mc_clock(mc_ctx_t *ctx)
{
    const char  *v;

    v = getenv("MADO_NOW");

    if (v == NULL || *v == '\0') {
        ctx->now = (int64_t) time(NULL);
        return MC_EXIT_OK;
    }

    if (mado_parse_time(v, &ctx->now) != 0) {
        mc_error("MADO_NOW: must be unix seconds or ISO 8601 like "
                 "\"2026-11-27T09:30:00+09:00\", not \"%s\"", v);
        return MC_EXIT_USAGE;
    }

    return MC_EXIT_OK;
}


/* a generator of --json output, indented by two spaces; NULL if none */
yajl_gen
mc_json_gen(void)
{
    yajl_gen  g;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        mc_error("out of memory");
        return NULL;
    }

    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, "  ");

    return g;
}


/* print what a yajl generator made, with a final newline, and free it */
int
mc_json_print(yajl_gen g)
{
    size_t                len;
    const unsigned char  *buf;

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        mc_error("cannot generate JSON");
        return MC_EXIT_STORE;
    }

    fwrite(buf, 1, len, stdout);

    /* beautified yajl output ends with a newline already */
    if (len == 0 || buf[len - 1] != '\n') {
        putchar('\n');
    }

    yajl_gen_free(g);

    return MC_EXIT_OK;
}
