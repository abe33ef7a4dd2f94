/*
 * madoctl logs: the forward-secure chain of the rotated access logs, its
 * keys, and the shared options of the logs verbs (cmd_logs.c).
 *
 * Keys (HMAC-SHA-256 throughout):
 *   K(0)     32 random bytes, made by "logs init": the verification key,
 *            which the sysadmin moves off the server
 *   K(i+1) = HMAC(K(i), "mado log seal evolve v1")
 * The server keeps only K(e) of the current epoch e in seal.key; "logs
 * seal" seals the next archive with K(e), the next with K(e+1), ..., and
 * overwrites the key in place with the first it did not use.  HMAC does not run backwards: the key an
 * intruder finds today cannot make the MAC of an entry sealed before.
 *
 * The chain (a text file, one entry a line):
 *   SEQ EPOCH DATE NAME SIZE SHA256 PREV MAC
 *   MAC = HMAC(K(EPOCH), "mado log chain v1\n" || the line up to PREV)
 * SEQ counts from 1, PREV is the MAC of the entry before (64 zeros for the
 * first).  Each archive (a day) is an epoch of its own: EPOCH = SEQ, the
 * key moves on after each entry.  seal.key's epoch is one past the last
 * entry's; a chain whose end was cut ends earlier, and nobody can make an
 * older K(e) again to add entries back.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "madoctl.h"
#include "log_seal.h"


#define MC_SEAL_EVOLVE      "mado log seal evolve v1"
#define MC_CHAIN_LABEL      "mado log chain v1\n"
#define MC_SEAL_KEY_HEAD    "mado-log-seal-key v1 "
#define MC_VERIFY_KEY_HEAD  "mado-log-verify-key v1 "


void
mc_seal_evolve(unsigned char k[MC_SEAL_KEY_LEN])
{
    unsigned int   n;
    unsigned char  next[MC_SEAL_KEY_LEN];

    HMAC(EVP_sha256(), k, MC_SEAL_KEY_LEN,
         (const unsigned char *) MC_SEAL_EVOLVE, sizeof(MC_SEAL_EVOLVE) - 1,
         next, &n);
    memcpy(k, next, MC_SEAL_KEY_LEN);
    OPENSSL_cleanse(next, sizeof(next));
}


/* K(epoch) from K(0) */
void
mc_seal_key_at(const unsigned char k0[MC_SEAL_KEY_LEN], uint32_t epoch,
    unsigned char k[MC_SEAL_KEY_LEN])
{
    uint32_t  i;

    memcpy(k, k0, MC_SEAL_KEY_LEN);

    for (i = 0; i < epoch; i++) {
        mc_seal_evolve(k);
    }
}


/* a short name of K(0), for the sysadmin to check the key kept apart */
void
mc_seal_fingerprint(const unsigned char k0[MC_SEAL_KEY_LEN],
    char out[MC_FINGERPRINT_LEN])
{
    int            i;
    unsigned int   n;
    unsigned char  h[32];
    char          *o;

    static const char  fp[] = "mado log verify key fingerprint";

    HMAC(EVP_sha256(), k0, MC_SEAL_KEY_LEN, (const unsigned char *) fp,
         sizeof(fp) - 1, h, &n);

    o = out;
    for (i = 0; i < 10; i++) {
        o += sprintf(o, "%02x", h[i]);
        if (i % 2 == 1 && i < 9) {
            *o++ = ':';
        }
    }
    *o = '\0';
}


/* "mado-log-seal-key v1 EEEEEEEEEE HEX\n": always this length */
static void
mc_seal_key_text(uint32_t epoch, const unsigned char k[MC_SEAL_KEY_LEN],
    char *out)
{
    char  hex[2 * MC_SEAL_KEY_LEN + 1];

    mado_hex(k, MC_SEAL_KEY_LEN, hex);
    snprintf(out, MC_SEAL_KEY_TEXT + 1, MC_SEAL_KEY_HEAD "%010u %s\n",
             epoch, hex);
    OPENSSL_cleanse(hex, sizeof(hex));
}


/*
 * The seal key, in place: the same bytes of the same file, so that the
 * key before is overwritten on the disk, not left in a block a rename
 * would free.  0 or -1 (errno).
 */
int
mc_seal_key_write(int fd, uint32_t epoch, const unsigned char k[MC_SEAL_KEY_LEN])
{
    int      rc;
    char     text[MC_SEAL_KEY_TEXT + 1];
    ssize_t  n;

    mc_seal_key_text(epoch, k, text);

    n = pwrite(fd, text, MC_SEAL_KEY_TEXT, 0);
    rc = (n == MC_SEAL_KEY_TEXT && fdatasync(fd) == 0) ? 0 : -1;

    if (n >= 0 && n != MC_SEAL_KEY_TEXT) {
        errno = EIO;
    }

    OPENSSL_cleanse(text, sizeof(text));

    return rc;
}


/* read the seal key from fd; 0, or -1 and why */
int
mc_seal_key_read(int fd, const char *path, uint32_t *epoch,
    unsigned char k[MC_SEAL_KEY_LEN], char *why, size_t size)
{
    int           rc;
    char          text[MC_SEAL_KEY_TEXT + 2], *e;
    ssize_t       n;
    struct stat   sb;
    unsigned long  ep;

    if (fstat(fd, &sb) == -1 || (sb.st_mode & 077)) {
        snprintf(why, size, "%s: must be mode 0600 (readable by its owner "
                 "only)", path);
        return -1;
    }

    n = pread(fd, text, sizeof(text) - 1, 0);
    if (n < 0) {
        snprintf(why, size, "%s: %s", path, strerror(errno));
        return -1;
    }

    text[n] = '\0';
    rc = -1;

    if (n == MC_SEAL_KEY_TEXT
        && strncmp(text, MC_SEAL_KEY_HEAD, sizeof(MC_SEAL_KEY_HEAD) - 1) == 0)
    {
        errno = 0;
        ep = strtoul(text + sizeof(MC_SEAL_KEY_HEAD) - 1, &e, 10);
        if (errno == 0 && *e == ' ' && ep <= UINT32_MAX
            && e == text + sizeof(MC_SEAL_KEY_HEAD) - 1 + 10
            && text[MC_SEAL_KEY_TEXT - 1] == '\n')
        {
            text[MC_SEAL_KEY_TEXT - 1] = '\0';
            if (mado_unhex(e + 1, k, MC_SEAL_KEY_LEN) == 0) {
                *epoch = (uint32_t) ep;
                rc = 0;
            }
        }
    }

    OPENSSL_cleanse(text, sizeof(text));

    if (rc != 0) {
        snprintf(why, size, "%s: not a seal key (\"%s<epoch> <64 hex "
                 "digits>\")", path, MC_SEAL_KEY_HEAD);
    }

    return rc;
}


int
mc_verify_key_text(const unsigned char k0[MC_SEAL_KEY_LEN], char *out,
    size_t size)
{
    char  hex[2 * MC_SEAL_KEY_LEN + 1], fp[MC_FINGERPRINT_LEN];
    int   n;

    mado_hex(k0, MC_SEAL_KEY_LEN, hex);
    mc_seal_fingerprint(k0, fp);
    n = snprintf(out, size, MC_VERIFY_KEY_HEAD "%s\n"
                 "# fingerprint %s: keep this file off the server; "
                 "\"madoctl logs verify --key FILE\"\n", hex, fp);
    OPENSSL_cleanse(hex, sizeof(hex));

    return n;
}


int
mc_verify_key_read(const char *path, unsigned char k0[MC_SEAL_KEY_LEN],
    char *why, size_t size)
{
    int      fd, rc;
    char     text[256];
    ssize_t  n;
    size_t   h = sizeof(MC_VERIFY_KEY_HEAD) - 1;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        snprintf(why, size, "--key %s: %s", path, strerror(errno));
        return -1;
    }

    n = read(fd, text, sizeof(text) - 1);
    close(fd);

    if (n < 0) {
        snprintf(why, size, "--key %s: %s", path, strerror(errno));
        return -1;
    }

    text[n] = '\0';
    rc = -1;

    if ((size_t) n >= h + 2 * MC_SEAL_KEY_LEN + 1
        && strncmp(text, MC_VERIFY_KEY_HEAD, h) == 0
        && text[h + 2 * MC_SEAL_KEY_LEN] == '\n')
    {
        text[h + 2 * MC_SEAL_KEY_LEN] = '\0';
        rc = mado_unhex(text + h, k0, MC_SEAL_KEY_LEN) == 0 ? 0 : -1;
    }

    OPENSSL_cleanse(text, sizeof(text));

    if (rc != 0) {
        snprintf(why, size, "--key %s: not a verification key (\"%s<64 hex "
                 "digits>\", made by \"madoctl logs init\")", path,
                 MC_VERIFY_KEY_HEAD);
    }

    return rc;
}


/* ------------------------------------------------------------ the chain */

/* the line of e without " MAC\n": what the MAC is over */
int
mc_chain_body(const mc_chain_ent_t *e, char *buf, size_t size)
{
    return snprintf(buf, size, "%llu %u %04d-%02d-%02d %s %llu %s %s",
                    (unsigned long long) e->seq, e->epoch, e->date / 10000,
                    e->date / 100 % 100, e->date % 100, e->name,
                    (unsigned long long) e->size, e->sha, e->prev);
}


void
mc_chain_mac(const unsigned char k[MC_SEAL_KEY_LEN], const mc_chain_ent_t *e,
    char out[MC_HEX_LEN + 1])
{
    int            n;
    char           buf[512];
    unsigned int   mlen;
    unsigned char  mac[32];

    memcpy(buf, MC_CHAIN_LABEL, sizeof(MC_CHAIN_LABEL) - 1);
    n = mc_chain_body(e, buf + sizeof(MC_CHAIN_LABEL) - 1,
                      sizeof(buf) - sizeof(MC_CHAIN_LABEL));

    HMAC(EVP_sha256(), k, MC_SEAL_KEY_LEN, (const unsigned char *) buf,
         sizeof(MC_CHAIN_LABEL) - 1 + (size_t) n, mac, &mlen);

    mado_hex(mac, sizeof(mac), out);
}


int
mc_chain_line(const mc_chain_ent_t *e, char *buf, size_t size)
{
    int  n;

    n = mc_chain_body(e, buf, size);
    return n + snprintf(buf + n, size - (size_t) n, " %s\n", e->mac);
}


static int
mc_is_hex64(const char *s)
{
    int  i;

    for (i = 0; i < MC_HEX_LEN; i++) {
        if (!isxdigit((unsigned char) s[i]) || isupper((unsigned char) s[i])) {
            return 0;
        }
    }

    return s[i] == '\0';
}


/* one line of the chain (NUL-terminated, no newline) into e; 0 or -1 */
int
mc_chain_parse(const char *line, mc_chain_ent_t *e)
{
    int                 y, m, d, n;
    char                date[16], name[MC_NAME_MAX + 2];
    unsigned long long  seq, size;
    unsigned            epoch;
    mado_date_t         nd;

    memset(e, 0, sizeof(mc_chain_ent_t));
    n = 0;

    if (strlen(line) > 400
        || sscanf(line, "%llu %u %15s %33s %llu %64s %64s %64s%n", &seq,
                  &epoch, date, name, &size, e->sha, e->prev, e->mac, &n)
           != 8
        || line[n] != '\0' || seq == 0)
    {
        return -1;
    }

    if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3
        || strlen(name) > MC_NAME_MAX
        || mc_log_archive_name(name, &nd) != 0
        || nd != y * 10000 + m * 100 + d
        || !mc_is_hex64(e->sha) || !mc_is_hex64(e->prev)
        || !mc_is_hex64(e->mac))
    {
        return -1;
    }

    e->seq = seq;
    e->epoch = epoch;
    e->date = nd;
    e->size = size;
    strcpy(e->name, name);

    return 0;
}


/*
 * The chain file read: its entries in file order, each with its line
 * number; a line that is no entry is kept with bad set.  Comments (#) and
 * blank lines are skipped.  0, or -1 (errno) when the file cannot be read.
 */
int
mc_chain_read(const char *path, mc_chain_t *c)
{
    FILE            *f;
    char             line[1024];
    size_t           len;
    unsigned         no;
    mc_chain_ent_t  *e;

    memset(c, 0, sizeof(mc_chain_t));

    f = fopen(path, "re");
    if (f == NULL) {
        return -1;
    }

    no = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        no++;
        len = strlen(line);

        if (len == 0 || line[len - 1] != '\n') {
            c->torn = 1;        /* cut, or too long for an entry */
            if (len == sizeof(line) - 1) {
                int  ch;
                while ((ch = fgetc(f)) != EOF && ch != '\n') { /* void */ }
                if (ch == '\n') {
                    c->torn = 0;
                }
            }
        } else {
            line[--len] = '\0';
        }

        if (line[0] == '#' || (len == 0 && !c->torn)) {
            continue;
        }

        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 64;
            e = realloc(c->e, c->cap * sizeof(mc_chain_ent_t));
            if (e == NULL) {
                fclose(f);
                errno = ENOMEM;
                return -1;
            }
            c->e = e;
        }

        e = &c->e[c->n++];

        if (mc_chain_parse(line, e) != 0) {
            memset(e, 0, sizeof(mc_chain_ent_t));
            e->bad = 1;
        }

        e->line = no;
    }

    if (ferror(f)) {
        fclose(f);
        errno = EIO;
        return -1;
    }

    fclose(f);

    return 0;
}


void
mc_chain_free(mc_chain_t *c)
{
    free(c->e);
    memset(c, 0, sizeof(mc_chain_t));
}


/* ------------------------------------------------------------ archives */

/* access.log-YYYYMMDD or access.log-YYYYMMDD.gz: 0 and its date */
int
mc_log_archive_name(const char *name, mado_date_t *date)
{
    int          i, y, m, d;
    size_t       len;
    const char  *p;

    static const char  base[] = "access.log-";

    len = strlen(name);

    if (strncmp(name, base, sizeof(base) - 1) != 0
        || (len != sizeof(base) - 1 + 8 && len != sizeof(base) - 1 + 11))
    {
        return -1;
    }

    p = name + sizeof(base) - 1;

    for (i = 0; i < 8; i++) {
        if (!isdigit((unsigned char) p[i])) {
            return -1;
        }
    }

    if (p[8] != '\0' && strcmp(p + 8, ".gz") != 0) {
        return -1;
    }

    y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10
        + (p[3] - '0');
    m = (p[4] - '0') * 10 + (p[5] - '0');
    d = (p[6] - '0') * 10 + (p[7] - '0');

    if (y < 2000 || m < 1 || m > 12 || d < 1 || d > 31) {
        return -1;
    }

    *date = y * 10000 + m * 100 + d;

    return 0;
}


/* size and SHA-256 of an open file, read from its start; 0 or -1 (errno) */
int
mc_fd_sha256(int fd, uint64_t *size, char hex[MC_HEX_LEN + 1])
{
    int             rc;
    ssize_t         n;
    unsigned int    hl;
    unsigned char   buf[65536], h[32];
    EVP_MD_CTX     *md;

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        errno = ENOMEM;
        return -1;
    }

    *size = 0;
    rc = 0;

    for ( ;; ) {
        n = pread(fd, buf, sizeof(buf), (off_t) *size);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = -1;
            break;
        }

        if (n == 0) {
            break;
        }

        EVP_DigestUpdate(md, buf, (size_t) n);
        *size += (uint64_t) n;
    }

    if (rc == 0) {
        EVP_DigestFinal_ex(md, h, &hl);
        mado_hex(h, sizeof(h), hex);
    }

    EVP_MD_CTX_free(md);

    return rc;
}


int
mc_file_sha256(const char *path, uint64_t *size, char hex[MC_HEX_LEN + 1])
{
    int  fd, rc, e;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    rc = mc_fd_sha256(fd, size, hex);
    e = errno;
    close(fd);
    errno = e;

    return rc;
}
