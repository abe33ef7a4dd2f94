#!/usr/bin/perl

# Login CSRF and requests other sites start: the JSON routes take only
# application/json (415 otherwise: an HTML form can post text/plain or a
# form type, never JSON), and a login, or a request of a cookie session,
# whose Origin is another site's or whose Sec-Fetch-Site is not
# same-origin is refused (403 cross_site) and sets no cookie.  The
# server's own origin (its Host, or mado_public_url) is fine, and tools
# (bearer tokens, no Origin) are not affected.

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
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->madoctl_ok(qw(set kita moving --status open --waiting 3));

# the harness sends "Host: localhost"; the public URL is another name
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
        mado_public_url https://mado.example.jp/city/;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;
$t->allow_log(qr/\[warn\].*mado admin: a request (another site started|from another origin)/);

my $login = qq({"user":"tanaka","password":"$password","session":"cookie"});

sub post {
    my ($path, $body, %h) = @_;
    my $r = $t->http('POST', "/api/v1/admin/$path", { timeout => 30, body => $body, headers => \%h });
    my $d = eval { JSON::PP->new->utf8->decode($r->{body}) } || {};
    return ($r, $d);
}

# ------------------------------------------------------------ the body's type

# what a form on another site can send: text/plain with a JSON-looking body
my ($r, $d) = post('login', $login, 'Content-Type' => 'text/plain',
                   Origin => 'https://evil.example');
is($r->{status}, 415, 'a login as text/plain: 415');
is($d->{error}, 'unsupported_type', 'unsupported_type');
like($d->{message} // '', qr/application\/json/, 'the type needed is said');
ok(!exists $r->{headers}{'set-cookie'}, 'and no cookie is set');

($r) = post('login', $login, 'Content-Type' => 'text/plain');
is($r->{status}, 415, 'text/plain without an Origin: 415 too');
($r) = post('login', $login, 'Content-Type' => 'application/x-www-form-urlencoded');
is($r->{status}, 415, 'a form type: 415');
($r) = post('login', $login, 'Content-Type' => 'multipart/form-data; boundary=x');
is($r->{status}, 415, 'multipart: 415');
($r) = post('login', $login);
is($r->{status}, 415, 'a body without a type: 415');
($r) = post('login', $login, 'Content-Type' => 'application/json-patch+json');
is($r->{status}, 415, 'another JSON type: 415');

($r, $d) = post('login', $login, 'Content-Type' => 'Application/JSON; charset=utf-8');
is($r->{status}, 200, 'application/json with a charset, any case: 200') or diag($r->{body});
my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;
my $csrf = $d->{csrf};

my $token = $t->admin_login('tanaka', $password);
($r) = post('offices/kita/counters/moving', '{"action":"issue"}', 'Content-Type' => 'text/plain',
            Authorization => "Bearer $token");
is($r->{status}, 415, 'a counter update as text/plain: 415');
($r, $d) = post('session', '', Authorization => "Bearer $token");
is($r->{status}, 200, 'POST session with no body needs no type (and no body)');
is($d->{user}, 'tanaka', 'the session answered');
($r) = post('logout', '{}', 'Content-Type' => 'text/plain', Cookie => $cookie, 'X-CSRF-Token' => $csrf);
is($r->{status}, 415, 'logout as text/plain: 415');

# ------------------------------------------------------------ origins

my @json = ('Content-Type' => 'application/json');

for my $c (['https://evil.example', 'another site'],
           ['null', 'an opaque origin'],
           ['http://localhost.evil.example', 'a name that starts like ours'],
           ['https://mado.example.jp.evil.example', 'a name that starts like the public URL'],
           ['https://localhost:8443', 'our name on another port']) {
    my ($origin, $what) = @$c;
    ($r, $d) = post('login', $login, @json, Origin => $origin);
    is($r->{status}, 403, "a login from $what ($origin): 403");
    is($d->{error}, 'cross_site', "$what: cross_site");
    ok(!exists $r->{headers}{'set-cookie'}, "$what: no cookie");
}
like($d->{message} // '', qr/Origin/, 'the refusal names the Origin');

for my $site (qw(cross-site same-site)) {
    ($r, $d) = post('login', $login, @json, 'Sec-Fetch-Site' => $site);
    is($r->{status}, 403, "a login with Sec-Fetch-Site: $site: 403");
    like($d->{message} // '', qr/Sec-Fetch-Site/, "$site: named");
}

# even a bearer login: a page of another site could lock accounts out
($r) = post('login', qq({"user":"tanaka","password":"not it at all"}), @json,
            Origin => 'https://evil.example');
is($r->{status}, 403, 'a bearer login from another site: 403, not counted as a failure');

# our own origins
for my $c (['http://localhost', 'this server (its Host)'],
           ['HTTP://LOCALHOST', 'this server, in capitals'],
           ['https://mado.example.jp', 'the public URL']) {
    my ($origin, $what) = @$c;
    ($r) = post('login', $login, @json, Origin => $origin, 'Sec-Fetch-Site' => 'same-origin');
    is($r->{status}, 200, "a login from $what ($origin): 200");
}

# ------------------------------------------------------------ cookie sessions

my $w = $t->api_counter('kita', 'moving')->{waiting};
($r, $d) = post('offices/kita/counters/moving', '{"action":"issue"}', @json, Cookie => $cookie,
                'X-CSRF-Token' => $csrf, Origin => 'https://evil.example');
is($r->{status}, 403, 'a cookie update from another site, even with the CSRF token: 403');
is($d->{error}, 'cross_site', 'cross_site');
($r) = post('offices/kita/counters/moving', '{"action":"issue"}', @json, Cookie => $cookie,
            'X-CSRF-Token' => $csrf, 'Sec-Fetch-Site' => 'cross-site');
is($r->{status}, 403, 'Sec-Fetch-Site: cross-site with a cookie: 403');
($r) = post('session', '{}', @json, Cookie => $cookie, Origin => 'https://evil.example');
is($r->{status}, 403, 'POST session with a cookie from another site: 403');
is($t->api_counter('kita', 'moving')->{waiting}, $w, 'nothing written');

($r) = post('offices/kita/counters/moving', '{"action":"issue"}', @json, Cookie => $cookie,
            'X-CSRF-Token' => $csrf, Origin => 'http://localhost', 'Sec-Fetch-Site' => 'same-origin');
is($r->{status}, 200, 'the same from this server: 200') or diag($r->{body});

# tools: a bearer token, no Origin
($r) = post('offices/kita/counters/moving', '{"action":"issue"}', @json, Authorization => "Bearer $token");
is($r->{status}, 200, 'a bearer update without an Origin: 200');
is($t->api_counter('kita', 'moving')->{waiting}, $w + 2, 'both written');

$t->stop;

done_testing;
