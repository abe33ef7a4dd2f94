#!/usr/bin/perl

# madoctl issue, call and cancel: the numbers they print and the counter
# they leave; what they refuse (numbers never issued or already called, a
# counter with nobody waiting or ended) changes nothing; numbers wrap.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = 1900000000;            # fixed clock for byte-identical snapshots

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->madoctl_ok(qw(set kita certificates --status open --waiting 0 --calling 0 --last-issued 0));
my @n = map { my $o = $t->madoctl_ok(qw(issue kita certificates)); chomp $o; $o } 1 .. 3;
is_deeply(\@n, [1, 2, 3], 'issue prints 1, 2, 3');
my $c = $t->counter_state('kita', 'certificates');
is($c->{waiting}, 3, 'issue: 3 waiting');
is($c->{last_issued}, 3, 'issue: last_issued 3');

my $o = $t->madoctl_ok(qw(call kita certificates));
chomp $o;
is($o, 1, 'call prints 1');
$c = $t->counter_state('kita', 'certificates');
is($c->{calling}, 1, 'call: calling 1');
is($c->{waiting}, 2, 'call: 2 waiting');

$o = $t->madoctl_ok(qw(issue kita certificates));
chomp $o;
is($o, 4, 'issue prints 4');

$o = $t->madoctl_ok(qw(cancel kita certificates 4));
like($o, qr/cancelled 4/, 'cancel prints "cancelled 4"');
$c = $t->counter_state('kita', 'certificates');
is($c->{waiting}, 2, 'cancel: one fewer waits');
is($c->{last_issued}, 4, 'cancel: last_issued kept');

my $snap = $t->snapshot;
$t->madoctl_exit(1, undef, 'cancel a number never issued', qw(cancel kita certificates 99));
$t->madoctl_exit(1, undef, 'cancel a number already called', qw(cancel kita certificates 1));
$t->madoctl_exit(1, undef, 'cancel 0', qw(cancel kita certificates 0));
$t->madoctl_exit(1, undef, 'cancel abc', qw(cancel kita certificates abc));
$t->madoctl_exit(1, undef, 'call a number not issued yet', qw(call kita certificates 50));
is($t->snapshot, $snap, 'refused ticket commands changed nothing');

$o = $t->madoctl_ok(qw(call kita certificates 3));
chomp $o;
is($o, 3, 'call NUMBER prints it');
$c = $t->counter_state('kita', 'certificates');
is($c->{calling}, 3, 'call NUMBER: calling 3');
is($c->{waiting}, 1, 'call NUMBER: one fewer waits');

$t->madoctl_ok(qw(set kita certificates --waiting 0));
$t->madoctl_exit(1, undef, 'call with nobody waiting', qw(call kita certificates));

$t->madoctl_ok(qw(set kita certificates --status ended));
$t->madoctl_exit(1, undef, 'issue at an ended counter', qw(issue kita certificates));

# kita/certificates numbers run 1..500 (conf.example/offices.json)
$t->madoctl_ok(qw(set kita certificates --status paused --waiting 0 --calling 500 --last-issued 500));
$o = $t->madoctl_ok(qw(issue kita certificates));
chomp $o;
is($o, 1, 'issue at a paused counter after 500 wraps to 1');

$t->check_logs;

done_testing;
