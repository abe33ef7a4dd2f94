#!/usr/bin/perl

# madoctl feed: a voicecall log with minutes only (the file's order
# orders the lines of a minute), and the jsonl format with every kind of
# bad line named.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";


use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events shuffle_seconds voicecall_line jsonl_line summary_of counts_are madoctl_feed stamp_events report_is);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 3. minutes only, jsonl

{
    # a machine that writes HH:MM: the stamps order the minutes, the
    # file's order the lines of one minute
    my ($ev) = simulate_day($office{shimogyo}, 13);
    $ev = stamp_events($ev, 'minutes');
    my $lines = shuffle_seconds($ev, 7);
    my $f = "$dir/shimogyo.log";
    MadoTest::write_file($f, join('', map { voicecall_line($_) } @$lines));
    my $r = madoctl_feed($t, 'shimogyo', 'voicecall', $f);
    is($r->{exit}, 0, 'HH:MM: exit 0') or diag(MadoTest::text($r->{err}));
    counts_are($t, $office{shimogyo}, count_events($ev), 'HH:MM times: state equals the count');
    report_is($t, $office{shimogyo}, $ev, 'HH:MM times: the waits of the report equal their count');

    my ($ev2) = simulate_day($office{nakagyo}, 14);
    my $jl = shuffle_seconds($ev2, 8);
    my $fj = "$dir/nakagyo.jsonl";
    MadoTest::write_file($fj, join('', map { jsonl_line($_) } @$jl)
                    . qq({"time": "2026-11-27T10:00:00+09:00", "event": "serve", "counter": "moving", "ticket": 101}\n)
                    . qq({"time": "2026-11-27T10:00:00+09:00", "event": "issue", "counter": "lobby", "ticket": 1}\n)
                    . qq({"time": "yesterday", "event": "issue", "counter": "moving", "ticket": 101}\n)
                    . qq({"event": "issue", "counter": "moving", "ticket": 101}\n)
                    . qq([1, 2]\n)
                    . qq({"time": 1795739400, "event": "call", "counter": "moving", "ticket": 0}\n)
                    . qq({"time": 1795739400, "event": "call",\n));
    $r = madoctl_feed($t, 'nakagyo', 'jsonl', $fj);
    is($r->{exit}, 0, 'jsonl: exit 0') or diag(MadoTest::text($r->{err}));
    like($r->{err}, qr/"event" must be/, 'jsonl: a bad event is named');
    like($r->{err}, qr/no counter "lobby"/, 'jsonl: an unknown counter is named');
    like($r->{err}, qr/"time" must be ISO 8601/, 'jsonl: a bad time is named');
    like($r->{err}, qr/"time" is required/, 'jsonl: a missing time is named');
    like($r->{err}, qr/not a JSON object/, 'jsonl: an array is refused');
    like($r->{err}, qr/"ticket" must be/, 'jsonl: ticket 0 is refused');
    like($r->{err}, qr/not JSON/, 'jsonl: broken JSON is named');
    is(summary_of($r)->{bad}, 7, 'jsonl: 7 bad lines counted');
    counts_are($t, $office{nakagyo}, count_events($ev2), 'jsonl: state equals the count');
}

$t->check_logs;

done_testing;
