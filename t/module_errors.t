#!/usr/bin/perl

# Hostile bytes in paths, bodies and headers of the update API and the
# public API: every refusal is a 4xx whose body is valid JSON (decoded
# strictly as UTF-8) with an error code, a message and the status, whatever
# bytes the request had.  With "error_log ... debug" (a binary built
# --with-debug), one request leaves lines naming its route and its auth
# result; the update API's thread warnings name the client and the request.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
my $password = 'correct horse battery staple';

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
for my $u ([qw(tanaka --role staff --office kita)], [qw(suzuki --role staff --office kita)]) {
    my $r = $t->madoctl('user', 'add', @$u, '--password-stdin', { stdin => "$password\n" });
    is($r->{exit}, 0, "user add $u->[0]") or diag($r->{err});
}
my ($machine) = $t->madoctl_ok(qw(user add machine --role feed --office kita))
    =~ /^(mado_[0-9a-f]{64})$/m;
ok($machine, 'a feed token');

# debug lines only where the binary can write them
my $nginx_v = `@{[MadoTest::nginx_bin()]} -V 2>&1`;
my $debug = $nginx_v =~ /--with-debug/ ? 1 : 0;
my $level = $debug ? 'debug' : 'info';

$t->write_config_raw(<<"EOF");
load_module %%MODULE%%;
%%USER%%%%ENV%%worker_processes 1;
daemon on;
master_process on;
pid %%DIR%%/nginx.pid;
error_log %%DIR%%/error.log $level;
events { worker_connections 64; }
thread_pool mado threads=2;
http {
%%HTTP_PATHS%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/admin/ { mado_admin mado; mado_admin_insecure on; }
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

my $strict = JSON::PP->new->utf8;

# what every refusal must be: a 4xx, JSON as documented, valid UTF-8
sub refused {
    my ($what, $r, $status) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $shown = MadoTest::text(substr($r->{body} // '', 0, 300));
    ok($r->{status} >= 400 && $r->{status} < 500, "$what: a 4xx ($r->{status})")
        or diag($shown);
    is($r->{status}, $status, "$what: $status") if defined $status;
    like($r->{headers}{'content-type'} // '', qr{^application/json}, "$what: JSON")
        or return;
    my $d = eval { $strict->decode($r->{body}) };
    ok(ref $d eq 'HASH', "$what: the body is valid JSON in UTF-8") or do {
        diag("$@\n$shown");
        return;
    };
    like($d->{error} // '', qr/^[a-z_]+$/, "$what: an error code");
    ok(defined $d->{message} && !ref $d->{message} && length $d->{message},
       "$what: a message");
    is($d->{status}, $r->{status}, "$what: the status in the body");
    return $d;
}

sub admin {
    my ($path, $body, %h) = @_;
    return $t->http('POST', "/api/v1/admin/$path", {
        timeout => 30, body => $body // '{}',
        headers => { 'Content-Type' => 'application/json', %h },
    });
}

sub login {
    my ($user, %opt) = @_;
    my $r = admin('login', $strict->encode({ user => $user, password => $password, %opt }));
    return ($r, eval { $strict->decode($r->{body}) } || {});
}

# ------------------------------------------------------------ paths

my $d = refused('update API: POST %FF%FE', admin('%FF%FE'), 404);
like($d->{message}, qr/\x{fffd}\x{fffd}/, 'the bytes that are not UTF-8 are U+FFFD')
    if $d;
refused('update API: a raw byte 0xff in the path', admin("\xff\xfe/login"), 404);
refused('update API: %01 and %1F in the path', admin('%01%1F%7F'), 404);
$d = refused('update API: a quote and a backslash', admin('%22%5C'), 404);
like($d->{message}, qr/"\\/, 'the quote and the backslash are in the message') if $d;
refused('update API: a long path', admin('x' x 4000), 404);
refused('update API: a long path of 2-byte characters', admin('%C3%A9' x 1001), 404);
refused('update API: a long path of bytes that are not UTF-8', admin('%FF' x 1500), 404);
refused('update API: a truncated UTF-8 sequence', admin('ab%E3%81'), 404);
refused('update API: an office that is not an id', admin('offices/%FF/counters/moving'), 404);
refused('update API: GET', $t->http('GET', '/api/v1/admin/%FF'), 405);

# nginx refuses a %00 in a path itself (its own 400 page) before any module
is(admin('%00')->{status}, 400, 'update API: %00 in a path is refused by nginx');

refused('API: %FF%FE', $t->get('/api/v1/offices/%FF%FE'), 400);
refused('API: a raw byte 0xff', $t->get("/api/v1/\xff"), 400);
refused('API: control bytes', $t->get('/api/v1/offices/%01%02%1B'), 400);
refused('API: a long path', $t->get('/api/v1/offices/' . ('%C3%A9' x 1001)), 400);
refused('API: too many segments of bytes', $t->get('/api/v1/%FF/%FE/%FD/%FC/%FB'), 400);
refused('API: a segment of UTF-8 that is not an id', $t->get('/api/v2/%E3%81%82'), 400);
refused('API: a date of bytes', $t->get('/api/v1/offices/kita/history?date=%FF%00'), 400);
refused('API: weeks of bytes', $t->get('/api/v1/offices/kita/forecast?weeks=%FE%00'), 400);
refused('API: POST', $t->http('POST', '/api/v1/offices/%FF', { body => "\xff" }), 405);

# ------------------------------------------------------------ bodies

refused('login: a body that is not UTF-8', admin('login', "{\"user\":\"\xff\xfe\",\"password\":\"x\"}"), 400);
refused('login: a key that is not UTF-8', admin('login', "{\"\xc3\x28\":1}"), 400);
refused('login: a NUL byte in the body', admin('login', "{\"user\":\"a\x00b\"}"), 400);
$d = refused('login: control characters and quotes in a key',
             admin('login', '{"us\u0001er\"\\\\":1}'), 400);
like($d->{message}, qr/^us\x01er"\\: not a field/, 'the key comes back as it was sent') if $d;
refused('login: a long key', admin('login', '{"' . ("\\u00e9" x 1300) . '":1}'), 400);
refused('login: deep nesting', admin('login', '[' x 100), 400);

my ($r, $session) = login('tanaka');
is($r->{status}, 200, 'tanaka logs in') or diag($r->{body});
my $token = $session->{token} // '';

refused('counter: a message that is not UTF-8',
        admin('offices/kita/counters/moving', "{\"message\":\"\xff\"}",
              Authorization => "Bearer $token"), 400);
refused('counter: a status of bytes',
        admin('offices/kita/counters/moving', '{"status":"\u0000\u00ff"}',
              Authorization => "Bearer $token"), 400);

my %feed = ('Content-Type' => 'application/x-ndjson', Authorization => "Bearer $machine");
$d = refused('feed: a line that is not UTF-8', admin('offices/kita/feed', "\xff\xfe\n", %feed), 400);
like($d->{message}, qr/line 1/, 'feed: the line is named') if $d;
refused('feed: a NUL byte in a line', admin('offices/kita/feed', "{\"a\x00\":1}\n", %feed), 400);
refused('feed: a line of control characters', admin('offices/kita/feed', "\x01\x02\x1b\n", %feed), 400);

# ------------------------------------------------------------ headers

refused('Idempotency-Key of bytes that are not UTF-8',
        admin('offices/kita/counters/moving', '{"action":"issue"}',
              Authorization => "Bearer $token", 'Idempotency-Key' => "\xff\xfe"), 400);
refused('Authorization of bytes', admin('session', '{}', Authorization => "Bearer \xff\xfe"), 401);
refused('a session cookie of bytes',
        admin('session', '{}', Cookie => 'mado_session=' . ("\xff" x 71)), 401);
refused('a feed Content-Type of bytes',
        admin('offices/kita/feed', "\n", %feed, 'Content-Type' => "text/\xff\xfe"), 415);

my ($rc, $cs) = login('suzuki', session => 'cookie');
my ($cookie) = ($rc->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;
ok($cookie, 'a cookie session');
refused('an X-CSRF-Token of bytes',
        admin('offices/kita/counters/moving', '{"action":"issue"}',
              Cookie => $cookie, 'X-CSRF-Token' => "\xff" x 64), 403);

# nothing of the above was applied
my $state = $strict->decode($t->get('/api/v1/offices/kita')->{body});
my ($moving) = grep { $_->{id} eq 'moving' } @{ $state->{counters} };
is($moving->{message} // '', '', 'no message was written');

# ------------------------------------------------------------ logging

# a warning from the update API's thread names the client and the request
for (1 .. 5) {
    admin('login', $strict->encode({ user => 'suzuki', password => 'wrong password here' }));
}
$t->allow_log(qr/\[warn\].*mado admin: account "suzuki" waits/);
like($t->error_log,
     qr{\[warn\].*mado admin: account "suzuki" waits \d+ s at 127\.0\.0\.1 after \d+ failed logins, client: 127\.0\.0\.1, request: "POST /api/v1/admin/login HTTP/1\.1"},
     "a thread's warning names the client and the request line");

SKIP: {
    skip "nginx has no debug logging (not built --with-debug)", 4
        unless $debug;

    my $before = length $t->error_log;
    $r = admin('offices/kita/counters/moving', '{"action":"set","status":"open"}',
               Authorization => "Bearer $token");
    is($r->{status}, 200, 'an update with debug logging') or diag($r->{body});
    my $log = substr($t->error_log, $before);
    like($log, qr/\[debug\].*mado admin: route counter, office "kita", counter "moving"/,
         'debug: the route');
    like($log, qr/\[debug\].*mado admin: auth: session of "tanaka": ok/,
         'debug: the auth result');
    like($log, qr/\[debug\].*mado admin: set at "kita\/moving": applied/,
         'debug: what was done');
}

$t->stop;

done_testing();
