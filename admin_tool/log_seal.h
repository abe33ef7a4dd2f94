/*
 * madoctl logs: what cmd_logs.c, cmd_logs_read.c and log_seal.c share
 * (log_seal.c has the chain and its keys, and why).
 */

#ifndef LOG_SEAL_H
#define LOG_SEAL_H

#include <stdint.h>

#include "madoctl.h"


#define MC_SEAL_KEY_LEN     32
#define MC_HEX_LEN          64
#define MC_NAME_MAX         32          /* access.log-YYYYMMDD.gz is 25 */
#define MC_FINGERPRINT_LEN  32
/* "mado-log-seal-key v1 " epoch(10) ' ' hex(64) '\n' */
#define MC_SEAL_KEY_TEXT    (21 + 10 + 1 + 64 + 1)

#define MC_LOG_DIR          "/var/log/nginx/mado"
#define MC_LOG_STATE        "/var/lib/mado/logs"
#define MC_LOG_CURRENT      "access.log"
#define MC_LOG_KEEP_DAYS    400

typedef struct {
    uint64_t            seq;
    uint32_t            epoch;
    mado_date_t         date;
    char                name[MC_NAME_MAX + 1];
    uint64_t            size;
    char                sha[MC_HEX_LEN + 1];
    char                prev[MC_HEX_LEN + 1];
    char                mac[MC_HEX_LEN + 1];
    unsigned            line;       /* in the chain file */
    unsigned            bad:1;      /* not an entry */
    unsigned            forged:1;   /* its MAC does not verify */
    unsigned            seen:1;     /* verify: its file was found */
} mc_chain_ent_t;

typedef struct {
    mc_chain_ent_t     *e;
    size_t              n, cap;
    unsigned            torn:1;     /* the last line has no newline */
} mc_chain_t;

/* the options of the logs verbs, and what they mean once checked */
typedef struct {
    const char         *log_dir;
    const char         *state;
    const char         *key;        /* --key: the verification key */
    const char         *sfrom, *sto;
    const char         *archive;    /* verify --archive */
    const char         *ip, *path, *status, *ua, *office, *format;
    uint32_t            keep;       /* days the archives are kept */
    int                 json, quiet, count;
    long                first, last;    /* day numbers; -1 / LONG_MAX */
} mc_logs_opt_t;

void mc_seal_evolve(unsigned char k[MC_SEAL_KEY_LEN]);
void mc_seal_key_at(const unsigned char k0[MC_SEAL_KEY_LEN], uint32_t epoch,
    unsigned char k[MC_SEAL_KEY_LEN]);
void mc_seal_fingerprint(const unsigned char k0[MC_SEAL_KEY_LEN],
    char out[MC_FINGERPRINT_LEN]);
int mc_seal_key_write(int fd, uint32_t epoch,
    const unsigned char k[MC_SEAL_KEY_LEN]);
int mc_seal_key_read(int fd, const char *path, uint32_t *epoch,
    unsigned char k[MC_SEAL_KEY_LEN], char *why, size_t size);
int mc_verify_key_text(const unsigned char k0[MC_SEAL_KEY_LEN], char *out,
    size_t size);
int mc_verify_key_read(const char *path, unsigned char k0[MC_SEAL_KEY_LEN],
    char *why, size_t size);

int mc_chain_body(const mc_chain_ent_t *e, char *buf, size_t size);
void mc_chain_mac(const unsigned char k[MC_SEAL_KEY_LEN],
    const mc_chain_ent_t *e, char out[MC_HEX_LEN + 1]);
int mc_chain_line(const mc_chain_ent_t *e, char *buf, size_t size);
int mc_chain_parse(const char *line, mc_chain_ent_t *e);
int mc_chain_read(const char *path, mc_chain_t *c);
void mc_chain_free(mc_chain_t *c);

int mc_log_archive_name(const char *name, mado_date_t *date);
int mc_fd_sha256(int fd, uint64_t *size, char hex[MC_HEX_LEN + 1]);
int mc_file_sha256(const char *path, uint64_t *size, char hex[MC_HEX_LEN + 1]);

/* day numbers (mado_days_from_civil) of a date, and back */
long mc_day(mado_date_t d);
mado_date_t mc_date(long day);

/* cmd_logs_read.c */
int mc_logs_search(mc_ctx_t *ctx, mc_logs_opt_t *o);
int mc_logs_stats(mc_ctx_t *ctx, mc_logs_opt_t *o);

#endif /* LOG_SEAL_H */
