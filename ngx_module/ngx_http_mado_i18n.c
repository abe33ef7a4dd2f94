
/*
 * mado: message catalogs and the choice of language.
 *
 * Catalogs are JSON files of "key": "text", one per language, read at
 * configuration time so the city can edit texts without recompiling; a key
 * a catalog lacks falls back to Japanese and is reported (nginx -t shows
 * it).  A request's language comes from ?lang=, then the mado_lang cookie,
 * then Accept-Language, else Japanese.
 */


#include "ngx_http_mado_module.h"

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>


static const char *const  ngx_http_mado_msg_keys[NGX_HTTP_MADO_NMSG] = {
#define NGX_HTTP_MADO_MSG_KEY(name, key)  key,
    NGX_HTTP_MADO_MESSAGES(NGX_HTTP_MADO_MSG_KEY)
#undef NGX_HTTP_MADO_MSG_KEY
};


static ngx_str_t  ngx_http_mado_cookie_name = ngx_string("mado_lang");


static ngx_int_t ngx_http_mado_catalog_load(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf, mado_lang_e lang);
static ngx_int_t ngx_http_mado_catalog_json(ngx_conf_t *cf,
    ngx_http_mado_main_conf_t *mmcf, mado_lang_e lang);
static ngx_int_t ngx_http_mado_accept_language(ngx_http_request_t *r);
static ngx_int_t ngx_http_mado_set_cookie(ngx_http_request_t *r,
    mado_lang_e lang);


char *
ngx_http_mado_messages_load(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf)
{
    ngx_uint_t  l, k;

    /* Japanese first: it is what every other catalog falls back to */
    for (l = 0; l < MADO_NLANG; l++) {
        if (ngx_http_mado_catalog_load(cf, mmcf, l) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    for (l = 0; l < MADO_NLANG; l++) {
        for (k = 0; k < NGX_HTTP_MADO_NMSG; k++) {
            if (mmcf->catalog[l][k].data != NULL) {
                continue;
            }

            if (l == MADO_LANG_JA) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "mado_messages: \"ja\" lacks \"%s\"; "
                                   "the Japanese catalog must be complete",
                                   ngx_http_mado_msg_keys[k]);
                return NGX_CONF_ERROR;
            }

            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "mado_messages: \"%s\" lacks \"%s\", "
                               "the Japanese text is used",
                               mado_lang_codes[l], ngx_http_mado_msg_keys[k]);

            mmcf->catalog[l][k] = mmcf->catalog[MADO_LANG_JA][k];
        }

        if (ngx_http_mado_catalog_json(cf, mmcf, l) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mado_catalog_load(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf,
    mado_lang_e lang)
{
    ngx_int_t      rc;
    ngx_str_t      path, text;
    ngx_uint_t     i, k;
    yajl_val       root, v;
    mado_err_t     why;

    mmcf->catalog[lang] = ngx_pcalloc(cf->pool,
                                      NGX_HTTP_MADO_NMSG * sizeof(ngx_str_t));
    if (mmcf->catalog[lang] == NULL) {
        return NGX_ERROR;
    }

    path.len = mmcf->messages.len + 1 + ngx_strlen(mado_lang_codes[lang])
               + sizeof(".json") - 1;
    path.data = ngx_pnalloc(cf->pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(path.data, "%V/%s.json%Z", &mmcf->messages,
                mado_lang_codes[lang]);

    rc = ngx_http_mado_conf_read(cf, "mado_messages", &path, 1024 * 1024,
                                 &text);

    if (rc == NGX_DECLINED && lang != MADO_LANG_JA) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, ngx_errno,
                           "mado_messages: cannot open \"%V\", "
                           "Japanese texts are used", &path);
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "mado_messages: cannot open \"%V\"", &path);
        }

        return NGX_ERROR;
    }
    why.text[0] = '\0';

    root = mado_json_parse((char *) text.data, text.len, MADO_JSON_DEPTH,
                           &why);

    if (root == NULL || !YAJL_IS_OBJECT(root)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mado_messages: \"%V\" is not a JSON object of "
                           "texts%s%s", &path, root ? "" : ": ", why.text);
        yajl_tree_free(root);
        return NGX_ERROR;
    }

    for (i = 0; i < root->u.object.len; i++) {
        v = root->u.object.values[i];

        for (k = 0; k < NGX_HTTP_MADO_NMSG; k++) {
            if (ngx_strcmp(ngx_http_mado_msg_keys[k], root->u.object.keys[i])
                == 0)
            {
                break;
            }
        }

        if (k == NGX_HTTP_MADO_NMSG) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "mado_messages: \"%V\": unknown key \"%s\" "
                               "is ignored", &path, root->u.object.keys[i]);
            continue;
        }

        if (!YAJL_IS_STRING(v)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "mado_messages: \"%V\": \"%s\" must be a "
                               "string", &path, root->u.object.keys[i]);
            yajl_tree_free(root);
            return NGX_ERROR;
        }

        mmcf->catalog[lang][k].len = ngx_strlen(v->u.string);
        mmcf->catalog[lang][k].data = ngx_pstrdup(cf->pool,
                                                  &(ngx_str_t) {
                                                      ngx_strlen(v->u.string),
                                                      (u_char *) v->u.string
                                                  });
        if (mmcf->catalog[lang][k].data == NULL) {
            yajl_tree_free(root);
            return NGX_ERROR;
        }
    }

    yajl_tree_free(root);

    return NGX_OK;
}


/* the whole catalog once more as JSON, for the page's script */
static ngx_int_t
ngx_http_mado_catalog_json(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf,
    mado_lang_e lang)
{
    u_char               *p;
    size_t                len, i;
    ngx_uint_t            k;
    yajl_gen              g;
    const unsigned char  *buf;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NGX_ERROR;
    }

    yajl_gen_map_open(g);

    for (k = 0; k < NGX_HTTP_MADO_NMSG; k++) {
        yajl_gen_string(g, (const unsigned char *) ngx_http_mado_msg_keys[k],
                        ngx_strlen(ngx_http_mado_msg_keys[k]));
        yajl_gen_string(g, mmcf->catalog[lang][k].data,
                        mmcf->catalog[lang][k].len);
    }

    yajl_gen_map_close(g);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return NGX_ERROR;
    }

    /* inside <script>, "</" must not appear: escape every "<" */
    p = ngx_pnalloc(cf->pool, len * 6);
    if (p == NULL) {
        yajl_gen_free(g);
        return NGX_ERROR;
    }

    mmcf->i18n_json[lang].data = p;

    for (i = 0; i < len; i++) {
        if (buf[i] == '<') {
            p = ngx_cpymem(p, "\\u003c", 6);

        } else {
            *p++ = buf[i];
        }
    }

    mmcf->i18n_json[lang].len = p - mmcf->i18n_json[lang].data;

    yajl_gen_free(g);

    return NGX_OK;
}


const char *
ngx_http_mado_lang_tag(mado_lang_e lang)
{
    return mado_lang_tags[lang];
}


mado_lang_e
ngx_http_mado_lang(ngx_http_request_t *r, ngx_uint_t *explicit)
{
    ngx_int_t  lang;
    ngx_str_t  value;

    *explicit = 0;

    if (ngx_http_arg(r, (u_char *) "lang", 4, &value) == NGX_OK) {
        lang = mado_lang_code((char *) value.data, value.len);

        if (lang >= 0) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "mado i18n: the language of ?lang=");

            *explicit = 1;

            if (ngx_http_mado_set_cookie(r, lang) != NGX_OK) {
                return MADO_LANG_JA;
            }

            return lang;
        }
    }

    if (ngx_http_mado_cookie(r, &ngx_http_mado_cookie_name, &value) == NGX_OK)
    {
        lang = mado_lang_code((char *) value.data, value.len);

        if (lang >= 0) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "mado i18n: the language of the cookie");
            return lang;
        }
    }

    lang = ngx_http_mado_accept_language(r);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado i18n: the language of %s",
                   lang >= 0 ? "Accept-Language" : "no choice: Japanese");

    return lang >= 0 ? lang : MADO_LANG_JA;
}


/* the library reads the header: it is fuzzed there */
static ngx_int_t
ngx_http_mado_accept_language(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    static ngx_str_t  name = ngx_string("Accept-Language");

    h = ngx_http_mado_header(r, &name, NULL);
    if (h == NULL) {
        return -1;
    }

    return mado_lang_accept((char *) h->value.data, h->value.len);
}


static ngx_int_t
ngx_http_mado_set_cookie(ngx_http_request_t *r, mado_lang_e lang)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("mado_lang=; Path=/; Max-Age=31536000; "
                                    "SameSite=Lax; Secure") + 16);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    /* a preference, not an identifier: nothing about the citizen is kept */
    p = ngx_sprintf(p, "mado_lang=%s; Path=/; Max-Age=31536000; SameSite=Lax",
                    mado_lang_codes[lang]);

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }
#endif

    h->value.len = p - h->value.data;

    return NGX_OK;
}
