#!/usr/bin/perl

# Stale counters: an open counter not updated for mado_stale_after says
# "stale": true in the API (office and list); a fresh write clears it;
# counters that are not open are never stale.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use Time::HiRes qw(time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 15m;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

# madoctl writes "now" as MADO_NOW says; nginx runs on the real clock
my $now = int time;
$t->madoctl_ok(qw(set kita moving --status open --waiting 2), { env => { MADO_NOW => $now - 3600 } });
my (undef, $c) = $t->api_counter('kita', 'moving');
ok(JSON::PP::is_bool($c->{stale}) && $c->{stale}, 'open and updated an hour ago: stale true');
is(MadoTest::parse_jst($c->{updated_at}), $now - 3600, 'updated_at is MADO_NOW');
{
    my (undef, $l) = $t->get_json('/api/v1/offices');
    ok(MadoTest::find_counter($l, 'kita', 'moving')->{stale}, 'stale in the list as well');
}

$t->madoctl_ok(qw(set kita moving --status open --waiting 2));
(undef, $c) = $t->api_counter('kita', 'moving');
ok(JSON::PP::is_bool($c->{stale}) && !$c->{stale}, 'a fresh set: stale false');
ok(abs(MadoTest::parse_jst($c->{updated_at}) - time) <= 5, 'updated_at is now');

$t->madoctl_ok(qw(set kita moving --waiting 3), { env => { MADO_NOW => $now - 14 * 60 } });
(undef, $c) = $t->api_counter('kita', 'moving');
ok(!$c->{stale}, '14 minutes old with stale_after 15m: not stale');

$t->madoctl_ok(qw(set kita moving --waiting 3), { env => { MADO_NOW => $now - 16 * 60 } });
(undef, $c) = $t->api_counter('kita', 'moving');
ok($c->{stale}, '16 minutes old: stale');

for my $st (qw(closed paused ended)) {
    $t->madoctl_ok('set', 'kita', 'family', '--status', $st, { env => { MADO_NOW => $now - 3600 } });
    (undef, $c) = $t->api_counter('kita', 'family');
    ok(JSON::PP::is_bool($c->{stale}) && !$c->{stale}, "$st an hour ago: not stale");
}

$t->stop;

done_testing;
