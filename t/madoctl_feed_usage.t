#!/usr/bin/perl

# madoctl feed from standard input, and its refusals: missing or unknown
# options, files and offices, each named; an event from tomorrow.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";


use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events shuffle_seconds voicecall_line counts_are);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $DAY = $MadoTest::Feed::DAY;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 7. from stdin, usage and errors

{
    my $r = $t->madoctl(qw(feed --office fushimi --format voicecall -),
               { stdin => join('', map { voicecall_line($_) } @{ shuffle_seconds((simulate_day($office{fushimi}, 19))[0], 1) }) });
    is($r->{exit}, 0, 'stdin: exit 0') or diag(MadoTest::text($r->{err}));
    counts_are($t, $office{fushimi}, count_events((simulate_day($office{fushimi}, 19))[0]), 'stdin: state equals the count');
    my $again = $t->madoctl(qw(feed --office fushimi --format voicecall -),
                   { stdin => join('', map { voicecall_line($_) } @{ shuffle_seconds((simulate_day($office{fushimi}, 19))[0], 1) }) });
    like($again->{out}, qr/ 0 applied/, 'stdin fed twice: nothing applied twice');
}

{
    my $r = $t->madoctl(qw(feed --format voicecall x.log));
    is($r->{exit}, 2, 'no --office: exit 2');
    like($r->{err}, qr/--office/, 'no --office: named');
    $r = $t->madoctl(qw(feed --office kita x.log));
    is($r->{exit}, 2, 'no --format: exit 2');
    $r = $t->madoctl(qw(feed --office kita --format csv x.log));
    is($r->{exit}, 1, 'unknown --format: exit 1');
    like($r->{err}, qr/--format/, 'unknown --format: named');
    $r = $t->madoctl(qw(feed --office kita --format voicecall --encoding latin1 x.log));
    is($r->{exit}, 1, 'unknown --encoding: exit 1');
    $r = $t->madoctl(qw(feed --office kita --format voicecall), "$dir/none.log");
    is($r->{exit}, 1, 'missing file: exit 1');
    like($r->{err}, qr/FILE: cannot open/, 'missing file: named');
    MadoTest::write_file("$dir/one.log", "$DAY,09:00:00,0,21,1\n");
    $r = $t->madoctl(qw(feed --office nowhere --format voicecall), "$dir/one.log");
    is($r->{exit}, 1, 'unknown office: exit 1');
    like($r->{err}, qr/--office: no office "nowhere"/, 'unknown office: named');
    $r = $t->madoctl(qw(feed --help));
    is($r->{exit}, 0, 'feed --help: exit 0');
    like($r->{out}, qr/usage: madoctl .*feed/, 'feed --help: usage');
    MadoTest::write_file("$dir/ahead.log", "20261128,09:00:00,0,21,1\n");
    $r = $t->madoctl(qw(feed --office kita --format voicecall), "$dir/ahead.log");
    like($r->{err}, qr/ahead of the clock/, 'an event from tomorrow is refused');
}

$t->check_logs;

done_testing;
