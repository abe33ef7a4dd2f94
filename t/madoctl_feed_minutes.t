#!/usr/bin/perl

# madoctl feed: machines that stamp some lines HH:MM and others HH:MM:SS.
# A minute stamp is a minute, not its first second: a call stamped 10:31
# after its issue at 10:31:20 serves it (the issue's own lines), an issue
# stamped 11:48 after one at 11:48:10 is the last issued, in one batch or
# two; so in jsonl without seconds.  Then generated days (feed_day): minutes only in UTF-8, cut inside
# a minute and fed again; calls to the minute in Shift_JIS with batches of
# 3 lines.  The busy days are in madoctl_feed_busy.t.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store summary_of show_counts madoctl_feed report_of feed_day);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $DAY = $MadoTest::Feed::DAY;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times (certificates 1..60)
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ the issue's lines

{
    # the call stamped to the minute after its issue: served, waited 0
    MadoTest::write_file("$dir/a.log", "$DAY,10:31:20,0,41,5\n$DAY,10:31,1,41,5\n");
    my $r = madoctl_feed($t, 'kita', 'voicecall', "$dir/a.log");
    is(summary_of($r)->{applied}, 2, '10:31:20 issue, 10:31 call: 2 applied');
    is_deeply(show_counts($t, 'kita')->{mynumber},
              { waiting => 0, served_today => 1, calling => 5, last_issued => 5 },
              'the call serves the ticket: nobody waits');

    # 5 again after the range wrapped, called 4 minutes later
    MadoTest::write_file("$dir/b.log", "$DAY,15:31:00,0,41,5\n$DAY,15:35,1,41,5\n");
    madoctl_feed($t, 'kita', 'voicecall', "$dir/b.log");
    is_deeply(show_counts($t, 'kita')->{mynumber},
              { waiting => 0, served_today => 2, calling => 5, last_issued => 5 },
              'the next round: served too');
    is_deeply(report_of($t, 'kita')->{mynumber}, { 10 => '1,1,0,0.0,0.0', 15 => '1,1,0,4.0,4.0' },
              'the report: waits of 0 and 4 minutes');

    # an issue stamped 11:48 after one at 11:48:10 is the last issued, in
    # one batch or two
    for my $batch (4096, 1) {
        my $oid = $batch == 1 ? 'sakyo' : 'kamigyo';
        MadoTest::write_file("$dir/c$batch.log", "$DAY,11:48:10,0,21,7\n$DAY,11:48,0,21,8\n"
                                                 . "$DAY,11:49:05,1,21,7\n$DAY,11:49,1,21,8\n");
        madoctl_feed($t, $oid, 'voicecall', "$dir/c$batch.log", '--batch', $batch);
        is_deeply(show_counts($t, $oid)->{certificates},
                  { waiting => 0, served_today => 2, calling => 8, last_issued => 8 },
                  "11:48 after 11:48:10, batches of $batch: the last issued and called is 8");
    }

    # jsonl, a time without seconds
    {
        MadoTest::write_file("$dir/d.jsonl",
            qq({"time":"2026-11-27T10:40:30+09:00","event":"issue","counter":"family","ticket":3}\n)
          . qq({"time":"2026-11-27T10:40+09:00","event":"call","counter":"family","ticket":3}\n));
        $r = madoctl_feed($t, 'nishikyo', 'jsonl', "$dir/d.jsonl");
        is(summary_of($r)->{applied}, 2, 'jsonl, 10:40 after 10:40:30: 2 applied');
        is_deeply(show_counts($t, 'nishikyo')->{family},
                  { waiting => 0, served_today => 1, calling => 3, last_issued => 3 },
                  'jsonl: the call serves the ticket');
    }

    # the same lines again, in a copy: known, nothing counts twice
    MadoTest::write_file("$dir/a2.log", "\n" . $t->read_file("a.log") x 2);
    $r = madoctl_feed($t, 'kita', 'voicecall', "$dir/a2.log");
    is(summary_of($r)->{applied}, 0, 'minute stamps fed again: none applied');
    is(show_counts($t, 'kita')->{mynumber}{served_today}, 2, 'nothing counted twice');
}

# ------------------------------------------------------------ generated days

{
    my ($ev) = feed_day($t, $office{shimogyo}, seed => 21, stamps => 'minutes', batch => 4096,
                        cut => 1, what => 'UTF-8, cut inside a minute and fed again');
    is(scalar(grep { $_->[5] } @$ev), scalar(@$ev), 'minutes: every line HH:MM');

    (undef, my $pairs) = feed_day($t, $office{nakagyo}, seed => 22, stamps => 'calls', batch => 3,
                                  until => 11 * 3600, sjis => 1, what => 'Shift_JIS CRLF');
    cmp_ok(scalar(grep { $_->[0] != $_->[1] } @$pairs), '>', 10,
           'calls to the minute: many waits not to the second');
}

$t->check_logs;

done_testing;
