#!/usr/bin/perl

# Retention of what identifies people (docs/admin.md, Personal data):
# expired sessions, the failed-login records of addresses and the counts
# that limit the audit of refusals are swept, a few at each login and all
# by "madoctl compact"; a user id typed into a failed login that names no
# account (a password typed into the wrong field) is kept only as a keyed
# hash, which "audit list --tried" finds with the audit key.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

for my $tool (qw(mdb_stat)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps: lmdb-utils)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}

my $T0 = 1795748400;                    # 2026-11-27T12:00:00+09:00, a Friday
my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = $T0;
my $password = 'correct horse battery staple';
my $typed = 'tr0ub4dor-and-3';          # a password typed as the user id

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });

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

# the records in one of the store's databases
sub entries {
    my ($db) = @_;
    my $out = `mdb_stat -s $db $t->{store} 2>&1`;
    return $out =~ /Entries: (\d+)/ ? $1 : "?: $out";
}

# ------------------------------------------------------------ at T0

$t->start;

ok($t->admin_login('tanaka', $password), 'tanaka logs in') for 1 .. 2;
my ($r, $d) = $t->admin_post('login', { user => $typed, password => $password });
is($r->{status}, 401, 'a login with a password as the user id: 401');
$t->from('127.0.0.5');
$t->admin_post('login', { user => 'tanaka', password => 'not the password at all' });
$t->from(undef);
my $token = $t->admin_login('tanaka', $password);
($r) = $t->admin_post('offices/sakyo/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 403, 'a refusal (another office)');

is(entries('session'), 3, 'three sessions');
is(entries('clientfail'), 2, 'two addresses with failed logins');
is(entries('refusal'), 2, 'the refusal counted for its address and for all');

my @failed = grep { $_->{action} eq 'login.failed' && $_->{actor} eq 'anonymous' } @{ $t->audit_records };
is(scalar @failed, 1, 'the login with an unknown id is audited');
like($failed[0]{tried} // '', qr/^[0-9a-f]{16}$/, 'with the id as 16 hex digits');
unlike($t->read_file('store/data.mdb'), qr/\Q$typed\E/, 'what was typed is nowhere in the store');
my $found = $t->audit_records('--tried', $typed);
is(scalar @$found, 1, 'audit list --tried finds the attempt with the key');
is($found->[0]{tried}, $failed[0]{tried}, 'the same record');
is(scalar @{ $t->audit_records('--tried', 'tanaka') }, 0, 'and only what was typed');

# nothing is old yet: compact keeps all
$r = $t->madoctl('compact');
like($r->{out}, qr/dropped 0 expired sessions, 0 failed-login records and 0 refusal counts/,
     'compact at once: nothing to drop') or diag($r->{out} . $r->{err});
is(entries('session'), 3, 'the sessions are still there');

$t->stop;

# ------------------------------------------------------------ 13 hours later

# a login sweeps what expired (a few records from a random place: here
# that is all of them)
$ENV{MADO_NOW} = $T0 + 13 * 3600;
$t->start;
$t->from('127.0.0.6');
($r) = $t->admin_post('login', { user => 'tanaka', password => 'not the password at all' });
is($r->{status}, 401, 'a failed login 13 hours on');
$t->from(undef);
ok($t->admin_login('tanaka', $password), 'and a login');
is(entries('session'), 1, 'the login swept the expired sessions: only its own is left');
is(entries('clientfail'), 1, "the old addresses' failures are swept, the new one's kept");
is(entries('refusal'), 0, 'the old refusal counts are swept');
$t->stop;

# ------------------------------------------------------------ compact, later

$r = $t->madoctl('compact', { env => { MADO_NOW => $T0 + 26 * 3600 } });
is($r->{exit}, 0, 'compact a day on');
like($r->{out}, qr/dropped 1 expired sessions, 1 failed-login records and 0 refusal counts/,
     'compact drops the expired session and failure record') or diag($r->{out} . $r->{err});
is(entries('session'), 0, 'no session left');
is(entries('clientfail'), 0, 'no failure record left');
my ($c) = grep { $_->{action} eq 'compact' && defined $_->{sessions_dropped} } @{ $t->audit_records };
is("$c->{sessions_dropped} $c->{failed_login_records_dropped}", '1 1', 'compact audits what it dropped');
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the audit trail verifies') or diag($r->{err});

done_testing;
