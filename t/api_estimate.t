#!/usr/bin/perl

# The wait estimate, through madoctl and the API: those waiting times the
# configured minutes_per_person over the staff until the calls show beyond
# their noise that the counter is faster or slower, then at the pace the
# calls show (per member of staff); staff changes count at once; gaps
# while nobody waited teach nothing; unknown when not open.
# (How close it comes to real waits is bench/estimate.sh's business.)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
$ENV{MADO_NOW} = '2026-11-27T12:00:00+09:00';      # every run, one clock

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 1d;
    mado_messages %%REPO%%/conf.example/i18n;
    mado_assets %%REPO%%/conf.example/assets;
    mado_public_url https://mado.example.jp/;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location / { mado_pages; }
    }
}
EOF
$t->start;

my $defs = JSON::PP->new->utf8->decode(do { local (@ARGV, $/) = MadoTest::offices_json(); <> });
my %spp;
for my $o (@{ $defs->{offices} }) {
    for my $c (@{ $o->{counters} }) {
        $spp{"$o->{id}/$c->{id}"} = int($c->{minutes_per_person} * 60 + 0.5);
    }
}

# lmdb_store/mado_estimate.c, as docs/api.md tells it: est = waiting x
# per_call; per_call = the configured seconds x exp(w x d) / staff, where
# d is the log of learnt / configured and w goes from 0 to 1 as d goes
# from 2 to 3 standard errors (1 / sqrt(calls + 5)); whole minutes, to the
# nearest
sub per_call {
    my ($spp, $staff, $calls, $learnt) = @_;
    my $d = $calls ? log($learnt / $spp) : 0;
    my $z = abs($d) * sqrt($calls + 5);
    my $w = $z <= 2 ? 0 : $z >= 3 ? 1 : $z - 2;
    return $spp * exp($w * $d) / ($staff || 1);
}

sub expect_minutes {
    my ($waiting, $per_call, $staff) = @_;
    return 0 if $waiting == 0;
    # half a call more while the staff count is unknown
    my $s = int(($waiting + ($staff ? 0 : 0.5)) * $per_call + 0.5);
    return int(($s + 30) / 60);
}

# ------------------------------------------------------------ configured pace, staff

{
    my $spp = $spp{'kita/certificates'};
    $t->madoctl_ok(qw(set kita certificates --status open --waiting 10));
    my $c = $t->api_counter('kita', 'certificates');
    is($c->{wait_minutes}, expect_minutes(10, $spp), 'no calls seen, staff unknown: configured pace');
    ok($c->{wait_range}{low} <= $c->{wait_minutes} && $c->{wait_minutes} <= $c->{wait_range}{high},
       'the estimate lies inside its range');

    $t->madoctl_ok(qw(set kita certificates --staff 3));
    $c = $t->api_counter('kita', 'certificates');
    is($c->{wait_minutes}, expect_minutes(10, $spp / 3, 3), 'three staff: a third of the wait');

    $t->madoctl_ok(qw(set kita certificates --staff 1));
    is($t->api_counter('kita', 'certificates')->{wait_minutes}, expect_minutes(10, $spp, 1), 'back to one: the configured pace');

    $t->madoctl_ok(qw(set kita certificates --waiting 0));
    $c = $t->api_counter('kita', 'certificates');
    is($c->{wait_minutes}, 0, 'nobody waiting: 0');
    is_deeply([ @{ $c->{wait_range} }{qw(low high)} ], [0, 5], 'nobody waiting: range 0-5 (someone free may take a moment)');

    $t->madoctl_ok(qw(set kita certificates --waiting 4 --status paused));
    $c = $t->api_counter('kita', 'certificates');
    ok(exists $c->{wait_minutes} && !defined $c->{wait_minutes}, 'paused: unknown (null)');
}

# ------------------------------------------------------------ learnt from the calls

my $log = $t->dir . '/higashiyama.log';
{
    # 20 tickets at 09:00, then a call every 2 minutes with one member of
    # staff: 15 calls, 14 gaps of 120 s while people waited all along
    my @l;
    push @l, sprintf("20261127,09:00:%02d,0,21,%d", $_, $_) for 1 .. 20;
    for my $i (1 .. 15) {
        my $s = 9 * 3600 + 60 + ($i - 1) * 120;
        push @l, sprintf("20261127,%02d:%02d:%02d,1,21,%d", $s / 3600, $s / 60 % 60, $s % 60, $i);
    }
    open my $fh, '>', $log or die;
    print {$fh} map { "$_\r\n" } @l;
    close $fh;

    $t->madoctl_ok(qw(set higashiyama certificates --staff 1));
    $t->madoctl_ok(qw(feed --office higashiyama --format voicecall), $log);

    my $spp = $spp{'higashiyama/certificates'};
    # the configured pace counts as five calls seen
    my $learnt = (5 * $spp + 14 * 120) / 19;
    my $per_call = per_call($spp, 1, 14, $learnt);
    my $c = $t->api_counter('higashiyama', 'certificates');
    is($c->{waiting}, 5, 'fed: 5 still waiting');
    is($c->{wait_minutes}, expect_minutes(5, $per_call, 1),
       'after 14 busy gaps of 2 minutes: the pace the calls show');
    cmp_ok($c->{wait_minutes}, '<', expect_minutes(5, $spp, 1), 'faster than the configured pace');

    $t->madoctl_ok(qw(set higashiyama certificates --staff 2));
    is($t->api_counter('higashiyama', 'certificates')->{wait_minutes}, expect_minutes(5, per_call($spp, 2, 14, $learnt), 2),
       'a second member of staff halves the pace at once');

    $c = $t->api_counter('higashiyama', 'certificates');
    my $r = $t->http('GET', '/higashiyama?lang=en');
    like($r->{body} // '', qr/id="c-certificates".*?\b\Q$c->{wait_range}{low}\E\D+\Q$c->{wait_range}{high}\E\b/s,
         'the page shows the range');
}

# ------------------------------------------------------------ idle gaps teach nothing

{
    my $idle = $t->dir . '/yamashina.log';
    open my $fh, '>', $idle or die;
    # one ticket, called at once; an hour with nobody; another, called
    # after a while; then three waiting
    print {$fh} "20261127,09:00:00,0,21,1\n20261127,09:00:30,1,21,1\n",
                "20261127,10:00:00,0,21,2\n20261127,10:30:00,1,21,2\n",
                "20261127,10:40:00,0,21,3\n20261127,10:41:00,0,21,4\n20261127,10:42:00,0,21,5\n";
    close $fh;
    $t->madoctl_ok(qw(feed --office yamashina --format voicecall), $idle);
    my $c = $t->api_counter('yamashina', 'certificates');
    is($c->{waiting}, 3, 'three waiting');
    is($c->{wait_minutes}, expect_minutes(3, $spp{'yamashina/certificates'}),
       'calls after an empty queue teach nothing: still the configured pace');
}

$t->stop;
$t->check_logs;
done_testing;
