#!/usr/bin/perl

# Browser sessions of the update API: the session as a cookie scripts
# cannot read (HttpOnly, Secure, SameSite=Strict, only for the API's path)
# and a CSRF token every change must carry; "session" tells a reloaded page
# who is logged in; logout needs the CSRF token and clears the cookie.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

# A test store: its accounts hash 1000 PBKDF2 iterations, not 600 000, so
# that logins cost no time (admin_login.t logs in with production's)
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
# kita/moving open: the issues below are taken
$t->madoctl_ok(qw(set kita moving --status open --waiting 3));

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

# a bearer session too, for the session requests below
my $token = $t->admin_login('tanaka', 'correct horse battery staple');
like($token // '', qr/^mado_s_[0-9a-f]{64}$/, 'a bearer session');

# ------------------------------------------------------------ browser sessions

# a browser gets the session as a cookie scripts cannot read, and a CSRF
# token it must send with every change
{
    my ($r, $d) = $t->admin_post('login', { user => 'tanaka', password => 'correct horse battery staple',
                                  session => 'cookie' });
    is($r->{status}, 200, 'cookie login: 200') or diag($r->{body});
    my $sc = $r->{headers}{'set-cookie'} // '';
    like($sc, qr/^mado_session=mado_s_[0-9a-f]{64}; /, 'cookie login: Set-Cookie mado_session');
    like($sc, qr/; HttpOnly/, 'the cookie is HttpOnly');
    like($sc, qr/; Secure/, 'the cookie is Secure');
    like($sc, qr/; SameSite=Strict/, 'the cookie is SameSite=Strict');
    like($sc, qr/; Path=\/api\/v1\/admin\//, 'the cookie goes only to the update API');
    ok(!exists $d->{token}, 'cookie login: no token in the body');
    like($d->{csrf} // '', qr/^[0-9a-f]{64}$/, 'cookie login: a CSRF token');
    is($d->{role}, 'staff', 'cookie login: the role');
    is_deeply($d->{offices}, ['kita'], 'cookie login: the offices granted');
    is($d->{all_offices}, JSON::PP::false, 'cookie login: not every office');
    my ($cookie) = $sc =~ /^(mado_session=[^;]+)/;
    my $csrf = $d->{csrf};

    my $w = $t->api_counter('kita', 'moving')->{waiting};
    ($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, undef, Cookie => $cookie);
    is($r->{status}, 403, 'a cookie without the CSRF token: 403');
    is($d->{error}, 'csrf', 'a cookie without the CSRF token: error csrf');
    ($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, undef, Cookie => $cookie,
                    'X-CSRF-Token' => ('0' x 64));
    is($r->{status}, 403, 'a cookie with a wrong CSRF token: 403');
    is($t->api_counter('kita', 'moving')->{waiting}, $w, 'nothing written without the right CSRF token');
    ($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, undef,
                    Cookie => "theme=dark; $cookie; lang=ja", 'X-CSRF-Token' => $csrf);
    is($r->{status}, 200, 'cookie and CSRF token: 200') or diag($r->{body});
    is($t->api_counter('kita', 'moving')->{waiting}, $w + 1, 'cookie and CSRF token: written');

    # a reloaded page asks who is logged in, and gets the CSRF token again
    ($r, $d) = $t->admin_post('session', {}, undef, Cookie => $cookie);
    is($r->{status}, 200, 'session: 200 without a CSRF token');
    is($d->{csrf}, $csrf, 'session: the same CSRF token');
    is($d->{user}, 'tanaka', 'session: the user');
    ($r, $d) = $t->admin_post('session', {}, $token);
    is($r->{status}, 200, 'session with a bearer token: 200');
    ok(!exists $d->{csrf} && !exists $d->{token}, 'session with a bearer token: no secrets in it');
    ($r, $d) = $t->admin_post('session', { user => 'x' }, $token);
    is($r->{status}, 400, 'session takes no fields: 400');

    ($r, $d) = $t->admin_post('logout', {}, undef, Cookie => $cookie);
    is($r->{status}, 403, 'logout with a cookie needs the CSRF token too');
    ($r, $d) = $t->admin_post('logout', {}, undef, Cookie => $cookie, 'X-CSRF-Token' => $csrf);
    is($r->{status}, 200, 'cookie logout: 200');
    like($r->{headers}{'set-cookie'} // '', qr/^mado_session=; .*Max-Age=0/, 'cookie logout clears the cookie');
    ($r, $d) = $t->admin_post('session', {}, undef, Cookie => $cookie);
    is($r->{status}, 401, 'after logout the cookie is dead: 401');
    like($r->{headers}{'set-cookie'} // '', qr/Max-Age=0/, 'and a dead cookie is cleared');
    ($r, $d) = $t->admin_post('login', { user => 'tanaka', password => 'x' x 12, session => 'jar' });
    is($r->{status}, 400, 'login session must be cookie or bearer');
    like($d->{message}, qr/^session:/, 'login session: named');
}

$t->stop;

done_testing;
