#!/usr/bin/perl

# Citizen pages: the assets under hashed URLs, cached for a year (another
# version 404), and each office's QR code of its public URL as SVG.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
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

# ------------------------------------------------------------------ assets, QR

my $plain = $t->http('GET', '/kita', { headers => { 'Accept-Language' => 'ja' } });
my $r;

my ($css) = body($plain) =~ m{href="(/assets/mado\.[0-9a-f]{8}\.css)"};
my ($js) = body($plain) =~ m{src="(/assets/mado\.[0-9a-f]{8}\.js)"};
ok($css && $js, 'hashed asset URLs');
for my $a (grep { defined } $css, $js) {
    $r = $t->http('GET', $a);
    is($r->{status}, 200, "$a: 200");
    like($r->{headers}{'cache-control'} // '', qr/max-age=31536000/, "$a: cached for a year");
}
$r = $t->http('GET', '/assets/mado.00000000.css');
is($r->{status}, 404, 'an asset of another version: 404');

$r = $t->http('GET', '/kita/qr.svg');
is($r->{status}, 200, 'QR code: 200');
is($r->{headers}{'content-type'}, 'image/svg+xml', 'as SVG');
like($r->{body}, qr{^<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 (\d+) \1"}, 'square');
like($r->{body}, qr{aria-label="https://mado\.example\.jp/kita"}, 'of the public URL (no double slash)');
like($r->{body}, qr{<path fill="#000" d="(M\d+,\d+h1v1h-1z)+"/>}, 'one path of modules');

$t->stop;

done_testing;
