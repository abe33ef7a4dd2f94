#!/usr/bin/perl

# Citizen pages: a gzip variant when accepted, each encoding with its own
# ETag and 304 on it; a write shows on the next request with a new ETag.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 4 --calling 17));

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_messages %%REPO%%/conf.example/i18n;
    mado_assets %%REPO%%/conf.example/assets;
    mado_public_url https://mado.example.jp/;
    mado_refresh 20s;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location / { mado_pages; }
    }
}
EOF
$t->start;

sub body { decode_utf8($_[0]{body}) }

# ------------------------------------------------------------------ gzip, ETag

my $r;

my $plain = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja' } });
my $gz = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja', 'Accept-Encoding' => 'gzip, br' } });
is($gz->{headers}{'content-encoding'}, 'gzip', 'gzip when accepted');
ok(!defined $plain->{headers}{'content-encoding'}, 'plain otherwise');
my $unz;
gunzip(\$gz->{body} => \$unz) or diag($GunzipError);
is($unz, $plain->{body}, 'the gzip body is the plain body');
isnt($gz->{headers}{etag}, $plain->{headers}{etag}, 'each encoding has its own ETag');
ok(length($gz->{body}) < length($plain->{body}) / 2, 'and it is smaller');

$r = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja', 'Accept-Encoding' => 'gzip',
                                             'If-None-Match' => $gz->{headers}{etag} } });
is($r->{status}, 304, 'If-None-Match on the gzip ETag: 304');

$t->madoctl_ok(qw(call kita moving));
$r = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja' } });
like(body($r), qr{<dd class="calling">18</dd>}, 'a write shows on the next page request');
isnt($r->{headers}{etag}, $plain->{headers}{etag}, 'with a new ETag');

$t->stop;

done_testing;
