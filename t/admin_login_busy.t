#!/usr/bin/perl

# A flood of logins does not hold up counter updates: password hashes take
# at most mado_login_threads of the pool's threads (a queue for the rest),
# so an update sent while 24 logins wait for their hashes is answered
# before more than a few of them are, and applied.  Before, it waited in
# the thread pool's queue behind every login sent before it.  Logins over
# the queue's bound are answered at once: 503 login_busy.  One worker, a
# pool of 4 threads; accounts of 300 000 PBKDF2 iterations so that a hash
# is much slower than an update.  Only the order of the answers is
# compared, never a duration.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1, workers => 1);
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 3));
$t->add_user('tanaka', qw(--role staff --office kita), { iterations => 1000 });
$t->add_user(sprintf('flood%02d', $_), qw(--role staff --office kita), { iterations => 300000 })
    for 1 .. 24;

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 1;
thread_pool mado threads=4;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;
    mado_login_threads 2 queue=24;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin mado; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;

my $token = $t->admin_login('tanaka', $password);
ok($token, 'tanaka has a session');

# 24 wrong logins from two addresses (12 accounts each: no limit is
# reached), then, once the first of them is answered, a counter update
my @reqs = map {
    { path => '/api/v1/admin/login', from => $_ <= 12 ? '127.0.0.2' : '127.0.0.3',
      headers => { 'Content-Type' => 'application/json' },
      body => sprintf('{"user":"flood%02d","password":"wrong password %d"}', $_, $_) }
} 1 .. 24;
push @reqs, { path => '/api/v1/admin/offices/kita/counters/moving', after => 1,
              headers => { 'Content-Type' => 'application/json',
                           Authorization => "Bearer $token" },
              body => '{"action":"set","waiting":7}' };

my @r = $t->parallel(\@reqs, timeout => 120);
my $update = pop @r;

is($update->{status}, 200, 'the update during the flood: 200') or diag($update->{body});
is($update->{data}{waiting}, 7, 'its answer has the new figure');
is($t->api_counter('kita', 'moving')->{waiting}, 7, 'and it was applied');

my %n;
$n{ $_->{status} }++ for @r;
is($n{401} // 0, 24, 'every login of the flood was evaluated (401)') or diag(explain(\%n));

my $between = grep { $_->{done} > $update->{sent} && $_->{done} < $update->{done} } @r;
my $after = grep { $_->{done} >= $update->{done} } @r;
note("$between logins answered while the update waited, $after after it");
cmp_ok($between, '<=', 4, 'at most 4 logins were answered while the update waited')
    or diag("$between answered while it waited, $after after it");
cmp_ok($after, '>=', 16, 'most of the flood was answered after the update');

# ------------------------------------------------------------ the queue

# 48 at once from 48 addresses: two hash, 24 wait, the others are told to
# come back (not evaluated, not counted)
@r = $t->parallel([ map {
    { path => '/api/v1/admin/login', from => "127.0.3.$_",
      headers => { 'Content-Type' => 'application/json' },
      body => sprintf('{"user":"flood%02d","password":"wrong again %d"}', ($_ - 1) % 24 + 1, $_) }
} 1 .. 48 ], timeout => 120);
%n = ();
$n{ $_->{status} }++ for @r;
is(($n{401} // 0) + ($n{503} // 0), 48, '48 logins at once: 401 or 503') or diag(explain(\%n));
cmp_ok($n{401} // 0, '>=', 26, 'the two hashing and the 24 waiting were evaluated');
cmp_ok($n{503} // 0, '>=', 1, 'the queue full, the others refused at once');
is(scalar(grep { $_->{status} == 503 && ($_->{data}{error} // '') eq 'login_busy'
                 && ($_->{headers}{'retry-after'} // '') eq '1' } @r),
   $n{503} // 0, 'each: 503 login_busy, Retry-After: 1');
like($t->error_log, qr/\[warn\].*mado admin: \d+ logins wait for a thread: more are refused/,
     'the refusals are logged');
my $failed = grep { ($_->{action} // '') eq 'login.failed' } @{ $t->audit_records };
is($failed, 24 + ($n{401} // 0), 'the audit trail: the evaluated logins, no refused one');

$t->stop;

done_testing;
