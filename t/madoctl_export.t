#!/usr/bin/perl

# madoctl export DIR (contract end, issue 15): a store with history over
# several days (some compacted into hourly figures), staff accounts and an
# audit trail is exported; each file is checked against what madoctl
# itself says of the same store: the report rows against "madoctl
# report", the live state against "show --json", the audit lines against
# "audit list", offices.json by loading it again; sha256sum -c passes, and
# fails once a file is changed.  Files are 0600, the directory 0700, the
# store is not written (and a read-only mount of it exports the same),
# and refusals (a DIR with files in it, a DIR.partial left over, no
# store) leave nothing behind.  A store that was restored from a backup
# exports a trail that ends with the restore record (what it replaced,
# where the old store went) and verifies against the anchor restore moved.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use Encode qw(encode_utf8 decode_utf8);
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

plan skip_all => 'sha256sum (coreutils) is needed' unless -x '/usr/bin/sha256sum';

my $t = MadoTest->new;
my $dir = $t->dir;
my $store = $t->store;

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or die "open $f: $!";
    local $/;
    return scalar <$fh>;
}

sub at { my ($when, @args) = @_; return $t->madoctl(@args, { env => { MADO_NOW => $when } }) }
sub at_ok {
    my ($when, @args) = @_;
    my $r = at($when, @args);
    is($r->{exit}, 0, "at $when: madoctl @args") or diag(MadoTest::text($r->{err}));
    return $r;
}

# a test store: accounts with few PBKDF2 iterations
at_ok('2026-11-16T08:00:00', qw(init --test-store));
at_ok('2026-11-16T08:00:00', 'load', MadoTest::offices_json());
$ENV{MADO_NOW} = '2026-11-16T08:30:00';
$t->add_user('tanaka', qw(--role staff --office kita --office sakyo), { iterations => 1000 });
$t->add_user('kiosk1', qw(--role feed --office kita));
$t->madoctl_ok(qw(user disable kiosk1));

# four days at kita/moving, two of them compacted later
for my $day (qw(2026-11-16 2026-11-17 2026-11-24 2026-11-25)) {
    at_ok("${day}T09:00:00", qw(set kita moving --status open));
    at_ok("${day}T09:$_:00", qw(issue kita moving)) for qw(05 10 20 40);
    at_ok("${day}T10:$_:00", qw(call kita moving)) for qw(00 15 30);
    at_ok("${day}T10:45:00", qw(cancel kita moving 4));
}
at_ok('2026-11-25T11:00:00', qw(set kita moving --message), 'ただいま混雑, "お待ちください"');
$ENV{MADO_NOW} = '2026-11-25T12:00:00';
my $r = $t->madoctl(qw(compact --keep-days 3));
is($r->{exit}, 0, 'compact --keep-days 3');
like($r->{out}, qr/compacted [2-9] office-days/, 'days folded into hourly figures');

my $data_sha = sha256_hex(slurp("$store/data.mdb"));

# ---------------------------------------------------------------- export

my $out = "$dir/export";
$r = $t->madoctl('export', $out);
is($r->{exit}, 0, 'export: exit 0') or diag(MadoTest::text($r->{err}));
like($r->{out}, qr/^exported to \Q$out\E: 14 offices/m, 'export says where and what');
my ($manifest_sha) = $r->{out} =~ /^SHA-256 of MANIFEST\.sha256: ([0-9a-f]{64})$/m;
ok($manifest_sha, 'prints the SHA-256 of the manifest');
like($r->{out}, qr/^audit key fingerprint: [0-9a-f]{32}$/m, 'prints the audit key fingerprint');
is($r->{err}, '', 'nothing on stderr');
ok(!-e "$out.partial", 'no DIR.partial left');
is(sha256_hex(slurp("$store/data.mdb")), $data_sha, 'the store was not written');

is((stat $out)[2] & 07777, 0700, 'DIR is 0700');
is((stat "$out/history")[2] & 07777, 0700, 'history/ is 0700');

my @manifest = split /\n/, slurp("$out/MANIFEST.sha256");
my %listed = map { (split /  /, $_, 2)[1] => 1 } @manifest;
my @files = map { s{^\Q$out\E/}{}r } grep { -f } glob("$out/* $out/history/*");
is_deeply([ sort grep { $_ ne 'MANIFEST.sha256' } @files ], [ sort keys %listed ],
          'MANIFEST.sha256 lists every file but itself');
is(sha256_hex(slurp("$out/MANIFEST.sha256")), $manifest_sha,
   'the printed SHA-256 is the manifest\'s');
my @modes = grep { ((stat "$out/$_")[2] & 07777) != 0600 } @files;
is_deeply(\@modes, [], 'every file is 0600');
for my $f (qw(offices.json counters.csv accounts.csv audit.jsonl audit-verify.txt
              audit.anchor README.txt history/kita-report.csv history/kita-samples.csv
              history/kita-events.csv history/kita-hourly.csv history/daigo-report.csv)) {
    ok($listed{$f}, "$f is exported");
}

my $check = `cd '$out' && sha256sum -c MANIFEST.sha256 2>&1`;
is($?, 0, 'sha256sum -c MANIFEST.sha256 passes') or diag($check);

# ---------------------------------------------------------------- history

# the report's rows for every day held: as "madoctl report" gives them
my $rep = $t->madoctl(qw(report --office kita --from 2026-11-16 --to 2026-11-25));
is($rep->{exit}, 0, 'report kita 2026-11-16..25');
my $csv = slurp("$out/history/kita-report.csv");
is($csv, $rep->{out}, 'kita-report.csv is "madoctl report" of the first to the last day held');
my @days = $csv =~ /^(2026-11-\d\d),moving,day,/mg;
is_deeply(\@days, [qw(2026-11-16 2026-11-17 2026-11-24 2026-11-25)],
          'the days held, compacted ones too');
like($csv, qr/^2026-11-16,moving,day,4,3,1,/m, 'a compacted day: 4 issued, 3 served, 1 cancelled');

$rep = $t->madoctl(qw(report --office daigo --from 2026-11-16 --to 2026-11-16));
is(slurp("$out/history/daigo-report.csv"), $rep->{out},
   'an office without history: the header only, as report has it');

# events as stored: the days not compacted (4 issues, 3 calls, a cancel,
# the set that opened it each day, the message)
my @ev = split /\r\n/, slurp("$out/history/kita-events.csv");
is($ev[0], 'time,counter,event,ticket,status,waiting,served_today,staff,wait_seconds',
   'events.csv: header');
is(scalar(grep { /^2026-11-2[45]T/ } @ev), 2 * 9 + 1, 'events.csv: every event of the days kept');
is(scalar(grep { /^2026-11-1[67]T/ } @ev), 0, 'events.csv: none of the compacted days');
ok((grep { $_ eq '2026-11-24T10:00:00+09:00,moving,call,1,open,3,1,0,3300' } @ev),
   'events.csv: a call with its wait in seconds');

my @hourly = split /\r\n/, slurp("$out/history/kita-hourly.csv");
my %issued;
for (@hourly[1 .. $#hourly]) {
    my @f = split /,/;
    $issued{ substr($f[0], 0, 10) } += $f[2] if $f[2];
}
is_deeply(\%issued, { '2026-11-16' => 4, '2026-11-17' => 4 },
          'hourly.csv: the compacted days, as many issued as the report says');

my $samples = slurp("$out/history/kita-samples.csv");
like($samples, qr/\A\Qtime,office,counter,status,waiting,calling,served_today,staff,wait_minutes\E\r\n/,
     'samples.csv: one header');
is(scalar(() = $samples =~ /^time,/mg), 1, 'samples.csv: the header once for all days');
like($samples, qr/^2026-11-24T09:10:00\+09:00,kita,moving,open,1,0,0,/m,
     'samples.csv: the 5-minute samples of a day kept');
unlike($samples, qr/^2026-11-16T/m, 'samples.csv: none for compacted days');

# ---------------------------------------------------------------- state, offices

my $show = JSON::PP->new->utf8->decode($t->madoctl_ok(qw(show --json)));
my $st = MadoTest::find_counter($show, 'kita', 'moving');
my ($row) = grep { /^kita,moving,/ } split /\r\n/, slurp("$out/counters.csv");
$row = decode_utf8($row);
is($row, "kita,moving,open,$st->{waiting},$st->{calling},$st->{last_issued},$st->{served_today},0,"
         . '2026-11-25T11:00:00+09:00,"ただいま混雑, ""お待ちください"""',
   'counters.csv: the state show has, the message quoted as RFC 4180 says');

my $conf = MadoTest::read_json_file();
my $exp = MadoTest::read_json_file("$out/offices.json");
is_deeply([ map { $_->{id} } @{ $exp->{offices} } ], [ map { $_->{id} } @{ $conf->{offices} } ],
          'offices.json: every office, in display order');
is_deeply($exp->{offices}[0]{name}, $conf->{offices}[0]{name}, 'offices.json: names as loaded');

my $t2 = MadoTest->new;
$t2->madoctl_ok('init');
$t2->madoctl_ok('load', "$out/offices.json");
$r = $t2->madoctl('export', $t2->dir . '/again');
is($r->{exit}, 0, 'the exported offices.json loads into a new store');
is(slurp($t2->dir . '/again/offices.json'), slurp("$out/offices.json"),
   'and exports again as the same bytes');

# ---------------------------------------------------------------- accounts

my $acc = slurp("$out/accounts.csv");
my @acc = split /\r\n/, $acc;
is($acc[0], 'id,role,credential,offices,disabled,created_at,updated_at,last_login,seal',
   'accounts.csv: header');
ok((grep { /^tanaka,staff,password,kita sakyo,no,2026-11-16T08:30:00\+09:00,/ && /,ok$/ } @acc),
   'accounts.csv: a staff account, its offices, sealed ok');
ok((grep { /^kiosk1,feed,token,kita,yes,/ } @acc), 'accounts.csv: a feed account, disabled');
unlike($acc, qr/[0-9a-f]{32}/, 'accounts.csv: no hash, salt or token');

# ---------------------------------------------------------------- audit

my $list = $t->madoctl(qw(audit list));
my @jsonl = split /\n/, slurp("$out/audit.jsonl");
is(scalar @jsonl, scalar(split /\n/, $list->{out}), 'audit.jsonl: as many lines as audit list');
my $all = JSON::PP->new->utf8->decode($t->madoctl_ok(qw(audit list --json)));
is_deeply([ map { JSON::PP->new->utf8->decode($_) } @jsonl ], $all,
          'audit.jsonl: each line an element of audit list --json, in order');
my $verify = slurp("$out/audit-verify.txt");
like($verify, qr/^audit trail intact: \d+ records$/m, 'audit-verify.txt: the trail intact');
like($verify, qr/^compared with anchor /m, 'audit-verify.txt: compared with the anchor');
like($verify, qr/^accounts: 2, each matching its seal/m, 'audit-verify.txt: the accounts');
like($verify, qr/^result: OK/m, 'audit-verify.txt: result OK');
is(slurp("$out/audit.anchor"), slurp("$dir/audit.anchor"),
   'audit.anchor: the anchor as it is');

my $readme = decode_utf8(slurp("$out/README.txt"));
like($readme, qr/契約終了/, 'README.txt: Japanese');
like($readme, qr/end of the contract/, 'README.txt: English');
like($readme, qr/\Q$_\E/, "README.txt explains $_")
    for qw(offices.json counters.csv OFFICE-report.csv OFFICE-samples.csv OFFICE-events.csv
           OFFICE-hourly.csv accounts.csv audit.jsonl audit-verify.txt audit.anchor MANIFEST.sha256);

# ---------------------------------------------------------------- tampering

{
    open my $fh, '>>', "$out/history/kita-report.csv" or die;
    print {$fh} "2026-11-26,moving,day,1,1,0,,,9\r\n";
    close $fh;
}
$check = `cd '$out' && sha256sum -c MANIFEST.sha256 2>&1`;
isnt($?, 0, 'sha256sum -c fails once a file is changed');
like($check, qr{^history/kita-report\.csv: FAILED$}m, 'and names the file');

# ---------------------------------------------------------------- refusals

my %before = map { $_ => slurp("$out/$_") } @files;
$r = $t->madoctl_exit(1, qr/\Q$out\E: the directory is not empty/, 'export over an export', 'export', $out);
is_deeply({ map { $_ => slurp("$out/$_") } @files }, \%before, 'it is left as it was');
ok(!-e "$out.partial", 'no DIR.partial made');

MadoTest::write_file("$dir/afile", "x\n");
$t->madoctl_exit(1, qr/afile: exists and is not a directory/, 'export to a file', 'export', "$dir/afile");

mkdir "$dir/left.partial" or die;
$t->madoctl_exit(1, qr/left\.partial exists: an export that was interrupted/,
                 'a DIR.partial left over', 'export', "$dir/left");
ok(!-e "$dir/left", 'no DIR made');

$t->madoctl_exit(3, qr/no store in|store .*: No such file/, 'export without a store',
                 'export', "$dir/nostore", { store => "$dir/none" });
ok(!-e "$dir/nostore" && !-e "$dir/nostore.partial", 'a failed export leaves neither DIR nor DIR.partial');

$t->madoctl_exit(3, qr/audit key/, 'export without the audit key', 'export', "$dir/nokey",
                 { env => { MADO_AUDIT_KEY => "$dir/none.key" } });
ok(!-e "$dir/nokey" && !-e "$dir/nokey.partial", 'nothing left without the key');

$t->madoctl_exit(2, qr/missing DIR/, 'export without DIR', 'export');

# an empty directory made for it will do
mkdir "$dir/empty" or die;
$r = $t->madoctl('export', "$dir/empty");
is($r->{exit}, 0, 'export into an empty directory');
ok(-f "$dir/empty/MANIFEST.sha256", 'it holds the export');
is((stat "$dir/empty")[2] & 07777, 0700, 'and is 0700');

# "DIR/": DIR.partial beside it, not in it
$r = $t->madoctl('export', "$dir/slash/");
is($r->{exit}, 0, 'export DIR/ (a trailing slash)') or diag($r->{err});
ok(-f "$dir/slash/MANIFEST.sha256" && !-e "$dir/slash.partial", 'the export is DIR');

# ---------------------------------------------------------------- verify failing

rename "$dir/audit.anchor", "$dir/audit.anchor.away" or die;
$r = $t->madoctl('export', "$dir/noanchor");
is($r->{exit}, 0, 'a trail that does not verify is exported all the same');
like($r->{err}, qr/warning: the audit trail or the accounts did not verify/, 'with a warning');
like(slurp("$dir/noanchor/audit-verify.txt"), qr/^FINDING: no audit anchor.*^result: FAILED/ms,
     'audit-verify.txt says why');
ok(!-e "$dir/noanchor/audit.anchor", 'no anchor to copy');
rename "$dir/audit.anchor.away", "$dir/audit.anchor" or die;

# ---------------------------------------------------------------- read-only store

SKIP: {
    skip 'needs root and mount namespaces (unshare -m)', 2
        unless MadoTest::is_root() && system('unshare -m true >/dev/null 2>&1') == 0;
    my @cmd = $t->madoctl_argv('export', "$dir/ro");
    my %env = $t->madoctl_env;
    local @ENV{ keys %env } = values %env;
    my $sh = "mount --bind '$store' '$store' && mount -o remount,bind,ro '$store' && "
             . "touch '$store/x' 2>/dev/null && exit 9; exec " . join(' ', map { "'$_'" } @cmd);
    my $o = `unshare -m sh -c "$sh" 2>&1`;
    is($? >> 8, 0, 'export of a store on a read-only mount') or diag($o);
    is(slurp("$dir/ro/audit.jsonl"), slurp("$dir/empty/audit.jsonl"),
       'the same trail');
}

# ---------------------------------------------------------------- a restored store

# a backup, a change after it, the backup restored: the trail exported is
# the backup's and the restore record, and it verifies (restore moved the
# anchor to that record); the accounts came back with the backup
{
    local $ENV{MADO_NOW} = '2026-11-26T09:00:00';
    my $json = JSON::PP->new->utf8;
    my $bk = "$dir/backups";
    mkdir $bk, 0700 or die;
    $t->madoctl_ok('backup', "$bk/before.mbk");
    my $before = $json->decode($t->madoctl_ok(qw(audit list --json)));
    my $seq = $before->[-1]{seq};
    $t->madoctl_ok(qw(set kita moving --message), 'after the backup');
    my ($aside) = $t->madoctl_ok('restore', "$bk/before.mbk") =~ /^the old store is kept in (\S+) /m;
    ok($aside && -d $aside, 'restored, the old store kept aside');

    my $x = "$dir/restored";
    $r = $t->madoctl('export', $x);
    is($r->{exit}, 0, 'export of a restored store: exit 0') or diag(MadoTest::text($r->{err}));
    unlike($r->{err}, qr/warning/, 'no warning');

    my @lines = map { $json->decode($_) } split /\n/, slurp("$x/audit.jsonl");
    is(scalar @lines, @$before + 1, 'audit.jsonl: the backup\'s trail and one record more');
    is_deeply([ @lines[0 .. $#lines - 1] ], $before, 'the records before it: the backup\'s, as they were');
    my $rec = $lines[-1]{record};
    is($lines[-1]{seq}, $seq + 1, 'the last: the record after the backup\'s last');
    is($rec->{action}, 'restore', 'it is the restore record');
    is($rec->{file}, "$bk/before.mbk", 'naming the backup');
    is($rec->{backup_audit_seq}, "$seq", 'and its last record');
    is($rec->{replaced_audit_seq}, $seq + 1 . '', 'the replaced store\'s last record (the change after the backup)');
    like($rec->{replaced_audit_mac}, qr/^[0-9a-f]{64}$/, 'and its MAC');
    is($rec->{store_aside}, $aside, 'and where the old store went');
    is_deeply($lines[-1], $json->decode($t->madoctl_ok(qw(audit list --json)))->[-1],
              'as audit list --json has it');

    my $v = slurp("$x/audit-verify.txt");
    like($v, qr/^audit trail intact: @{[ $seq + 1 ]} records$/m, 'audit-verify.txt: the trail intact, the restore record in it');
    like($v, qr/^compared with anchor \S+: head seq @{[ $seq + 1 ]} /m, 'audit-verify.txt: the anchor names the restore record');
    unlike($v, qr/^FINDING/m, 'audit-verify.txt: no finding');
    like($v, qr/^result: OK/m, 'audit-verify.txt: result OK');
    like(slurp("$x/README.txt"), qr/audit verification: OK/, 'README.txt: the verification OK');
    is(system("cd '$x' && sha256sum --quiet -c MANIFEST.sha256"), 0, 'its manifest checks');
}

$t->check_logs;

done_testing;
