/*
 * What mado opens that came from outside the process: a sealed record
 * (mado_crypt_open, mado_record_open: the store's bytes, which its group
 * can write) and a sealed file (mado_crypt_open_fd: a backup or a log
 * archive brought back).  Under a fixed key: what opens is exactly the
 * input less its overhead, a file's output is no longer than the input;
 * and whatever is sealed opens again to the same bytes, as a buffer and
 * as a file.
 */

#define _GNU_SOURCE                     /* memfd_create */

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"


static const unsigned char  fuzz_key[MADO_CRYPT_KEY_LEN] =
    "mado fuzz key: not a secret 0123";


static int
fuzz_memfd(const void *p, size_t len)
{
    int  fd;

    fd = memfd_create("fuzz-crypt", 0);
    FUZZ_CHECK(fd != -1);

    if (len) {
        FUZZ_CHECK(write(fd, p, len) == (ssize_t) len);
    }

    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);

    return fd;
}


/* the file at fd, opened; its output's length, or -1 if it does not open */
static ssize_t
fuzz_open_file(int in, unsigned char **out)
{
    int         rc, fd;
    off_t       end;
    mado_err_t  err;

    fd = fuzz_memfd(NULL, 0);
    rc = mado_crypt_open_fd(fuzz_key, in, fd, &err);

    end = lseek(fd, 0, SEEK_END);
    *out = malloc(end ? (size_t) end : 1);
    FUZZ_CHECK(*out != NULL);
    FUZZ_CHECK(pread(fd, *out, (size_t) end, 0) == (ssize_t) end);
    close(fd);

    if (rc != MADO_OK) {
        FUZZ_CHECK(rc == MADO_EINVAL);
        return -1;
    }

    return (ssize_t) end;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  in, fd;
    size_t               len;
    ssize_t              n;
    mado_err_t           err;
    unsigned char       *buf, *out;

    static mado_store_t  s;
    static int           keyed;

    if (!keyed) {
        FUZZ_CHECK(mado_store_keys(&s, fuzz_key, &err) == MADO_OK);
        keyed = 1;
    }

    buf = malloc(size + MADO_CRYPT_OVERHEAD);
    FUZZ_CHECK(buf != NULL);

    /* a sealed buffer: opens to its text, or not at all */
    if (mado_crypt_open(fuzz_key, "aad", 3, data, size, buf, &len) == 0) {
        FUZZ_CHECK(mado_crypt_sealed(data, size));
        FUZZ_CHECK(len == size - MADO_CRYPT_OVERHEAD);
    }

    /* a record of the store: in clear as it is, opened, or refused */
    switch (mado_record_open(&s, "audit", "\0\0\0\0\0\0\0\1", 8, data, size,
                             buf, &len))
    {
    case MADO_ENOTFOUND:
        FUZZ_CHECK(len == size && memcmp(buf, data, size) == 0);
        break;
    case MADO_OK:
        FUZZ_CHECK(len == size - MADO_CRYPT_OVERHEAD);
        break;
    default:
        FUZZ_CHECK(mado_crypt_sealed(data, size));
    }

    /* a sealed file */
    in = fuzz_memfd(data, size);
    n = fuzz_open_file(in, &out);
    FUZZ_CHECK(n <= (ssize_t) size);
    close(in);
    free(out);

    /* whatever is sealed opens again, as a buffer and as a file */
    FUZZ_CHECK(mado_crypt_seal(fuzz_key, MADO_KID_STORE, "aad", 3, data,
                               size, buf) == 0);
    out = malloc(size ? size : 1);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(mado_crypt_open(fuzz_key, "aad", 3, buf,
                               size + MADO_CRYPT_OVERHEAD, out, &len) == 0);
    FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
    free(out);

    in = fuzz_memfd(data, size);
    fd = fuzz_memfd(NULL, 0);
    FUZZ_CHECK(mado_crypt_seal_fd(fuzz_key, MADO_KID_STORE, in, fd, &err)
               == MADO_OK);
    close(in);
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    n = fuzz_open_file(fd, &out);
    close(fd);
    FUZZ_CHECK(n == (ssize_t) size && memcmp(out, data, size) == 0);
    free(out);

    free(buf);

    return 0;
}
