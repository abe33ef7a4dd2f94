/*
 * madoctl: the HTTPS client of the remote verbs, on libcurl.
 *
 * One POST per connection, HTTP/1.1, TLS 1.2 or later, the server's
 * certificate verified against the system's CAs or --cacert (only it) and
 * against the host of the URL; no redirects.  Through a proxy when
 * --proxy, $MADO_PROXY or libcurl's own https_proxy / all_proxy (with
 * no_proxy) say so: a CONNECT tunnel, the TLS inside it end to end.
 *
 * Failures are sorted by what a retry may do: before the request left
 * (MC_HTTP_UNSENT) anything may be retried; after it (MC_HTTP_LOST) the
 * server may have applied it, so only a request with an Idempotency-Key
 * is.  libcurl's prerequest callback marks the moment it leaves.
 */

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "madoctl.h"


#define MC_HTTP_TIMEOUT     10          /* seconds: connect, each wait */
#define MC_HTTP_HEAD_MAX    16384
#define MC_HTTP_BODY_MAX    (1024 * 1024)

#define MC_STR2(x)          #x
#define MC_STR(x)           MC_STR2(x)


struct mc_https_s {
    CURL               *curl;
    int                 global;         /* curl_global_init done */

    /* the proxy, as messages show it (no credentials), and whence */
    char                proxy[300];
    char                proxy_host[256];
    long                proxy_port;
    int                 proxy_user;     /* credentials in its URL */
    const char         *proxy_from;

    /* this request's answer */
    int                 sent;
    size_t              head;
    char               *buf;
    size_t              have;
    size_t              cap;
    int                 too_long;

    char                errbuf[CURL_ERROR_SIZE];
};


static const char *mc_proxy_env(const char **from);
static void mc_curl_free(void *p);
static void *mc_curl_malloc(size_t n);
static void *mc_curl_realloc(void *p, size_t n);
static char *mc_curl_strdup(const char *s);
static void *mc_curl_calloc(size_t n, size_t m);
static int mc_https_cacert(const char *file, char *err, size_t size);
static int mc_https_fail(mc_https_t *h, const mc_url_t *u, CURLcode rc,
    char *err, size_t size);
static int mc_https_hdr(struct curl_slist **l, const char *head,
    const char *value);
static size_t mc_https_body(char *data, size_t n, size_t m, void *arg);
static size_t mc_https_header(char *data, size_t n, size_t m, void *arg);
static int mc_https_prereq(void *arg, char *conn_ip, char *local_ip,
    int conn_port, int local_port);
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


/*
 * A proxy's URL as libcurl takes it ([SCHEME://][USER:PASSWORD@]HOST
 * [:PORT], http:// when no scheme); shown: the same without credentials,
 * with the port libcurl uses when none is given.  NULL shown: only check.
 */
int
mc_proxy_parse(const char *s, char *shown, size_t len, char *err,
    size_t size)
{
    int         rc;
    long        port;
    size_t      i, n;
    CURLU      *cu;
    char       *scheme, *host, *p, *user;

    static const char *const  schemes[] = {
        "http", "https", "socks4", "socks4a", "socks5", "socks5h"
    };

    cu = curl_url();
    if (cu == NULL) {
        snprintf(err, size, "out of memory");
        return -1;
    }

    scheme = host = p = user = NULL;
    rc = -1;

    if (curl_url_set(cu, CURLUPART_URL, s,
                     CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME)
        != CURLUE_OK
        || curl_url_get(cu, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || curl_url_get(cu, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    {
        /* not shown: it may hold a password */
        snprintf(err, size, "not a proxy's URL, [http://][USER:PASSWORD@]"
                 "HOST:PORT");
        goto done;
    }

    /* libcurl's guess too: "ftp.example:3128" is ftp://, refused */
    n = sizeof(schemes) / sizeof(schemes[0]);

    for (i = 0; i < n && strcmp(scheme, schemes[i]) != 0; i++) {
        /* void */
    }

    if (i == n) {
        snprintf(err, size, "a proxy is http://, https://, socks4://, "
                 "socks4a://, socks5:// or socks5h://, not %s://", scheme);
        goto done;
    }

    /* libcurl's defaults for a proxy: 1080, 443 for an https one */
    port = strcmp(scheme, "https") == 0 ? 443 : 1080;

    if (curl_url_get(cu, CURLUPART_PORT, &p, 0) == CURLUE_OK) {
        port = strtol(p, NULL, 10);
    }

    if (shown != NULL) {
        snprintf(shown, len, "%s://%s:%ld", scheme, host, port);
    }

    rc = (curl_url_get(cu, CURLUPART_USER, &user, 0) == CURLUE_OK);

done:

    curl_free(scheme);
    curl_free(host);
    curl_free(p);
    curl_free(user);
    curl_url_cleanup(cu);

    return rc;
}


/* the proxy libcurl takes from the environment for https://, and whence */
static const char *
mc_proxy_env(const char **from)
{
    size_t       i;
    const char  *env;

    /* libcurl's order: the lower case name first */
    static const char *const  vars[] = {
        "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"
    };

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        env = getenv(vars[i]);

        if (env != NULL && *env != '\0') {
            *from = vars[i];
            return env;
        }
    }

    return NULL;
}


mc_https_t *
mc_https_new(const char *cacert, const char *proxy, const char *proxy_from,
    int *usage, char *err, size_t size)
{
    int          ok;
    char        *p, *q;
    CURL        *c;
    mc_https_t  *h;
    const char  *env;

    *usage = 0;

    h = calloc(1, sizeof(mc_https_t));
    if (h == NULL) {
        snprintf(err, size, "out of memory");
        return NULL;
    }

    /* libcurl's copies of the request (the token, the password) and of
       the answer are wiped when it frees them, as ours are */
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, mc_curl_malloc,
                             mc_curl_free, mc_curl_realloc, mc_curl_strdup,
                             mc_curl_calloc)
        != CURLE_OK)
    {
        snprintf(err, size, "libcurl cannot start");
        free(h);
        return NULL;
    }

    h->global = 1;

    /* a CA file that cannot be read fails now, not at every attempt */
    if (cacert != NULL && mc_https_cacert(cacert, err, size) != 0) {
        *usage = 1;
        mc_https_free(h);
        return NULL;
    }

    /* libcurl reads the environment itself; this only names it */
    h->proxy_from = proxy_from;
    env = proxy ? proxy : mc_proxy_env(&h->proxy_from);

    /* one libcurl could not use is the user's to mend, said now */
    if (env != NULL) {
        h->proxy_user = mc_proxy_parse(env, h->proxy, sizeof(h->proxy),
                                       h->errbuf, sizeof(h->errbuf));
        if (h->proxy_user == -1) {
            snprintf(err, size, "%s: %s", h->proxy_from, h->errbuf);
            *usage = 1;
            mc_https_free(h);
            return NULL;
        }

        /* the host and port, to tell its failures from the server's */
        p = strstr(h->proxy, "://");
        q = strrchr(h->proxy, ':');

        if (p != NULL && q != NULL && q > p + 3
            && (size_t) (q - p - 3) < sizeof(h->proxy_host))
        {
            memcpy(h->proxy_host, p + 3, q - p - 3);
            h->proxy_port = strtol(q + 1, NULL, 10);
        }
    }

    c = curl_easy_init();
    if (c == NULL) {
        snprintf(err, size, "libcurl cannot start");
        mc_https_free(h);
        return NULL;
    }

    h->curl = c;

    ok = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK

         /* https only, HTTP/1.1, never a redirect */
         && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
                             (long) CURL_HTTP_VERSION_1_1) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L) == CURLE_OK

         /* without a verified peer TLS keeps out only the passive
            listener; the host checked against the SANs (an address
            against the IP SANs), SNI only for names */
         && curl_easy_setopt(c, CURLOPT_SSLVERSION,
                             (long) CURL_SSLVERSION_TLSv1_2) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK

         /* a CA, not any certificate of a chain, is a trust anchor */
         && curl_easy_setopt(c, CURLOPT_SSL_OPTIONS,
                             (long) CURLSSLOPT_NO_PARTIALCHAIN) == CURLE_OK

         /* one connection a request, as the retries assume */
         && curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L) == CURLE_OK

         /* 10 s to connect (through the proxy and TLS too), then at most
            10 s without a byte */
         && curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                             (long) MC_HTTP_TIMEOUT) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                             (long) MC_HTTP_TIMEOUT) == CURLE_OK

         && curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                             (curl_off_t) MC_HTTP_BODY_MAX) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_USERAGENT,
                             "madoctl/" MC_VERSION) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mc_https_body)
            == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_WRITEDATA, h) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, mc_https_header)
            == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_HEADERDATA, h) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, mc_https_prereq)
            == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_PREREQDATA, h) == CURLE_OK

         /* through an http:// proxy always a tunnel; its answer to the
            CONNECT is not the server's */
         && curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L) == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L)
            == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_PROXYAUTH, (long) CURLAUTH_ANY)
            == CURLE_OK
         && curl_easy_setopt(c, CURLOPT_PROXY_SSLVERSION,
                             (long) CURL_SSLVERSION_TLSv1_2) == CURLE_OK;

    /* --cacert: that file only, not the system's directory beside it */
    if (ok && cacert != NULL) {
        ok = curl_easy_setopt(c, CURLOPT_CAINFO, cacert) == CURLE_OK
             && curl_easy_setopt(c, CURLOPT_CAPATH, NULL) == CURLE_OK;
    }

    /* no proxy given: libcurl's https_proxy, all_proxy and no_proxy */
    if (ok && proxy != NULL) {
        ok = curl_easy_setopt(c, CURLOPT_PROXY, proxy) == CURLE_OK;
    }

    if (!ok) {
        snprintf(err, size, "libcurl %s lacks what madoctl needs (HTTPS, "
                 "TLS 1.2)", curl_version_info(CURLVERSION_NOW)->version);
        mc_https_free(h);
        return NULL;
    }

    return h;
}


void
mc_https_free(mc_https_t *h)
{
    if (h != NULL) {
        if (h->curl != NULL) {
            curl_easy_cleanup(h->curl);
        }

        if (h->global) {
            curl_global_cleanup();
        }

        free(h->buf);
        free(h);
    }
}


void
mc_http_res_free(mc_http_res_t *res)
{
    free(res->buf);
    memset(res, 0, sizeof(mc_http_res_t));
}


/*
 * POST u's base + path with body, on a new connection; the token and the
 * Idempotency-Key as headers when not NULL.  res->buf is malloc()ed, the
 * body NUL-terminated, when MC_HTTP_OK.
 */
int
mc_https_post(mc_https_t *h, const mc_url_t *u, const char *path,
    const char *token, const char *idem, const char *body, size_t blen,
    mc_http_res_t *res, char *err, size_t size)
{
    int                 rc;
    long                status;
    char                url[1024];
    CURL               *c;
    CURLcode            crc;
    curl_off_t          retry;
    struct curl_slist  *hdrs, *l;

    memset(res, 0, sizeof(mc_http_res_t));
    c = h->curl;

    if ((size_t) snprintf(url, sizeof(url), "https://%s%s%s", u->authority,
                          u->base, path) >= sizeof(url))
    {
        snprintf(err, size, "%s: the URL is too long", u->origin);
        return MC_HTTP_FAILED;
    }

    /* "Expect:" off: the body goes with the head, as it is small */
    hdrs = NULL;
    rc = MC_HTTP_FAILED;

    if (mc_https_hdr(&hdrs, "Accept: application/json", "") != 0
        || mc_https_hdr(&hdrs, "Content-Type: application/json", "") != 0
        || mc_https_hdr(&hdrs, "Expect:", "") != 0
        || mc_https_hdr(&hdrs, "Connection: close", "") != 0
        || (token != NULL && token[0] != '\0'
            && mc_https_hdr(&hdrs, "Authorization: Bearer ", token) != 0)
        || (idem != NULL && mc_https_hdr(&hdrs, "Idempotency-Key: ", idem) != 0))
    {
        snprintf(err, size, "out of memory");
        goto out;
    }

    h->sent = 0;
    h->head = 0;
    h->have = 0;
    h->too_long = 0;
    h->errbuf[0] = '\0';

    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                            (curl_off_t) blen) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK)
    {
        snprintf(err, size, "%s: libcurl refused the request", u->origin);
        goto out;
    }

    crc = curl_easy_perform(c);

    if (crc != CURLE_OK || h->too_long) {
        rc = mc_https_fail(h, u, crc, err, size);
        goto out;
    }

    /* the body, NUL-terminated, owned by res from here */
    if (h->buf == NULL) {
        h->buf = malloc(1);
        if (h->buf == NULL) {
            snprintf(err, size, "out of memory");
            goto out;
        }
    }

    h->buf[h->have] = '\0';

    status = 0;
    retry = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry);

    res->status = (int) status;
    res->retry_after = retry > 0 ? (int64_t) retry : -1;
    res->buf = h->buf;
    res->body = h->buf;
    res->len = h->have;

    h->buf = NULL;
    h->cap = 0;
    h->have = 0;
    rc = MC_HTTP_OK;

out:

    /* the headers hold the token; a failed answer may hold anything */
    for (l = hdrs; l != NULL; l = l->next) {
        OPENSSL_cleanse(l->data, strlen(l->data));
    }

    curl_slist_free_all(hdrs);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);

    if (h->buf != NULL) {
        OPENSSL_cleanse(h->buf, h->have);
    }

    return rc;
}


/* a failed request: its class (MC_HTTP_*) and what to say */
static int
mc_https_fail(mc_https_t *h, const mc_url_t *u, CURLcode rc, char *err,
    size_t size)
{
    int          proxy;
    long         verify, pverify, connect, oserr;
    char         at[300];
    const char  *why;
    unsigned char addr[16];

    verify = pverify = connect = oserr = 0;
    curl_easy_getinfo(h->curl, CURLINFO_SSL_VERIFYRESULT, &verify);
    curl_easy_getinfo(h->curl, CURLINFO_PROXY_SSL_VERIFYRESULT, &pverify);
    curl_easy_getinfo(h->curl, CURLINFO_HTTP_CONNECTCODE, &connect);
    curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &oserr);

    /* libcurl's words may quote a URL, with a proxy's password */
    if (strchr(h->errbuf, '@') != NULL) {
        h->errbuf[0] = '\0';
    }

    why = oserr ? strerror((int) oserr)
          : h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);

    if (h->too_long || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(err, size, "%s: the answer is too long", u->origin);
        return MC_HTTP_FAILED;
    }

    /* an https:// proxy's TLS comes before its answer to the CONNECT */
    if (rc == CURLE_PEER_FAILED_VERIFICATION
        && (pverify != X509_V_OK
            || (connect == 0 && strncmp(h->proxy, "https:", 6) == 0)))
    {
        snprintf(err, size, "%s: the proxy %s (%s): its certificate is not "
                 "trusted: %s", u->origin, h->proxy, h->proxy_from,
                 pverify != X509_V_OK ? X509_verify_cert_error_string(pverify)
                                      : h->errbuf);
        return MC_HTTP_UNTRUSTED;
    }

    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
        /* libcurl checks the name after OpenSSL's chain, and marks a
           mismatch "unspecified" */
        if (verify != X509_V_OK && verify != X509_V_ERR_UNSPECIFIED
            && verify != X509_V_ERR_HOSTNAME_MISMATCH
            && verify != X509_V_ERR_IP_ADDRESS_MISMATCH)
        {
            snprintf(err, size, "%s: the server's certificate is not "
                     "trusted: %s%s", u->origin,
                     X509_verify_cert_error_string(verify),
                     (verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                      || verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
                      || verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
                     ? " (a private CA? give its certificate with --cacert "
                       "FILE)" : "");

        } else {
            /* the chain verified, not the name */
            snprintf(err, size, "%s: the server's certificate is not "
                     "trusted: %s (it is not for %s)", u->origin,
                     inet_pton(AF_INET, u->host, addr) == 1
                     || inet_pton(AF_INET6, u->host, addr) == 1
                     ? "IP address mismatch" : "hostname mismatch", u->host);
        }

        return MC_HTTP_UNTRUSTED;
    }

    if (h->sent) {
        switch (rc) {

        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_BAD_CONTENT_ENCODING:
            snprintf(err, size, "%s: not an HTTP answer (%s)", u->origin,
                     h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
            return MC_HTTP_FAILED;

        case CURLE_OPERATION_TIMEDOUT:
            snprintf(err, size, "%s: no answer within "
                     MC_STR(MC_HTTP_TIMEOUT) " seconds", u->origin);
            break;

        case CURLE_GOT_NOTHING:
            snprintf(err, size, "%s: the connection closed without an "
                     "answer", u->origin);
            break;

        case CURLE_PARTIAL_FILE:
            snprintf(err, size, "%s: the connection closed in the middle "
                     "of the answer", u->origin);
            break;

        default:
            snprintf(err, size, "%s: the connection failed: %s", u->origin,
                     why);
        }

        /* it left: the server may have acted on it */
        return MC_HTTP_LOST;
    }

    /* the proxy answered the CONNECT, but not with a tunnel */
    if (connect != 0 && connect / 100 != 2) {
        if (connect >= 500) {
            snprintf(err, size, "%s: the proxy %s (%s) could not reach "
                     "the server (HTTP %ld)", u->origin, h->proxy,
                     h->proxy_from, connect);
            return MC_HTTP_UNSENT;
        }

        if (connect == 407) {
            snprintf(err, size, "%s: the proxy %s (%s) %s (HTTP 407)",
                     u->origin, h->proxy, h->proxy_from,
                     h->proxy_user ? "refused the user and password of its "
                                     "URL"
                                   : "asks for a user and password: give "
                                     "them in its URL, http://USER:PASSWORD"
                                     "@HOST:PORT");
            return MC_HTTP_FAILED;
        }

        snprintf(err, size, "%s: the proxy %s (%s) refused the tunnel to "
                 "%s (HTTP %ld): its rules may not allow this server",
                 u->origin, h->proxy, h->proxy_from, u->authority, connect);
        return MC_HTTP_FAILED;
    }

    switch (rc) {

    /* what no retry mends: madoctl's or libcurl's setup, a bad proxy */
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_FUNCTION_NOT_FOUND:
        snprintf(err, size, "%s: %s", u->origin,
                 h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
        return MC_HTTP_FAILED;

    case CURLE_COULDNT_RESOLVE_PROXY:
        snprintf(err, size, "%s: the proxy %s (%s): no such host",
                 u->origin, h->proxy, h->proxy_from);
        return MC_HTTP_UNSENT;

    default:
        break;
    }

    /* libcurl names the host it could not connect to: the proxy's? */
    proxy = 0;

    if (h->proxy_host[0] != '\0') {
        snprintf(at, sizeof(at), " to %s port %ld ", h->proxy_host,
                 h->proxy_port);
        proxy = strstr(h->errbuf, at) != NULL;
    }

    if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, size, "%s: no connection within "
                 MC_STR(MC_HTTP_TIMEOUT) " seconds%s%s%s%s%s", u->origin,
                 h->proxy[0] ? " (the proxy " : "", h->proxy,
                 h->proxy[0] ? ", " : "", h->proxy[0] ? h->proxy_from : "",
                 h->proxy[0] ? ")" : "");

    } else if (proxy) {
        snprintf(err, size, "%s: cannot connect to the proxy %s (%s): %s",
                 u->origin, h->proxy, h->proxy_from, why);

    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
    {
        snprintf(err, size, "%s: cannot connect: %s", u->origin,
                 rc == CURLE_COULDNT_RESOLVE_HOST ? "no such host" : why);

    } else {
        /* a reset or a timeout in the handshake: nothing was asked yet */
        snprintf(err, size, "%s: TLS handshake: %s", u->origin,
                 h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
    }

    return MC_HTTP_UNSENT;
}


/* the header head + value appended to l ("Name:" alone: none) */
static int
mc_https_hdr(struct curl_slist **l, const char *head, const char *value)
{
    char                line[256];
    struct curl_slist  *n;

    snprintf(line, sizeof(line), "%s%s", head, value);

    n = curl_slist_append(*l, line);
    OPENSSL_cleanse(line, sizeof(line));

    if (n == NULL) {
        return -1;
    }

    *l = n;

    return 0;
}


/* the body, within MC_HTTP_BODY_MAX (a byte more for the NUL) */
static size_t
mc_https_body(char *data, size_t n, size_t m, void *arg)
{
    char        *nbuf;
    size_t       len, cap;
    mc_https_t  *h = arg;

    len = n * m;

    if (len > MC_HTTP_BODY_MAX - h->have) {
        h->too_long = 1;
        return 0;
    }

    if (h->have + len + 1 > h->cap) {
        cap = h->cap ? h->cap : 8192;

        while (cap < h->have + len + 1) {
            cap *= 2;
        }

        /* the login's answer holds the token: no copy left behind */
        nbuf = mc_curl_realloc(h->buf, cap);
        if (nbuf == NULL) {
            return 0;
        }

        h->buf = nbuf;
        h->cap = cap;
    }

    memcpy(h->buf + h->have, data, len);
    h->have += len;

    return len;
}


/* only counted: the status and Retry-After come from libcurl */
static size_t
mc_https_header(char *data, size_t n, size_t m, void *arg)
{
    mc_https_t  *h = arg;

    (void) data;

    h->head += n * m;

    if (h->head > MC_HTTP_HEAD_MAX) {
        h->too_long = 1;
        return 0;
    }

    return n * m;
}


/* connected (through the proxy, TLS verified): the request leaves now */
static int
mc_https_prereq(void *arg, char *conn_ip, char *local_ip, int conn_port,
    int local_port)
{
    mc_https_t  *h = arg;

    (void) conn_ip;
    (void) local_ip;
    (void) conn_port;
    (void) local_port;

    h->sent = 1;

    return CURL_PREREQFUNC_OK;
}


/* libcurl's allocator: glibc's, each block wiped before it is freed */
static void
mc_curl_free(void *p)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}


static void *
mc_curl_malloc(size_t n)
{
    return malloc(n);
}


/* never in place: the old block is wiped, not left behind */
static void *
mc_curl_realloc(void *p, size_t n)
{
    void    *q;
    size_t   old;

    if (p == NULL) {
        return malloc(n);
    }

    q = malloc(n ? n : 1);
    if (q == NULL) {
        return NULL;
    }

    old = malloc_usable_size(p);
    memcpy(q, p, old < n ? old : n);
    mc_curl_free(p);

    return q;
}


static char *
mc_curl_strdup(const char *s)
{
    return strdup(s);
}


static void *
mc_curl_calloc(size_t n, size_t m)
{
    return calloc(n, m);
}


/* the CA file as OpenSSL (in libcurl) will read it */
static int
mc_https_cacert(const char *file, char *err, size_t size)
{
    int          ok;
    X509_STORE  *st;

    ERR_clear_error();
    errno = 0;

    st = X509_STORE_new();
    ok = (st != NULL && X509_STORE_load_file(st, file) == 1);

    if (!ok) {
        mc_http_tls_error(file, err, size);
    }

    X509_STORE_free(st);

    return ok ? 0 : -1;
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
