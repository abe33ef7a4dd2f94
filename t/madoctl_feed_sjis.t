#!/usr/bin/perl

# madoctl feed: a voicecall log as Shift_JIS with CRLF, a name after each
# line, and garbage among the lines (unknown events, times, dates, codes,
# tickets out of range, binary): each bad line reported once with its file
# and line, every good one applied.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(encode);
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

# ------------------------------------------------------------ 2. Shift_JIS, CRLF, garbage

{
    my ($ev, $end) = simulate_day($office{kamigyo}, 12);
    my $counts = count_events($ev);
    my $lines = shuffle_seconds($ev, 6);
    my @text = map { voicecall_line($_, crlf => 1, extra => 1) } @$lines;
    # garbage, unknown codes, bad tickets, blank lines among them
    my @bad = (
        "日付,時刻,区分,業務,番号\r\n",
        "20261127,09:00:00,7,21,1\r\n",
        "20261127,25:00:00,0,21,1\r\n",
        "20261131,09:00:00,0,21,1\r\n",
        "20261127,09:00:00,0,99,1\r\n",
        "20261127,09:00:00,0,21,61\r\n",
        "20261127,09:00:00,0,21,abc\r\n",
        "\x00\x01\x02garbage\r\n",
    );
    my %at;
    for my $i (0 .. $#bad) {
        my $pos = 1 + int(($i + 1) * @text / (@bad + 1));
        splice(@text, $pos, 0, $bad[$i]);
    }
    splice(@text, 10, 0, "\r\n");
    my $bytes = join('', map { encode('cp932', $_) } @text);
    ok($bytes =~ /[\x80-\xff]/ && !utf8::decode(my $copy = $bytes),
       'the fixture is Shift_JIS, not UTF-8');
    my $f = "$dir/kamigyo.log";
    MadoTest::write_file($f, $bytes);

    my $r = madoctl_feed($t, 'kamigyo', 'voicecall', $f);
    is($r->{exit}, 0, 'Shift_JIS: exit 0') or diag(MadoTest::text($r->{err}));
    my @reported = $r->{err} =~ /^madoctl feed: \Q$f\E:(\d+): (.+)$/mg;
    is(scalar(@reported) / 2, scalar(@bad), 'Shift_JIS: each bad line reported once');
    like($r->{err}, qr/event "7"/, 'a bad event is named');
    like($r->{err}, qr/time "25:00:00"/, 'a bad time is named');
    like($r->{err}, qr/date "20261131"/, 'a date that does not exist is named');
    like($r->{err}, qr/business code "99"/, 'an unknown business code is named');
    like($r->{err}, qr/ticket 61 is outside counter certificates's ticket_range 1\.\.60/,
         'a ticket outside the range is named');
    like($r->{err}, qr/NUL/, 'binary garbage is named');
    my $n = summary_of($r);
    is($n->{bad}, scalar(@bad), 'Shift_JIS: bad lines counted');
    is($n->{applied}, scalar(@$lines), 'Shift_JIS: every event applied');
    counts_are($t, $office{kamigyo}, $counts, 'Shift_JIS + CRLF + garbage: state equals the count');

    # the line numbers point at the bad lines themselves
    my %lineno = @reported;
    my @all = split /(?<=\n)/, $bytes;
    for my $ln (sort { $a <=> $b } keys %lineno) {
        unlike($all[$ln - 1], qr/^$DAY,\d\d:\d\d:\d\d,[012],(?:1[123]|2[12]|31|4[12]),\d+,/,
               "line $ln reported is not a good line");
    }
}

$t->check_logs;

done_testing;
