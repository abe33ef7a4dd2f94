/*
 * madoctl logs init|seal|verify|archive|unarchive|search|stats: mado's
 * access logs (log_format mado_json, /var/log/nginx/mado/), rotated daily
 * by logrotate (conf.example/logrotate/mado), sealed into a forward-secure
 * HMAC chain (log_seal.c), verified with the key kept apart, carried off
 * the server in AES-256-GCM (mado_crypt_seal_fd, under a key derived from
 * the audit key), searched and summarised (cmd_logs_read.c).
 */

#define _GNU_SOURCE     /* O_TMPFILE */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "madoctl.h"
#include "log_seal.h"


#define MC_ARCHIVE_LABEL    "mado log archive v1"
#define MC_ARCHIVE_MAGIC    "MADOLOGA"          /* then 16 bytes key check */
#define MC_ARCHIVE_HEAD     "mado-log-archive v1\n"
#define MC_ARCHIVE_CHECK    16
/* the key id in the sealed file's header (the store's records are 1) */
#define MC_KID_LOG_ARCHIVE  0x4c
/* more epochs (days) than this: a made-up number, not derived to */
#define MC_EPOCH_MAX        1000000

/* options, by letter */
#define MC_O_LOGDIR   "L"
#define MC_O_STATE    "S"


static int mc_logs_init(mc_ctx_t *ctx, int argc, char **argv);
static int mc_logs_seal(mc_ctx_t *ctx, int argc, char **argv);
static int mc_logs_verify(mc_ctx_t *ctx, int argc, char **argv);
static int mc_logs_archive(mc_ctx_t *ctx, int argc, char **argv);
static int mc_logs_unarchive(mc_ctx_t *ctx, int argc, char **argv);
static int mc_logs_read(mc_ctx_t *ctx, int argc, char **argv);
static int mc_logs_open_archive(mc_ctx_t *ctx, const char *file,
    const char *dir, const char *key);


static const char  mc_usage_logs_init[] =
    "usage: madoctl logs init [--state DIR] [--verify-key FILE]\n"
    "\n"
    "Start the seal of the access logs: a random verification key K0, the\n"
    "seal key of the first epoch derived from it (DIR/seal.key, 0600) and\n"
    "an empty chain (DIR/chain).  The verification key goes to FILE\n"
    "(default DIR/verify.key, 0400): move it off this server now (a USB\n"
    "key in the safe, the city's records office), and keep its\n"
    "fingerprint, which init prints, on paper.  Whoever holds it can\n"
    "verify the logs; nobody can forge a past day without it.  A state\n"
    "that has a seal key is refused (exit status 1).\n"
    "\n"
    "Options:\n"
    "  --state DIR        the seal's state (default $MADO_LOG_STATE, else\n"
    "                     " MC_LOG_STATE ")\n"
    "  --verify-key FILE  where to write the verification key\n"
    "  -h, --help         show this help\n";

static const char  mc_usage_logs_seal[] =
    "usage: madoctl logs seal [--log-dir DIR] [--state DIR] [--quiet]\n"
    "\n"
    "Seal every rotated archive (access.log-YYYYMMDD.gz) of DIR not sealed\n"
    "yet into the chain, oldest first: name, date, size, SHA-256, epoch,\n"
    "the MAC of the entry before and its own MAC under the key of this\n"
    "epoch; then the key moves on (K(e+1) = HMAC(K(e), label)) and the old\n"
    "one is overwritten.  logrotate runs it after each rotation\n"
    "(conf.example/logrotate/mado).  Nothing new: nothing changes.\n"
    "\n"
    "Exit status: 0 sealed (or nothing to seal); 3 no seal key (run\n"
    "\"madoctl logs init\"), or the logs or the state cannot be read or\n"
    "written.\n"
    "\n"
    "Options:\n"
    "  --log-dir DIR  the logs (default $MADO_LOG_DIR, else " MC_LOG_DIR ")\n"
    "  --state DIR    the seal's state (default $MADO_LOG_STATE, else\n"
    "                 " MC_LOG_STATE ")\n"
    "  --quiet        say nothing when all went well\n"
    "  -h, --help     show this help\n";

static const char  mc_usage_logs_verify[] =
    "usage: madoctl logs verify --key FILE [--log-dir DIR] [--state DIR]\n"
    "                           [--from DATE] [--to DATE] [--keep DAYS]\n"
    "       madoctl [--audit-key FILE] logs verify --archive FILE [--key FILE]\n"
    "\n"
    "Check the archives of the access logs against the chain with the\n"
    "verification key (FILE, from \"logs init\").  Each finding is a line\n"
    "that starts with what was found:\n"
    "  modified   an archive's content is not what was sealed\n"
    "  truncated  an archive is shorter than when sealed\n"
    "  deleted    a sealed archive is gone (younger than --keep days)\n"
    "  renamed    a sealed archive is there under another name\n"
    "  inserted   an archive that was never sealed\n"
    "  reordered  chain entries out of their order\n"
    "  removed    chain entries missing (the chain cut, in the middle or\n"
    "             at its end: the seal key is further on than the chain)\n"
    "  forged     a chain entry (or the seal key) whose MAC does not\n"
    "             verify: altered, made up, or the wrong --key\n"
    "  damaged    a chain line that is no entry\n"
    "Archives older than --keep days (default 400, logrotate's rotate) may\n"
    "be gone: counted as expired, not a finding.  --from and --to limit\n"
    "the archives checked (the whole chain is always checked).\n"
    "\n"
    "With --archive, check a file made by \"logs archive\" instead: it\n"
    "must open under the audit key, and each log in it match its chain\n"
    "entry; with --key the entries' MACs and links are checked too.\n"
    "\n"
    "Exit status: 0 all is well; 1 findings (each on standard output), or\n"
    "the archive does not open (another key, or damaged: said which);\n"
    "2 usage; 3 the key, the chain or the logs cannot be read.\n"
    "\n"
    "Options:\n"
    "  --key FILE         the verification key\n"
    "  --log-dir DIR      the logs (default $MADO_LOG_DIR, else\n"
    "                     " MC_LOG_DIR ")\n"
    "  --state DIR        the chain and the seal key (default\n"
    "                     $MADO_LOG_STATE, else " MC_LOG_STATE ")\n"
    "  --from, --to DATE  YYYY-MM-DD, inclusive, by the archives' dates\n"
    "  --keep DAYS        the archives kept (default 400)\n"
    "  --archive FILE     check a file of \"logs archive\"\n"
    "  -h, --help         show this help\n";

static const char  mc_usage_logs_archive[] =
    "usage: madoctl [--audit-key FILE] logs archive --from DATE --to DATE\n"
    "                           [--log-dir DIR] [--state DIR] FILE\n"
    "\n"
    "Write the sealed archives of those days and their chain entries into\n"
    "FILE, encrypted with AES-256-GCM (64 KiB chunks, each authenticated)\n"
    "under a key derived from the audit key (HKDF-SHA-256, \"" MC_ARCHIVE_LABEL
    "\"),\n"
    "which stays outside the store: what may leave the server (a backup, a\n"
    "copy for the city).  FILE is new (an existing one is refused), mode\n"
    "0600.  An archive that no longer matches its chain entry is refused.\n"
    "\"logs unarchive\" or \"logs verify --archive\" open it.\n"
    "\n"
    "Exit status: 0 written; 1 refused (an archive altered, no archive in\n"
    "those days, FILE exists); 3 the audit key, the chain or the logs\n"
    "cannot be read, or FILE cannot be written.\n"
    "\n"
    "Options:\n"
    "  --from, --to DATE  YYYY-MM-DD, inclusive, by the archives' dates\n"
    "  --log-dir DIR      the logs (default $MADO_LOG_DIR, else\n"
    "                     " MC_LOG_DIR ")\n"
    "  --state DIR        the chain (default $MADO_LOG_STATE, else\n"
    "                     " MC_LOG_STATE ")\n"
    "  -h, --help         show this help\n";

static const char  mc_usage_logs_unarchive[] =
    "usage: madoctl [--audit-key FILE] logs unarchive FILE DIR [--key FILE]\n"
    "\n"
    "Open FILE (made by \"logs archive\") with the audit key and write its\n"
    "logs into DIR (made if missing; files there are not overwritten),\n"
    "with their chain entries in DIR/chain.  Each log must match its\n"
    "entry; with --key (the verification key) the entries' MACs and links\n"
    "are checked too.  Nothing is written unless all of FILE opens: a\n"
    "wrong audit key, or a changed, cut or added byte, is refused and\n"
    "named.  \"madoctl logs search --log-dir DIR\" then reads them.\n"
    "\n"
    "Exit status: 0 written; 1 refused (another key, damaged, a log not\n"
    "matching its entry, a file already in DIR); 3 cannot read or write.\n"
    "\n"
    "Options:\n"
    "  --key FILE   the verification key\n"
    "  -h, --help   show this help\n";

const char  mc_usage_logs_search[] =
    "usage: madoctl logs search [--from DATE] [--to DATE] [--ip ADDR[/BITS]]\n"
    "                           [--path PATH] [--status CODE] [--ua TEXT]\n"
    "                           [--office ID] [--json] [--count]\n"
    "                           [--log-dir DIR]\n"
    "\n"
    "The requests of the access log that match every filter given, oldest\n"
    "first, from the compressed archives (access.log-YYYYMMDD.gz) and the\n"
    "current log: one a line (time, address, method, path, status, bytes,\n"
    "lang, referrer, User-Agent), or with --json the log's own JSON\n"
    "objects, one a line, as they are.  --count prints only how many.\n"
    "Lines that are not mado_json are counted on standard error.\n"
    "\n"
    "Filters:\n"
    "  --from, --to DATE  YYYY-MM-DD, inclusive, by the time logged\n"
    "  --ip ADDR[/BITS]   the client address, or its network (IPv4, IPv6)\n"
    "  --path PATH        the path, exactly, or a glob (*, ?, [...])\n"
    "  --status CODE      a status (404) or a class (4xx)\n"
    "  --ua TEXT          User-Agent containing TEXT (any case)\n"
    "  --office ID        requests about that office (its pages, widget,\n"
    "                     QR code and API)\n"
    "\n"
    "Exit status: 0 (also for no match); 1 a filter is invalid; 3 the logs\n"
    "cannot be read.\n"
    "\n"
    "Options:\n"
    "  --log-dir DIR  the logs (default $MADO_LOG_DIR, else " MC_LOG_DIR ")\n"
    "  -h, --help     show this help\n";

const char  mc_usage_logs_stats[] =
    "usage: madoctl logs stats --from DATE --to DATE [--format csv|html]\n"
    "                          [--log-dir DIR]\n"
    "\n"
    "Statistics of the access log for those days (at most 400): requests\n"
    "per day and per hour of the day; page views (GET of a page: top,\n"
    "office, signage, widget; 200 or 304) per office and language;\n"
    "visitors per day (addresses counted through HMAC-SHA-256 under a\n"
    "random secret of that day, made for this run and never stored, so no\n"
    "address is kept, not even hashed); status codes; robots apart (by\n"
    "User-Agent: bot, crawl, spider, curl/, ..., or none), not in page\n"
    "views or visitors; referrers by host.  CSV (default): the rows\n"
    "\"table,key,subkey,count\"; HTML: printable on A4, in Japanese, like\n"
    "\"madoctl report\".\n"
    "\n"
    "Exit status: 0; 1 invalid dates or format; 3 the logs cannot be read.\n"
    "\n"
    "Options:\n"
    "  --from, --to DATE  YYYY-MM-DD, inclusive, by the time logged\n"
    "  --format F         csv or html\n"
    "  --log-dir DIR      the logs (default $MADO_LOG_DIR, else\n"
    "                     " MC_LOG_DIR ")\n"
    "  -h, --help         show this help\n";


static const struct {
    const char     *name;
    int           (*run)(mc_ctx_t *ctx, int argc, char **argv);
    const char     *usage;
} mc_logs_verbs[] = {
    { "init",      mc_logs_init,      mc_usage_logs_init },
    { "seal",      mc_logs_seal,      mc_usage_logs_seal },
    { "verify",    mc_logs_verify,    mc_usage_logs_verify },
    { "archive",   mc_logs_archive,   mc_usage_logs_archive },
    { "unarchive", mc_logs_unarchive, mc_usage_logs_unarchive },
    { "search",    mc_logs_read,      mc_usage_logs_search },
    { "stats",     mc_logs_read,      mc_usage_logs_stats },
    { NULL, NULL, NULL }
};


int
mc_cmd_logs(mc_ctx_t *ctx, int argc, char **argv)
{
    int  i;

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0
                      || strcmp(argv[1], "--help") == 0))
    {
        return mc_help("logs");
    }

    if (argc < 2) {
        return mc_usage_error("logs", "say init, seal, verify, archive, "
                              "unarchive, search or stats");
    }

    for (i = 0; mc_logs_verbs[i].name; i++) {
        if (strcmp(argv[1], mc_logs_verbs[i].name) == 0) {
            return mc_logs_verbs[i].run(ctx, argc - 1, argv + 1);
        }
    }

    return mc_usage_error("logs", "unknown logs verb \"%s\"; say init, seal, "
                          "verify, archive, unarchive, search or stats",
                          argv[1]);
}


static int
mc_logs_help(const char *verb)
{
    int  i;

    for (i = 0; mc_logs_verbs[i].name; i++) {
        if (strcmp(verb, mc_logs_verbs[i].name) == 0) {
            fputs(mc_logs_verbs[i].usage, stdout);
        }
    }

    return MC_EXIT_OK;
}


long
mc_day(mado_date_t d)
{
    return mado_days_from_civil(d / 10000, d / 100 % 100, d % 100);
}


mado_date_t
mc_date(long day)
{
    /* civil date of a day number, through unix time (as report does) */
    return mado_local_date((int64_t) day * 86400);
}


static int
mc_logs_date(const char *opt, const char *s, long *day)
{
    mado_date_t  d;

    d = mado_date_parse(s);
    if (d < 0) {
        mc_error("%s: must be a date as YYYY-MM-DD, not \"%s\"", opt, s);
        return MC_EXIT_REFUSED;
    }

    *day = mc_day(d);

    return MC_EXIT_OK;
}


/*
 * The options of a logs verb: allowed names the letters it takes (the
 * others are refused as unknown to it).  Positional arguments stay from
 * optind.  MC_CONTINUE, or the exit code.
 */
static int
mc_logs_getopt(const char *verb, const char *allowed, int argc, char **argv,
    mc_logs_opt_t *o, const char **verify_key)
{
    int          c, rc, li;
    char         name[32];
    const char  *env;
    uint32_t     keep;

    static const struct option  opts[] = {
        { "log-dir",    required_argument, NULL, 'L' },
        { "state",      required_argument, NULL, 'S' },
        { "key",        required_argument, NULL, 'K' },
        { "from",       required_argument, NULL, 'f' },
        { "to",         required_argument, NULL, 't' },
        { "archive",    required_argument, NULL, 'A' },
        { "ip",         required_argument, NULL, 'i' },
        { "path",       required_argument, NULL, 'p' },
        { "status",     required_argument, NULL, 's' },
        { "ua",         required_argument, NULL, 'u' },
        { "office",     required_argument, NULL, 'o' },
        { "format",     required_argument, NULL, 'F' },
        { "keep",       required_argument, NULL, 'k' },
        { "verify-key", required_argument, NULL, 'V' },
        { "json",       no_argument,       NULL, 'j' },
        { "quiet",      no_argument,       NULL, 'q' },
        { "count",      no_argument,       NULL, 'c' },
        { "help",       no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    snprintf(name, sizeof(name), "logs %s", verb);

    memset(o, 0, sizeof(mc_logs_opt_t));
    env = getenv("MADO_LOG_DIR");
    o->log_dir = (env != NULL && *env != '\0') ? env : MC_LOG_DIR;
    env = getenv("MADO_LOG_STATE");
    o->state = (env != NULL && *env != '\0') ? env : MC_LOG_STATE;
    o->keep = MC_LOG_KEEP_DAYS;
    o->first = -1;
    o->last = LONG_MAX;

    while ((c = getopt_long(argc, argv, MC_OPTS(""), opts, &li)) != -1) {
        if (c == 'h') {
            mc_logs_help(verb);
            return MC_EXIT_OK;
        }

        if (c == ':' || c == '?') {
            return mc_getopt_error(name, c, argv);
        }

        if (strchr(allowed, c) == NULL) {
            /* known to another logs verb, not to this one */
            return mc_usage_error(name, "unknown option --%s", opts[li].name);
        }

        switch (c) {
        case 'L': o->log_dir = optarg; break;
        case 'S': o->state = optarg; break;
        case 'K': o->key = optarg; break;
        case 'f': o->sfrom = optarg; break;
        case 't': o->sto = optarg; break;
        case 'A': o->archive = optarg; break;
        case 'i': o->ip = optarg; break;
        case 'p': o->path = optarg; break;
        case 's': o->status = optarg; break;
        case 'u': o->ua = optarg; break;
        case 'o': o->office = optarg; break;
        case 'F': o->format = optarg; break;
        case 'V': *verify_key = optarg; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        case 'c': o->count = 1; break;

        case 'k':
            rc = mc_parse_uint("--keep", optarg, 1, 100000, &keep);
            if (rc != MC_EXIT_OK) {
                return rc;
            }
            o->keep = keep;
            break;
        }
    }

    if (o->sfrom != NULL
        && (rc = mc_logs_date("--from", o->sfrom, &o->first)) != MC_EXIT_OK)
    {
        return rc;
    }

    if (o->sto != NULL
        && (rc = mc_logs_date("--to", o->sto, &o->last)) != MC_EXIT_OK)
    {
        return rc;
    }

    if (o->last < o->first) {
        mc_error("--to: %s is before --from %s", o->sto, o->sfrom);
        return MC_EXIT_REFUSED;
    }

    return MC_CONTINUE;
}


static int
mc_logs_path(char *buf, size_t size, const char *dir, const char *name)
{
    if ((size_t) snprintf(buf, size, "%s/%s", dir, name) >= size) {
        mc_error("%s/%s: path too long", dir, name);
        return -1;
    }

    return 0;
}


static int
mc_write_all(int fd, const void *buf, size_t len)
{
    ssize_t      n;
    const char  *p = buf;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }

    return 0;
}


static void
mc_fsync_dir(const char *dir)
{
    int  fd;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd != -1) {
        (void) fsync(fd);
        close(fd);
    }
}


/* ------------------------------------------------------------ init */

static int
mc_logs_init(mc_ctx_t *ctx, int argc, char **argv)
{
    int             rc, fd, vfd, cfd;
    char            spath[PATH_MAX], cpath[PATH_MAX], vpath[PATH_MAX];
    char            text[512], fp[MC_FINGERPRINT_LEN];
    const char     *vk;
    mc_logs_opt_t   o;
    unsigned char   k0[MC_SEAL_KEY_LEN], k[MC_SEAL_KEY_LEN];
    struct stat     sb;

    static const char  head[] =
        "# mado access-log chain v1 (madoctl logs seal): seq epoch date "
        "name size sha256 prev mac\n";

    (void) ctx;
    vk = NULL;

    rc = mc_logs_getopt("init", MC_O_STATE "V", argc, argv, &o, &vk);
    if (rc != MC_CONTINUE) {
        return rc;
    }

    if (optind != argc) {
        return mc_usage_error("logs init", "unexpected argument \"%s\"",
                              argv[optind]);
    }

    if (mc_logs_path(spath, sizeof(spath), o.state, "seal.key") != 0
        || mc_logs_path(cpath, sizeof(cpath), o.state, "chain") != 0
        || (vk == NULL
            && mc_logs_path(vpath, sizeof(vpath), o.state, "verify.key") != 0))
    {
        return MC_EXIT_REFUSED;
    }

    if (vk != NULL) {
        snprintf(vpath, sizeof(vpath), "%s", vk);
    }

    if (mkdir(o.state, 0700) == -1 && errno != EEXIST) {
        mc_error("--state %s: %s", o.state, strerror(errno));
        return MC_EXIT_STORE;
    }

    if (stat(spath, &sb) == 0) {
        mc_error("%s exists: the logs' seal is started already (the chain "
                 "goes on from it)", spath);
        return MC_EXIT_REFUSED;
    }

    if (stat(cpath, &sb) == 0 && sb.st_size > (off_t) (sizeof(head) - 1)) {
        mc_error("%s exists and has entries but there is no seal key: "
                 "move the chain away to start a new one", cpath);
        return MC_EXIT_REFUSED;
    }

    if (RAND_bytes(k0, sizeof(k0)) != 1) {
        mc_error("no random bytes for the key");
        return MC_EXIT_STORE;
    }

    rc = MC_EXIT_STORE;
    fd = vfd = cfd = -1;

    /* the verification key first: without it nothing is sealed */
    vfd = open(vpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
    if (vfd == -1) {
        mc_error("--verify-key %s: %s", vpath, strerror(errno));
        rc = errno == EEXIST ? MC_EXIT_REFUSED : MC_EXIT_STORE;
        goto done;
    }

    mc_verify_key_text(k0, text, sizeof(text));

    if (mc_write_all(vfd, text, strlen(text)) != 0 || fsync(vfd) != 0) {
        mc_error("%s: %s", vpath, strerror(errno));
        unlink(vpath);
        goto done;
    }

    cfd = open(cpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (cfd == -1 || mc_write_all(cfd, head, sizeof(head) - 1) != 0
        || fsync(cfd) != 0)
    {
        mc_error("%s: %s", cpath, strerror(errno));
        unlink(vpath);
        goto done;
    }

    /* the server keeps K(1) on: K(0) is only in the verification key */
    memcpy(k, k0, sizeof(k));
    mc_seal_evolve(k);

    fd = open(spath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1 || mc_seal_key_write(fd, 1, k) != 0) {
        mc_error("%s: %s", spath, strerror(errno));
        unlink(vpath);
        unlink(spath);
        goto done;
    }

    mc_fsync_dir(o.state);
    mc_seal_fingerprint(k0, fp);

    printf("the access logs' seal is started: seal key %s, chain %s\n"
           "verification key: %s (fingerprint %s)\n"
           "Move the verification key off this server now, and note its\n"
           "fingerprint: \"madoctl logs verify --key FILE\" needs it, and\n"
           "whoever takes it from this server could forge the logs.\n",
           spath, cpath, vpath, fp);

    rc = MC_EXIT_OK;

done:

    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(text, sizeof(text));

    if (fd != -1) {
        close(fd);
    }
    if (vfd != -1) {
        close(vfd);
    }
    if (cfd != -1) {
        close(cfd);
    }

    return rc;
}


/* ------------------------------------------------------------ seal */

typedef struct {
    char            name[MC_NAME_MAX + 1];
    mado_date_t     date;
} mc_arch_t;


static int
mc_arch_cmp(const void *a, const void *b)
{
    const mc_arch_t  *x = a, *y = b;

    if (x->date != y->date) {
        return x->date < y->date ? -1 : 1;
    }

    return strcmp(x->name, y->name);
}


/* the archives of the log directory, oldest first; -1 (errno) */
static int
mc_archives(const char *dir, mc_arch_t **out, size_t *n)
{
    DIR            *d;
    size_t          cap;
    mc_arch_t      *a, *t;
    mado_date_t     date;
    struct dirent  *de;

    *out = NULL;
    *n = 0;

    d = opendir(dir);
    if (d == NULL) {
        return -1;
    }

    a = NULL;
    cap = 0;

    while ((de = readdir(d)) != NULL) {
        if (strlen(de->d_name) > MC_NAME_MAX
            || mc_log_archive_name(de->d_name, &date) != 0)
        {
            continue;
        }

        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            t = realloc(a, cap * sizeof(mc_arch_t));
            if (t == NULL) {
                free(a);
                closedir(d);
                errno = ENOMEM;
                return -1;
            }
            a = t;
        }

        strcpy(a[*n].name, de->d_name);
        a[*n].date = date;
        (*n)++;
    }

    closedir(d);

    if (*n) {
        qsort(a, *n, sizeof(mc_arch_t), mc_arch_cmp);
    }

    *out = a;

    return 0;
}


static int
mc_chain_has(const mc_chain_t *c, const char *name)
{
    size_t  i;

    for (i = 0; i < c->n; i++) {
        if (!c->e[i].bad && strcmp(c->e[i].name, name) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
mc_logs_seal(mc_ctx_t *ctx, int argc, char **argv)
{
    int              rc, kfd, cfd;
    char             spath[PATH_MAX], cpath[PATH_MAX], path[PATH_MAX];
    char             why[512], *buf, *t;
    size_t           i, j, na, len, cap, sealed;
    off_t            keep_to;
    uint32_t         epoch;
    mc_arch_t       *a;
    mc_chain_t       c;
    mc_logs_opt_t    o;
    const char      *unused;
    unsigned char    k[MC_SEAL_KEY_LEN];
    mc_chain_ent_t   e, *last;
    struct stat      sb;

    (void) ctx;
    unused = NULL;

    rc = mc_logs_getopt("seal", MC_O_LOGDIR MC_O_STATE "q", argc, argv, &o,
                        &unused);
    if (rc != MC_CONTINUE) {
        return rc;
    }

    if (optind != argc) {
        return mc_usage_error("logs seal", "unexpected argument \"%s\"",
                              argv[optind]);
    }

    if (mc_logs_path(spath, sizeof(spath), o.state, "seal.key") != 0
        || mc_logs_path(cpath, sizeof(cpath), o.state, "chain") != 0)
    {
        return MC_EXIT_REFUSED;
    }

    kfd = open(spath, O_RDWR | O_CLOEXEC);
    if (kfd == -1) {
        mc_error("%s: %s%s", spath, strerror(errno),
                 errno == ENOENT ? " (run \"madoctl logs init\" first)" : "");
        return MC_EXIT_STORE;
    }

    /* one seal at a time: the key is read, used and moved on under it */
    if (flock(kfd, LOCK_EX) != 0) {
        mc_error("%s: %s", spath, strerror(errno));
        close(kfd);
        return MC_EXIT_STORE;
    }

    if (mc_seal_key_read(kfd, spath, &epoch, k, why, sizeof(why)) != 0) {
        mc_error("%s", why);
        close(kfd);
        return MC_EXIT_STORE;
    }

    a = NULL;
    buf = NULL;
    cfd = -1;
    rc = MC_EXIT_STORE;

    if (mc_chain_read(cpath, &c) != 0) {
        mc_error("%s: %s", cpath, strerror(errno));
        goto done;
    }

    cfd = open(cpath, O_RDWR | O_APPEND | O_CLOEXEC);
    if (cfd == -1 || fstat(cfd, &sb) != 0) {
        mc_error("%s: %s", cpath, strerror(errno));
        goto done;
    }

    /* a line cut by a crash in the middle of a seal: its archive is
       sealed again below */
    if (c.torn) {
        char  *all;

        all = malloc((size_t) sb.st_size + 1);
        if (all == NULL || pread(cfd, all, (size_t) sb.st_size, 0)
                           != sb.st_size)
        {
            free(all);
            mc_error("%s: %s", cpath, strerror(errno));
            goto done;
        }

        for (keep_to = sb.st_size; keep_to > 0 && all[keep_to - 1] != '\n';
             keep_to--)
        {
            /* void */
        }

        free(all);

        if (ftruncate(cfd, keep_to) != 0) {
            mc_error("%s: %s", cpath, strerror(errno));
            goto done;
        }

        mc_error("%s: its last line was cut (a seal interrupted): removed",
                 cpath);
        c.n--;
    }

    last = NULL;
    for (i = c.n; i > 0; i--) {
        if (!c.e[i - 1].bad) {
            last = &c.e[i - 1];
            break;
        }
    }

    /* a seal interrupted after its entries, before the key moved on */
    if (last != NULL && last->epoch >= epoch) {
        while (epoch <= last->epoch) {
            mc_seal_evolve(k);
            epoch++;
        }

        if (mc_seal_key_write(kfd, epoch, k) != 0) {
            mc_error("%s: %s", spath, strerror(errno));
            goto done;
        }
    }

    if (mc_archives(o.log_dir, &a, &na) != 0) {
        mc_error("--log-dir %s: %s", o.log_dir, strerror(errno));
        goto done;
    }

    memset(&e, 0, sizeof(e));
    e.seq = last ? last->seq : 0;
    if (last) {
        memcpy(e.prev, last->mac, sizeof(e.prev));
    } else {
        memset(e.prev, '0', MC_HEX_LEN);
    }

    cap = 0;
    len = 0;
    sealed = 0;

    for (i = 0; i < na; i++) {
        if (mc_chain_has(&c, a[i].name)) {
            continue;
        }

        /* access.log-D while access.log-D.gz is there: being compressed */
        for (j = i + 1; j < na && a[j].date == a[i].date; j++) {
            if (strncmp(a[j].name, a[i].name, strlen(a[i].name)) == 0) {
                break;
            }
        }
        if (j < na && a[j].date == a[i].date) {
            continue;
        }

        if (mc_logs_path(path, sizeof(path), o.log_dir, a[i].name) != 0) {
            goto done;
        }

        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)
            || mc_file_sha256(path, &e.size, e.sha) != 0)
        {
            mc_error("%s: %s", path, S_ISREG(sb.st_mode) ? strerror(errno)
                                                         : "not a file");
            goto done;
        }

        /* each archive its own epoch: a key for one entry, then the next,
           so that cutting the chain's end shows against the seal key */
        e.seq++;
        e.epoch = epoch;
        e.date = a[i].date;
        strcpy(e.name, a[i].name);
        mc_chain_mac(k, &e, e.mac);
        mc_seal_evolve(k);
        epoch++;

        if (cap - len < 512) {
            cap = cap ? 2 * cap : 8192;
            t = realloc(buf, cap);
            if (t == NULL) {
                mc_error("out of memory");
                goto done;
            }
            buf = t;
        }

        len += (size_t) mc_chain_line(&e, buf + len, cap - len);
        memcpy(e.prev, e.mac, sizeof(e.prev));
        sealed++;

        if (!o.quiet) {
            printf("sealed %s: %llu bytes, SHA-256 %.16s..., entry %llu, "
                   "epoch %u\n", a[i].name, (unsigned long long) e.size,
                   e.sha, (unsigned long long) e.seq, e.epoch);
        }
    }

    if (sealed == 0) {
        if (!o.quiet) {
            printf("nothing to seal (%zu archives, all in the chain)\n", na);
        }
        rc = MC_EXIT_OK;
        goto done;
    }

    /* the entries, then the key moves on (the old one overwritten): a
       crash between leaves entries past the key's epoch, which the next
       seal moves the key beyond first */
    if (mc_write_all(cfd, buf, len) != 0 || fsync(cfd) != 0) {
        mc_error("%s: %s", cpath, strerror(errno));
        goto done;
    }

    if (mc_seal_key_write(kfd, epoch, k) != 0) {
        mc_error("%s: %s", spath, strerror(errno));
        goto done;
    }

    if (!o.quiet) {
        printf("%zu sealed; the seal key is now at epoch %u, the keys "
               "before it erased\n", sealed, epoch);
    }

    rc = MC_EXIT_OK;

done:

    OPENSSL_cleanse(k, sizeof(k));
    free(buf);
    free(a);
    mc_chain_free(&c);

    if (cfd != -1) {
        close(cfd);
    }
    close(kfd);

    return rc;
}


/* ------------------------------------------------------------ verify */

/* a gzip file read to its trailer, or a plain file: 1; cut short: 0 */
static int
mc_complete(const char *path)
{
    int      n, e;
    char     buf[65536];
    gzFile   gz;

    gz = gzopen(path, "rb");
    if (gz == NULL) {
        return 0;
    }

    while ((n = gzread(gz, buf, sizeof(buf))) > 0) {
        /* void */
    }

    gzerror(gz, &e);
    gzclose(gz);

    return n == 0 && (e == Z_OK || e == Z_STREAM_END);
}


typedef struct {
    unsigned            findings;
    unsigned            expired;
    unsigned            checked;
} mc_verify_t;


static void
mc_finding(mc_verify_t *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
mc_finding(mc_verify_t *v, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');

    v->findings++;
}


static int
mc_ent_seq_cmp(const void *a, const void *b)
{
    const mc_chain_ent_t  *x = *(const mc_chain_ent_t *const *) a;
    const mc_chain_ent_t  *y = *(const mc_chain_ent_t *const *) b;

    if (x->seq != y->seq) {
        return x->seq < y->seq ? -1 : 1;
    }

    return x->line < y->line ? -1 : (x->line > y->line);
}


/*
 * The chain's entries against K(0): MACs, order, links, epochs.  The
 * entries that verify, in sequence, into *good (n of them); each finding
 * said.  key_epoch: the seal key's epoch, 0 when there is none to check.
 */
static int
mc_verify_chain(mc_verify_t *v, mc_chain_t *c,
    const unsigned char k0[MC_SEAL_KEY_LEN], uint32_t key_epoch,
    int whole, mc_chain_ent_t ***good, size_t *ngood)
{
    char              mac[MC_HEX_LEN + 1], fp[MC_FINGERPRINT_LEN];
    size_t            i, n, nforged;
    uint32_t          kep;
    uint64_t          maxseq;
    unsigned char     k[MC_SEAL_KEY_LEN];
    mc_chain_ent_t  **g, *e, *p;

    g = calloc(c->n + 1, sizeof(mc_chain_ent_t *));
    if (g == NULL) {
        mc_error("out of memory");
        return -1;
    }

    memcpy(k, k0, sizeof(k));
    kep = 0;
    n = 0;
    nforged = 0;
    maxseq = 0;

    for (i = 0; i < c->n; i++) {
        e = &c->e[i];

        if (e->bad) {
            mc_finding(v, "damaged: chain line %u is not an entry", e->line);
            continue;
        }

        /* an entry's epoch is its number: see log_seal.c */
        if (e->epoch != e->seq || e->seq > MC_EPOCH_MAX) {
            e->forged = 1;

        } else {
            if (e->epoch < kep) {
                memcpy(k, k0, sizeof(k));
                kep = 0;
            }
            while (kep < e->epoch) {
                mc_seal_evolve(k);
                kep++;
            }

            mc_chain_mac(k, e, mac);
            e->forged = CRYPTO_memcmp(mac, e->mac, MC_HEX_LEN) != 0;
        }

        if (e->forged) {
            nforged++;
            continue;
        }

        g[n++] = e;
    }

    if (nforged > 0 && n == 0) {
        mc_seal_fingerprint(k0, fp);
        mc_finding(v, "forged: no chain entry verifies under this key "
                   "(fingerprint %s): the wrong --key, or the whole chain "
                   "was made up", fp);

    } else {
        for (i = 0; i < c->n; i++) {
            if (c->e[i].forged) {
                mc_finding(v, "forged: chain line %u (%s, entry %llu): its "
                           "MAC does not verify (the entry was altered or "
                           "made up)", c->e[i].line, c->e[i].name,
                           (unsigned long long) c->e[i].seq);
            }
        }
    }

    /* out of order: an entry after one of a higher number */
    for (i = 0; i < n; i++) {
        if (g[i]->seq <= maxseq) {
            mc_finding(v, "reordered: chain line %u holds entry %llu (%s) "
                       "after entry %llu", g[i]->line,
                       (unsigned long long) g[i]->seq, g[i]->name,
                       (unsigned long long) maxseq);
        } else {
            maxseq = g[i]->seq;
        }
    }

    qsort(g, n, sizeof(mc_chain_ent_t *), mc_ent_seq_cmp);

    p = NULL;

    for (i = 0; i < n; i++) {
        e = g[i];

        if (p == NULL) {
            if (whole && e->seq != 1) {
                mc_finding(v, "removed: chain entries 1 to %llu are missing "
                           "(the chain starts at entry %llu, %s)",
                           (unsigned long long) e->seq - 1,
                           (unsigned long long) e->seq, e->name);
            }

        } else if (e->seq == p->seq) {
            mc_finding(v, "reordered: entry %llu (%s) is in the chain twice "
                       "(lines %u and %u)", (unsigned long long) e->seq,
                       e->name, p->line, e->line);
            continue;

        } else if (e->seq != p->seq + 1) {
            mc_finding(v, "removed: chain entries %llu to %llu are missing "
                       "(between %s and %s)",
                       (unsigned long long) p->seq + 1,
                       (unsigned long long) e->seq - 1, p->name, e->name);

        } else if (strcmp(e->prev, p->mac) != 0) {
            mc_finding(v, "forged: entry %llu (%s) does not follow entry %llu "
                       "(%s): its link is another chain's",
                       (unsigned long long) e->seq, e->name,
                       (unsigned long long) p->seq, p->name);

        }

        p = e;
    }

    if (key_epoch != 0) {
        kep = p ? p->epoch : 0;

        if (key_epoch > kep + 1) {
            mc_finding(v, "removed: the chain ends at epoch %u%s%s but the "
                       "seal key is at epoch %u: the entries of the seals "
                       "after were cut off", kep, p ? ", " : "",
                       p ? p->name : "", key_epoch);

        } else if (key_epoch <= kep) {
            printf("note: the last seal was interrupted before its key moved "
                   "on (the chain is at epoch %u, the key at %u); the next "
                   "\"logs seal\" moves it\n", kep, key_epoch);
        }
    }

    OPENSSL_cleanse(k, sizeof(k));

    *good = g;
    *ngood = n;

    return 0;
}


static int
mc_logs_verify(mc_ctx_t *ctx, int argc, char **argv)
{
    int               rc, kfd;
    char              spath[PATH_MAX], cpath[PATH_MAX], path[PATH_MAX];
    char              why[512], sha[MC_HEX_LEN + 1], fp[MC_FINGERPRINT_LEN];
    size_t            i, j, na, ng;
    long              today;
    uint32_t          key_epoch;
    uint64_t          size;
    mc_arch_t        *a;
    mc_chain_t        c;
    mc_verify_t       v;
    mc_logs_opt_t     o;
    const char       *unused;
    unsigned char     k0[MC_SEAL_KEY_LEN], k[MC_SEAL_KEY_LEN];
    unsigned char     kk[MC_SEAL_KEY_LEN];
    mc_chain_ent_t  **g, *e;
    struct {
        char          sha[MC_HEX_LEN + 1];
        uint64_t      size;
        unsigned      done:1, sealed:1, renamed:1;
    }                *as;

    unused = NULL;

    rc = mc_logs_getopt("verify", MC_O_LOGDIR MC_O_STATE "KftkA", argc, argv,
                        &o, &unused);
    if (rc != MC_CONTINUE) {
        return rc;
    }

    if (optind != argc) {
        return mc_usage_error("logs verify", "unexpected argument \"%s\"",
                              argv[optind]);
    }

    if (o.archive != NULL) {
        return mc_logs_open_archive(ctx, o.archive, NULL, o.key);
    }

    if (o.key == NULL) {
        return mc_usage_error("logs verify", "--key FILE (the verification "
                              "key of \"logs init\") is required");
    }

    if ((rc = mc_clock(ctx)) != MC_EXIT_OK) {
        return rc;
    }

    today = mc_day(mado_local_date(ctx->now));

    if (mc_verify_key_read(o.key, k0, why, sizeof(why)) != 0) {
        mc_error("%s", why);
        return MC_EXIT_STORE;
    }

    if (mc_logs_path(spath, sizeof(spath), o.state, "seal.key") != 0
        || mc_logs_path(cpath, sizeof(cpath), o.state, "chain") != 0)
    {
        return MC_EXIT_REFUSED;
    }

    memset(&v, 0, sizeof(v));
    a = NULL;
    as = NULL;
    g = NULL;
    rc = MC_EXIT_STORE;

    if (mc_chain_read(cpath, &c) != 0) {
        mc_error("%s: %s%s", cpath, strerror(errno),
                 errno == ENOENT ? " (no chain: \"madoctl logs init\")" : "");
        OPENSSL_cleanse(k0, sizeof(k0));
        return MC_EXIT_STORE;
    }

    if (c.torn) {
        mc_finding(&v, "damaged: the chain's last line is cut (a seal "
                   "interrupted, or the file cut)");
    }

    /* the seal key: its epoch says where the chain must end */
    key_epoch = 0;
    kfd = open(spath, O_RDONLY | O_CLOEXEC);

    if (kfd == -1) {
        mc_finding(&v, "removed: no seal key at %s (%s): the chain's end "
                   "cannot be checked", spath, strerror(errno));

    } else {
        if (mc_seal_key_read(kfd, spath, &key_epoch, kk, why, sizeof(why))
            != 0)
        {
            mc_finding(&v, "forged: %s", why);
            key_epoch = 0;

        } else if (key_epoch == 0 || key_epoch > MC_EPOCH_MAX) {
            mc_finding(&v, "forged: the seal key says epoch %u", key_epoch);
            key_epoch = 0;

        } else {
            mc_seal_key_at(k0, key_epoch, k);
            if (CRYPTO_memcmp(k, kk, sizeof(k)) != 0) {
                mc_finding(&v, "forged: the seal key %s is not the key of "
                           "epoch %u under this verification key", spath,
                           key_epoch);
            }
        }

        close(kfd);
    }

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(kk, sizeof(kk));

    if (mc_verify_chain(&v, &c, k0, key_epoch, 1, &g, &ng) != 0) {
        goto done;
    }

    if (mc_archives(o.log_dir, &a, &na) != 0) {
        mc_error("--log-dir %s: %s", o.log_dir, strerror(errno));
        goto done;
    }

    as = calloc(na + 1, sizeof(*as));
    if (as == NULL) {
        mc_error("out of memory");
        goto done;
    }

    /* each sealed archive against its file */
    for (i = 0; i < ng; i++) {
        e = g[i];

        if (i > 0 && g[i - 1]->seq == e->seq) {
            continue;
        }

        for (j = 0; j < na; j++) {
            if (strcmp(a[j].name, e->name) == 0) {
                as[j].sealed = 1;
                break;
            }
        }

        if (mc_day(e->date) < o.first || mc_day(e->date) > o.last) {
            continue;
        }

        v.checked++;

        if (j < na) {
            if (mc_logs_path(path, sizeof(path), o.log_dir, e->name) != 0) {
                goto done;
            }

            if (mc_file_sha256(path, &size, sha) != 0) {
                mc_error("%s: %s", path, strerror(errno));
                goto done;
            }

            if (size < e->size && !mc_complete(path)) {
                mc_finding(&v, "truncated: %s is %llu bytes, sealed with "
                           "%llu (entry %llu)", e->name,
                           (unsigned long long) size,
                           (unsigned long long) e->size,
                           (unsigned long long) e->seq);

            } else if (size != e->size || strcmp(sha, e->sha) != 0) {
                mc_finding(&v, "modified: %s is not what was sealed (entry "
                           "%llu: %llu bytes, SHA-256 %.16s...; now %llu "
                           "bytes, %.16s...)", e->name,
                           (unsigned long long) e->seq,
                           (unsigned long long) e->size, e->sha,
                           (unsigned long long) size, sha);
            }

            continue;
        }

        /* gone: under another name? */
        for (j = 0; j < na; j++) {
            if (strcmp(a[j].name, e->name) == 0 || mc_chain_has(&c, a[j].name))
            {
                continue;
            }

            if (!as[j].done) {
                if (mc_logs_path(path, sizeof(path), o.log_dir, a[j].name)
                    != 0
                    || mc_file_sha256(path, &as[j].size, as[j].sha) != 0)
                {
                    mc_error("%s: %s", path, strerror(errno));
                    goto done;
                }
                as[j].done = 1;
            }

            if (as[j].size == e->size && strcmp(as[j].sha, e->sha) == 0) {
                break;
            }
        }

        if (j < na) {
            as[j].renamed = 1;
            mc_finding(&v, "renamed: %s (entry %llu) is now %s", e->name,
                       (unsigned long long) e->seq, a[j].name);

        } else if (today - mc_day(e->date) > (long) o.keep) {
            v.expired++;

        } else {
            mc_finding(&v, "deleted: %s (entry %llu, %llu bytes) is gone",
                       e->name, (unsigned long long) e->seq,
                       (unsigned long long) e->size);
        }
    }

    /* archives no entry names */
    for (j = 0; j < na; j++) {
        if (as[j].sealed || as[j].renamed || mc_chain_has(&c, a[j].name)
            || mc_day(a[j].date) < o.first || mc_day(a[j].date) > o.last)
        {
            continue;
        }

        mc_finding(&v, "inserted: %s is in no chain entry (never sealed)",
                   a[j].name);
    }

    mc_seal_fingerprint(k0, fp);

    if (v.findings) {
        printf("FAILED: %u finding%s (chain %s, logs %s, key %s)\n",
               v.findings, v.findings == 1 ? "" : "s", cpath, o.log_dir, fp);
        rc = MC_EXIT_REFUSED;

    } else {
        printf("ok: %u archive%s verified", v.checked,
               v.checked == 1 ? "" : "s");
        if (ng) {
            printf(" (%04d-%02d-%02d to %04d-%02d-%02d)",
                   g[0]->date / 10000, g[0]->date / 100 % 100,
                   g[0]->date % 100, g[ng - 1]->date / 10000,
                   g[ng - 1]->date / 100 % 100, g[ng - 1]->date % 100);
        }
        printf(", %u expired; chain of %zu entries, seal key at epoch %u; "
               "verification key %s\n", v.expired, ng, key_epoch, fp);
        rc = MC_EXIT_OK;
    }

done:

    OPENSSL_cleanse(k0, sizeof(k0));
    free(g);
    free(a);
    free(as);
    mc_chain_free(&c);

    return rc;
}


/* ------------------------------------------------------------ archive */

/* the archive key (HKDF of the audit key) and its check value */
static int
mc_archive_key(mc_ctx_t *ctx, unsigned char key[MADO_CRYPT_KEY_LEN],
    unsigned char check[MC_ARCHIVE_CHECK])
{
    unsigned int   n;
    mado_err_t     err;
    unsigned char  ak[MADO_AUDIT_KEY_LEN], h[32];

    static const char  label[] = "mado log archive key check";

    if (mado_audit_key_load(ctx->audit_key, ak, &err) != MADO_OK) {
        mc_error("%s", err.text);
        return MC_EXIT_STORE;
    }

    if (mado_crypt_derive(ak, sizeof(ak), NULL, 0, MC_ARCHIVE_LABEL, key,
                          MADO_CRYPT_KEY_LEN)
        != 0)
    {
        OPENSSL_cleanse(ak, sizeof(ak));
        mc_error("HKDF-SHA-256 failed");
        return MC_EXIT_STORE;
    }

    OPENSSL_cleanse(ak, sizeof(ak));

    /* says "another key" apart from "damaged" when opening */
    HMAC(EVP_sha256(), key, MADO_CRYPT_KEY_LEN, (const unsigned char *) label,
         sizeof(label) - 1, h, &n);
    memcpy(check, h, MC_ARCHIVE_CHECK);

    return MC_EXIT_OK;
}


/* the plain archive into fd: header, chain lines, then each file */
static int
mc_archive_write(int fd, const mc_logs_opt_t *o, mc_chain_ent_t **g,
    size_t n)
{
    int       in;
    char      path[PATH_MAX], line[512];
    size_t    i;
    ssize_t   r;
    char      buf[65536];

    if (mc_write_all(fd, MC_ARCHIVE_HEAD, sizeof(MC_ARCHIVE_HEAD) - 1) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        int  l = snprintf(line, sizeof(line), "chain ");
        l += mc_chain_line(g[i], line + l, sizeof(line) - (size_t) l);
        if (mc_write_all(fd, line, (size_t) l) != 0) {
            return -1;
        }
    }

    for (i = 0; i < n; i++) {
        int  l = snprintf(line, sizeof(line), "file %s %llu\n", g[i]->name,
                          (unsigned long long) g[i]->size);

        if (mc_write_all(fd, line, (size_t) l) != 0
            || mc_logs_path(path, sizeof(path), o->log_dir, g[i]->name) != 0)
        {
            return -1;
        }

        in = open(path, O_RDONLY | O_CLOEXEC);
        if (in == -1) {
            return -1;
        }

        uint64_t  left = g[i]->size;

        while (left > 0) {
            r = read(in, buf, left < sizeof(buf) ? (size_t) left : sizeof(buf));
            if (r <= 0) {
                close(in);
                return -1;
            }
            if (mc_write_all(fd, buf, (size_t) r) != 0) {
                close(in);
                return -1;
            }
            left -= (uint64_t) r;
        }

        close(in);
    }

    return mc_write_all(fd, "end\n", 4);
}


static int
mc_logs_archive(mc_ctx_t *ctx, int argc, char **argv)
{
    int               rc, fd, p[2], status;
    char              cpath[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
    char              sha[MC_HEX_LEN + 1];
    size_t            i, n;
    pid_t             pid;
    uint64_t          size;
    mc_chain_t        c;
    mado_err_t        err;
    mc_logs_opt_t     o;
    const char       *unused, *file;
    unsigned char     key[MADO_CRYPT_KEY_LEN], check[MC_ARCHIVE_CHECK];
    mc_chain_ent_t  **g;
    struct stat       sb;

    unused = NULL;

    rc = mc_logs_getopt("archive", MC_O_LOGDIR MC_O_STATE "ft", argc, argv,
                        &o, &unused);
    if (rc != MC_CONTINUE) {
        return rc;
    }

    if (optind + 1 != argc) {
        return mc_usage_error("logs archive", optind == argc
                              ? "FILE is required"
                              : "unexpected argument \"%s\"",
                              argv[optind + 1 < argc ? optind + 1 : optind]);
    }

    if (o.sfrom == NULL || o.sto == NULL) {
        return mc_usage_error("logs archive", "--from and --to are required");
    }

    file = argv[optind];

    if (stat(file, &sb) == 0) {
        mc_error("%s exists: not overwritten", file);
        return MC_EXIT_REFUSED;
    }

    if (mc_logs_path(cpath, sizeof(cpath), o.state, "chain") != 0) {
        return MC_EXIT_REFUSED;
    }

    if (mc_chain_read(cpath, &c) != 0) {
        mc_error("%s: %s", cpath, strerror(errno));
        return MC_EXIT_STORE;
    }

    g = calloc(c.n + 1, sizeof(mc_chain_ent_t *));
    if (g == NULL) {
        mc_chain_free(&c);
        mc_error("out of memory");
        return MC_EXIT_STORE;
    }

    rc = MC_EXIT_REFUSED;
    n = 0;

    /* the entries of those days, each file checked against its entry */
    for (i = 0; i < c.n; i++) {
        mc_chain_ent_t  *e = &c.e[i];

        if (e->bad || mc_day(e->date) < o.first || mc_day(e->date) > o.last) {
            continue;
        }

        if (mc_logs_path(path, sizeof(path), o.log_dir, e->name) != 0) {
            goto done;
        }

        if (mc_file_sha256(path, &size, sha) != 0) {
            if (errno == ENOENT) {
                continue;       /* expired, or deleted: verify says which */
            }
            mc_error("%s: %s", path, strerror(errno));
            rc = MC_EXIT_STORE;
            goto done;
        }

        if (size != e->size || strcmp(sha, e->sha) != 0) {
            mc_error("%s: not what was sealed (entry %llu): not archived; "
                     "see \"madoctl logs verify\"", e->name,
                     (unsigned long long) e->seq);
            goto done;
        }

        g[n++] = e;
    }

    if (n == 0) {
        mc_error("no sealed archive from %s to %s in %s", o.sfrom, o.sto,
                 o.log_dir);
        goto done;
    }

    rc = mc_archive_key(ctx, key, check);
    if (rc != MC_EXIT_OK) {
        goto done;
    }

    rc = MC_EXIT_STORE;

    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= sizeof(tmp)) {
        mc_error("%s: path too long", file);
        goto done;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        mc_error("%s: %s", tmp, strerror(errno));
        goto done;
    }

    if (mc_write_all(fd, MC_ARCHIVE_MAGIC, 8) != 0
        || mc_write_all(fd, check, sizeof(check)) != 0)
    {
        mc_error("%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }

    /* the plain archive never touches a disk: a child writes it into a
       pipe that is sealed as it comes */
    if (pipe(p) != 0 || (pid = fork()) == -1) {
        mc_error("pipe or fork: %s", strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }

    if (pid == 0) {
        close(p[0]);
        close(fd);
        OPENSSL_cleanse(key, sizeof(key));
        _exit(mc_archive_write(p[1], &o, g, n) == 0 ? 0 : 1);
    }

    close(p[1]);

    rc = mado_crypt_seal_fd(key, MC_KID_LOG_ARCHIVE, p[0], fd, &err);
    close(p[0]);

    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)
        || WEXITSTATUS(status) != 0)
    {
        if (rc == MADO_OK) {
            snprintf(err.text, sizeof(err.text), "reading the logs failed "
                     "(a file changed or vanished while archived)");
            rc = MADO_ESTORE;
        }
    }

    if (rc == MADO_OK && (fsync(fd) != 0 || close(fd) != 0)) {
        snprintf(err.text, sizeof(err.text), "%s", strerror(errno));
        rc = MADO_ESTORE;
        fd = -1;
    } else if (rc != MADO_OK) {
        close(fd);
    }

    if (rc == MADO_OK && rename(tmp, file) != 0) {
        snprintf(err.text, sizeof(err.text), "%s", strerror(errno));
        rc = MADO_ESTORE;
    }

    if (rc != MADO_OK) {
        unlink(tmp);
        mc_error("%s: %s", file, err.text);
        rc = MC_EXIT_STORE;
        goto done;
    }

    printf("%s: %zu archives (%s to %s) with their chain entries, "
           "AES-256-GCM under the audit key's \"" MC_ARCHIVE_LABEL "\"\n",
           file, n, g[0]->name, g[n - 1]->name);

    rc = MC_EXIT_OK;

done:

    OPENSSL_cleanse(key, sizeof(key));
    free(g);
    mc_chain_free(&c);

    return rc;
}


static int
mc_logs_unarchive(mc_ctx_t *ctx, int argc, char **argv)
{
    int             rc;
    const char     *unused;
    mc_logs_opt_t   o;

    unused = NULL;

    rc = mc_logs_getopt("unarchive", "K", argc, argv, &o, &unused);
    if (rc != MC_CONTINUE) {
        return rc;
    }

    if (argc - optind != 2) {
        return mc_usage_error("logs unarchive", "FILE and DIR are required");
    }

    return mc_logs_open_archive(ctx, argv[optind], argv[optind + 1], o.key);
}


/* a line of the plain archive (up to '\n') at *p in [*p, end) */
static char *
mc_archive_line(char **p, char *end)
{
    char  *s, *nl;

    nl = memchr(*p, '\n', (size_t) (end - *p));
    if (nl == NULL) {
        return NULL;
    }

    *nl = '\0';
    s = *p;
    *p = nl + 1;

    return s;
}


/*
 * Open an archive of "logs archive": check it, and when dir is given write
 * its logs and chain there.  key: the verification key, or NULL.
 */
static int
mc_logs_open_archive(mc_ctx_t *ctx, const char *file, const char *dir,
    const char *key)
{
    int               rc, in, tfd, fd, nn;
    char             *map, *p, *end, *l, why[512], name[MC_NAME_MAX + 2];
    char              sha[MC_HEX_LEN + 1], path[PATH_MAX], hex[40];
    size_t            i, nfiles, ng;
    ssize_t           r;
    uint64_t          size;
    mc_chain_t        c;
    mado_err_t        err;
    mc_verify_t       v;
    unsigned char     akey[MADO_CRYPT_KEY_LEN], check[MC_ARCHIVE_CHECK];
    unsigned char     head[8 + MC_ARCHIVE_CHECK], k0[MC_SEAL_KEY_LEN];
    mc_chain_ent_t  **g;
    unsigned long long  fsize;
    struct stat       sb;

    memset(&c, 0, sizeof(c));
    memset(&v, 0, sizeof(v));
    map = NULL;
    g = NULL;
    tfd = -1;
    sb.st_size = 0;

    if (key != NULL && mc_verify_key_read(key, k0, why, sizeof(why)) != 0) {
        mc_error("%s", why);
        return MC_EXIT_STORE;
    }

    rc = mc_archive_key(ctx, akey, check);
    if (rc != MC_EXIT_OK) {
        return rc;
    }

    in = open(file, O_RDONLY | O_CLOEXEC);
    if (in == -1) {
        mc_error("%s: %s", file, strerror(errno));
        OPENSSL_cleanse(akey, sizeof(akey));
        return MC_EXIT_STORE;
    }

    rc = MC_EXIT_REFUSED;
    r = read(in, head, sizeof(head));

    if (r != (ssize_t) sizeof(head) || memcmp(head, MC_ARCHIVE_MAGIC, 8) != 0) {
        mc_error("%s: not an archive of \"madoctl logs archive\" (no %s "
                 "header)", file, MC_ARCHIVE_MAGIC);
        goto done;
    }

    if (CRYPTO_memcmp(head + 8, check, MC_ARCHIVE_CHECK) != 0) {
        mado_hex(head + 8, 8, hex);
        mc_error("%s: sealed under another key (its key check %s... is not "
                 "this audit key's %s): give the audit key it was made with "
                 "(--audit-key)", file, hex, ctx->audit_key);
        goto done;
    }

    /* opened into an unlinked file first: nothing is kept unless all of
       it opens (mado_crypt_open_fd writes the chunks before a bad one) */
    tfd = open(dir ? dir : ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (tfd == -1 && dir != NULL && errno == ENOENT) {
        if (mkdir(dir, 0700) != 0) {
            mc_error("%s: %s", dir, strerror(errno));
            rc = MC_EXIT_STORE;
            goto done;
        }
        tfd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    }
    if (tfd == -1) {
        tfd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    }
    if (tfd == -1) {
        mc_error("a temporary file in %s: %s", dir ? dir : ".",
                 strerror(errno));
        rc = MC_EXIT_STORE;
        goto done;
    }

    if (mado_crypt_open_fd(akey, in, tfd, &err) != MADO_OK) {
        mc_error("%s: damaged, refused: %s", file, err.text);
        goto done;
    }

    if (fstat(tfd, &sb) != 0 || sb.st_size == 0) {
        mc_error("%s: empty", file);
        goto done;
    }

    /* private: the lines are cut in place, never written back */
    map = mmap(NULL, (size_t) sb.st_size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE, tfd, 0);
    if (map == MAP_FAILED) {
        map = NULL;
        mc_error("%s: %s", file, strerror(errno));
        rc = MC_EXIT_STORE;
        goto done;
    }

    p = map;
    end = map + sb.st_size;

    l = mc_archive_line(&p, end);
    if (l == NULL || strcmp(l, "mado-log-archive v1") != 0) {
        mc_error("%s: opened, but not an archive of version 1", file);
        goto done;
    }

    /* the chain entries */
    while ((l = mc_archive_line(&p, end)) != NULL
           && strncmp(l, "chain ", 6) == 0)
    {
        if (c.n == c.cap) {
            c.cap = c.cap ? 2 * c.cap : 64;
            c.e = realloc(c.e, c.cap * sizeof(mc_chain_ent_t));
            if (c.e == NULL) {
                mc_error("out of memory");
                rc = MC_EXIT_STORE;
                goto done;
            }
        }

        if (mc_chain_parse(l + 6, &c.e[c.n]) != 0) {
            mc_error("%s: a chain entry in it is not one", file);
            goto done;
        }

        c.e[c.n].line = (unsigned) c.n + 1;
        c.n++;
    }

    if (key != NULL) {
        if (mc_verify_chain(&v, &c, k0, 0, 0, &g, &ng) != 0) {
            rc = MC_EXIT_STORE;
            goto done;
        }
    }

    if (dir != NULL) {
        if (mc_logs_path(path, sizeof(path), dir, "chain") != 0) {
            goto done;
        }
        if (stat(path, &sb) == 0) {
            mc_error("%s exists: not overwritten", path);
            goto done;
        }
    }

    /* the files, each against its entry */
    nfiles = 0;

    while (l != NULL && strncmp(l, "file ", 5) == 0) {
        nn = 0;
        if (sscanf(l + 5, "%33s %llu%n", name, &fsize, &nn) != 2
            || l[5 + nn] != '\0' || (uint64_t) (end - p) < fsize)
        {
            mc_error("%s: a file in it is cut or garbled", file);
            goto done;
        }

        for (i = 0; i < c.n; i++) {
            if (strcmp(c.e[i].name, name) == 0) {
                break;
            }
        }

        if (i == c.n) {
            mc_finding(&v, "inserted: %s is in the archive but in none of "
                       "its chain entries", name);

        } else {
            EVP_Digest(p, fsize, (unsigned char *) why, NULL, EVP_sha256(),
                       NULL);
            mado_hex((unsigned char *) why, 32, sha);
            size = fsize;

            if (size != c.e[i].size || strcmp(sha, c.e[i].sha) != 0) {
                mc_finding(&v, "modified: %s in the archive is not what was "
                           "sealed (entry %llu)", name,
                           (unsigned long long) c.e[i].seq);
            }
            c.e[i].seen = 1;
        }

        if (dir != NULL && v.findings == 0) {
            if (mc_logs_path(path, sizeof(path), dir, name) != 0) {
                goto done;
            }

            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd == -1 || mc_write_all(fd, p, fsize) != 0
                || fsync(fd) != 0)
            {
                mc_error("%s: %s", path, strerror(errno));
                rc = errno == EEXIST ? MC_EXIT_REFUSED : MC_EXIT_STORE;
                if (fd != -1) {
                    close(fd);
                }
                goto done;
            }
            close(fd);
        }

        p += fsize;
        nfiles++;
        l = mc_archive_line(&p, end);
    }

    if (l == NULL || strcmp(l, "end") != 0 || p != end) {
        mc_error("%s: opened, but its content does not end as it should",
                 file);
        goto done;
    }

    for (i = 0; i < c.n; i++) {
        if (!c.e[i].seen) {
            mc_finding(&v, "deleted: %s (entry %llu) is not in the archive",
                       c.e[i].name, (unsigned long long) c.e[i].seq);
        }
    }

    if (v.findings) {
        printf("FAILED: %u finding%s in %s\n", v.findings,
               v.findings == 1 ? "" : "s", file);
        goto done;
    }

    if (dir != NULL) {
        char  line[512];

        mc_logs_path(path, sizeof(path), dir, "chain");
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd == -1) {
            mc_error("%s: %s", path, strerror(errno));
            rc = MC_EXIT_STORE;
            goto done;
        }
        for (i = 0; i < c.n; i++) {
            mc_chain_line(&c.e[i], line, sizeof(line));
            if (mc_write_all(fd, line, strlen(line)) != 0) {
                mc_error("%s: %s", path, strerror(errno));
                close(fd);
                rc = MC_EXIT_STORE;
                goto done;
            }
        }
        close(fd);
    }

    printf("ok: %s opens under the audit key; %zu logs match their chain "
           "entries%s%s%s\n", file, nfiles,
           key ? ", whose MACs and links verify" : " (no --key: MACs not "
           "checked)", dir ? "; written to " : "", dir ? dir : "");

    rc = MC_EXIT_OK;

done:

    if (map != NULL) {
        munmap(map, (size_t) sb.st_size);
    }
    free(g);
    mc_chain_free(&c);
    OPENSSL_cleanse(akey, sizeof(akey));
    OPENSSL_cleanse(k0, sizeof(k0));

    if (tfd != -1) {
        close(tfd);
    }
    close(in);

    return rc;
}


/* search and stats: cmd_logs_read.c, after the shared options */
static int
mc_logs_read(mc_ctx_t *ctx, int argc, char **argv)
{
    int             rc, stats;
    const char     *unused;
    mc_logs_opt_t   o;

    unused = NULL;
    stats = strcmp(argv[0], "stats") == 0;

    rc = mc_logs_getopt(argv[0], stats ? MC_O_LOGDIR "ftF"
                                       : MC_O_LOGDIR "ftipsuojc",
                        argc, argv, &o, &unused);
    if (rc != MC_CONTINUE) {
        return rc;
    }

    if (optind != argc) {
        return mc_usage_error(stats ? "logs stats" : "logs search",
                              "unexpected argument \"%s\"", argv[optind]);
    }

    return stats ? mc_logs_stats(ctx, &o) : mc_logs_search(ctx, &o);
}
