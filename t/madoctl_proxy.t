#!/usr/bin/perl

# madoctl --server through a forward proxy, as city networks reach servers:
# a real CONNECT proxy on loopback (MadoTest::Proxy) that logs what it
# relayed, so each test proves the traffic went through it or not.
# https_proxy and HTTPS_PROXY, --proxy and MADO_PROXY, no_proxy's bypass;
# a proxy that refuses the tunnel (403), asks for a password (407), cannot
# reach the server (502) or is down; the server's certificate is still
# verified end to end inside the tunnel; the proxy's password never shown.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;
use MadoTest::Proxy;
use MadoTest::TLS;

MadoTest::require_binaries(qw(madoctl module nginx));

for my $tool (qw(openssl)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}

my $t = MadoTest->new;
my $dir = $t->dir;
my $port = $t->port;
my $wrong_port = MadoTest::free_port();
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->madoctl_ok(qw(set kita moving --status open --waiting 5 --staff 2));

my $tls = MadoTest::TLS->new("$dir/tls");
$tls->cert('localhost', 'DNS:localhost,IP:127.0.0.1');
$tls->cert('wrong', 'DNS:wrong.example');
my $ca = $tls->ca;

$t->write_config_raw(<<"EOF");
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%% ssl;
        ssl_certificate %%DIR%%/tls/localhost.pem;
        ssl_certificate_key %%DIR%%/tls/localhost.key;
        location /api/v1/admin/ { mado_admin; }
        location /api/ { mado_api; }
    }

    server {
        listen 127.0.0.1:$wrong_port ssl;
        ssl_certificate %%DIR%%/tls/wrong.pem;
        ssl_certificate_key %%DIR%%/tls/wrong.key;
        location /api/v1/admin/ { mado_admin; }
    }
}
EOF
$t->start;

my $url = "https://localhost:$port";
my $session = "$dir/session";
my @PROXY_ENV = qw(https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY
                   no_proxy NO_PROXY MADO_PROXY);

# madoctl remote, with only the proxy variables a test gives
sub remote {
    my @args = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    my %env = ((map { $_ => undef } @PROXY_ENV), HOME => "$dir/home",
               MADO_SERVER => undef, MADO_CACERT => undef, MADO_TOKEN_FILE => undef,
               %{ $opt->{env} || {} });
    return $t->madoctl('--server', $opt->{url} // $url, '--cacert', $ca,
                       '--token-file', $session, @args,
                       { %$opt, nostore => 1, env => \%env });
}

sub login {
    my ($opt) = @_;
    return remote('login', '--user', 'tanaka', '--password-stdin',
                  { %$opt, stdin => "$password\n" });
}

# the counter as the server's store has it
sub kita { $t->counter_state('kita', 'moving') // {} }

sub audited { scalar @{ $t->audit_records } }

my $px = MadoTest::Proxy->start(log => "$dir/proxy.log");
my $through = "CONNECT localhost:$port 200 auth=no";
my $r;

# ------------------------------------------------------------ https_proxy

$r = login({ env => { https_proxy => $px->url } });
is($r->{exit}, 0, 'login with https_proxy') or diag($r->{err});
ok(-f $session, 'the session file is there');
is_deeply([ $px->requests ], [ $through ], 'the proxy relayed one tunnel to the server');

my $before = kita();
$r = remote('issue', 'kita', 'moving', { env => { HTTPS_PROXY => $px->url } });
is($r->{exit}, 0, 'issue with HTTPS_PROXY') or diag($r->{err});
is($r->{out}, kita()->{last_issued} . "\n", 'issued at the server, the ticket printed');
is(kita()->{waiting}, $before->{waiting} + 1, 'one more waits');
is($px->connects, 2, 'through the proxy');

# ------------------------------------------------------------ --proxy, MADO_PROXY

$r = remote('--proxy', $px->url, 'call', 'kita', 'moving');
is($r->{exit}, 0, '--proxy URL') or diag($r->{err});
is($px->connects, 3, '--proxy: through it');

# the scheme may be left out, as for libcurl: http://
$r = remote('--proxy', '127.0.0.1:' . $px->port, 'issue', 'kita', 'moving');
is($r->{exit}, 0, '--proxy HOST:PORT') or diag($r->{err});
is($px->connects, 4, '--proxy HOST:PORT: through it');

$r = remote('set', 'kita', 'moving', '--staff', '3', { env => { MADO_PROXY => $px->url } });
is($r->{exit}, 0, 'MADO_PROXY') or diag($r->{err});
is($px->connects, 5, 'MADO_PROXY: through it');
is(kita()->{staff}, 3, 'set through the proxy: applied');

# --proxy and MADO_PROXY beat https_proxy (here a dead one)
my $dead = MadoTest::free_port();
$r = remote('--proxy', $px->url, 'issue', 'kita', 'moving',
            { env => { https_proxy => "http://127.0.0.1:$dead" } });
is($r->{exit}, 0, '--proxy beats https_proxy') or diag($r->{err});
is($px->connects, 6, 'the one of --proxy was used');

# ------------------------------------------------------------ no_proxy

$r = remote('issue', 'kita', 'moving',
            { env => { https_proxy => $px->url, no_proxy => 'example.org,localhost' } });
is($r->{exit}, 0, 'no_proxy naming the server') or diag($r->{err});
is($px->connects, 6, 'no_proxy: straight to the server, the proxy saw nothing');

$r = remote('issue', 'kita', 'moving',
            { env => { https_proxy => "http://127.0.0.1:$dead", NO_PROXY => '*' } });
is($r->{exit}, 0, 'NO_PROXY=* bypasses a dead proxy') or diag($r->{err});

$r = remote('issue', 'kita', 'moving',
            { env => { https_proxy => $px->url, no_proxy => 'example.org' } });
is($r->{exit}, 0, 'no_proxy naming another host') or diag($r->{err});
is($px->connects, 7, 'no_proxy for others: through the proxy');

# ------------------------------------------------------------ certificates through it

my $records = audited();

$r = remote('issue', 'kita', 'moving',
            { url => "https://localhost:$wrong_port", env => { https_proxy => $px->url } });
is($r->{exit}, 5, 'a certificate for another host, through the proxy: exit 5');
like($r->{err}, qr/certificate is not trusted: hostname mismatch/, 'hostname mismatch said');
is(($px->requests)[-1], "CONNECT localhost:$wrong_port 200 auth=no",
   'checked inside the tunnel: the proxy only relayed');

$r = $t->madoctl('--server', $url, '--token-file', $session, '--proxy', $px->url,
                 'issue', 'kita', 'moving',
                 { nostore => 1, env => { map { $_ => undef } @PROXY_ENV, 'MADO_CACERT' } });
is($r->{exit}, 5, 'the private CA not given, through the proxy: exit 5');
like($r->{err}, qr/certificate is not trusted: .*issuer.*--cacert/, 'the certificate is named, --cacert suggested');

is(audited(), $records, 'nothing reached the update API');

# ------------------------------------------------------------ a proxy that refuses

my $no = MadoTest::Proxy->start(log => "$dir/refuse.log", refuse => 403);
$before = kita();
$r = remote('call', 'kita', 'moving', { env => { https_proxy => $no->url } });
is($r->{exit}, 3, 'a proxy refusing the tunnel (403): exit 3');
like($r->{err}, qr/^madoctl: call: \Q$url\E: the proxy \Q${\ $no->url }\E \(https_proxy\) refused the tunnel to localhost:$port \(HTTP 403\)/m,
     'the proxy, whence it came and its status are said');
unlike($r->{err}, qr/trying again/, 'a refusal is not tried again');
is_deeply([ $no->requests ], [ "CONNECT localhost:$port 403 auth=no" ], 'the proxy saw the one CONNECT');
is_deeply(kita(), $before, 'nothing changed');
$no->stop;

# a proxy that cannot reach the server: nothing was sent, so tried again
my $gone = MadoTest::free_port();
$r = remote('issue', 'kita', 'moving',
            { url => "https://localhost:$gone", env => { https_proxy => $px->url } });
is($r->{exit}, 3, 'the proxy cannot reach the server (502): exit 3 after the retries');
like($r->{err}, qr/the proxy \Q${\ $px->url }\E \(https_proxy\) could not reach the server \(HTTP 502\); trying again/,
     '502 said');
is(() = $r->{err} =~ /trying again/g, 3, 'three retries said');
is(scalar(grep { /^CONNECT localhost:$gone 502 / } $px->requests), 4, 'four CONNECTs reached the proxy');

# ------------------------------------------------------------ the proxy down

$r = remote('issue', 'kita', 'moving', { env => { https_proxy => "http://127.0.0.1:$dead" } });
is($r->{exit}, 3, 'the proxy down: exit 3 after the retries');
like($r->{err}, qr/^madoctl: issue: \Q$url\E: cannot connect to the proxy http:\/\/127\.0\.0\.1:$dead \(https_proxy\): Connection refused; trying again/m,
     'the proxy named as what cannot be reached');
is(() = $r->{err} =~ /trying again/g, 3, 'three retries said');

$r = remote('--proxy', 'http://no-such-proxy.invalid:3128', 'issue', 'kita', 'moving');
is($r->{exit}, 3, 'a proxy of no such host: exit 3');
like($r->{err}, qr/the proxy http:\/\/no-such-proxy\.invalid:3128 \(--proxy\): no such host/,
     'no such host said');

# ------------------------------------------------------------ a proxy's password

my $secret = 'Pr0xy-s3cret';
my $auth = MadoTest::Proxy->start(log => "$dir/auth.log", auth => "city:$secret");
my $aport = $auth->port;

$r = remote('--proxy', "http://city:$secret\@127.0.0.1:$aport", 'issue', 'kita', 'moving');
is($r->{exit}, 0, 'a proxy asking for a password, given in its URL') or diag($r->{err});
is($auth->connects, 1, 'through it');
ok((grep { /^CONNECT localhost:$port 200 auth=yes$/ } $auth->requests), 'with the credentials');

$r = remote('issue', 'kita', 'moving', { env => { https_proxy => "http://127.0.0.1:$aport" } });
is($r->{exit}, 3, 'no password for it: exit 3');
like($r->{err}, qr/the proxy http:\/\/127\.0\.0\.1:$aport \(https_proxy\) asks for a user and password: give them in its URL.*\(HTTP 407\)/,
     '407 said, and what to do');
unlike($r->{err}, qr/trying again/, 'not tried again');

$r = remote('issue', 'kita', 'moving',
            { env => { MADO_PROXY => "http://city:not-$secret\@127.0.0.1:$aport" } });
is($r->{exit}, 3, 'a wrong password for it: exit 3');
like($r->{err}, qr/the proxy http:\/\/127\.0\.0\.1:$aport \(MADO_PROXY\) refused the user and password of its URL \(HTTP 407\)/,
     'said, with the proxy shown without them');
unlike($r->{err}, qr/\Q$secret\E|city:/, 'the password is not shown');

# through a refusing proxy, the password given: the message has none either
$no = MadoTest::Proxy->start(log => "$dir/refuse2.log", refuse => 403);
$r = remote('--proxy', 'http://city:' . $secret . '@127.0.0.1:' . $no->port, 'issue', 'kita', 'moving');
is($r->{exit}, 3, 'refused with a password given: exit 3');
unlike($r->{out} . $r->{err}, qr/\Q$secret\E/, 'the password is in no message');
$no->stop;
$auth->stop;

# ------------------------------------------------------------ bad proxy URLs

$r = remote('--proxy', 'ftp://127.0.0.1:21', 'issue', 'kita', 'moving');
is($r->{exit}, 2, '--proxy ftp://: usage error');
like($r->{err}, qr/--proxy: a proxy is http:\/\/, https:\/\/, socks4/, 'the schemes are named');

$r = remote('issue', 'kita', 'moving', { env => { MADO_PROXY => 'http://[bad' } });
is($r->{exit}, 2, 'MADO_PROXY unreadable: usage error');
like($r->{err}, qr/MADO_PROXY: not a proxy's URL/, 'naming MADO_PROXY');

$r = remote('issue', 'kita', 'moving', { env => { https_proxy => "ftp://city:$secret\@127.0.0.1:21" } });
is($r->{exit}, 2, 'https_proxy of a scheme libcurl cannot use: usage error, not retried');
like($r->{err}, qr/^madoctl: issue: https_proxy: a proxy is http:\/\//m, 'naming https_proxy');
unlike($r->{err}, qr/\Q$secret\E/, 'without its password');

$r = remote('--proxy', '', 'issue', 'kita', 'moving');
is($r->{exit}, 2, '--proxy "": usage error');

# ------------------------------------------------------------ help, logout

$r = $t->madoctl('--help', { nostore => 1 });
like($r->{out}, qr/--proxy URL/, 'madoctl --help shows --proxy');
like($r->{out}, qr/https_proxy/, 'and https_proxy');
like($r->{out}, qr/no_proxy/, 'and no_proxy');
like($r->{out}, qr/MADO_PROXY/, 'and MADO_PROXY');
$r = $t->madoctl('help', 'login', { nostore => 1 });
like($r->{out}, qr/--proxy URL/, 'login --help shows --proxy');

my $n = $px->connects;
$r = remote('logout', { env => { https_proxy => $px->url } });
is($r->{exit}, 0, 'logout through the proxy') or diag($r->{err});
ok(!-e $session, 'the session file is gone');
is($px->connects, $n + 1, 'through it');

$px->stop;

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the audit trail verifies') or diag($r->{err});

$t->stop;
done_testing;
