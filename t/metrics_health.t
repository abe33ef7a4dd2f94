#!/usr/bin/perl

# mado_metrics and mado_health: the Prometheus exposition passes promtool;
# requests are counted by route and status across both workers (exactly
# what was sent), and a reload keeps the counts; the counters' figures are
# those stored; logins, failures and lockouts are counted; the health check
# answers 200 while the store is readable and 503 with the reason while it
# is gone, and comes back by itself.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempfile);
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $promtool = '/usr/bin/promtool';
-x $promtool or plan skip_all => "promtool (Debian's prometheus) is not installed: make deps";

my $t = MadoTest->new;
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user('tanaka', qw(--role staff --office kita), { iterations => 1000 });

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 15m;
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
        location = /healthz { mado_health; }
        location = /metrics { mado_metrics; }
        location /plain/ { return 204; }
    }
}
EOF
$t->start;
$t->allow_log(qr/\[warn\].*(a failed login|mado admin: (logins from|account)|is a test store)/);
$t->allow_log(qr/\[(error|notice)\].*mado store .*(unavailable|no store at|available again|readable again|replaced)/);

# ------------------------------------------------------------ the figures

$t->madoctl_ok(qw(set kita moving --status open --waiting 7 --calling 12 --staff 2));
$t->madoctl_ok(qw(set kita family --status closed));

my $m = scrape();
is($m->{status}, 200, 'metrics: 200');
like($m->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4}, 'the exposition format 0.0.4');
promtool_ok($m->{body}, 'promtool check metrics: no problem');

my %v = values_of($m->{body});
is($v{'mado_desk_waiting{office="kita",counter="moving"}'}, 7, 'waiting as stored');
is($v{'mado_desk_calling{office="kita",counter="moving"}'}, 12, 'the number called as stored');
is($v{'mado_desk_staff{office="kita",counter="moving"}'}, 2, 'staff as stored');
is($v{'mado_desk_status{office="kita",counter="moving",status="open"}'}, 1, 'open: 1 in its status series');
is($v{'mado_desk_status{office="kita",counter="moving",status="closed"}'}, 0, 'and 0 in the others');
is($v{'mado_desk_status{office="kita",counter="family",status="closed"}'}, 1, 'a closed counter: closed 1');
ok(($v{'mado_desk_wait_estimate_seconds{office="kita",counter="moving"}'} // 0) > 0,
   'an open counter with 7 waiting has a wait estimate');
ok($v{'mado_desk_wait_low_seconds{office="kita",counter="moving"}'}
   <= $v{'mado_desk_wait_high_seconds{office="kita",counter="moving"}'}, 'its band: low <= high');
ok(!exists $v{'mado_desk_wait_estimate_seconds{office="kita",counter="family"}'},
   'a closed counter has no estimate');
is($v{'mado_desk_stale{office="kita",counter="moving"}'}, 0, 'just set: not stale');
ok($v{'mado_desk_update_age_seconds{office="kita",counter="moving"}'} <= 60, 'updated a moment ago');
is($v{mado_store_up}, 1, 'the store is up');
ok($v{mado_store_txn_id} > 0, 'the transaction id read');
like($m->{body}, qr/^mado_build_info\{version="[^"]+",schema="\d+",nginx="1\.\d+\.\d+"\} 1$/m, 'build info');

my (undef, $api) = $t->get_json('/api/v1/offices');
my $ncounters = 0;
$ncounters += scalar @{ $_->{counters} } for @{ $api->{offices} || [] };
ok($ncounters > 14, "the API lists $ncounters counters");
my $series = () = $m->{body} =~ /^mado_desk_waiting\{/mg;
is($series, $ncounters, "one waiting series per counter of the API ($ncounters)");

# an hour old: stale in the metrics as in the API
$t->madoctl_ok(qw(set kita moving --waiting 8), { env => { MADO_NOW => int(time) - 3600 } });
%v = values_of(scrape()->{body});
is($v{'mado_desk_stale{office="kita",counter="moving"}'}, 1, 'an hour old: stale 1');
ok($v{'mado_desk_update_age_seconds{office="kita",counter="moving"}'} >= 3600, 'its age: an hour');

# ------------------------------------------------------------ requests counted

my %before = values_of(scrape()->{body});
$t->get('/api/v1/offices') for 1 .. 10;
$t->get('/api/v1/offices/no-such-office') for 1 .. 3;
$t->get('/plain/x') for 1 .. 4;
$t->http('POST', '/healthz') for 1 .. 2;

my %want = (
    'mado_requests_total{route="api",code="200"}'     => 10,
    'mado_requests_total{route="api",code="404"}'     => 3,
    'mado_requests_total{route="other",code="204"}'   => 4,
    'mado_requests_total{route="health",code="405"}'  => 2,
);
my %after;
# each worker counts at the end of its request, just after the answer
my $deadline = time + 5;
while (1) {
    %after = values_of(scrape()->{body});
    last if !grep { ($after{$_} // 0) - ($before{$_} // 0) < $want{$_} } keys %want;
    last if time > $deadline;
    sleep 0.05;
}
for my $k (sort keys %want) {
    is(($after{$k} // 0) - ($before{$k} // 0), $want{$k}, "$k: +$want{$k}");
}
my @pids = $t->worker_pids;
is(scalar @pids, 2, 'two workers share the counts');

# a reload keeps the zone and its counts
$t->reload;
my %reloaded = values_of(scrape()->{body});
ok($reloaded{'mado_requests_total{route="api",code="200"}'} >= $after{'mado_requests_total{route="api",code="200"}'},
   'a reload keeps the counts');

# ------------------------------------------------------------ logins

%before = values_of(scrape()->{body});
ok($t->admin_login('tanaka', 'correct horse battery staple'), 'a login');
$t->admin_post('login', { user => 'tanaka', password => "wrong $_" }) for 1 .. 5;
%after = values_of(scrape()->{body});
is($after{mado_logins_total} - $before{mado_logins_total}, 1, 'logins_total +1');
is($after{mado_login_failures_total} - $before{mado_login_failures_total}, 5, 'login_failures_total +5');
is($after{mado_login_lockouts_total} - $before{mado_login_lockouts_total}, 1,
   'the fifth failure locks the account: lockouts_total +1');
$t->admin_post('login', { user => 'tanaka', password => 'correct horse battery staple' });
%before = %after;
%after = values_of(scrape()->{body});
is($after{mado_logins_held_total} - $before{mado_logins_held_total}, 1, 'a login while it waits: held +1');
promtool_ok(scrape()->{body}, 'promtool still content after logins and a reload');

# ------------------------------------------------------------ feeds, audit, store

# madoctl feed of a file with good and bad lines, its clock 1000 s behind
# the real one (the module's): the counts exactly, the ages to the second
%before = values_of(scrape()->{body});
ok(!grep(/^mado_feed_/, keys %before), 'no feed yet: no feed series');
ok($before{mado_audit_records} > 0, 'the audit trail counted: ' . ($before{mado_audit_records} // 'none'));
is($before{mado_audit_last_seq}, $before{mado_audit_records}, 'its last record is the count-th');

my $n0 = int(time) - 1000;
my $file = $t->dir . '/kamigyo.jsonl';
spew($file, join '', map { "$_\n" }
    qq({"time": @{[$n0 - 600]}, "event": "issue", "counter": "moving", "ticket": 13}),
    qq({"time": @{[$n0 - 590]}, "event": "issue", "counter": "moving", "ticket": 14}),
    qq(this is no event),
    qq({"time": @{[$n0 - 500]}, "event": "call", "counter": "moving", "ticket": 13}),
    qq({"time": @{[$n0 - 400]}, "event": "issue", "counter": "nosuch", "ticket": 1}),
    qq({"time": @{[$n0 - 590]}, "event": "issue", "counter": "moving", "ticket": 14}),
    qq({"time": @{[$n0 - 300]}, "event": "issue", "counter": "family", "ticket": 999}));
my $r = $t->madoctl(qw(feed --office kamigyo --format jsonl), $file, { env => { MADO_NOW => $n0 } });
is($r->{exit}, 0, 'madoctl feed: bad lines do not fail it');
like($r->{out}, qr/7 lines: 3 applied, 1 already known, 0 of an earlier day, 3 bad/, 'its summary');
my $t0 = int(time);
$m = scrape();
my $t1 = int(time) + 1;
promtool_ok($m->{body}, 'promtool check metrics with feeds');
%v = values_of($m->{body});
my $fl = 'office="kamigyo",feed="log",source="file"';
is($v{"mado_feed_events_total{$fl,result=\"applied\"}"}, 3, 'events applied: 3');
is($v{"mado_feed_events_total{$fl,result=\"duplicate\"}"}, 1, 'already known: 1');
is($v{"mado_feed_events_total{$fl,result=\"old\"}"}, 0, 'of an earlier day: 0');
is($v{"mado_feed_bad_lines_total{$fl}"}, 3, 'bad lines: 3 (one not an event, two the office cannot take)');
within($v{"mado_feed_batch_age_seconds{$fl}"}, $t0 - $n0, $t1 - $n0,
       'batch age: since madoctl\'s clock wrote it');
within($v{"mado_feed_event_age_seconds{$fl}"}, $t0 - ($n0 - 500), $t1 - ($n0 - 500),
       'event age: of the newest event not refused (the call at -500, not the bad line at -300)');
is($v{mado_audit_records} - $before{mado_audit_records}, 1,
   'the batch audited the one counter it changed: +1 record');
is($v{mado_audit_last_seq}, $v{mado_audit_records}, 'the last record follows');
ok(defined $v{mado_store_write_age_seconds} && $v{mado_store_write_age_seconds} <= $t1 - $t0 + 1,
   'the store was written a moment ago: ' . ($v{mado_store_write_age_seconds} // 'none'));
ok($v{mado_store_txn_id} > $before{mado_store_txn_id}, 'and its transaction id moved');

# the same file again: nothing read twice, nothing counted
$r = $t->madoctl(qw(feed --office kamigyo --format jsonl), $file, { env => { MADO_NOW => $n0 + 10 } });
like($r->{out}, qr/0 lines: .* 0 bad; 7 lines were applied before/, 'fed again: applied before');
%after = values_of(scrape()->{body});
is($after{"mado_feed_bad_lines_total{$fl}"}, 3, 'bad lines still 3');
is($after{"mado_feed_events_total{$fl,result=\"applied\"}"}, 3, 'applied still 3');

# a second feed of the office, named: its own series
$r = $t->madoctl(qw(feed --office kamigyo --name second --format jsonl -), {
    stdin => qq({"time": $n0, "event": "issue", "counter": "family", "ticket": 5}\nbad\n),
    env => { MADO_NOW => $n0 } });
is($r->{exit}, 0, 'feed --name second');
%after = values_of(scrape()->{body});
my $f2 = 'office="kamigyo",feed="second",source="file"';
is($after{"mado_feed_events_total{$f2,result=\"applied\"}"}, 1, '--name: its own applied');
is($after{"mado_feed_bad_lines_total{$f2}"}, 1, '--name: its own bad line');
is($after{"mado_feed_bad_lines_total{$fl}"}, 3, 'the first one unchanged');
$r = $t->madoctl(qw(feed --office kamigyo --name), 'Not An Id', qw(--format jsonl), $file);
isnt($r->{exit}, 0, 'feed --name must be an id');
like($r->{err}, qr/--name/, 'the refusal names --name');

# the feed endpoint: the account is the feed; a refused batch counts its bad line
my ($token) = $t->madoctl_ok(qw(user add sakyo-machine --role feed --office sakyo))
    =~ /^(mado_[0-9a-f]{64})$/m;
my $now = int(time);
sub post_feed {
    my ($body) = @_;
    return $t->admin_post('offices/sakyo/feed', $body, $token, 'Content-Type' => 'application/x-ndjson');
}
my ($pr) = post_feed(join '', map { "$_\n" }
    qq({"time": @{[$now - 120]}, "event": "issue", "counter": "moving", "ticket": 1}),
    qq({"time": @{[$now - 60]}, "event": "issue", "counter": "moving", "ticket": 2}));
is($pr->{status}, 200, 'feed endpoint: a good batch');
($pr) = post_feed(join '', map { "$_\n" }
    qq({"time": @{[$now - 30]}, "event": "call", "counter": "moving", "ticket": 1}),
    qq({"time": @{[$now - 20]}, "event": "issue", "counter": "nosuch", "ticket": 3}));
is($pr->{status}, 400, 'a batch naming a counter the office lacks: 400');
($pr) = post_feed(qq({"time": @{[$now - 10]}, "event": "call", "counter": "moving", "ticket": 2}\nnot json\n));
is($pr->{status}, 400, 'a batch with a line that is no event: 400');
%v = values_of(scrape()->{body});
my $fh = 'office="sakyo",feed="api",source="http"';
is($v{"mado_feed_events_total{$fh,result=\"applied\"}"}, 2, 'http: the good batch applied, the refused ones not');
is($v{"mado_feed_bad_lines_total{$fh}"}, 2, 'http: each refused batch counts its bad line');
is($v{'mado_desk_calling{office="sakyo",counter="moving"}'}, 0, 'the refused batches wrote no call');
is($v{'mado_desk_waiting{office="sakyo",counter="moving"}'}, 2, 'waiting as the good batch left it');
within($v{"mado_feed_event_age_seconds{$fh}"}, 60, int(time) + 1 - ($now - 60), 'http: event age of the newest applied');
ok(!grep(/office="kita".*source=/, keys %v), 'no feed series for an office without a feed');
promtool_ok(scrape()->{body}, 'promtool check metrics with both kinds of feed');

# ------------------------------------------------------------ health

my $h = $t->get('/healthz');
is($h->{status}, 200, 'health: 200');
my $hd = eval { JSON::PP->new->decode($h->{body}) } || {};
is($hd->{status}, 'ok', 'status ok');
is($hd->{counters}, $ncounters, 'counts the counters');
ok($hd->{stale_counters} >= 1, 'and says how many are stale (kita/moving)');
like($h->{headers}{'cache-control'} // '', qr/no-store/, 'never cached');

# the store taken away: 503 from every worker within a second or two
my $data = $t->store . '/data.mdb';
rename $data, "$data.away" or die "rename: $!";
my $down;
$deadline = time + 5;
while (time < $deadline) {
    my @r = map { $t->get('/healthz') } 1 .. 4;
    if (!grep { $_->{status} != 503 } @r) { $down = $r[0]; last }
    sleep 0.2;
}
ok($down, 'store gone: 503 from the workers');
my $dd = $down ? (eval { JSON::PP->new->decode($down->{body}) } || {}) : {};
is($dd->{error}, 'store_unavailable', 'error store_unavailable');
like($dd->{message} // '', qr/no store at/, 'and the reason') or diag($down && $down->{body});
%v = values_of(scrape()->{body});
is($v{mado_store_up}, 0, 'metrics: store_up 0');
ok(!grep(/^mado_desk_/, keys %v), 'and no counter figures');

rename "$data.away", $data or die "rename: $!";
my $up;
$deadline = time + 5;
while (time < $deadline) {
    my @r = map { $t->get('/healthz') } 1 .. 4;
    if (!grep { $_->{status} != 200 } @r) { $up = 1; last }
    sleep 0.2;
}
ok($up, 'store back: 200 again by itself');

$t->stop;
$t->check_logs;

done_testing;


sub scrape {
    my $r = $t->get('/metrics');
    die "metrics: $r->{status}\n" unless $r->{status} == 200;
    return $r;
}

# "name{labels} value" lines into a hash
sub values_of {
    my ($body) = @_;
    my %v;
    for (split /\n/, $body) {
        next if /^#/ || !/\S/;
        my ($k, $val) = /^(\S+(?:\{.*\})?) (\S+)$/ or next;
        $v{$k} = $val;
    }
    return %v;
}

# lo <= value <= hi
sub within {
    my ($got, $lo, $hi, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok(defined $got && $got >= $lo && $got <= $hi, $name)
        or diag('got ' . ($got // 'none') . ", want $lo..$hi");
}

sub spew {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
}

sub promtool_ok {
    my ($body, $name) = @_;
    my ($fh, $file) = tempfile(DIR => $t->dir, SUFFIX => '.prom');
    print $fh $body;
    close $fh;
    my $out = `$promtool check metrics < $file 2>&1`;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($? >> 8, 0, $name) or diag($out);
}
