/*
 * madoctl user add|passwd|disable|enable|list|grant|revoke|seal: the staff
 * accounts that the update API authenticates.  Every change is one
 * audited write; the audit record never holds a password or token.  The
 * library seals each account it writes (mado_account.c) and refuses one
 * whose seal does not match; list marks those, seal accepts them.
 * passwd and disable end the account's sessions in the same write.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "madoctl.h"


typedef enum {
    MC_USER_ADD = 0,
    MC_USER_PASSWD,
    MC_USER_DISABLE,
    MC_USER_ENABLE,
    MC_USER_GRANT,
    MC_USER_REVOKE
} mc_user_op_e;

static const char *const  mc_user_ops[] = {
    "user.add", "user.passwd", "user.disable", "user.enable", "user.grant",
    "user.revoke"
};


typedef struct {
    mc_user_op_e        op;
    const char         *id;
    int                 role;
    char              **offices;
    int                 noffices;
    const char         *password;       /* NULL: a feed account's token */
    uint32_t            iterations;     /* PBKDF2; 0: production's */
    int64_t             now;
    char                token[MADO_TOKEN_LEN + 1];      /* out */
    uint64_t            ended;          /* out: sessions ended */
} mc_user_t;


static int mc_user_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err);
static int mc_user_password(mado_store_t *s, MDB_txn *txn,
    mado_account_t *a, const mc_user_t *u, mado_err_t *err);
static int mc_user_list(mc_ctx_t *ctx, int argc, char **argv);
static int mc_user_seal(mc_ctx_t *ctx, int argc, char **argv);
static int mc_read_password(const char *id, int from_stdin, char *buf,
    size_t len);
static int mc_user_iterations_refused(mado_store_t *s, const char *store,
    const mc_user_t *u);


int
mc_cmd_user(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, i, from_stdin;
    char                         pw[MADO_PASSWORD_MAX + 2];
    const char                  *verb, *role, *iter_arg;
    mado_err_t                   err;
    mado_store_t                 s;
    mc_user_t                    u;
    static const char *const     verbs[] = {
        "add", "passwd", "disable", "enable", "grant", "revoke", NULL
    };
    static const struct option   opts[] = {
        { "role",           required_argument, NULL, 'r' },
        { "office",         required_argument, NULL, 'o' },
        { "password-stdin", no_argument,       NULL, 'p' },
        { "iterations",     required_argument, NULL, 'i' },
        { "help",           no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    char                        *offices[MADO_OFFICES_MAX];

    if (argc < 2 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "--help") == 0)
    {
        return argc < 2 ? mc_usage_error("user", "say add, passwd, "
                                         "disable, enable, list, grant, "
                                         "revoke or seal")
                        : mc_help("user");
    }

    verb = argv[1];

    if (strcmp(verb, "list") == 0) {
        return mc_user_list(ctx, argc - 1, argv + 1);
    }

    if (strcmp(verb, "seal") == 0) {
        return mc_user_seal(ctx, argc - 1, argv + 1);
    }

    for (i = 0; verbs[i] != NULL; i++) {
        if (strcmp(verb, verbs[i]) == 0) {
            break;
        }
    }

    if (verbs[i] == NULL) {
        return mc_usage_error("user", "unknown user verb \"%s\"", verb);
    }

    memset(&u, 0, sizeof(u));
    u.op = (mc_user_op_e) i;
    u.role = -1;
    u.offices = offices;
    role = NULL;
    iter_arg = NULL;
    from_stdin = 0;

    argc--;
    argv++;
    optind = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {

        case 'r':
            role = optarg;
            break;

        case 'o':
            if (u.noffices == MADO_OFFICES_MAX) {
                return mc_usage_error("user", "too many --office");
            }
            offices[u.noffices++] = optarg;
            break;

        case 'p':
            from_stdin = 1;
            break;

        case 'i':
            iter_arg = optarg;
            break;

        case 'h':
            return mc_help("user");

        default:
            return mc_getopt_error("user", c, argv);
        }
    }

    if (optind >= argc) {
        return mc_usage_error("user", "USER is missing");
    }

    u.id = argv[optind++];

    /* grant and revoke take offices as arguments too */
    for ( /* void */ ; optind < argc; optind++) {
        if ((u.op != MC_USER_GRANT && u.op != MC_USER_REVOKE)
            || u.noffices == MADO_OFFICES_MAX)
        {
            return mc_usage_error("user", "unexpected argument \"%s\"",
                                  argv[optind]);
        }
        offices[u.noffices++] = argv[optind];
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    u.now = ctx->now;

    if (mc_check_id("USER", u.id) != MC_EXIT_OK) {
        return MC_EXIT_REFUSED;
    }

    for (i = 0; i < u.noffices; i++) {
        if (mc_check_id("--office", offices[i]) != MC_EXIT_OK) {
            return MC_EXIT_REFUSED;
        }
    }

    if (u.op == MC_USER_ADD) {
        if (role == NULL) {
            return mc_usage_error("user", "--role is required (admin, staff "
                                  "or feed)");
        }

        u.role = mado_role_parse(role);
        if (u.role < 0) {
            mc_error("--role: must be admin, staff or feed, not \"%s\"", role);
            return MC_EXIT_REFUSED;
        }

        if (u.role != MADO_ROLE_ADMIN && u.noffices == 0) {
            mc_error("--office: a %s account needs at least one office",
                     role);
            return MC_EXIT_REFUSED;
        }

    } else if (role != NULL) {
        return mc_usage_error("user", "--role is for add only");
    }

    if ((u.op == MC_USER_GRANT || u.op == MC_USER_REVOKE) && u.noffices == 0)
    {
        return mc_usage_error("user", "OFFICE is missing");
    }

    if (iter_arg != NULL) {
        if (u.op != MC_USER_ADD && u.op != MC_USER_PASSWD) {
            return mc_usage_error("user", "--iterations is for add and "
                                  "passwd only");
        }

        if (mc_parse_uint("--iterations", iter_arg, 1,
                          MADO_PBKDF2_ITERATIONS_MAX, &u.iterations)
            != MC_EXIT_OK)
        {
            return MC_EXIT_REFUSED;
        }
    }

    rc = mc_store_open(ctx, &s, 0);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    /* a password is needed for add and passwd of a person, not a machine */
    if ((u.op == MC_USER_ADD && u.role != MADO_ROLE_FEED)
        || u.op == MC_USER_PASSWD)
    {
        MDB_txn         *txn;
        mado_account_t   a;

        if (u.op == MC_USER_PASSWD) {
            if (mado_store_read_begin(&s, &txn, &err) != MADO_OK) {
                mado_store_close(&s);
                mc_error("%s", err.text);
                return MC_EXIT_STORE;
            }

            rc = mado_account_get(&s, txn, u.id, &a, &err);
            mdb_txn_abort(txn);

            if (rc != MADO_OK) {
                mado_store_close(&s);
                mc_error("USER: %s", err.text);
                return mc_exit_code(rc);
            }

            u.role = (int) a.role;
            OPENSSL_cleanse(&a, sizeof(a));
        }

        /* said before the password is asked; the library checks again */
        if (u.iterations != 0
            && mc_user_iterations_refused(&s, ctx->store, &u))
        {
            mado_store_close(&s);
            return MC_EXIT_REFUSED;
        }

        if (u.role != MADO_ROLE_FEED) {
            if (mc_read_password(u.id, from_stdin, pw, sizeof(pw)) != 0) {
                mado_store_close(&s);
                return MC_EXIT_REFUSED;
            }

            if (mado_password_policy(u.id, pw, &err) != MADO_OK) {
                OPENSSL_cleanse(pw, sizeof(pw));
                mado_store_close(&s);
                mc_error("%s", err.text);
                return MC_EXIT_REFUSED;
            }

            u.password = pw;
        }
    }

    if (u.iterations != 0 && u.op == MC_USER_ADD && u.role == MADO_ROLE_FEED
        && mc_user_iterations_refused(&s, ctx->store, &u))
    {
        mado_store_close(&s);
        return MC_EXIT_REFUSED;
    }

    rc = mado_store_write(&s, mc_user_write, &u, &err);
    mado_store_close(&s);
    OPENSSL_cleanse(pw, sizeof(pw));

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        OPENSSL_cleanse(u.token, sizeof(u.token));
        return mc_exit_code(rc);
    }

    if (u.token[0] != '\0') {
        /* shown once: only its hash is kept */
        printf("%s\n", u.token);
        OPENSSL_cleanse(u.token, sizeof(u.token));

    } else {
        printf("%s: %s\n", u.id, mc_user_ops[u.op] + 5);
    }

    if (u.ended) {
        printf("%s: %llu session%s ended\n", u.id,
               (unsigned long long) u.ended, u.ended == 1 ? "" : "s");
    }

    return MC_EXIT_OK;
}


static int
mc_user_write(mado_store_t *s, MDB_txn *txn, void *arg, mado_err_t *err)
{
    int              rc, i, n;
    unsigned         k, j;
    char             offices[MADO_OFFICES_MAX * (MADO_ID_MAX + 1) + 1];
    char             iterations[16], ended[24];
    mc_user_t       *u = arg;
    mado_account_t   a;
    mado_office_def_t o;
    const char      *extra[] = { "user", u->id, "role", "", "offices",
                                 offices, NULL, NULL, NULL, NULL, NULL };

    u->token[0] = '\0';
    u->ended = 0;

    rc = mado_account_get(s, txn, u->id, &a, err);

    if (rc == MADO_ESEAL) {
        char  why[sizeof(err->text)];

        /* changed outside madoctl: nothing is built on it */
        OPENSSL_cleanse(&a, sizeof(a));
        memcpy(why, err->text, sizeof(why));
        return mado_fail(err, MADO_ESEAL, "USER: %s", why);
    }

    if (u->op == MC_USER_ADD) {
        if (rc == MADO_OK) {
            return mado_fail(err, MADO_EINVAL, "USER: \"%s\" exists", u->id);
        }

        if (rc != MADO_ENOTFOUND) {
            return rc;
        }

        memset(&a, 0, sizeof(a));
        snprintf(a.id, sizeof(a.id), "%s", u->id);
        a.role = (uint32_t) u->role;
        a.created_at = u->now;

    } else if (rc != MADO_OK) {
        return rc == MADO_ENOTFOUND
               ? mado_fail(err, MADO_EINVAL, "USER: no user \"%s\"", u->id)
               : rc;
    }

    /* offices must exist when granted */
    for (i = 0; i < u->noffices && u->op != MC_USER_REVOKE; i++) {
        memset(&o, 0, sizeof(o));
        rc = mado_office_get(s, txn, u->offices[i], &o, err);
        mado_office_free(&o);

        if (rc == MADO_ENOTFOUND) {
            return mado_fail(err, MADO_EINVAL, "--office: no office \"%s\"",
                             u->offices[i]);
        }

        if (rc != MADO_OK) {
            return rc;
        }
    }

    switch (u->op) {

    case MC_USER_ADD:
    case MC_USER_GRANT:
        for (i = 0; i < u->noffices; i++) {
            for (k = 0; k < a.noffices; k++) {
                if (strcmp(a.offices[k], u->offices[i]) == 0) {
                    break;
                }
            }

            if (k == a.noffices && a.noffices < MADO_OFFICES_MAX) {
                strcpy(a.offices[a.noffices++], u->offices[i]);
            }
        }

        if (u->op == MC_USER_ADD) {
            rc = (a.role == MADO_ROLE_FEED)
                 ? mado_token_new(&a, u->token, err)
                 : mc_user_password(s, txn, &a, u, err);
            if (rc != MADO_OK) {
                return rc;
            }
        }

        break;

    case MC_USER_REVOKE:
        for (i = 0; i < u->noffices; i++) {
            for (k = 0, j = 0; k < a.noffices; k++) {
                if (strcmp(a.offices[k], u->offices[i]) != 0) {
                    memmove(a.offices[j++], a.offices[k], MADO_ID_MAX + 1);
                }
            }
            a.noffices = j;
        }
        break;

    case MC_USER_PASSWD:
        rc = (a.role == MADO_ROLE_FEED) ? mado_token_new(&a, u->token, err)
                                        : mc_user_password(s, txn, &a, u,
                                                           err);
        if (rc != MADO_OK) {
            return rc;
        }

        /* a new secret ends a lockout, at every address */
        a.failures = 0;
        a.locked_until = 0;
        rc = mado_login_forget(s, txn, a.id, err);
        if (rc != MADO_OK) {
            return rc;
        }
        break;

    case MC_USER_DISABLE:
        a.disabled = 1;
        break;

    case MC_USER_ENABLE:
        a.disabled = 0;
        a.failures = 0;
        a.locked_until = 0;
        rc = mado_login_forget(s, txn, a.id, err);
        if (rc != MADO_OK) {
            return rc;
        }
        break;
    }

    a.updated_at = u->now;

    rc = mado_account_put(s, txn, &a, err);

    /* a new secret, or a disabled account, ends every session at once */
    if (rc == MADO_OK
        && (u->op == MC_USER_PASSWD || u->op == MC_USER_DISABLE))
    {
        rc = mado_session_end_user(s, txn, a.id, NULL, &u->ended, err);
    }

    if (rc == MADO_OK) {
        offices[0] = '\0';
        for (k = 0; k < a.noffices; k++) {
            if (k) {
                strcat(offices, ",");
            }
            strcat(offices, a.offices[k]);
        }

        extra[3] = mado_role_names[a.role];
        n = 6;

        /* a weaker hash than production's is on the record */
        if (u->iterations != 0
            && (u->op == MC_USER_ADD || u->op == MC_USER_PASSWD)
            && a.role != MADO_ROLE_FEED)
        {
            snprintf(iterations, sizeof(iterations), "%u",
                     (unsigned) u->iterations);
            extra[n++] = "iterations";
            extra[n++] = iterations;
        }

        if (u->op == MC_USER_PASSWD || u->op == MC_USER_DISABLE) {
            snprintf(ended, sizeof(ended), "%llu",
                     (unsigned long long) u->ended);
            extra[n++] = "sessions_ended";
            extra[n++] = ended;
        }

        /* who has which rights, never a secret */
        rc = mc_audit(s, txn, u->now, mc_user_ops[u->op], NULL, NULL, NULL,
                      NULL, extra, err);
    }

    OPENSSL_cleanse(&a, sizeof(a));

    return rc;
}


static int
mc_user_password(mado_store_t *s, MDB_txn *txn, mado_account_t *a,
    const mc_user_t *u, mado_err_t *err)
{
    if (u->iterations == 0) {
        return mado_password_set(a, u->password, err);
    }

    return mado_password_set_iterations(s, txn, a, u->password, u->iterations,
                                        err);
}


/*
 * --iterations: only for a password, and below production's count only on
 * a test store, so that no production account can be weakened
 */
static int
mc_user_iterations_refused(mado_store_t *s, const char *store,
    const mc_user_t *u)
{
    if (u->role == MADO_ROLE_FEED) {
        mc_error("--iterations: a feed account has a token, not a password");
        return 1;
    }

    if (u->iterations < MADO_PBKDF2_ITERATIONS
        && mado_test_store(s, NULL) != 1)
    {
        mc_error("--iterations: fewer than %d only on a test store (made by "
                 "\"madoctl init --test-store\"); %s is not one",
                 MADO_PBKDF2_ITERATIONS, store);
        return 1;
    }

    return 0;
}


/* one line from stdin, or asked twice on the terminal without echo */
static int
mc_read_password(const char *id, int from_stdin, char *buf, size_t len)
{
    char            again[MADO_PASSWORD_MAX + 2];
    FILE           *tty;
    size_t          n;
    struct termios  old, quiet;

    if (from_stdin) {
        if (fgets(buf, (int) len, stdin) == NULL) {
            mc_error("password: nothing on standard input");
            return -1;
        }

        n = strcspn(buf, "\r\n");
        if (buf[n] == '\0' && n == len - 1) {
            mc_error("password: at most %d bytes", MADO_PASSWORD_MAX);
            return -1;
        }

        buf[n] = '\0';
        return 0;
    }

    tty = fopen("/dev/tty", "r+");
    if (tty == NULL) {
        mc_error("password: no terminal to ask on; give --password-stdin");
        return -1;
    }

    tcgetattr(fileno(tty), &old);
    quiet = old;
    quiet.c_lflag &= ~ECHO;
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);

    fprintf(tty, "password for %s: ", id);
    fflush(tty);
    buf[0] = again[0] = '\0';

    if (fgets(buf, (int) len, tty) != NULL) {
        fprintf(tty, "\nagain: ");
        fflush(tty);
        if (fgets(again, sizeof(again), tty) == NULL) {
            again[0] = '\0';
        }
    }

    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fprintf(tty, "\n");
    fclose(tty);

    buf[strcspn(buf, "\r\n")] = '\0';
    again[strcspn(again, "\r\n")] = '\0';

    n = strcmp(buf, again);
    OPENSSL_cleanse(again, sizeof(again));

    if (n != 0) {
        mc_error("password: the two entries differ");
        return -1;
    }

    return 0;
}


typedef struct {
    int                 json;
    yajl_gen            g;
    int64_t             now;
    unsigned            unsealed;
    mado_store_t       *s;
    MDB_txn            *txn;
} mc_user_list_t;


static int
mc_user_print(const mado_account_t *a, void *arg)
{
    char             offices[MADO_OFFICES_MAX * (MADO_ID_MAX + 1) + 1];
    int64_t          until;
    uint32_t         failures;
    unsigned         k;
    mc_user_list_t  *l = arg;
    const char      *state;

    /* locked: held at every address (one address's wait is its own) */
    mado_login_state(l->s, l->txn, a->id, l->now, &failures, &until);

    state = a->disabled ? "disabled" : until > l->now ? "locked" : "enabled";

    if (a->seal_state != MADO_SEAL_OK) {
        l->unsealed++;
    }

    if (l->json) {
        yajl_gen g = l->g;

        yajl_gen_map_open(g);
        mado_gen_str(g, "id");          mado_gen_str(g, a->id);
        mado_gen_str(g, "role");
        mado_gen_str(g, mado_role_names[a->role]);
        mado_gen_str(g, "state");       mado_gen_str(g, state);
        mado_gen_str(g, "secret");
        mado_gen_str(g, a->iterations ? "password" : "token");
        mado_gen_str(g, "iterations");  yajl_gen_integer(g, a->iterations);
        mado_gen_str(g, "failures");    yajl_gen_integer(g, failures);
        mado_gen_str(g, "seal");
        mado_gen_str(g, mado_seal_name(a->seal_state));
        mado_gen_str(g, "offices");
        yajl_gen_array_open(g);
        for (k = 0; k < a->noffices; k++) {
            mado_gen_str(g, a->offices[k]);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
        return 0;
    }

    offices[0] = '\0';
    for (k = 0; k < a->noffices; k++) {
        if (k) {
            strcat(offices, ",");
        }
        strcat(offices, a->offices[k]);
    }

    printf("%-20s %-6s %-9s %s%s\n", a->id, mado_role_names[a->role], state,
           a->role == MADO_ROLE_ADMIN ? "(all)" : offices,
           a->seal_state == MADO_SEAL_OK ? ""
           : a->seal_state == MADO_SEAL_NONE ? "  ! no seal"
           : a->seal_state == MADO_SEAL_UNREADABLE
           ? "  ! does not open: altered or moved outside madoctl"
           : "  ! seal broken: changed outside madoctl");

    return 0;
}


static int
mc_user_list(mc_ctx_t *ctx, int argc, char **argv)
{
    int              rc;
    MDB_txn         *txn;
    mado_err_t       err;
    mado_store_t     s;
    mc_user_list_t   l;

    memset(&l, 0, sizeof(l));

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0)) {
        return mc_usage_error("user", "list takes --json only");
    }

    l.json = (argc == 2);

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK
        || (rc = mc_store_open(ctx, &s, 0)) != MC_EXIT_OK)
    {
        return rc;
    }

    l.now = ctx->now;

    if (mado_store_read_begin(&s, &txn, &err) != MADO_OK) {
        mado_store_close(&s);
        mc_error("%s", err.text);
        return MC_EXIT_STORE;
    }

    if (l.json) {
        l.g = yajl_gen_alloc(NULL);
        yajl_gen_config(l.g, yajl_gen_beautify, 1);
        yajl_gen_array_open(l.g);

    } else {
        printf("%-20s %-6s %-9s %s\n", "USER", "ROLE", "STATE", "OFFICES");
    }

    l.s = &s;
    l.txn = txn;
    rc = mado_account_each(&s, txn, mc_user_print, &l, &err);
    mdb_txn_abort(txn);
    mado_store_close(&s);

    if (l.json) {
        yajl_gen_array_close(l.g);
        mc_json_print(l.g);
    }

    if (rc != MADO_OK) {
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    if (l.unsealed) {
        mc_error("%u account%s marked \"!\" cannot log in: changed outside "
                 "madoctl, or made before accounts were sealed; check, then "
                 "\"madoctl user seal USER\" (\"madoctl audit verify\" says "
                 "more)", l.unsealed, l.unsealed == 1 ? "" : "s");
    }

    return MC_EXIT_OK;
}


/* ------------------------------------------------------------ seal */

typedef struct {
    char                id[MADO_ID_MAX + 1];
    uint32_t            was;            /* MADO_SEAL_* before */
} mc_seal_one_t;

typedef struct {
    int64_t             now;
    int                 all;
    mc_seal_one_t      *v;
    size_t              n;
    size_t              cap;
} mc_user_seal_t;


static int
mc_seal_add(mc_user_seal_t *se, const char *id)
{
    mc_seal_one_t  *v;

    if (se->n == se->cap) {
        v = realloc(se->v, (se->cap ? 2 * se->cap : 16)
                           * sizeof(mc_seal_one_t));
        if (v == NULL) {
            return -1;
        }
        se->v = v;
        se->cap = se->cap ? 2 * se->cap : 16;
    }

    memset(&se->v[se->n], 0, sizeof(mc_seal_one_t));
    snprintf(se->v[se->n].id, sizeof(se->v[se->n].id), "%s", id);
    se->n++;

    return 0;
}


static int
mc_seal_unsealed(const mado_account_t *a, void *arg)
{
    /* a record that does not open has nothing to seal again */
    if (a->seal_state != MADO_SEAL_OK
        && a->seal_state != MADO_SEAL_UNREADABLE
        && mc_seal_add(arg, a->id) != 0)
    {
        return 1;
    }

    return 0;
}


/*
 * Each account is sealed as it is now, one audit record each (user.seal,
 * with its role and offices and what its seal was), so that accepting a
 * changed account is on the trail like any other change of rights.
 */
static int
mc_user_seal_write(mado_store_t *s, MDB_txn *txn, void *arg,
    mado_err_t *err)
{
    int               rc;
    char              offices[MADO_OFFICES_MAX * (MADO_ID_MAX + 1) + 1];
    size_t            i;
    unsigned          k;
    mado_account_t    a;
    mc_user_seal_t   *se = arg;
    const char       *extra[] = { "user", NULL, "role", NULL, "offices",
                                  offices, "was", NULL, NULL };

    if (se->all) {
        se->n = 0;

        rc = mado_account_each(s, txn, mc_seal_unsealed, se, err);
        if (rc != MADO_OK) {
            return rc;
        }
    }

    for (i = 0; i < se->n; i++) {
        rc = mado_account_get(s, txn, se->v[i].id, &a, err);

        if (rc == MADO_ENOTFOUND) {
            return mado_fail(err, MADO_EINVAL, "USER: no user \"%s\"",
                             se->v[i].id);
        }

        if (rc != MADO_OK && rc != MADO_ESEAL) {
            return rc;
        }

        se->v[i].was = a.seal_state;

        if (rc == MADO_OK) {
            OPENSSL_cleanse(&a, sizeof(a));
            continue;
        }

        if (a.seal_state == MADO_SEAL_UNREADABLE) {
            char  why[sizeof(err->text)];

            memcpy(why, err->text, sizeof(why));
            return mado_fail(err, MADO_EINVAL, "USER: %s", why);
        }

        a.updated_at = se->now;
        rc = mado_account_put(s, txn, &a, err);

        if (rc == MADO_OK) {
            offices[0] = '\0';
            for (k = 0; k < a.noffices; k++) {
                if (k) {
                    strcat(offices, ",");
                }
                strcat(offices, a.offices[k]);
            }

            extra[1] = a.id;
            extra[3] = mado_role_names[a.role];
            extra[7] = mado_seal_name(se->v[i].was);

            rc = mc_audit(s, txn, se->now, "user.seal", NULL, NULL, NULL,
                          NULL, extra, err);
        }

        OPENSSL_cleanse(&a, sizeof(a));

        if (rc != MADO_OK) {
            return rc;
        }
    }

    return MADO_OK;
}


static int
mc_user_seal(mc_ctx_t *ctx, int argc, char **argv)
{
    int                          c, rc, i;
    size_t                       k;
    mado_err_t                   err;
    mado_store_t                 s;
    mc_user_seal_t               se;
    static const struct option   opts[] = {
        { "all",  no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&se, 0, sizeof(se));
    optind = 0;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, NULL)) != -1) {
        switch (c) {
        case 'a': se.all = 1; break;
        case 'h': return mc_help("user");
        default:  return mc_getopt_error("user", c, argv);
        }
    }

    if (se.all == (optind < argc)) {
        return mc_usage_error("user", "seal takes USER... or --all");
    }

    for (i = optind; i < argc; i++) {
        if (mc_check_id("USER", argv[i]) != MC_EXIT_OK) {
            free(se.v);
            return MC_EXIT_REFUSED;
        }

        if (mc_seal_add(&se, argv[i]) != 0) {
            free(se.v);
            mc_error("out of memory");
            return MC_EXIT_STORE;
        }
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK
        || (rc = mc_store_open(ctx, &s, 0)) != MC_EXIT_OK)
    {
        free(se.v);
        return rc;
    }

    se.now = ctx->now;

    rc = mado_store_write(&s, mc_user_seal_write, &se, &err);
    mado_store_close(&s);

    if (rc != MADO_OK) {
        free(se.v);
        mc_error("%s", err.text);
        return mc_exit_code(rc);
    }

    for (k = 0; k < se.n; k++) {
        printf("%s: %s\n", se.v[k].id,
               se.v[k].was == MADO_SEAL_OK ? "already sealed"
               : se.v[k].was == MADO_SEAL_NONE ? "sealed (it had no seal)"
               : "sealed (its seal did not match)");
    }

    if (se.all && se.n == 0) {
        printf("every account is sealed\n");
    }

    free(se.v);

    return MC_EXIT_OK;
}
