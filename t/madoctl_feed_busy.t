#!/usr/bin/perl

# madoctl feed on days so busy that numbers come round in the minute they
# were called (the machine waits for a number to be free), stamped line by
# line to the minute or the second, or to the minute only (Shift_JIS,
# CRLF), in small batches that split seconds and minutes anywhere: only
# the file's order tells the old round's call from the new round's issue,
# and the counts, the report's waits and each wait's distance from the
# truth come out as counted apart.  And lines stamped to the second, one
# second's in any order, two lines a batch: a call read before its issue
# while the number's last round was served.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store feed_day comebacks);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges (certificates 1..60)
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

my ($ev) = feed_day($t, $office{higashiyama}, seed => 23, stamps => 'mixed', batch => 7,
                    rate => 1 / 20, until => 11 * 3600, what => 'busy, UTF-8');
cmp_ok(comebacks($ev), '>', 10, 'mixed, busy: numbers come round in the minute of their call');

($ev) = feed_day($t, $office{fushimi}, seed => 25, stamps => 'minutes', batch => 5,
                 rate => 1 / 20, until => 10 * 3600, sjis => 1, what => 'busy, Shift_JIS CRLF');
cmp_ok(comebacks($ev), '>', 10, 'minutes, busy: numbers come round in the minute of their call');

feed_day($t, $office{ukyo}, seed => 24, stamps => 'seconds', batch => 2, until => 10 * 3600,
         what => 'UTF-8');

$t->check_logs;

done_testing;
