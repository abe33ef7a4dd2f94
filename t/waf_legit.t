#!/usr/bin/perl

# The perimeter lets everything legitimate through: the production
# configuration, staged by conf.example/stage-secure.sh and served over
# TLS, with ModSecurity and the OWASP CRS on.  Every call of
# docs/openapi.yaml; every page in every language; the staff panel as a
# browser uses it; "madoctl --server"; feed batches in each content type
# mado takes; and the notices of t/data/waf/messages.txt (English,
# Japanese, Chinese, Korean, easy Japanese, with '#', ';', quotes and
# apostrophes).  None is refused by nginx's grammar or by the WAF, and
# ModSecurity logs no denial.  (Without mado's exclusions the feed and
# "Please go to counter #2; closing at 5 p.m." are refused: 920420, the
# JSON body processor, 942100, 941310.)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode ();
use JSON::PP;
use POSIX qw(strftime);
use Test::More;

use MadoTest;
use MadoTest::Staged;

MadoTest::require_binaries(qw(madoctl module nginx));
MadoTest::Staged::require_profile();

my $json = JSON::PP->new->utf8->canonical;
my $t = MadoTest->new;
my $dir = $t->dir;
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->add_user(qw(chief --role admin), { iterations => 1000 });
my ($feed_token) = $t->add_user(qw(kita-machine --role feed --office kita))->{out} =~ /(mado_[0-9a-f]{64})/;

MadoTest::Staged::stage($t);
$t->start;

my $port = $t->port;
my $host = "localhost:$port";
my $origin = "https://$host";
my $c = MadoTest::Staged::Client->new(port => $port, host => $host);

my $chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
my %browser = ('User-Agent' => $chrome, 'Accept-Language' => 'ja,en-US;q=0.9,en;q=0.8',
               'Accept-Encoding' => 'gzip, deflate, br');
my %page = (%browser, Accept => 'text/html,application/xhtml+xml,application/xml;q=0.9,'
                              . 'image/avif,image/webp,*/*;q=0.8',
            'Sec-Fetch-Site' => 'none', 'Sec-Fetch-Mode' => 'navigate', 'Sec-Fetch-Dest' => 'document');

# every answer: (what, response); checked together at the end too
my @all;

# REQUEST must be answered STATUS by mado itself (a number or a regex)
sub through {
    my ($what, $status, $method, $path, $opt) = @_;
    my $r = $c->request($method, $path, $opt);
    push @all, [$what, $r];
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = ref $status ? $r->{status} =~ $status : $r->{status} == $status;
    ok($ok, "$what: $r->{status}")
        or diag(MadoTest::text(substr($r->{raw} // $r->{body} // $r->{error} // '', 0, 800)));
    return $r;
}

sub data { my ($r) = @_; return eval { $json->decode($r->{body}) } || {} }

my $today = strftime('%Y-%m-%d', gmtime(time + 9 * 3600));
my $yesterday = strftime('%Y-%m-%d', gmtime(time + 9 * 3600 - 86400));

# ------------------------------------------------------------ the public API

my $r = through('listOffices', 200, 'GET', '/api/v1/offices', { headers => { Accept => 'application/json' } });
is(scalar @{ data($r)->{offices} || [] }, 14, 'listOffices: the 14 offices');
through('listOffices again: 304', 304, 'GET', '/api/v1/offices',
        { headers => { 'If-None-Match' => $r->{headers}{etag} } });
through('listOffices, HEAD', 200, 'HEAD', '/api/v1/offices');
through('listOffices, a trailing slash', 200, 'GET', '/api/v1/offices/');
through('listOffices, a cache buster (?_=)', 200, 'GET', '/api/v1/offices?_=1764633600123');
through('listOffices, as the page script asks', 200, 'GET', '/api/v1/offices',
        { headers => { %browser, Accept => 'application/json', 'Sec-Fetch-Site' => 'same-origin',
                       'Sec-Fetch-Mode' => 'cors', 'Cache-Control' => 'no-cache', Referer => "$origin/" } });
through('listOffices, from another site (CORS)', 200, 'GET', '/api/v1/offices',
        { headers => { %browser, Origin => 'https://www.city.kyoto.lg.jp', 'Sec-Fetch-Site' => 'cross-site' } });
for my $id (qw(kita sakyo fushimi rakusai)) {
    through("getOffice $id", 200, 'GET', "/api/v1/offices/$id");
}
through('getOffice, gzip', 200, 'GET', '/api/v1/offices/kita', { headers => { 'Accept-Encoding' => 'gzip' } });
through('getSummary, gzip', 200, 'GET', '/api/v1/summary', { headers => { 'Accept-Encoding' => 'gzip' } });
through('getHistory', 200, 'GET', '/api/v1/offices/kita/history');
through('getHistory ?date= yesterday', 200, 'GET', "/api/v1/offices/kita/history?date=$yesterday");
$r = through('getHistory as CSV (Accept)', 200, 'GET', "/api/v1/offices/kita/history?date=$today",
             { headers => { Accept => 'text/csv' } });
like($r->{headers}{'content-type'} // '', qr{^text/csv}, 'getHistory: CSV by Accept');
through('getHistoryCsv', 200, 'GET', '/api/v1/offices/kita/history.csv');
through('getHistoryCsv ?date=', 200, 'GET', "/api/v1/offices/kita/history.csv?date=$yesterday");
through('getForecast', 200, 'GET', '/api/v1/offices/kita/forecast');
through("getForecast ?weeks=$_", 200, 'GET', "/api/v1/offices/kita/forecast?weeks=$_") for 1, 4, 26;
# mado's own refusals still come from mado
through('getOffice, no such office: mado\'s 404', 404, 'GET', '/api/v1/offices/nosuch');
through('getForecast ?weeks=27: mado\'s 400', 400, 'GET', '/api/v1/offices/kita/forecast?weeks=27');

# ------------------------------------------------------------ the pages

through('the index', 200, 'GET', '/', { headers => \%page });
$r = through('the index, not compressed', 200, 'GET', '/', { headers => { %page, 'Accept-Encoding' => undef } });
my @assets = $r->{body} =~ m{"(/assets/mado\.[0-9a-f]{8}\.(?:css|js))"}g;
is(scalar @assets, 2, 'the index links its CSS and script');
through("asset $_", 200, 'GET', $_, { headers => { %browser, 'Sec-Fetch-Dest' => 'script' } }) for @assets;

for my $lang (qw(ja en zh-hans zh-hant ko ja-easy)) {
    for my $path ('/', '/kita', '/kita/signage', '/embed/kita', '/sakyo/') {
        through("page $path ?lang=$lang", 200, 'GET', "$path?lang=$lang", { headers => \%page });
    }
    through("page /kita, cookie mado_lang=$lang", 200, 'GET', '/kita',
            { headers => { %page, Cookie => "mado_lang=$lang" } });
}
through('page ?lang=zh-Hant (a capital)', 200, 'GET', '/kita?lang=zh-Hant', { headers => \%page });
through('page, Accept-Language ko', 200, 'GET', '/kita',
        { headers => { %page, 'Accept-Language' => 'ko-KR,ko;q=0.9,en;q=0.5' } });
through('a link from a social network (?fbclid=)', 200, 'GET', '/kita?fbclid=IwAR3xYz_0-abc',
        { headers => \%page });
through('a campaign link (?utm_*)', 200, 'GET', '/?lang=en&utm_source=city_site&utm_medium=banner',
        { headers => \%page });
through('the embed widget in an iframe', 200, 'GET', '/embed/kita?lang=en',
        { headers => { %page, 'Sec-Fetch-Site' => 'cross-site', 'Sec-Fetch-Dest' => 'iframe',
                       Referer => 'https://www.city.kyoto.lg.jp/kita/' } });
through('the QR code', 200, 'GET', '/kita/qr.svg', { headers => \%browser });
through('the page again: 304', 304, 'GET', '/kita',
        { headers => { 'If-None-Match' => $c->request('GET', '/kita')->{headers}{etag} } });
through('an unknown office: mado\'s 404 page', 404, 'GET', '/nosuch', { headers => \%page });
through('favicon.ico: mado\'s 404 page', 404, 'GET', '/favicon.ico', { headers => \%browser });

# ------------------------------------------------------------ the staff panel

through('staff panel', 200, 'GET', '/staff/', { headers => \%page });
$r = through('staff panel, not compressed', 200, 'GET', '/staff/', { headers => { %page, 'Accept-Encoding' => undef } });
my @staff_assets = ($r->{body} =~ m{"(/staff/assets/staff\.[0-9a-f]{8}\.(?:css|js))"}g, '/staff/icon.svg');
is(scalar @staff_assets, 3, 'the panel links its CSS, script and icon');
through("staff $_", 200, 'GET', $_, { headers => \%browser }) for @staff_assets;
through('staff panel without its slash: 301', 301, 'GET', '/staff', { headers => \%page });

# what staff.js sends: fetch() with JSON, same-origin, a key per press
my %xhr = (%browser, 'Content-Type' => 'application/json', Accept => 'application/json',
           Origin => $origin, Referer => "$origin/staff/", 'Sec-Fetch-Site' => 'same-origin',
           'Sec-Fetch-Mode' => 'cors', 'Sec-Fetch-Dest' => 'empty', 'Cache-Control' => 'no-store');
through('panel: session before login: 401', 401, 'POST', '/api/v1/admin/session',
        { headers => \%xhr, body => '{}' });
$r = through('panel: login', 200, 'POST', '/api/v1/admin/login',
             { headers => \%xhr, body => $json->encode({ user => 'tanaka', password => $password,
                                                          session => 'cookie' }) });
my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;
my $csrf = data($r)->{csrf};
%xhr = (%xhr, Cookie => "mado_lang=ja; $cookie");
through('panel: session (a reload)', 200, 'POST', '/api/v1/admin/session', { headers => \%xhr, body => '{}' });
through('panel: the offices', 200, 'GET', '/api/v1/offices',
        { headers => { %browser, Accept => 'application/json', 'Sec-Fetch-Site' => 'same-origin' } });

my $key = 0;
sub press {
    my ($what, $body) = @_;
    my $id = sprintf '%08x-%04x-4%03x-8%03x-%012x', time, $$ & 0xffff, ++$key, $key, $key;
    return through("panel: $what", 200, 'POST', '/api/v1/admin/offices/kita/counters/moving',
                   { headers => { %xhr, 'X-CSRF-Token' => $csrf, 'Idempotency-Key' => $id },
                     body => $json->encode($body) });
}
press('受付再開', { action => 'set', status => 'open' });
press('待ち人数 +1', { action => 'issue' }) for 1 .. 4;
press('次の方を呼ぶ', { action => 'call' });
press('番号を指定して呼ぶ', { action => 'call', number => 3 });
press('取消', { action => 'cancel', number => 4 });
press('待ち人数 -1', { action => 'set', waiting => 0 });
press('一時停止', { action => 'set', status => 'paused' });
press('受付終了', { action => 'set', status => 'ended' });
press('再開', { action => 'set', status => 'open' });
press('figures at once', { action => 'set', waiting => 5, calling => 3, last_issued => 8, staff => 2 });
press('お知らせを消す', { action => 'set', message => '' });

# every notice of messages.txt, then the public API shows it as sent
open my $fh, '<:encoding(UTF-8)', "$FindBin::Bin/data/waf/messages.txt" or die "messages.txt: $!";
my @messages = grep { !/^#/ && length } map { s/\s+\z//r } <$fh>;
close $fh;
cmp_ok(scalar @messages, '>=', 60, scalar(@messages) . ' notices');
for my $m (@messages) {
    # no faster than staff type: mado-limits.conf lets an address make
    # 10 updates a second (a burst of 50), and a notice is not a flood
    select(undef, undef, undef, 0.15);
    my $shown = MadoTest::text(length $m > 40 ? substr($m, 0, 37) . '...' : $m);
    press("notice \"$shown\"", { action => 'set', message => $m });
    my $o = data($c->request('GET', '/api/v1/offices/kita'));
    my $moving = MadoTest::find_counter($o->{office}, 'kita', 'moving') || {};
    is($moving->{message}, $m, "notice \"$shown\": the public API shows it");
}
through('panel: logout', 200, 'POST', '/api/v1/admin/logout',
        { headers => { %xhr, 'X-CSRF-Token' => $csrf }, body => '{}' });

# ------------------------------------------------------------ tools: bearer

my $h = { 'Content-Type' => 'application/json', 'User-Agent' => 'curl/7.88.1', Accept => '*/*' };
$r = through('login (bearer)', 200, 'POST', '/api/v1/admin/login',
             { headers => $h, body => $json->encode({ user => 'chief', password => $password }) });
my $token = data($r)->{token};
my $bearer = { %$h, Authorization => "Bearer $token" };
through('session (bearer), no body', 200, 'POST', '/api/v1/admin/session', { headers => $bearer });
through('session (bearer), {}', 200, 'POST', '/api/v1/admin/session', { headers => $bearer, body => '{}' });
through('session, charset=utf-8', 200, 'POST', '/api/v1/admin/session',
        { headers => { %$bearer, 'Content-Type' => 'application/json; charset=utf-8' }, body => '{}' });
my $idem = { %$bearer, 'Idempotency-Key' => 'tablet-3-0001' };
through('updateCounter with an Idempotency-Key', 200, 'POST', '/api/v1/admin/offices/sakyo/counters/moving',
        { headers => $idem, body => '{"action":"set","status":"open","message":"O\'Brien\'s form: desk #2; \"A\" or \"B\"."}' });
through('the same again: the first answer', 200, 'POST', '/api/v1/admin/offices/sakyo/counters/moving',
        { headers => $idem, body => '{"action":"set","status":"open","message":"O\'Brien\'s form: desk #2; \"A\" or \"B\"."}' });
through('updateCounter, escapes in JSON', 200, 'POST', '/api/v1/admin/offices/sakyo/counters/moving',
        { headers => $bearer, body => '{"action":"set","message":"\u7a93\u53e3 #2 \u3078 \/ desk \"2\""}' });
through('a password of punctuation', 401, 'POST', '/api/v1/admin/login',
        { headers => $h, body => $json->encode({ user => 'chief', password => q{' OR 1=1; -- <script>"#} }) });
through('logout (bearer)', 200, 'POST', '/api/v1/admin/logout', { headers => $bearer });

# ------------------------------------------------------------ the feed

my $now = time;
sub stamp { my ($t, $minute) = @_; strftime($minute ? '%Y-%m-%dT%H:%M+09:00' : '%Y-%m-%dT%H:%M:%S+09:00', gmtime($t + 9 * 3600)) }
my $n = 0;
sub batch {
    my ($eol, $counter) = @_;
    $counter //= 'certificates';
    my @l = map { $n++; $json->encode({ time => stamp($now - 600 + $n), event => 'issue', counter => $counter,
                                        ticket => $n }) } 1 .. 3;
    push @l, $json->encode({ time => $now - 300 + $n, event => 'call', counter => $counter, ticket => $n - 2 });
    push @l, qq({"time": "@{[stamp($now - 120, 1)]}", "event": "cancel", "counter": "$counter", "ticket": @{[$n - 1]}});
    return join($eol, @l) . $eol;
}
my $feed = { Authorization => "Bearer $feed_token", 'User-Agent' => 'kita-ticket-pc/1.0' };
for my $type ('application/x-ndjson', 'application/jsonl', 'application/json', 'text/plain',
              'application/x-ndjson; charset=utf-8') {
    $r = through("postFeed as $type", 200, 'POST', '/api/v1/admin/offices/kita/feed',
                 { headers => { %$feed, 'Content-Type' => $type }, body => batch("\n") });
    is(data($r)->{events}, 5, "postFeed as $type: five events");
}
through('postFeed: CRLF, a BOM, blank lines', 200, 'POST', '/api/v1/admin/offices/kita/feed',
        { headers => { %$feed, 'Content-Type' => 'application/x-ndjson' },
          body => "\xef\xbb\xbf" . batch("\r\n") . "\r\n\r\n" });
through('postFeed with an Idempotency-Key', 200, 'POST', '/api/v1/admin/offices/kita/feed',
        { headers => { %$feed, 'Content-Type' => 'application/x-ndjson', 'Idempotency-Key' => 'kita-000123' },
          body => batch("\n", 'moving') });
{
    # a big batch: 4000 events, about 350 KB
    my @l = map { $json->encode({ time => stamp($now - 3000 + $_ / 2), event => 'issue',
                                  counter => 'mynumber', ticket => ($_ % 199) + 1 }) } 1 .. 4000;
    my $body = join("\n", @l) . "\n";
    cmp_ok(length $body, '>', 300_000, 'a batch of ' . length($body) . ' bytes');
    through('postFeed, a big batch', 200, 'POST', '/api/v1/admin/offices/kita/feed',
            { headers => { %$feed, 'Content-Type' => 'application/x-ndjson' }, body => $body });
}
# a batch with a bad line is mado's to refuse, naming the line
$r = through('postFeed, a line mado refuses: its 400', 400, 'POST', '/api/v1/admin/offices/kita/feed',
             { headers => { %$feed, 'Content-Type' => 'application/x-ndjson' },
               body => batch("\n") . qq({"time":$now,"event":"issue","counter":"nosuch","ticket":1}\n) });
like(data($r)->{message} // '', qr/^line \d+:/, 'postFeed: mado names the line');

# ------------------------------------------------------------ madoctl --server

{
    my $ca = "$dir/etc/mado/tls/mado.pem";
    my @rem = ('--server', "https://$host", '--cacert', $ca);
    my %env = (XDG_CONFIG_HOME => "$dir/xdg", HOME => "$dir/home", MADO_SERVER => undef,
               MADO_CACERT => undef, MADO_TOKEN_FILE => undef,
               map { $_ => undef } qw(https_proxy HTTPS_PROXY all_proxy ALL_PROXY MADO_PROXY));
    my $remote = sub {
        my ($what, @args) = @_;
        my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
        my $res = $t->madoctl(@rem, @args, { %$opt, nostore => 1, env => \%env });
        is($res->{exit}, 0, "madoctl --server $what") or diag(MadoTest::text($res->{err}));
        return $res;
    };
    $remote->('login', 'login', '--user', 'tanaka', '--password-stdin', { stdin => "$password\n" });
    $remote->('set', 'set', 'kita', 'moving', '--status', 'open', '--waiting', '3', '--staff', '2',
              '--message', "窓口 #2 へ; it's 5 p.m. \"closing\"");
    $remote->('issue', 'issue', 'kita', 'moving');
    $remote->('call', 'call', 'kita', 'moving');
    my $last = (MadoTest::find_counter(data($c->request('GET', '/api/v1/offices/kita'))->{office},
                                       'kita', 'moving') || {})->{last_issued};
    $remote->('issue', 'issue', 'kita', 'moving');
    $remote->('cancel', 'cancel', 'kita', 'moving', $last + 1);
    $remote->('logout', 'logout');
}

# ------------------------------------------------------------ nothing refused

my @refused = grep { $_->[1]{status} == 403 || ($_->[1]{body} // '') =~ /"error":"(?:bad_query|refused)"/ } @all;
ok(!@refused, scalar(@all) . ' requests: none refused by nginx\'s grammar or the WAF')
    or diag(join "\n", map { "$_->[0]: $_->[1]{status}" } @refused);
my $denials = MadoTest::Staged::denials($t);
ok(!%$denials, 'ModSecurity denied nothing') or diag(join "\n", values %$denials);

MadoTest::Staged::check_error_log($t);
$t->stop;
done_testing;
