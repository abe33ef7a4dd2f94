#!/usr/bin/perl

# Citizen pages: 404 and 405 pages, HEAD, markup in the path never
# reflected, and a 503 page while the store is away, back without a
# restart.

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

# ------------------------------------------------------------------ errors

my $r = $t->http('GET', '/nosuch');
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

# the store goes away: a 503 page, and back.  A worker looks at the store
# on a request in a later second than its last look: the next second.
rename $t->store, $t->store . '.away' or die $!;
$t->wait_next_second;
$r = $t->http('GET', '/kita');
is($r->{status}, 503, 'store gone: 503');
like(body($r), qr{<h1>ただいま混雑状況を表示できません</h1>}, 'a page that says so');
rename $t->store . '.away', $t->store or die $!;
$t->wait_next_second;
$r = $t->http('GET', '/kita');
is($r->{status}, 200, 'store back: 200 without a restart');
$t->allow_log(qr/mado store unavailable/);

$t->stop;

done_testing;
