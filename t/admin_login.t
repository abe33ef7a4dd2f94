#!/usr/bin/perl

# The update API's login (mado_admin): only POST; a wrong password, an
# unknown user and a feed account get the same 401 with a JSON body; the
# right password a session token; logout ends it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita));
$t->madoctl_ok(qw(user add machine --role feed --office kita));

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
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;

my ($r, $d) = ($t->http('GET', '/api/v1/admin/login'), undef);
is($r->{status}, 405, 'GET: 405');
is($r->{headers}{allow}, 'POST', 'GET: Allow: POST');

($r, $d) = $t->admin_post('login', { user => 'tanaka', password => 'wrong password here' });
is($r->{status}, 401, 'a wrong password: 401');
is($d->{error}, 'unauthorized', 'a wrong password: JSON body');

($r, $d) = $t->admin_post('login', { user => 'nobody', password => 'whatever it is now' });
is($r->{status}, 401, 'an unknown user: 401, the same answer');

($r, $d) = $t->admin_post('login', { user => 'machine', password => 'anything at all here' });
is($r->{status}, 401, 'a feed account cannot log in');

($r, $d) = $t->admin_post('login', { user => 'tanaka', password => 'correct horse battery staple' });
is($r->{status}, 200, 'the right password: 200') or diag($r->{body});
my $token = $d->{token} // '';
like($token, qr/^mado_s_[0-9a-f]{64}$/, 'a session token');
is($d->{idle_seconds}, 1800, 'idle limit said');
like($r->{headers}{'cache-control'} // '', qr/no-store/, 'login: no-store');

($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 409, 'the session works (a closed counter refuses the issue)');

($r, $d) = $t->admin_post('logout', {}, $token);
is($r->{status}, 200, 'logout: 200');
($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 401, 'after logout the token no longer works');

unlike($t->error_log, qr/is a test store/, 'a production store: no test-store warning');

$t->stop;

done_testing;
