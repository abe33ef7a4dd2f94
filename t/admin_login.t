#!/usr/bin/perl

# The update API (mado_admin): login, a session token, counter updates
# through the same rules as madoctl, done in nginx's thread pool; 401,
# 403, 404, 405, 409, 413, 429 and 400 naming the field, each with a JSON
# body and nothing written; lockout after 5 failures; logout; every write
# and login audited with the account and the client's address.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
my $dir = $t->dir;
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
for my $u ([qw(chief --role admin)], [qw(tanaka --role staff --office kita)]) {
    my $r = $t->madoctl('user', 'add', @$u, '--password-stdin',
                        { stdin => "correct horse battery staple\n" });
    is($r->{exit}, 0, "user add $u->[0]") or diag($r->{err});
}
$t->madoctl_ok(qw(user add machine --role feed --office kita));

$t->write_config("mado_stale_after 1d;\n    mado_audit_key $dir/audit.key;",
                 'location /api/v1/admin/ { mado_admin; }');
$t->start;

my $json = JSON::PP->new->utf8->canonical;

sub post {
    my ($path, $body, $token, %h) = @_;
    my $r = $t->http('POST', "/api/v1/admin/$path", {
        timeout => 30,          # a login hashes for a while under ASan
        body => ref $body ? $json->encode($body) : $body,
        headers => { 'Content-Type' => 'application/json',
                     ($token ? (Authorization => "Bearer $token") : ()), %h },
    });
    my $d = eval { $json->decode($r->{body}) };
    return ($r, $d);
}

sub kita_moving {
    my ($r, $d) = $t->get_json('/api/v1/offices/kita');
    return MadoTest::find_counter($d, 'kita', 'moving');
}

sub audit {
    my $r = $t->madoctl(qw(audit list --json));
    return [ map { $_->{record} } @{ $json->decode($r->{out}) } ];
}

# ------------------------------------------------------------ login

my ($r, $d) = ($t->http('GET', '/api/v1/admin/login'), undef);
is($r->{status}, 405, 'GET: 405');
is($r->{headers}{allow}, 'POST', 'GET: Allow: POST');

($r, $d) = post('login', { user => 'tanaka', password => 'wrong password here' });
is($r->{status}, 401, 'a wrong password: 401');
is($d->{error}, 'unauthorized', 'a wrong password: JSON body');

($r, $d) = post('login', { user => 'nobody', password => 'whatever it is now' });
is($r->{status}, 401, 'an unknown user: 401, the same answer');

($r, $d) = post('login', { user => 'machine', password => 'anything at all here' });
is($r->{status}, 401, 'a feed account cannot log in');

($r, $d) = post('login', { user => 'tanaka', password => 'correct horse battery staple' });
is($r->{status}, 200, 'the right password: 200') or diag($r->{body});
my $token = $d->{token} // '';
like($token, qr/^mado_s_[0-9a-f]{64}$/, 'a session token');
is($d->{idle_seconds}, 1800, 'idle limit said');
like($r->{headers}{'cache-control'} // '', qr/no-store/, 'login: no-store');

# ------------------------------------------------------------ updates

my $before = kita_moving();

($r, $d) = post('offices/kita/counters/moving', { action => 'set', status => 'open', waiting => 3 });
is($r->{status}, 401, 'no token: 401');

($r, $d) = post('offices/kita/counters/moving', { action => 'set', status => 'open', waiting => 3 }, $token);
is($r->{status}, 200, 'set: 200') or diag($r->{body});
is($d->{waiting}, 3, 'set: the new state answered');
is(kita_moving()->{waiting}, 3, 'set: the public API shows it');

($r, $d) = post('offices/kita/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 200, 'issue: 200');
is($d->{ticket}, 1, 'issue: ticket 1');
is($d->{waiting}, 4, 'issue: 4 waiting');

($r, $d) = post('offices/kita/counters/moving', { action => 'call' }, $token);
is($r->{status}, 200, 'call: 200');
is($d->{calling}, 1, 'call: calling 1');
is(kita_moving()->{calling}, 1, 'call: the public API shows it');

# a retried request (Idempotency-Key) is answered again, not applied again
{
    my ($r1, $d1) = post('offices/kita/counters/moving', { action => 'issue' }, $token,
                         'Idempotency-Key' => 'tablet-3-0001');
    is($r1->{status}, 200, 'issue with an Idempotency-Key: 200');
    my $w = kita_moving()->{waiting};
    my ($r2, $d2) = post('offices/kita/counters/moving', { action => 'issue' }, $token,
                         'Idempotency-Key' => 'tablet-3-0001');
    is($r2->{status}, 200, 'the same key again: 200');
    is($r2->{body}, $r1->{body}, 'the same key again: the first answer');
    is(kita_moving()->{waiting}, $w, 'the same key again: not applied twice');
    # the key of another request: refused, not answered with that request's answer
    my ($r4, $d4) = post('offices/kita/counters/moving', { action => 'call' }, $token,
                         'Idempotency-Key' => 'tablet-3-0001');
    is($r4->{status}, 422, 'a key reused for another request: 422');
    is($d4->{error}, 'idempotency_key_reused', 'a key reused for another request: said so');
    is(kita_moving()->{waiting}, $w, 'a key reused for another request: nothing applied');
    my ($r5) = post('offices/kita/counters/family', { action => 'issue' }, $token,
                    'Idempotency-Key' => 'tablet-3-0001');
    is($r5->{status}, 422, 'a key reused at another counter: 422');
    my ($r3) = post('offices/kita/counters/moving', { action => 'issue' }, $token,
                    'Idempotency-Key' => "bad key");
    is($r3->{status}, 400, 'a malformed Idempotency-Key: 400');
    like($r3->{body}, qr/Idempotency-Key/, 'a malformed Idempotency-Key: named');
    # put it back as the rest of the test expects
    post('offices/kita/counters/moving', { action => 'set', waiting => 3, last_issued => 1 }, $token);
}

my $state = $json->encode(kita_moving());
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
    [ 404, 'no such resource', 'offices/kita/moving', { action => 'issue' } ],
);
for my $c (@refused) {
    my ($status, $what, $path, $body) = @$c;
    my ($r, $d) = post($path, $body, $token);
    is($r->{status}, $status, "$path: $status");
    like(($d->{message} // "") . " " . ($d->{error} // ""), qr/\Q$what\E/, "$path: the answer says $what") or diag($r->{body});
}
($r, $d) = post('offices/kita/counters/moving', '{"message": "' . ('x' x 20000) . '"}', $token);
is($r->{status}, 413, 'a body over 16 KB: 413');
is($json->encode(kita_moving()), $state, 'nothing was written by the refused requests');

# ------------------------------------------------------------ audit

my $a = audit();
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

# ------------------------------------------------------------ browser sessions

# a browser gets the session as a cookie scripts cannot read, and a CSRF
# token it must send with every change
{
    my ($r, $d) = post('login', { user => 'tanaka', password => 'correct horse battery staple',
                                  session => 'cookie' });
    is($r->{status}, 200, 'cookie login: 200') or diag($r->{body});
    my $sc = $r->{headers}{'set-cookie'} // '';
    like($sc, qr/^mado_session=mado_s_[0-9a-f]{64}; /, 'cookie login: Set-Cookie mado_session');
    like($sc, qr/; HttpOnly/, 'the cookie is HttpOnly');
    like($sc, qr/; Secure/, 'the cookie is Secure');
    like($sc, qr/; SameSite=Strict/, 'the cookie is SameSite=Strict');
    like($sc, qr/; Path=\/api\/v1\/admin\//, 'the cookie goes only to the update API');
    ok(!exists $d->{token}, 'cookie login: no token in the body');
    like($d->{csrf} // '', qr/^[0-9a-f]{64}$/, 'cookie login: a CSRF token');
    is($d->{role}, 'staff', 'cookie login: the role');
    is_deeply($d->{offices}, ['kita'], 'cookie login: the offices granted');
    is($d->{all_offices}, JSON::PP::false, 'cookie login: not every office');
    my ($cookie) = $sc =~ /^(mado_session=[^;]+)/;
    my $csrf = $d->{csrf};

    my $w = kita_moving()->{waiting};
    ($r, $d) = post('offices/kita/counters/moving', { action => 'issue' }, undef, Cookie => $cookie);
    is($r->{status}, 403, 'a cookie without the CSRF token: 403');
    is($d->{error}, 'csrf', 'a cookie without the CSRF token: error csrf');
    ($r, $d) = post('offices/kita/counters/moving', { action => 'issue' }, undef, Cookie => $cookie,
                    'X-CSRF-Token' => ('0' x 64));
    is($r->{status}, 403, 'a cookie with a wrong CSRF token: 403');
    is(kita_moving()->{waiting}, $w, 'nothing written without the right CSRF token');
    ($r, $d) = post('offices/kita/counters/moving', { action => 'issue' }, undef,
                    Cookie => "theme=dark; $cookie; lang=ja", 'X-CSRF-Token' => $csrf);
    is($r->{status}, 200, 'cookie and CSRF token: 200') or diag($r->{body});
    is(kita_moving()->{waiting}, $w + 1, 'cookie and CSRF token: written');

    # a reloaded page asks who is logged in, and gets the CSRF token again
    ($r, $d) = post('session', {}, undef, Cookie => $cookie);
    is($r->{status}, 200, 'session: 200 without a CSRF token');
    is($d->{csrf}, $csrf, 'session: the same CSRF token');
    is($d->{user}, 'tanaka', 'session: the user');
    ($r, $d) = post('session', {}, $token);
    is($r->{status}, 200, 'session with a bearer token: 200');
    ok(!exists $d->{csrf} && !exists $d->{token}, 'session with a bearer token: no secrets in it');
    ($r, $d) = post('session', { user => 'x' }, $token);
    is($r->{status}, 400, 'session takes no fields: 400');

    ($r, $d) = post('logout', {}, undef, Cookie => $cookie);
    is($r->{status}, 403, 'logout with a cookie needs the CSRF token too');
    ($r, $d) = post('logout', {}, undef, Cookie => $cookie, 'X-CSRF-Token' => $csrf);
    is($r->{status}, 200, 'cookie logout: 200');
    like($r->{headers}{'set-cookie'} // '', qr/^mado_session=; .*Max-Age=0/, 'cookie logout clears the cookie');
    ($r, $d) = post('session', {}, undef, Cookie => $cookie);
    is($r->{status}, 401, 'after logout the cookie is dead: 401');
    like($r->{headers}{'set-cookie'} // '', qr/Max-Age=0/, 'and a dead cookie is cleared');
    ($r, $d) = post('login', { user => 'tanaka', password => 'x' x 12, session => 'jar' });
    is($r->{status}, 400, 'login session must be cookie or bearer');
    like($d->{message}, qr/^session:/, 'login session: named');
}

# ------------------------------------------------------------ logout, lockout

($r, $d) = post('logout', {}, $token);
is($r->{status}, 200, 'logout: 200');
($r, $d) = post('offices/kita/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 401, 'after logout the token no longer works');

for my $i (1 .. 5) {
    ($r) = post('login', { user => 'chief', password => "wrong password $i!" });
}
is($r->{status}, 401, 'five wrong passwords: 401');
($r, $d) = post('login', { user => 'chief', password => 'correct horse battery staple' });
is($r->{status}, 429, 'then even the right one waits: 429');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
$t->madoctl_ok(qw(user enable chief));
($r, $d) = post('login', { user => 'chief', password => 'correct horse battery staple' });
is($r->{status}, 200, 'enable ends the wait');

# an admin may change any office
my $admin = $d->{token};
($r, $d) = post('offices/sakyo/counters/certificates', { action => 'set', status => 'open', waiting => 2 }, $admin);
is($r->{status}, 200, 'an admin writes any office');
($r, $d) = post('offices/nowhere/counters/moving', { action => 'issue' }, $admin);
is($r->{status}, 404, 'an admin is told an office does not exist: 404');
like($d->{message} // '', qr/no office "nowhere"/, 'and which');

# many failures from one address, whatever the accounts: the address waits
{
    my ($r, $d, $n);
    for $n (1 .. 30) {
        ($r, $d) = post('login', { user => "guess$n", password => 'not the password at all' });
        last if $r->{status} == 429;
    }
    is($r->{status}, 429, 'too many failed logins from one address: 429');
    like($d->{message} // '', qr/from this address/, 'the address is said to wait');
    ($r, $d) = post('login', { user => 'tanaka', password => 'correct horse battery staple' });
    is($r->{status}, 429, 'even a right password waits at that address');
    $t->allow_log(qr/\[warn\].*mado admin: (logins from|account)/);
    like($t->error_log, qr/\[warn\].*mado admin: logins from 127\.0\.0\.1 wait \d+ s/,
         'the address lockout is logged');
    like($t->error_log, qr/\[warn\].*mado admin: account "chief" waits/, 'the account lockout is logged');
}

$t->stop;
$t->check_logs;
done_testing;
