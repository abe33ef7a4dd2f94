#!/usr/bin/perl

# madoctl check, the Nagios/Icinga plugin: each condition (feed stale while
# open, a stalled counter, a wait over the office's limit, the store, a TLS
# certificate's expiry, a disk's free space) gives its exit status (0 OK,
# 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and its status line with performance
# data, and the near miss of each does not.  The clock is MADO_NOW: a
# Tuesday morning, when Kyoto's ward offices are open.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$t->madoctl_ok(qw(init --test-store));

# ------------------------------------------------------------ no offices

my $r = check();
is($r->{exit}, 2, 'a store without offices: CRITICAL');
like($r->{out}, qr/^MADO CRITICAL - the store holds no offices/, 'and says so');

$t->madoctl_ok('load', MadoTest::offices_json());

# 2026-11-24 is a Tuesday (not a holiday); kita opens 08:45-17:30
my $T0 = 1795482000;        # 2026-11-24T10:00:00+09:00
my $min = 60;
my @kita = qw(moving certificates family mynumber);

# every counter of kita fresh at $t0: open, nobody waiting
sub fresh {
    my ($t0) = @_;
    $t->madoctl_ok('set', 'kita', $_, qw(--status open --waiting 0 --staff 1), at($t0)) for @kita;
}

# ------------------------------------------------------------ all well

fresh($T0);
$r = check('--office', 'kita', at($T0 + 5 * $min));
is($r->{exit}, 0, 'all fresh: OK') or diag($r->{out});
like($r->{out}, qr/^MADO OK - 1 office, 4 counters: 0 stale, 0 stalled, 0 long waits \| /,
     'the status line');
like($r->{out}, qr/\| stale=0;1;3;0;4 stalled=0;1;3;0;4 long_wait=0;1;3;0;4 waiting=0 wait_max=0s$/m,
     'performance data: counts with their warning and critical limits');
is(scalar(split /\n/, $r->{out}), 1, 'nothing wrong: one line');

# ------------------------------------------------------------ stale

fresh($T0);
$r = check('--office', 'kita', at($T0 + 14 * $min));
is($r->{exit}, 0, 'figures 14 minutes old: not stale yet (15)');
$r = check('--office', 'kita', at($T0 + 16 * $min));
is($r->{exit}, 2, 'all four 16 minutes old: 4 stale >= 3, CRITICAL');
like($r->{out}, qr/^MADO CRITICAL - 1 office, 4 counters: 4 stale, 0 stalled, 0 long waits \(kita\/moving stale, kita\/certificates stale, kita\/family stale, \.\.\.\)/,
     'the status line names the first three');
like($r->{out}, qr/^kita\/mynumber: stale, no update for 16 min$/m, 'each on a line of its own');
like($r->{out}, qr/ stale=4;1;3;0;4 /, 'stale=4 in the performance data');

# one stale of four: WARNING; --stale moves the limit
$t->madoctl_ok('set', 'kita', $_, qw(--waiting 0), at($T0 + 10 * $min)) for qw(certificates family mynumber);
$r = check('--office', 'kita', at($T0 + 16 * $min));
is($r->{exit}, 1, 'one stale counter: WARNING');
like($r->{out}, qr/^MADO WARNING - .*: 1 stale, 0 stalled.*\(kita\/moving stale\)/, 'naming it');
$r = check('--office', 'kita', '--stale', 20, at($T0 + 16 * $min));
is($r->{exit}, 0, '--stale 20: 16 minutes is not stale');
$r = check('--office', 'kita', '-w', 2, '-c', 5, at($T0 + 16 * $min));
is($r->{exit}, 0, '-w 2: one stale counter is OK');
like($r->{out}, qr/ stale=1;2;5;0;4 /, 'the limits given in the performance data');

# a closed counter is never stale (the feed is quiet after hours)
$r = check('--office', 'kita', at($T0 + 8 * 60 * $min));
is($r->{exit}, 0, '18:00, closed: OK') or diag($r->{out});

# ------------------------------------------------------------ stalled

# a call at 10:00 with 5 left waiting; tickets issued since keep the
# figures fresh, but nobody is called
fresh($T0);
$t->madoctl_ok(qw(set kita moving --waiting 6), at($T0));
$t->madoctl_ok(qw(call kita moving), at($T0));
$t->madoctl_ok(qw(issue kita moving), at($T0 + 25 * $min));
fresh_others($T0 + 25 * $min);
$r = check('--office', 'kita', '--wait', 600, at($T0 + 29 * $min));
is($r->{exit}, 0, '29 minutes without a call: not stalled yet (30)') or diag($r->{out});
$t->madoctl_ok(qw(issue kita moving), at($T0 + 30 * $min));
fresh_others($T0 + 30 * $min);
$r = check('--office', 'kita', '--wait', 600, at($T0 + 32 * $min));
is($r->{exit}, 1, '32 minutes without a call while 7 wait: WARNING') or diag($r->{out});
like($r->{out}, qr/^MADO WARNING - 1 office, 4 counters: 0 stale, 1 stalled, 0 long waits \(kita\/moving stalled\)/,
     'the status line');
like($r->{out}, qr/^kita\/moving: stalled, 7 waiting and nobody called for 32 min$/m, 'the detail');
$r = check('--office', 'kita', '--wait', 600, '--stalled', 40, at($T0 + 32 * $min));
is($r->{exit}, 0, '--stalled 40: not yet');

# nobody waiting: not stalled however long since the call
fresh($T0 + 30 * $min);
$r = check('--office', 'kita', at($T0 + 32 * $min));
is($r->{exit}, 0, 'nobody waiting: not stalled');

# the opening counts as the last move: people waiting from before 08:45
# (the next day: yesterday's calls are forgotten)
my $open = $T0 + 86400 - 75 * $min;   # Wednesday 08:45
$t->madoctl_ok(qw(set kita moving --waiting 3 --staff 1), at($open - 20 * $min));
$t->madoctl_ok('set', 'kita', $_, qw(--waiting 0), at($open + 25 * $min)) for @kita[1 .. 3];
$t->madoctl_ok(qw(issue kita moving), at($open + 25 * $min));
$r = check('--office', 'kita', '--wait', 600, at($open + 29 * $min));
is($r->{exit}, 0, 'waiting since before the opening, 29 minutes after it: not stalled');
$r = check('--office', 'kita', '--wait', 600, at($open + 31 * $min));
is($r->{exit}, 1, '31 minutes after the opening without a call: stalled') or diag($r->{out});

# ------------------------------------------------------------ long wait

# moving: 15.8 minutes a person, one member of staff; on Thursday
# (--stalled 600: waiting since the opening is not the point here)
my $T2 = $T0 + 2 * 86400;
fresh($T2);
$t->madoctl_ok(qw(set kita moving --waiting 3), at($T2));
$r = check('--office', 'kita', '--stalled', 600, at($T2 + 1 * $min));
is($r->{exit}, 0, 'three waiting, about 47 minutes: under the hour') or diag($r->{out});
like($r->{out}, qr/ waiting=3 wait_max=(\d+)s$/m, 'the longest wait in the performance data');
my ($w3) = $r->{out} =~ / wait_max=(\d+)s/;
ok($w3 > 30 * $min && $w3 < 60 * $min, "wait_max $w3 s");
$t->madoctl_ok(qw(set kita moving --waiting 5), at($T2));
$r = check('--office', 'kita', '--stalled', 600, at($T2 + 1 * $min));
is($r->{exit}, 1, 'five waiting, over an hour: WARNING') or diag($r->{out});
like($r->{out}, qr/: 0 stale, 0 stalled, 1 long wait \(kita\/moving long wait\)/, 'a long wait');
like($r->{out}, qr/^kita\/moving: long wait, \d+ min \(limit 60\)$/m, 'with the limit');
$r = check('--office', 'kita', '--stalled', 600, '--wait', 120, at($T2 + 1 * $min));
is($r->{exit}, 0, '--wait 120: not long');

# the office's own limit (offices.json "alert_wait_minutes") comes first
my $json = JSON::PP->new->utf8->canonical;
my $doc = do { local (@ARGV, $/) = (MadoTest::offices_json()); $json->decode(<>) };
$_->{id} eq 'kita' and $_->{alert_wait_minutes} = 30 for @{ $doc->{offices} };
my $file = $t->dir . '/offices-limit.json';
open my $fh, '>', $file or die "$file: $!";
print {$fh} $json->encode($doc);
close $fh;
$t->madoctl_ok('load', $file);
$t->madoctl_ok(qw(set kita moving --waiting 3), at($T2));
$r = check('--office', 'kita', '--stalled', 600, '--wait', 120, at($T2 + 1 * $min));
is($r->{exit}, 1, 'kita says 30 minutes: three waiting is a long wait, --wait or not') or diag($r->{out});
like($r->{out}, qr/^kita\/moving: long wait, \d+ min \(limit 30\)$/m, 'its limit said');

$doc->{offices}[0]{alert_wait_minutes} = 0;
open $fh, '>', $file or die "$file: $!";
print {$fh} $json->encode($doc);
close $fh;
$r = $t->madoctl('load', $file);
is($r->{exit}, 1, 'alert_wait_minutes 0: refused by load');
like(MadoTest::text($r->{err}), qr/alert_wait_minutes.*1\.\.1440/, 'naming the field');

# ------------------------------------------------------------ TLS, disk

# kita closed by hand: only the certificate and the disk speak
$t->madoctl_ok('set', 'kita', $_, qw(--status closed)) for @kita;

SKIP: {
    my $openssl = '/usr/bin/openssl';
    skip 'no openssl', 8 unless -x $openssl;
    my %cert;
    for my $days (60, 10, 3) {
        my $c = $t->dir . "/cert-$days.pem";
        system("$openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
               . $t->dir . "/key-$days.pem -out $c -days $days -subj /CN=mado.example"
               . " > /dev/null 2>&1") == 0 or die "openssl req failed";
        $cert{$days} = $c;
    }
    $r = check('--office', 'kita', '--tls-cert', $cert{60});
    is($r->{exit}, 0, 'a certificate good for 60 days: OK') or diag($r->{out});
    like($r->{out}, qr/; TLS certificate expires in (59|60) days \| .* tls_days=(59|60);21:;7:$/m,
         'its days left, in the line and the performance data');
    $r = check('--office', 'kita', '--tls-cert', $cert{10});
    is($r->{exit}, 1, '10 days left: WARNING (under 21)');
    $r = check('--office', 'kita', '--tls-cert', $cert{3});
    is($r->{exit}, 2, '3 days left: CRITICAL (under 7)');
    $r = check('--office', 'kita', '--tls-cert', $cert{10}, '--tls-warning', 5, '--tls-critical', 2);
    is($r->{exit}, 0, '--tls-warning 5: 10 days is OK');
    # a Sunday years ahead, kita closed anyway: expired
    $r = check('--office', 'kita', '--tls-cert', $cert{60}, at(1893888000));   # 2030-01-06
    is($r->{exit}, 2, 'past notAfter: CRITICAL');
    like($r->{out}, qr/; TLS certificate expired \|/, 'expired');
    $r = check('--office', 'kita', '--tls-cert', $t->dir . '/no-such.pem');
    is($r->{exit}, 3, 'a certificate that cannot be read: UNKNOWN');
}

$r = check('--office', 'kita', '--disk', $t->dir, '--disk-warning', 0, '--disk-critical', 0);
is($r->{exit}, 0, 'disk: limits 0 %: OK') or diag($r->{out});
like($r->{out}, qr/; disk \S+ \d+% free \| .* disk_free=[\d.]+%;0:;0:$/m, 'its free space');
$r = check('--office', 'kita', '--disk', $t->dir, '--disk-warning', 100, '--disk-critical', 0);
is($r->{exit}, 1, 'disk: under the warning limit: WARNING');
$r = check('--office', 'kita', '--disk', $t->dir, '--disk-warning', 100, '--disk-critical', 100);
is($r->{exit}, 2, 'disk: under the critical limit: CRITICAL');
$r = check('--office', 'kita', '--disk', $t->dir . '/no/such/dir');
is($r->{exit}, 3, 'a path that cannot be read: UNKNOWN');

# ------------------------------------------------------------ feeds refusing lines

# said on a line of its own for a day after the last, never a status: the
# feed goes on, and the counters' conditions say when the figures suffer
$t->madoctl_ok('set', 'kamigyo', $_, qw(--status open --waiting 0 --staff 1), at($T0)) for @kita;
my $feedfile = $t->dir . '/kamigyo.csv';
open $fh, '>', $feedfile or die "$feedfile: $!";
print {$fh} "20261124,10:00:00,0,11,1\n20261124,10:00:05,0,99,2\nnot a line\n";
close $fh;
$r = $t->madoctl(qw(feed --office kamigyo --format voicecall), $feedfile, at($T0));
like($r->{out}, qr/3 lines: 1 applied, 0 already known, 0 of an earlier day, 2 bad/, 'a feed with two bad lines');
$r = check('--office', 'kamigyo', at($T0 + 5 * $min));
is($r->{exit}, 0, 'a feed refusing lines: still OK') or diag($r->{out});
like($r->{out}, qr/^kamigyo: feed log \(madoctl feed\) refused lines, 2 in all, the last 5 min ago: journalctl -u mado-feed\@kamigyo$/m,
     'said on a line of its own');
like($r->{out}, qr/ feed_bad_lines=2c$/m, 'its count in the performance data');
$r = check('--office', 'kamigyo', '--stale', 1440, at($T0 + 24 * 60 * $min + 60));
like($r->{out}, qr/^MADO (OK|WARNING|CRITICAL) - 1 office/, 'a day later: checked') or diag($r->{out});
unlike($r->{out}, qr/refused lines/, 'a day after the last bad line: no longer said');
like($r->{out}, qr/ feed_bad_lines=2c$/m, 'the count stays');
$r = check('--office', 'kita', at($T0 + 5 * $min));
unlike($r->{out}, qr/feed_bad_lines/, 'an office without a feed: no feed count');

# ------------------------------------------------------------ all offices, UNKNOWN

# a Sunday: every office closed, nothing to say
$r = check(at(1795309200));           # 2026-11-22T12:00:00+09:00
is($r->{exit}, 0, 'all offices on a Sunday: OK') or diag($r->{out});
like($r->{out}, qr/^MADO OK - 14 offices, \d+ counters: 0 stale/, '14 offices');

$r = check('--office', 'nowhere');
is($r->{exit}, 3, 'an unknown office: UNKNOWN');
like($r->{out}, qr/^MADO UNKNOWN - --office: no office "nowhere"/, 'said on stdout');
$r = check('--warning', 'x');
is($r->{exit}, 3, 'a bad --warning: UNKNOWN');
like($r->{out}, qr/^MADO UNKNOWN - --warning: must be a whole number/, 'naming the option');
$r = check('--warning', 5, '--critical', 2);
is($r->{exit}, 3, '--critical milder than --warning: UNKNOWN');
$r = check('--no-such-option');
is($r->{exit}, 3, 'an unknown option: UNKNOWN, not madoctl\'s 2');
like(MadoTest::text($r->{err}), qr/unknown option --no-such-option/, 'said on stderr');
$r = check({ env => { MADO_NOW => 'yesterday' } });
is($r->{exit}, 3, 'an invalid MADO_NOW: UNKNOWN');
$r = $t->madoctl('--store', $t->dir . '/no-store', 'check', { nostore => 1 });
is($r->{exit}, 3, 'no store: UNKNOWN');
like($r->{out}, qr/^MADO UNKNOWN - store: .*no-store/, 'naming it');
$r = $t->madoctl(qw(check --help));
is($r->{exit}, 0, '--help: 0');
like($r->{out}, qr/usage: madoctl .*check.*Exit status.*3  UNKNOWN/s, 'the usage with the exit statuses');

$t->check_logs;

done_testing;


sub at { return { env => { MADO_NOW => $_[0] } } }

sub check {
    my @args = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    return $t->madoctl('check', @args, $opt);
}

# kita's counters but moving, fresh and empty
sub fresh_others {
    my ($at) = @_;
    $t->madoctl_ok('set', 'kita', $_, qw(--waiting 0), at($at)) for @kita[1 .. 3];
}
