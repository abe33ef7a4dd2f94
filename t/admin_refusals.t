#!/usr/bin/perl

# Refusals of the update API are audited (action "refused": status, why,
# route, office, the account when known, the address): 403 for an office
# not granted, a missing CSRF token, a request another site started, a
# person's session on the feed; 429 for an account or address that must
# wait.  At most 2 a minute from one address and 60 an hour in all are
# recorded, so that a flood cannot fill the store; the answers stay the
# same.  Each scenario comes from its own loopback address.

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
$t->add_user($_, qw(--role staff --office kita), { iterations => 1000 }) for qw(tanaka suzuki);

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
$t->allow_log(qr/\[warn\].*mado admin:/);

# the refusals audited from ADDR, oldest first
sub refused {
    my ($addr) = @_;
    return [ grep { $_->{action} eq 'refused' && $_->{client} eq $addr } @{ $t->audit_records } ];
}

my ($r, $d);

# ------------------------------------------------------------ 403

$t->from('127.0.0.2');
my $token = $t->admin_login('tanaka', $password);
($r) = $t->admin_post('offices/sakyo/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 403, 'an office not granted: 403');
my $a = refused('127.0.0.2');
is(scalar @$a, 1, 'audited');
is_deeply([ @{ $a->[0] }{qw(actor status reason route office)} ],
          [ 'user:tanaka', '403', 'office', 'counter', 'sakyo' ], 'who, what and why');

$t->from('127.0.0.3');
($r, $d) = $t->admin_post('login', { user => 'tanaka', password => $password, session => 'cookie' });
my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;
($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, undef, Cookie => $cookie);
is($r->{status}, 403, 'a cookie without its CSRF token: 403');
is($d->{error}, 'csrf', 'csrf');
$a = refused('127.0.0.3');
is(scalar @$a, 1, 'audited');
is("$a->[0]{status} $a->[0]{reason} $a->[0]{route}", '403 csrf counter', 'as csrf');

$t->from('127.0.0.4');
($r) = $t->admin_post('login', { user => 'tanaka', password => $password }, undef,
                      Origin => 'https://evil.example');
is($r->{status}, 403, 'a login another site started: 403');
$a = refused('127.0.0.4');
is("$a->[0]{status} $a->[0]{reason} $a->[0]{route} $a->[0]{actor}", '403 cross_site login anonymous',
   'audited as cross_site, no one named');

$t->from('127.0.0.5');
$token = $t->admin_login('suzuki', $password);
($r) = $t->admin_post('offices/kita/feed', qq({"time":1795748400,"event":"issue","counter":"moving","ticket":1}\n),
                      $token, 'Content-Type' => 'application/x-ndjson');
is($r->{status}, 403, "a person's session on the feed: 403");
$a = refused('127.0.0.5');
is("$a->[0]{actor} $a->[0]{reason} $a->[0]{route}", 'user:suzuki not_feed feed', 'audited');

# ------------------------------------------------------------ 429

$t->from('127.0.0.6');
$t->admin_post('login', { user => 'suzuki', password => "wrong password $_!" }) for 1 .. 5;
($r) = $t->admin_post('login', { user => 'suzuki', password => $password });
is($r->{status}, 429, 'an account that must wait: 429');
$a = refused('127.0.0.6');
is("$a->[0]{actor} $a->[0]{status} $a->[0]{reason}", 'user:suzuki 429 account_locked',
   'audited with the account');

$t->from('127.0.0.7');
for my $n (1 .. 30) {
    ($r) = $t->admin_post('login', { user => "guess$n", password => 'not the password at all' });
    last if $r->{status} == 429;
}
is($r->{status}, 429, 'an address that must wait: 429');
($r) = $t->admin_post('login', { user => 'guess-more', password => 'not the password at all' });
$a = refused('127.0.0.7');
ok(scalar @$a >= 1, 'audited');
is("$a->[0]{actor} $a->[0]{status} $a->[0]{reason}", 'anonymous 429 address_locked',
   'with no one named (the ids typed are not kept)');

# ------------------------------------------------------------ a flood

# 20 refusals from one address within the minute: all answered, 2 kept
$t->from('127.0.0.8');
my %status;
for (1 .. 20) {
    ($r) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, undef, Cookie => $cookie);
    $status{ $r->{status} }++;
}
is_deeply(\%status, { 403 => 20 }, 'a flood: every request refused');
is(scalar @{ refused('127.0.0.8') }, 2, 'and 2 of them audited (a minute, an address)');

# many addresses: 60 an hour in all
my $before = grep { $_->{action} eq 'refused' } @{ $t->audit_records };
for my $n (10 .. 50) {
    $t->from("127.0.0.$n");
    $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, undef, Cookie => $cookie) for 1 .. 2;
}
$t->from(undef);
my $all = grep { $_->{action} eq 'refused' } @{ $t->audit_records };
is($all, 60, "82 more refusals from 41 addresses: 60 audited in the hour ($before before)");

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the audit trail verifies') or diag($r->{err});

$t->stop;

done_testing;
