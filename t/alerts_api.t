#!/usr/bin/perl

# What the module says of alerts: each counter's "alerts" in the public API
# (what the staff panel shows: stale, stalled, long_wait) and the metrics
# the rules need (mado_desk_stalled_seconds, mado_office_wait_alert_seconds),
# on the test clock with the calendar on: a Tuesday morning, kita open.
# Each condition where it should be and not in its near miss.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempfile);
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $T0 = 1795482000;        # 2026-11-24T10:00:00+09:00, a Tuesday
my $min = 60;
sub at { return { env => { MADO_NOW => $_[0] } } }

my $t = MadoTest->new(clock => 1);
$t->madoctl_ok(qw(init --test-store));

# kita says 30 minutes for a long wait; the others the default hour
my $json = JSON::PP->new->utf8->canonical;
my $doc = do { local (@ARGV, $/) = (MadoTest::offices_json()); $json->decode(<>) };
$_->{id} eq 'kita' and $_->{alert_wait_minutes} = 30 for @{ $doc->{offices} };
my $file = $t->dir . '/offices.json';
open my $fh, '>', $file or die "$file: $!";
print {$fh} $json->encode($doc);
close $fh;
$t->madoctl_ok('load', $file);

# at 10:32: moving called at 10:00, tickets issued since (fresh), 3 waiting:
# stalled, and about 47 minutes: over kita's 30; family, 1 waiting, called
# at 10:10: neither; certificates not updated since 10:10: stale; mynumber
# fresh and empty.  sakyo/moving: 3 waiting, under its hour.
$t->madoctl_ok(qw(set kita moving --status open --waiting 3 --staff 1), at($T0));
$t->madoctl_ok(qw(call kita moving), at($T0));
$t->madoctl_ok(qw(issue kita moving), at($T0 + 25 * $min));
$t->madoctl_ok(qw(set kita family --status open --waiting 2 --staff 1), at($T0));
$t->madoctl_ok(qw(call kita family), at($T0 + 10 * $min));
$t->madoctl_ok(qw(set kita family --waiting 1), at($T0 + 25 * $min));
$t->madoctl_ok(qw(set kita certificates --status open --waiting 0), at($T0 + 10 * $min));
$t->madoctl_ok(qw(set kita mynumber --status open --waiting 0), at($T0 + 25 * $min));
$t->madoctl_ok(qw(set sakyo moving --status open --waiting 3 --staff 1), at($T0 + 31 * $min));

$t->write_config_raw(<<'CONF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar on;
    mado_stale_after 15m;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location = /metrics { mado_metrics; }
    }
}
CONF

{
    local $ENV{MADO_NOW} = $T0 + 32 * $min;
    $t->start;
}

my ($r, $d) = $t->get_json('/api/v1/offices/kita');
is($r->{status}, 200, 'kita: 200');
my %a = map { $_->{id} => $_->{alerts} } @{ $d->{office}{counters} };
is_deeply($a{moving}, [qw(stalled long_wait)], 'moving: stalled 32 minutes, and a wait over kita\'s 30');
is_deeply($a{family}, [], 'family: called 22 minutes ago, under the stall limit');
is_deeply($a{certificates}, ['stale'], 'certificates: 22 minutes without an update: stale');
is_deeply($a{mynumber}, [], 'mynumber: fresh and empty');
my ($cert) = grep { $_->{id} eq 'certificates' } @{ $d->{office}{counters} };
ok($cert->{stale}, 'stale in "alerts" as in "stale"');

($r, $d) = $t->get_json('/api/v1/offices/sakyo');
my ($sm) = grep { $_->{id} eq 'moving' } @{ $d->{office}{counters} };
ok($sm->{wait_minutes} > 30 && $sm->{wait_minutes} < 60, "sakyo/moving waits $sm->{wait_minutes} min");
is_deeply($sm->{alerts}, ['stalled'],
          'sakyo: not a long wait under the default hour (stalled: waiting since the opening)');

($r, $d) = $t->get_json('/api/v1/offices');
my ($km) = map { grep { $_->{id} eq 'moving' } @{ $_->{counters} } } grep { $_->{id} eq 'kita' } @{ $d->{offices} };
is_deeply($km->{alerts}, [qw(stalled long_wait)], 'the same in the list of all offices');

# ------------------------------------------------------------ the metrics

my $m = $t->get('/metrics');
is($m->{status}, 200, 'metrics: 200');
my %v;
for (split /\n/, $m->{body}) {
    next if /^#/;
    my ($k, $val) = /^(\S+) (\S+)$/ or next;
    $v{$k} = $val;
}
my $stalled = $v{'mado_desk_stalled_seconds{office="kita",counter="moving"}'} // -1;
ok($stalled >= 32 * $min && $stalled < 40 * $min, "moving stalled for 32 minutes ($stalled s)");
my $fam = $v{'mado_desk_stalled_seconds{office="kita",counter="family"}'} // -1;
ok($fam >= 22 * $min && $fam < 30 * $min, "family: since its call ($fam s)");
ok(!exists $v{'mado_desk_stalled_seconds{office="kita",counter="mynumber"}'}, 'nobody waiting: no stall series');
my $sk = $v{'mado_desk_stalled_seconds{office="sakyo",counter="moving"}'} // -1;
ok($sk >= 107 * $min && $sk < 115 * $min, "sakyo: waiting since the opening at 08:45 ($sk s)");
is($v{'mado_office_wait_alert_seconds{office="kita"}'}, 1800, "kita's own limit");
ok(!exists $v{'mado_office_wait_alert_seconds{office="sakyo"}'}, 'no series for an office without one');

SKIP: {
    skip 'no promtool', 1 unless -x '/usr/bin/promtool';
    my ($pf, $pfile) = tempfile(DIR => $t->dir, SUFFIX => '.prom');
    print $pf $m->{body};
    close $pf;
    my $out = `/usr/bin/promtool check metrics < $pfile 2>&1`;
    is($? >> 8, 0, 'promtool check metrics: the new families too') or diag($out);
}

$t->stop;
$t->check_logs;

done_testing;
