#!/usr/bin/perl

# madoctl load checks the feed rules of offices.json: a business code of
# two counters, a backwards ticket_range, a code with a comma; "007" in a
# log is code "7".

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store summary_of);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $DAY = $MadoTest::Feed::DAY;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 8. load validation of the rules

{
    my $bad = JSON::PP->new->utf8->decode(JSON::PP->new->utf8->encode($defs));
    my $cs = $bad->{offices}[0]{counters};
    $cs->[1]{business_codes} = [ $cs->[0]{business_codes}[0] ];
    MadoTest::write_file("$dir/bad1.json", JSON::PP->new->utf8->encode($bad));
    my $r = $t->madoctl('load', "$dir/bad1.json");
    is($r->{exit}, 1, 'a business code of two counters: exit 1');
    like($r->{err}, qr/\$\.offices\[0\]\.counters\[1\].*business code/, 'named with its path');

    $bad = JSON::PP->new->utf8->decode(JSON::PP->new->utf8->encode($defs));
    $bad->{offices}[0]{counters}[0]{ticket_range} = [300, 1];
    MadoTest::write_file("$dir/bad2.json", JSON::PP->new->utf8->encode($bad));
    $r = $t->madoctl('load', "$dir/bad2.json");
    is($r->{exit}, 1, 'ticket_range backwards: exit 1');
    like($r->{err}, qr/ticket_range/, 'ticket_range named');

    $bad->{offices}[0]{counters}[0]{ticket_range} = [1, 300];
    $bad->{offices}[0]{counters}[0]{business_codes} = ["1,2"];
    MadoTest::write_file("$dir/bad3.json", JSON::PP->new->utf8->encode($bad));
    $r = $t->madoctl('load', "$dir/bad3.json");
    is($r->{exit}, 1, 'a business code with a comma: exit 1');
    like($r->{err}, qr/business_codes/, 'business_codes named');

    # "01" in the log is code "1" in offices.json
    my $def = JSON::PP->new->utf8->decode(JSON::PP->new->utf8->encode($defs));
    $def->{offices}[0]{counters}[2]{business_codes} = ["7"];
    MadoTest::write_file("$dir/ok.json", JSON::PP->new->utf8->encode($def));
    $t->madoctl_ok('load', "$dir/ok.json");
    MadoTest::write_file("$dir/lead.log", "$DAY,17:10:00,0,007,5\n");
    $r = $t->madoctl(qw(feed --office kita --format voicecall), "$dir/lead.log");
    is(summary_of($r)->{applied}, 1, 'business code "007" matches "7"');
}

$t->check_logs;

done_testing;
