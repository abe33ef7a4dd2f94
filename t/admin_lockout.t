#!/usr/bin/perl

# Lockouts of the update API: after 5 wrong passwords an account waits
# (429 with Retry-After, even for the right one) until madoctl user enable;
# many failures from one address, whatever the accounts, make the address
# wait; both are logged.  A test store (madoctl init --test-store) with
# accounts of 1000 PBKDF2 iterations, so that the failures cost no time;
# nginx warns that it serves one.

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
$t->add_user(qw(chief --role admin), { iterations => 1000 });
$t->add_user($_, qw(--role staff --office kita), { iterations => 1000 })
    for 'tanaka', map { "guess$_" } 1 .. 5;

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

# each worker says so when it opens the store, once it has started
ok($t->wait_for(sub { $t->error_log_lines(qr/\[warn\].*mado store \S+ is a test store .*never serve it in production/)
                      >= $t->workers }, what => 'the workers to open the store'),
   'nginx warns that the store is a test store');
$t->allow_log(qr/\[warn\].*mado admin: (logins from|account)/);

# ------------------------------------------------------------ an account

my ($r, $d);
for my $i (1 .. 5) {
    ($r) = $t->admin_post('login', { user => 'chief', password => "wrong password $i!" });
}
is($r->{status}, 401, 'five wrong passwords: 401');
($r, $d) = $t->admin_post('login', { user => 'chief', password => $password });
is($r->{status}, 429, 'then even the right one waits: 429');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
$t->madoctl_ok(qw(user enable chief));
($r, $d) = $t->admin_post('login', { user => 'chief', password => $password });
is($r->{status}, 200, 'enable ends the wait');

# ------------------------------------------------------------ an address

# many failures from one address, whatever the accounts: the address waits
# (four at most for each account, which would wait itself at five)
for my $n (1 .. 30) {
    ($r, $d) = $t->admin_post('login', { user => 'guess' . ($n % 5 + 1),
                                         password => 'not the password at all' });
    last if $r->{status} == 429;
}
is($r->{status}, 429, 'too many failed logins from one address: 429');
like($d->{message} // '', qr/from this address/, 'the address is said to wait');
($r, $d) = $t->admin_post('login', { user => 'tanaka', password => $password });
is($r->{status}, 429, 'even a right password waits at that address');
like($t->error_log, qr/\[warn\].*mado admin: logins from 127\.0\.0\.1 wait \d+ s/,
     'the address lockout is logged');
like($t->error_log, qr/\[warn\].*mado admin: account "chief" waits/, 'the account lockout is logged');

$t->stop;

done_testing;
