/*
 * madoctl's verbs: the table main dispatches by, where each may run, and
 * the usage texts of madoctl and of each verb ("madoctl help VERB").
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "madoctl.h"


/* destroy's default backups directory (cmd_destroy.c) */
#define MC_DESTROY_BACKUPS_TEXT  "/var/backups/mado"


static const char  mc_usage[] =
    "usage: madoctl [--store DIR] VERB [options] [args]\n"
    "       madoctl --server URL [--cacert FILE] [--token-file FILE]\n"
    "               [--proxy URL] login|logout|set|issue|call|cancel\n"
    "               [options] [args]\n"
    "\n"
    "Administer the mado store: the office definitions and the live state\n"
    "of their counters, which the nginx module shows to citizens.  With\n"
    "--server, change counters from another machine through the server's\n"
    "update API over HTTPS instead, as an account of \"madoctl user\".\n"
    "\n"
    "Verbs:\n"
    "  init       create the store (does nothing on a ready one)\n"
    "  load       load office definitions from offices.json\n"
    "  show       show offices and the live state of their counters\n"
    "  set        change fields of a counter's state by hand\n"
    "  issue      issue the next ticket at a counter\n"
    "  call       call the next ticket, or a given one, at a counter\n"
    "  cancel     cancel an issued ticket that was not called yet\n"
    "  simulate   generate demo traffic at every counter\n"
    "  holidays   list the national holidays of Japan in a year\n"
    "  calendar   show an office's opening hours day by day\n"
    "  feed       read a ticket machine's event log into counter state\n"
    "  report     an office's day-by-hour history, as CSV or printable HTML\n"
    "  compact    fold old history into hourly figures (retention)\n"
    "  audit      list or verify the audit trail of every write; anchor it\n"
    "  user       staff accounts: add, passwd, disable, enable, list, grant,\n"
    "             revoke, seal\n"
    "  login      log in at a server (--server) and keep the session\n"
    "  logout     end the session at the server and delete its file\n"
    "  export     everything the city owns, in open formats (contract end)\n"
    "  destroy    make the store, backups and keys unreadable, with a\n"
    "             signed receipt (contract end)\n"
    "  backup     an encrypted, checked copy of the store, made while it\n"
    "             is written\n"
    "  restore    put a backup in place of the store, under a running\n"
    "             nginx\n"
    "  migrate    bring the store to this build's schema\n"
    "  check      a Nagios/Icinga plugin: stale feeds, stalled counters,\n"
    "             long waits, the store (exit 0 OK .. 3 UNKNOWN)\n"
    "  logs       the access logs: init, seal, verify, archive, unarchive,\n"
    "             search, stats\n"
    "  help       show this help, or the help of a verb\n"
    "\n"
    "Options:\n"
    "  --store DIR  the store directory (default: $MADO_STORE, else "
    MADO_DEFAULT_STORE ")\n"
    "  --audit-key FILE\n"
    "               the key of the audit trail, outside the store, mode\n"
    "               0600 (default: $MADO_AUDIT_KEY, else "
    MC_DEFAULT_AUDIT_KEY ");\n"
    "               every write needs it; \"init\" makes it, and the\n"
    "               trail's anchor beside it (FILE minus .key, .anchor)\n"
    "  --server URL the update API at https://HOST[:PORT][/PREFIX] (the API\n"
    "               is PREFIX/api/v1/admin/): login, logout, set, issue, call\n"
    "               and cancel go there, other verbs refuse it; not with\n"
    "               --store\n"
    "  --cacert FILE\n"
    "               trust the CA certificate(s) in FILE (PEM) for the\n"
    "               server, instead of the system's CAs\n"
    "  --proxy URL  reach the server through this proxy,\n"
    "               [http://][USER:PASSWORD@]HOST:PORT (a CONNECT tunnel:\n"
    "               TLS and the certificate checks stay end to end; also\n"
    "               https://, socks5h:// ...; port 1080 if none is given).\n"
    "               Without it: $MADO_PROXY, else https_proxy (or\n"
    "               HTTPS_PROXY, all_proxy, ALL_PROXY); no_proxy (or\n"
    "               NO_PROXY) lists hosts reached directly, comma-separated,\n"
    "               \"*\" for all, whichever way the proxy was given\n"
    "  --token-file FILE\n"
    "               the session file (default: $MADO_TOKEN_FILE, else\n"
    "               $XDG_CONFIG_HOME/mado/session-HOST[-PORT], else\n"
    "               ~/.config/mado/session-HOST[-PORT]); mode 0600, a file\n"
    "               others may read is refused\n"
    "  -h, --help   show this help\n"
    "  --version    show the version and the store schema it reads\n"
    "\n"
    "Environment:\n"
    "  MADO_STORE   the store directory when --store is not given\n"
    "  MADO_AUDIT_KEY  the audit key when --audit-key is not given\n"
    "  MADO_SERVER  the URL when --server is not given (used by the verbs\n"
    "               that can go remote, unless --store or --audit-key is\n"
    "               given; the others ignore it)\n"
    "  MADO_CACERT  the CA file when --cacert is not given\n"
    "  MADO_TOKEN_FILE  the session file when --token-file is not given\n"
    "  MADO_PROXY   the proxy when --proxy is not given, for madoctl only\n"
    "  https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY, no_proxy, NO_PROXY\n"
    "               the proxy when neither is given, as for curl (libcurl)\n"
    "  MADO_NOW     the time to take as now (updated_at), as unix seconds\n"
    "               or ISO 8601 like 2026-11-27T09:30:00+09:00 (no offset\n"
    "               means Japan time); for tests and replays\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  request refused or invalid; the message names the field or\n"
    "     argument\n"
    "  2  usage error: unknown verb or option, missing or extra argument,\n"
    "     invalid MADO_NOW\n"
    "  3  store unavailable: missing, not initialised, of another schema\n"
    "     version, or an I/O error; remote: the server cannot be reached\n"
    "     (nor the proxy, or the proxy refuses the tunnel or the password:\n"
    "     not retried), gives no complete answer after the retries, or\n"
    "     answers 5xx\n"
    "  4  remote: not allowed: not logged in, the session ended (401: log\n"
    "     in again), wrong user or password, the account may not change\n"
    "     that office (403), or logins wait after failures (429)\n"
    "  5  remote: the server's certificate failed verification (unknown\n"
    "     CA, expired, or not for that host), or an https:// proxy's;\n"
    "     nothing was sent\n"
    "\n"
    "Remote mode: one login keeps a session (30 min idle, 12 h at most) in\n"
    "the session file.  A counter change whose answer is lost (connection\n"
    "reset, timeout, closed early) or that gets 503 is sent again, up to 4\n"
    "attempts after 0.5, 1 and 2 s, with the same Idempotency-Key, so the\n"
    "server applies it once; each retry is said on standard error.  A\n"
    "login that gets 503 (too many logins at once: not counted) is sent\n"
    "again too; a 503's Retry-After (up to 5 s) replaces the wait.  4xx\n"
    "answers are never retried.  Timeouts: 10 s to connect (through the\n"
    "proxy and TLS included), then 10 s without a byte of the answer.\n"
    "Answers: HTTP/1.1, at most 1 MiB, redirects not followed.\n"
    "\n"
    "\"madoctl help VERB\" or \"madoctl VERB --help\" shows a verb's "
    "options.\n";

/* the remote part of the help of set, issue, call, cancel */
#define MC_USAGE_REMOTE                                                       \
    "\n"                                                                      \
    "With --server URL (after \"madoctl --server URL login\") the same\n"     \
    "change goes through the server's update API over HTTPS and is\n"        \
    "audited there as the account logged in; the same output.  A lost\n"     \
    "answer (reset, timeout) or a 503 is sent again, up to 4 attempts,\n"    \
    "with the same Idempotency-Key: applied once.  Exit status: 1 for\n"     \
    "400 (the message names the option), 404 and 409; 4 for 401 (log in\n"   \
    "again) and 403; 3 when the server cannot be reached or answers 5xx;\n"  \
    "5 when its certificate fails verification.\n"                          \
    "\n"                                                                      \
    "Remote options (before the verb, see madoctl --help):\n"                \
    "  --server URL       https://HOST[:PORT][/PREFIX] ($MADO_SERVER)\n"     \
    "  --cacert FILE      the CA of the server's certificate ($MADO_CACERT)\n" \
    "  --token-file FILE  the session file ($MADO_TOKEN_FILE)\n"                \
    "  --proxy URL        the proxy ($MADO_PROXY, else https_proxy)\n"


static const char  mc_usage_init[] =
    "usage: madoctl [--store DIR] init [--map-size BYTES] [--test-store]\n"
    "\n"
    "Create the store (the directory, its LMDB files and the schema\n"
    "version) unless it exists; on a store of this schema just say that it\n"
    "is ready.  Files are made group read-write (umask 007): nginx workers\n"
    "read them as members of the store's group.\n"
    "\n"
    "Options:\n"
    "  --map-size BYTES  map size of a new store; K, M or G may follow\n"
    "                    (default 16M, at least 64K).  It is only a start:\n"
    "                    the map doubles when full.  An existing store\n"
    "                    keeps its size.\n"
    "  --test-store      make the new store a test store, where passwords\n"
    "                    may be hashed with fewer PBKDF2 iterations (user\n"
    "                    add|passwd --iterations) so that tests can fail\n"
    "                    logins quickly; only when the store is created,\n"
    "                    never for an existing one.  nginx warns when it\n"
    "                    opens one.  Never for production.\n"
    "  -h, --help        show this help\n";


static const char  mc_usage_load[] =
    "usage: madoctl [--store DIR] load FILE\n"
    "\n"
    "Replace the office definitions with those of FILE (offices.json; \"-\"\n"
    "reads standard input), in one transaction.  The whole file is checked\n"
    "first: on an error nothing is changed and the message names the place\n"
    "in the file, like $.offices[3].counters[1].  Counters defined before\n"
    "and after keep their live state, new ones start closed, and the state\n"
    "of counters no longer defined is removed.\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n";


static const char  mc_usage_show[] =
    "usage: madoctl [--store DIR] show [OFFICE] [--json]\n"
    "\n"
    "Show all offices, or OFFICE, with the live state of their counters:\n"
    "WAITING tickets issued and not called yet, CALLING the number called\n"
    "last, ISSUED the last number issued (\"-\": none yet), WAIT the wait a\n"
    "newcomer is shown (\"-\": unknown, or the counter is not open), UPDATED\n"
    "the Japan time of the last change.\n"
    "\n"
    "Options:\n"
    "  --json      print JSON (all names, ISO 8601 times) instead\n"
    "  -h, --help  show this help\n";


static const char  mc_usage_set[] =
    "usage: madoctl [--store DIR | --server URL] set OFFICE COUNTER OPTION...\n"
    "\n"
    "Overwrite fields of a counter's live state, e.g. to correct it by hand;\n"
    "fields without an option are kept.  Numbers lie in the counter's\n"
    "ticket_range (after its last comes its first), and the number called\n"
    "is one that was issued: a --calling after the last issued raises it,\n"
    "or is refused when --last-issued is given too.  Prints the new state\n"
    "(remote: message= and notice= only when --message and --notice gave\n"
    "them; the API's answer does not hold them).\n"
    "\n"
    "Options (at least one):\n"
    "  --waiting N      tickets waiting, 0..9999\n"
    "  --calling N      the number called last, 0 (none yet) or in the\n"
    "                   counter's ticket_range\n"
    "  --last-issued N  the last ticket number issued, 0 (none) or in the\n"
    "                   counter's ticket_range, not before --calling\n"
    "  --status STATUS  open, paused, closed or ended (ended: no more\n"
    "                   tickets today; those waiting are still called)\n"
    "  --message TEXT   a notice shown with the counter: at most 280 bytes\n"
    "                   of UTF-8 without control characters; \"\" clears it\n"
    "  --staff N        staff serving, 0..99 (0: unknown)\n"
    "  --notice ID      a preset notice shown with the counter, in each\n"
    "                   page's language: an id of \"notices\" in\n"
    "                   offices.json (an unknown id is refused, listing\n"
    "                   the valid ones); \"\" clears it\n"
    "  --no-notice      clear the preset notice (the same as --notice \"\")\n"
    "  -h, --help       show this help\n"
    MC_USAGE_REMOTE;


static const char  mc_usage_issue[] =
    "usage: madoctl [--store DIR | --server URL] issue OFFICE COUNTER\n"
    "\n"
    "Issue the next ticket: the last issued number goes up by one (after\n"
    "the last of the counter's ticket_range comes its first) and one more\n"
    "person waits (at most 9999).\n"
    "Refused when the counter is closed or has ended for the day.  Prints\n"
    "the ticket number.\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n"
    MC_USAGE_REMOTE;


static const char  mc_usage_call[] =
    "usage: madoctl [--store DIR | --server URL] call OFFICE COUNTER [NUMBER]\n"
    "\n"
    "Call the next ticket (the number called last plus one, round the\n"
    "counter's ticket_range; when every number issued was called, this\n"
    "issues it too), or NUMBER (one issued: the last issued or before it),\n"
    "e.g. someone who missed their turn.  One person fewer waits (none\n"
    "fewer when nobody waits and NUMBER is given) and one more was served\n"
    "today.  Refused when the counter is closed, or nobody waits and NUMBER\n"
    "is not given.\n"
    "Prints the number called.\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n"
    MC_USAGE_REMOTE;


static const char  mc_usage_cancel[] =
    "usage: madoctl [--store DIR | --server URL] cancel OFFICE COUNTER NUMBER\n"
    "\n"
    "Cancel ticket NUMBER, issued but not called yet (after the number\n"
    "called last, the last issued or before it, round the counter's\n"
    "ticket_range): one person fewer waits.\n"
    "Prints \"cancelled NUMBER\".\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n"
    MC_USAGE_REMOTE;


static const char  mc_usage_simulate[] =
    "usage: madoctl [--store DIR] simulate [options]\n"
    "\n"
    "Generate demo traffic at every counter until SIGINT or SIGTERM, or for\n"
    "--duration seconds.  A virtual clock runs from --start at --speed\n"
    "times real time.  Each tick is one transaction over all counters: the\n"
    "first opens them all and clears their messages; people take tickets\n"
    "more often from 09:00 to 11:00 and from 12:00 to 13:30, on Mondays,\n"
    "at wards more than at branches, and at certificates most, family\n"
    "register least; 1 to 4 staff call them, taking about\n"
    "minutes_per_person each.  Now and then a counter pauses for a few\n"
    "minutes (\"システム点検中\").  From 17:00 no new tickets are taken\n"
    "(ended) but those waiting are called; at 17:30 a new day starts at\n"
    "08:45 with all counts at zero.  Only counters that changed get a new\n"
    "updated_at (real time).  Numbers run through each counter's\n"
    "ticket_range; staff call only numbers issued, and cancel those a fed\n"
    "history left waiting with numbers before the one called; with half\n"
    "the range waiting, no more tickets are taken.  Every 10 ticks a\n"
    "summary line is printed.\n"
    "Office definitions are read at the start: restart after \"load\".\n"
    "\n"
    "Options:\n"
    "  --speed X           virtual seconds per real second, more than 0\n"
    "                      and at most 100000 (default 20)\n"
    "  --start HH:MM       virtual time to start at, 08:45..17:29\n"
    "                      (default 09:00)\n"
    "  --seed N            seed of the random numbers (default: from the\n"
    "                      time; printed at the start)\n"
    "  --duration SECONDS  stop after this many real seconds (default:\n"
    "                      run until stopped)\n"
    "  --interval SECONDS  real seconds between ticks, 0.01..3600, may be\n"
    "                      fractional (default 1)\n"
    "  -h, --help          show this help\n";


static const char  mc_usage_holidays[] =
    "usage: madoctl holidays [YEAR] [--json]\n"
    "\n"
    "List the national holidays of Japan in YEAR (1973..2099; default: this\n"
    "year in Japan time, from MADO_NOW or the clock), one a line:\n"
    "\n"
    "  2026-05-06 (水) 振替休日\n"
    "\n"
    "They are computed by the rules of the Act on National Holidays as\n"
    "amended (国民の祝日, 振替休日, 国民の休日), with the holidays of laws\n"
    "of their own (1989, 1990, 1993, 2019).  Where the Cabinet Office list\n"
    "says only \"休日\", this names the kind: 振替休日 or 国民の休日.  The\n"
    "store is not used.  The year-end closure of offices (12/29..1/3) is\n"
    "not listed: it is no national holiday.\n"
    "\n"
    "Options:\n"
    "  --json      print a JSON array of {\"date\": \"YYYY-MM-DD\", \"name\": ...}\n"
    "  -h, --help  show this help\n";


static const char  mc_usage_calendar[] =
    "usage: madoctl calendar OFFICE [--from YYYY-MM-DD] [--days N]\n"
    "                               [--counter COUNTER] [--json]\n"
    "\n"
    "Show the opening hours of OFFICE (or of one of its counters) day by\n"
    "day, as the pages apply them: the weekly \"hours\" of offices.json, then\n"
    "national holidays and 年末年始 (12/29..1/3) closed unless the office has\n"
    "\"holidays\": false, \"closed_dates\" (臨時閉庁日, per office or per\n"
    "counter) and \"open_dates\" (臨時開庁日 with their hours), e.g.\n"
    "\n"
    "  2027-01-01 (金) closed 元日\n"
    "  2027-03-28 (日) 09:00-16:00 臨時開庁日\n"
    "\n"
    "Options:\n"
    "  --from DATE        the first day (default: today in Japan time)\n"
    "  --days N           how many days, 1..400 (default 14)\n"
    "  --counter COUNTER  apply that counter's own closed days too\n"
    "  --json             a JSON array of {\"date\", \"hours\" (\"\" = closed),\n"
    "                     \"note\" (a reason or null)}\n"
    "  -h, --help         show this help\n";


static const char  mc_usage_feed[] =
    "usage: madoctl [--store DIR] feed --office OFFICE --format FORMAT\n"
    "                                  [options] FILE|-\n"
    "\n"
    "Turn a ticket machine's events into the live state of OFFICE's\n"
    "counters (waiting, calling, last issued, served today).  Formats:\n"
    "\n"
    "  voicecall  YYYYMMDD,HH:MM[:SS],EVENT,BUSINESS_CODE,TICKET[,...]\n"
    "             EVENT 0 issued, 1 called, 2 cancelled; Japan time;\n"
    "             business codes map to counters by \"business_codes\" in\n"
    "             offices.json; fields after the fifth are ignored\n"
    "  jsonl      {\"time\": ISO 8601 or unix seconds, \"event\": \"issue\"|\n"
    "             \"call\"|\"cancel\", \"counter\": ID, \"ticket\": N}\n"
    "             (a time may name a minute: \"2026-11-27T09:30+09:00\")\n"
    "\n"
    "Lines may end in CRLF or LF, in UTF-8 or Shift_JIS (CP932).  Ticket\n"
    "numbers must lie in the counter's \"ticket_range\"; an issue of a\n"
    "number already issued that day is its next round (the range wrapped).\n"
    "Events of the same second apply in the order issue, call, cancel,\n"
    "whatever their order in the file.  A time to the minute (HH:MM) is\n"
    "ordered by the file: it counts after the lines before it in that\n"
    "minute (its waits are up to 59 s off).  Events are applied in\n"
    "batches, each one transaction together with how far the file has been\n"
    "read, so a crash or kill loses nothing and counts nothing twice; a\n"
    "file is known by its first event line, so feeding it again (or after a\n"
    "restart, rotation or copy) goes on after the last line applied.\n"
    "\n"
    "A bad line (or an unknown business code or counter, a ticket outside\n"
    "the range, a time more than an hour ahead of the clock) is reported\n"
    "as FILE:LINE: reason on standard error, skipped and counted.  An\n"
    "incomplete last line is left for when it is complete.  At the end a\n"
    "summary goes to standard output.  Bad lines do not change the exit\n"
    "status: it is 0 when the feed ran.\n"
    "\n"
    "Options:\n"
    "  --office OFFICE      the office whose machine wrote the log\n"
    "  --format FORMAT      voicecall or jsonl\n"
    "  --encoding ENC       auto (default: UTF-8 unless the line is not\n"
    "                       valid UTF-8, then Shift_JIS), utf-8, or sjis\n"
    "  --follow             keep reading as the file grows, through\n"
    "                       rotation (a new file at the path) and\n"
    "                       truncation, until SIGINT or SIGTERM\n"
    "  --interval SECONDS   how often --follow looks for more, 0.05..60\n"
    "                       (default 0.5)\n"
    "  --batch N            lines per transaction, 1..100000 (default 4096)\n"
    "  --name NAME          the feed's name in the store's record of what\n"
    "                       it did (events, bad lines, its last batch: the\n"
    "                       metrics' feed=\"NAME\"); default log.  Give each\n"
    "                       feed of one office its own\n"
    "  -q, --quiet          no summary\n"
    "  -h, --help           show this help\n";


static const char  mc_usage_report[] =
    "usage: madoctl [--store DIR] report --office OFFICE --from YYYY-MM-DD\n"
    "                                    --to YYYY-MM-DD [--format csv|html]\n"
    "\n"
    "The history of OFFICE per day and hour, from --from to --to (at most\n"
    "366 days): tickets issued, numbers called (people served), tickets\n"
    "cancelled, the average and the longest wait of those called (from\n"
    "their issue to their call), and per day the peak hour (most tickets\n"
    "issued).  The figures are the history API's.\n"
    "\n"
    "csv (the default): one row per date, counter and hour with activity,\n"
    "and a row with hour \"day\" of the day's totals and its peak_hour;\n"
    "RFC 4180 with CRLF.  html: a printable report in Japanese, a page per\n"
    "day on A4, e.g. for the monthly review (print it from a browser, or\n"
    "chromium --headless --print-to-pdf=report.pdf report.html).\n"
    "\n"
    "Options:\n"
    "  --office OFFICE   the office\n"
    "  --from DATE       the first day\n"
    "  --to DATE         the last day\n"
    "  --format FORMAT   csv or html (default csv)\n"
    "  -h, --help        show this help\n";


static const char  mc_usage_compact[] =
    "usage: madoctl [--store DIR] compact [--keep-days N]\n"
    "                                     [--keep-hourly-days M]\n"
    "\n"
    "The retention of the history.  The events and 5-minute samples of the\n"
    "days before the last N (default 60) are folded into hourly figures\n"
    "per counter (tickets issued, called, cancelled, waits, people\n"
    "waiting) and deleted; reports, the forecast and the history API use\n"
    "the hourly figures for those days (the history API then has no\n"
    "samples for them).  Hourly figures older than M days (default 1830,\n"
    "five years; 0 keeps them) are deleted.  One transaction per office\n"
    "and day: it may run while nginx, the feed and staff work.  Run it\n"
    "daily (conf.example/systemd/mado-compact.timer).\n"
    "\n"
    "It also deletes what identifies people once it serves no more:\n"
    "expired sessions of the update API, failed-login records of addresses\n"
    "whose window and wait are over, refusal counts past their window, and\n"
    "Idempotency-Key answers older than a day.  And it seals what a store\n"
    "of schema 1 kept in clear (audit records, accounts, sessions, the\n"
    "addresses and ids that key counts), a batch a transaction, audited.\n"
    "\n"
    "Options:\n"
    "  --keep-days N          days of full detail, 1..3660 (default 60)\n"
    "  --keep-hourly-days M   days of hourly figures, 0 or at least N\n"
    "                         (default 1830)\n"
    "  -h, --help             show this help\n";


static const char  mc_usage_audit[] =
    "usage: madoctl [--store DIR] [--audit-key FILE] audit list\n"
    "                                        [--from DATE] [--to DATE]\n"
    "                                        [--office OFFICE] [--action A]\n"
    "                                        [--actor TEXT] [--tried USER]\n"
    "                                        [--json]\n"
    "       madoctl [--store DIR] [--audit-key FILE] audit verify\n"
    "       madoctl [--store DIR] [--audit-key FILE] audit anchor [--reset]\n"
    "\n"
    "Every write (init, load, set, issue, call, cancel, feed, simulate,\n"
    "compact) appends an audit record in the same transaction as the\n"
    "change: time, who (the OS user, and who used sudo), from where, what,\n"
    "and the counter before and after.  Records are chained with\n"
    "HMAC-SHA-256 under the audit key, which is kept outside the store,\n"
    "and sealed (AES-256-GCM) under a key derived from it: list needs the\n"
    "key too.\n"
    "After each write its last record's number and MAC go to the anchor,\n"
    "a file beside the key (audit.key: audit.anchor) that only the key's\n"
    "owner may write.\n"
    "\n"
    "list prints the records, oldest first (one a line: number, time,\n"
    "actor, action, office/counter, what changed; --json: an array of\n"
    "{\"seq\", \"record\"}), filtered by day, office, action or actor.\n"
    "\n"
    "verify recomputes the chain with the key and compares its end with\n"
    "the anchor, and checks every staff account against its seal and the\n"
    "trail: exit status 0 and what it compared with when all is well; 1\n"
    "and each finding when a record was altered, removed or inserted,\n"
    "records were cut from the end or the trail wiped (the store ends\n"
    "before the anchor's record), there is no anchor, or an account was\n"
    "changed outside madoctl and the update API.\n"
    "\n"
    "anchor makes the anchor of a store that has none (after an upgrade),\n"
    "naming the trail's last record, once the trail verifies; an audited\n"
    "write.  With --reset it replaces an anchor the store does not match\n"
    "(after restoring a backup on purpose); the audit record says which.\n"
    "\n"
    "Options of list:\n"
    "  --from DATE, --to DATE  days (Japan time), inclusive\n"
    "  --office OFFICE         records of that office\n"
    "  --action ACTION         e.g. set, call, feed, load\n"
    "  --actor TEXT            actors containing TEXT, e.g. os:root\n"
    "  --tried USER            failed logins that typed USER, an id that\n"
    "                          names no account (kept only as a keyed hash:\n"
    "                          needs the audit key)\n"
    "  --json                  JSON instead of lines\n"
    "  -h, --help              show this help\n"
    "Options of anchor:\n"
    "  --reset                 replace an anchor the store does not match\n";


static const char  mc_usage_user[] =
    "usage: madoctl [--store DIR] user add USER --role admin|staff|feed\n"
    "                                      [--office OFFICE]... [--password-stdin]\n"
    "                                      [--iterations N]\n"
    "       madoctl user passwd USER [--password-stdin] [--iterations N]\n"
    "       madoctl user disable|enable USER\n"
    "       madoctl user grant|revoke USER OFFICE...\n"
    "       madoctl user list [--json]\n"
    "       madoctl user seal USER...|--all\n"
    "\n"
    "The accounts of the update API.  Roles: admin (everything), staff (the\n"
    "counters of the offices granted), feed (a ticket machine's feed for\n"
    "the offices granted).  People have passwords: at least 12 characters,\n"
    "not containing the user id, kept only as PBKDF2-HMAC-SHA-256 (600000\n"
    "iterations, 128-bit random salt).  A feed account gets a random token\n"
    "instead, printed once by add and by passwd (which replaces it); only\n"
    "its SHA-256 is kept.  The password is asked twice on the terminal, or\n"
    "read as one line from standard input with --password-stdin.  After 5\n"
    "failed logins an account waits (30 s, doubling, at most an hour);\n"
    "passwd and enable end the wait.  passwd and disable end every session\n"
    "of the account at once.  Every change is audited (who gave which\n"
    "rights), never a secret.\n"
    "\n"
    "Each account is sealed with a MAC under the audit key; one changed\n"
    "outside madoctl and the update API cannot log in, is refused by these\n"
    "verbs, and list marks it (\"! no seal\", \"! seal broken\"; --json:\n"
    "\"seal\").  seal accepts such accounts as they are, each an audited\n"
    "write: after an upgrade (--all: every account not sealed), or after\n"
    "checking an account list marked.\n"
    "\n"
    "Options:\n"
    "  --role ROLE         add: admin, staff or feed\n"
    "  --office OFFICE     add: an office granted (repeat for more)\n"
    "  --password-stdin    read the password from standard input\n"
    "  --iterations N      add, passwd: PBKDF2 iterations of this password\n"
    "                      (default 600000, at most 10000000); fewer only\n"
    "                      on a test store (init --test-store), for tests\n"
    "  --all               seal: every account without a matching seal\n"
    "  -h, --help          show this help\n";


static const char  mc_usage_login[] =
    "usage: madoctl --server URL [--cacert FILE] [--token-file FILE]\n"
    "               [--proxy URL] login [--user ID] [--password-stdin]\n"
    "\n"
    "Log in at the update API of URL (https://HOST[:PORT][/PREFIX]) as an\n"
    "account of \"madoctl user\" (admin or staff) and keep the session\n"
    "token in the session file: mode 0600 in a directory of mode 0700,\n"
    "written whole or not at all, replacing an older one.  The session\n"
    "ends after 30 minutes unused or 12 hours, or with logout.  The\n"
    "server's certificate must verify against the system's CAs or\n"
    "--cacert, and be for HOST.  The password is asked once on the\n"
    "terminal without echo, or read as one line from standard input with\n"
    "--password-stdin.  A login whose answer is lost is not sent again\n"
    "(only one that could not be sent at all is).\n"
    "\n"
    "Exit status: 0 logged in; 4 wrong user or password (401), or logins\n"
    "wait after too many failures (429, the wait is said); 1 the server\n"
    "refused the request as invalid (400, naming the field); 3 the server\n"
    "cannot be reached or answers 5xx; 5 its certificate fails\n"
    "verification.  Through a proxy: --proxy URL, $MADO_PROXY or\n"
    "https_proxy (see madoctl --help).\n"
    "\n"
    "Options:\n"
    "  --user ID           the account (default: the login name, $USER)\n"
    "  --password-stdin    read the password from standard input\n"
    "  -h, --help          show this help\n";


static const char  mc_usage_logout[] =
    "usage: madoctl --server URL [--token-file FILE] [--proxy URL] logout\n"
    "\n"
    "End the session at the server, then delete the session file; also\n"
    "when the server no longer knows the session (401).  Without a\n"
    "session file there is nothing to do (exit status 0).  A session file\n"
    "others could read is still used here, to end the session it may have\n"
    "leaked.  When the server cannot be reached the file is kept: run\n"
    "logout again (exit status 3).\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n";


static const char  mc_usage_export[] =
    "usage: madoctl [--store DIR] [--audit-key FILE] export DIR\n"
    "\n"
    "At the contract's end, write everything the city owns into the new\n"
    "directory DIR (or an empty one), in open formats, from one read\n"
    "transaction of the store (one moment): offices.json (as loaded;\n"
    "\"madoctl load\" reads it), counters.csv (live state), per office\n"
    "history/OFFICE-report.csv (the rows of \"madoctl report\" for every\n"
    "day the store holds), -samples.csv (5-minute samples, as the history\n"
    "API's CSV), -events.csv and -hourly.csv (as stored), accounts.csv\n"
    "(staff accounts: no hashes, salts or tokens), audit.jsonl (the audit\n"
    "trail decrypted, a record a line as \"audit list --json\"),\n"
    "audit-verify.txt (what \"audit verify\" says of it now), audit.anchor,\n"
    "README.txt (Japanese and English: what each file is) and\n"
    "MANIFEST.sha256 (\"sha256sum -c MANIFEST.sha256\" checks them).\n"
    "\n"
    "Files are 0600 in a 0700 directory.  They are written into DIR.partial\n"
    "and renamed to DIR once all are on disk: a failed or killed export\n"
    "leaves no DIR (remove a DIR.partial left by a kill).  The store is\n"
    "only read (a read-only file system will do); the audit key is needed\n"
    "(the trail and accounts are sealed under it).  Prints the SHA-256 of\n"
    "MANIFEST.sha256, for the handover record, and the audit key's\n"
    "fingerprint, which the destruction receipt names too.  A trail that\n"
    "does not verify is exported all the same, with the findings in\n"
    "audit-verify.txt and a warning (exit status 0).\n"
    "\n"
    "Exit status: 0 exported; 1 DIR exists and is not an empty directory,\n"
    "or DIR.partial exists; 3 no store, no audit key, or an I/O error\n"
    "(nothing left behind).\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n";


static const char  mc_usage_destroy[] =
    "usage: madoctl [--store DIR] [--audit-key FILE] destroy\n"
    "               [--confirm HOSTNAME] [--backups DIR] [--key FILE]...\n"
    "               [--also DIR]... [--sign-key PEM] [--receipt FILE]\n"
    "               [--resume]\n"
    "       madoctl destroy --verify-receipt FILE [--public-key PEM]\n"
    "\n"
    "At the contract's end, once the city has its export: make the keys,\n"
    "the store and the backups unreadable, and print a signed receipt.\n"
    "Stop nginx and the mado units first (a store open in another process\n"
    "is refused).\n"
    "\n"
    "Confirmation: on a terminal, type this machine's host name when\n"
    "asked; in a script, --confirm HOSTNAME (the name \"hostname\" prints).\n"
    "Without it, or with another name, nothing is destroyed (exit 1).\n"
    "Every path is checked before anything is touched: the audit key, each\n"
    "--key, the store (data.mdb, an LMDB file), --backups and each --also\n"
    "must exist (the default backups directory " MC_DESTROY_BACKUPS_TEXT "\n"
    "may be missing), or nothing is destroyed (exit 1).  Without --backups,\n"
    "the MADO_BACKUP_DIR that /etc/mado/backup.env gives the backup timer\n"
    "(MADO_BACKUP_ENV names another file) is destroyed too.\n"
    "\n"
    "Order: the keys first (the audit key, then each --key), so that\n"
    "everything sealed under them (the store's sealed records, every\n"
    "backup, copies elsewhere) is unreadable from then on; then the audit\n"
    "anchor, the store's data.mdb and lock.mdb (and its directory when\n"
    "empty), the stores restore kept aside beside it (found by their\n"
    "names: STORE.before-restore-YYYYMMDDTHHMMSS[-N], and the\n"
    ".STORE.restore-XXXXXX of a restore killed part way; each must be a\n"
    "directory on the store's file system, not open in another process),\n"
    "every file under --backups, each --also.  Each file is\n"
    "overwritten in place with random bytes, flushed, and removed.  On a\n"
    "journaling or copy-on-write file system, an SSD or under snapshots\n"
    "older copies may remain: the keys' destruction is the guarantee\n"
    "(docs/admin.md: erase the volume's LUKS key slots too).  Killed part\n"
    "way, the keys are gone first; run it again with --resume, which\n"
    "notes what is gone instead of refusing.\n"
    "\n"
    "The receipt (standard output, and --receipt FILE) lists each file\n"
    "with its size and when it was destroyed, the audit key by its\n"
    "fingerprint (as the export names it), the host, the OS user, and is\n"
    "signed with Ed25519: by a key made for it (its public key and that\n"
    "key's SHA-256 are in the receipt: write the SHA-256 down where the\n"
    "city keeps its record), or by --sign-key.  --verify-receipt checks a\n"
    "receipt's signature (with --public-key: and that it is that key's).\n"
    "\n"
    "Exit status: 0 destroyed (or receipt good); 1 refused, nothing\n"
    "destroyed (or receipt bad); 2 usage; 3 stopped part way (what was\n"
    "destroyed is said: run again with --resume).\n"
    "\n"
    "Options:\n"
    "  --confirm HOSTNAME   this machine's host name, for scripts\n"
    "  --backups DIR        the backups (default " MC_DESTROY_BACKUPS_TEXT ")\n"
    "  --key FILE           another key file to destroy first (a LUKS key\n"
    "                       file, TLS keys), up to 8\n"
    "  --also DIR           another directory to destroy with the store\n"
    "                       (a copy made by hand), up to 8\n"
    "  --sign-key PEM       sign the receipt with this Ed25519 private key\n"
    "  --receipt FILE       write the receipt to FILE too (a new file)\n"
    "  --resume             go on after an interrupted destroy\n"
    "  --verify-receipt FILE  check a receipt's signature\n"
    "  --public-key PEM     with --verify-receipt: the key it must be\n"
    "                       signed by\n"
    "  -h, --help           show this help\n";


static const char  mc_usage_help[] =
    "usage: madoctl help [VERB]\n"
    "\n"
    "Show the help of madoctl, or of VERB.\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n";


static const char  mc_usage_backup[] =
    "usage: madoctl [--store DIR] [--audit-key FILE] backup FILE\n"
    "       madoctl [--store DIR] [--audit-key FILE] backup --dir DIR\n"
    "                                               [--keep N]\n"
    "\n"
    "A compacted copy of the store (LMDB's own copy with compaction, one\n"
    "read transaction: nginx, the feed and staff go on writing), sealed\n"
    "with AES-256-GCM under a key derived from the audit key (without\n"
    "the audit key no backup opens: keep a copy of it apart from the\n"
    "backups), written mode 0600 to a temporary file beside FILE, flushed,\n"
    "then opened again and checked (LMDB opens the copy; its schema and\n"
    "number of records are those of the copy made), and only then renamed\n"
    "to FILE.  FILE's directory must exist.  A header sealed with it names\n"
    "the format, the store's schema, its last transaction, the audit\n"
    "record it ends at and when it was made.\n"
    "\n"
    "With --dir, the backup is DIR/mado-YYYYMMDDTHHMMSS.mbk (Japan time;\n"
    "DIR is made, mode 0700, if missing), and with --keep N the backups\n"
    "named so beyond the N newest are removed, after the new one checked\n"
    "(conf.example/systemd/mado-backup.timer: daily, 14 kept).\n"
    "\n"
    "Options:\n"
    "  --dir DIR    dated backups in DIR\n"
    "  --keep N     keep the N newest of them (1..100000)\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 written and checked; 1 refused (FILE's directory\n"
    "missing, FILE a directory, --keep invalid); 3 the store, the audit key\n"
    "or the disk failed, or the backup did not check (nothing is left\n"
    "behind: no FILE, no temporary file).\n";


static const char  mc_usage_restore[] =
    "usage: madoctl [--store DIR] [--audit-key FILE] restore FILE\n"
    "\n"
    "Put the backup FILE in place of the store, nginx serving on: the\n"
    "backup is opened (the audit key's backup key), checked (LMDB opens\n"
    "it, its header and census match, its audit trail verifies) into a\n"
    "new directory beside the store, then the two directories are\n"
    "exchanged at once (renameat2 RENAME_EXCHANGE), so there is never a\n"
    "moment without a store.  nginx's workers notice the new store within\n"
    "a second and reopen it; citizens are answered throughout.  The old\n"
    "store is marked retired in the same transaction: writers that still\n"
    "have it open (nginx's update API, \"madoctl feed --follow\") open the\n"
    "restored one and write there.  The old store is kept as\n"
    "STORE.before-restore-YYYYMMDDTHHMMSS until you remove it (or\n"
    "\"madoctl destroy\" destroys it with the store).\n"
    "\n"
    "The restored trail ends before the audit anchor: restore appends a\n"
    "\"restore\" record (the file, the backup's time and last record, the\n"
    "replaced store's last record and MAC, the anchor it replaced, where\n"
    "the old store went) and moves the anchor to it, so \"audit verify\"\n"
    "passes and the restore is in the trail.\n"
    "\n"
    "The store must exist (a restore replaces one; \"madoctl init\" makes\n"
    "one) and its parent directory be writable (/var/lib/mado).\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 restored; 1 refused, nothing changed: FILE missing,\n"
    "not a backup, made with another audit key, damaged or cut, of a\n"
    "schema this build does not read, or its trail broken; 3 the store,\n"
    "its parent directory, the audit key (missing: only the key the backup\n"
    "was made under opens it, never a new one) or the disk failed, nothing\n"
    "changed.\n";


static const char  mc_usage_migrate[] =
    "usage: madoctl [--store DIR] [--audit-key FILE] migrate [--check]\n"
    "\n"
    "Bring the store to the schema this build writes, in one audited\n"
    "transaction, nginx serving on (it reads either).  From schema 1 to 2:\n"
    "what names people (audit records, accounts, sessions, the addresses\n"
    "and ids that key counts) is sealed or hashed, and the version set.\n"
    "Running it again does nothing.  A store of a newer schema than this\n"
    "build's is refused (exit 3): upgrade madoctl.\n"
    "\n"
    "Options:\n"
    "  --check      only say whether a migration is needed; nothing written\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 migrated, or nothing to migrate (--check: none is\n"
    "needed); 1 --check: a migration is needed; 3 the store or the audit\n"
    "key failed, or the store's schema is newer than this build's.\n";
static const char  mc_usage_check[] =
    "usage: madoctl [--store DIR] check [--office OFFICE] [-w|--warning N]\n"
    "           [-c|--critical N] [--stale MIN] [--stalled MIN] [--wait MIN]\n"
    "           [--tls-cert FILE [--tls-warning DAYS] [--tls-critical DAYS]]\n"
    "           [--disk PATH [--disk-warning PCT] [--disk-critical PCT]]\n"
    "\n"
    "A Nagios/Icinga plugin: the conditions the Prometheus rules alert on\n"
    "and the staff panel shows, read from the store (read only; the user\n"
    "running it must be in the store's group), one status line with\n"
    "performance data, and every problem on a line after it:\n"
    "\n"
    "  MADO OK - 14 offices, 40 counters: 0 stale, 0 stalled, 0 long waits\n"
    "    | stale=0;1;3;0;40 stalled=0;1;3;0;40 long_wait=0;1;3;0;40\n"
    "      waiting=37 wait_max=2700s\n"
    "\n"
    "A counter is counted, in the calendar's view (closed out of hours):\n"
    "  stale      open, and its figures older than --stale minutes (default\n"
    "             15, as the module's mado_stale_after): its feed is down\n"
    "  stalled    open, people waiting, and nobody called for --stalled\n"
    "             minutes (default 30) since the last call, the queue\n"
    "             forming or the opening of the span (after lunch)\n"
    "  long wait  its wait estimate over the office's alert_wait_minutes\n"
    "             (offices.json), else --wait minutes (default 60)\n"
    "Each count reaching --warning (default 1) is a WARNING, --critical\n"
    "(default 3) CRITICAL.  A store that is opened but cannot be read, or\n"
    "holds no offices, is CRITICAL.\n"
    "\n"
    "A feed that refused lines in the last 24 hours (madoctl feed's bad\n"
    "lines, the update API's refused batches) is said on a line of its\n"
    "own, without changing the status: the feed goes on, and the counters\n"
    "say when the figures suffer.  feed_bad_lines=Nc in the performance\n"
    "data counts every feed's refused lines (when the offices have feeds).\n"
    "\n"
    "Options:\n"
    "  --office OFFICE     only this office\n"
    "  -w, --warning N     counters in one condition for WARNING (1)\n"
    "  -c, --critical N    for CRITICAL (3)\n"
    "  --stale MIN         minutes without an update while open (15)\n"
    "  --stalled MIN       minutes without a call while people wait (30)\n"
    "  --wait MIN          the wait limit of offices without their own (60)\n"
    "  --tls-cert FILE     also the expiry of this PEM certificate (e.g. the\n"
    "                      site's ssl_certificate): WARNING under\n"
    "                      --tls-warning days (21), CRITICAL under\n"
    "                      --tls-critical days (7) or expired\n"
    "  --disk PATH         also the free space of PATH's file system:\n"
    "                      WARNING under --disk-warning per cent (15),\n"
    "                      CRITICAL under --disk-critical (5)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status (the plugin's, not madoctl's usual):\n"
    "  0  OK\n"
    "  1  WARNING\n"
    "  2  CRITICAL\n"
    "  3  UNKNOWN: the store cannot be opened (missing, not readable by\n"
    "     this user), no such --office, a certificate or path that cannot\n"
    "     be read, a usage error, or an invalid MADO_NOW\n";
static const char  mc_usage_logs[] =
    "usage: madoctl logs init [--state DIR] [--verify-key FILE]\n"
    "       madoctl logs seal [--log-dir DIR] [--state DIR] [--quiet]\n"
    "       madoctl logs verify --key FILE [--from DATE] [--to DATE]\n"
    "       madoctl logs verify --archive FILE [--key FILE]\n"
    "       madoctl logs archive --from DATE --to DATE FILE\n"
    "       madoctl logs unarchive FILE DIR [--key FILE]\n"
    "       madoctl logs search [--from DATE] [--to DATE] [--ip ADDR[/BITS]]\n"
    "                           [--path PATH] [--status CODE] [--ua TEXT]\n"
    "                           [--office ID] [--json] [--count]\n"
    "       madoctl logs stats --from DATE --to DATE [--format csv|html]\n"
    "\n"
    "mado's access log (log_format mado_json, in /var/log/nginx/mado/,\n"
    "rotated daily by logrotate into access.log-YYYYMMDD.gz, kept 400\n"
    "days).  init starts the seal and writes the verification key to move\n"
    "off the server; seal (logrotate runs it) seals each new archive into a\n"
    "forward-secure HMAC chain, the key moving on after each seal; verify\n"
    "names every archive modified, truncated, deleted, renamed or inserted\n"
    "and every chain entry reordered, removed or forged (exit status 1);\n"
    "archive writes days of archives, AES-256-GCM under a key derived from\n"
    "the audit key, for them to leave the server; unarchive opens one;\n"
    "search and stats read the archives and the current log.\n"
    "\n"
    "Environment: MADO_LOG_DIR (the logs, default /var/log/nginx/mado),\n"
    "MADO_LOG_STATE (the seal's state, default /var/lib/mado/logs).\n"
    "\n"
    "\"madoctl logs VERB --help\" shows a logs verb's options and exit\n"
    "status.\n";


static const mc_verb_t  mc_verbs[] = {
    { "init",     mc_cmd_init,     mc_usage_init,     MC_LOCAL },
    { "load",     mc_cmd_load,     mc_usage_load,     MC_LOCAL },
    { "show",     mc_cmd_show,     mc_usage_show,     MC_LOCAL },
    { "set",      mc_cmd_set,      mc_usage_set,      MC_EITHER },
    { "issue",    mc_cmd_issue,    mc_usage_issue,    MC_EITHER },
    { "call",     mc_cmd_call,     mc_usage_call,     MC_EITHER },
    { "cancel",   mc_cmd_cancel,   mc_usage_cancel,   MC_EITHER },
    { "simulate", mc_cmd_simulate, mc_usage_simulate, MC_LOCAL },
    { "holidays", mc_cmd_holidays, mc_usage_holidays, MC_LOCAL },
    { "calendar", mc_cmd_calendar, mc_usage_calendar, MC_LOCAL },
    { "feed",     mc_cmd_feed,     mc_usage_feed,     MC_LOCAL },
    { "report",   mc_cmd_report,   mc_usage_report,   MC_LOCAL },
    { "compact",  mc_cmd_compact,  mc_usage_compact,  MC_LOCAL },
    { "audit",    mc_cmd_audit,    mc_usage_audit,    MC_LOCAL },
    { "user",     mc_cmd_user,     mc_usage_user,     MC_LOCAL },
    { "login",    mc_cmd_login,    mc_usage_login,    MC_REMOTE },
    { "logout",   mc_cmd_logout,   mc_usage_logout,   MC_REMOTE },
    { "backup",   mc_cmd_backup,   mc_usage_backup,   MC_LOCAL },
    { "restore",  mc_cmd_restore,  mc_usage_restore,  MC_LOCAL },
    { "migrate",  mc_cmd_migrate,  mc_usage_migrate,  MC_LOCAL },
    { "logs",     mc_cmd_logs,     mc_usage_logs,     MC_LOCAL },
    { "export",   mc_cmd_export,   mc_usage_export,   MC_LOCAL },
    { "destroy",  mc_cmd_destroy,  mc_usage_destroy,  MC_LOCAL },
    { "check",    mc_cmd_check,    mc_usage_check,    MC_LOCAL },
    /* "madoctl --server URL help call" is fine */
    { "help",     mc_cmd_help,     mc_usage_help,     MC_EITHER },
    { NULL, NULL, NULL, 0 }
};


const mc_verb_t *
mc_verb_find(const char *name)
{
    const mc_verb_t  *v;

    for (v = mc_verbs; v->name != NULL; v++) {
        if (strcmp(v->name, name) == 0) {
            return v;
        }
    }

    return NULL;
}


int
mc_cmd_help(mc_ctx_t *ctx, int argc, char **argv)
{
    int                        rc;
    const mc_verb_t           *v;
    static const char *const   names[] = { "VERB", NULL };

    (void) ctx;

    if ((rc = mc_no_options("help", argc, argv)) != MC_CONTINUE) {
        return rc;
    }

    if ((rc = mc_args("help", argc, argv, names, 0)) != MC_EXIT_OK) {
        return rc;
    }

    if (optind == argc) {
        return mc_help(NULL);
    }

    v = mc_verb_find(argv[optind]);
    if (v == NULL) {
        return mc_usage_error(NULL, "help: unknown verb \"%s\"",
                              argv[optind]);
    }

    return mc_help(v->name);
}


/* the help of verb, or madoctl's (verb NULL) */
int
mc_help(const char *verb)
{
    const mc_verb_t  *v;

    v = verb ? mc_verb_find(verb) : NULL;
    fputs(v ? v->usage : mc_usage, stdout);

    return MC_EXIT_OK;
}
