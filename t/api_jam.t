#!/usr/bin/perl

# Jam messages: from the steps of offices.json ("from" waiting), with the
# wait range filled in, in every language in the API and in the page's
# language on the page; none below the first step or when paused.

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

# ------------------------------------------------------------------ jam messages

my $r;

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

$t->stop;

done_testing;
