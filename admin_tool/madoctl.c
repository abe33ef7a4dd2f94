/*
 * madoctl: main, the global options, and the dispatch to a verb
 * (verbs.c holds the verb table and the usage texts).
 *
 *   madoctl [--store DIR] VERB [options] [args]
 *   madoctl --server URL [--cacert FILE] [--proxy URL] VERB [options] [args]
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "madoctl.h"


int
main(int argc, char **argv)
{
    int               c, rc, local;
    char             *env;
    mc_ctx_t          ctx;
    const char       *server;
    const mc_verb_t  *verb;

    static const struct option  opts[] = {
        { "store",      required_argument, NULL, 's' },
        { "audit-key",  required_argument, NULL, 'k' },
        { "server",     required_argument, NULL, 'S' },
        { "cacert",     required_argument, NULL, 'C' },
        { "token-file", required_argument, NULL, 'T' },
        { "proxy",      required_argument, NULL, 'P' },
        { "help",      no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };

    /* files we create in the store are for the nginx workers' group too */
    umask(007);

    /* we word option errors ourselves, with "madoctl:" not argv[0] */
    opterr = 0;

    memset(&ctx, 0, sizeof(mc_ctx_t));

    env = getenv("MADO_STORE");
    ctx.store = (env != NULL && *env != '\0') ? env : MADO_DEFAULT_STORE;

    env = getenv("MADO_AUDIT_KEY");
    ctx.audit_key = (env != NULL && *env != '\0') ? env
                                                  : MC_DEFAULT_AUDIT_KEY;

    env = getenv("MADO_CACERT");
    ctx.cacert = (env != NULL && *env != '\0') ? env : NULL;

    env = getenv("MADO_TOKEN_FILE");
    ctx.token_file = (env != NULL && *env != '\0') ? env : NULL;

    /* madoctl's own proxy; without it libcurl reads https_proxy... */
    env = getenv("MADO_PROXY");
    ctx.proxy = (env != NULL && *env != '\0') ? env : NULL;
    ctx.proxy_from = "MADO_PROXY";

    server = NULL;
    local = 0;          /* --store or --audit-key given */

    /* "+": stop at the verb, its options are its own */
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        switch (c) {

        case 's':
            if (*optarg == '\0') {
                return mc_usage_error(NULL, "--store: must not be empty");
            }

            ctx.store = optarg;
            local = 1;
            break;

        case 'k':
            if (*optarg == '\0') {
                return mc_usage_error(NULL, "--audit-key: must not be empty");
            }

            ctx.audit_key = optarg;
            local = 1;
            break;

        case 'S':
        case 'C':
        case 'T':
        case 'P':
            if (*optarg == '\0') {
                return mc_usage_error(NULL, "%s: must not be empty",
                                      c == 'S' ? "--server"
                                      : c == 'C' ? "--cacert"
                                      : c == 'T' ? "--token-file"
                                      : "--proxy");
            }

            if (c == 'S') {
                server = optarg;
            } else if (c == 'C') {
                ctx.cacert = optarg;
            } else if (c == 'T') {
                ctx.token_file = optarg;
            } else {
                ctx.proxy = optarg;
                ctx.proxy_from = "--proxy";
            }

            break;

        case 'h':
            return mc_help(NULL);

        case 'V':
            printf("madoctl %s (store schema %d)\n", MC_VERSION,
                   MADO_SCHEMA_VERSION);
            return MC_EXIT_OK;

        default:
            return mc_getopt_error(NULL, c, argv);
        }
    }

    if (optind >= argc) {
        return mc_usage_error(NULL, "no verb given");
    }

    verb = mc_verb_find(argv[optind]);
    if (verb == NULL) {
        return mc_usage_error(NULL, "unknown verb \"%s\"", argv[optind]);
    }

    /*
     * --server asked for remote: a verb that cannot be is an error, not
     * silently done to a local store.  MADO_SERVER only says where the
     * verbs that can go remote go.
     */
    if (verb->where == MC_LOCAL) {
        if (server != NULL) {
            return mc_usage_error(NULL, "--server: only login, logout, set, "
                                  "issue, call and cancel work remotely, "
                                  "not \"%s\"", verb->name);
        }

    } else {
        /* an option beats the environment: --store means this store */
        env = getenv("MADO_SERVER");
        ctx.server = server ? server
                     : (env != NULL && *env != '\0' && !local) ? env : NULL;

        if (server != NULL && local && verb->run != mc_cmd_help) {
            return mc_usage_error(NULL, "--store and --audit-key are for a "
                                  "local store; with --server the server "
                                  "writes its own");
        }

        if (verb->where == MC_REMOTE && ctx.server == NULL) {
            return mc_usage_error(verb->name, "needs --server URL (or "
                                  "MADO_SERVER): it works only remotely");
        }
    }

    argc -= optind;
    argv += optind;

    /*
     * optind = 0, not 1: only a full reset makes glibc read the verb's
     * optstring afresh; with 1 it keeps the "+" (stop at the first
     * argument) of the global parse, and "set kita moving --waiting 3"
     * would not see its option.
     */
    optind = 0;

    rc = verb->run(&ctx, argc, argv);

    /* a full disk or closed pipe must not pass as success */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        mc_error("writing output: %s", strerror(errno));
        if (rc == MC_EXIT_OK) {
            rc = MC_EXIT_REFUSED;
        }
    }

    return rc;
}
