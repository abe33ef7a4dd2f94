#!/usr/bin/perl

# Recently called numbers: each counter's "recent_calls" in the JSON API,
# newest first, today's only, at most 5, from every writer: madoctl call
# and set --calling, madoctl feed (read in any order), the update API.  A
# number called again moves up with its new time; a new day empties it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $dir = $t->dir;

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });

my $conf = <<'EOF';
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }
    }
}
EOF
$t->write_config_raw($conf);
$t->start;

# madoctl at a time of 2026-11-27
sub at {
    my ($hhmm, @args) = @_;
    local $ENV{MADO_NOW} = "2026-11-27T$hhmm:00+09:00";
    return $t->madoctl_ok(@args);
}

# [number, "HH:MM"] of a counter's recent_calls, as the API says
sub recent {
    my ($o, $c, $path) = @_;
    my $d = $t->get_json($path // "/api/v1/offices/$o");
    my $x = MadoTest::find_counter($d, $o, $c) // {};
    return undef unless ref $x->{recent_calls} eq 'ARRAY';
    return [ map {
        my ($hm) = ($_->{at} // '') =~ /^2026-11-2\dT(\d\d:\d\d):\d\d\+09:00$/;
        [ $_->{number}, $hm // "bad time $_->{at}" ]
    } @{ $x->{recent_calls} } ];
}

# ------------------------------------------------------------ none yet

is_deeply(recent('kita', 'moving'), [], 'no call yet: recent_calls is []');
is_deeply(recent('kita', 'moving', '/api/v1/offices'), [],
          '/api/v1/offices has recent_calls too');

# ------------------------------------------------------------ madoctl call: order, limit, recall

at('09:00', qw(set kita moving --status open --waiting 10));
at(sprintf('10:%02d', $_), qw(call kita moving)) for 0 .. 2;
is_deeply(recent('kita', 'moving'), [ [3, '10:02'], [2, '10:01'], [1, '10:00'] ],
          'three calls: newest first, each with its time');

at(sprintf('10:%02d', $_), qw(call kita moving)) for 3 .. 6;
is_deeply(recent('kita', 'moving'),
          [ [7, '10:06'], [6, '10:05'], [5, '10:04'], [4, '10:03'], [3, '10:02'] ],
          'seven calls: the last five only');
is_deeply(recent('kita', 'moving', '/api/v1/offices'),
          [ [7, '10:06'], [6, '10:05'], [5, '10:04'], [4, '10:03'], [3, '10:02'] ],
          '/api/v1/offices says the same');

at('10:10', qw(call kita moving 4));
is_deeply(recent('kita', 'moving'),
          [ [4, '10:10'], [7, '10:06'], [6, '10:05'], [5, '10:04'], [3, '10:02'] ],
          'number 4 called again: it moves up with its new time, listed once');

# ------------------------------------------------------------ set --calling

at('09:00', qw(set kita family --status open --waiting 5 --last-issued 20));
is_deeply(recent('kita', 'family'), [], 'set without --calling: no call');
at('10:20', qw(set kita family --calling 12));
is_deeply(recent('kita', 'family'), [ [12, '10:20'] ], 'set --calling 12 is a call');
at('10:25', qw(set kita family --calling 12 --waiting 4));
is_deeply(recent('kita', 'family'), [ [12, '10:20'] ],
          'set --calling 12 again (a correction): nothing new');
at('10:30', qw(set kita family --calling 13));
is_deeply(recent('kita', 'family'), [ [13, '10:30'], [12, '10:20'] ], 'set --calling 13');

# ------------------------------------------------------------ madoctl feed, lines out of order

{
    my $f = "$dir/feed.jsonl";
    MadoTest::write_file($f, join('', map { qq({"time": "2026-11-27T$_->[0]:00+09:00", "event": "$_->[1]", "counter": "certificates", "ticket": $_->[2]}\n) }
        [ '11:00', 'issue', 30 ], [ '11:01', 'issue', 31 ], [ '11:02', 'issue', 32 ],
        [ '11:30', 'call', 32 ],
        [ '11:20', 'call', 31 ],            # read after a later call
        [ '11:10', 'call', 30 ],
        [ '11:10', 'call', 30 ]));          # the same line twice
    my $r = $t->madoctl('feed', '--office', 'kita', '--format', 'jsonl', $f);
    is($r->{exit}, 0, 'feed: exit 0') or diag(MadoTest::text($r->{err}));
    is_deeply(recent('kita', 'certificates'), [ [32, '11:30'], [31, '11:20'], [30, '11:10'] ],
              'feed: every call, by time whatever the order read, a duplicate once');

    MadoTest::write_file("$dir/feed2.jsonl",
        qq({"time": "2026-11-27T11:40:00+09:00", "event": "call", "counter": "certificates", "ticket": 30}\n));
    $r = $t->madoctl('feed', '--office', 'kita', '--format', 'jsonl', '--name', 'two', "$dir/feed2.jsonl");
    is($r->{exit}, 0, 'feed of a recall: exit 0') or diag(MadoTest::text($r->{err}));
    is_deeply(recent('kita', 'certificates'), [ [30, '11:40'], [32, '11:30'], [31, '11:20'] ],
              'feed: number 30 called again moves up');
}

# ------------------------------------------------------------ the update API (nginx's clock: 12:00)

{
    my $token = $t->admin_login('tanaka', 'correct horse battery staple');
    at('09:00', qw(set kita mynumber --status open --waiting 3));
    my ($r, $d) = $t->admin_post('offices/kita/counters/mynumber', { action => 'call' }, $token);
    is($r->{status}, 200, 'update API call: 200') or diag($r->{body});
    ($r, $d) = $t->admin_post('offices/kita/counters/mynumber', { action => 'set', calling => 2 }, $token);
    is($r->{status}, 200, 'update API set calling: 200') or diag($r->{body});
    is_deeply(recent('kita', 'mynumber'), [ [2, '12:00'], [1, '12:00'] ],
              'update API: call and set calling both listed');
}

# ------------------------------------------------------------ the next day

$t->stop;
$ENV{MADO_NOW} = 1795748400 + 21 * 3600;   # 2026-11-28T09:00:00+09:00
$t->start;

is_deeply(recent('kita', 'moving'), [], 'the next day: yesterday\'s calls are not shown');
is_deeply(recent('kita', 'certificates'), [], 'the next day: nor the feed\'s');
{
    local $ENV{MADO_NOW} = '2026-11-28T08:59:00+09:00';
    $t->madoctl_ok(qw(set kita moving --status open --waiting 2));
    $t->madoctl_ok(qw(call kita moving));
}
is_deeply(recent('kita', 'moving'), [ [1, '08:59'] ],
          'the first call of the day starts a new list');

done_testing();
