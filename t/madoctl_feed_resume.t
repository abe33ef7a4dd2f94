#!/usr/bin/perl

# madoctl feed: a truncated last line is left for later, a restarted feed
# goes on after it, a file rewritten shorter is read again without counting
# twice, yesterday's lines change nothing.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";


use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events shuffle_seconds voicecall_line summary_of counts_are madoctl_feed);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $DAY = $MadoTest::Feed::DAY;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 4. truncated last line, restart mid-file

{
    my ($ev) = simulate_day($office{higashiyama}, 15);
    my $lines = shuffle_seconds($ev, 9);
    my $text = join('', map { voicecall_line($_) } @$lines);
    my $f = "$dir/higashiyama.log";

    # cut at a second's boundary, then mid-line
    my $k = int(@$lines / 2);
    $k++ while $k < $#$lines && $lines->[$k][0] == $lines->[$k - 1][0];
    my $head = join('', map { voicecall_line($_) } @$lines[0 .. $k - 1]);
    my $partial = substr(voicecall_line($lines->[$k]), 0, 12);
    MadoTest::write_file($f, $head . $partial);

    my $r = madoctl_feed($t, 'higashiyama', 'voicecall', $f);
    is($r->{exit}, 0, 'truncated last line: exit 0');
    like($r->{err}, qr/:${\ ($k + 1)}: incomplete last line/,
         'truncated last line: reported as left for later');
    my @before = grep { $_->[0] < $lines->[$k][0] } @$ev;
    counts_are($t, $office{higashiyama}, count_events(\@before), 'first half: state equals its count');

    # the machine goes on writing; a restarted feed goes on after line k
    MadoTest::write_file($f, $text);
    $r = madoctl_feed($t, 'higashiyama', 'voicecall', $f);
    is($r->{exit}, 0, 'restart mid-file: exit 0');
    like($r->{out}, qr/ $k lines were applied before/, 'restart mid-file: resumed after line k');
    is(summary_of($r)->{applied}, @$lines - $k, 'restart mid-file: only the rest applied');
    counts_are($t, $office{higashiyama}, count_events($ev), 'restart mid-file: state equals the count');

    # rewritten shorter under the same name: read again, counted once
    MadoTest::write_file($f, $head);
    $r = madoctl_feed($t, 'higashiyama', 'voicecall', $f);
    like($r->{err}, qr/reading it from the start/, 'a shortened file is read again');
    counts_are($t, $office{higashiyama}, count_events($ev), 'a shortened file counts nothing twice');

    # yesterday's log after today's: history, the live counts stay
    (my $old = $text) =~ s/^$DAY/20261126/mg;
    MadoTest::write_file("$dir/yesterday.log", $old);
    $r = madoctl_feed($t, 'higashiyama', 'voicecall', "$dir/yesterday.log");
    is(summary_of($r)->{old}, scalar(@$lines), "yesterday's lines: all of an earlier day");
    counts_are($t, $office{higashiyama}, count_events($ev), "yesterday's lines change nothing");
}

$t->check_logs;

done_testing;
