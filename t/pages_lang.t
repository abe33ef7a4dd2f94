#!/usr/bin/perl

# Citizen pages over HTTP, the parts a browser does not show (rendering,
# accessibility and the script: t/browser/): the page's language from
# Accept-Language, ?lang= (remembered in a cookie) or the cookie; an
# unknown language is ignored and never reflected.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 4 --calling 17));

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_messages %%REPO%%/conf.example/i18n;
    mado_assets %%REPO%%/conf.example/assets;
    mado_public_url https://mado.example.jp/;
    mado_refresh 20s;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location / { mado_pages; }
    }
}
EOF
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

$t->stop;

done_testing;
