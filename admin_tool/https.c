/*
 * madoctl: a minimal HTTP/1.1 client over TLS, for the remote verbs.
 *
 * One request per connection ("Connection: close"), TLS 1.2 or later, the
 * server's certificate verified against the system's CAs or --cacert and
 * against the host of the URL.  Failures are sorted by what a retry may
 * do: before the request left (MC_HTTP_UNSENT) anything may be retried;
 * after it (MC_HTTP_LOST) the server may have applied it, so only a
 * request with an Idempotency-Key is.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "madoctl.h"


#define MC_HTTP_TIMEOUT     10          /* seconds, connect and each read */
#define MC_HTTP_HEAD_MAX    16384
#define MC_HTTP_BODY_MAX    (1024 * 1024)

#define MC_STR2(x)          #x
#define MC_STR(x)           MC_STR2(x)


struct mc_https_s {
    SSL_CTX            *ctx;
};


static int mc_http_connect(const mc_url_t *u, char *err, size_t size);
static int mc_http_parse(char *buf, size_t len, int complete,
    mc_http_res_t *res);
static void mc_http_tls_error(const char *what, char *err, size_t size);


/*
 * https://HOST[:PORT][/PREFIX]: the update API is PREFIX/api/v1/admin/.
 * No user, query or fragment: they would only be ignored or leak.
 */
int
mc_url_parse(const char *s, mc_url_t *u, char *err, size_t size)
{
    size_t        n, i;
    long          port;
    char         *end;
    const char   *p, *h, *path;
    unsigned char addr[16];

    memset(u, 0, sizeof(mc_url_t));

    if (strncasecmp(s, "http://", 7) == 0) {
        snprintf(err, size, "only https:// is accepted: the password and "
                 "the session token must not cross the network in clear");
        return -1;
    }

    if (strncasecmp(s, "https://", 8) != 0) {
        snprintf(err, size, "must be https://HOST[:PORT][/PREFIX], not "
                 "\"%.200s\"", s);
        return -1;
    }

    h = s + 8;

    if (strpbrk(h, "@?#") != NULL) {
        snprintf(err, size, "no user, query or fragment in the URL, please: "
                 "\"%.200s\"", s);
        return -1;
    }

    if (*h == '[') {
        p = strchr(h, ']');
        if (p == NULL || (size_t) (p - h - 1) >= sizeof(u->host)) {
            snprintf(err, size, "bad IPv6 address in \"%.200s\"", s);
            return -1;
        }

        memcpy(u->host, h + 1, p - h - 1);

        if (inet_pton(AF_INET6, u->host, addr) != 1) {
            snprintf(err, size, "bad IPv6 address in \"%.200s\"", s);
            return -1;
        }

        u->ipv6 = 1;
        p++;

    } else {
        n = strcspn(h, ":/");

        if (n == 0 || n >= sizeof(u->host)) {
            snprintf(err, size, "no host in \"%.200s\"", s);
            return -1;
        }

        for (i = 0; i < n; i++) {
            if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z')
                  || (h[i] >= '0' && h[i] <= '9') || h[i] == '.'
                  || h[i] == '-'))
            {
                snprintf(err, size, "bad host name in \"%.200s\"", s);
                return -1;
            }

            /* names compare case-insensitively; the session file too */
            u->host[i] = (h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i];
        }

        p = h + n;
    }

    port = 443;

    if (*p == ':') {
        errno = 0;
        port = strtol(p + 1, &end, 10);

        if (end == p + 1 || errno != 0 || port < 1 || port > 65535
            || (*end != '\0' && *end != '/'))
        {
            snprintf(err, size, "bad port in \"%.200s\"", s);
            return -1;
        }

        p = end;
    }

    if (*p != '\0' && *p != '/') {
        snprintf(err, size, "must be https://HOST[:PORT][/PREFIX], not "
                 "\"%.200s\"", s);
        return -1;
    }

    u->default_port = (port == 443);
    snprintf(u->port, sizeof(u->port), "%ld", port);

    /* the prefix without trailing slashes, then the API's own path */
    path = p;
    n = strlen(path);

    while (n > 0 && path[n - 1] == '/') {
        n--;
    }

    for (i = 0; i < n; i++) {
        if ((unsigned char) path[i] <= 0x20 || (unsigned char) path[i] >= 0x7f)
        {
            snprintf(err, size, "the path may hold only visible ASCII: "
                     "\"%.200s\"", s);
            return -1;
        }
    }

    if (n + sizeof("/api/v1/admin/") > sizeof(u->base)) {
        snprintf(err, size, "the path is too long");
        return -1;
    }

    snprintf(u->base, sizeof(u->base), "%.*s/api/v1/admin/", (int) n, path);

    snprintf(u->authority, sizeof(u->authority), "%s%s%s%s%s",
             u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "",
             u->default_port ? "" : ":", u->default_port ? "" : u->port);

    snprintf(u->origin, sizeof(u->origin), "https://%s%.*s", u->authority,
             (int) n, path);

    return 0;
}


mc_https_t *
mc_https_new(const char *cacert, char *err, size_t size)
{
    mc_https_t  *h;

    h = calloc(1, sizeof(mc_https_t));
    if (h == NULL) {
        snprintf(err, size, "out of memory");
        return NULL;
    }

    h->ctx = SSL_CTX_new(TLS_client_method());
    if (h->ctx == NULL) {
        mc_http_tls_error("TLS setup", err, size);
        free(h);
        return NULL;
    }

    SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION);

    /* without a verified peer TLS keeps out only the passive listener */
    SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);

    if (cacert != NULL) {
        if (SSL_CTX_load_verify_locations(h->ctx, cacert, NULL) != 1) {
            mc_http_tls_error(cacert, err, size);
            mc_https_free(h);
            return NULL;
        }

    } else if (SSL_CTX_set_default_verify_paths(h->ctx) != 1) {
        mc_http_tls_error("the system's CA certificates", err, size);
        mc_https_free(h);
        return NULL;
    }

    return h;
}


void
mc_https_free(mc_https_t *h)
{
    if (h != NULL) {
        SSL_CTX_free(h->ctx);
        free(h);
    }
}


void
mc_http_res_free(mc_http_res_t *res)
{
    free(res->buf);
    memset(res, 0, sizeof(mc_http_res_t));
}


/* one request on a new connection; res->buf is malloc()ed when MC_HTTP_OK */
int
mc_https_request(mc_https_t *h, const mc_url_t *u, const char *req,
    size_t len, mc_http_res_t *res, char *err, size_t size)
{
    int             fd, n, rc, done;
    SSL            *ssl;
    char           *buf, *nbuf;
    size_t          have, cap;
    long            verify;
    unsigned char   addr[16];

    memset(res, 0, sizeof(mc_http_res_t));

    fd = mc_http_connect(u, err, size);
    if (fd == -1) {
        return MC_HTTP_UNSENT;
    }

    ssl = SSL_new(h->ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        mc_http_tls_error("TLS setup", err, size);
        SSL_free(ssl);
        close(fd);
        return MC_HTTP_FAILED;
    }

    /* an address is checked against the IP SANs, a name against DNS SANs */
    if (inet_pton(AF_INET, u->host, addr) == 1
        || inet_pton(AF_INET6, u->host, addr) == 1)
    {
        rc = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u->host);

    } else {
        /* SNI only for names (RFC 6066): nginx picks its server by it */
        rc = SSL_set1_host(ssl, u->host)
             && SSL_set_tlsext_host_name(ssl, u->host);
    }

    if (rc != 1) {
        mc_http_tls_error("TLS setup", err, size);
        SSL_free(ssl);
        close(fd);
        return MC_HTTP_FAILED;
    }

    ERR_clear_error();

    if (SSL_connect(ssl) != 1) {
        verify = SSL_get_verify_result(ssl);

        if (verify != X509_V_OK) {
            snprintf(err, size, "%s: the server's certificate is not "
                     "trusted: %s%s", u->origin,
                     X509_verify_cert_error_string(verify),
                     (verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                      || verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
                      || verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
                     ? " (a private CA? give its certificate with --cacert "
                       "FILE)" : "");
            SSL_free(ssl);
            close(fd);
            return MC_HTTP_UNTRUSTED;
        }

        mc_http_tls_error("TLS handshake", err, size);
        SSL_free(ssl);
        close(fd);

        /* a reset or a timeout in the handshake: nothing was asked yet */
        return MC_HTTP_UNSENT;
    }

    buf = NULL;
    have = cap = 0;
    done = 0;
    rc = MC_HTTP_LOST;

    ERR_clear_error();
    n = SSL_write(ssl, req, (int) len);

    if (n != (int) len) {
        /* part of it may have arrived, or all: the server may act on it */
        snprintf(err, size, "%s: the connection failed while sending: %s",
                 u->origin, errno ? strerror(errno) : "TLS error");
        goto out;
    }

    for ( ;; ) {
        if (cap - have < 4096) {
            if (cap >= MC_HTTP_HEAD_MAX + MC_HTTP_BODY_MAX) {
                snprintf(err, size, "%s: the answer is too long", u->origin);
                rc = MC_HTTP_FAILED;
                goto out;
            }

            cap = cap ? cap * 2 : 8192;
            nbuf = realloc(buf, cap + 1);
            if (nbuf == NULL) {
                snprintf(err, size, "out of memory");
                rc = MC_HTTP_FAILED;
                goto out;
            }
            buf = nbuf;
        }

        errno = 0;
        ERR_clear_error();
        n = SSL_read(ssl, buf + have, (int) (cap - have));

        if (n > 0) {
            have += n;

            /* complete by its length or chunks: no need to wait for EOF */
            done = mc_http_parse(buf, have, 0, res);
            if (done == 1) {
                rc = MC_HTTP_OK;
                break;
            }

            if (done == -1) {
                break;
            }

            continue;
        }

        /* a clean close: the answer ends here, if its framing agrees */
        if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) {
            done = mc_http_parse(buf, have, 1, res);
            if (done == 1) {
                rc = MC_HTTP_OK;
                break;
            }
        }

        snprintf(err, size, "%s: %s", u->origin,
                 (errno == EAGAIN || errno == EWOULDBLOCK)
                 ? "no answer within " MC_STR(MC_HTTP_TIMEOUT) " seconds"
                 : have == 0 ? (errno ? strerror(errno)
                                      : "the connection closed without an "
                                        "answer")
                 : "the connection closed in the middle of the answer");
        break;
    }

    if (done == -1) {
        snprintf(err, size, "%s: not an HTTP answer", u->origin);
        rc = MC_HTTP_FAILED;
    }

out:

    if (rc == MC_HTTP_OK) {
        res->buf = buf;
        buf = NULL;
        SSL_shutdown(ssl);

    }

    free(buf);
    SSL_free(ssl);
    close(fd);

    return rc;
}


/*
 * 1: a complete answer in buf (res filled, body NUL-terminated in place),
 * 0: more is needed, -1: not HTTP.  complete: the peer closed cleanly, so
 * an answer without length or chunks ends here.
 */
static int
mc_http_parse(char *buf, size_t len, int complete, mc_http_res_t *res)
{
    char        *p, *end, *line, *eol, *b, *q;
    size_t       hlen, blen;
    unsigned long chunk;
    long long    cl;
    int          chunked;

    buf[len] = '\0';

    end = strstr(buf, "\r\n\r\n");
    if (end == NULL) {
        return (len > MC_HTTP_HEAD_MAX) ? -1 : 0;
    }

    if (strncmp(buf, "HTTP/1.", 7) != 0 || len < 12 || buf[8] != ' '
        || buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9'
        || buf[11] < '0' || buf[11] > '9')
    {
        return -1;
    }

    res->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10
                  + (buf[11] - '0');
    res->retry_after = -1;

    hlen = end - buf + 4;
    cl = -1;
    chunked = 0;

    for (line = strstr(buf, "\r\n") + 2; line < end; line = eol + 2) {
        eol = strstr(line, "\r\n");

        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            cl = strtoll(line + 15, NULL, 10);
            if (cl < 0 || cl > MC_HTTP_BODY_MAX) {
                return -1;
            }

        } else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
            for (p = line + 18; p < eol; p++) {
                if (strncasecmp(p, "chunked", 7) == 0) {
                    chunked = 1;
                }
            }

        } else if (strncasecmp(line, "Retry-After:", 12) == 0) {
            res->retry_after = strtoll(line + 12, NULL, 10);
        }
    }

    b = buf + hlen;
    blen = len - hlen;

    if (chunked) {
        /* first only look whether the last chunk is there yet */
        for (p = b; ; p += chunk + 2) {
            eol = strstr(p, "\r\n");
            if (eol == NULL) {
                return 0;
            }

            errno = 0;
            chunk = strtoul(p, &q, 16);
            if (errno != 0 || q == p || chunk > MC_HTTP_BODY_MAX) {
                return -1;
            }

            p = eol + 2;

            if (chunk == 0) {
                /* trailers are not used: the last chunk is enough */
                break;
            }

            if ((size_t) (buf + len - p) < chunk + 2) {
                return 0;
            }
        }

        /* then decode in place: the data only ever moves towards b */
        q = b;

        for (p = b; ; p += chunk + 2) {
            chunk = strtoul(p, NULL, 16);
            p = strstr(p, "\r\n") + 2;

            if (chunk == 0) {
                break;
            }

            memmove(q, p, chunk);
            q += chunk;
        }

        *q = '\0';
        res->body = b;
        res->len = q - b;
        return 1;
    }

    if (cl >= 0) {
        if (blen < (size_t) cl) {
            return 0;
        }

        b[cl] = '\0';
        res->body = b;
        res->len = (size_t) cl;
        return 1;
    }

    if (!complete) {
        return 0;
    }

    res->body = b;
    res->len = blen;
    return 1;
}


/* a TCP connection to any address of the host, within the timeout */
static int
mc_http_connect(const mc_url_t *u, char *err, size_t size)
{
    int               fd, rc, e, flags;
    socklen_t         elen;
    struct pollfd     pfd;
    struct timeval    tv;
    struct addrinfo   hints, *res, *ai;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc != 0) {
        snprintf(err, size, "%s: %s", u->host, gai_strerror(rc));
        return -1;
    }

    fd = -1;
    e = ECONNREFUSED;

    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd == -1) {
            e = errno;
            continue;
        }

        /* non-blocking only to bound the connect by the timeout */
        flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);

        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);

        if (rc == -1 && errno == EINPROGRESS) {
            pfd.fd = fd;
            pfd.events = POLLOUT;

            do {
                rc = poll(&pfd, 1, MC_HTTP_TIMEOUT * 1000);
            } while (rc == -1 && errno == EINTR);

            if (rc == 0) {
                errno = ETIMEDOUT;
                rc = -1;

            } else if (rc == 1) {
                elen = sizeof(e);
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen);
                errno = e;
                rc = e ? -1 : 0;
            }
        }

        if (rc == 0) {
            fcntl(fd, F_SETFL, flags);

            /* blocking from here on, each read and write bounded */
            tv.tv_sec = MC_HTTP_TIMEOUT;
            tv.tv_usec = 0;
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

            freeaddrinfo(res);
            return fd;
        }

        e = errno;
        close(fd);
        fd = -1;
    }

    freeaddrinfo(res);

    snprintf(err, size, "%s: cannot connect: %s", u->origin, strerror(e));

    return -1;
}


static void
mc_http_tls_error(const char *what, char *err, size_t size)
{
    unsigned long  e;
    char           buf[256];

    e = ERR_peek_last_error();

    if (e == 0) {
        snprintf(err, size, "%s: %s", what,
                 errno ? strerror(errno) : "the connection was closed");

    } else {
        ERR_error_string_n(e, buf, sizeof(buf));
        snprintf(err, size, "%s: %s", what, buf);
    }

    ERR_clear_error();
}
