#!/usr/bin/perl

# "madoctl user passwd" ends every session of the account at once (a
# stolen session must not outlive the password it came from), bearer and
# cookie alike, and only that account's; "disable" deletes them too.  The
# audit record says how many ended.

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

sub alive {
    my (%h) = @_;
    my ($r) = $t->admin_post('session', {}, undef, %h);
    return $r->{status};
}

# tanaka on two machines (a tool and a browser), suzuki on one
my $bearer = $t->admin_login('tanaka', $password);
like($bearer // '', qr/^mado_s_/, 'tanaka: a bearer session');
my ($r, $d) = $t->admin_post('login', { user => 'tanaka', password => $password, session => 'cookie' });
my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;
ok($cookie, 'tanaka: a cookie session');
my $other = $t->admin_login('suzuki', $password);

is(alive(Authorization => "Bearer $bearer"), 200, 'the bearer session is alive');
is(alive(Cookie => $cookie), 200, 'the cookie session is alive');

# ------------------------------------------------------------ passwd

$r = $t->madoctl(qw(user passwd tanaka --password-stdin), { stdin => "another long passphrase\n" });
is($r->{exit}, 0, 'passwd: exit 0') or diag($r->{err});
like($r->{out}, qr/^tanaka: 2 sessions ended$/m, 'passwd says how many sessions it ended');

is(alive(Authorization => "Bearer $bearer"), 401, 'after passwd the bearer session is dead');
is(alive(Cookie => $cookie), 401, 'after passwd the cookie session is dead');
is(alive(Authorization => "Bearer $other"), 200, "another account's session lives on");

my ($rec) = grep { $_->{action} eq 'user.passwd' } @{ $t->audit_records };
is($rec->{sessions_ended}, '2', 'the audit record says 2 sessions ended');

# the new password makes a new session
$bearer = $t->admin_login('tanaka', 'another long passphrase');
is(alive(Authorization => "Bearer $bearer"), 200, 'a login with the new password');

# ------------------------------------------------------------ disable

$r = $t->madoctl(qw(user disable suzuki));
like($r->{out}, qr/^suzuki: 1 session ended$/m, 'disable ends the sessions too');
is(alive(Authorization => "Bearer $other"), 401, 'after disable: dead');
$t->madoctl_ok(qw(user enable suzuki));
is(alive(Authorization => "Bearer $other"), 401, 'enable brings no session back');
is(alive(Authorization => "Bearer $bearer"), 200, "tanaka's new session was not touched");

$t->stop;

done_testing;
