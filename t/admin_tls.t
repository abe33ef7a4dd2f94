#!/usr/bin/perl

# The update API only over TLS: over plain HTTP a login (even with the
# right password), a cookie or a token is refused with 403 https_required,
# naming "mado_admin_insecure", and no cookie is set; the refusal is
# audited.  Over TLS the same login works and sets the Secure cookie;
# "mado_admin_insecure on" (a loopback demo, the tests) allows plain HTTP.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX ();
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

for my $tool (qw(openssl curl)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $dir = $t->dir;
my $tls_port = MadoTest::free_port();
my $insecure_port = MadoTest::free_port();
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->madoctl_ok(qw(set kita moving --status open --waiting 3));

# a self-signed certificate for 127.0.0.1 (curl -k: what is tested is
# the server, not the verification)
{
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/openssl.log";
        open STDERR, '>&', \*STDOUT;
        exec(qw(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2),
             '-keyout', "$dir/tls.key", '-out', "$dir/tls.crt", '-subj', '/CN=127.0.0.1',
             '-addext', 'subjectAltName=IP:127.0.0.1') or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    die "openssl failed: " . $t->read_file('openssl.log') if $?;
}

# one update API on plain HTTP (the default: refused), one over TLS, one
# on plain HTTP allowed for a loopback demo
$t->write_config_raw(<<"EOF");
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
        listen 127.0.0.1:$tls_port ssl;
        ssl_certificate %%DIR%%/tls.crt;
        ssl_certificate_key %%DIR%%/tls.key;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; }
    }

    server {
        listen 127.0.0.1:$insecure_port;
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }
    }
}
EOF
$t->start;
$t->allow_log(qr/\[warn\].*mado admin: a request over plain HTTP refused/);

# ------------------------------------------------------------ plain HTTP

my ($r, $d) = $t->admin_post('login', { user => 'tanaka', password => $password, session => 'cookie' });
is($r->{status}, 403, 'a cookie login over plain HTTP, the right password: 403');
is($d->{error}, 'https_required', 'error https_required');
like($d->{message} // '', qr/needs HTTPS/, 'the refusal says HTTPS is needed');
like($d->{message} // '', qr/"mado_admin_insecure on"/, 'and names the directive that allows it');
ok(!exists $r->{headers}{'set-cookie'}, 'no cookie is set over plain HTTP');

($r, $d) = $t->admin_post('login', { user => 'tanaka', password => $password });
is($r->{status}, 403, 'a bearer login over plain HTTP: 403');
ok(!exists $d->{token}, 'no token either');

($r, $d) = $t->admin_post('session', {}, undef, Cookie => 'mado_session=mado_s_' . ('ab' x 32));
is($r->{status}, 403, 'a session cookie over plain HTTP: 403');
is($d->{error}, 'https_required', 'https_required');

like($t->error_log, qr/\[warn\].*mado admin: a request over plain HTTP refused/, 'logged at warn');

my @refused = grep { $_->{action} eq 'refused' } @{ $t->audit_records };
is($refused[0]{reason}, 'https_required', 'the refusal is audited');
is($refused[0]{status}, '403', 'with its status');
is($refused[0]{actor}, 'anonymous', 'and no one named');
is($refused[0]{route}, 'login', 'and the route');

# ------------------------------------------------------------ TLS

sub curl {
    my (@args) = @_;
    open my $fh, '-|', 'curl', '-sS', '-k', '--max-time', '30', '-i', @args
        or die "curl: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    my $resp = MadoTest::parse_response($out // '', 'POST');
    return ($resp, eval { JSON::PP->new->utf8->decode($resp->{body}) });
}

($r, $d) = curl("https://127.0.0.1:$tls_port/api/v1/admin/login",
                '-H', 'Content-Type: application/json',
                '--data-binary', qq({"user":"tanaka","password":"$password","session":"cookie"}));
is($r->{status}, 200, 'the same login over TLS: 200') or diag($r->{raw});
like($r->{headers}{'set-cookie'} // '', qr/^mado_session=mado_s_[0-9a-f]{64}; .*Secure/,
     'over TLS: the Secure cookie');
my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;

($r, $d) = curl("https://127.0.0.1:$tls_port/api/v1/admin/offices/kita/counters/moving",
                '-H', 'Content-Type: application/json', '-H', "Cookie: $cookie",
                '-H', "X-CSRF-Token: $d->{csrf}", '--data-binary', '{"action":"issue"}');
is($r->{status}, 200, 'over TLS the cookie session works') or diag($r->{raw});

# the cookie that works over TLS is refused over plain HTTP
($r, $d) = $t->admin_post('session', {}, undef, Cookie => $cookie);
is($r->{status}, 403, 'the same cookie over plain HTTP: 403');

# ------------------------------------------------------------ allowed

{
    my $res = $t->http('POST', '/api/v1/admin/login', {
        port => $insecure_port, timeout => 30,
        headers => { 'Content-Type' => 'application/json' },
        body => qq({"user":"tanaka","password":"$password","session":"cookie"}),
    });
    is($res->{status}, 200, 'mado_admin_insecure on: plain HTTP is allowed');
    like($res->{headers}{'set-cookie'} // '', qr/^mado_session=/, 'and the cookie set');
}

$t->stop;

done_testing;
