#!/usr/bin/perl

# The security headers of what citizens get, over HTTP: every page (index,
# office, signage, the not-found and unavailable pages) has a CSP with no
# inline script and frame-ancestors 'none', X-Frame-Options DENY, nosniff
# and Referrer-Policy; the embed widget is framed where
# mado_embed_ancestors says ('self' by default, with SAMEORIGIN; a list of
# sites: frame-ancestors alone; none: DENY), inherited from http to
# location, its error pages too; the API, CSV and QR codes run nothing
# and are framed nowhere; CSS and JS are nosniff.  nginx -t refuses what
# could not be a frame-ancestors source.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
my $repo = MadoTest::repo();
my $list_port = MadoTest::free_port();
my $none_port = MadoTest::free_port();

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

my $CSP = qr/^default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors (.+)$/;

$t->write_config_raw(<<"EOF");
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 1;
events { worker_connections 64; }
http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_messages $repo/conf.example/i18n;
    mado_assets $repo/conf.example/assets;
    mado_public_url http://127.0.0.1:%%PORT%%;

    # the default: 'self'
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location / { mado_pages; }
    }

    # sites of the city, at server level; one location says otherwise
    server {
        listen 127.0.0.1:$list_port;
        mado_embed_ancestors https://www.city.kyoto.lg.jp https://*.kyoto.lg.jp:8443 self;
        location / { mado_pages; }
    }

    # a location says otherwise than its server
    server {
        listen 127.0.0.1:$none_port;
        mado_embed_ancestors https://www.city.kyoto.lg.jp;
        location /embed/ { mado_pages; mado_embed_ancestors none; }
        location / { mado_pages; }
    }
}
EOF
$t->start;

sub headers_of {
    my ($path, $port) = @_;
    my $r = $t->get($path, { $port ? (port => $port) : () });
    my $h = $r->{headers};
    return ($r->{status}, $h->{'content-security-policy'} // '', $h->{'x-frame-options'} // '',
            $h->{'x-content-type-options'} // '', $h->{'referrer-policy'} // '');
}

# ------------------------------------------------------------ pages

for my $p (['/', 200], ['/kita', 200], ['/kita?lang=en', 200], ['/kita/signage', 200],
           ['/no-such-office', 404], ['/a/b/c/d', 404])
{
    my ($path, $status) = @$p;
    my ($st, $csp, $xfo, $xcto, $ref) = headers_of($path);
    is($st, $status, "$path: $status");
    like($csp, $CSP, "$path: the pages' CSP");
    is(($csp =~ $CSP)[0], "'none'", "$path: frame-ancestors 'none'");
    unlike($csp, qr/unsafe-inline|unsafe-eval/, "$path: no inline script or eval");
    is($xfo, 'DENY', "$path: X-Frame-Options DENY");
    is($xcto, 'nosniff', "$path: nosniff");
    is($ref, 'same-origin', "$path: Referrer-Policy same-origin");
}

{
    # the page's script is a file, its data a JSON block: nothing inline runs
    my $r = $t->get('/kita');
    my @scripts = $r->{body} =~ /<script\b([^>]*)>/g;
    ok(@scripts >= 2, 'the office page has its scripts');
    ok(!grep({ !/\bsrc="\/assets\/mado\.[0-9a-f]{8}\.js"/ && !/\btype="application\/json"/ } @scripts),
       'each is our own file or a JSON block') or diag(join "\n", @scripts);
    unlike($r->{body}, qr/\son[a-z]+="/, 'no inline event handlers');
    unlike($r->{body}, qr/\sstyle="/, 'no inline styles');

    # the assets: nosniff, and no policy of their own
    my ($js) = $r->{body} =~ m{src="(/assets/mado\.[0-9a-f]{8}\.js)"};
    my ($css) = $r->{body} =~ m{href="(/assets/mado\.[0-9a-f]{8}\.css)"};
    for my $a ($js, $css) {
        my ($st, $csp, $xfo, $xcto) = headers_of($a);
        is($st, 200, "$a: 200");
        is($xcto, 'nosniff', "$a: nosniff");
        is($csp, '', "$a: no CSP of its own");
    }
}

# ------------------------------------------------------------ the widget

{
    my ($st, $csp, $xfo, $xcto, $ref) = headers_of('/embed/kita');
    is($st, 200, '/embed/kita: 200');
    like($csp, $CSP, '/embed/kita: the pages\' CSP');
    is(($csp =~ $CSP)[0], "'self'", 'by default framed by the mado site itself');
    is($xfo, 'SAMEORIGIN', 'X-Frame-Options SAMEORIGIN with it');
    is($xcto, 'nosniff', '/embed/kita: nosniff');
    is($ref, 'same-origin', '/embed/kita: Referrer-Policy');

    ($st, $csp, $xfo) = headers_of('/embed/no-such-office');
    is($st, 404, '/embed/no-such-office: 404');
    is(($csp =~ $CSP)[0], "'self'", 'its error page may be framed as the widget');

    ($st, $csp, $xfo) = headers_of('/embed/kita', $list_port);
    is(($csp =~ $CSP)[0], "https://www.city.kyoto.lg.jp https://*.kyoto.lg.jp:8443 'self'",
       'mado_embed_ancestors: the sites listed, in order');
    is($xfo, '', 'no X-Frame-Options, which cannot name them');

    ($st, $csp, $xfo) = headers_of('/kita', $list_port);
    is(($csp =~ $CSP)[0], "'none'", 'the other pages of that server: never framed');
    is($xfo, 'DENY', 'DENY');

    ($st, $csp, $xfo) = headers_of('/embed/kita', $none_port);
    is(($csp =~ $CSP)[0], "'none'",
       'mado_embed_ancestors none in the location: the widget framed nowhere');
    is($xfo, 'DENY', 'X-Frame-Options DENY');
}

# ------------------------------------------------------------ data

for my $p ('/api/v1/offices', '/api/v1/offices/kita', '/api/v1/offices/nowhere',
           '/api/v2/what', '/api/v1/offices/kita/history.csv', '/kita/qr.svg')
{
    my ($st, $csp, $xfo, $xcto) = headers_of($p);
    is($csp, "default-src 'none'; frame-ancestors 'none'", "$p ($st): runs nothing, framed nowhere");
    is($xfo, 'DENY', "$p: X-Frame-Options DENY");
    is($xcto, 'nosniff', "$p: nosniff");
}

$t->stop;

# ------------------------------------------------------------ the directive

sub conf {
    my ($directive) = @_;
    return <<"EOF";
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
    mado_messages $repo/conf.example/i18n;
    mado_assets $repo/conf.example/assets;
    mado_public_url http://127.0.0.1:%%PORT%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { mado_pages; $directive }
    }
}
EOF
}

for my $ok ('mado_embed_ancestors self;', q{mado_embed_ancestors "'self'";},
            'mado_embed_ancestors *;', 'mado_embed_ancestors http://127.0.0.1:8080 https://a-b.example.jp;',
            'mado_embed_ancestors https://*.city.kyoto.lg.jp;')
{
    $t->write_config_raw(conf($ok));
    my ($rc, $out) = $t->nginx_test;
    is($rc, 0, "nginx -t accepts $ok") or diag(MadoTest::text($out));
}

for my $bad (['www.city.kyoto.lg.jp', qr/takes self, none, \* or a site's URL/],
             ['ftp://www.city.kyoto.lg.jp', qr/takes self, none, \* or a site's URL/],
             ['https://www.city.kyoto.lg.jp/', qr/with no path/],
             ['https://www.city.kyoto.lg.jp/embed', qr/with no path/],
             ['"https://a.jp; script-src *"', qr/with no path/],
             ['https://a.jp:', qr/with no path/],
             ['https://*', qr/with no path/],
             ['https://', qr/takes self, none/],
             ['"https://a.jp\'"', qr/with no path/],
             ['none self', qr/takes none alone/])
{
    my ($arg, $re) = @$bad;
    $t->write_config_raw(conf("mado_embed_ancestors $arg;"));
    my ($rc, $out) = $t->nginx_test;
    isnt($rc, 0, "nginx -t refuses mado_embed_ancestors $arg");
    like($out, qr/"mado_embed_ancestors".*$re/, 'and says why') or diag(MadoTest::text($out));
}

$t->write_config_raw(conf('mado_embed_ancestors self; mado_embed_ancestors none;'));
my ($rc, $out) = $t->nginx_test;
like($out, qr/"mado_embed_ancestors" directive is duplicate/, 'a second one in a block: duplicate');

done_testing;
