#!/usr/bin/perl

# The office page's QR code where people see it: the signage shows
# /{office}/qr.svg with a caption and the address to type (from
# mado_public_url), the office page links it for printing; the SVG is
# served.  In every language the caption and the image's text are the
# catalog's.  (Layout, sizes and the language alternation: t/browser/signage.test.mjs.)

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->write_config_raw(<<'EOF2');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_messages %%REPO%%/conf.example/i18n;
    mado_assets %%REPO%%/conf.example/assets;
    mado_public_url https://mado.example.jp/city/;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location / { mado_pages; }
    }
}
EOF2
$t->start;

sub body { decode_utf8($_[0]{body}) }

sub esc {
    my ($s) = @_;
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    $s =~ s/"/&quot;/g;
    $s =~ s/'/&#39;/g;
    return $s;
}

sub plain { (my $s = shift) =~ s/\{([^|{}]+)\|([^{}]+)\}/$1（$2）/g; $s }
sub kanji { (my $s = shift) =~ s/\{([^|{}]+)\|[^{}]+\}/$1/g; $s }
sub kana { (my $s = shift) =~ s/\{[^|{}]+\|([^{}]+)\}/$1/g; $s }
sub text_of { my $s = shift // return undef; $s =~ s{<rt>.*?</rt>}{}g; $s =~ s{<[^>]*>}{}g; $s }

for my $lang (qw(ja en zh-hans zh-hant ko ja-easy)) {
    open my $fh, '<:raw', "$FindBin::Bin/../conf.example/i18n/$lang.json" or die $!;
    my $cat = JSON::PP->new->utf8->decode(do { local $/; <$fh> });
    close $fh;

    my $r = $t->http('GET', "/fushimi/signage?lang=$lang");
    is($r->{status}, 200, "$lang: signage 200");
    my $b = body($r);
    # ja-easy's readings ({漢字|よみ}): plain 漢字（よみ） in attributes,
    # <ruby> in text (compared here without its <rt> and tags)
    my $alt = esc(plain($cat->{'signage.qr_alt'}));
    # (the signage says ja-easy in kana: the readings alone)
    my $cap = esc(kana($cat->{'signage.qr_caption'}));
    my ($fig, $text) = $b =~ m{(<figure class="signage-qr"><img src="/fushimi/qr\.svg" width="160" height="160" alt="\Q$alt\E"><figcaption>(.*?) <span class="qr-url">mado\.example\.jp/city/fushimi</span></figcaption></figure>)};
    ok(defined $fig, "$lang: signage shows the QR code, its alt text and the address without the scheme");
    is(text_of($text), $cap, "$lang: and its caption");

    $r = $t->http('GET', "/fushimi?lang=$lang");
    my $nav = esc(kanji($cat->{'nav.qr'}));
    my ($link) = body($r) =~ m{<p class="links qr-link"><a href="/fushimi/qr\.svg">(.*?)</a></p>};
    is(text_of($link), $nav, "$lang: the office page links the QR code for printing");
    unlike(body($r), qr{signage-qr}, "$lang: the office page does not show the signage's QR figure");
}

my $r = $t->http('GET', '/fushimi/qr.svg');
is($r->{status}, 200, 'qr.svg: 200');
like($r->{headers}{'content-type'}, qr{^image/svg\+xml}, 'qr.svg: SVG');
like(body($r), qr{aria-label="https://mado\.example\.jp/city/fushimi"}, 'qr.svg: the office page\'s public URL');

$r = $t->http('GET', '/embed/fushimi');
unlike(body($r), qr{qr\.svg}, 'the embed has no QR code');

$t->stop;

done_testing;
