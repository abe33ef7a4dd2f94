#!/usr/bin/perl

# The forecast (混雑予想): two weeks of days fed into one counter, each
# weekday with its own number of tickets, then
# GET /api/v1/offices/{id}/forecast?weeks=2 must give, per weekday and
# hour, the days with data, the tickets issued per day, the wait of the
# tickets issued in that hour and the people waiting over the 5-minute
# samples, as an independent count of the same days gives them; and
# today's hours so far.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX qw(floor);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too

# local midnight (JST) of a day counted from 2026-11-27 (a Friday)
my $TODAY = 1795705200;
sub midnight { $TODAY + $_[0] * 86400 }
sub ymd {
    my @g = gmtime($_[0] + 9 * 3600);
    return sprintf('%04d%02d%02d', $g[5] + 1900, $g[4] + 1, $g[3]);
}
sub wday { (gmtime($_[0] + 9 * 3600))[6] }

# minami opens 08:45-17:30 on weekdays; 2026-11-23 is 勤労感謝の日
my %holiday = ('20261123' => 1);

# a day at minami/certificates: at 09:00, 10:00 and 14:00, (3 + weekday)
# tickets two minutes apart, each called 10 + 3i minutes after it came
sub day_events {
    my ($mid) = @_;
    my $n = 3 + wday($mid);
    my (@ev, $k);
    for my $h (9, 10, 14) {
        for my $i (0 .. $n - 1) {
            $k++;
            my $issue = $mid + $h * 3600 + $i * 120;
            push @ev, [$issue, 0, $k], [$issue + 600 + $i * 180, 1, $k];
        }
    }
    return sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @ev;
}

sub write_log {
    my ($file, @ev) = @_;
    open my $fh, '>', $file or die;
    for my $e (@ev) {
        my @g = gmtime($e->[0] + 9 * 3600);
        printf {$fh} "%s,%02d:%02d:%02d,%d,21,%d\n", ymd($e->[0]), $g[2], $g[1], $g[0], $e->[1], $e->[2];
    }
    close $fh;
}

$ENV{MADO_NOW} = midnight(-14) + 8 * 3600;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

# the two weeks before today, day by day as they happened
my @days;
for my $d (-14 .. -1) {
    my $mid = midnight($d);
    my $wd = wday($mid);
    next if $wd == 0 || $wd == 6 || $holiday{ ymd($mid) };
    my @ev = day_events($mid);
    push @days, [$mid, \@ev];
    write_log($t->dir . "/day$d.log", @ev);
    $ENV{MADO_NOW} = $mid + 18 * 3600;
    $t->madoctl_ok(qw(feed --office minami --format voicecall), $t->dir . "/day$d.log");
}

# today until 11:00
my @today = grep { $_->[0] < $TODAY + 11 * 3600 } day_events($TODAY);
write_log($t->dir . '/today.log', @today);
$ENV{MADO_NOW} = $TODAY + 11 * 3600;
$t->madoctl_ok(qw(feed --office minami --format voicecall), $t->dir . '/today.log');

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

# ------------------------------------------------------------ the independent count

my %cell;           # "wd/h" -> { days, issued, waits => [], waiting => [] }
sub cell { $cell{"$_[0]/$_[1]"} //= { days => {}, issued => 0, waits => [], waiting => [] } }
my $first = 1;
for my $day (@days, [$TODAY, \@today]) {
    my ($mid, $ev) = @$day;
    my $wd = wday($mid);
    my %seen;
    my %issued_at;
    for my $e (@$ev) {
        my $h = floor(($e->[0] - $mid) / 3600);
        my $c = cell($wd, $h);
        $seen{$h} = 1;
        if ($e->[1] == 0) { $c->{issued}++ if $mid != $TODAY; $issued_at{ $e->[2] } = $e->[0] }
        else {
            my $ih = floor(($issued_at{ $e->[2] } - $mid) / 3600);
            push @{ cell($wd, $ih)->{waits} }, $e->[0] - $issued_at{ $e->[2] } if $mid != $TODAY;
        }
    }
    last if $mid == $TODAY;
    # samples at each 5-minute mark while open (08:45-17:30), the first
    # day only from its first change on
    for (my $s = $mid + 8 * 3600 + 45 * 60; $s < $mid + 17 * 3600 + 30 * 60; $s += 300) {
        next if $first && $s <= $ev->[0][0];
        my %f;
        for my $e (@$ev) { last if $e->[0] >= $s; $f{ $e->[2] } = $e->[1] }
        my $w = grep { $_ == 0 } values %f;
        my $h = floor(($s - $mid) / 3600);
        push @{ cell($wd, $h)->{waiting} }, $w;
        $seen{$h} = 1;
    }
    cell($wd, $_)->{days}{$mid} = 1 for keys %seen;
    $first = 0;
}

my ($r, $d) = $t->get_json('/api/v1/offices/minami/forecast?weeks=2');
is($r->{status}, 200, 'forecast: 200');
is($d->{weeks}, 2, 'forecast: weeks');
is($d->{from}, '2026-11-13', 'forecast: from two weeks back');
is($d->{to}, '2026-11-26', 'forecast: to yesterday');
is($d->{today}, '2026-11-27', 'forecast: today');
like($r->{headers}{'cache-control'} // '', qr/max-age=300/, 'forecast: cached 5 minutes');

my ($c) = grep { $_->{id} eq 'certificates' } @{ $d->{counters} };
my ($checked, $bad) = (0, 0);
for my $wd (@{ $c->{weekdays} }) {
    for my $h (@{ $wd->{hours} }) {
        my $x = $cell{"$wd->{weekday}/$h->{hour}"};
        $checked++;
        if (!$x) { $bad++; diag("unexpected cell $wd->{weekday}/$h->{hour}"); next }
        my $days = scalar keys %{ $x->{days} };
        my @w = @{ $x->{waiting} };
        my $wavg = @w ? sprintf('%.1f', eval { my $s = 0; $s += $_ for @w; $s / @w }) : undef;
        my $tavg = @{ $x->{waits} } ? sprintf('%.1f', eval { my $s = 0; $s += $_ for @{ $x->{waits} }; $s / @{ $x->{waits} } / 60 }) : undef;
        my $iavg = sprintf('%.1f', $x->{issued} / $days);
        my @diff;
        push @diff, "days $h->{days} != $days" if $h->{days} != $days;
        push @diff, "waiting_avg " . ($h->{waiting_avg} // 'null') . " != " . ($wavg // 'null')
            if (defined $wavg ? !defined $h->{waiting_avg} || $h->{waiting_avg} != $wavg : defined $h->{waiting_avg});
        push @diff, "wait_avg " . ($h->{wait_avg_minutes} // 'null') . " != " . ($tavg // 'null')
            if (defined $tavg ? !defined $h->{wait_avg_minutes} || $h->{wait_avg_minutes} != $tavg : defined $h->{wait_avg_minutes});
        push @diff, "issued_avg $h->{issued_avg} != $iavg" if $h->{issued_avg} != $iavg;
        if (@diff) { $bad++; diag("weekday $wd->{weekday} hour $h->{hour}: @diff") }
    }
}
cmp_ok($checked, '>=', 5 * 9, 'forecast: every weekday has its open hours');
is($bad, 0, 'forecast: every weekday x hour as the independent count gives it');

my ($mon10) = grep { $_->{hour} == 10 } @{ (grep { $_->{weekday} == 1 } @{ $c->{weekdays} })[0]{hours} };
my ($fri10) = grep { $_->{hour} == 10 } @{ (grep { $_->{weekday} == 5 } @{ $c->{weekdays} })[0]{hours} };
cmp_ok($fri10->{issued_avg}, '>', $mon10->{issued_avg}, 'Friday mornings are busier than Monday mornings here');
ok(!grep({ $_->{weekday} == 0 && @{ $_->{hours} } } @{ $c->{weekdays} }), 'no Sunday figures: closed');

my %today = map { $_->{hour} => $_ } @{ $c->{today} };
is($today{9}{issued}, 3 + 5, "today 9:00: Friday's tickets");
is($today{10}{issued}, 3 + 5, 'today 10:00 so far');
ok(!$today{14}, 'today: nothing from the afternoon yet');

for my $q ('weeks=0', 'weeks=27', 'weeks=two') {
    ($r, $d) = $t->get_json("/api/v1/offices/minami/forecast?$q");
    is($r->{status}, 400, "forecast $q: 400");
    like($d->{message} // '', qr/weeks/, "forecast $q: weeks named");
}
($r) = $t->get_json('/api/v1/offices/minami/forecast');
is($r->{status}, 200, 'forecast without weeks: 8 by default');

# ------------------------------------------------------------ the office page

{
    my $page = $t->http('GET', '/minami?lang=en');
    is($page->{status}, 200, 'office page: 200');
    my $body = $page->{body} // '';
    like($body, qr{<section class="trends"}, 'office page: the busy-hours section');
    like($body, qr{a usual Friday \(past 8 weeks\)}, "office page: today's weekday named");

    # the chart's table: the usual Friday and today, hour by hour
    my ($fig) = $body =~ m{<figure class="trend"><figcaption>Certificates</figcaption>(.*?)</figure>}s;
    ok($fig, 'office page: a chart for certificates');
    like($fig // '', qr{<svg viewBox="0 0 320 110" aria-hidden="true"}, 'the chart is an inline SVG');
    my %row;
    while (($fig // '') =~ m{<tr><th scope="row">(\d+):00</th><td>([^<]*)</td><td>([^<]*)</td></tr>}g) {
        $row{$1} = [$2, $3];
    }
    ($r, $d) = $t->get_json('/api/v1/offices/minami/forecast?weeks=8');
    my ($cc) = grep { $_->{id} eq 'certificates' } @{ $d->{counters} };
    my ($fri) = grep { $_->{weekday} == 5 } @{ $cc->{weekdays} };
    my %usual = map { $_->{hour} => $_->{waiting_avg} } @{ $fri->{hours} };
    my %now = map { $_->{hour} => $_->{waiting_avg} } @{ $cc->{today} };
    my ($n, $same) = (0, 0);
    for my $h (sort { $a <=> $b } keys %row) {
        $n++;
        my $u = defined $usual{$h} ? sprintf('%.1f', $usual{$h}) : "\x{2014}";
        my $t2 = defined $now{$h} ? sprintf('%.1f', $now{$h}) : "\x{2014}";
        utf8::encode($u); utf8::encode($t2);
        $same++ if $row{$h}[0] eq $u && $row{$h}[1] eq $t2;
        diag("hour $h: page @{ $row{$h} }, API $u $t2") unless $row{$h}[0] eq $u && $row{$h}[1] eq $t2;
    }
    cmp_ok($n, '>=', 9, 'the table has the opening hours');
    is($same, $n, "the chart's table says what the forecast API says");
    my $rects = () = ($fig // '') =~ /<rect class="(?:usual|today)"/g;
    cmp_ok($rects, '>=', 4, 'bars are drawn');
    like($fig // '', qr{<details class="week"><summary>People waiting by day and hour}, 'the week as small charts');
    my @days = ($fig // '') =~ m{<tr><th scope="row">(\w+day)</th>}g;
    is_deeply([ grep { /^(Mon|Tues|Wednes|Thurs|Fri)day$/ } @days ], [qw(Monday Tuesday Wednesday Thursday Friday)],
              'the week table lists the weekdays, Monday first');

    # suggestions: certificates is a service any office does
    local $ENV{MADO_NOW} = $TODAY + 11 * 3600;
    $t->madoctl_ok(qw(set minami certificates --status open --waiting 20 --staff 1));
    $t->madoctl_ok(qw(set fushimi certificates --status open --waiting 1 --staff 1));
    $t->madoctl_ok(qw(set shimogyo certificates --status open --waiting 40 --staff 1));
    $t->madoctl_ok(qw(set fukakusa certificates --status paused --waiting 0));
    $page = $t->http('GET', '/minami?lang=en');
    my ($sug) = ($page->{body} // '') =~ m{<section class="suggest"[^>]*>(.*?)</section>}s;
    ok($sug, 'a busy office suggests quieter neighbours');
    like($sug // '', qr{<a href="/fushimi\?lang=en">Fushimi Ward Office</a>}, 'the quieter neighbour is suggested');
    unlike($sug // '', qr{shimogyo}, 'a busier neighbour is not');
    unlike($sug // '', qr{fukakusa}, 'a paused neighbour is not');
    $page = $t->http('GET', '/fushimi?lang=en');
    unlike($page->{body} // '', qr{<section class="suggest"}, 'the quietest office suggests nothing');
}

# ------------------------------------------------------------ retention

{
    local $ENV{MADO_NOW} = $TODAY + 11 * 3600;
    my ($r1, $before_day) = $t->get_json('/api/v1/offices/minami/history?date=2026-11-16');
    my ($r2, $before_fc) = $t->get_json('/api/v1/offices/minami/forecast?weeks=2');
    my $before_rep = $t->madoctl(qw(report --office minami --from 2026-11-13 --to 2026-11-26))->{out};
    my (undef, $yday) = $t->get_json('/api/v1/offices/minami/history?date=2026-11-26');
    # the counter fed (idle ones show the figures they stood at, which no
    # change ever wrote)
    my $nsamples = sub { my ($c) = grep { $_->{id} eq 'certificates' } @{ $_[0]{counters} }; scalar @{ $c->{samples} } };
    cmp_ok($nsamples->($before_day), '>', 0, 'before compaction: the day has samples');

    my $c = $t->madoctl(qw(compact --keep-days 3));
    is($c->{exit}, 0, 'compact: exit 0') or diag($c->{err});
    like($c->{out}, qr/compacted (\d+) office-days/, 'compact: says what it did');
    my ($days) = $c->{out} =~ /compacted (\d+) office-days/;
    # minami's six days fed, and the days the neighbours set later stood idle
    cmp_ok($days, '>=', 6, 'compact: at least the six days fed before the last 3');

    my (undef, $after_day) = $t->get_json('/api/v1/offices/minami/history?date=2026-11-16');
    is($nsamples->($after_day), 0, 'after compaction: no samples of that day');
    is_deeply([ map { $_->{hours} } @{ $after_day->{counters} } ],
              [ map { $_->{hours} } @{ $before_day->{counters} } ],
              'after compaction: the hours of the day are the same');
    my (undef, $after_fc) = $t->get_json('/api/v1/offices/minami/forecast?weeks=2');
    is_deeply([ map { $_->{weekdays} } @{ $after_fc->{counters} } ],
              [ map { $_->{weekdays} } @{ $before_fc->{counters} } ],
              'after compaction: the forecast is the same');
    is($t->madoctl(qw(report --office minami --from 2026-11-13 --to 2026-11-26))->{out}, $before_rep,
       'after compaction: the report is the same');
    my (undef, $yday2) = $t->get_json('/api/v1/offices/minami/history?date=2026-11-26');
    is_deeply($yday2, $yday, 'a day within --keep-days keeps its samples');

    $c = $t->madoctl(qw(compact --keep-days 3));
    like($c->{out}, qr/compacted 0 office-days/, 'compact again: nothing left to do');
    my (undef, $again) = $t->get_json('/api/v1/offices/minami/history?date=2026-11-16');
    is_deeply($again, $after_day, 'compact again: nothing changes');

    $c = $t->madoctl(qw(compact --keep-days 3 --keep-hourly-days 10));
    like($c->{out}, qr/dropped [1-9]\d* hourly figures/, 'hourly figures past --keep-hourly-days are dropped');
    my (undef, $gone) = $t->get_json('/api/v1/offices/minami/history?date=2026-11-16');
    my ($gc) = grep { $_->{id} eq 'certificates' } @{ $gone->{counters} };
    is_deeply([ grep { $_->{issued} || $_->{served} } @{ $gc->{hours} } ], [], 'a dropped day has no tickets left');

    $c = $t->madoctl(qw(compact --keep-days 30 --keep-hourly-days 10));
    is($c->{exit}, 1, 'hourly shorter than detail: exit 1');
    like($c->{err}, qr/--keep-hourly-days/, 'the option is named');
}

$t->stop;
$t->check_logs;
done_testing;
