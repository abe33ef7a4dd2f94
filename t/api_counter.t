#!/usr/bin/perl

# What the JSON API says of a counter after madoctl writes it: status,
# waiting and the promised wait_minutes, message (any text, escaped),
# calling and last_issued; each issue and call shows on the next request.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode ();
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $conf = MadoTest::read_json_file();
my %def = map { $_->{id} => $_ } @{ $conf->{offices} };

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

# seconds per person as the store keeps it, and the promised wait
sub spp { my ($c) = @_; return int($c->{minutes_per_person} * 60 + 0.5) }
# the estimate before any call was seen, staff unknown (docs/api.md):
# those waiting and half a call (staff unknown) at the configured
# minutes_per_person, to the nearest minute
sub promised_minutes {
    my ($o, $c, $waiting) = @_;
    my ($cd) = grep { $_->{id} eq $c } @{ $def{$o}{counters} };
    return 0 if $waiting == 0;
    my $seconds = int(($waiting + 0.5) * spp($cd) + 0.5);
    return int(($seconds + 30) / 60);
}

# ------------------------------------------------------------------ wait_minutes, status, message

$t->madoctl_ok(qw(set kita moving --status open --waiting 7));
my (undef, $c) = $t->api_counter('kita', 'moving');
is($c->{status}, 'open', 'set --status open shows');
is($c->{waiting}, 7, 'set --waiting 7 shows');
is($c->{wait_minutes}, promised_minutes('kita', 'moving', 7),
   'wait_minutes = 7.5 x 15.8, rounded = ' . promised_minutes('kita', 'moving', 7));
ok(MadoTest::is_json_number($c->{wait_minutes}), 'wait_minutes is a number');

for my $case ([ 'kita', 'certificates', 3 ], [ 'fushimi', 'family', 1 ], [ 'rakusai', 'mynumber', 11 ],
              [ 'kita', 'family', 0 ])
{
    my ($o, $cn, $w) = @$case;
    $t->madoctl_ok('set', $o, $cn, '--status', 'open', '--waiting', $w);
    (undef, $c) = $t->api_counter($o, $cn);
    is($c->{wait_minutes}, promised_minutes($o, $cn, $w),
       "$o/$cn: $w waiting -> wait_minutes " . promised_minutes($o, $cn, $w));
}

for my $st (qw(paused closed ended)) {
    $t->madoctl_ok('set', 'kita', 'moving', '--status', $st);
    (undef, $c) = $t->api_counter('kita', 'moving');
    is($c->{status}, $st, "status $st shows");
    ok(exists $c->{wait_minutes} && !defined $c->{wait_minutes}, "$st: wait_minutes null");
    is($c->{waiting}, 7, "$st: waiting kept");
}

my $msg = '本日は大変混み合っております "quoted" \\ back <tag> & </script> 🎌';
$t->madoctl_ok('set', 'kita', 'moving', '--status', 'open', '--message', Encode::encode_utf8($msg));
(undef, $c) = $t->api_counter('kita', 'moving');
is($c->{message}, $msg, 'message with Japanese, quotes, backslash, emoji round-trips');
(undef, $c) = $t->api_counter('kita', 'certificates');
ok(!defined $c->{message}, 'other counters keep message null');

$t->madoctl_ok(qw(set kita moving --calling 12 --last-issued 19));
(undef, $c) = $t->api_counter('kita', 'moving');
is($c->{calling}, 12, '--calling shows');
is($c->{last_issued}, 19, '--last-issued shows');

# ------------------------------------------------------------------ write then read

$t->madoctl_ok(qw(set kita moving --status open --waiting 0 --calling 0 --last-issued 0));
for my $i (1 .. 5) {
    my $n = $t->madoctl_ok(qw(issue kita moving));
    chomp $n;
    like($n, qr/^\d+$/, "issue prints a number ($n)");
    (undef, $c) = $t->api_counter('kita', 'moving');
    is($c->{last_issued}, $n, "issue $i: next GET shows last_issued $n");
    is($c->{waiting}, $i, "issue $i: next GET shows waiting $i");
}
for my $i (1 .. 3) {
    my $n = $t->madoctl_ok(qw(call kita moving));
    chomp $n;
    like($n, qr/^\d+$/, "call prints a number ($n)");
    (undef, $c) = $t->api_counter('kita', 'moving');
    is($c->{calling}, $n, "call $i: next GET shows calling $n");
    my ($r2, $l) = $t->get_json('/api/v1/offices');
    is(MadoTest::find_counter($l, 'kita', 'moving')->{calling}, $n, "call $i: list shows it too");
}

$t->stop;

done_testing;
