#!/usr/bin/perl

# madoctl destroy (contract end, issue 15).  Refused, with nothing
# changed, without a confirmation, with another host name, with a wrong
# path (a --backups that is not there, a --store that holds no LMDB
# store), while another process has the store open, and with a receipt
# file inside what is destroyed.  Confirmed: the audit key, the anchor,
# the store and every backup are gone, and their old bytes are not in
# their places any more (read through descriptors opened before: the
# files were overwritten in place, not only unlinked); the receipt lists
# each with its size, names the key by the fingerprint the export
# printed, and its Ed25519 signature verifies (madoctl destroy
# --verify-receipt, and openssl pkeyutl as docs/admin.md shows), and
# fails once a byte of it is changed.  --sign-key signs with the
# operator's key.  An interrupted destroy (the key gone, the store not)
# is refused until --resume.  A backup "madoctl backup" made is destroyed
# with the rest, and a copy of it kept elsewhere no longer restores: the
# audit key it opens under is gone (exit 3, said), and a new key does not
# open it (exit 1).  In the packaged layout (/var/lib/mado/store, the
# timer's /var/backups/mado, under a scratch root), the stores "madoctl
# restore" kept aside beside the store (STORE.before-restore-TIME, and a
# .STORE.restore-XXXXXX a killed restore left) are found and destroyed
# without --also, listed in the confirmation and the receipt; one held open
# by another process, or a link named so, is refused with nothing
# destroyed; names restore does not make are left alone.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use Fcntl qw(F_RDLCK F_SETLK);
use File::Copy qw(copy);
use File::Find qw(find);
use File::Path qw(make_path);
use Sys::Hostname qw(hostname);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $store = $t->store;
my $host = hostname();
$ENV{MADO_NOW} = '2026-11-27T10:00:00+09:00';

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or die "open $f: $!";
    local $/;
    return scalar <$fh>;
}

# the bytes now at the inode an open handle names
sub reread {
    my ($fh) = @_;
    sysseek($fh, 0, 0) or die "seek: $!";
    my $all = '';
    while (sysread($fh, my $buf, 1 << 16)) { $all .= $buf }
    return $all;
}

my $marker = 'CONTRACT-END-MARKER-31415926';
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 3 --message), $marker);

my $backups = "$dir/backups";
mkdir $backups or die;
mkdir "$backups/old" or die;
MadoTest::write_file("$backups/old/mado-2026-11-01.enc", "sealed bytes " x 1000);
symlink '/etc/hostname', "$backups/a-link" or die;

# a real backup, as the timer names them; a copy kept elsewhere
my $bfile = "$backups/mado-20261127T100000.mbk";
$t->madoctl_ok('backup', $bfile);
copy($bfile, "$dir/copy-elsewhere.mbk") or die;
my $bsize = -s $bfile;
ok($bsize > 0, 'madoctl backup made a backup');

my $key_hex = slurp("$dir/audit.key");
my $data = slurp("$store/data.mdb");
ok(index($data, $marker) >= 0, 'the store holds the marker in clear before (the test can see it)');

# a snapshot of everything destroy may touch
sub snapshot {
    my %s;
    for my $f ("$dir/audit.key", "$dir/audit.anchor", "$store/data.mdb", "$store/lock.mdb",
               glob("$backups/* $backups/old/*")) {
        $s{$f} = -l $f ? 'link' : -d $f ? 'dir' : -e $f ? sha256_hex(slurp($f)) : 'gone';
    }
    return \%s;
}
my $snap = snapshot();
ok(scalar(keys %$snap) >= 6, 'the files destroy is about are there');

sub unchanged {
    my ($name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is_deeply(snapshot(), $snap, "$name: nothing destroyed");
}

my @bk = ('--backups', $backups);

# ---------------------------------------------------------------- refusals

$t->madoctl_exit(1, qr/destroy needs a confirmation: .*--confirm \Q$host\E; nothing destroyed/,
                 'no confirmation (no terminal)', 'destroy', @bk);
unchanged('no confirmation');

$t->madoctl_exit(1, qr/the confirmation "not-this-host" is not this host's name/,
                 'another host name', 'destroy', @bk, '--confirm', 'not-this-host');
unchanged('another host name');

$t->madoctl_exit(1, qr/backups \S*nope: no such file or directory; nothing destroyed/,
                 'a --backups that is not there', 'destroy', '--backups', "$dir/nope",
                 '--confirm', $host);
unchanged('a wrong --backups');

mkdir "$dir/notastore" or die;
MadoTest::write_file("$dir/notastore/data.mdb", "not lmdb" x 100);
$t->madoctl_exit(1, qr/not an LMDB file/, 'a --store that is no store', 'destroy', @bk,
                 '--confirm', $host, { store => "$dir/notastore" });
$t->madoctl_exit(1, qr/store \S+data\.mdb: no such file/, 'a --store without data.mdb', 'destroy',
                 @bk, '--confirm', $host, { store => "$dir/backups/old" });
unchanged('a wrong --store');

$t->madoctl_exit(1, qr/--receipt \S+: inside what is to be destroyed/, 'a receipt in the backups',
                 'destroy', @bk, '--confirm', $host, '--receipt', "$backups/receipt.txt");
unchanged('a receipt inside');

# /dev: right under / (and of devices, which would be refused too)
$t->madoctl_exit(1, qr/backups \/dev: a directory right under \/ is refused/, 'a --backups right under /',
                 'destroy', '--backups', '/dev', '--confirm', $host);
unchanged('--backups /dev');

$t->madoctl_exit(2, qr/--public-key goes with --verify-receipt/, 'usage', 'destroy', '--public-key', 'x');

# the store open in another process (a simulator)
{
    my @cmd = $t->madoctl_argv(qw(simulate --duration 30 --interval 0.2 --seed 1));
    my %env = $t->madoctl_env;
    local @ENV{ keys %env } = values %env;
    my $pid = open(my $sim, '-|', @cmd) or die "simulate: $!";
    my $first = <$sim>;                     # its seed line: the store is open
    ok(defined $first, 'a simulator runs');
    my $r = $t->madoctl('destroy', @bk, '--confirm', $host);
    is($r->{exit}, 1, 'the store open in another process: refused');
    like($r->{err}, qr/is open in process \d+ .*stop nginx and the mado units first; nothing destroyed/,
         'it says which process and what to do');
    kill 'TERM', $pid;
    close $sim;
    $snap = snapshot();                     # the simulator changed the store
}

# ---------------------------------------------------------------- export, then destroy

my $ex = $t->madoctl('export', "$dir/export");
is($ex->{exit}, 0, 'the city\'s export first');
my ($fp) = $ex->{out} =~ /^audit key fingerprint: ([0-9a-f]{32})$/m;
ok($fp, 'its audit key fingerprint');
$snap = snapshot();

open my $kfh, '<:raw', "$dir/audit.key" or die;
open my $dfh, '<:raw', "$store/data.mdb" or die;
open my $bfh, '<:raw', "$backups/old/mado-2026-11-01.enc" or die;
my $dsize = -s $dfh;

my $r = $t->madoctl('destroy', @bk, '--confirm', $host, '--receipt', "$dir/receipt.txt");
is($r->{exit}, 0, 'destroy --confirm HOSTNAME: exit 0') or diag(MadoTest::text($r->{err}));
my $receipt = $r->{out};

ok(!-e "$dir/audit.key", 'the audit key is gone');
ok(!-e "$dir/audit.anchor", 'the anchor is gone');
ok(!-e $store, 'the store directory is gone');
ok(!-e $backups, 'the backups directory is gone');
ok(-e '/etc/hostname', 'a link in the backups: the link removed, not its target');

my $kb = reread($kfh);
is(length $kb, length $key_hex, 'the key\'s inode keeps its length');
isnt($kb, $key_hex, 'the key\'s bytes were overwritten in place');
unlike($kb, qr/\Q@{[ substr($key_hex, 0, 16) ]}\E/, 'none of the key\'s hex is left');
my $db = reread($dfh);
is(length $db, $dsize, 'data.mdb\'s inode keeps its length');
is(index($db, $marker), -1, 'data.mdb\'s old bytes (the marker) are not there');
isnt(reread($bfh), 'sealed bytes ' x 1000, 'a backup\'s bytes were overwritten in place');
close $_ for $kfh, $dfh, $bfh;

$t->madoctl_exit(3, qr/store/, 'madoctl show after destroy', 'show');
ok(!-e $bfile, 'the backup madoctl backup made is gone');

# the copy kept elsewhere, restored into a new store: with the destroyed
# key's path, refused for the key; under a new key, refused as another's
{
    my $o = { store => "$dir/newstore", env => { MADO_AUDIT_KEY => "$dir/new.key" } };
    $t->madoctl_ok('init', $o);
    my $before = sha256_hex(slurp("$dir/newstore/data.mdb"));
    $t->madoctl_exit(3, qr/restore refused: the audit key \Q$dir\E\/audit\.key is not there; a backup opens only under the audit key it was made under.*nothing changed/,
                     'the copy of the backup, the audit key destroyed', 'restore', "$dir/copy-elsewhere.mbk",
                     { store => "$dir/newstore", env => { MADO_AUDIT_KEY => "$dir/audit.key" } });
    unlike($t->madoctl('restore', "$dir/copy-elsewhere.mbk",
                       { store => "$dir/newstore", env => { MADO_AUDIT_KEY => "$dir/audit.key" } })->{err},
           qr/madoctl init/, 'it does not advise a new key');
    $t->madoctl_exit(1, qr/made with another audit key, or damaged.*nothing changed/,
                     'the copy under a new audit key', 'restore', "$dir/copy-elsewhere.mbk", $o);
    is(sha256_hex(slurp("$dir/newstore/data.mdb")), $before, 'the new store is unchanged');
    opendir my $dh, $dir or die;
    is_deeply([ grep { /restore/ } readdir $dh ], [], 'nothing left beside it');
}

# ---------------------------------------------------------------- the receipt

is(slurp("$dir/receipt.txt"), $receipt, '--receipt FILE holds what was printed');
like($receipt, qr/\Amado destruction receipt 1\nhost: \Q$host\E\n/, 'receipt: host');
like($receipt, qr/^audit key \Q$dir\E\/audit\.key: 65 bytes, fingerprint $fp, overwritten with random bytes and removed at 2026-11-27T10:00:00\+09:00$/m,
     'receipt: the key by the fingerprint the export printed, and when');
like($receipt, qr/^store \Q$store\E\/data\.mdb: $dsize bytes, overwritten/m, 'receipt: data.mdb and its size');
like($receipt, qr/^store \Q$store\E\/lock\.mdb: \d+ bytes/m, 'receipt: lock.mdb');
like($receipt, qr/^file \Q$backups\E\/old\/mado-2026-11-01\.enc: 13000 bytes, overwritten/m,
     'receipt: each backup file and its size');
like($receipt, qr/^file \Q$bfile\E: $bsize bytes, overwritten/m, 'receipt: the backup madoctl backup made');
like($receipt, qr/^directory \Q$backups\E: removed/m, 'receipt: the backups directory');
like($receipt, qr/^backups \Q$backups\E: 2 files, @{[ $bsize + 13000 ]} bytes, all destroyed at /m,
     'receipt: the backups, counted');
unlike($receipt, qr/before-restore|\.restore-/, 'receipt: no store kept aside (no restore was made)');
like($receipt, qr/^directory \Q$store\E: removed/m, 'receipt: the store directory');
like($receipt, qr/^signed-by: an Ed25519 key made for this receipt/m, 'receipt: signed by a key made for it');
my ($pkfp) = $receipt =~ /^public-key-sha256: ([0-9a-f]{64})$/m;
ok($pkfp, 'receipt: the public key\'s SHA-256, to write down');
unlike($receipt, qr/\Q@{[ substr($key_hex, 0, 16) ]}\E/, 'receipt: nothing of the key');

$r = $t->madoctl('destroy', '--verify-receipt', "$dir/receipt.txt");
is($r->{exit}, 0, 'destroy --verify-receipt: good') or diag($r->{err});
like($r->{out}, qr/signature good, .*public-key-sha256 is $pkfp/, 'it names the key');

(my $tampered = $receipt) =~ s/mado-2026-11-01\.enc: 13000 bytes/mado-2026-11-01.enc: 13001 bytes/;
MadoTest::write_file("$dir/tampered.txt", $tampered);
$t->madoctl_exit(1, qr/the signature does not match/, 'a tampered receipt', 'destroy',
                 '--verify-receipt', "$dir/tampered.txt");
MadoTest::write_file("$dir/added.txt", $receipt . "file /etc/shadow: 1 bytes\n");
$t->madoctl_exit(1, qr/text after the signature line/, 'a receipt with a line added after',
                 'destroy', '--verify-receipt', "$dir/added.txt");

# as docs/admin.md shows it, with openssl alone
SKIP: {
    skip 'openssl is needed', 3 unless -x '/usr/bin/openssl';
    my $sh = sub {
        my ($file) = @_;
        return system('sh', '-c', <<"SH") >> 8;
set -e
cd '$dir'
grep -v '^signature: ' '$file' > body
sed -n 's/^signature: //p' '$file' | base64 -d > sig
sed -n 's/^public-key: //p' '$file' | base64 -d | openssl pkey -pubin -inform DER -out pub.pem
openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in body -sigfile sig > /dev/null
SH
    };
    is($sh->("$dir/receipt.txt"), 0, 'openssl pkeyutl verifies the receipt');
    isnt($sh->("$dir/tampered.txt"), 0, 'and not the tampered one');
    my ($sum) = `openssl pkey -pubin -in '$dir/pub.pem' -outform DER | sha256sum` =~ /^([0-9a-f]{64})/;
    is($sum, $pkfp, 'public-key-sha256 is the SHA-256 of the key\'s DER, as openssl gives it');
}

# ---------------------------------------------------------------- --sign-key, --resume

my $t2 = MadoTest->new;
my $d2 = $t2->dir;
$t2->madoctl_ok('init');
$t2->madoctl_ok('load', MadoTest::offices_json());
system("openssl genpkey -algorithm ed25519 -out '$d2/sign.pem' 2>/dev/null") == 0 or die;
system("openssl pkey -in '$d2/sign.pem' -pubout -out '$d2/sign.pub' 2>/dev/null") == 0 or die;
system("openssl genpkey -algorithm ed25519 -out '$d2/other.pem' 2>/dev/null") == 0 or die;
system("openssl pkey -in '$d2/other.pem' -pubout -out '$d2/other.pub' 2>/dev/null") == 0 or die;
MadoTest::write_file("$d2/luks.key", "k" x 4096);

# interrupted after the keys: the key gone, the store not
unlink "$d2/audit.key" or die;
my $s2 = $t2->store;
my $snap2 = sha256_hex(slurp("$s2/data.mdb"));
$t2->madoctl_exit(1, qr/audit key \S+: no such file or directory; nothing destroyed .*--resume/,
                  'the key missing: refused', 'destroy', '--backups', "$d2/nobackups", '--confirm', $host);
is(sha256_hex(slurp("$s2/data.mdb")), $snap2, 'the store is untouched');
mkdir "$d2/nobackups" or die;

$r = $t2->madoctl('destroy', '--backups', "$d2/nobackups", '--key', "$d2/luks.key",
                  '--sign-key', "$d2/sign.pem", '--resume', '--confirm', $host);
is($r->{exit}, 0, 'destroy --resume --key --sign-key: exit 0') or diag(MadoTest::text($r->{err}));
like($r->{out}, qr/^audit key \S+audit\.key: not there \(gone before this run\)$/m,
     'receipt: the key already gone, said');
like($r->{out}, qr/^key \Q$d2\E\/luks\.key: 4096 bytes, overwritten/m, 'receipt: the --key');
ok(!-e "$d2/luks.key" && !-e $s2, 'the --key and the store are gone');
like($r->{out}, qr/^signed-by: \Q$d2\E\/sign\.pem$/m, 'signed by --sign-key');
MadoTest::write_file("$d2/r.txt", $r->{out});
$r = $t2->madoctl('destroy', '--verify-receipt', "$d2/r.txt", '--public-key', "$d2/sign.pub");
is($r->{exit}, 0, '--verify-receipt --public-key: the operator\'s key') or diag($r->{err});
$t2->madoctl_exit(1, qr/signed by another key than/, 'another --public-key', 'destroy',
                  '--verify-receipt', "$d2/r.txt", '--public-key', "$d2/other.pub");

# ---------------------------------------------------------------- stores restore kept aside

# the packaged layout under a scratch root: /etc/mado/audit.key,
# /var/lib/mado/store (its parent mado:www-data 2770), the timer's
# /var/backups/mado
my $t3 = MadoTest->new;
my $d3 = $t3->dir;
my $root = "$d3/root";
my $lib3 = "$root/var/lib/mado";
my $s3 = "$lib3/store";
my $bk3 = "$root/var/backups/mado";
make_path("$root/etc/mado", $lib3, "$root/var/backups");
chmod 02770, $lib3;
$t3->{store} = $s3;
$t3->{audit_key} = "$root/etc/mado/audit.key";

my $marker3 = 'WRITTEN-AFTER-THE-BACKUP-27182818';
$t3->madoctl_ok('init');
$t3->madoctl_ok('load', MadoTest::offices_json());
$t3->madoctl_ok(qw(set kita moving --status open --waiting 3));

# as mado-backup.service runs it
my ($b3) = $t3->madoctl_ok('backup', '--dir', $bk3, '--keep', 14) =~ /^backup (\S+): /m;
is($b3, "$bk3/mado-20261127T100000.mbk", 'the timer\'s backup, in /var/backups/mado');

# written after the backup: only in the store restore puts aside
$t3->madoctl_ok(qw(set kita moving --waiting 9 --message), $marker3);
my $aside = "$s3.before-restore-20261127T100000";
like($t3->madoctl_ok('restore', $b3), qr/^the old store is kept in \Q$aside\E /m,
     'restore kept the old store aside');
ok(index(slurp("$aside/data.mdb"), $marker3) >= 0, 'the store kept aside holds the marker in clear');
ok(-e "$aside/lock.mdb", 'and its lock.mdb');

# a restore killed part way leaves its directory beside the store (as it
# is when the backup is opened in it: a data.mdb)
my $tmp3 = "$lib3/.store.restore-Ab3xYz";
mkdir $tmp3 or die;
copy("$aside/data.mdb", "$tmp3/data.mdb") or die;

# names restore does not make: not ours, left
my @keep3 = ("$s3.before-restore-notes/keep.txt", "$lib3/other.before-restore-20261127T100000/keep.txt",
             "$lib3/.store.restore-Ab3xYz.txt", "$lib3/.store.restore-toolong/keep.txt");
for my $f (@keep3) {
    make_path($1) if $f =~ m{^(.*)/keep\.txt$};
    MadoTest::write_file($f, 'kept');
}

sub snapshot3 {
    my %s;
    find({ no_chdir => 1, wanted => sub {
        $s{$_} = -l $_ ? 'link' : -d _ ? 'dir' : sha256_hex(slurp($_));
    } }, $root);
    return \%s;
}
my $snap3 = snapshot3();
ok(exists $snap3->{"$aside/data.mdb"} && exists $snap3->{"$tmp3/data.mdb"}, 'both are there');

my @bk3 = ('--backups', $bk3);

# on a terminal: the confirmation lists them (another name typed: refused)
SKIP: {
    skip 'script(1) is needed for a terminal', 5 unless -x '/usr/bin/script';
    my %env = $t3->madoctl_env;
    local @ENV{ keys %env } = values %env;
    my $cmd = join ' ', map { "'$_'" } $t3->madoctl_argv('destroy', @bk3);
    my $out = `echo not-this-host | script -qec "$cmd" /dev/null`;
    is($? >> 8, 1, 'on a terminal, another name typed: exit 1');
    like($out, qr/^  store kept aside by restore \Q$aside\E\r?$/m, 'the confirmation lists the store kept aside');
    like($out, qr/^  unfinished restore's store \Q$tmp3\E\r?$/m, 'and the killed restore\'s directory');
    like($out, qr/export it too if the city wants those records/, 'and says to export it first');
    unlike($out, qr/before-restore-notes|other\.before-restore|\.txt|toolong/, 'and nothing else beside the store');
}
is_deeply(snapshot3(), $snap3, 'another name typed: nothing destroyed');

# held open, as LMDB holds it (mdb_env_open: a shared lock on lock.mdb's
# first byte): an nginx worker that has not reopened the restored store
{
    open my $lk, '+<', "$aside/lock.mdb" or die "lock.mdb: $!";
    my $fl = pack('s s x4 q q i x4', F_RDLCK, 0, 0, 1, 0);     # struct flock
    fcntl($lk, F_SETLK, $fl) or die "fcntl: $!";
    $t3->madoctl_exit(1, qr/the store \Q$aside\E is open in process $$ .*nothing destroyed/,
                      'the store kept aside open in another process', 'destroy', @bk3, '--confirm', $host);
    close $lk;
}
is_deeply(snapshot3(), $snap3, 'held open: nothing destroyed');

# a link named as restore names its stores: restore makes none
symlink "$d3", "$s3.before-restore-20261127T090000" or die;
$t3->madoctl_exit(1, qr/store kept aside by restore \S+before-restore-20261127T090000: not a directory; nothing destroyed/,
                  'a link named as a store kept aside', 'destroy', @bk3, '--confirm', $host);
unlink "$s3.before-restore-20261127T090000" or die;
is_deeply(snapshot3(), $snap3, 'a link: nothing destroyed');

# one on another file system (a mount point named so), in a mount
# namespace of its own so that nothing stays mounted
SKIP: {
    skip 'needs root and mount namespaces (unshare -m)', 3
        unless MadoTest::is_root() && system('unshare -m true >/dev/null 2>&1') == 0;
    my $m = "$s3.before-restore-20261127T080000";
    mkdir $m or die;
    my %env = $t3->madoctl_env;
    local @ENV{ keys %env } = values %env;
    my $cmd = join ' ', map { "'$_'" } $t3->madoctl_argv('destroy', @bk3, '--confirm', $host);
    my $o = `unshare -m sh -c "mount -t tmpfs -o size=1m mado-test '$m' && echo x > '$m/data.mdb' && { $cmd; echo exit=\\\$?; test -e '$m/data.mdb' && echo left; }" 2>&1`;
    rmdir $m or die "rmdir $m: $!";
    like($o, qr/^exit=1$/m, 'a store kept aside on another file system: refused') or diag($o);
    like($o, qr/\Q$m\E: on another file system than the store's directory .*nothing destroyed/, '... said');
    like($o, qr/^left$/m, '... and left');
}
is_deeply(snapshot3(), $snap3, 'another file system: nothing destroyed');

open my $afh, '<:raw', "$aside/data.mdb" or die;
my $r3 = $t3->madoctl('destroy', @bk3, '--confirm', $host, '--receipt', "$d3/receipt.txt");
is($r3->{exit}, 0, 'destroy, the stores kept aside beside the store: exit 0') or diag(MadoTest::text($r3->{err}));
my $rc3 = $r3->{out};

ok(!-e $aside, 'the store kept aside by restore is gone');
ok(!-e $tmp3, 'the killed restore\'s directory is gone');
ok(!-e $s3 && !-e $bk3 && !-e "$root/etc/mado/audit.key", 'the store, the backups, the key are gone');
is(index(reread($afh), $marker3), -1, 'the kept-aside data.mdb\'s old bytes (the marker) are not there');
close $afh;
is_deeply([ grep { !-e } @keep3 ], [], 'names restore does not make are left');
opendir my $ld, $lib3 or die;
is_deeply([ sort grep { !/^\.\.?$/ } readdir $ld ],
          [ '.store.restore-Ab3xYz.txt', '.store.restore-toolong', 'other.before-restore-20261127T100000',
            'store.before-restore-notes' ],
          'nothing else is left in /var/lib/mado');

like($rc3, qr/^file \Q$aside\E\/data\.mdb: \d+ bytes, overwritten with random bytes and removed at /m,
     'receipt: the kept-aside data.mdb');
like($rc3, qr/^file \Q$aside\E\/lock\.mdb: \d+ bytes, overwritten/m, 'receipt: its lock.mdb');
like($rc3, qr/^directory \Q$aside\E: removed at /m, 'receipt: its directory');
like($rc3, qr/^store kept aside by restore \Q$aside\E: 2 files, \d+ bytes, all destroyed at /m,
     'receipt: what it was');
like($rc3, qr/^file \Q$tmp3\E\/data\.mdb: \d+ bytes, overwritten/m, 'receipt: the killed restore\'s data.mdb');
like($rc3, qr/^unfinished restore's store \Q$tmp3\E: 1 files, \d+ bytes, all destroyed at /m,
     'receipt: what it was');
like($rc3, qr/^file \Q$b3\E: \d+ bytes, overwritten/m, 'receipt: the timer\'s backup');
ok(index($rc3, "audit key $root/etc/mado/audit.key") < index($rc3, "file $aside/"),
   'receipt: the key destroyed before the store kept aside');
unlike($rc3, qr/keep\.txt|before-restore-notes|other\.before-restore|toolong/, 'receipt: nothing not ours');
like($r3->{err}, qr/^madoctl: destroyed store kept aside by restore \Q$aside\E \(2 files, /m, 'stderr says it');
is(slurp("$d3/receipt.txt"), $rc3, '--receipt FILE holds it');
$r = $t3->madoctl('destroy', '--verify-receipt', "$d3/receipt.txt");
is($r->{exit}, 0, 'and its signature verifies') or diag($r->{err});

# ---------------------------------------------------------------- backup.env's directory

# the timer's backups elsewhere (MADO_BACKUP_DIR in /etc/mado/backup.env):
# destroy without --backups finds them there
my $t4 = MadoTest->new;
my $d4 = $t4->dir;
my $bk4 = "$d4/elsewhere/mado";
make_path("$d4/elsewhere");
$t4->{backup_env} = "$d4/backup.env";
MadoTest::write_file("$d4/backup.env", "# as mado-backup.env.example\nMADO_BACKUP_DIR=/nope\n"
                                     . "  MADO_BACKUP_DIR=\"$bk4\"\nMADO_BACKUP_KEEP=14\n");
$t4->madoctl_ok('init');
$t4->madoctl_ok('load', MadoTest::offices_json());
my ($b4) = $t4->madoctl_ok('backup', '--dir', $bk4, '--keep', 14) =~ /^backup (\S+): /m;
ok(defined $b4 && -s $b4, 'a backup where backup.env says');
$r = $t4->madoctl('destroy', '--confirm', $host);
is($r->{exit}, 0, 'destroy without --backups: exit 0') or diag(MadoTest::text($r->{err}));
ok(!-e $b4, 'the backup in backup.env\'s MADO_BACKUP_DIR is gone');
like($r->{out}, qr/^file \Q$b4\E: \d+ bytes, overwritten/m, 'receipt: that backup');
like($r->{out}, qr/^backups \(backup\.env\) \Q$bk4\E: 1 files, /m, 'receipt: what it was');

$t->check_logs;
$t2->check_logs;
$t3->check_logs;
$t4->check_logs;

done_testing;
