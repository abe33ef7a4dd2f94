
/*
 * mado: the keys of the message catalogs (conf.example/i18n/LANG.json).
 * The Japanese catalog must have every key; others fall back to it.
 */


#ifndef _NGX_HTTP_MADO_MESSAGES_H_INCLUDED_
#define _NGX_HTTP_MADO_MESSAGES_H_INCLUDED_


#define NGX_HTTP_MADO_MESSAGES(X)                                             \
    X(LANG_NAME,               "lang.name") \
    X(SITE_TITLE,              "site.title") \
    X(SITE_LEAD,               "site.lead") \
    X(INDEX_COL_OFFICE,        "index.col_office") \
    X(INDEX_COL_LONGEST,       "index.col_longest") \
    X(NAV_SKIP,                "nav.skip") \
    X(NAV_LANGUAGES,           "nav.languages") \
    X(NAV_ALL_OFFICES,         "nav.all_offices") \
    X(NAV_OFFICE_PAGE,         "nav.office_page") \
    X(NAV_SIGNAGE,             "nav.signage") \
    X(SIGNAGE_QR_CAPTION,      "signage.qr_caption") \
    X(SIGNAGE_QR_ALT,          "signage.qr_alt") \
    X(NAV_QR,                  "nav.qr") \
    X(PAGE_OFFICE_TITLE,       "page.office_title") \
    X(PAGE_SIGNAGE_TITLE,      "page.signage_title") \
    X(PAGE_NOT_FOUND_TITLE,    "page.not_found_title") \
    X(PAGE_NOT_FOUND_TEXT,     "page.not_found_text") \
    X(PAGE_UNAVAILABLE_TITLE,  "page.unavailable_title") \
    X(PAGE_UNAVAILABLE_TEXT,   "page.unavailable_text") \
    X(ASOF,                    "asof") \
    X(ASOF_DATETIME,           "asof.datetime") \
    X(DATE_WEEKDAYS,           "date.weekdays") \
    X(DATE_MONTHS,             "date.months") \
    X(REFRESH_FAILED,          "refresh.failed") \
    X(PEOPLE_ONE,              "people.one") \
    X(MYTICKET_AHEAD_ONE,      "myticket.ahead.one") \
    X(LEVEL_NOT_OPEN,          "level.not_open") \
    X(LIVE_STATUS,             "live.status") \
    X(TREND_WEEK_CAPTION,      "trend.week_caption") \
    X(UPDATED,                 "updated") \
    X(STATUS_OPEN,             "status.open") \
    X(STATUS_PAUSED,           "status.paused") \
    X(STATUS_CLOSED,           "status.closed") \
    X(STATUS_ENDED,            "status.ended") \
    X(NEXT_OPEN,               "next_open") \
    X(PAST_CLOSE_POSSIBLE,     "past_close.possible") \
    X(PAST_CLOSE_LIKELY,       "past_close.likely") \
    X(LEVEL_0,                 "level.0") \
    X(LEVEL_1,                 "level.1") \
    X(LEVEL_2,                 "level.2") \
    X(LEVEL_3,                 "level.3") \
    X(LEVEL_UNKNOWN,           "level.unknown") \
    X(LABEL_CALLING,           "label.calling") \
    X(LABEL_WAITING,           "label.waiting") \
    X(LABEL_WAIT,              "label.wait") \
    X(LABEL_LEVEL,             "label.level") \
    X(LABEL_LONGEST_WAIT,      "label.longest_wait") \
    X(PEOPLE,                  "people") \
    X(MINUTES_RANGE,           "minutes_range") \
    X(MINUTES_NONE,            "minutes_none") \
    X(UNKNOWN,                 "unknown") \
    X(NONE_CALLED,             "none_called") \
    X(RECENT_TITLE,            "recent.title") \
    X(STALE_BANNER,            "stale.banner") \
    X(STALE_COUNTER,           "stale.counter") \
    X(NOTICE_STAFF_JA,         "notice.staff_ja") \
    X(HOURS_TITLE,             "hours.title") \
    X(HOURS_CLOSED_TODAY,      "hours.closed_today") \
    X(HOURS_WEEK_TITLE,        "hours.week_title") \
    X(VISIT_TITLE,             "visit.title") \
    X(VISIT_ADDRESS,           "visit.address") \
    X(VISIT_MAP,               "visit.map") \
    X(VISIT_PHONE,             "visit.phone") \
    X(VISIT_SERVICES,          "visit.services") \
    X(VISIT_SERVICE_LINK,      "visit.service_link") \
    X(VISIT_DATE,              "visit.date") \
    X(CLOSURES_TITLE,          "closures.title") \
    X(CLOSURES_RANGE,          "closures.range") \
    X(CLOSURES_OFFICE,         "closures.office") \
    X(CLOSURES_HOLIDAY,        "closures.holiday") \
    X(CLOSURES_YEAR_END,       "closures.year_end") \
    X(CLOSURES_COUNTER,        "closures.counter") \
    X(CLOSURES_OPEN,           "closures.open") \
    X(WEEKDAY_0,               "weekday.0") \
    X(WEEKDAY_1,               "weekday.1") \
    X(WEEKDAY_2,               "weekday.2") \
    X(WEEKDAY_3,               "weekday.3") \
    X(WEEKDAY_4,               "weekday.4") \
    X(WEEKDAY_5,               "weekday.5") \
    X(WEEKDAY_6,               "weekday.6") \
    X(TODAY,                   "today") \
    X(TOMORROW,                "tomorrow") \
    X(MYTICKET_TITLE,          "myticket.title") \
    X(MYTICKET_LEAD,           "myticket.lead") \
    X(MYTICKET_COUNTER,        "myticket.counter") \
    X(MYTICKET_NUMBER,         "myticket.number") \
    X(MYTICKET_DISTANCE,       "myticket.distance") \
    X(MYTICKET_SET,            "myticket.set") \
    X(MYTICKET_CLEAR,          "myticket.clear") \
    X(MYTICKET_AHEAD,          "myticket.ahead") \
    X(MYTICKET_SOON,           "myticket.soon") \
    X(MYTICKET_CALLED,         "myticket.called") \
    X(MYTICKET_PASSED,         "myticket.passed") \
    X(MYTICKET_INVALID,        "myticket.invalid") \
    X(MYTICKET_RANGE,          "myticket.range") \
    X(MYTICKET_UNISSUED,       "myticket.unissued") \
    X(MYTICKET_NOTIFY_TITLE,   "myticket.notify_title") \
    X(LIVE_CHANGED,            "live.changed") \
    X(EMBED_MORE,              "embed.more") \
    X(FOOTER_ABOUT,            "footer.about") \
    X(FOOTER_API,              "footer.api") \
    X(TREND_TITLE,             "trend.title") \
    X(TREND_LEAD,              "trend.lead") \
    X(TREND_USUAL,             "trend.usual") \
    X(TREND_TODAY,             "trend.today") \
    X(TREND_HOUR,              "trend.hour") \
    X(TREND_WEEK_TITLE,        "trend.week_title") \
    X(TREND_NONE,              "trend.none") \
    X(SUGGEST_TITLE,           "suggest.title") \
    X(SUGGEST_TEXT,            "suggest.text") \
    X(BEST_TIME_TEXT,          "best_time.text") \
    X(BEST_TIME_TEXT_NO_WAIT,  "best_time.text_no_wait") \
    X(BEST_TIME_BASIS,         "best_time.basis") \
    X(FOOTER_NO_JS,            "footer.no_js")


typedef enum {
#define NGX_HTTP_MADO_MSG_ENUM(name, key)  NGX_HTTP_MADO_MSG_##name,
    NGX_HTTP_MADO_MESSAGES(NGX_HTTP_MADO_MSG_ENUM)
#undef NGX_HTTP_MADO_MSG_ENUM
    NGX_HTTP_MADO_NMSG
} ngx_http_mado_msg_e;


#endif /* _NGX_HTTP_MADO_MESSAGES_H_INCLUDED_ */
