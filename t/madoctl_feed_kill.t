#!/usr/bin/perl

# madoctl feed killed with SIGKILL mid-feed: the store opens and reads at
# any moment, and a restarted feed completes the count.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use POSIX ();
use Time::HiRes qw(sleep);
use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events shuffle_seconds voicecall_line show_counts counts_are madoctl_feed);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 5. kill -9 mid-feed

{
    my ($ev) = simulate_day($office{sakyo}, 16, rate => 1 / 20);
    my $lines = shuffle_seconds($ev, 10);
    my $f = "$dir/sakyo.log";
    MadoTest::write_file($f, join('', map { voicecall_line($_) } @$lines));
    my @argv = $t->madoctl_argv(qw(feed --office sakyo --format voicecall --batch 20), $f);
    my %env = $t->madoctl_env;
    my $killed = 0;
    for my $delay (0.005, 0.01, 0.02, 0.04) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            @ENV{ keys %env } = values %env;
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', '/dev/null';
            exec @argv or POSIX::_exit(127);
        }
        sleep $delay;               # the moment of the kill, not a wait for anything
        $killed++ if kill 'KILL', $pid;
        waitpid($pid, 0);
        # killed at any moment: the store opens and reads
        my $s = show_counts($t, 'sakyo');
        ok(defined $s->{certificates}, "after kill -9 at ${delay}s the store reads");
    }
    my $r = madoctl_feed($t, 'sakyo', 'voicecall', $f);
    is($r->{exit}, 0, 'after kill -9: the feed completes');
    counts_are($t, $office{sakyo}, count_events($ev), 'after kill -9 and a restart: state equals the count');
    note("events in the kill -9 fixture: " . scalar(@$lines));
}

$t->check_logs;

done_testing;
