#!/usr/bin/perl

# The page catalogs as "nginx -t" reports them: a catalog missing a key is
# named and Japanese is used instead; the Japanese catalog must be
# complete; mado_pages says which directives it needs.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Copy qw(copy);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(module nginx));

my $repo = MadoTest::repo();
my $t = MadoTest->new;

# a catalog missing a key: nginx -t names it and Japanese is used
my $i18n = $t->dir . '/i18n';
mkdir $i18n or die $!;
copy("$repo/conf.example/i18n/$_.json", "$i18n/$_.json") or die $!
    for qw(ja en zh-hans zh-hant ko ja-easy);
my $en = do { local (@ARGV, $/) = "$i18n/en.json"; <> };
$en =~ s/\s*"myticket\.clear":\s*"[^"]*",//s or die 'no myticket.clear in en.json';
open my $fh, '>', "$i18n/en.json" or die $!;
print $fh $en;
close $fh;

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_messages %%DIR%%/i18n;
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
my ($rc, $out) = $t->nginx_test;
is($rc, 0, 'nginx -t passes with an incomplete catalog');
like($out, qr{\[warn\].*"en" lacks "myticket\.clear", the Japanese text is used}, 'and names the missing key');

# the Japanese catalog must be complete
my $ja = do { local (@ARGV, $/) = "$i18n/ja.json"; <> };
$ja =~ s/\s*"myticket\.clear":\s*"[^"]*",//s or die;
open $fh, '>', "$i18n/ja.json" or die $!;
print $fh $ja;
close $fh;
($rc, $out) = $t->nginx_test;
isnt($rc, 0, 'nginx -t refuses an incomplete Japanese catalog');
like($out, qr{\[emerg\].*"ja" lacks "myticket\.clear"}, 'naming the key');

# mado_pages without its directives
$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location / { mado_pages; }
    }
}
EOF
($rc, $out) = $t->nginx_test;
like($out, qr{"mado_pages" directive requires "mado_messages", "mado_assets" and "mado_public_url"},
    'mado_pages says what it needs');

done_testing;
