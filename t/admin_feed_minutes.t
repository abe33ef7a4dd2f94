#!/usr/bin/perl

# POST /api/v1/admin/offices/{office}/feed with times to the minute
# ("2026-11-27T10:31+09:00") among times to the second: a call stamped to
# the minute after its issue serves it, in one batch or two; then
# generated days posted in batches split anywhere (1 to 60 lines, some
# lines of the batch before sent again), for every mix of stamps and a day
# busy enough that numbers come round in the minute of their call: the
# counters equal the independent count of the events, and the report's
# waits the waits counted apart.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events shuffle_seconds jsonl_line show_counts counts_are stamp_events report_of report_is);

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795768200;            # 2026-11-27T17:30:00+09:00, a Friday

# small ticket ranges: the day wraps them
my (undef, $offices) = feed_store($t, '--test-store');
my %office = %$offices;
my @granted = qw(kita kamigyo sakyo nakagyo);
my ($machine) = $t->madoctl_ok(qw(user add machine --role feed), map { ('--office', $_) } @granted)
    =~ /^(mado_[0-9a-f]{64})$/m;
ok($machine, 'a feed token for four offices');

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;

# a batch of jsonl lines to an office's feed endpoint
sub feed {
    my ($oid, $body) = @_;
    return $t->admin_post("offices/$oid/feed", $body, $machine,
                          'Content-Type' => 'application/x-ndjson');
}

# ------------------------------------------------------------ the issue's lines

{
    my $issue = qq({"time":"2026-11-27T10:31:20+09:00","event":"issue","counter":"mynumber","ticket":5}\n);
    my $call = qq({"time":"2026-11-27T10:31+09:00","event":"call","counter":"mynumber","ticket":5}\n);
    my ($r, $d) = feed('kita', $issue);
    is($r->{status}, 200, 'the issue at 10:31:20: 200') or diag($r->{body});
    ($r, $d) = feed('kita', $call);
    is($r->{status}, 200, 'the call at 10:31, in the next batch: 200') or diag($r->{body});
    is($d->{applied}, 1, 'the call applied');
    is_deeply(show_counts($t, 'kita')->{mynumber},
              { waiting => 0, served_today => 1, calling => 5, last_issued => 5 },
              'the call serves the ticket: nobody waits');
    ($r, $d) = feed('kita', $call . $issue);
    is($d->{duplicate}, 2, 'both again: known');
    is_deeply(report_of($t, 'kita')->{mynumber}, { 10 => '1,1,0,0.0,0.0' }, 'the report: waited 0');

    # "11:48" after 11:48:10: the last number issued
    ($r, $d) = feed('kita', qq({"time":"2026-11-27T11:48:10+09:00","event":"issue","counter":"family","ticket":7}\n)
                          . qq({"time":"2026-11-27T11:48+09:00","event":"issue","counter":"family","ticket":8}\n));
    is($d->{applied}, 2, 'two issues, one stamped to the minute: applied');
    is(show_counts($t, 'kita')->{family}{last_issued}, 8, 'the one read last is the last issued');

    ($r, $d) = feed('kita', qq({"time":"2026-11-27T11:48:60+09:00","event":"issue","counter":"family","ticket":9}\n));
    is($r->{status}, 400, 'a time with 60 seconds: 400');
}

# ------------------------------------------------------------ generated days

# a day of the office OID (until a time, rate arrivals a second) with these
# stamps, posted in batches of 1 to 60 lines, some lines sent again
sub day_case {
    my (%c) = @_;
    my $o = $office{ $c{office} };
    my ($ev) = simulate_day($o, $c{seed}, rate => $c{rate});
    @$ev = grep { $_->[0] < $c{until} } @$ev if $c{until};
    $ev = stamp_events($ev, $c{stamps}, $c{seed});
    my @lines = map { jsonl_line($_) } @{ shuffle_seconds($ev, $c{seed}) };
    my %distinct = map { $_ => 1 } @lines;

    srand($c{seed});
    my ($applied, $ok, @prev) = (0, 1);
    while (@lines) {
        my @b = splice(@lines, 0, 1 + int(rand(60)));
        my @again = grep { rand() < 0.05 } (@prev, @b);
        my ($r, $d) = feed($c{office}, join('', @b, @again));
        if ($r->{status} != 200) {
            $ok = 0;
            diag($r->{body});
            last;
        }
        $applied += $d->{applied};
        @prev = @b;
    }
    my $name = "$c{stamps}, $c{what}";
    ok($ok, "$name: every batch 200");
    is($applied, scalar(keys %distinct), "$name: each distinct line applied once");
    counts_are($t, $o, count_events($ev), "$name: the counts equal the count of the events");
    report_is($t, $o, $ev, "$name: the report's waits equal the waits counted apart");
}

day_case(office => 'kamigyo', seed => 31, stamps => 'mixed', until => 13 * 3600, what => 'a morning');
day_case(office => 'nakagyo', seed => 32, stamps => 'calls', until => 12 * 3600, what => 'a morning');
day_case(office => 'sakyo', seed => 33, stamps => 'minutes', rate => 1 / 20, until => 10 * 3600,
         what => 'a busy morning');

$t->stop;
$t->check_logs;
done_testing;
