#!/usr/bin/perl

# madoctl feed: a ticket machine's voicecall log (a whole generated day,
# the lines of one second shuffled) into the counters, which must equal an
# independent count of the events and the generator's own queue; fed
# again, as a copy, or every line twice, nothing counts twice.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Copy qw(copy);
use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events expected_of shuffle_seconds voicecall_line summary_of counts_are madoctl_feed);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 1. voicecall

{
    my ($ev, $end) = simulate_day($office{kita}, 11);
    my $counts = count_events($ev);
    is_deeply(expected_of($office{kita}, $counts), expected_of($office{kita}, $end),
              'generator: the independent count agrees with its queue');
    my @wraps = grep { $_->[1] == 0 && $_->[3] == 1 } @$ev;
    cmp_ok(scalar(@wraps), '>=', 2, 'the certificates range wraps during the day');
    my $same = 0;
    for my $i (1 .. $#$ev) { $same++ if $ev->[$i][0] == $ev->[$i - 1][0] }
    cmp_ok($same, '>', 20, 'many events share their second');

    my $lines = shuffle_seconds($ev, 5);
    my $f = "$dir/kita.log";
    MadoTest::write_file($f, join('', map { voicecall_line($_) } @$lines));

    my $r = madoctl_feed($t, 'kita', 'voicecall', $f);
    is($r->{exit}, 0, 'voicecall: exit 0') or diag(MadoTest::text($r->{err}));
    is($r->{err}, '', 'voicecall: nothing reported');
    is_deeply(summary_of($r), { lines => scalar(@$lines), applied => scalar(@$lines),
                                dup => 0, old => 0, bad => 0 },
              'voicecall: summary counts every line as applied');
    counts_are($t, $office{kita}, $counts, 'voicecall (LF, shuffled seconds): state equals the count');

    $r = madoctl_feed($t, 'kita', 'voicecall', $f);
    is($r->{exit}, 0, 'fed again: exit 0');
    like($r->{out}, qr/0 lines: 0 applied.*${\ scalar(@$lines)} lines were applied before/,
         'fed again: every line known as applied');
    counts_are($t, $office{kita}, $counts, 'fed again: nothing counted twice');

    copy($f, "$dir/kita-copy.log") or die "copy: $!";
    $r = madoctl_feed($t, 'kita', 'voicecall', "$dir/kita-copy.log");
    counts_are($t, $office{kita}, $counts, 'a copy under another name: nothing counted twice');

    # every line twice (a machine that repeats itself): known, not counted
    my $f2 = "$dir/kita-twice.log";
    MadoTest::write_file($f2, "#header\n" . join('', map { voicecall_line($_) x 2 } @$lines));
    $r = madoctl_feed($t, 'kita', 'voicecall', $f2);
    is($r->{exit}, 0, 'doubled lines: exit 0');
    is(summary_of($r)->{applied}, 0, 'doubled lines of events already applied: none applied');
    is(summary_of($r)->{bad}, 1, 'the header line is bad');
    like($r->{err}, qr/kita-twice\.log:1: /, 'bad line reported with file and line');
    counts_are($t, $office{kita}, $counts, 'doubled lines: state unchanged');
}

$t->check_logs;

done_testing;
