#!/usr/bin/perl

# An IPv6 client is counted by its /64 prefix: a subscriber is given a
# whole /64 and may send every attempt from another address in it, so
# failures from anywhere in one /64 meet the address limit (20) together,
# and another /64 is not held by them.  The addresses come through nginx's
# realip module (X-Forwarded-For from a trusted proxy on loopback), as they
# do behind a load balancer.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user($_, qw(--role staff --office kita), { iterations => 1000 })
    for 'tanaka', map { sprintf 'guess%02d', $_ } 1 .. 5;

$t->write_config_raw(<<'EOF2');
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

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF2
$t->start;
$t->allow_log(qr/\[warn\].*mado admin: (logins from|account)/);

sub login {
    my ($user, $from, $pw) = @_;
    my $res = $t->http('POST', '/api/v1/admin/login',
                       { headers => { 'Content-Type' => 'application/json',
                                      'X-Forwarded-For' => $from },
                         body => qq({"user":"$user","password":"$pw"}) });
    return $res->{status};
}

# 20 failures, each from another address of 2001:db8:a:b::/64, four for
# each of five accounts (no account meets its own limit of 5)
my %n;
for my $i (1 .. 20) {
    $n{ login(sprintf('guess%02d', ($i - 1) % 5 + 1), sprintf('2001:db8:a:b::%x', $i),
              "not the password $i") }++;
}
is($n{401} // 0, 20, '20 wrong passwords from 20 addresses of one /64: all evaluated (401)')
    or diag(explain(\%n));

is(login('tanaka', '2001:db8:a:b:ffff:ffff:ffff:fffe', $password), 429,
   'a 21st login from yet another address of that /64 waits (429), even with the right password');
like($t->error_log, qr{\[warn\].*mado admin: logins from 2001:db8:a:b::14 wait \d+ s},
     'the wait is logged with the address that began it');

is(login('tanaka', '2001:db8:a:c::1', $password), 200,
   'the next /64 is not held by them');
is(login('tanaka', '198.51.100.7', $password), 200, 'nor an IPv4 address');

# an IPv4-mapped address is its IPv4 address
for my $i (1 .. 20) {
    login(sprintf('guess%02d', ($i - 1) % 5 + 1), $i % 2 ? '203.0.113.9' : '::ffff:203.0.113.9',
          "still not it $i");
}
is(login('tanaka', '203.0.113.9', $password), 429,
   '20 failures from 203.0.113.9, half written as ::ffff:203.0.113.9: it waits');

$t->stop;

done_testing;
