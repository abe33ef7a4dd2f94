#!/usr/bin/perl

# The update API's request bodies (issue 13, findings 8, 9 and 11): no body
# at all (Content-Length: 0, none, an empty chunked body) on every route is
# answered, with no sanitizer report under ASan, and "session" and
# "logout" take it as {}; a body nginx put in its temp file (over
# client_body_buffer_size) is read, up to the documented 16 KB, and one
# over it is refused with 413 however it came; the nesting limit is
# yajl's, so brackets inside strings are text: a password and a staff
# message full of them work.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

my $brackets = '{{{{{Strong-pass-1';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->add_user(qw(suzuki --role staff --office kita), { iterations => 1000, password => $brackets });
my ($machine) = $t->madoctl_ok(qw(user add machine --role feed --office kita)) =~ /^(mado_[0-9a-f]{64})$/m;

# a small client_body_buffer_size: every body below over 1 KB goes through
# nginx's temp file (the default, 8 KB on x86-64, does the same above it)
$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 1;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;
    client_body_buffer_size 1k;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;

my $json = JSON::PP->new->utf8->canonical;

# a request as given, bytes and all (chunked bodies: http() adds a
# Content-Length to any body)
sub raw {
    my ($req) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port,
                                  Proto => 'tcp', Timeout => 30)
        or return { status => 0, headers => {}, body => '' };
    binmode $s;
    print {$s} $req;
    local $/;
    my $raw = <$s> // '';
    close $s;
    return MadoTest::parse_response($raw, 'POST');
}

sub chunked {
    my ($path, $body, %h) = @_;
    my $req = "POST /api/v1/admin/$path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            . "Transfer-Encoding: chunked\r\n"
            . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
    # in pieces of 1000 bytes, as a client streaming it would
    for (my $i = 0; $i < length $body; $i += 1000) {
        my $piece = substr($body, $i, 1000);
        $req .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    return raw($req . "0\r\n\r\n");
}

sub decoded { my $d = eval { $json->decode($_[0]{body}) }; return $d || {} }

my $token = $t->admin_login('tanaka', 'correct horse battery staple');
like($token // '', qr/^mado_s_[0-9a-f]{64}$/, 'tanaka logs in');
my %bearer = (Authorization => "Bearer $token");

# ------------------------------------------------------------ no body (8)

for my $c ([ 'login', 400 ], [ 'offices/kita/counters/moving', 400 ],
           [ 'session', 200 ], [ 'offices/kita/feed', 200 ], [ 'logout', 200 ])
{
    my ($path, $status) = @$c;
    my %h = $path =~ /feed$/ ? (Authorization => "Bearer $machine",
                                'Content-Type' => 'application/x-ndjson')
          : $path eq 'login' ? ('Content-Type' => 'application/json')
          : (%bearer, 'Content-Type' => 'application/json');

    # logout last: it ends the session the others use
    my @ways = (
        [ 'Content-Length: 0', sub { $t->http('POST', "/api/v1/admin/$path", { headers => \%h, body => '' }) } ],
        [ 'no body at all', sub { $t->http('POST', "/api/v1/admin/$path", { headers => \%h }) } ],
        [ 'an empty chunked body', sub { chunked($path, '', %h) } ],
    );
    @ways = ($ways[0]) if $path eq 'logout';

    for my $w (@ways) {
        my ($how, $send) = @$w;
        my $r = $send->();
        is($r->{status}, $status, "$path, $how: $status") or diag($r->{body});
        like($r->{headers}{'content-type'} // '', qr{^application/json}, "$path, $how: a JSON answer");
        like(decoded($r)->{message} // '', qr/must be a JSON object/, "$path, $how: says what the body must be")
            if $status == 400;
    }
}

# the session is gone after the logout without a body
my ($r, $d) = $t->admin_post('session', {}, $token);
is($r->{status}, 401, 'logout with no body ended the session');

$token = $t->admin_login('tanaka', 'correct horse battery staple');
%bearer = (Authorization => "Bearer $token");

# ------------------------------------------------------------ bodies in nginx's temp file (11)

# a counter update of 12 000 bytes: spaces are JSON too
my $small = '{"action": "set", "status": "open", "waiting": 7}';
my $body = $small . (' ' x (12000 - length $small));
($r, $d) = $t->admin_post('offices/kita/counters/moving', $body, $token);
is($r->{status}, 200, 'a 12 000-byte update through the temp file: 200') or diag($r->{body});
is($t->api_counter('kita', 'moving')->{waiting}, 7, 'and it is applied');

$body = '{"action": "set", "waiting": 8}';
$body .= ' ' x (16384 - length $body);
($r, $d) = $t->admin_post('offices/kita/counters/moving', $body, $token);
is($r->{status}, 200, 'exactly 16 384 bytes: 200') or diag($r->{body});
is($t->api_counter('kita', 'moving')->{waiting}, 8, 'and it is applied');

$r = chunked('offices/kita/counters/moving', '{"action": "set", "waiting": 9}' . (' ' x 12000),
             %bearer, 'Content-Type' => 'application/json');
is($r->{status}, 200, '12 000 bytes chunked (no Content-Length): 200') or diag($r->{body});
is($t->api_counter('kita', 'moving')->{waiting}, 9, 'and it is applied');

# over the limit, told by Content-Length or only once read
my $over = '{"action": "set", "waiting": 1}' . (' ' x 16384);
($r, $d) = $t->admin_post('offices/kita/counters/moving', $over, $token);
is($r->{status}, 413, '16 KB and more, with a Content-Length: 413');
like($d->{message} // '', qr/at most 16384 bytes/, 'with the limit');
$r = chunked('offices/kita/counters/moving', $over, %bearer, 'Content-Type' => 'application/json');
is($r->{status}, 413, '16 KB and more, chunked: 413 once read') or diag($r->{body});
like(decoded($r)->{message} // '', qr/at most 16384 bytes/, 'with the limit');
is($t->api_counter('kita', 'moving')->{waiting}, 9, 'nothing of them applied');

# a login's body through the temp file too
($r, $d) = $t->admin_post('login', '{"user": "tanaka", "password": "correct horse battery staple"}'
                                   . (' ' x 4000));
is($r->{status}, 200, 'a login of 4 000 bytes: 200') or diag($r->{body});

# ------------------------------------------------------------ brackets in strings (9)

($r, $d) = $t->admin_post('login', { user => 'suzuki', password => $brackets });
is($r->{status}, 200, "a password madoctl accepted, $brackets, logs in") or diag($r->{body});

my $message = '[[[[[ 受付は 2 番へ {{{{{ ]]]]]';
($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', message => $message }, $token);
is($r->{status}, 200, 'a staff message with [[[[[ : 200') or diag($r->{body});
is($t->api_counter('kita', 'moving')->{message}, $message, 'and citizens see it');

# real nesting is still refused
($r, $d) = $t->admin_post('offices/kita/counters/moving', '{"message": [[[["x"]]]]}', $token);
is($r->{status}, 400, 'a body nesting 5 deep: 400');
like($d->{message} // '', qr/nests deeper than 4/, 'said so');
($r, $d) = $t->admin_post('login', '[' x 1000000, undef);
is($r->{status}, 413, 'a million brackets: over the size limit first');
($r, $d) = $t->admin_post('login', '[' x 16000);
is($r->{status}, 400, '16 000 brackets: 400');
like($d->{message} // '', qr/nests deeper than 4/, 'said so');

$t->check_logs;

done_testing;
