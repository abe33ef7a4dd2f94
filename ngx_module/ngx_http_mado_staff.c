
/*
 * mado: the counter staff panel, one Japanese page for a counter tablet.
 *
 *     location /staff/ { mado_staff /api/v1/admin/; }
 *
 *     /staff/                         the page (rendered once, at merge)
 *     /staff/assets/staff.HASH.css    its assets, cached for a year
 *     /staff/assets/staff.HASH.js
 *     /staff/icon.svg                 its icon (a data: URL is refused by
 *                                     the page's own img-src 'self')
 *
 * The page is the same for everyone and holds no figures and no secret:
 * its script logs in to the update API (cookie session, CSRF token kept
 * in memory only) and reads the figures from the public API, so that
 * staff see exactly what citizens see.  The page's texts are Japanese
 * only; the citizen catalog (ja) is embedded for the figures' wording.
 */


#include "ngx_http_mado_module.h"


static ngx_int_t ngx_http_mado_staff_asset(ngx_http_request_t *r,
    ngx_http_mado_asset_t *a, ngx_str_t *name);
static ngx_int_t ngx_http_mado_staff_headers(ngx_http_request_t *r,
    ngx_uint_t page);


static ngx_str_t  ngx_http_mado_staff_html_type =
    ngx_string("text/html; charset=utf-8");
static ngx_str_t  ngx_http_mado_staff_no_store = ngx_string("no-store");
static ngx_str_t  ngx_http_mado_staff_immutable =
    ngx_string("public, max-age=31536000, immutable");
static ngx_str_t  ngx_http_mado_staff_svg_type = ngx_string("image/svg+xml");
static ngx_str_t  ngx_http_mado_staff_day = ngx_string("public, max-age=86400");

/* a counter window: the browser would otherwise ask for /favicon.ico */
static u_char  ngx_http_mado_staff_svg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
    "<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#0b3d6e\"/>"
    "<rect x=\"3\" y=\"4\" width=\"10\" height=\"6\" fill=\"#fff\"/>"
    "<rect x=\"2\" y=\"11\" width=\"12\" height=\"2\" fill=\"#fff\"/>"
    "</svg>\n";


/* the script and styles are files of our own origin: nothing inline runs */
static ngx_str_t  ngx_http_mado_staff_csp = ngx_string(
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'");


ngx_int_t
ngx_http_mado_staff_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                   rest;
    ngx_http_mado_loc_conf_t   *mlcf;
    ngx_http_mado_main_conf_t  *mmcf;

    rc = ngx_http_mado_read_only(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mado_module);
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mado_module);

    if (mlcf->staff_page == NULL
        || r->uri.len < mlcf->name.len
        || ngx_strncmp(r->uri.data, mlcf->name.data,
                       mlcf->name.len) != 0)
    {
        return NGX_HTTP_NOT_FOUND;
    }

    rest.data = r->uri.data + mlcf->name.len;
    rest.len = r->uri.len - mlcf->name.len;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mado staff: \"%V\" below the panel", &rest);

    if (rest.len == 0) {
        if (ngx_http_mado_staff_headers(r, 1) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_send_doc(r, NULL, mlcf->staff_page,
                                      &ngx_http_mado_staff_html_type,
                                      &ngx_http_mado_staff_no_store,
                                      NGX_HTTP_MADO_SEND_GZIP);
    }

    if (rest.len == sizeof("icon.svg") - 1
        && ngx_strncmp(rest.data, "icon.svg", sizeof("icon.svg") - 1) == 0)
    {
        if (ngx_http_mado_staff_headers(r, 0) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mado_send_doc(r, NULL, mlcf->staff_icon,
                                      &ngx_http_mado_staff_svg_type,
                                      &ngx_http_mado_staff_day,
                                      NGX_HTTP_MADO_SEND_GZIP);
    }

    if (rest.len > sizeof("assets/") - 1
        && ngx_strncmp(rest.data, "assets/", sizeof("assets/") - 1) == 0)
    {
        rest.data += sizeof("assets/") - 1;
        rest.len -= sizeof("assets/") - 1;

        rc = ngx_http_mado_staff_asset(r, &mmcf->staff_css, &rest);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_mado_staff_asset(r, &mmcf->staff_js, &rest);
        }

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    /* an old hash after an update, too: a 404, never stale content */
    return NGX_HTTP_NOT_FOUND;
}


/* NGX_DECLINED when name is not this asset's hashed file name */
static ngx_int_t
ngx_http_mado_staff_asset(ngx_http_request_t *r, ngx_http_mado_asset_t *a,
    ngx_str_t *name)
{
    size_t  skip;

    skip = sizeof("/assets/") - 1;

    if (a->url.len <= skip || name->len != a->url.len - skip
        || ngx_memcmp(name->data, a->url.data + skip, name->len) != 0)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_mado_staff_headers(r, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mado_send_doc(r, NULL, &a->doc, &a->type,
                                  &ngx_http_mado_staff_immutable,
                                  NGX_HTTP_MADO_SEND_GZIP);
}


static ngx_int_t
ngx_http_mado_staff_headers(ngx_http_request_t *r, ngx_uint_t page)
{
    static ngx_str_t  csp = ngx_string("Content-Security-Policy");
    static ngx_str_t  xcto = ngx_string("X-Content-Type-Options");
    static ngx_str_t  nosniff = ngx_string("nosniff");
    static ngx_str_t  referrer = ngx_string("Referrer-Policy");
    static ngx_str_t  no_referrer = ngx_string("no-referrer");

    if (ngx_http_mado_add_header(r, &xcto, &nosniff) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!page) {
        return NGX_OK;
    }

    if (ngx_http_mado_add_header(r, &csp, &ngx_http_mado_staff_csp) != NGX_OK
        || ngx_http_mado_add_header(r, &referrer, &no_referrer) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The page, made once per location when its configuration is merged (the
 * catalogs and assets are loaded by then).  Everything that varies is
 * configuration: the paths of this location and of the update API, the
 * public address for the "citizen page" link, and the asset hashes.
 */

/*
 * Staff notices: a preset of the office's "notices", which citizens read
 * in their page's language (staff.js fills the choice from
 * /api/v1/offices/{id}/notices, labelled in Japanese)
 */
#define NGX_HTTP_MADO_STAFF_NOTICE_FORM                                       \
    "<form id=\"notice-form\" novalidate>"                                    \
    "<p class=\"field\"><label for=\"notice\">定型のお知らせ（各言語の訳で"  \
    "表示）</label><select id=\"notice\" aria-describedby=\"notice-help\">"   \
    "<option value=\"\">（表示しない）</option></select></p>"                 \
    "<p id=\"notice-help\" class=\"help\">市民向けページには、そのページの"   \
    "言語で表示されます。下の自由記入のお知らせは、他の言語のページでも"      \
    "日本語のまま（日本語であることを添えて）表示されます。</p>"              \
    "<p><button type=\"submit\" class=\"btn big\">定型のお知らせを送信"       \
    "</button></p></form>"


#define NGX_HTTP_MADO_STAFF_HEAD                                              \
    "<!DOCTYPE html>\n<html lang=\"ja\" data-page=\"staff\""

#define NGX_HTTP_MADO_STAFF_BODY                                              \
    "<meta name=\"viewport\" content=\"width=device-width, "                  \
    "initial-scale=1\">"                                                      \
    "<meta name=\"robots\" content=\"noindex\">"                              \
    "<title>窓口職員パネル | mado</title>"

#define NGX_HTTP_MADO_STAFF_MAIN                                              \
    "</head><body>"                                                           \
    "<a class=\"skip\" href=\"#main\">本文へ移動</a>"                         \
    "<header class=\"bar\"><h1>窓口職員パネル</h1>"                           \
    "<div id=\"who\" class=\"who\" hidden><p id=\"who-text\"></p>"            \
    "<button type=\"button\" id=\"logout\" class=\"btn\">ログアウト"          \
    "</button></div></header>"                                                \
    "<main id=\"main\" tabindex=\"-1\">"                                      \
    "<noscript><p class=\"notice\">この画面を使うには JavaScript を"          \
    "有効にしてください。</p></noscript>"                                     \
    "<div id=\"alert\" class=\"alert\" role=\"alert\"></div>"                 \
    "<p id=\"status\" class=\"status-line\" role=\"status\"></p>"             \
    "<p id=\"loading\" class=\"loading\">読み込み中…</p>"                     \
                                                                              \
    "<section id=\"login-view\" class=\"view\" "                              \
    "aria-labelledby=\"login-title\" hidden>"                                 \
    "<h2 id=\"login-title\" tabindex=\"-1\">ログイン</h2>"                    \
    "<form id=\"login-form\" class=\"login\" novalidate>"                     \
    "<p class=\"field\"><label for=\"login-user\">利用者ID</label>"           \
    "<input id=\"login-user\" name=\"username\" type=\"text\" "               \
    "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" " \
    "required maxlength=\"64\"></p>"                                          \
    "<p class=\"field\"><label for=\"login-password\">パスワード</label>"     \
    "<input id=\"login-password\" name=\"password\" type=\"password\" "       \
    "autocomplete=\"current-password\" required maxlength=\"256\"></p>"       \
    "<p><button type=\"submit\" class=\"btn big primary\">ログイン"           \
    "</button></p></form>"                                                    \
    "<p class=\"help\">30分間操作がないと、自動的にログアウトします。</p>"    \
    "</section>"                                                              \
                                                                              \
    "<section id=\"panel-view\" class=\"view\" "                              \
    "aria-labelledby=\"panel-title\" hidden>"                                 \
    "<h2 id=\"panel-title\" class=\"visually-hidden\" tabindex=\"-1\">"       \
    "窓口の操作</h2>"                                                         \
    "<form id=\"pick-form\" class=\"pick\">"                                  \
    "<p class=\"field\"><label for=\"pick-office\">区役所・支所</label>"      \
    "<select id=\"pick-office\"></select></p>"                                \
    "<p class=\"field\"><label for=\"pick-counter\">窓口</label>"             \
    "<select id=\"pick-counter\"></select></p></form>"                        \
                                                                              \
    "<section id=\"office-alerts\" class=\"office-alerts\" "                  \
    "aria-labelledby=\"alerts-title\" hidden>"                                \
    "<h3 id=\"alerts-title\">この区役所・支所のアラート</h3>"                 \
    "<ul id=\"alerts-list\" aria-live=\"polite\"></ul></section>"             \
                                                                              \
    "<div class=\"columns\">"                                                 \
    "<section class=\"now\" aria-labelledby=\"now-title\">"                   \
    "<h3 id=\"now-title\">市民向けの表示</h3>"                                \
    "<article class=\"counter\" id=\"figures\" data-status=\"\" "             \
    "data-level=\"unknown\" aria-labelledby=\"figures-name\">"                \
    "<h4 class=\"name\" id=\"figures-name\">—</h4>"                           \
    "<p class=\"status\"><span class=\"status-text\">—</span></p>"            \
    "<dl class=\"figures\">"                                                  \
    "<div><dt>呼出中の番号</dt><dd class=\"calling\">—</dd></div>"            \
    "<div><dt>お待ちの人数</dt><dd class=\"waiting\">—</dd></div>"            \
    "<div><dt>待ち時間の目安</dt><dd class=\"wait\">—</dd></div>"             \
    "<div><dt>混雑状況</dt><dd class=\"level\"><span class=\"level-text\">"   \
    "—</span></dd></div></dl>"                                                \
    "<p class=\"past-close\" hidden></p>"                                     \
    "<p class=\"jam\" hidden></p><p class=\"notice\" hidden></p>"             \
    "<p class=\"message\" hidden></p>"                                       \
    "<p class=\"updated\"><span class=\"stale-note\"></span>"                 \
    "<time></time><span class=\"updated-suffix\"></span></p></article>"       \
    "<p class=\"small\">約10秒ごと、および操作の直後に市民向けの表示を"       \
    "読み直します。<span id=\"checked\"></span></p>"                          \
    "<p class=\"small\"><a id=\"public-link\" href=\"#\" target=\"_blank\" "  \
    "rel=\"noopener\">市民向けページを開く（新しいタブ）</a></p>"             \
    "</section>"                                                              \
                                                                              \
    "<section class=\"ops\" aria-labelledby=\"ops-title\">"                   \
    "<h3 id=\"ops-title\">操作</h3>"                                          \
    "<div class=\"buttons\">"                                                 \
    "<button type=\"button\" id=\"btn-call\" class=\"btn big primary wide\" " \
    "aria-keyshortcuts=\"N\">次の方を呼ぶ</button>"                           \
    "<form id=\"call-form\" class=\"call-number wide\" novalidate>"           \
    "<label for=\"call-number\">呼ぶ番号</label>"                             \
    "<input id=\"call-number\" type=\"text\" inputmode=\"numeric\" "          \
    "pattern=\"[0-9]*\" maxlength=\"4\" autocomplete=\"off\">"                \
    "<button type=\"submit\" id=\"btn-call-number\" class=\"btn big\">"       \
    "番号を指定して呼ぶ</button></form>"                                      \
    "<button type=\"button\" id=\"btn-plus\" class=\"btn big\" "              \
    "aria-keyshortcuts=\"+\">待ち人数 +1</button>"                            \
    "<button type=\"button\" id=\"btn-minus\" class=\"btn big\" "             \
    "aria-keyshortcuts=\"-\">待ち人数 −1</button>"                            \
    "<button type=\"button\" id=\"btn-pause\" class=\"btn big\">"             \
    "一時停止</button>"                                                       \
    "<button type=\"button\" id=\"btn-end\" class=\"btn big\">"               \
    "受付終了</button>"                                                       \
    "<button type=\"button\" id=\"btn-open\" class=\"btn big\">"              \
    "再開</button></div>"                                                     \
    "<p id=\"why\" class=\"why\"></p>"                                        \
    "<ul class=\"help\">"                                                     \
    "<li>「待ち人数 +1」は番号札を1枚発行します（発券機を使わない場合）。"    \
    "</li><li>「待ち人数 −1」は、呼ぶ前にお帰りになった方の分だけ待ち人数を"  \
    "減らします（番号は変わりません）。</li>"                                 \
    "<li>「受付終了」の後も、お待ちの方は呼び出せます。</li></ul>"            \
    "</section></div>"                                                        \
                                                                              \
    "<section class=\"notice-edit\" aria-labelledby=\"msg-title\">"           \
    "<h3 id=\"msg-title\">お知らせ</h3>"                                      \
    NGX_HTTP_MADO_STAFF_NOTICE_FORM                                           \
    "<form id=\"message-form\" novalidate>"                                   \
    "<p class=\"field\"><label for=\"message\">市民向けページに表示する"      \
    "お知らせ</label>"                                                        \
    "<input id=\"message\" type=\"text\" autocomplete=\"off\" "               \
    "aria-describedby=\"message-help message-count\"></p>"                    \
    "<p id=\"message-help\" class=\"help\">1行、280バイト（全角で約93文字）"  \
    "まで。空にして送信すると、お知らせを消します。個人情報は書かないで"      \
    "ください。</p><p id=\"message-count\" class=\"help\"></p>"               \
    "<p><button type=\"submit\" class=\"btn big\">お知らせを送信</button>"    \
    "</p></form></section>"                                                   \
                                                                              \
    "<section class=\"keys\" aria-labelledby=\"keys-title\">"                 \
    "<h3 id=\"keys-title\">キーボード操作</h3>"                               \
    "<p>Tab キーで項目を移動し、Enter キーまたはスペースキーでボタンを"       \
    "押せます。</p>"                                                          \
    "<p class=\"check\"><input type=\"checkbox\" id=\"shortcuts\" checked>"   \
    "<label for=\"shortcuts\">1文字のショートカットを使う：<kbd>N</kbd> "     \
    "次の方を呼ぶ、<kbd>+</kbd> 待ち人数 +1、<kbd>-</kbd> 待ち人数 −1"        \
    "（入力欄にいるときは働きません）</label></p></section>"                  \
    "</section>"                                                              \
    "</main>"                                                                 \
    "<script type=\"application/json\" id=\"mado-i18n\">"

#define NGX_HTTP_MADO_STAFF_TAIL  "</script></body></html>\n"


ngx_int_t
ngx_http_mado_staff_page(ngx_conf_t *cf, ngx_http_mado_main_conf_t *mmcf,
    ngx_http_mado_loc_conf_t *mlcf)
{
    u_char               *buf, *p;
    size_t                len;
    ngx_str_t            *i18n;
    ngx_http_mado_doc_t  *doc;

    i18n = &mmcf->i18n_json[MADO_LANG_JA];

    /* the paths were checked by mado_staff: no escaping is needed */
    len = sizeof(NGX_HTTP_MADO_STAFF_HEAD) - 1
          + sizeof(" data-admin-api=\"\" data-public-api=\"/api/v1/offices\""
                   " data-public-url=\"\" data-refresh=\"10\"><head>"
                   "<meta charset=\"utf-8\">") - 1
          + mlcf->staff_api.len
          + mlcf->public_url.len * 6       /* escaped */
          + sizeof(NGX_HTTP_MADO_STAFF_BODY) - 1
          + sizeof("<link rel=\"icon\" href=\"icon.svg\">"
                   "<link rel=\"stylesheet\" href=\"\">"
                   "<script src=\"\" defer></script>") - 1
          + 3 * mlcf->name.len
          + mmcf->staff_css.url.len + mmcf->staff_js.url.len
          + sizeof(NGX_HTTP_MADO_STAFF_MAIN) - 1
          + i18n->len
          + sizeof(NGX_HTTP_MADO_STAFF_TAIL) - 1;

    buf = ngx_pnalloc(cf->temp_pool, len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(buf, NGX_HTTP_MADO_STAFF_HEAD,
                   sizeof(NGX_HTTP_MADO_STAFF_HEAD) - 1);
    p = ngx_sprintf(p, " data-admin-api=\"%V\" "
                    "data-public-api=\"/api/v1/offices\" data-public-url=\"",
                    &mlcf->staff_api);
    p = (u_char *) ngx_escape_html(p, mlcf->public_url.data,
                                   mlcf->public_url.len);
    p = ngx_cpymem(p, "\" data-refresh=\"10\"><head><meta charset=\"utf-8\">",
                   sizeof("\" data-refresh=\"10\"><head>"
                          "<meta charset=\"utf-8\">") - 1);
    p = ngx_cpymem(p, NGX_HTTP_MADO_STAFF_BODY,
                   sizeof(NGX_HTTP_MADO_STAFF_BODY) - 1);

    /* the asset URLs are "/assets/NAME": served below this location */
    p = ngx_sprintf(p, "<link rel=\"icon\" href=\"%Vicon.svg\">"
                    "<link rel=\"stylesheet\" href=\"%V%V\">"
                    "<script src=\"%V%V\" defer></script>",
                    &mlcf->name, &mlcf->name,
                    &(ngx_str_t) { mmcf->staff_css.url.len - 1,
                                   mmcf->staff_css.url.data + 1 },
                    &mlcf->name,
                    &(ngx_str_t) { mmcf->staff_js.url.len - 1,
                                   mmcf->staff_js.url.data + 1 });

    p = ngx_cpymem(p, NGX_HTTP_MADO_STAFF_MAIN,
                   sizeof(NGX_HTTP_MADO_STAFF_MAIN) - 1);

    /* escaped when the catalog was loaded: no "<" inside */
    p = ngx_cpymem(p, i18n->data, i18n->len);
    p = ngx_cpymem(p, NGX_HTTP_MADO_STAFF_TAIL,
                   sizeof(NGX_HTTP_MADO_STAFF_TAIL) - 1);

    doc = ngx_palloc(cf->pool, sizeof(ngx_http_mado_doc_t));
    if (doc == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_mado_doc_set(cf->pool, doc, buf, p - buf) != NGX_OK
        || ngx_http_mado_doc_gzip(cf->pool, doc, cf->log) != NGX_OK)
    {
        return NGX_ERROR;
    }

    mlcf->staff_page = doc;

    doc = ngx_palloc(cf->pool, sizeof(ngx_http_mado_doc_t));
    if (doc == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_mado_doc_set(cf->pool, doc, ngx_http_mado_staff_svg,
                              sizeof(ngx_http_mado_staff_svg) - 1)
        != NGX_OK
        || ngx_http_mado_doc_gzip(cf->pool, doc, cf->log) != NGX_OK)
    {
        return NGX_ERROR;
    }

    mlcf->staff_icon = doc;

    return NGX_OK;
}
