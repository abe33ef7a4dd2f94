#!/usr/bin/perl

# The TLS profile as shipped (conf.example/nginx/snippets/mado-tls.conf,
# staged with conf.example/stage-secure.sh): the CRYPTREC list and IPA's
# TLS guideline, docs/admin.md "TLS".  openssl s_client asserts each rule
# (protocols, suites, groups, signatures, the server's order, no session
# tickets), then testssl.sh (Debian's, offline) audits the listener and
# anything outside the profile fails: a protocol other than TLS 1.2/1.3, a
# suite outside the six allowed, no server order, no HSTS, a version in
# Server, any finding it rates HIGH or CRITICAL.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX ();
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

for my $tool (qw(openssl testssl)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}
plan skip_all => 'no IO::Socket::SSL (libio-socket-ssl-perl)'
    unless eval { require IO::Socket::SSL; 1 };

my $t = MadoTest->new;
my ($https) = $t->secure;
my $dir = $t->dir;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->start;

# ARGS to "openssl s_client" against the listener: (connected, its output)
sub s_client {
    my (@args) = @_;
    my $pid = open my $fh, '-|' // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDERR, '>&', \*STDOUT;
        exec('timeout', '20', 'openssl', 's_client', '-connect', "127.0.0.1:$https", @args)
            or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($out =~ /^(?:CONNECTION ESTABLISHED|New, TLSv1\.[23], Cipher is (?!\(NONE\)))/m
            ? 1 : 0, $out);
}

# what a handshake with ARGS negotiated: "TLSv1.3 TLS_AES_128_GCM_SHA256", or ''
sub negotiated {
    my ($ok, $out) = s_client('-brief', @_);
    return '' unless $ok;
    my ($p) = $out =~ /^Protocol version: (\S+)/m;
    my ($c) = $out =~ /^Ciphersuite: (\S+)/m;
    return join ' ', $p // '?', $c // '?';
}

# ------------------------------------------------------------ protocols

is(negotiated('-tls1_2'), 'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256',
   'TLS 1.2: the server picks its first suite');
is(negotiated('-tls1_3'), 'TLSv1.3 TLS_AES_128_GCM_SHA256', 'TLS 1.3');

for my $p (qw(-tls1 -tls1_1)) {
    # the client must offer them at all: OpenSSL 3's default level forbids
    is(negotiated($p, '-cipher', 'DEFAULT:@SECLEVEL=0'), '', "$p is refused");
}

# ------------------------------------------------------------ suites

for my $c (qw(ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384)) {
    is(negotiated('-tls1_2', '-cipher', $c), "TLSv1.2 $c", "TLS 1.2 $c works");
}
for my $c (qw(TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384)) {
    is(negotiated('-tls1_3', '-ciphersuites', $c), "TLSv1.3 $c", "TLS 1.3 $c works");
}

# one of each family outside the profile (the certificate is ECDSA: the
# ECDHE-RSA suites are allowed, RSA key exchange has no suite to try)
for my $c (qw(ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES128-SHA256 ECDHE-ECDSA-AES256-SHA384
              ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-CCM8 ECDHE-ECDSA-AES256-CCM
              ECDHE-ECDSA-ARIA128-GCM-SHA256 ECDHE-ECDSA-CAMELLIA128-SHA256
              AES128-GCM-SHA256 AES128-SHA))
{
    is(negotiated('-tls1_2', '-cipher', "$c:\@SECLEVEL=0"), '', "TLS 1.2 $c is refused");
}
for my $c (qw(TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_CCM_SHA256 TLS_AES_128_CCM_8_SHA256)) {
    is(negotiated('-tls1_3', '-ciphersuites', $c), '', "TLS 1.3 $c is refused");
}

# the server's order, whatever the client prefers
is(negotiated('-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'),
   'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS 1.2: the server\'s order, not the client\'s');
is(negotiated('-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256'),
   'TLSv1.3 TLS_AES_128_GCM_SHA256', 'TLS 1.3: the server\'s order, not the client\'s');

# ------------------------------------------------------------ groups, signatures

# (in TLS 1.2 the client's groups bind the certificate's curve too: P-384
# alone cannot meet its P-256 key there)
isnt(negotiated('-tls1_2', '-groups', 'P-256'), '', '-tls1_2: group P-256 works');
isnt(negotiated('-tls1_3', '-groups', 'P-256'), '', '-tls1_3: group P-256 works');
isnt(negotiated('-tls1_3', '-groups', 'P-384'), '', '-tls1_3: group P-384 works');
for my $v (qw(-tls1_2 -tls1_3)) {
    for my $g (qw(X25519 X448 P-521)) {
        is(negotiated($v, '-groups', $g), '', "$v: group $g is refused");
    }
}

# nginx 1.22 logs this refusal at crit (later versions at info)
$t->allow_log(qr/\[crit\].*SSL_do_handshake\(\) failed .*no shared signature algorithms/);
is(negotiated('-tls1_2', '-sigalgs', 'ECDSA+SHA1', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0'),
   '', 'TLS 1.2: a SHA-1 handshake signature is refused');
isnt(negotiated('-tls1_2', '-sigalgs', 'ECDSA+SHA256'), '', 'TLS 1.2: ECDSA with SHA-256 works');

# ------------------------------------------------------------ sessions

{
    my ($ok, $out) = s_client('-tls1_2', '-reconnect');
    ok($ok, 'TLS 1.2 with -reconnect connects');
    unlike($out, qr/TLS session ticket/, 'no session ticket is issued');
    like($out, qr/^Reused, TLSv1\.2/m, 'sessions resume from the server\'s cache');
}

# ------------------------------------------------------------ HTTP

for my $path ('/', '/kita', '/api/v1/offices', '/nowhere/at/all/really') {
    my $r = $t->get($path);
    like($r->{headers}{'strict-transport-security'} // '', qr/^max-age=(\d{8,})$/,
         "$path ($r->{status}): HSTS for a year or more");
    is($r->{headers}{server}, 'nginx', "$path: Server: nginx, no version");
}

# ------------------------------------------------------------ testssl.sh

# offline: no DNS ("invalid." is what testssl.sh resolves to probe its
# openssl otherwise), no OCSP or CRL fetches (no --phone-out).  --fast: the
# suites through the local openssl; one run, its start is most of the time
my $json = "$dir/testssl.json";
{
    local $ENV{NXCONNECT} = '127.0.0.1:0';
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/testssl.txt";
        open STDERR, '>&', \*STDOUT;
        exec('timeout', '600', 'testssl', '--quiet', '--fast', '--color', '0',
             '--warnings', 'off', '--nodns', 'none', '--ip', '127.0.0.1',
             '--openssl-timeout', '10', '-p', '-P', '-E', '-h',
             '--jsonfile', $json, "127.0.0.1:$https")
            or POSIX::_exit(127);
    }
    waitpid($pid, 0);
}

my $found = eval { JSON::PP->new->utf8->decode(MadoTest::_read_file($json)) } || [];
ok(@$found > 0, 'testssl.sh wrote its findings')
    or diag($t->read_file('testssl.txt'));

my %by_id;
push @{ $by_id{ $_->{id} } }, $_ for @$found;
my $finding = sub { join ' | ', map { $_->{finding} } @{ $by_id{ $_[0] } || [] } };

for my $p (qw(SSLv2 SSLv3 TLS1 TLS1_1)) {
    like($finding->($p), qr/^not offered/, "testssl.sh: $p not offered");
}
for my $p (qw(TLS1_2 TLS1_3)) {
    like($finding->($p), qr/^offered/, "testssl.sh: $p offered");
}

my %allowed = map { $_ => 1 } qw(
    cipher-tls1_2_xc02b cipher-tls1_2_xc02c cipher-tls1_2_xc02f cipher-tls1_2_xc030
    cipher-tls1_3_x1301 cipher-tls1_3_x1302
);
my @suites = grep { /^cipher-(?:ssl|tls)/ } sort keys %by_id;
ok((grep { /^cipher-tls1_2_/ } @suites) && (grep { /^cipher-tls1_3_/ } @suites),
   'testssl.sh: suites listed for TLS 1.2 and 1.3');
my @outside = grep { !$allowed{$_} } @suites;
ok(!@outside, 'testssl.sh: no suite outside the profile')
    or diag(join "\n", map { $finding->($_) } @outside);

is($finding->('cipher_order'), 'server', 'testssl.sh: the server\'s cipher order');
like($finding->('HSTS_time'), qr/^365 days/, 'testssl.sh: HSTS for a year')
    or diag('HSTS: ' . $finding->('HSTS'));
is($finding->('banner_server'), 'nginx', 'testssl.sh: Server: nginx, no version');

my @bad = grep { ($_->{severity} // '') =~ /^(?:HIGH|CRITICAL|FATAL)$/ } @$found;
ok(!@bad, 'testssl.sh: nothing rated HIGH, CRITICAL or FATAL')
    or diag(join "\n", map { "$_->{id} ($_->{severity}): $_->{finding}" } @bad);

$t->stop;

done_testing;
