#!/usr/bin/perl

# The access log as shipped, end to end: the staged production
# configuration (MadoTest->secure) writes log_format mado_json to
# logs/mado/access.log; the shipped logrotate file (paths rewritten) rotates
# it with the real logrotate, compresses it and runs "madoctl logs seal";
# "logs verify" with the verification key passes, then names each kind of
# tampering (modified, truncated, deleted, renamed, inserted, reordered,
# removed, forged) with exit status 1, each on a fresh copy.  A key stolen
# after the seal cannot forge an older entry.  search finds what was
# requested, no query string is logged.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(hmac_sha256 hmac_sha256_hex sha256_hex);
use File::Copy qw(copy);
use JSON::PP;
use POSIX qw(strftime);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

for my $tool (qw(logrotate gzip)) {
    next if grep { -x "$_/$tool" } split /:/, "$ENV{PATH}:/usr/sbin";
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}
plan skip_all => 'no IO::Socket::SSL (libio-socket-ssl-perl)'
    unless eval { require IO::Socket::SSL; 1 };

my $t = MadoTest->new;
$t->secure;
my $d = $t->dir;
my $logs = "$d/logs/mado";
my $state = "$d/seal";
my %env = (MADO_LOG_DIR => $logs, MADO_LOG_STATE => $state);

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->start;

sub logs { my @a = @_; my $o = ref $a[-1] eq 'HASH' ? pop @a : {};
           return $t->madoctl('logs', @a, { %$o, env => { %env, %{ $o->{env} || {} } } }) }

# ------------------------------------------------------------ the format

my @sent = (
    [ '/kita?lang=en&name=Taro+Yamada', { Referer => 'https://www.google.com/search?q=my+address' } ],
    [ '/api/v1/offices/kita?date=2026-01-05' ],
    [ '/kita/signage?lang=ko' ],
    [ '/embed/kita?lang=zh-hant' ],
    [ '/kita?lang=<script>' ],
);
for my $s (@sent) {
    my $r = $t->get($s->[0], { headers => { 'User-Agent' => "mado-test \"quoted\" \x{1}", %{ $s->[1] || {} } } });
    ok($r->{status}, "GET $s->[0]: $r->{status}");
}

ok($t->wait_for(sub { my @l = split /\n/, MadoTest::_read_file("$logs/access.log"); @l >= @sent }),
   'the requests are in logs/mado/access.log');
my @lines = split /\n/, MadoTest::_read_file("$logs/access.log");
is(scalar @lines, scalar @sent, 'one line a request, in mado\'s log only');
is(MadoTest::_read_file("$d/logs/access.log"), '', 'nothing in nginx.conf\'s access.log: the site\'s access_log replaces it');

my @rec = map { decode_json($_) } @lines;
is_deeply([ sort keys %{ $rec[0] } ],
          [ sort qw(time addr method path status bytes rt ref ua lang host proto tls id) ],
          'the documented fields, and only those');
like($rec[0]{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, 'time: ISO 8601 with offset');
is($rec[0]{path}, '/kita', 'path without the query');
is($rec[0]{lang}, 'en', 'lang kept');
is($rec[0]{ref}, 'https://www.google.com/search', 'referer without its query');
is($rec[0]{ua}, "mado-test \"quoted\" \x{1}", 'the User-Agent, escaped as JSON');
is($rec[0]{tls}, 'TLSv1.3', 'tls');
like($rec[0]{id}, qr/^[0-9a-f]{32}$/, 'id: the request id');
ok(JSON::PP::is_bool($rec[0]{status}) || $rec[0]{status} =~ /^\d{3}$/, 'status a number');
is($rec[4]{lang}, '?', 'a lang that is none of mado\'s: "?"');
unlike(join("\n", @lines), qr/Taro|Yamada|my\+address|name=|date=2026|<script>/,
       'no query string anywhere in the log');

# ------------------------------------------------------------ rotate, seal

my $r = logs('init');
is($r->{exit}, 0, 'logs init') or diag($r->{err});
like($r->{out}, qr/fingerprint [0-9a-f]{4}(?::[0-9a-f]{4}){4}/, 'init prints the key\'s fingerprint');
ok(-s "$state/verify.key", 'the verification key');
is((stat "$state/seal.key")[2] & 0777, 0600, 'seal.key 0600');
is((stat "$state/verify.key")[2] & 0777, 0400, 'verify.key 0400');
is(logs('init')->{exit}, 1, 'a second init is refused');

# Two earlier days first, rotated by hand from the same real lines (one
# logrotate run makes one dated file a day), each sealed
my @days = map { strftime('%Y%m%d', localtime(time - $_ * 86400)) } 3, 2;
my $yesterday = strftime('%Y%m%d', localtime(time - 86400));
for my $day (@days) {
    system("gzip -c '$logs/access.log' > '$logs/access.log-$day.gz'") == 0 or die "gzip";
    $r = logs('seal');
    is($r->{exit}, 0, "seal of $day") or diag($r->{err});
    like($r->{out}, qr/sealed access\.log-$day\.gz/, "$day sealed");
}

# the shipped logrotate file, with only the paths rewritten
my $conf = MadoTest::_read_file(MadoTest::repo() . '/conf.example/logrotate/mado');
like($conf, qr/^\s*rotate 400$/m, 'logrotate: 400 days');
like($conf, qr/^\s*daily$/m, 'logrotate: daily');
like($conf, qr/^\s*compress$/m, 'logrotate: compressed');
unlike($conf, qr/delaycompress/, 'logrotate: not delayed (the .gz is what is sealed)');
my $madoctl = MadoTest::madoctl_bin();
$conf =~ s#/var/log/nginx/mado#$logs#g;
$conf =~ s#/run/nginx\.pid#$d/nginx.pid#g;
$conf =~ s#/usr/bin/madoctl logs seal#MADO_LOG_DIR=$logs MADO_LOG_STATE=$state $madoctl logs seal#;
MadoTest::write_file("$d/logrotate.conf", $conf);
my $out = `logrotate -f -s '$d/logrotate.state' '$d/logrotate.conf' 2>&1`;
is($?, 0, 'logrotate -f with the shipped file') or diag($out);
ok(-s "$logs/access.log-$yesterday.gz", "rotated to access.log-$yesterday.gz");
ok(!-e "$logs/access.log-$yesterday", 'and compressed');
ok(-e "$logs/access.log", 'a new access.log');
is((stat "$logs/access.log")[2] & 0777, 0640, 'created 0640');
is(scalar getgrgid((stat "$logs/access.log")[5]), 'adm', 'group adm');

# nginx writes to the new file (it reopened its logs)
$t->get('/kita?lang=ja');
ok($t->wait_for(sub { -s "$logs/access.log" }), 'nginx logs into the new access.log after the rotation');
my $chain = MadoTest::_read_file("$state/chain");
like($chain, qr/ access\.log-$yesterday\.gz /, 'logrotate\'s lastaction sealed the new archive');
my @entries = grep { !/^#/ } split /\n/, $chain;
is(scalar @entries, 3, 'three entries');

# the key moved on: K(i+1) = HMAC(K(i), label), from K(0) in verify.key
my ($k0) = MadoTest::_read_file("$state/verify.key") =~ /^mado-log-verify-key v1 ([0-9a-f]{64})$/m;
my ($ep, $kk) = MadoTest::_read_file("$state/seal.key") =~ /^mado-log-seal-key v1 (\d{10}) ([0-9a-f]{64})$/;
is($ep + 0, 4, 'seal key at epoch 4 after three entries');
my $k = pack 'H*', $k0;
$k = hmac_sha256('mado log seal evolve v1', $k) for 1 .. $ep;
is(unpack('H*', $k), $kk, 'seal.key is K(4) of the verification key (independent derivation)');
{
    my @f = split / /, $entries[0];
    my $k1 = hmac_sha256('mado log seal evolve v1', pack 'H*', $k0);
    is(hmac_sha256_hex("mado log chain v1\n" . join(' ', @f[0 .. 6]), $k1), $f[7],
       'entry 1\'s MAC is HMAC(K(1), label || entry) (independent)');
    is($f[5], sha256_hex(MadoTest::_read_file("$logs/$f[3]")), 'entry 1\'s SHA-256 is its file\'s');
}

# ------------------------------------------------------------ verify

sub verify {
    my ($l, $s, @more) = @_;
    return $t->madoctl('logs', 'verify', '--key', "$state/verify.key", '--log-dir', $l,
                       '--state', $s, @more, { env => \%env });
}

$r = verify($logs, $state);
is($r->{exit}, 0, 'verify: all is well') or diag("$r->{out}$r->{err}");
like($r->{out}, qr/^ok: 3 archives verified/m, 'three archives verified');
is(logs('verify')->{exit}, 2, 'verify without --key: usage error');

my $case = 0;
sub tamper {
    my ($name, $do, $want) = @_;
    $case++;
    my ($l, $s) = ("$d/case$case/logs", "$d/case$case/state");
    system('mkdir', '-p', "$d/case$case") == 0 or die;
    system('cp', '-a', $logs, $l) == 0 or die;
    system('cp', '-a', $state, $s) == 0 or die;
    $do->($l, $s);
    my $r = verify($l, $s);
    is($r->{exit}, 1, "$name: exit status 1");
    like($r->{out}, $want, "$name: named") or diag($r->{out});
    return $r;
}

my ($a1, $a2, $a3) = map { (split / /)[3] } @entries;

tamper('modified', sub {
    my ($l) = @_;
    my $gz = `gzip -dc '$l/$a2'`;
    $gz =~ s/127\.0\.0\.1/127.0.0.9/;
    open my $p, '|-', "gzip -c > '$l/$a2.new'" or die; print {$p} $gz; close $p;
    rename "$l/$a2.new", "$l/$a2" or die;
}, qr/^modified: \Q$a2\E /m);

tamper('one byte changed, same size', sub {
    my ($l) = @_;
    open my $f, '+<', "$l/$a1" or die; binmode $f; seek $f, 20, 0; read $f, my $b, 1;
    seek $f, 20, 0; print {$f} chr(ord($b) ^ 1); close $f;
}, qr/^modified: \Q$a1\E /m);

tamper('truncated', sub { truncate "$_[0]/$a3", 10 or die }, qr/^truncated: \Q$a3\E is 10 bytes/m);
tamper('deleted', sub { unlink "$_[0]/$a2" or die }, qr/^deleted: \Q$a2\E /m);
tamper('renamed', sub {
    my $to = 'access.log-' . strftime('%Y%m%d', localtime(time - 10 * 86400)) . '.gz';
    rename "$_[0]/$a2", "$_[0]/$to" or die;
}, qr/^renamed: \Q$a2\E \(entry 2\) is now access\.log-\d{8}\.gz$/m);
tamper('inserted', sub { copy("$_[0]/$a1", "$_[0]/access.log-20000101.gz") or die },
       qr/^inserted: access\.log-20000101\.gz is in no chain entry/m);
tamper('reordered', sub {
    my ($l, $s) = @_;
    my @c = split /\n/, MadoTest::_read_file("$s/chain");
    @c[2, 3] = @c[3, 2];
    MadoTest::write_file("$s/chain", join("\n", @c) . "\n");
}, qr/^reordered: chain line \d+ holds entry 2 /m);
tamper('an entry removed from the middle', sub {
    my ($l, $s) = @_;
    my @c = split /\n/, MadoTest::_read_file("$s/chain");
    splice @c, 2, 1;
    MadoTest::write_file("$s/chain", join("\n", @c) . "\n");
    unlink "$l/$a2";
}, qr/^removed: chain entries 2 to 2 are missing/m);
tamper('the last day removed, file and entry', sub {
    my ($l, $s) = @_;
    my @c = split /\n/, MadoTest::_read_file("$s/chain");
    pop @c;
    MadoTest::write_file("$s/chain", join("\n", @c) . "\n");
    unlink "$l/$a3";
}, qr/^removed: the chain ends at epoch 2, \Q$a2\E but the seal key is at epoch 4/m);
tamper('an entry altered (its size)', sub {
    my ($l, $s) = @_;
    my $c = MadoTest::_read_file("$s/chain");
    $c =~ s/^(2 2 \S+ \S+ )(\d+)/$1 . ($2 + 1)/me;
    MadoTest::write_file("$s/chain", $c);
}, qr/^forged: chain line \d+ \(\Q$a2\E, entry 2\)/m);

# the intruder steals today's seal key and re-seals a changed day with it
tamper('a past entry re-sealed with the stolen current key', sub {
    my ($l, $s) = @_;
    truncate "$l/$a2", 50 or die;
    my ($e, $kh) = MadoTest::_read_file("$s/seal.key") =~ /v1 (\d+) ([0-9a-f]{64})/;
    my @c = split /\n/, MadoTest::_read_file("$s/chain");
    for (@c) {
        next unless /^2 /;
        my @f = split / /;
        $f[4] = 50;
        $f[5] = sha256_hex(MadoTest::_read_file("$l/$a2"));
        $f[7] = hmac_sha256_hex("mado log chain v1\n" . join(' ', @f[0 .. 6]), pack 'H*', $kh);
        $_ = join ' ', @f;
    }
    MadoTest::write_file("$s/chain", join("\n", @c) . "\n");
}, qr/^forged: chain line \d+ \(\Q$a2\E, entry 2\)/m);

tamper('a damaged chain line', sub {
    my ($l, $s) = @_;
    open my $f, '>>', "$s/chain" or die; print {$f} "garbage here\n"; close $f;
}, qr/^damaged: chain line \d+ is not an entry/m);

tamper('the seal key replaced', sub {
    my ($l, $s) = @_;
    my $c = MadoTest::_read_file("$s/seal.key");
    $c =~ s/v1 (\d+) ([0-9a-f])/"v1 $1 " . ($2 eq 'a' ? 'b' : 'a')/e;
    MadoTest::write_file("$s/seal.key", $c);
    chmod 0600, "$s/seal.key";
}, qr/^forged: the seal key .* is not the key of epoch 4/m);

{
    MadoTest::write_file("$d/other.key", "mado-log-verify-key v1 " . ('ab' x 32) . "\n");
    my $r = $t->madoctl('logs', 'verify', '--key', "$d/other.key", { env => \%env });
    is($r->{exit}, 1, 'another verification key: exit 1');
    like($r->{out}, qr/^forged: no chain entry verifies under this key/m, 'named: the wrong key or a made-up chain');
}

# the untouched logs still verify; a range checks only its archives
$r = verify($logs, $state, '--from', substr($yesterday, 0, 4) . '-' . substr($yesterday, 4, 2) . '-' . substr($yesterday, 6));
is($r->{exit}, 0, 'verify --from yesterday') or diag($r->{out});
like($r->{out}, qr/^ok: 1 archive verified/m, 'one archive in the range');

# expired by retention: older than --keep days is not a finding
{
    my ($l, $s) = ("$d/expired/logs", "$d/expired/state");
    system('mkdir', '-p', "$d/expired"); system('cp', '-a', $logs, $l); system('cp', '-a', $state, $s);
    unlink "$l/$a1";
    my $r = verify($l, $s, '--keep', 1);
    is($r->{exit}, 0, 'an archive older than --keep days gone: not a finding') or diag($r->{out});
    like($r->{out}, qr/, 1 expired;/, 'counted as expired');
}

# nothing new: the key stays
$r = logs('seal');
is($r->{exit}, 0, 'seal with nothing new');
like($r->{out}, qr/nothing to seal/, 'says so');
like(MadoTest::_read_file("$state/seal.key"), qr/v1 0000000004 /, 'the key did not move');

# ------------------------------------------------------------ search

$r = logs('search', '--path', '/kita', '--count');
is($r->{exit}, 0, 'search --path /kita');
# /kita twice in the first log (the two days rotated by hand hold the same
# lines, the third is logrotate's), once after the rotation
is($r->{out}, "7\n", 'search: 2 a day in three archives, 1 in the current log') or diag($r->{err});
$r = logs('search', '--office', 'kita', '--status', '4xx', '--json');
my @found = map { decode_json($_) } split /\n/, $r->{out};
ok(@found && !grep({ $_->{status} !~ /^4/ } @found), 'search --status 4xx --json: only 4xx, as JSON objects');

$t->stop;
$t->check_logs;

done_testing;
