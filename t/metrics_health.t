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

sub promtool_ok {
    my ($body, $name) = @_;
    my ($fh, $file) = tempfile(DIR => $t->dir, SUFFIX => '.prom');
    print $fh $body;
    close $fh;
    my $out = `$promtool check metrics < $file 2>&1`;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($? >> 8, 0, $name) or diag($out);
}
