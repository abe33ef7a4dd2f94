#!/usr/bin/perl

# The production configuration as shipped (conf.example/nginx, staged by
# conf.example/stage-secure.sh: MadoTest->secure): plain HTTP redirects
# with a 301 to https and the port, and offers neither the update API nor
# the staff panel; over TLS a page, the API, the staff panel, a staff login
# and a counter update through the update API all work; the health check
# and the metrics answer this machine only.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

for my $tool (qw(openssl)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}
plan skip_all => 'no IO::Socket::SSL (libio-socket-ssl-perl)'
    unless eval { require IO::Socket::SSL; 1 };

my $t = MadoTest->new;
my ($https, $http) = $t->secure;
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
ok(-s $t->dir . '/etc/mado/audit.key', 'the audit key is where the staged mado.conf expects it');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->start;

# ------------------------------------------------------------ plain HTTP

for my $path ('/', '/kita?lang=en', '/api/v1/offices', '/staff/') {
    my $r = $t->get($path, { tls => 0, port => $http });
    is($r->{status}, 301, "http://...$path: 301");
    is($r->{headers}{location}, "https://localhost:$https$path",
       "http://...$path: to https, the same path, with the port");
}

{
    my $r = $t->http('POST', '/api/v1/admin/login', {
        tls => 0, port => $http,
        headers => { 'Content-Type' => 'application/json' },
        body => qq({"user":"tanaka","password":"$password"}),
    });
    is($r->{status}, 301, 'a login over plain HTTP is not served: 301 to https');
    unlike($r->{body}, qr/token/, 'no token');
    ok(!exists $r->{headers}{'set-cookie'}, 'no cookie');
    like($r->{headers}{server} // '', qr/^nginx$/, 'plain HTTP: Server: nginx, no version');
}

# ------------------------------------------------------------ TLS

{
    my $r = $t->get('/kita?lang=en');
    is($r->{status}, 200, 'over TLS: the office page');
    like($r->{body}, qr/<html lang="en"/, 'in English');
    like($r->{headers}{'strict-transport-security'} // '', qr/max-age=\d+/, 'with HSTS');
    is($r->{headers}{server}, 'nginx', 'Server: nginx, no version');

    my ($a, $d) = $t->get_json('/api/v1/offices/kita');
    is($a->{status}, 200, 'over TLS: the API');
    is($d->{office}{id}, 'kita', 'the office');

    my $s = $t->get('/staff/');
    is($s->{status}, 200, 'over TLS: the staff panel');
    like($s->{headers}{'content-security-policy'} // '', qr/frame-ancestors 'none'/,
         'with its CSP');
}

my $token = $t->admin_login('tanaka', $password);
ok($token, 'a staff login over TLS');

my ($r, $d) = $t->admin_post('offices/kita/counters/moving',
                             { action => 'set', status => 'open', waiting => 7 }, $token);
is($r->{status}, 200, 'an update through the update API over TLS') or diag($r->{body});
is($t->counter_state('kita', 'moving')->{waiting}, 7, 'reaches the store');

# ------------------------------------------------------------ monitoring

{
    my $h = $t->get('/healthz');
    is($h->{status}, 200, 'the health check from this machine: 200');
    like($h->{body}, qr/"status":"ok"/, 'ok');

    my $m = $t->get('/metrics');
    is($m->{status}, 200, 'the metrics from this machine: 200');
    like($m->{body}, qr/^mado_desk_waiting\{office="kita",counter="moving"\} 7$/m,
         'with the update just made');

    for my $path ('/healthz', '/metrics') {
        my $r = $t->get($path, { from => '127.0.0.2' });
        is($r->{status}, 403, "$path from another address: 403");
        unlike($r->{body}, qr/mado_|"status":"ok"/, 'and nothing of it');
    }
    my $p = $t->get('/metrics', { tls => 0, port => $http });
    is($p->{status}, 301, 'over plain HTTP: only the redirect');
}

$t->stop;

done_testing;
