#!/usr/bin/perl

# History: every change is an event, every 5 minutes while open a sample;
# GET /api/v1/offices/{id}/history?date= gives the day per counter and hour
# (issued, served, cancelled, average and longest wait) and the samples,
# as JSON or CSV.  Checked against an independent count of a fed day and
# of changes made by hand.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too

# 2026-11-27T00:00:00+09:00, a Friday
my $MIDNIGHT = 1795705200;
sub at { my ($h, $m, $s) = @_; $MIDNIGHT + $h * 3600 + $m * 60 + ($s // 0) }

$ENV{MADO_NOW} = at(8, 0);
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

# a morning at kita's certificates (business code 21): a ticket every 4
# minutes from 09:00, a call every 5 minutes from 09:10, one gives up
my @ev;
for my $i (1 .. 30) { push @ev, [at(9, 0) + ($i - 1) * 240, 0, $i] }
for my $i (1 .. 25) { push @ev, [at(9, 10) + ($i - 1) * 300, 1, $i] }
push @ev, [at(11, 20), 2, 28];
@ev = sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @ev;

my $log = $t->dir . '/kita.log';
open my $fh, '>', $log or die;
for my $e (@ev) {
    my @lt = gmtime($e->[0] + 9 * 3600);
    printf {$fh} "20261127,%02d:%02d:%02d,%d,21,%d\r\n", $lt[2], $lt[1], $lt[0], $e->[1], $e->[2];
}
close $fh;

$ENV{MADO_NOW} = at(12, 0);
$t->madoctl_ok(qw(feed --office kita --format voicecall), $log);

# by hand at kita's family counter: open at 10:00, a ticket at 10:02,
# called at 10:14 (waited 12 minutes)
$ENV{MADO_NOW} = at(10, 0);
$t->madoctl_ok(qw(set kita family --status open --staff 1));
$ENV{MADO_NOW} = at(10, 2);
$t->madoctl_ok(qw(issue kita family));
$ENV{MADO_NOW} = at(10, 14);
$t->madoctl_ok(qw(call kita family));

$ENV{MADO_NOW} = at(12, 0);
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

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

# ------------------------------------------------------------ the independent count

my (%hour, %fate, %issued_at);
for my $e (@ev) {
    my ($tm, $type, $n) = @$e;
    my $h = int(($tm - $MIDNIGHT) / 3600);
    my $x = $hour{$h} //= { issued => 0, served => 0, cancelled => 0, waits => [] };
    if ($type == 0) { $x->{issued}++; $issued_at{$n} = $tm; $fate{$n} = 'waiting' }
    elsif ($type == 1) { $x->{served}++; push @{ $x->{waits} }, $tm - $issued_at{$n}; $fate{$n} = 'called' }
    else { $x->{cancelled}++; $fate{$n} = 'cancelled' }
}

sub waiting_before {
    my ($tm) = @_;
    my (%f);
    for my $e (@ev) {
        last if $e->[0] >= $tm;
        $f{ $e->[2] } = (qw(waiting called cancelled))[ $e->[1] ];
    }
    return scalar grep { $_ eq 'waiting' } values %f;
}

my ($r, $d) = $t->get_json('/api/v1/offices/kita/history?date=2026-11-27');
is($r->{status}, 200, 'history: 200');
is($d->{office}, 'kita', 'history: office');
is($d->{date}, '2026-11-27', 'history: date');
like($r->{headers}{'cache-control'} // '', qr/max-age=5\b/, "today's history: the figures' max-age");
like($r->{headers}{vary} // '', qr/Accept/, 'history: Vary: Accept');

my ($cert) = grep { $_->{id} eq 'certificates' } @{ $d->{counters} };
ok($cert, 'certificates in the history');

my %got = map { $_->{hour} => $_ } @{ $cert->{hours} };
for my $h (sort { $a <=> $b } keys %hour) {
    my $x = $hour{$h};
    is($got{$h}{issued}, $x->{issued}, "hour $h: issued");
    is($got{$h}{served}, $x->{served}, "hour $h: served");
    is($got{$h}{cancelled}, $x->{cancelled}, "hour $h: cancelled");
    if (@{ $x->{waits} }) {
        my $sum = 0; $sum += $_ for @{ $x->{waits} };
        my $avg = int($sum / @{ $x->{waits} });
        my ($max) = sort { $b <=> $a } @{ $x->{waits} };
        is($got{$h}{wait_avg_minutes}, sprintf('%.1f', $avg / 60) + 0, "hour $h: average wait");
        is($got{$h}{wait_max_minutes}, sprintf('%.1f', $max / 60) + 0, "hour $h: longest wait");
    }
}

# samples: every 5 minutes from the first change while open, up to now
my @s = @{ $cert->{samples} };
cmp_ok(scalar(@s), '>=', 30, 'samples every 5 minutes');
my $bad = 0;
my $prev;
for my $sm (@s) {
    my ($hh, $mm) = $sm->{time} =~ /T(\d\d):(\d\d):00\+09:00$/ or do { $bad++; next };
    my $tm = at($hh, $mm);
    $bad++ if $mm % 5;
    $bad++ if defined $prev && $tm != $prev + 300;
    $bad++ if $tm > at(12, 0);
    if ($sm->{waiting} != waiting_before($tm)) {
        $bad++;
        diag("sample $sm->{time}: waiting $sm->{waiting}, counted " . waiting_before($tm));
    }
    $prev = $tm;
}
is($bad, 0, 'every sample is on a 5-minute mark and shows the waiting count of its time');
is($s[-1]{time}, '2026-11-27T12:00:00+09:00', 'the last sample is now');

my ($fam) = grep { $_->{id} eq 'family' } @{ $d->{counters} };
my ($h10) = grep { $_->{hour} == 10 } @{ $fam->{hours} };
is($h10->{issued}, 1, 'by hand: issued at 10:02');
is($h10->{served}, 1, 'by hand: called at 10:14');
is($h10->{wait_avg_minutes}, 12, 'by hand: waited 12 minutes');

# ------------------------------------------------------------ CSV

$r = $t->http('GET', '/api/v1/offices/kita/history.csv?date=2026-11-27');
is($r->{status}, 200, 'history.csv: 200');
like($r->{headers}{'content-type'}, qr{^text/csv; charset=utf-8}, 'history.csv: text/csv');
my @rows = split /\r\n/, $r->{body};
is($rows[0], 'time,office,counter,status,waiting,calling,served_today,staff,wait_minutes', 'CSV header');
my $nsamples = 0;
$nsamples += @{ $_->{samples} } for @{ $d->{counters} };
is(scalar(@rows) - 1, $nsamples, 'one CSV row per sample');
like($rows[1], qr/^2026-11-27T\d\d:\d\d:00\+09:00,kita,\w+,(open|paused|ended),\d+,\d+,\d+,\d+,[\d.]*$/, 'a CSV row');

my $r2 = $t->http('GET', '/api/v1/offices/kita/history?date=2026-11-27', { headers => { Accept => 'text/csv' } });
is($r2->{body}, $r->{body}, 'Accept: text/csv gives the CSV');

# ------------------------------------------------------------ other days, errors

($r, $d) = $t->get_json('/api/v1/offices/kita/history?date=2026-11-26');
is($r->{status}, 200, 'a day without history: 200');
is_deeply([ map { @{ $_->{samples} }, @{ $_->{hours} } } @{ $d->{counters} } ], [], 'a day without history: empty');
like($r->{headers}{'cache-control'} // '', qr/max-age=86400/, 'a past day: cached a day');

for my $q ('date=2026-11-28', 'date=2026-13-01', 'date=20261127', 'date=yesterday') {
    ($r, $d) = $t->get_json("/api/v1/offices/kita/history?$q");
    is($r->{status}, 400, "$q: 400");
    like($d->{message} // '', qr/date/, "$q: the message names date");
}
($r, $d) = $t->get_json('/api/v1/offices/nowhere/history');
is($r->{status}, 404, 'unknown office: 404');
($r, $d) = $t->get_json('/api/v1/offices/kita/history.json');
is($r->{status}, 400, 'history.json: 400');

($r, $d) = $t->get_json('/api/v1/offices/kita/history');
is($r->{status}, 200, 'no date: today');
is($d->{date}, '2026-11-27', 'no date: today in Japan');

# ------------------------------------------------------------ madoctl report

{
    ($r, $d) = $t->get_json('/api/v1/offices/kita/history?date=2026-11-27');
    my $rep = $t->madoctl(qw(report --office kita --from 2026-11-26 --to 2026-11-28));
    is($rep->{exit}, 0, 'report csv: exit 0') or diag($rep->{err});
    my @lines = split /\r\n/, $rep->{out};
    is($lines[0], 'date,counter,hour,issued,served,cancelled,wait_avg_minutes,wait_max_minutes,peak_hour',
       'report csv: header');
    my (%row, $day);
    for (@lines[1 .. $#lines]) {
        my @f = split /,/, $_, -1;
        $row{"$f[0]/$f[1]/$f[2]"} = \@f;
    }
    # every hour of the API is a row of the report with the same figures
    my $same = 0;
    my $n = 0;
    for my $c (@{ $d->{counters} }) {
        for my $h (@{ $c->{hours} }) {
            next unless $h->{issued} || $h->{served} || $h->{cancelled};
            $n++;
            my $f = $row{"2026-11-27/$c->{id}/$h->{hour}"} or next;
            $same++ if $f->[3] == $h->{issued} && $f->[4] == $h->{served} && $f->[5] == $h->{cancelled}
                && ($f->[6] eq '' ? !defined $h->{wait_avg_minutes} : $f->[6] == $h->{wait_avg_minutes});
        }
    }
    ok($n > 0, 'report: the day has hours');
    is($same, $n, 'report csv: every hour as the history API gives it');
    my $tot = $row{'2026-11-27/certificates/day'};
    my $issued = 0;
    $issued += $_->{issued} for values %hour;
    is($tot->[3], $issued, 'report csv: the day row totals the issued tickets');
    my ($peak) = sort { $hour{$b}{issued} <=> $hour{$a}{issued} || $a <=> $b } keys %hour;
    is($tot->[8], $peak, 'report csv: the peak hour is the one with most tickets');
    ok(!grep({ m{^2026-11-2[68]/} } keys %row), 'report csv: days without activity have no rows');

    my $html = $t->madoctl(qw(report --office kita --from 2026-11-25 --to 2026-11-27 --format html));
    is($html->{exit}, 0, 'report html: exit 0');
    like($html->{out}, qr/\@page \{ size: A4/, 'report html: A4');
    my @sections = $html->{out} =~ /<section class="day">/g;
    is(scalar(@sections), 3, 'report html: a section per day');
    like($html->{out}, qr/証明書発行（混雑のピーク $peak時台）/, 'report html: the peak hour in Japanese');

    # print it as a browser would: a page per day
    my $chromium = -x '/usr/bin/chromium' ? '/usr/bin/chromium' : undef;
    SKIP: {
        skip 'no chromium', 2 unless $chromium;
        my $hf = $t->dir . '/report.html';
        my $pf = $t->dir . '/report.pdf';
        open my $o, '>', $hf or die; print {$o} $html->{out}; close $o;
        # a profile of its own: tests run in parallel
        my $profile = $t->dir . '/chromium';
        system("$chromium --headless=new --no-sandbox --disable-gpu --no-pdf-header-footer "
               . "--user-data-dir=$profile "
               . "--print-to-pdf=$pf file://$hf > /dev/null 2>&1");
        ok(-s $pf, 'report html prints to PDF');
        my $pdf = do { local (@ARGV, $/) = $pf; <> } // '';
        my @pages = $pdf =~ m{/Type\s*/Page(?!s)}g;
        is(scalar(@pages), 3, 'report html: three days print as three pages');
    }

    my $bad = $t->madoctl(qw(report --office kita --from 2026-11-27 --to 2026-11-01));
    is($bad->{exit}, 1, 'report --to before --from: exit 1');
    like($bad->{err}, qr/--to/, 'report: --to named');
    $bad = $t->madoctl(qw(report --office kita --from 2026-02-30 --to 2026-03-01));
    like($bad->{err}, qr/--from/, 'report: an impossible --from named');
    $bad = $t->madoctl(qw(report --office kita --from 2026-11-01));
    is($bad->{exit}, 2, 'report without --to: exit 2');
    $bad = $t->madoctl(qw(report --office kita --from 2026-11-01 --to 2026-11-02 --format pdf));
    like($bad->{err}, qr/--format/, 'report: --format named');
}

$t->stop;
$t->check_logs;
done_testing;
