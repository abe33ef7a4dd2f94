#!/usr/bin/perl

# The JSON API of the nginx module: shape, caching headers, every error
# path, stale counters, a missing store and its recovery, write-then-read,
# and a reload under load.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode ();
use IO::Uncompress::Gunzip ();
use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use MadoTest;

sub gunzip {
    my ($in) = @_;
    my $out;
    IO::Uncompress::Gunzip::gunzip(\$in => \$out) or return "not gzip: $in";
    return $out;
}

MadoTest::require_binaries(qw(madoctl module nginx));

my $conf = MadoTest::read_json_file();
my @ids = map { $_->{id} } @{ $conf->{offices} };
my %def = map { $_->{id} => $_ } @{ $conf->{offices} };

my $CT = 'application/json; charset=utf-8';

my $t = MadoTest->new;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
# a second access log says which worker answered, with which ETag
$t->write_config(q{mado_stale_after 15m; log_format pidlog '$pid $status $sent_http_etag $request';},
                 'access_log ' . $t->dir . '/pid.log pidlog;', 'mado_max_age 5s;');
$t->start;

# seconds per person as the store keeps it, and the promised wait
sub spp { my ($c) = @_; return int($c->{minutes_per_person} * 60 + 0.5) }
# the estimate before any call was seen, staff unknown (docs/api.md):
# those waiting and half a call, at the configured minutes_per_person
sub wait_for {
    my ($o, $c, $waiting) = @_;
    my ($cd) = grep { $_->{id} eq $c } @{ $def{$o}{counters} };
    return 0 if $waiting == 0;
    my $seconds = int(($waiting + 0.5) * spp($cd) + 0.5);
    return int(($seconds + 59) / 60);
}

sub api_counter {
    my ($o, $c) = @_;
    my ($r, $d) = $t->get_json("/api/v1/offices/$o");
    return ($r, MadoTest::find_counter($d, $o, $c));
}

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

# ------------------------------------------------------------------ list

my ($r, $list) = $t->get_json('/api/v1/offices');
is($r->{status}, 200, 'GET /api/v1/offices: 200') or diag(MadoTest::text($r->{raw}));
is($r->{headers}{'content-type'}, $CT, 'content type');
like($r->{headers}{etag} // '', qr/^"[^"\s]+"$/, 'strong quoted ETag');
is($r->{headers}{'cache-control'}, 'public, max-age=5', 'Cache-Control');
is($r->{headers}{'access-control-allow-origin'}, '*', 'CORS');
my $etag = $r->{headers}{etag};
my $list_body = $r->{body};

is(ref $list, 'HASH', 'list: object');
is_deeply([ sort keys %$list ], [qw(generated_at offices)], 'list: keys offices, generated_at');
my $gen = MadoTest::parse_jst($list->{generated_at});
ok(defined $gen, "generated_at in +09:00 form ($list->{generated_at})");
# to the minute, so that every worker renders the same bytes for the same figures
ok(defined $gen && $gen % 60 == 0 && time - $gen >= 0 && time - $gen <= 65,
    'generated_at is this minute (JST correct)');

is_deeply([ map { $_->{id} } @{ $list->{offices} || [] } ], \@ids,
    '14 offices in file order');

my %in_list;
for my $o (@{ $list->{offices} || [] }) {
    my $id = $o->{id};
    $in_list{$id} = $o;
    my $d = $def{$id} or next;
    is($o->{kind}, $d->{kind}, "$id: kind");
    is($o->{name}{ja}, $d->{name}{ja}, "$id: name.ja");
    is($o->{name}{en}, $d->{name}{en}, "$id: name.en");
    is_deeply($o->{name}, $d->{name}, "$id: name in every language");
    is_deeply($o->{hours}, $d->{hours}, "$id: hours (docs/api.md)");
    is_deeply([ map { $_->{id} } @{ $o->{counters} || [] } ],
        [ map { $_->{id} } @{ $d->{counters} } ], "$id: counters in file order");

    for my $i (0 .. $#{ $d->{counters} }) {
        my $c = $o->{counters}[$i] or next;
        my $cd = $d->{counters}[$i];
        my $n = "$id/$cd->{id}";
        is($c->{name}{ja}, $cd->{name}{ja}, "$n: name.ja");
        is_deeply($c->{name}, $cd->{name}, "$n: name in every language");
        is($c->{status}, 'closed', "$n: new counters are closed");
        for my $k (qw(waiting calling last_issued)) {
            ok(MadoTest::is_json_number($c->{$k}) && $c->{$k} == 0, "$n: $k is number 0");
        }
        ok(exists $c->{wait_minutes} && !defined $c->{wait_minutes}, "$n: wait_minutes null when closed");
        ok(exists $c->{message} && !defined $c->{message}, "$n: message null");
        ok(defined MadoTest::parse_jst($c->{updated_at}), "$n: updated_at +09:00");
        ok(JSON::PP::is_bool($c->{stale}) && !$c->{stale}, "$n: stale false");
    }
}

# one office, all of them
for my $id (@ids) {
    my ($r1, $d1) = $t->get_json("/api/v1/offices/$id");
    is($r1->{status}, 200, "GET /api/v1/offices/$id: 200");
    is($r1->{headers}{'content-type'}, $CT, "$id: content type");
    is_deeply([ sort keys %{ $d1 || {} } ], [qw(generated_at office)], "$id: keys office, generated_at");
    is_deeply($d1->{office}, $in_list{$id}, "$id: same office object as in the list");
}

# query strings do not change the resource
($r) = $t->get_json('/api/v1/offices?t=123');
is($r->{status}, 200, 'a query string is ignored');

# ------------------------------------------------------------------ ETag, 304, HEAD

# generated_at moves at each minute: keep the next few seconds of
# revalidation inside one minute
sleep(61 - time % 60) if time % 60 > 45;

# Unchanged content has one ETag, whichever worker answers and whenever it
# rendered: a client that got the ETag from one worker revalidates at the
# other.  After a write each worker renders anew on its next request; the
# first renders now, the other (at least) a second later.
{
    $t->madoctl_ok(qw(set kita moving --staff 1));
    my $r0 = $t->http('GET', '/api/v1/offices');
    my $e0 = $r0->{headers}{etag} // '';
    sleep 1.1;
    my (%status, %etags);
    for (1 .. 30) {
        my $r1 = $t->http('GET', '/api/v1/offices', { headers => { 'If-None-Match' => $e0 } });
        $status{ $r1->{status} }++;
        $etags{ $r1->{headers}{etag} // 'none' }++;
        sleep 0.02;
    }
    my %by_worker;
    for (split /\n/, do { local (@ARGV, $/) = $t->dir . '/pid.log'; <> } // '') {
        my ($pid, $st, $et, $req) = split / /, $_, 4;
        $by_worker{$pid}{"$st $et"}++ if $req =~ m{^GET /api/v1/offices HTTP};
    }
    my $workers = keys %by_worker;
    is_deeply(\%status, { 304 => 30 },
        "unchanged list: If-None-Match gives 304 at every worker ($workers workers answered)")
        or diag("ETag from the first request: $e0\n"
            . join "\n", map { my $p = $_; map { "worker $p: $_ x $by_worker{$p}{$_}" } sort keys %{ $by_worker{$p} } } sort keys %by_worker);
    ($r) = $t->get_json('/api/v1/offices');
    $etag = $r->{headers}{etag};
    $list_body = $r->{body};
}

$r = $t->http('GET', '/api/v1/offices', { headers => { 'If-None-Match' => $etag } });
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

$r = $t->http('HEAD', '/api/v1/offices/nosuch');
is($r->{status}, 404, 'HEAD unknown office: 404');
is($r->{body} . ($r->{extra} // ''), '', 'HEAD unknown office: no body');

# ------------------------------------------------------------------ errors

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

# ------------------------------------------------------------------ wait_minutes, status, message

$t->madoctl_ok(qw(set kita moving --status open --waiting 7));
my ($rc, $c) = api_counter('kita', 'moving');
is($c->{status}, 'open', 'set --status open shows');
is($c->{waiting}, 7, 'set --waiting 7 shows');
is($c->{wait_minutes}, wait_for('kita', 'moving', 7), 'wait_minutes = ceil(7.5 x 15.8) = ' . wait_for('kita', 'moving', 7));
ok(MadoTest::is_json_number($c->{wait_minutes}), 'wait_minutes is a number');
isnt($rc->{headers}{etag}, $kita_etag, 'office ETag changed after a write');
($r) = $t->get_json('/api/v1/offices');
isnt($r->{headers}{etag}, $etag, 'list ETag changed after a write');
$r = $t->http('GET', '/api/v1/offices', { headers => { 'If-None-Match' => $etag } });
is($r->{status}, 200, 'old ETag no longer gives 304');

for my $case ([ 'kita', 'certificates', 3 ], [ 'fushimi', 'family', 1 ], [ 'rakusai', 'mynumber', 11 ],
              [ 'kita', 'family', 0 ])
{
    my ($o, $cn, $w) = @$case;
    $t->madoctl_ok('set', $o, $cn, '--status', 'open', '--waiting', $w);
    (undef, $c) = api_counter($o, $cn);
    is($c->{wait_minutes}, wait_for($o, $cn, $w), "$o/$cn: $w waiting -> wait_minutes " . wait_for($o, $cn, $w));
}

for my $st (qw(paused closed ended)) {
    $t->madoctl_ok('set', 'kita', 'moving', '--status', $st);
    (undef, $c) = api_counter('kita', 'moving');
    is($c->{status}, $st, "status $st shows");
    ok(exists $c->{wait_minutes} && !defined $c->{wait_minutes}, "$st: wait_minutes null");
    is($c->{waiting}, 7, "$st: waiting kept");
}

my $msg = '本日は大変混み合っております "quoted" \\ back <tag> & </script> 🎌';
$t->madoctl_ok('set', 'kita', 'moving', '--status', 'open', '--message', Encode::encode_utf8($msg));
(undef, $c) = api_counter('kita', 'moving');
is($c->{message}, $msg, 'message with Japanese, quotes, backslash, emoji round-trips');
(undef, $c) = api_counter('kita', 'certificates');
ok(!defined $c->{message}, 'other counters keep message null');

$t->madoctl_ok(qw(set kita moving --calling 12 --last-issued 19));
(undef, $c) = api_counter('kita', 'moving');
is($c->{calling}, 12, '--calling shows');
is($c->{last_issued}, 19, '--last-issued shows');

# ------------------------------------------------------------------ write then read

$t->madoctl_ok(qw(set kita moving --status open --waiting 0 --calling 0 --last-issued 0));
for my $i (1 .. 5) {
    my $n = $t->madoctl_ok(qw(issue kita moving));
    chomp $n;
    like($n, qr/^\d+$/, "issue prints a number ($n)");
    (undef, $c) = api_counter('kita', 'moving');
    is($c->{last_issued}, $n, "issue $i: next GET shows last_issued $n");
    is($c->{waiting}, $i, "issue $i: next GET shows waiting $i");
}
for my $i (1 .. 3) {
    my $n = $t->madoctl_ok(qw(call kita moving));
    chomp $n;
    like($n, qr/^\d+$/, "call prints a number ($n)");
    (undef, $c) = api_counter('kita', 'moving');
    is($c->{calling}, $n, "call $i: next GET shows calling $n");
    my ($r2, $l) = $t->get_json('/api/v1/offices');
    is(MadoTest::find_counter($l, 'kita', 'moving')->{calling}, $n, "call $i: list shows it too");
}

# ------------------------------------------------------------------ stale

my $now = time;
$now = int $now;
$t->madoctl_ok(qw(set kita moving --status open --waiting 2), { env => { MADO_NOW => $now - 3600 } });
(undef, $c) = api_counter('kita', 'moving');
ok(JSON::PP::is_bool($c->{stale}) && $c->{stale}, 'open and updated an hour ago: stale true');
is(MadoTest::parse_jst($c->{updated_at}), $now - 3600, 'updated_at is MADO_NOW');
{
    my (undef, $l) = $t->get_json('/api/v1/offices');
    ok(MadoTest::find_counter($l, 'kita', 'moving')->{stale}, 'stale in the list as well');
}

$t->madoctl_ok(qw(set kita moving --status open --waiting 2));
(undef, $c) = api_counter('kita', 'moving');
ok(JSON::PP::is_bool($c->{stale}) && !$c->{stale}, 'a fresh set: stale false');
ok(abs(MadoTest::parse_jst($c->{updated_at}) - time) <= 5, 'updated_at is now');

$t->madoctl_ok(qw(set kita moving --waiting 3), { env => { MADO_NOW => $now - 14 * 60 } });
(undef, $c) = api_counter('kita', 'moving');
ok(!$c->{stale}, '14 minutes old with stale_after 15m: not stale');

$t->madoctl_ok(qw(set kita moving --waiting 3), { env => { MADO_NOW => $now - 16 * 60 } });
(undef, $c) = api_counter('kita', 'moving');
ok($c->{stale}, '16 minutes old: stale');

for my $st (qw(closed paused ended)) {
    $t->madoctl_ok('set', 'kita', 'family', '--status', $st, { env => { MADO_NOW => $now - 3600 } });
    (undef, $c) = api_counter('kita', 'family');
    ok(JSON::PP::is_bool($c->{stale}) && !$c->{stale}, "$st an hour ago: not stale");
}

# ------------------------------------------------------------------ reload under load

{
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        my ($n, $bad, @first) = (0, 0);
        my $end = time + 3.5;
        while (time < $end) {
            my $r1 = $t->http('GET', ($n % 2 ? '/api/v1/offices/kita' : '/api/v1/offices'));
            $n++;
            if ($r1->{status} != 200) {
                $bad++;
                push @first, "$r1->{status} " . ($r1->{error} // '') . ' ' . substr($r1->{raw}, 0, 200)
                    if @first < 5;
            }
        }
        syswrite($wr, join("\n", $n, $bad, @first) . "\n");
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;

    sleep 0.5;
    my @before = $t->worker_pids;
    ok($t->reload, 'reload 1: workers replaced');
    sleep 0.5;
    ok($t->reload, 'reload 2: workers replaced');
    my @after = $t->worker_pids;
    is(scalar @after, $t->workers, 'as many workers as before');
    ok(!grep({ my $p = $_; grep { $_ == $p } @before } @after), 'all workers new');

    my $out = do { local $/; <$rd> };
    waitpid($pid, 0);
    my ($n, $bad, @first) = split /\n/, $out // '';
    ok(($n // 0) > 20, "requests during the reloads: " . ($n // 0));
    is($bad, 0, 'every request during the reloads got 200') or diag(MadoTest::text(join "\n", @first));

    ($r) = $t->get_json('/api/v1/offices');
    is($r->{status}, 200, 'after reload: 200');
}

$t->stop;

# ------------------------------------------------------------------ no store, then recovery

{
    my $u = MadoTest->new(workers => 1);
    $u->write_config('mado_stale_after 15m;', '', 'mado_max_age 5s;');
    $u->start;

    my $store_re = qr/\[error\].*store/;
    for my $i (1 .. 3) {
        my ($r1, $d) = $u->get_json('/api/v1/offices');
        is($r1->{status}, 503, "no store: request $i -> 503");
        is($d->{error}, 'store_unavailable', "no store: error store_unavailable");
        ok(defined $d->{message} && length $d->{message}, 'no store: message');
        like($r1->{headers}{'content-type'} // '', qr{^application/json}, 'no store: JSON');
        like($r1->{headers}{'retry-after'} // '', qr/^\d+$/, 'no store: Retry-After (docs/api.md)');
    }
    my ($r2, $d2) = $u->get_json('/api/v1/offices/kita');
    is($r2->{status}, 503, 'no store: one office -> 503');
    sleep 1.2;      # past the once-a-second re-check
    for my $i (1 .. 3) {
        my ($r1) = $u->get_json('/api/v1/offices');
        is($r1->{status}, 503, "no store, a second later: request $i -> 503");
    }
    is($u->error_log_lines($store_re), 1, 'exactly one [error] line about the store')
        or diag(MadoTest::text(join "\n", grep { /\[error\]/ } split /\n/, $u->error_log));

    $u->madoctl_ok('init');
    $u->madoctl_ok('load', MadoTest::offices_json());
    my $t0 = time;
    my $st = 0;
    while (time - $t0 < 2.5) {
        $st = $u->http('GET', '/api/v1/offices')->{status};
        last if $st == 200;
        sleep 0.05;
    }
    is($st, 200, sprintf('200 after init+load, without a restart (%.2f s)', time - $t0));
    ok(time - $t0 <= 1.6, 'recovered within ~1.5 s');
    my @st = map { $u->http('GET', $_ % 2 ? '/api/v1/offices' : '/api/v1/offices/kita')->{status} } 1 .. 10;
    is_deeply(\@st, [ (200) x 10 ], 'then every request is 200');
    is($u->error_log_lines($store_re), 1, 'no further [error] lines about the store');

    $u->stop;
}

done_testing;
