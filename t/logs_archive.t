#!/usr/bin/perl

# madoctl logs archive / unarchive / verify --archive: sealed archives of
# some days, AES-256-GCM under a key derived from the audit key, opened
# back byte for byte; refused and named: another audit key, a changed,
# cut or added byte, a log altered before archiving, an existing file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $d = $t->dir;
my $logs = "$d/logs";
my %env = (MADO_LOG_DIR => $logs, MADO_LOG_STATE => "$d/state");
system($^X, MadoTest::repo() . '/bench/gen-access-logs.pl', $logs, '2026-05-01', 5, 300, 3) == 0
    or BAIL_OUT('gen-access-logs.pl failed');
$t->madoctl_ok(qw(init --test-store));

sub logs { my @a = @_; my $o = ref $a[-1] eq 'HASH' ? pop @a : {};
           $t->madoctl('logs', @a, { %$o, env => { %env, %{ $o->{env} || {} } } }) }

is(logs('init')->{exit}, 0, 'logs init');
is(logs('seal')->{exit}, 0, 'five days sealed');

my $file = "$d/may.mla";
my $r = logs('archive', '--from', '2026-05-02', '--to', '2026-05-04', $file);
is($r->{exit}, 0, 'archive of three days') or diag($r->{err});
like($r->{out}, qr/3 archives/, 'three archives');
is((stat $file)[2] & 0777, 0600, 'mode 0600');
my $raw = MadoTest::_read_file($file);
unlike($raw, qr/access\.log-2026|mado\.example|Mozilla/, 'nothing readable in it');
is(substr($raw, 0, 8), 'MADOLOGA', 'its header');

is(logs('archive', '--from', '2026-05-02', '--to', '2026-05-04', $file)->{exit}, 1, 'an existing FILE is not overwritten');
is(logs('archive', '--from', '2027-01-01', '--to', '2027-01-02', "$d/none.mla")->{exit}, 1, 'no archive in those days: refused');
is(logs('archive', '--to', '2026-05-04', "$d/x.mla")->{exit}, 2, 'without --from: usage error');

$r = logs('verify', '--archive', $file, '--key', "$d/state/verify.key");
is($r->{exit}, 0, 'verify --archive with the verification key') or diag("$r->{out}$r->{err}");
like($r->{out}, qr/^ok: .* 3 logs match their chain entries, whose MACs and links verify/m, 'says what it checked');

$r = logs('unarchive', $file, "$d/out", '--key', "$d/state/verify.key");
is($r->{exit}, 0, 'unarchive') or diag("$r->{out}$r->{err}");
for my $day (qw(20260502 20260503 20260504)) {
    is(MadoTest::_read_file("$d/out/access.log-$day.gz"), MadoTest::_read_file("$logs/access.log-$day.gz"),
       "access.log-$day.gz byte for byte");
}
ok(!-e "$d/out/access.log-20260501.gz", 'not the days outside');
is(scalar(() = MadoTest::_read_file("$d/out/chain") =~ /\n/g), 3, 'the three chain entries');
is(logs('unarchive', $file, "$d/out")->{exit}, 1, 'unarchive over existing files: refused');

# the unarchived logs are searched like the live ones
my $n1 = logs('search', '--from', '2026-05-03', '--to', '2026-05-03', '--count')->{out};
my $n2 = logs('search', '--from', '2026-05-03', '--to', '2026-05-03', '--count', '--log-dir', "$d/out")->{out};
is($n2, $n1, "search in the unarchived copy: the same $n1");

# another audit key
my $other = "$d/other.key";
MadoTest::write_file($other, ('5a' x 32) . "\n");
chmod 0600, $other;
$r = $t->madoctl('--audit-key', $other, 'logs', 'unarchive', $file, "$d/out2", { env => \%env });
is($r->{exit}, 1, 'another audit key: refused');
like($r->{err}, qr/sealed under another key/, 'named: another key');
ok(!-e "$d/out2/chain", 'nothing written');

# damaged: a changed byte, cut, added to
my %bad = (
    'a changed byte' => sub { my $s = shift; substr($s, 200, 1) ^= "\x01"; $s },
    'cut'            => sub { substr($_[0], 0, length($_[0]) - 100) },
    'added to'       => sub { $_[0] . 'x' x 50 },
);
for my $k (sort keys %bad) {
    my $f = "$d/bad.mla";
    MadoTest::write_file($f, $bad{$k}->($raw));
    $r = logs('unarchive', $f, "$d/out-$k");
    is($r->{exit}, 1, "$k: refused");
    like($r->{err}, qr/damaged, refused: .*(?:does not open|cut short)/, "$k: named as damaged") or diag($r->{err});
    ok(!-e "$d/out-$k/chain" && !glob("'$d/out-$k'/access*"), "$k: nothing written");
    unlink $f;
}

# a log altered after sealing is not archived
{
    open my $f, '+<', "$logs/access.log-20260503.gz" or die; binmode $f;
    seek $f, 30, 0; print {$f} "\xff"; close $f;
    $r = logs('archive', '--from', '2026-05-01', '--to', '2026-05-05', "$d/after.mla");
    is($r->{exit}, 1, 'an archive altered after its seal: refused');
    like($r->{err}, qr/access\.log-20260503\.gz: not what was sealed/, 'named');
    ok(!-e "$d/after.mla" && !-e "$d/after.mla.tmp", 'no file left');
}

done_testing;
