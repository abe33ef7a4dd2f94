#!/usr/bin/perl

# madoctl backup (issue 15): a sealed, compacted copy, mode 0600, checked
# before it is renamed into place; a missing directory said and nothing
# made; backups taken while a writer writes each hold a consistent
# prefix of its writes (the counter's state and the trail agree, and
# later backups hold more); --dir with --keep; and restore's refusals (not
# a backup, another audit key, damaged, cut, another schema) change
# nothing and say why.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Copy qw(copy);
use JSON::PP;
use POSIX ();
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $json = JSON::PP->new->utf8->canonical;

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 3));

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

# ------------------------------------------------------------ one backup

my $bdir = "$dir/backups";
my $b = "$bdir/one.mbk";

$t->madoctl_exit(1, qr/the directory \Q$bdir\E for the backup does not exist/,
                 'a missing directory', 'backup', $b);
ok(!-e $bdir, 'a missing directory: nothing made');

mkdir $bdir, 0700 or die "mkdir: $!";
my $out = $t->madoctl_ok('backup', $b);
like($out, qr/^backup \Q$b\E: schema 2, \d+ records, audit record 3, transaction \d+, \d+ bytes/m,
     'backup: what it holds');
is((stat $b)[2] & 07777, 0600, 'the backup is mode 0600');
my $raw = slurp($b);
is(substr($raw, 0, 8), "MADOENC\x01", 'sealed (MADOENC header)');
is(ord(substr($raw, 8, 1)), 2, 'under the backup key id');
for my $needle ('kita', 'Kita Ward', 'moving', 'offices') {
    ok(index($raw, $needle) < 0, "\"$needle\" is not in the backup in clear");
}
opendir my $dh, $bdir or die;
is_deeply([ sort grep { !/^\.\.?$/ } readdir $dh ], ['one.mbk'], 'no temporary file left beside it');
closedir $dh;

$t->madoctl_exit(1, qr/is a directory/, 'a directory as FILE', 'backup', $bdir);
$t->madoctl_exit(2, qr/--keep goes with --dir/, '--keep without --dir', 'backup', '--keep', '3', $b);
$t->madoctl_exit(3, qr/audit key/, 'no audit key: no backup', 'backup', "$bdir/two.mbk",
                 { env => { MADO_AUDIT_KEY => "$dir/no.key" } });
ok(!-e "$bdir/two.mbk", 'no audit key: nothing written');

# ------------------------------------------------------------ under writes

# a writer issues tickets one process at a time while backups are taken
my $writes = 60;
my $wpid = fork // die "fork: $!";
if (!$wpid) {
    for (1 .. $writes) {
        my $r = $t->madoctl(qw(issue kita moving));
        POSIX::_exit(1) if $r->{exit} != 0;
    }
    POSIX::_exit(0);
}

my @during;
for my $i (1 .. 3) {
    my $f = "$bdir/during-$i.mbk";
    my $r = $t->madoctl('backup', $f);
    is($r->{exit}, 0, "backup $i while the writer writes") or diag($r->{err});
    push @during, $f;
}
waitpid($wpid, 0);
is($?, 0, "the writer's $writes issues all succeeded");

# each backup restored into a scratch store of its own (the key copied: the
# backup key is the audit key's; the anchor beside the copy is the scratch's)
sub scratch {
    my ($name) = @_;
    my $s = "$dir/$name";
    mkdir $s or die "mkdir $s: $!";
    copy("$dir/audit.key", "$s/audit.key") or die "copy: $!";
    chmod 0600, "$s/audit.key";
    my $o = { store => "$s/store", env => { MADO_AUDIT_KEY => "$s/audit.key" } };
    my $r = $t->madoctl('init', $o);
    die "init $s: $r->{err}" if $r->{exit};
    return $o;
}

sub issued_in {
    my ($o) = @_;
    my $r = $t->madoctl(qw(show --json), $o);
    my $d = eval { $json->decode($r->{out}) } or return;
    my $c = MadoTest::find_counter($d, 'kita', 'moving') or return;
    my $a = $t->madoctl(qw(audit list --json --action issue), $o);
    my $list = eval { $json->decode($a->{out}) } || [];
    return ($c->{last_issued} // 0, scalar @$list);
}

my $prev = -1;
for my $i (0 .. $#during) {
    my $o = scratch("scratch-$i");
    my $r = $t->madoctl('restore', $during[$i], $o);
    is($r->{exit}, 0, "backup $i restores") or diag($r->{err});
    my ($last, $records) = issued_in($o);
    ok(defined $last, "backup $i: the counter is there");
    is($last, $records, "backup $i: the counter's state and the trail agree ($last issues)");
    ok($last >= $prev && $last <= $writes, "backup $i: a prefix of the writes, no fewer than before ($prev <= $last <= $writes)");
    $prev = $last;
    $r = $t->madoctl(qw(audit verify), $o);
    is($r->{exit}, 0, "backup $i: the restored trail verifies") or diag($r->{err});
}

# ------------------------------------------------------------ --dir, --keep

my $daily = "$dir/daily";
for my $n (1 .. 4) {
    local $ENV{MADO_NOW} = 1795748400 + 86400 * $n;
    my $r = $t->madoctl('backup', '--dir', $daily, '--keep', 2);
    is($r->{exit}, 0, "--dir --keep 2, day $n") or diag($r->{err});
}
is((stat $daily)[2] & 07777, 0700, '--dir makes the directory 0700');
opendir $dh, $daily or die;
is_deeply([ sort grep { !/^\./ } readdir $dh ],
          [ 'mado-20261130T120000.mbk', 'mado-20261201T120000.mbk' ],
          '--keep 2: the two newest are kept, dated in Japan time');
closedir $dh;

# ------------------------------------------------------------ refusals

my $before = $t->snapshot;
my $store_ino = (stat "$dir/store/data.mdb")[1];

sub refused {
    my ($file, $re, $name, @o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $t->madoctl_exit(1, $re, $name, 'restore', $file, @o);
    is($t->snapshot, $before, "$name: the store is as it was");
    is((stat "$dir/store/data.mdb")[1], $store_ino, "$name: the same data.mdb");
    opendir my $d, $dir or die;
    my @left = grep { /restore|before-restore/ } readdir $d;
    is_deeply(\@left, [], "$name: nothing left beside the store");
}

refused(MadoTest::offices_json(), qr/not a mado backup/, 'not a backup');

my $other = "$dir/other";
mkdir $other;
{
    my $r = $t->madoctl('init', { store => "$other/store", env => { MADO_AUDIT_KEY => "$other/audit.key" } });
    die $r->{err} if $r->{exit};
}
my $anchor = slurp("$dir/audit.anchor");
refused($b, qr/made with another audit key, or damaged/, 'another audit key',
        { env => { MADO_AUDIT_KEY => "$other/audit.key" } });

my $cut = "$dir/cut.mbk";
open my $fh, '>:raw', $cut or die;
print {$fh} substr($raw, 0, length($raw) - 1000);
close $fh;
refused($cut, qr/does not open|cut/, 'a backup cut short');

my $bad = "$dir/bad.mbk";
my $flip = $raw;
substr($flip, int(length($flip) / 2), 1) ^= "\x01";
open $fh, '>:raw', $bad or die;
print {$fh} $flip;
close $fh;
refused($bad, qr/does not open at chunk/, 'a damaged backup');

# a store of a schema this build does not know is backed up, not restored
my $o3 = scratch('schema3');
copy("$dir/store/data.mdb", "$dir/schema3/store/data.mdb") or die;
{
    open my $l, '|-', "mdb_load -s meta $dir/schema3/store" or die;
    print {$l} "VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n",
               ' ', unpack('H*', 'schema'), "\n ", unpack('H*', '3'), "\nDATA=END\n";
    close $l or die "mdb_load: $?";
}
my $b3 = "$dir/schema3.mbk";
$out = $t->madoctl_ok('backup', $b3, $o3);
like($out, qr/: schema 3, /, 'a store of schema 3 is backed up as it is');
refused($b3, qr/a backup of a store of schema 3; this build reads schemas 1 to 2/, 'another schema');

is(slurp("$dir/audit.anchor"), $anchor, 'the refusals left the anchor as it was');
my $r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the store verifies after the refusals') or diag($r->{err});

done_testing;
