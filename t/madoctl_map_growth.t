#!/usr/bin/perl

# A store made with a small map outgrows it: madoctl doubles the map when
# full, every write succeeds, and everything written reads back.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $g = MadoTest->new;
$ENV{MADO_NOW} = 1900000000;

my $r = $g->madoctl(qw(init --map-size 65536));
is($r->{exit}, 0, 'init --map-size 65536') or diag(MadoTest::text($r->{err}));

# 40 offices: some 200 KB of definitions, more than the map holds
my $big = MadoTest::generated_offices(offices => 40, counters => 4);
my $f = MadoTest::write_json_file($g->dir . '/big.json', $big);
$g->madoctl_ok('load', $f);

my $n = 0;
my $fails = 0;
my $last;
for my $o (@{ $big->{offices} }) {
    for my $c (@{ $o->{counters} }) {
        $n++;
        $last = sprintf('%04d ', $n) . ('長いお知らせ' x 15);    # 5 + 270 bytes
        my $r2 = $g->madoctl('set', $o->{id}, $c->{id}, '--status', 'open',
            '--waiting', $n % 100, '--message', $last);
        $fails++, diag(MadoTest::text("set $o->{id} $c->{id}: exit $r2->{exit}: $r2->{err}")) if $r2->{exit};
    }
}
is($fails, 0, "$n sets with 275-byte messages succeed");
my $size = -s $g->store . '/data.mdb';
ok($size > 65536, "data.mdb grew beyond 65536 ($size)");

my $d = $g->show_json;
my $lo = $big->{offices}[-1];
is(MadoTest::find_counter($d, $lo->{id}, $lo->{counters}[-1]{id})->{message}, $last,
    'the last message reads back');
is(scalar(grep { MadoTest::find_office($d, $_->{id}) } @{ $big->{offices} }), 40, 'all 40 offices shown');

$g->check_logs;

done_testing;
