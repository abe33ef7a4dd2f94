#!/usr/bin/perl

# The best time to visit, in words: four past Fridays of history fed into
# minami/certificates, each hour with its own wait, then on a Friday at
# 10:30 the API's "best_time" and the office page's sentence must name
# the quietest hour still to come as the forecast API gives it (and its
# usual wait, rounded to 5 minutes); a counter without history, a counter
# whose wait now is already low and a day the office is closed say
# nothing.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);

# local midnight (JST) of 2026-11-27, a Friday
my $TODAY = 1795705200;
my $NOW = $TODAY + 10 * 3600 + 30 * 60;
sub ymd {
    my @g = gmtime($_[0] + 9 * 3600);
    return sprintf('%04d%02d%02d', $g[5] + 1900, $g[4] + 1, $g[3]);
}

# minutes a ticket issued in that hour waited, on every past Friday
my %WAIT = (9 => 40, 10 => 30, 11 => 25, 12 => 22, 13 => 20, 14 => 8, 15 => 12, 16 => 35);

sub write_log {
    my ($file, @ev) = @_;
    open my $fh, '>', $file or die;
    for my $e (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @ev) {
        my @g = gmtime($e->[0] + 9 * 3600);
        printf {$fh} "%s,%02d:%02d:%02d,%d,21,%d\n", ymd($e->[0]), $g[2], $g[1], $g[0], $e->[1], $e->[2];
    }
    close $fh;
}

$ENV{MADO_NOW} = $TODAY - 28 * 86400 + 8 * 3600;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

for my $w (4, 3, 2, 1) {
    my $mid = $TODAY - 7 * $w * 86400;
    my ($k, @ev) = (0);
    for my $h (sort { $a <=> $b } keys %WAIT) {
        for my $i (0 .. 2) {
            my $issue = $mid + $h * 3600 + $i * 600;
            $k++;
            push @ev, [$issue, 0, $k], [$issue + $WAIT{$h} * 60, 1, $k];
        }
    }
    write_log($t->dir . "/fri$w.log", @ev);
    $ENV{MADO_NOW} = $mid + 18 * 3600;
    $t->madoctl_ok(qw(feed --office minami --format voicecall), $t->dir . "/fri$w.log");
}

# today: busy now, with the counter open
$ENV{MADO_NOW} = $NOW;
$t->madoctl_ok(qw(set minami certificates --status open --waiting 30 --staff 1));

$t->write_config_raw(<<'EOF2');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
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
EOF2
$t->start;

sub counter {
    my ($d, $id) = @_;
    return (grep { $_->{id} eq $id } @{ $d->{office}{counters} })[0];
}

# the quietest hour still to come, by the forecast API's own figures
my ($r, $fc) = $t->get_json('/api/v1/offices/minami/forecast?weeks=8');
my ($fcc) = grep { $_->{id} eq 'certificates' } @{ $fc->{counters} };
my ($fri) = grep { $_->{weekday} == 5 } @{ $fcc->{weekdays} };
my ($best) = sort { $a->{wait_avg_minutes} <=> $b->{wait_avg_minutes} || $a->{hour} <=> $b->{hour} }
             grep { $_->{hour} * 60 > 10 * 60 + 30 && $_->{days} >= 3 && defined $_->{wait_avg_minutes} }
             @{ $fri->{hours} };
ok($best, 'the forecast has hours to come with history');
is($best->{hour}, 14, 'the fed history is quietest at 14:00');

my $d;
($r, $d) = $t->get_json('/api/v1/offices/minami');
is($r->{status}, 200, 'office: 200');
my $c = counter($d, 'certificates');
ok($c->{best_time}, 'a best time with history and a busy counter');
is($c->{best_time}{from}, sprintf('%02d:00', $best->{hour}), 'from: the quietest hour to come of the forecast');
is($c->{best_time}{typical_minutes}, int(($best->{wait_avg_minutes} + 2.5) / 5) * 5,
   'typical_minutes: its usual wait, to 5 minutes');
is($c->{best_time}{basis}, 'weekday history', 'basis named');
is($c->{best_time}{days}, $best->{days}, 'days: of the forecast cell');
is($c->{best_time}{weeks}, 8, 'weeks looked at');
ok(exists counter($d, 'moving')->{best_time} && !defined counter($d, 'moving')->{best_time},
   'no history: best_time is null');

# getting there: address, phone, map and the services' pages
is($d->{office}{phone}, '075-681-3111', 'phone in the API');
like($d->{office}{address}{ja} // '', qr{^京都市南区}, 'address in the API');
ok(exists $d->{office}{map_url} && !defined $d->{office}{map_url}, 'map_url: null when not configured');
like(counter($d, 'moving')->{service_url} // '', qr{^https://www\.call3755\.city\.kyoto\.lg\.jp/}, 'service_url in the API');
ok(exists counter($d, 'family')->{service_url} && !defined counter($d, 'family')->{service_url},
   'service_url: null when not configured');
is_deeply($d->{office}{closures}, [], 'no closures in the next 14 days');

my ($ra, $all) = $t->get_json('/api/v1/offices');
my ($mall) = grep { $_->{id} eq 'minami' } @{ $all->{offices} };
is_deeply((grep { $_->{id} eq 'certificates' } @{ $mall->{counters} })[0]{best_time}, $c->{best_time},
          'the all-offices document says the same');

# the page, in English and Japanese
my $from = $c->{best_time}{from};
my $page = $t->get('/minami?lang=en');
my $body = decode_utf8($page->{body} // '');
my ($art) = $body =~ m{(<article class="counter" id="c-certificates".*?</article>)}s;
like($art // '', qr{<p class="best-time" data-from="\Q$from\E" data-minutes="10"><span class="best-time-text">Usually quieter from \Q$from\E today: about 10 min wait</span> <span class="best-time-basis">Based on 4 recent Fridays</span></p>},
     'en: the sentence in the counter, with its basis');
($art) = $body =~ m{(<article class="counter" id="c-moving".*?</article>)}s;
unlike($art // '', qr{best-time}, 'en: no sentence without history');
$page = $t->get('/minami?lang=ja');
$body = decode_utf8($page->{body} // '');
like($body, qr{本日は\Q$from\E以降が比較的すいています（通常10分程度）}, 'ja: the sentence');
like($body, qr{過去の金曜日4日分の実績によります}, 'ja: its basis');
for my $lang (qw(zh-hans zh-hant ko ja-easy)) {
    $page = $t->get("/minami?lang=$lang");
    like(decode_utf8($page->{body} // ''), qr{<span class="best-time-text">(?:(?!best-time-basis).)*\Q$from\E(?:(?!best-time-basis).)*</span> <span class="best-time-basis">}s, "$lang: a sentence");
}

# the wait now already as low: nothing to wait for
$t->madoctl_ok(qw(set minami certificates --status open --waiting 0 --staff 2));
($r, $d) = $t->get_json('/api/v1/offices/minami');
ok(!defined counter($d, 'certificates')->{best_time}, 'quiet now: no best time');

# closed by staff while the office is open: nothing either
$t->madoctl_ok(qw(set minami certificates --status closed));
($r, $d) = $t->get_json('/api/v1/offices/minami');
ok(!defined counter($d, 'certificates')->{best_time}, 'closed by staff: no best time');

# a day the office is closed (臨時閉庁日 today): no claim, and a closure
$t->madoctl_ok(qw(set minami certificates --status open --waiting 30 --staff 1));
($r, $d) = $t->get_json('/api/v1/offices/minami');
ok(defined counter($d, 'certificates')->{best_time}, 'busy again: the best time is back');

my $json = JSON::PP->new->utf8->canonical;
my $offices = $json->decode(do { local $/; open my $fh, '<', MadoTest::offices_json() or die; <$fh> });
my ($mo) = grep { $_->{id} eq 'minami' } @{ $offices->{offices} };
$mo->{closed_dates} = ['2026-11-27', '2026-12-04'];
open my $fh, '>', $t->dir . '/closed.json' or die;
print {$fh} $json->encode($offices);
close $fh;
$t->madoctl_ok('load', $t->dir . '/closed.json');

($r, $d) = $t->get_json('/api/v1/offices/minami');
ok(!defined counter($d, 'certificates')->{best_time}, 'closed today: no best time');
is_deeply([ map { "$_->{from}/$_->{to}/$_->{kind}" } @{ $d->{office}{closures} } ],
          ['2026-11-27/2026-11-27/closed', '2026-12-04/2026-12-04/closed'],
          'closures: the 臨時閉庁日 of the next 14 days');
$page = $t->get('/minami?lang=en');
$body = decode_utf8($page->{body} // '');
unlike($body, qr{class="best-time"}, 'closed today: no sentence on the page');
like($body, qr{<li data-kind="closed" data-from="2026-12-04">Friday 12/4: the office is closed</li>},
     'en: the closure in words');

# 年末年始 ahead: one entry for all of it, weekend or not
$t->stop;
$ENV{MADO_NOW} = $TODAY + 25 * 86400 + 10 * 3600;      # Tuesday 2026-12-22
$t->start;
($r, $d) = $t->get_json('/api/v1/offices/minami');
is_deeply([ map { "$_->{from}/$_->{to}/$_->{kind}" } @{ $d->{office}{closures} } ],
          ['2026-12-29/2027-01-03/year_end'], 'closures: 年末年始 as one entry');
$page = $t->get('/minami?lang=en');
like(decode_utf8($page->{body} // ''),
     qr{<li data-kind="year_end" data-from="2026-12-29">Tuesday 12/29 – Sunday 1/3: closed for the New Year holidays</li>},
     'en: the New Year closure in words');
$page = $t->get('/minami?lang=ja');
like(decode_utf8($page->{body} // ''), qr{12月29日（火曜日）〜1月3日（日曜日）：年末年始のため閉庁します},
     'ja: the New Year closure in words');

$t->stop;
$t->check_logs;

done_testing();
