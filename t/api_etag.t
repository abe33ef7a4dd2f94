#!/usr/bin/perl

# Caching of the JSON API: one ETag for unchanged content whichever worker
# answers and whenever it rendered, If-None-Match and 304, HEAD, and a
# write: the office it changed gets a new ETag, the others read as before.

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
    IO::Uncompress::Gunzip::gunzip(\$in => \$out) or return "not gzip: $in";
    return $out;
}

my $CT = 'application/json; charset=utf-8';

# generated_at moves at each minute: the test clock starts nginx (and
# madoctl) at the top of a minute, which leaves the revalidations below a
# minute of the same generated_at, whenever the test runs
my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

# a second access log says which worker answered, with which ETag
$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 15m;
    log_format pidlog '$pid $status $sent_http_etag $request';

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/pid.log pidlog;
        location /api/ { mado_api; mado_max_age 5s; }
    }
}
EOF
$t->start;

# ------------------------------------------------------------------ one ETag, every worker

# Unchanged content has one ETag, whichever worker answers and whenever it
# rendered: a client that got the ETag from one worker revalidates at the
# other.  After a write each worker renders anew on its next request; the
# first renders now, the others in a later second.
my ($etag, $list_body);
{
    $t->madoctl_ok(qw(set kita moving --staff 1));
    my $r0 = $t->http('GET', '/api/v1/offices');
    my $e0 = $r0->{headers}{etag} // '';
    $t->wait_next_second;

    # until both workers have answered (30 requests at least)
    my (%status, %etags, %by_worker);
    my $n = 0;
    my $before = () = $t->read_file('pid.log') =~ /\n/g;
    my $pidlog = sub {
        %by_worker = ();
        my @lines = split /\n/, $t->read_file('pid.log');
        for (@lines[$before .. $#lines]) {
            my ($pid, $st, $et, $req) = split / /, $_, 4;
            $by_worker{$pid}{"$st $et"}++ if $req =~ m{^GET /api/v1/offices HTTP};
        }
        return scalar keys %by_worker;
    };
    while ($n < 30 || ($pidlog->() < $t->workers && $n < 300)) {
        my $r1 = $t->http('GET', '/api/v1/offices', { headers => { 'If-None-Match' => $e0 } });
        $status{ $r1->{status} }++;
        $etags{ $r1->{headers}{etag} // 'none' }++;
        $n++;
    }
    my $workers = $pidlog->();
    is_deeply(\%status, { 304 => $n },
        "unchanged list: If-None-Match gives 304 at every worker ($workers workers answered)")
        or diag("ETag from the first request: $e0\n"
            . join "\n", map { my $p = $_; map { "worker $p: $_ x $by_worker{$p}{$_}" } sort keys %{ $by_worker{$p} } } sort keys %by_worker);
    my ($r) = $t->get_json('/api/v1/offices');
    $etag = $r->{headers}{etag};
    $list_body = $r->{body};
}

# ------------------------------------------------------------------ If-None-Match, HEAD

my $r = $t->http('GET', '/api/v1/offices', { headers => { 'If-None-Match' => $etag } });
is($r->{status}, 304, 'If-None-Match with the ETag: 304');
ok($r->{body} eq '', '304: empty body') or diag(length($r->{body}) . ' bytes of body');
is($r->{extra} // '', '', '304: nothing after the headers');
is($r->{headers}{etag}, $etag, '304: ETag sent again');

$r = $t->http('GET', '/api/v1/offices', { headers => { 'If-None-Match' => '"mado-other"' } });
is($r->{status}, 200, 'If-None-Match with another ETag: 200');
ok(length $r->{body}, '200 has a body');

$r = $t->http('HEAD', '/api/v1/offices');
is($r->{status}, 200, 'HEAD: 200');
is($r->{body}, '', 'HEAD: no body');
is($r->{extra} // '', '', 'HEAD: nothing after the headers');
is($r->{headers}{etag}, $etag, 'HEAD: same ETag');
is($r->{headers}{'content-type'}, $CT, 'HEAD: content type');
is($r->{headers}{'cache-control'}, 'public, max-age=5', 'HEAD: Cache-Control');
is($r->{headers}{'access-control-allow-origin'}, '*', 'HEAD: CORS');
if (defined $r->{headers}{'content-length'}) {
    is($r->{headers}{'content-length'}, length($list_body), 'HEAD: Content-Length of the GET body');
}

$r = $t->http('HEAD', '/api/v1/offices/kita');
is($r->{status}, 200, 'HEAD one office: 200');
is($r->{body} . ($r->{extra} // ''), '', 'HEAD one office: no body');

my ($rk) = $t->get_json('/api/v1/offices/kita');
my $kita_etag = $rk->{headers}{etag};
like($kita_etag // '', qr/^"[^"\s]+"$/, 'office: strong quoted ETag');
is($rk->{headers}{'cache-control'}, 'public, max-age=5', 'office: Cache-Control');
is($rk->{headers}{'access-control-allow-origin'}, '*', 'office: CORS');
$r = $t->http('GET', '/api/v1/offices/kita', { headers => { 'If-None-Match' => $kita_etag } });
is($r->{status}, 304, 'office: If-None-Match -> 304');
is($r->{body}, '', 'office: 304 empty body');

# ------------------------------------------------------------------ a write

# A write re-renders the office it changed; the others are carried over
# from the last snapshot and must read exactly as before (save the minute
# of generated_at), also gzipped, and the list must show the change.
{
    my $strip = sub { (my $b = $_[0] // '') =~ s/"generated_at":"[^"]*"//; $b };
    my ($k0) = $t->get_json('/api/v1/offices/kita');
    my $g0 = $t->http('GET', '/api/v1/offices/kita', { headers => { 'Accept-Encoding' => 'gzip' } });
    $t->madoctl_ok(qw(set sakyo certificates --status open --waiting 17));
    for my $i (1 .. 4) {        # both workers, most likely
        my ($k1) = $t->get_json('/api/v1/offices/kita');
        is($strip->($k1->{body}), $strip->($k0->{body}), "a write elsewhere: kita reads the same ($i)");
        my $g1 = $t->http('GET', '/api/v1/offices/kita', { headers => { 'Accept-Encoding' => 'gzip' } });
        is($strip->(gunzip($g1->{body})), $strip->(gunzip($g0->{body})),
           "a write elsewhere: kita gzipped reads the same ($i)");
        my (undef, $all) = $t->get_json('/api/v1/offices');
        is((MadoTest::find_counter($all, 'sakyo', 'certificates') || {})->{waiting}, 17,
           "a write elsewhere: the list shows it ($i)");
        is_deeply(MadoTest::find_counter($all, 'kita', 'moving'),
                  MadoTest::find_counter(JSON::PP->new->utf8->decode($k0->{body}), 'kita', 'moving'),
                  "a write elsewhere: the list keeps kita ($i)");
    }
}

$t->madoctl_ok(qw(set kita moving --status open --waiting 7));
($rk) = $t->get_json('/api/v1/offices/kita');
isnt($rk->{headers}{etag}, $kita_etag, 'office ETag changed after a write');
($r) = $t->get_json('/api/v1/offices');
isnt($r->{headers}{etag}, $etag, 'list ETag changed after a write');
$r = $t->http('GET', '/api/v1/offices', { headers => { 'If-None-Match' => $etag } });
is($r->{status}, 200, 'old ETag no longer gives 304');

$t->stop;

done_testing;
