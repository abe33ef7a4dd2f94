#!/usr/bin/perl

# Logins sent all at once are held to the same limits as logins sent one
# after another: each attempt is counted before its password is hashed, in
# the transaction that checks the limits, so of 30 wrong passwords for one
# account from one address 5 are evaluated (401) and 25 refused (429), and
# of 60 from one address across accounts 20 are evaluated.  Two workers
# share the counts through the store.  A test store with accounts of 1000
# PBKDF2 iterations: the hashes cost nothing, the counts are what matter.

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
    for 'tanaka', map { sprintf 'guess%02d', $_ } 1 .. 15;

$t->write_config_raw(<<'EOF');
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
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;
$t->allow_log(qr/\[warn\].*mado admin: (logins from|account)/);

sub login_req {
    my ($user, $from, $pw) = @_;
    return { path => '/api/v1/admin/login', from => $from,
             headers => { 'Content-Type' => 'application/json' },
             body => qq({"user":"$user","password":"$pw"}) };
}

sub statuses {
    my %n;
    $n{ $_->{status} }++ for @_;
    return \%n;
}

# ------------------------------------------------------------ one account

my @r = $t->parallel([ map { login_req('tanaka', '127.0.0.2', "wrong password $_!") } 1 .. 30 ]);
my $n = statuses(@r);
is($n->{401} // 0, 5, '30 wrong passwords at once for one account: 5 evaluated (401)')
    or diag(explain($n));
is($n->{429} // 0, 25, 'and 25 refused (429)');
is(scalar(grep { $_->{status} == 429 && ($_->{headers}{'retry-after'} // '') =~ /^[1-9]\d*$/ } @r),
   $n->{429} // 0, 'each refusal says Retry-After');
# "locked" by the count in the store, or "too_many_logins" when a worker
# already had as many of that address waiting as it may fail
is(scalar(grep { ($_->{data}{error} // '') =~ /^(?:locked|too_many_logins)$/ } grep { $_->{status} == 429 } @r),
   $n->{429} // 0, 'each refusal is a JSON error');

# ------------------------------------------------------------ one address

# four for each of 15 accounts: no account reaches its own limit, the
# address reaches its 20
@r = $t->parallel([ map { login_req(sprintf('guess%02d', $_ % 15 + 1), '127.0.0.3',
                                    "not the password $_") } 1 .. 60 ]);
$n = statuses(@r);
is($n->{401} // 0, 20, '60 wrong passwords at once from one address: 20 evaluated (401)')
    or diag(explain($n));
is($n->{429} // 0, 40, 'and 40 refused (429)');
like($t->error_log, qr/\[warn\].*mado admin: logins from 127\.0\.0\.3 wait \d+ s/,
     'the address lockout is logged');

# the audit trail holds the evaluated attempts, no more
my $failed = grep { ($_->{action} // '') eq 'login.failed' } @{ $t->audit_records };
is($failed, 25, 'the audit trail: 25 failed logins (5 + 20), no refused one');

# other addresses are not held by these
my ($res, $d) = $t->admin_post('login', { user => 'tanaka', password => $password });
is($res->{status}, 200, 'tanaka from another address logs in') or diag($res->{body});

$t->stop;

done_testing;
