#!/usr/bin/perl

# Counter updates through the update API, done in nginx's thread pool by
# the same rules as madoctl: set, issue, call; a retried request with an
# Idempotency-Key answered again, not applied again; 403, 404, 409, 400
# naming the field and 413, each with a JSON body and nothing written;
# every write and login audited with the account and the client's address;
# an admin may change any office.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

# A test store: its accounts hash 1000 PBKDF2 iterations, not 600 000, so
# that logins cost no time (admin_login.t logs in with production's)
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(chief --role admin), { iterations => 1000 });
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
        location /api/v1/admin/ { mado_admin; }
    }
}
EOF
$t->start;

my $json = JSON::PP->new->utf8->canonical;

# logins as the audit below expects them: a failed one, an unknown user's,
# then tanaka's session (admin_login.t tests the answers)
$t->admin_post('login', { user => 'tanaka', password => 'wrong password here' });
$t->admin_post('login', { user => 'nobody', password => 'whatever it is now' });
my $token = $t->admin_login('tanaka', 'correct horse battery staple');
like($token // '', qr/^mado_s_[0-9a-f]{64}$/, 'tanaka logs in');
my ($r, $d);

# ------------------------------------------------------------ updates

my $before = $t->api_counter('kita', 'moving');

($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', status => 'open', waiting => 3 });
is($r->{status}, 401, 'no token: 401');

($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', status => 'open', waiting => 3 }, $token);
is($r->{status}, 200, 'set: 200') or diag($r->{body});
is($d->{waiting}, 3, 'set: the new state answered');
is($t->api_counter('kita', 'moving')->{waiting}, 3, 'set: the public API shows it');

($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 200, 'issue: 200');
is($d->{ticket}, 1, 'issue: ticket 1');
is($d->{waiting}, 4, 'issue: 4 waiting');

($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'call' }, $token);
is($r->{status}, 200, 'call: 200');
is($d->{calling}, 1, 'call: calling 1');
is($t->api_counter('kita', 'moving')->{calling}, 1, 'call: the public API shows it');

# a retried request (Idempotency-Key) is answered again, not applied again
{
    my ($r1, $d1) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token,
                         'Idempotency-Key' => 'tablet-3-0001');
    is($r1->{status}, 200, 'issue with an Idempotency-Key: 200');
    my $w = $t->api_counter('kita', 'moving')->{waiting};
    my ($r2, $d2) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token,
                         'Idempotency-Key' => 'tablet-3-0001');
    is($r2->{status}, 200, 'the same key again: 200');
    is($r2->{body}, $r1->{body}, 'the same key again: the first answer');
    is($t->api_counter('kita', 'moving')->{waiting}, $w, 'the same key again: not applied twice');
    # the key of another request: refused, not answered with that request's answer
    my ($r4, $d4) = $t->admin_post('offices/kita/counters/moving', { action => 'call' }, $token,
                         'Idempotency-Key' => 'tablet-3-0001');
    is($r4->{status}, 422, 'a key reused for another request: 422');
    is($d4->{error}, 'idempotency_key_reused', 'a key reused for another request: said so');
    is($t->api_counter('kita', 'moving')->{waiting}, $w, 'a key reused for another request: nothing applied');
    my ($r5) = $t->admin_post('offices/kita/counters/family', { action => 'issue' }, $token,
                    'Idempotency-Key' => 'tablet-3-0001');
    is($r5->{status}, 422, 'a key reused at another counter: 422');
    my ($r3) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token,
                    'Idempotency-Key' => "bad key");
    is($r3->{status}, 400, 'a malformed Idempotency-Key: 400');
    like($r3->{body}, qr/Idempotency-Key/, 'a malformed Idempotency-Key: named');
    # put it back as the rest of the test expects
    $t->admin_post('offices/kita/counters/moving', { action => 'set', waiting => 3, last_issued => 1 }, $token);
}

my $state = $json->encode(scalar $t->api_counter('kita', 'moving'));
my @refused = (
    [ 403, 'forbidden', 'offices/sakyo/counters/moving', { action => 'issue' } ],
    [ 404, 'not_found', 'offices/kita/counters/lobby', { action => 'issue' } ],
    [ 403, 'forbidden', 'offices/nowhere/counters/moving', { action => 'issue' } ],  # not said to exist or not
    [ 409, 'refused', 'offices/kita/counters/family', { action => 'issue' } ],   # closed
    [ 400, 'waiting', 'offices/kita/counters/moving', { action => 'set', waiting => -1 } ],
    [ 400, 'status', 'offices/kita/counters/moving', { action => 'set', status => 'busy' } ],
    [ 400, 'colour', 'offices/kita/counters/moving', { action => 'set', colour => 'red' } ],
    [ 400, 'action', 'offices/kita/counters/moving', { action => 'dance' } ],
    [ 400, 'number', 'offices/kita/counters/moving', { action => 'cancel' } ],
    [ 400, 'JSON', 'offices/kita/counters/moving', '{"action": ' ],
    [ 400, 'nests', 'offices/kita/counters/moving', '[[[[[[1]]]]]]' ],
    [ 400, 'JSON object', 'offices/kita/counters/moving', '' ],     # no body at all
    [ 404, 'no such resource', 'offices/kita/moving', { action => 'issue' } ],
);
for my $c (@refused) {
    my ($status, $what, $path, $body) = @$c;
    my ($r, $d) = $t->admin_post($path, $body, $token);
    is($r->{status}, $status, "$path: $status");
    like(($d->{message} // "") . " " . ($d->{error} // ""), qr/\Q$what\E/, "$path: the answer says $what") or diag($r->{body});
}
($r, $d) = $t->admin_post('offices/kita/counters/moving', '{"message": "' . ('x' x 20000) . '"}', $token);
is($r->{status}, 413, 'a body over 16 KB: 413');
is($json->encode(scalar $t->api_counter('kita', 'moving')), $state, 'nothing was written by the refused requests');

# ------------------------------------------------------------ audit

my $a = $t->audit_records;
my @mine = grep { ($_->{actor} // '') eq 'user:tanaka' } @$a;
is_deeply([ map { $_->{action} } @mine ], [qw(login.failed login set issue call issue set)],
          'audited as user:tanaka: the failed login, the login and the writes, a retried one once');
is($mine[2]{client}, '127.0.0.1', 'the client address is recorded');
is($mine[2]{before}{waiting}, 0, 'before');
is($mine[2]{after}{waiting}, 3, 'after');
ok(grep({ ($_->{actor} // '') eq 'user:nobody' && $_->{action} eq 'login.failed' } @$a),
   'a login of an unknown user is audited');
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the audit trail verifies after the API wrote to it') or diag($r->{err});

# ------------------------------------------------------------ an admin

# an admin may change any office
my $admin = $t->admin_login('chief', 'correct horse battery staple');
($r, $d) = $t->admin_post('offices/sakyo/counters/certificates', { action => 'set', status => 'open', waiting => 2 }, $admin);
is($r->{status}, 200, 'an admin writes any office');
($r, $d) = $t->admin_post('offices/nowhere/counters/moving', { action => 'issue' }, $admin);
is($r->{status}, 404, 'an admin is told an office does not exist: 404');
like($d->{message} // '', qr/no office "nowhere"/, 'and which');

$t->stop;

done_testing;
