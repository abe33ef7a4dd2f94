#!/usr/bin/perl

# Citizen pages over HTTP, the parts a browser does not show: language
# negotiation and its cookie, catalogs reported by "nginx -t", gzip variants
# and their ETags, QR codes, 404/405/503 pages, escaping of what a request
# carries.  (Rendering, accessibility and the script: t/browser/.)

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use File::Copy qw(copy);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $repo = MadoTest::repo();
my $t = MadoTest->new;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 4 --calling 17));

my $pages = "mado_messages $repo/conf.example/i18n;\n"
    . "    mado_assets $repo/conf.example/assets;\n"
    . "    mado_public_url https://mado.example.jp/;\n"
    . "    mado_refresh 20s;";

$t->write_config($pages, 'location / { mado_pages; }');
$t->start;

sub body { decode_utf8($_[0]{body}) }

# ------------------------------------------------------------------ languages

my $r = $t->http('GET', '/kita');
is($r->{status}, 200, 'office page: 200');
like($r->{headers}{'content-type'}, qr{^text/html; charset=utf-8$}, 'HTML, UTF-8');
like(body($r), qr{<html lang="ja" data-lang="ja" data-page="office" data-office="kita"}, 'Japanese by default');
like(body($r), qr{data-refresh="20"}, 'mado_refresh reaches the page');
like($r->{headers}{vary} // '', qr/Accept-Language/, 'Vary: Accept-Language');
ok(!defined $r->{headers}{'set-cookie'}, 'no cookie without ?lang=');
like(body($r), qr{<dd class="calling">17</dd>}, 'the figures are in the HTML');

my %accept = (
    'en-US,en;q=0.9'            => 'en',
    'zh-TW,zh;q=0.8'            => 'zh-Hant',
    'zh-CN'                     => 'zh-Hans',
    'zh-Hant-HK'                => 'zh-Hant',
    'ko-KR,ja;q=0.5'            => 'ko',
    'fr-FR,en;q=0.3,ko;q=0.7'   => 'ko',
    'fr-FR'                     => 'ja',
    'en;q=0, ko;q=0.1'          => 'ko',
);

for my $al (sort keys %accept) {
    $r = $t->http('GET', '/kita', { headers => { 'Accept-Language' => $al } });
    like(body($r), qr{<html lang="\Q$accept{$al}\E"}, "Accept-Language: $al -> $accept{$al}");
}

$r = $t->http('GET', '/kita?lang=ko', { headers => { 'Accept-Language' => 'en' } });
like(body($r), qr{<html lang="ko"}, '?lang= wins over Accept-Language');
like($r->{headers}{'set-cookie'} // '', qr{^mado_lang=ko; Path=/; Max-Age=\d+; SameSite=Lax$},
    '?lang= is remembered in a cookie');
like($r->{headers}{'cache-control'} // '', qr/^private/, 'a response setting a cookie is private');

$r = $t->http('GET', '/', { headers => { Cookie => 'a=b; mado_lang=zh-hant', 'Accept-Language' => 'en' } });
like(body($r), qr{<html lang="zh-Hant"}, 'the cookie wins over Accept-Language');

$r = $t->http('GET', '/?lang=ja-easy');
like(body($r), qr{<html lang="ja"}, 'やさしい日本語 is Japanese to the browser');
like(body($r), qr{"lang\.name":"やさしい}, 'and carries its own catalog');

$r = $t->http('GET', '/kita?lang=%3Cscript%3E', { headers => { Cookie => 'mado_lang=<x>' } });
is($r->{status}, 200, 'an unknown ?lang= is ignored');
unlike(body($r), qr{<script>|<x>}, 'and never reflected');
ok(!defined $r->{headers}{'set-cookie'}, 'nor remembered');

# ------------------------------------------------------------------ gzip, ETag

my $plain = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja' } });
my $gz = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja', 'Accept-Encoding' => 'gzip, br' } });
is($gz->{headers}{'content-encoding'}, 'gzip', 'gzip when accepted');
ok(!defined $plain->{headers}{'content-encoding'}, 'plain otherwise');
my $unz;
gunzip(\$gz->{body} => \$unz) or diag($GunzipError);
is($unz, $plain->{body}, 'the gzip body is the plain body');
isnt($gz->{headers}{etag}, $plain->{headers}{etag}, 'each encoding has its own ETag');
ok(length($gz->{body}) < length($plain->{body}) / 2, 'and it is smaller');

$r = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja', 'Accept-Encoding' => 'gzip',
                                             'If-None-Match' => $gz->{headers}{etag} } });
is($r->{status}, 304, 'If-None-Match on the gzip ETag: 304');

$t->madoctl_ok(qw(call kita moving));
$r = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja' } });
like(body($r), qr{<dd class="calling">18</dd>}, 'a write shows on the next page request');
isnt($r->{headers}{etag}, $plain->{headers}{etag}, 'with a new ETag');

# ------------------------------------------------------------------ jam messages

# offices.json: moving has "from": 10 and "from": 20; 15.8 minutes a person at kita
$t->madoctl_ok(qw(set kita moving --waiting 12));
my ($jr, $jd) = $t->get_json('/api/v1/offices/kita');
my ($jc) = grep { $_->{id} eq 'moving' } @{ $jd->{office}{counters} };
my ($low, $high) = @{ $jc->{wait_range} }{qw(low high)};
is($jc->{jam_message}{ja}, "ただいま混みあっています。待ち時間の目安は${low}分から${high}分です。",
    'API: the jam message for 12 waiting, with the range filled in');
is($jc->{jam_message}{en}, "It is busy now. Expect to wait $low to $high minutes.", 'in every language');
$r = $t->http('GET', '/kita?lang=ko');
like(body($r), qr{<p class="jam">현재 혼잡합니다\. 예상 대기 시간은 \Q$low~$high\E분입니다\.</p>},
    'page: in the page language');
$t->madoctl_ok(qw(set kita moving --waiting 25));
($jr, $jd) = $t->get_json('/api/v1/offices/kita');
($jc) = grep { $_->{id} eq 'moving' } @{ $jd->{office}{counters} };
like($jc->{jam_message}{ja}, qr/^大変混みあっています/, '25 waiting: the next step');
$t->madoctl_ok(qw(set kita moving --waiting 3));
($jr, $jd) = $t->get_json('/api/v1/offices/kita');
($jc) = grep { $_->{id} eq 'moving' } @{ $jd->{office}{counters} };
ok(!defined $jc->{jam_message}, 'below the first step: none');
$t->madoctl_ok(qw(set kita moving --waiting 30 --status paused));
($jr, $jd) = $t->get_json('/api/v1/offices/kita');
($jc) = grep { $_->{id} eq 'moving' } @{ $jd->{office}{counters} };
ok(!defined $jc->{jam_message}, 'paused: none (the wait is unknown)');
$t->madoctl_ok(qw(set kita moving --waiting 4 --status open));

# ------------------------------------------------------------------ assets, QR

my ($css) = body($plain) =~ m{href="(/assets/mado\.[0-9a-f]{8}\.css)"};
my ($js) = body($plain) =~ m{src="(/assets/mado\.[0-9a-f]{8}\.js)"};
ok($css && $js, 'hashed asset URLs');
for my $a (grep { defined } $css, $js) {
    $r = $t->http('GET', $a);
    is($r->{status}, 200, "$a: 200");
    like($r->{headers}{'cache-control'} // '', qr/max-age=31536000/, "$a: cached for a year");
}
$r = $t->http('GET', '/assets/mado.00000000.css');
is($r->{status}, 404, 'an asset of another version: 404');

$r = $t->http('GET', '/kita/qr.svg');
is($r->{status}, 200, 'QR code: 200');
is($r->{headers}{'content-type'}, 'image/svg+xml', 'as SVG');
like($r->{body}, qr{^<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 (\d+) \1"}, 'square');
like($r->{body}, qr{aria-label="https://mado\.example\.jp/kita"}, 'of the public URL (no double slash)');
like($r->{body}, qr{<path fill="#000" d="(M\d+,\d+h1v1h-1z)+"/>}, 'one path of modules');

# ------------------------------------------------------------------ errors

$r = $t->http('GET', '/nosuch');
is($r->{status}, 404, 'unknown office: 404');
like(body($r), qr{<h1>ページが見つかりません</h1>}, 'a page that says so');
unlike(body($r), qr{data-api=}, 'which polls nothing');

$r = $t->http('GET', '/kita/a/b/c');
is($r->{status}, 404, 'too deep: 404');

$r = $t->http('GET', '/%3Cb%3E?lang=en');
is($r->{status}, 404, 'markup in the path: 404');
unlike(body($r), qr{<b>}, 'not reflected');

$r = $t->http('POST', '/kita', { body => 'x=1' });
is($r->{status}, 405, 'POST: 405');
is($r->{headers}{allow}, 'GET, HEAD', 'with Allow');

$r = $t->http('HEAD', '/kita');
is($r->{status}, 200, 'HEAD: 200');
is($r->{body}, '', 'HEAD: no body');

# the store goes away: a 503 page, and back
rename $t->store, $t->store . '.away' or die $!;
sleep 1.2;
$r = $t->http('GET', '/kita');
is($r->{status}, 503, 'store gone: 503');
like(body($r), qr{<h1>ただいま混雑状況を表示できません</h1>}, 'a page that says so');
rename $t->store . '.away', $t->store or die $!;
sleep 1.2;
$r = $t->http('GET', '/kita');
is($r->{status}, 200, 'store back: 200 without a restart');
$t->allow_log(qr/mado store unavailable/);

$t->stop;

# ------------------------------------------------------------------ nginx -t

# a catalog missing a key: nginx -t names it and Japanese is used
my $i18n = $t->dir . '/i18n';
mkdir $i18n or die $!;
copy("$repo/conf.example/i18n/$_.json", "$i18n/$_.json") or die $!
    for qw(ja en zh-hans zh-hant ko ja-easy);
my $en = do { local (@ARGV, $/) = "$i18n/en.json"; <> };
$en =~ s/\s*"myticket\.clear":\s*"[^"]*",//s or die 'no myticket.clear in en.json';
open my $fh, '>', "$i18n/en.json" or die $!;
print $fh $en;
close $fh;

(my $pages2 = $pages) =~ s{\Q$repo\E/conf\.example/i18n}{$i18n};
$t->write_config($pages2, 'location / { mado_pages; }');
my ($rc, $out) = $t->nginx_test;
is($rc, 0, 'nginx -t passes with an incomplete catalog');
like($out, qr{\[warn\].*"en" lacks "myticket\.clear", the Japanese text is used}, 'and names the missing key');

# the Japanese catalog must be complete
my $ja = do { local (@ARGV, $/) = "$i18n/ja.json"; <> };
$ja =~ s/\s*"myticket\.clear":\s*"[^"]*",//s or die;
open $fh, '>', "$i18n/ja.json" or die $!;
print $fh $ja;
close $fh;
($rc, $out) = $t->nginx_test;
isnt($rc, 0, 'nginx -t refuses an incomplete Japanese catalog');
like($out, qr{\[emerg\].*"ja" lacks "myticket\.clear"}, 'naming the key');

# mado_pages without its directives
$t->write_config('', 'location / { mado_pages; }');
($rc, $out) = $t->nginx_test;
like($out, qr{"mado_pages" directive requires "mado_messages", "mado_assets" and "mado_public_url"},
    'mado_pages says what it needs');

done_testing;
