#!/usr/bin/perl

# The shipped limits (conf.d/mado.conf, snippets/mado-limits.conf), through
# nginx started from the staged production configuration:
#   - a crowd behind one address (a waiting room on the city's Wi-Fi)
#     opening an office page at the same moment is served whole;
#   - a flood from one address gets 429, with a JSON body on the APIs and
#     a page elsewhere; other addresses are not touched, nor the same
#     address's logins and staff panel (each route class has its own key);
#   - a flood of logins meets its own, smaller limit;
#   - IPv6 is counted by /64, IPv4 by address;
#   - over-long headers and bodies are refused; a half-sent header, a
#     half-sent body and an idle keep-alive connection are closed.
# Clients are given addresses with a test-only realip header (conf.d/
# zz-test.conf), so that loopback stands for many clients, IPv6 ones too.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use IO::Select;
use IPC::Open3 qw(open3);
use POSIX ();
use JSON::PP;
use Symbol qw(gensym);
use Test::More;
use Time::HiRes qw(time);

use MadoStaged;
use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));
for my $tool (qw(curl openssl)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}

my $password = 'correct horse battery staple';
my $t = MadoStaged->new;
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });

# the client's address from a header, for the tests only
$t->extra_http('zz-test', <<'EOF');
set_real_ip_from 127.0.0.0/8;
real_ip_header X-Test-Client;
EOF
$t->start;

my $from = sub { ('-H', "X-Test-Client: $_[0]") };

# ------------------------------------------------------------ slow clients
# started first, checked last: nginx closes them by itself meanwhile

sub plain_conn {
    my ($bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port,
                                  Proto => 'tcp', Timeout => 5) or die "connect: $!";
    binmode $s;
    syswrite($s, $bytes) if length $bytes;
    return $s;
}

# true once the server has closed S (EOF or reset); what it read is in $buf
sub closed {
    my ($s, $buf) = @_;
    while (IO::Select->new($s)->can_read(0)) {
        my $n = sysread($s, my $chunk, 65536);
        return 1 if !$n;
        $$buf .= $chunk;
    }
    return 0;
}

my $started = time;

# half a header
my $half_header = plain_conn("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");

# an idle keep-alive connection (its first answer is the redirect)
my $idle = plain_conn("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
my $idle_buf = '';
$t->wait_for(sub { closed($idle, \$idle_buf); $idle_buf =~ /\r\n\r\n/ },
             what => 'the first answer on the keep-alive connection');
like($idle_buf, qr{^HTTP/1\.1 301 }, 'keep-alive: the first answer came (the redirect to https)');

# half a body, over TLS to the update API (openssl s_client keeps the
# connection open while its input is)
my ($sc_in, $sc_out) = (gensym, gensym);
my $sc_pid = open3($sc_in, $sc_out, undef, 'openssl', 's_client', '-quiet', '-ign_eof',
                   '-connect', '127.0.0.1:' . $t->https_port, '-servername', 'localhost');
{
    my $body = '{"user":"tanaka",';
    print {$sc_in} "POST /api/v1/admin/login HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n$body";
    $sc_in->flush;
}

# ------------------------------------------------------------ a crowd

my $page = $t->https('/kita');
is($page->{status}, 200, 'an office page') or diag($page->{error});
my @assets = $page->{body} =~ m{"(/assets/mado\.[0-9a-f]+\.(?:css|js))"}g;
is(scalar @assets, 2, 'it names its style and its script');

# 80 people behind one address open the page at the same moment: 240
# requests (the page, its style, its script); within the burst
my @crowd = $t->parallel_https([ map { ('/kita', @assets) } 1 .. 80 ], $from->('192.0.2.50'));
is(scalar @crowd, 240, 'a crowd of 80 behind one address: 240 answers');
is(scalar(grep { $_->[0] == 200 } @crowd), 240, 'all of them 200')
    or diag(join ' ', map { $_->[0] } @crowd);

# ------------------------------------------------------------ a flood

# as fast as it can, to the API and to a page; more rounds only if the
# machine is so slow that the rate (30 r/s) refilled the burst meanwhile
sub flood {
    my ($addr, $n, @paths) = @_;
    my @all;
    for my $round (1 .. 3) {
        push @all, $t->parallel_https([ map { @paths } 1 .. $n / @paths ], $from->($addr));
        last if grep { $_->[0] == 429 } @all;
    }
    return @all;
}

my @flood = flood('192.0.2.51', 1000, '/api/v1/offices/kita', '/kita');
my %codes;
$codes{ $_->[0] }++ for @flood;
ok($codes{429}, "a flood from one address: 429 (" . ($codes{429} // 0) . ' of ' . scalar(@flood) . ')');
ok(($codes{200} // 0) >= 301, 'after the burst of 300 was served (200)');
is(join(',', sort keys %codes), '200,429', 'nothing but 200 and 429')
    or diag(explain \%codes);

my ($api) = grep { $_->[0] == 429 && $_->[2] =~ m{^/api/} } @flood;
my $err = eval { JSON::PP->new->utf8->decode($api->[1]) } || {};
is($err->{error}, 'too_many_requests', 'the 429 of the API says too_many_requests in JSON');
like($err->{message} // '', qr/wait a few seconds/, 'and what to do');

my ($html) = grep { $_->[0] == 429 && $_->[2] eq '/kita' } @flood;
ok(defined $html, 'the page too was refused with 429');
$html = $html ? $html->[1] : '';
ok($html =~ /^<!DOCTYPE html>/, 'as a page');
ok($html =~ /お使いのネットワークからのアクセスが多すぎます/, 'saying so in Japanese');
ok($html =~ /Too many requests from your network/, 'and in English');
ok($html =~ /lang="ko"/ && $html =~ /lang="zh-Hant"/, 'and in the other languages');

# the 429s' headers: when to come back, and HSTS kept (the locations'
# add_header would drop the server's)
{
    my @paths = map { ('/api/v1/offices/kita', '/kita') } 1 .. 500;
    my %seen;
    for my $round (1 .. 3) {
        my ($rc, $o) = $t->curl('--parallel', '--parallel-max', '50', '-o', '/dev/null',
                                '-w', '%{http_code} %{url_effective} [%header{retry-after}] '
                                      . '[%header{strict-transport-security}]\n',
                                $from->('192.0.2.53'), map { $t->url($_) } @paths);
        for (split /\n/, $o) {
            my ($code, $url, $ra, $hsts) = /^(\d+) (\S+) \[(.*)\] \[(.*)\]$/ or next;
            next unless $code == 429;
            $seen{ $url =~ m{/api/} ? 'api' : 'page' } //= [$ra, $hsts];
        }
        last if keys %seen == 2;
    }
    for my $k ('api', 'page') {
        my ($ra, $hsts) = @{ $seen{$k} // ['(no 429)', ''] };
        is($ra, '2', "the ${k}'s 429 says Retry-After: 2");
        like($hsts, qr/^max-age=31536000$/, "and keeps HSTS");
    }
}

my $r = $t->https('/kita', $from->('192.0.2.52'));
is($r->{status}, 200, 'another address meanwhile: 200');
ok($r->{body} =~ /北区役所/, 'the page itself');

$r = $t->https('/api/v1/admin/login', $from->('192.0.2.51'), '-H', 'Content-Type: application/json',
               '--data-binary', qq({"user":"tanaka","password":"$password"}));
is($r->{status}, 200, 'the flooding address may still log in (logins have their own limit)')
    or diag(substr($r->{body}, 0, 300));
$r = $t->https('/staff/', $from->('192.0.2.51'));
is($r->{status}, 200, 'and open the staff panel (its own limit too)');

# ------------------------------------------------------------ logins

# half of them to "login/", which the module takes for "login" too
my @logins = $t->parallel_https([ ('/api/v1/admin/login', '/api/v1/admin/login/') x 20 ],
                                $from->('192.0.2.53'),
                                '-H', 'Content-Type: application/json',
                                '--data-binary', qq({"user":"tanaka","password":"$password"}));
my @by_nginx = grep { $_->[0] == 429 && $_->[1] =~ /"too_many_requests"/ } @logins;
my @passed = grep { $_->[1] !~ /"too_many_requests"/ } @logins;
is(scalar @logins, 40, '40 logins at once from one address');
ok(@passed >= 21, 'the first 21 (the burst of 20) reach mado (' . scalar(@passed) . ')');
ok(@by_nginx >= 15, 'most of the rest are refused by nginx at once (' . scalar(@by_nginx) . ')');
ok(!grep({ $_->[0] != 200 && $_->[0] != 429 } @logins), 'nothing but 200 and 429')
    or diag(join ' ', map { $_->[0] } @logins);

# ------------------------------------------------------------ IPv6: a /64
# A flood from one address, then 400 requests from another: sharing the
# first one's count, the second gets far fewer than its own burst of 300
# (the rate gives back 30 a second); counted apart, all 300 and more.

sub served {
    my ($addr) = @_;
    return scalar grep { $_->[0] == 200 }
        $t->parallel_https([ ('/api/v1/offices') x 400 ], $from->($addr));
}

ok(scalar(grep { $_->[0] == 429 } flood('2001:db8:1:2::a', 1000, '/api/v1/offices')),
   'a flood from an IPv6 address: 429');
my $n = served('2001:db8:1:2:ffff:1:2:3');
ok($n < 300, "another address of its /64 shares its count ($n of 400 served)");
$n = served('2001:db8:1:3::a');
ok($n > 300, "an address of the next /64 does not ($n of 400 served)");

ok(scalar(grep { $_->[0] == 429 } flood('192.0.2.60', 1000, '/api/v1/offices')),
   'a flood from an IPv4 address: 429');
$n = served('192.0.2.61');
ok($n > 300, "its IPv4 neighbour is counted apart ($n of 400 served)");

# ------------------------------------------------------------ sizes

$r = $t->https('/kita', '-H', 'X-Big: ' . ('a' x 9000));
is($r->{status}, 400, 'a header line over 8 KB: 400');
$r = $t->https('/kita?' . ('a' x 9000));
is($r->{status}, 414, 'a request line over 8 KB: 414');
MadoTest::write_file($t->dir . '/big.jsonl', 'x' x (600 * 1024));
$r = $t->https('/api/v1/admin/offices/kita/feed', '-H', 'Content-Type: application/x-ndjson',
               '-H', 'Authorization: Bearer mado_' . ('0' x 64),
               '--data-binary', '@' . $t->dir . '/big.jsonl');
is($r->{status}, 413, 'a body over 512 KB (a feed batch at most): 413');

# ------------------------------------------------------------ timeouts
# client_header_timeout and client_body_timeout 10 s, keepalive_timeout
# 15 s (nginx's defaults: 60, 60 and 75 s; Debian's keepalive: 65 s)

my $buf = '';
ok($t->wait_for(sub { closed($half_header, \$buf) }, timeout => 40, interval => 0.2),
   'half a header: the connection is closed (client_header_timeout)');
ok($t->wait_for(sub { closed($idle, \$idle_buf) }, timeout => 40, interval => 0.2),
   'an idle keep-alive connection is closed (keepalive_timeout)');
my $sc_closed = $t->wait_for(sub { waitpid($sc_pid, POSIX::WNOHANG()) == $sc_pid },
                             timeout => 40, interval => 0.2);
ok($sc_closed, 'half a body over TLS: the connection is closed (client_body_timeout)');
kill 'KILL', $sc_pid unless $sc_closed;
waitpid($sc_pid, 0) unless $sc_closed;
diag(sprintf 'the slow clients were closed within %.0f s', time - $started);

$t->stop;

done_testing;
