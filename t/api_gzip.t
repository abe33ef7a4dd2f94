#!/usr/bin/perl

# The JSON API gzipped (issue 17, problem 9): /api/v1/offices,
# /api/v1/offices/{id} and /api/v1/summary go gzipped to clients that
# accept it, the gzip bytes decode to the plain bytes exactly, each
# encoding has its own ETag and its own 304, HEAD says the same, and
# nothing is gzipped without Accept-Encoding.  The summary has the index's
# figures, as the full list has them.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Uncompress::Gunzip ();
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

sub gunzip {
    my ($in) = @_;
    my $out;
    IO::Uncompress::Gunzip::gunzip(\$in => \$out) or return "not gzip";
    return $out;
}

my $t = MadoTest->new(clock => 1);
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 7 --calling 41));
$t->madoctl_ok(qw(set kita certificates --status open --waiting 2 --calling 5));
$t->madoctl_ok(qw(set fushimi moving --status paused --waiting 3));

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    gzip on;                        # must not gzip the module's gzip again
    gzip_types application/json;
    gzip_min_length 1;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; mado_max_age 5s; }
    }
}
EOF
$t->start;

my %gz = (headers => { 'Accept-Encoding' => 'gzip, deflate, br' });

for my $path ('/api/v1/offices', '/api/v1/offices/kita', '/api/v1/summary') {
    my $plain = $t->http('GET', $path);
    my $gz = $t->http('GET', $path, \%gz);

    is($plain->{status}, 200, "$path: 200");
    ok(!defined $plain->{headers}{'content-encoding'},
       "$path: no gzip without Accept-Encoding");
    is($plain->{headers}{vary}, 'Accept-Encoding', "$path: Vary, plain");
    ok(eval { JSON::PP->new->utf8->decode($plain->{body}); 1 }, "$path: plain is JSON");

    is($gz->{status}, 200, "$path gzip: 200");
    is($gz->{headers}{'content-encoding'}, 'gzip', "$path: gzip when accepted");
    is($gz->{headers}{vary}, 'Accept-Encoding', "$path: Vary, gzip");
    is($gz->{headers}{'content-type'}, 'application/json; charset=utf-8',
       "$path gzip: the JSON type");
    is($gz->{headers}{'access-control-allow-origin'}, '*', "$path gzip: CORS");
    ok(gunzip($gz->{body}) eq $plain->{body},
       "$path: gunzipped equals plain byte for byte");
    ok(length($gz->{body}) < length($plain->{body}) / 2,
       "$path: gzip is less than half (" . length($gz->{body}) . " of "
       . length($plain->{body}) . " bytes)");
    is($gz->{headers}{'content-length'}, length($gz->{body}),
       "$path gzip: Content-Length of the gzip bytes");

    my $e = $plain->{headers}{etag} // '';
    my $ge = $gz->{headers}{etag} // '';
    like($e, qr/^"[0-9a-f]{16}"$/, "$path: strong ETag, plain");
    like($ge, qr/^"[0-9a-f]{16}-gz"$/, "$path: strong ETag, gzip");
    isnt($ge, $e, "$path: the ETag differs per encoding");

    my $r = $t->http('GET', $path, { headers => { 'Accept-Encoding' => 'gzip', 'If-None-Match' => $ge } });
    is($r->{status}, 304, "$path: 304 on the gzip ETag");
    is($r->{body}, '', "$path: 304 has no body");
    is($r->{headers}{etag}, $ge, "$path: 304 names the gzip ETag");

    $r = $t->http('GET', $path, { headers => { 'If-None-Match' => $e } });
    is($r->{status}, 304, "$path: 304 on the plain ETag");

    # a representation's ETag does not stand for the other's
    $r = $t->http('GET', $path, { headers => { 'If-None-Match' => $ge } });
    is($r->{status}, 200, "$path: the gzip ETag without gzip: 200");
    ok(!defined $r->{headers}{'content-encoding'}, "$path: ... plain");
    $r = $t->http('GET', $path, { headers => { 'Accept-Encoding' => 'gzip', 'If-None-Match' => $e } });
    is($r->{status}, 200, "$path: the plain ETag with gzip: 200");

    $r = $t->http('HEAD', $path, \%gz);
    is($r->{status}, 200, "$path HEAD: 200");
    is($r->{headers}{'content-encoding'}, 'gzip', "$path HEAD: gzip");
    is($r->{headers}{etag}, $ge, "$path HEAD: the gzip ETag");
    is($r->{headers}{'content-length'}, length($gz->{body}), "$path HEAD: its length");
    is($r->{body}, '', "$path HEAD: no body");

    $r = $t->http('GET', $path, { headers => { 'Accept-Encoding' => 'gzip;q=0' } });
    ok(!defined $r->{headers}{'content-encoding'}, "$path: gzip;q=0 refuses gzip");
}

# ------------------------------------------------------------------ the summary

my ($s, $sum) = $t->get_json('/api/v1/summary');
my (undef, $all) = $t->get_json('/api/v1/offices');

is_deeply([map { $_->{id} } @{ $sum->{offices} }], [map { $_->{id} } @{ $all->{offices} }],
          'summary: every office, in the list\'s order');
is($sum->{generated_at}, $all->{generated_at}, 'summary: the same generated_at');

my @figures = qw(status waiting calling wait_range level next_open closes_at
                 past_close jam_message message updated_at stale);
my $same = 1;
for my $o (@{ $all->{offices} }) {
    my ($so) = grep { $_->{id} eq $o->{id} } @{ $sum->{offices} };
    for my $c (@{ $o->{counters} }) {
        my ($sc) = grep { $_->{id} eq $c->{id} } @{ $so->{counters} };
        for my $k (@figures) {
            my $a = JSON::PP->new->canonical->encode([$c->{$k}]);
            my $b = JSON::PP->new->canonical->encode([$sc->{$k}]);
            next if $a eq $b;
            $same = 0;
            diag("$o->{id}/$c->{id} $k: list $a, summary $b");
        }
        ok(!exists $sc->{name}, "summary: no names ($o->{id}/$c->{id})") if $o->{id} eq 'kita';
    }
}
ok($same, 'summary: each counter\'s figures as the full list has them');

my ($kita) = grep { $_->{id} eq 'kita' } @{ $sum->{offices} };
is($kita->{waiting}, 9, 'summary: an office\'s people waiting, all counters');
ok(ref $kita->{longest_wait} eq 'HASH' && $kita->{longest_wait}{high} > 0,
   'summary: kita\'s longest wait is a range');
my ($moving) = grep { $_->{id} eq 'moving' } @{ (grep { $_->{id} eq 'kita' } @{ $all->{offices} })[0]{counters} };
is_deeply($kita->{longest_wait}, $moving->{wait_range},
          'summary: the longest wait is that of the counter with the longest wait');
my ($fushimi) = grep { $_->{id} eq 'fushimi' } @{ $sum->{offices} };
is($fushimi->{longest_wait}, undef, 'summary: no open counter, no longest wait (null)');
is($fushimi->{waiting}, 3, 'summary: paused counters\' people count');

ok(length($s->{body}) * 2 < length(do { my $r = $t->http('GET', '/api/v1/offices'); $r->{body} }),
   'summary: less than half the full list');

# a write: the summary follows, with a new ETag
my $e0 = $s->{headers}{etag};
$t->madoctl_ok(qw(set kita moving --waiting 12 --calling 44));
my ($s1, $sum1) = $t->get_json('/api/v1/summary');
isnt($s1->{headers}{etag}, $e0, 'summary: a new ETag after a write');
($kita) = grep { $_->{id} eq 'kita' } @{ $sum1->{offices} };
is($kita->{waiting}, 14, 'summary: the write shows');
my $r = $t->http('GET', '/api/v1/summary', { headers => { 'If-None-Match' => $e0 } });
is($r->{status}, 200, 'summary: the old ETag gives 200');

# ------------------------------------------------------------------ routes

$r = $t->http('GET', '/api/v1/summary/');
is($r->{status}, 200, '/api/v1/summary/ is the summary too');
$r = $t->http('GET', '/api/v1/summary/kita');
is($r->{status}, 404, '/api/v1/summary/kita: 404');
$r = $t->http('POST', '/api/v1/summary');
is($r->{status}, 405, 'POST /api/v1/summary: 405');

$t->stop;
$t->check_logs;

done_testing();
