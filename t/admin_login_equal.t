#!/usr/bin/perl

# A failed login says nothing about the account: a wrong password for an
# existing, a disabled, a feed or an unknown account gets the same answer,
# costs the same one PBKDF2 hash (said in the debug log), and is locked
# the same way.  And a lockout is not a weapon against staff: failures
# from one address hold the account only at that address; the account is
# held for every address only after many more, and even then not at an
# address it has logged in from before (the counter's own PC at 9:00).

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

# debug lines only where the binary can write them
my $nginx_v = `${\ MadoTest::nginx_bin()} -V 2>&1`;
my $debug = $nginx_v =~ /--with-debug/ ? 1 : 0;
my $level = $debug ? 'debug' : 'info';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
# tanaka and retired with production's iterations: their hashes cost what
# the dummy credential of an unknown or feed account costs
$t->add_user($_, qw(--role staff --office kita)) for qw(tanaka retired);
$t->madoctl_ok(qw(user disable retired));
$t->madoctl_ok(qw(user add machine --role feed --office kita));
$t->add_user('sato', qw(--role staff --office kita), { iterations => 1000 });

$t->write_config_raw(<<"EOF");
%%TEST_GLOBALS%%
error_log %%DIR%%/debug.log $level;
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
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;
$t->allow_log(qr/\[warn\].*mado admin: (logins from|account)/);

sub login {
    my ($user, $pw, $from) = @_;
    my $r = $t->http('POST', '/api/v1/admin/login', {
        timeout => 60, from => $from,
        headers => { 'Content-Type' => 'application/json' },
        body => qq({"user":"$user","password":"$pw"}) });
    return $r;
}

# status and body: what tells one account from another, if anything did
# (Retry-After counts down with the clock, checked on its own)
sub answer {
    my ($r) = @_;
    return "$r->{status} $r->{body}";
}

# ------------------------------------------------------------ equal answers

my %kinds = (existing => 'tanaka', disabled => 'retired', feed => 'machine',
             unknown => 'nobody');
my (%first, %sixth);
my $addr = 10;
for my $kind (sort keys %kinds) {
    my $from = '127.0.0.' . $addr++;
    my @a = map { answer(login($kinds{$kind}, "wrong password $_!", $from)) } 1 .. 5;
    is(scalar(grep { $_ eq $a[0] } @a), 5, "$kind: five wrong passwords, five equal answers");
    $first{$kind} = $a[0];
    my $r = login($kinds{$kind}, "wrong password 6!", $from);
    $sixth{$kind} = answer($r);
    like($r->{headers}{'retry-after'} // '', qr/^(?:[1-9]|[12][0-9]|30)$/, "$kind: the sixth waits (30 s from the fifth)");
}
like($first{existing}, qr/^401 \{"error":"unauthorized"/, 'a wrong password: 401');
for my $kind (qw(disabled feed unknown)) {
    is($first{$kind}, $first{existing}, "$kind: the same 401 as an existing account's");
}
like($sixth{existing}, qr/^429 \{"error":"locked"/, 'the sixth: 429');
for my $kind (qw(disabled feed unknown)) {
    is($sixth{$kind}, $sixth{existing}, "$kind: locked the same, the same 429");
}

# the right password of a disabled account is no different either
is(answer(login('retired', $password, '127.0.0.20')), $first{existing},
   'a disabled account with its right password: the same 401');

SKIP: {
    skip "nginx has no debug logging (not built --with-debug)", 1 unless $debug;
    my $log = $t->read_file('debug.log');
    my %hashes;
    $hashes{$1}++ while $log =~ /mado admin: auth: login of "(tanaka|retired|machine|nobody)": one PBKDF2 of 600000 iterations/g;
    is_deeply(\%hashes, { tanaka => 5, retired => 6, machine => 5, nobody => 5 },
              'each evaluated attempt, whatever the account, cost one hash of 600000 iterations')
        or diag(explain(\%hashes));
}

# ------------------------------------------------------------ no weapon

# sato logs in at the counter (127.0.0.1)
is(login('sato', $password, '127.0.0.1')->{status}, 200, 'sato logs in at the counter');

# someone elsewhere tries sato's password: held, at that address only
my @a = map { login('sato', "guess $_ at sato", '127.0.0.30')->{status} } 1 .. 6;
is("@a", '401 401 401 401 401 429', 'another address: five tries, then 429');
is(login('sato', $password, '127.0.0.30')->{status}, 429, 'there even the right password waits');
is(login('sato', $password, '127.0.0.1')->{status}, 200, 'sato at the counter is not held');
like($t->error_log, qr/\[warn\].*mado admin: account "sato" waits 30 s at 127\.0\.0\.30 after 5 failed logins/,
     'the lockout at that address is logged');

# from many addresses, five from each: 50 failures in all for sato (with
# the five from 127.0.0.30) and for an unknown id; then a new address
# waits (asked at once: the first wait is a minute)
my %new;
for my $case (['sato', 9, '127.0.2.1'], ['ghost', 10, '127.0.2.2']) {
    my ($user, $addrs, $new) = @$case;
    my @r = $t->parallel([ map {
        my $n = $_;
        map { { path => '/api/v1/admin/login', from => '127.0.1.' . (10 + $n),
                headers => { 'Content-Type' => 'application/json' },
                body => qq({"user":"$user","password":"guess $n $_"}) } } 1 .. 5
    } 1 .. $addrs ], timeout => 300);
    my %n;
    $n{ $_->{status} }++ for @r;
    is_deeply(\%n, { 401 => 5 * $addrs }, "$user: five wrong passwords from each of $addrs addresses, each evaluated")
        or diag(explain(\%n));
    $new{$user} = login($user, $password, $new);
}
is($new{sato}{status}, 429, 'after 50 failures sato waits at any new address');
is(answer($new{ghost}), answer($new{sato}), 'an unknown id is held the same, the same answer');
like($new{sato}{body}, qr/too many failed logins of this account: wait/, 'the account is said to wait');
like($t->error_log, qr/\[warn\].*mado admin: account "sato" waits \d+ s at every address after 50 failed logins/,
     'the lockout of the account is logged');
is(login('sato', $password, '127.0.0.1')->{status}, 200,
   'but not at the counter, where it logged in before');

my $list = $t->madoctl(qw(user list --json));
my ($sato) = grep { $_->{id} eq 'sato' } @{ JSON::PP->new->decode($list->{out}) || [] };
is($sato->{state}, 'locked', 'madoctl user list: sato is locked');

$t->madoctl_ok(qw(user enable sato));
is(login('sato', $password, '127.0.2.1')->{status}, 200, 'madoctl user enable ends the wait');
is(login('sato', $password, '127.0.0.30')->{status}, 200, 'at every address');

$t->stop;

done_testing;
