#!/usr/bin/perl

# Settings that differ per site merge across http, server and location as
# nginx's own do: one nginx serving two host names prints each its own
# public URL (QR codes, the staff panel) and refresh; mado_max_age is
# inherited and overridden; and Cache-Control is one header whatever the
# location adds: "expires" replaces mado_max_age's value, "add_header
# Cache-Control" replaces the header.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
my $dir = $t->dir;
my $repo = MadoTest::repo();
my $port_b = MadoTest::free_port();

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->write_config_raw(<<"EOF");
load_module %%MODULE%%;
%%USER%%%%ENV%%worker_processes 1;
daemon on;
master_process on;
pid %%DIR%%/nginx.pid;
error_log %%DIR%%/error.log info;
events { worker_connections 64; }
http {
%%HTTP_PATHS%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_audit_key %%DIR%%/audit.key;
    mado_messages $repo/conf.example/i18n;
    mado_assets $repo/conf.example/assets;
    mado_public_url https://a.example.jp/;
    mado_max_age 20s;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/admin/ { mado_admin; }
        location /staff/ { mado_staff; }
        location /api/ { mado_api; }
        location /expires/ { mado_api; expires 1h; }
        location /add/ {
            mado_api;
            add_header Cache-Control "private, max-age=1";
        }
        location / { mado_pages; }
    }

    server {
        listen 127.0.0.1:$port_b;
        mado_public_url https://b.example.jp/kyoto;
        mado_max_age 0;
        location /api/v1/admin/ { mado_admin; }
        location /staff/ { mado_staff; }
        location /api/ { mado_api; }
        location / { mado_pages; mado_refresh 60s; }
    }
}
EOF
$t->start;

sub count_cc {
    my ($r) = @_;
    my ($head) = split /\r\n\r\n/, $r->{raw}, 2;
    return scalar(() = $head =~ /^Cache-Control:/mig);
}

# ---------------------------------------------------------------- public URL, refresh

my $qa = $t->get('/kita/qr.svg');
my $qb = $t->get('/kita/qr.svg', { port => $port_b });
is($qa->{status}, 200, 'QR code on server a');
like($qa->{body}, qr{https://a\.example\.jp/kita}, 'names the public URL set in http');
unlike($qa->{body}, qr{b\.example\.jp}, 'and not the other server\'s');
is($qb->{status}, 200, 'QR code on server b');
like($qb->{body}, qr{https://b\.example\.jp/kyoto/kita}, 'names the public URL its server sets');

my $pa = $t->get('/kita');
my $pb = $t->get('/kita', { port => $port_b });
like($pa->{body}, qr{data-refresh="30"}, 'server a: the default refresh');
like($pb->{body}, qr{data-refresh="60"}, 'server b: the location\'s refresh');
like($t->get('/', { port => $port_b })->{body}, qr{data-refresh="60"}, 'the index too');
like($t->get('/')->{body}, qr{data-refresh="30"}, 'and server a\'s index keeps its own');

my $sa = $t->get('/staff/');
my $sb = $t->get('/staff/', { port => $port_b });
like($sa->{body}, qr{data-public-url="https://a\.example\.jp"}, 'staff panel a: its public URL');
like($sb->{body}, qr{data-public-url="https://b\.example\.jp/kyoto"}, 'staff panel b: its own');

# ---------------------------------------------------------------- Cache-Control

my $r = $t->get('/api/v1/offices/kita');
is($r->{status}, 200, 'API on server a');
is(count_cc($r), 1, 'one Cache-Control');
is($r->{headers}{'cache-control'}, 'public, max-age=20', 'mado_max_age inherited from http');

$r = $t->get('/api/v1/offices/kita', { port => $port_b });
is($r->{headers}{'cache-control'}, 'no-cache', 'server b: mado_max_age 0 from its server');

$r = $t->get('/expires/v1/offices/kita');
is($r->{status}, 200, 'a location with expires 1h');
is(count_cc($r), 1, 'one Cache-Control with expires');
is($r->{headers}{'cache-control'}, 'max-age=3600', 'expires sets it');
ok(defined $r->{headers}{expires}, 'and its Expires');

$r = $t->get('/add/v1/offices/kita');
is($r->{status}, 200, 'a location with add_header Cache-Control');
is(count_cc($r), 1, 'one Cache-Control with add_header');
is($r->{headers}{'cache-control'}, 'private, max-age=1', 'the location\'s own');

$r = $t->get('/add/v1/offices/nowhere');
is($r->{status}, 404, 'an error in that location');
is(count_cc($r), 1, 'one Cache-Control (add_header does not apply to 404)');
is($r->{headers}{'cache-control'}, 'no-store', 'errors are never stored');

$r = $t->get('/api/v1/offices/kita', { headers => { 'If-None-Match' => $t->get('/api/v1/offices/kita')->{headers}{etag} } });
is($r->{status}, 304, 'not modified');
is(count_cc($r), 1, 'one Cache-Control on a 304');

$t->stop;

done_testing;
