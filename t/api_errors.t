#!/usr/bin/perl

# Every error of the JSON API: 404 for unknown offices and resources, 400
# for malformed ids and paths, 405 with Allow for other methods, each a JSON
# body with error, message and status; the server stays healthy after them.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

sub check_error {
    my ($method, $path, $status, $error, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($r, $d) = $t->get_json($path, { method => $method });
    is($r->{status}, $status, "$name: $method $path -> $status")
        or diag(MadoTest::text($r->{raw}));
    like($r->{headers}{'content-type'} // '', qr{^application/json}, "$name: JSON content type");
    is(ref $d, 'HASH', "$name: error object") or return ($r, $d);
    is($d->{error}, $error, "$name: error \"$error\"");
    ok(defined $d->{message} && !ref $d->{message} && length $d->{message},
        "$name: has a message");
    is($d->{status}, $status, "$name: status $status in the body");
    ok(MadoTest::is_json_number($d->{status}), "$name: status is a number");
    return ($r, $d);
}

my $r = $t->http('HEAD', '/api/v1/offices/nosuch');
is($r->{status}, 404, 'HEAD unknown office: 404');
is($r->{body} . ($r->{extra} // ''), '', 'HEAD unknown office: no body');

check_error('GET', '/api/v1/offices/nosuch', 404, 'office_not_found', 'unknown office');
{
    my (undef, $d) = $t->get_json('/api/v1/offices/nosuch');
    like($d->{message} // '', qr/nosuch/, 'unknown office: message names it');
}
check_error('GET', '/api/v1/offices/' . ('a' x 32), 404, 'office_not_found', '32-char id');

check_error('GET', '/api/v1/nothing', 404, 'not_found', 'unknown resource');
check_error('GET', '/api/v2/offices', 404, 'not_found', 'unknown version');
check_error('GET', '/api/v1/office', 404, 'not_found', 'near miss');

check_error('GET', '/api/v1/offices/KITA!', 400, 'bad_request', 'bad chars');
check_error('GET', '/api/v1/offices/Kita', 400, 'bad_request', 'upper case');
check_error('GET', '/api/v1/offices/ki.ta', 400, 'bad_request', 'dot');
check_error('GET', '/api/v1/offices/ki%20ta', 400, 'bad_request', 'encoded space');
check_error('GET', '/api/v1/offices/' . ('a' x 33), 400, 'bad_request', '33-char id');
check_error('GET', '/api/v1/offices/kita/extra/more', 400, 'bad_request', 'extra segments');

for my $m (qw(POST PUT DELETE)) {
    for my $p ('/api/v1/offices', '/api/v1/offices/kita') {
        my ($r1) = check_error($m, $p, 405, 'method_not_allowed', 'method');
        is($r1->{headers}{allow}, 'GET, HEAD', "$m $p: Allow: GET, HEAD");
    }
}
{
    my $rb = $t->http('POST', '/api/v1/offices/kita',
        { body => '{"waiting":1}' x 100, headers => { 'Content-Type' => 'application/json' } });
    is($rb->{status}, 405, 'POST with a body: 405');
    is($rb->{headers}{allow}, 'GET, HEAD', 'POST with a body: Allow');
}

# still healthy after the errors
($r) = $t->get_json('/api/v1/offices');
is($r->{status}, 200, 'still 200 after the error requests');

$t->stop;

done_testing;
