#!/usr/bin/perl

# madoctl show: every counter of a loaded store, closed with nobody waiting,
# as text and --json, for all offices or one; an unknown office is refused.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = 1900000000;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
my $conf = MadoTest::read_json_file();

my $all = $t->show_json;
for my $o (@{ $conf->{offices} }) {
    for my $cd (@{ $o->{counters} }) {
        my $c = MadoTest::find_counter($all, $o->{id}, $cd->{id});
        ok($c, "show --json has $o->{id}/$cd->{id}") or next;
        is($c->{status}, 'closed', "$o->{id}/$cd->{id} starts closed");
        is($c->{waiting}, 0, "$o->{id}/$cd->{id} waiting 0");
    }
}

my $r = $t->madoctl('show');
is($r->{exit}, 0, 'show (text): exit 0');
like($r->{out}, qr/kita/, 'show lists kita');
like($r->{out}, qr/rakusai/, 'show lists rakusai');

$r = $t->madoctl(qw(show kita));
is($r->{exit}, 0, 'show kita: exit 0');
like($r->{out}, qr/moving/, 'show kita lists its counters');

my $k = $t->show_json('kita');
ok(MadoTest::find_office($k, 'kita'), 'show kita --json has kita');
ok(!MadoTest::find_office($k, 'sakyo'), 'show kita --json has only kita');

$t->madoctl_exit(1, qr/nosuch/, 'show unknown office', qw(show nosuch));

$t->check_logs;

done_testing;
