#!/usr/bin/perl

# The number called is one that was issued, going round the counter's
# ticket_range, whoever writes: madoctl set (calling alone raises
# last_issued; both contradicting, or outside the range, refused naming
# the option), call and cancel (numbers not issued refused, call next
# issues for hand-kept counters, wrap-around), and the feed when a call
# is read before its issue.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

# kita/moving's numbers run 1..300 (conf.example/offices.json)
sub figures {
    my ($c) = @_;
    my $s = $t->counter_state('kita', $c);
    return join ' ', map { $s->{$_} } qw(waiting calling last_issued);
}

# ------------------------------------------------------------ set

$t->madoctl_ok(qw(set kita moving --status open --waiting 2 --calling 150));
is(figures('moving'), '2 150 150', 'set --calling alone: the number called was issued');

my $snap = $t->snapshot;
$t->madoctl_exit(1, qr/^madoctl: --calling: 160 would come after last_issued 155/m,
                 'set a calling after the last_issued given', qw(set kita moving --calling 160 --last-issued 155));
$t->madoctl_exit(1, qr/^madoctl: --last-issued: 100 would come before calling 150/m,
                 'set a last_issued before calling', qw(set kita moving --last-issued 100));
$t->madoctl_exit(1, qr/^madoctl: --calling: 301 is outside the counter's ticket_range 1\.\.300/m,
                 'set a calling outside ticket_range', qw(set kita moving --calling 301));
$t->madoctl_exit(1, qr/^madoctl: --last-issued: 400 is outside/m,
                 'set a last_issued outside ticket_range', qw(set kita moving --last-issued 400));
is($t->snapshot, $snap, 'refused sets changed nothing');

# ------------------------------------------------------------ call, cancel

# 11 and 12 wait, and someone called before who never came (an absentee)
$t->madoctl_ok(qw(set kita moving --waiting 3 --calling 10 --last-issued 12));
$snap = $t->snapshot;
$t->madoctl_exit(1, qr/ticket 13 has not been issued \(last issued 12\)/,
                 'call a number not issued', qw(call kita moving 13));
$t->madoctl_exit(1, qr/ticket 301 is outside the counter's ticket_range 1\.\.300/,
                 'call a number outside ticket_range', qw(call kita moving 301));
$t->madoctl_exit(1, qr/ticket 13 has not been issued/,
                 'cancel a number not issued', qw(cancel kita moving 13));
$t->madoctl_exit(1, qr/ticket 9 has already been called \(calling 10\)/,
                 'cancel a number called', qw(cancel kita moving 9));
is($t->snapshot, $snap, 'refused calls and cancels changed nothing');

is($t->madoctl_ok(qw(call kita moving)), "11\n", 'call next: 11');
is($t->madoctl_ok(qw(call kita moving)), "12\n", 'call next: 12');
# a hand-kept counter: staff say someone waits, and call
is($t->madoctl_ok(qw(call kita moving)), "13\n", 'call next with only earlier numbers waiting: 13');
is(figures('moving'), '0 13 13', 'a call of the next number issues it');

# ------------------------------------------------------------ round the range

# 300 and 1 wait; 299 is called
$t->madoctl_ok(qw(set kita moving --waiting 2 --calling 299 --last-issued 1));
is(figures('moving'), '2 299 1', 'calling 299 with 1 issued after the range wrapped');
like($t->madoctl_ok(qw(cancel kita moving 1)), qr/cancelled 1/,
     'cancel 1, issued after the wrap and not called yet');
$t->madoctl_exit(1, qr/ticket 299 has already been called/, 'cancel 299 (called)',
                 qw(cancel kita moving 299));
$t->madoctl_exit(1, qr/ticket 2 has not been issued \(last issued 1\)/, 'call 2 (not issued)',
                 qw(call kita moving 2));
is($t->madoctl_ok(qw(call kita moving)), "300\n", 'call next: 300');
is($t->madoctl_ok(qw(issue kita moving)), "2\n", 'issue: 2');
is($t->madoctl_ok(qw(call kita moving 2)), "2\n", 'call 2 (issued after the wrap)');
is(figures('moving'), '0 2 2', 'round the range: 2 called, 2 issued');
$t->madoctl_ok(qw(set kita moving --waiting 1));
is($t->madoctl_ok(qw(call kita moving 298)), "298\n", 'a re-call of the round before');
is(figures('moving'), '0 298 2', 'calling 298 of the round before, 2 issued');

# ------------------------------------------------------------ the feed

# kita/mynumber: 1, 2, 3 issued, 1 called; then batches out of order
sub feed {
    my ($name, @ev) = @_;
    my $json = JSON::PP->new->canonical;
    MadoTest::write_file("$dir/$name.jsonl", join '', map {
        $json->encode({ time => "2026-11-27T$_->[0]+09:00", event => $_->[1],
                        counter => 'mynumber', ticket => $_->[2] }) . "\n" } @ev);
    $t->madoctl_ok(qw(feed --office kita --format jsonl --quiet), "$dir/$name.jsonl");
}

feed('a', [ '09:00:00', 'issue', 1 ], [ '09:01:00', 'issue', 2 ], [ '09:02:00', 'issue', 3 ],
          [ '09:10:00', 'call', 1 ]);
is(figures('mynumber'), '2 1 3', 'the feed: 1 called, 3 issued');
feed('b', [ '09:20:00', 'call', 5 ]);
is(figures('mynumber'), '2 5 5', 'a call read before its issue: the call proves the issue');
feed('c', [ '09:15:00', 'issue', 4 ]);
is(figures('mynumber'), '3 5 5', 'an issue before it read later: calling still not after last_issued');
feed('d', [ '09:16:00', 'issue', 5 ], [ '09:18:00', 'issue', 6 ]);
is(figures('mynumber'), '4 5 6', 'the rest read: as if read in order (2, 3, 4, 6 wait)');

$t->check_logs;

done_testing;
