#!/usr/bin/perl

# madoctl simulate: runs for its --duration and leaves valid, changed
# counters; a speed or interval of 0 is refused naming the option.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = 1900000000;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
my $conf = MadoTest::read_json_file();

my $snap = $t->snapshot;
my $t0 = time;
my $r = $t->madoctl(qw(simulate --duration 2 --interval 0.2 --speed 600 --seed 7), { timeout => 30 });
my $el = time - $t0;
is($r->{exit}, 0, 'simulate --duration 2: exit 0') or diag(MadoTest::text($r->{err}));
ok($el < 8, sprintf('simulate stopped after its duration (%.1f s)', $el));

my $d = $t->show_json;
my ($changed, $bad) = (0, 0);
for my $o (@{ $conf->{offices} }) {
    for my $cd (@{ $o->{counters} }) {
        my $c = MadoTest::find_counter($d, $o->{id}, $cd->{id}) or next;
        $bad++ unless $c->{status} =~ /^(open|paused|closed|ended)$/
            && $c->{waiting} >= 0 && $c->{waiting} <= 9999
            && $c->{last_issued} <= 9999 && $c->{calling} <= 9999;
        $changed++ if $c->{status} ne 'closed';
    }
}
is($bad, 0, 'simulate leaves valid states');
ok($changed > 0, "simulate opened counters ($changed)");
isnt($t->snapshot, $snap, 'simulate changed the store');

$t->madoctl_exit(1, qr/--speed/, 'simulate --speed 0', qw(simulate --duration 1 --speed 0));
$t->madoctl_exit(1, qr/--interval/, 'simulate --interval 0', qw(simulate --duration 1 --interval 0));

$t->check_logs;

done_testing;
