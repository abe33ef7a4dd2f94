#!/usr/bin/perl

# What citizens see follows the calendar: closed outside opening hours and
# on holidays (with the next opening), ended from a counter's reception end,
# and a new opening day starts from zero while the stored day stays as it
# was.  nginx runs on a test clock ("env MADO_NOW;"), madoctl on MADO_NOW.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use Time::Local qw(timegm);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

# Japan time, as unix seconds
sub jst { my ($y, $mo, $d, $h, $mi) = @_; timegm(0, $mi, $h, $d, $mo - 1, $y) - 9 * 3600 }

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
my $json = JSON::PP->new->utf8->canonical;

my $offices = do { local (@ARGV, $/) = MadoTest::offices_json(); $json->decode(<>) };
$offices->{offices}[0]{counters}[0]{reception_ends} = '17:00';    # kita/moving
my $file = $t->dir . '/offices.json';
open my $fh, '>', $file or die $!;
print $fh $json->encode($offices);
close $fh;

$t->madoctl_ok('init');
$t->madoctl_ok('load', $file);

# Tuesday 2027-01-12, 15:00: a busy afternoon
for my $c (qw(moving certificates)) {
    $t->madoctl_ok(qw(set kita), $c, qw(--status open --waiting 5 --calling 20 --last-issued 25
        --message), '午後は混雑', { env => { MADO_NOW => jst(2027, 1, 12, 15, 0) } });
}

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar on;               # what this test is about
    mado_stale_after 3h;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF

sub at {
    my ($label, @when) = @_;
    local $ENV{MADO_NOW} = jst(@when);
    $t->start;
    my ($r, $d) = $t->get_json('/api/v1/offices/kita');
    $t->stop;
    is($r->{status}, 200, "$label: 200");
    return { map { $_->{id} => $_ } @{ $d->{office}{counters} || [] } };
}

my $c = at('Tuesday 16:00', 2027, 1, 12, 16, 0);
is($c->{moving}{status}, 'open', 'open during opening hours');
is($c->{moving}{waiting}, 5, 'the figures of the day');
is($c->{moving}{message}, '午後は混雑', 'and its message');
ok(!$c->{moving}{stale}, 'an hour old with stale_after 3h: not stale');

$c = at('Tuesday 17:10', 2027, 1, 12, 17, 10);
is($c->{moving}{status}, 'ended', 'after reception_ends 17:00: ended (本日の受付終了)');
is($c->{moving}{waiting}, 5, 'those waiting are still shown');
is($c->{certificates}{status}, 'open', 'a counter without reception_ends: still open');
is($c->{moving}{next_open}, '2027-01-13T08:45:00+09:00', 'ended: next opening tomorrow');

$c = at('Tuesday 18:00', 2027, 1, 12, 18, 0);
is($c->{$_}{status}, 'closed', "after 17:30: $_ closed") for qw(moving certificates family);
is($c->{certificates}{next_open}, '2027-01-13T08:45:00+09:00', 'with the next opening');
ok(!defined $c->{certificates}{wait_minutes}, 'and no wait estimate');

$c = at('Wednesday 08:00', 2027, 1, 13, 8, 0);
is($c->{moving}{status}, 'closed', 'before opening: closed');
is($c->{moving}{next_open}, '2027-01-13T08:45:00+09:00', 'opening at 08:45 today');

$c = at('Wednesday 10:00', 2027, 1, 13, 10, 0);
is($c->{moving}{status}, 'open', 'a new opening day: open');
is_deeply([ @{ $c->{moving} }{qw(waiting calling last_issued)} ], [0, 0, 0], 'counts start from zero');
ok(!defined $c->{moving}{message}, "yesterday's message is gone");
is($c->{moving}{updated_at}, '2027-01-13T08:45:00+09:00', 'as of the opening');

$c = at('Monday 2027-01-11 (成人の日)', 2027, 1, 11, 10, 0);
is($c->{moving}{status}, 'closed', 'a national holiday: closed');
is($c->{moving}{next_open}, '2027-01-12T08:45:00+09:00', 'next opening the day after');

$c = at('Thursday 2026-12-31', 2026, 12, 31, 10, 0);
is($c->{family}{next_open}, '2027-01-04T08:45:00+09:00', '年末年始: next opening on 1/4');

# the stored day is untouched by what was shown
my $show = $json->decode($t->madoctl_ok(qw(show kita --json)));
my ($moving) = grep { $_->{id} eq 'moving' } @{ $show->{offices}[0]{counters} };
is($moving->{waiting}, 5, 'the store still holds Tuesday as written');

# madoctl's first write of the new day starts from zero too
my $r = $t->madoctl(qw(issue kita moving), { env => { MADO_NOW => jst(2027, 1, 13, 9, 0) } });
is($r->{exit}, 0, 'issue on Wednesday morning');
is($r->{out}, "1\n", 'ticket 1 of the day');
$show = $json->decode($t->madoctl_ok(qw(show kita --json)));
($moving) = grep { $_->{id} eq 'moving' } @{ $show->{offices}[0]{counters} };
is_deeply([ @$moving{qw(waiting calling last_issued)} ], [1, 0, 1], 'one waiting, nothing called yet');
$r = $t->madoctl(qw(issue kita moving), { env => { MADO_NOW => jst(2027, 1, 13, 9, 5) } });
is($r->{out}, "2\n", 'the same day goes on counting');

done_testing;
