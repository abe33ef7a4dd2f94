#!/usr/bin/perl

# nginx started before the store exists: every request 503 with Retry-After
# and one [error] line for the outage, not one per request; once madoctl
# makes the store, the workers open it (they look at most once a second)
# without a restart.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $u = MadoTest->new;
$u->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 1;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$u->start;

my $store_re = qr/\[error\].*store/;
for my $i (1 .. 3) {
    my ($r1, $d) = $u->get_json('/api/v1/offices');
    is($r1->{status}, 503, "no store: request $i -> 503");
    is($d->{error}, 'store_unavailable', "no store: error store_unavailable");
    ok(defined $d->{message} && length $d->{message}, 'no store: message');
    like($r1->{headers}{'content-type'} // '', qr{^application/json}, 'no store: JSON');
    like($r1->{headers}{'retry-after'} // '', qr/^\d+$/, 'no store: Retry-After (docs/api.md)');
}
my ($r2, $d2) = $u->get_json('/api/v1/offices/kita');
is($r2->{status}, 503, 'no store: one office -> 503');

# the worker looks again in a later second than its last look
$u->wait_next_second;
for my $i (1 .. 3) {
    my ($r1) = $u->get_json('/api/v1/offices');
    is($r1->{status}, 503, "no store, a second later: request $i -> 503");
}
is($u->error_log_lines($store_re), 1, 'exactly one [error] line about the store')
    or diag(MadoTest::text(join "\n", grep { /\[error\]/ } split /\n/, $u->error_log));

$u->madoctl_ok('init');
$u->madoctl_ok('load', MadoTest::offices_json());
my $t0 = time;

# Within the second of init+load the worker may have looked already; in
# the next one a request makes it look, whatever the machine's load.  (Once
# "within ~1.5 s" of wall time, which a busy machine could miss.)
$u->wait_next_second($t0);
my $st = $u->http('GET', '/api/v1/offices')->{status};
is($st, 200, sprintf('200 after init+load, without a restart, from the next second on (%.2f s)',
                     time - $t0));
my @st = map { $u->http('GET', $_ % 2 ? '/api/v1/offices' : '/api/v1/offices/kita')->{status} } 1 .. 10;
is_deeply(\@st, [ (200) x 10 ], 'then every request is 200');
is($u->error_log_lines($store_re), 1, 'no further [error] lines about the store');

$u->stop;

done_testing;
