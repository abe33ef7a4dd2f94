#!/usr/bin/perl

# The audit trail: every write appends a record in its transaction (and a
# refused one none); "madoctl audit list" shows them; "madoctl audit
# verify" passes an untouched trail and names the first broken record
# after each kind of tampering, done to the LMDB file itself with
# mdb_dump/mdb_load (lmdb-utils): a record altered (put back in clear, or
# a byte of it sealed changed), moved, removed, inserted, the tail cut, a
# record forged at the end, the head altered.  Writes without the key
# (missing, readable by others) are refused.
#
# The anchor beside the key (audit.anchor) catches what the chain alone
# cannot: the whole trail wiped with its head, and the newest records cut
# with an older copy's head put back.  Verify names the anchor and what it
# compared; no anchor, or one others may write, fails verify and refuses
# writes; "audit anchor" makes one (upgrades) and with --reset replaces
# one the store does not match; init does not start a new store over an
# anchor that names records.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(encode_utf8);
use File::Path qw(remove_tree);
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

plan skip_all => 'mdb_dump and mdb_load (lmdb-utils) are needed'
    unless -x '/usr/bin/mdb_dump' && -x '/usr/bin/mdb_load';

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T10:00:00+09:00';

my $r = $t->madoctl('init');
is($r->{exit}, 0, 'init: exit 0');
like($r->{out}, qr/created audit key \Q$dir\E\/audit\.key/, 'init makes the audit key');
is((stat "$dir/audit.key")[2] & 0777, 0600, 'the key is 0600');
is((stat "$dir/audit.anchor")[2] & 0777, 0600, 'init makes the anchor beside it, 0600');

$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 3 --message), encode_utf8('ただいま混雑'));
$t->madoctl_ok(qw(issue kita moving));
$t->madoctl_ok(qw(call kita moving));
my $head5 = head_hex();                           # an older copy's head
$r = $t->madoctl(qw(issue kita family));          # closed: refused
is($r->{exit}, 1, 'a refused write: exit 1');
open my $fh, '>', "$dir/m.log" or die;
print {$fh} "20261127,09:00:00,0,21,1\n20261127,09:05:00,1,21,1\n";
close $fh;
$t->madoctl_ok(qw(feed --office sakyo --format voicecall), "$dir/m.log");

sub records {
    my (@filter) = @_;
    my $r = $t->madoctl(qw(audit list --json), @filter);
    is($r->{exit}, 0, "audit list @filter: exit 0") or diag($r->{err});
    return JSON::PP->new->utf8->decode($r->{out});
}

my $all = records();
is_deeply([ map { $_->{record}{action} } @$all ], [qw(init load set issue call feed)],
          'one record per write, none for the refused one');
is_deeply([ map { $_->{seq} } @$all ], [1 .. 6], 'numbered from 1');
my $set = $all->[2]{record};
is($set->{office}, 'kita', 'set: office');
is($set->{counter}, 'moving', 'set: counter');
is($set->{before}{status}, 'closed', 'set: status before');
is($set->{after}{status}, 'open', 'set: status after');
is($set->{after}{waiting}, 3, 'set: waiting after');
is($set->{after}{message}, 'ただいま混雑', 'set: the message, as UTF-8');
like($set->{actor}, qr/^os:\S+/, 'the actor is the OS user');
is($set->{client}, 'local', 'the client is local');
is($set->{time}, '2026-11-27T10:00:00+09:00', 'the time, Japan time');
is($all->[5]{record}{lines}, '1-2', 'feed: the lines of the batch');
is($all->[5]{record}{after}{served_today}, 1, 'feed: the counter after');

is(scalar @{ records(qw(--office kita --action set)) }, 1, 'list --office --action filters');
is(scalar @{ records(qw(--from 2026-11-28)) }, 0, 'list --from filters by day');
$r = $t->madoctl(qw(audit list));
like($r->{out}, qr/^3  2026-11-27T10:00:00\+09:00  os:\S+  set  kita\/moving  status "closed"->"open"  waiting 0->3/m,
     'audit list: a line per record with what changed');

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'verify: exit 0');
like($r->{out}, qr/audit trail intact: 6 records/, 'verify: intact, 6 records');
like($r->{out}, qr/^compared with anchor \Q$dir\E\/audit\.anchor: head seq 6 at 2026-11-27T10:00:00\+09:00$/m,
     'verify: says the anchor it compared with, its record and time');

# ------------------------------------------------------------ tampering

# the store as mdb_dump sees it, edited by $edit (on the audit pairs and
# the meta pairs, as [key hex, value hex]), loaded into a new store
sub tampered {
    my ($name, $edit) = @_;
    my $dump = `mdb_dump -a $dir/store`;
    die "mdb_dump failed" if $?;
    my @sections = split /(?=^VERSION=)/m, $dump;
    my %pairs;
    for my $s (@sections) {
        my ($db) = $s =~ /^database=(\w+)$/m or next;
        my ($data) = $s =~ /HEADER=END\n(.*)DATA=END/s;
        my @l = grep { length } split /\n/, $data;
        $pairs{$db} = [ map { [ substr($l[2 * $_], 1), substr($l[2 * $_ + 1], 1) ] } 0 .. @l / 2 - 1 ];
    }
    $edit->($pairs{audit}, $pairs{meta});
    for my $s (@sections) {
        my ($db) = $s =~ /^database=(\w+)$/m or next;
        next unless $db eq 'audit' || $db eq 'meta';
        my $data = join '', map { " $_->[0]\n $_->[1]\n" } @{ $pairs{$db} };
        $s =~ s/(HEADER=END\n).*(DATA=END)/$1$data$2/s;
    }
    my $out = "$dir/t-$name";
    remove_tree($out);
    mkdir $out or die;
    open my $o, '|-', "mdb_load -f /dev/stdin $out 2>/dev/null" or die;
    print {$o} join '', @sections;
    close $o;
    return $out;
}

sub verify_at {
    my ($store) = @_;
    my $r = $t->madoctl(qw(audit verify), { store => $store });
    return ($r->{exit}, $r->{err}, $r->{out});
}

# the audit head of the store now, as mdb_dump shows it (hex)
sub head_hex {
    my $dump = `mdb_dump -s meta $dir/store`;
    die "mdb_dump failed" if $?;
    my ($data) = $dump =~ /HEADER=END\n(.*)DATA=END/s;
    my @l = map { substr($_, 1) } grep { length } split /\n/, $data;
    my %m = @l;
    return $m{ unpack 'H*', 'audit_head' } // die 'no audit head';
}

sub hex_of { unpack 'H*', $_[0] }
sub unhex { pack 'H*', $_[0] }

{
    # records are sealed: without the key a record can only be put back
    # in clear (as schema 1 kept it), altered, with its MAC
    my $s = tampered('alter', sub {
        my ($a) = @_;
        my $v = unhex($a->[2][1]);
        my $json = $t->unseal(substr($v, 32));
        $json =~ s/"waiting":3/"waiting":9/ or die 'no waiting in record 3';
        $a->[2][1] = hex_of(substr($v, 0, 32) . $json);
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'altered record: verify exit 1');
    like($err, qr/broken at record 3: record 3 does not match its MAC \(altered/, 'altered record: record 3 named');
}

{
    # or a byte of the sealed record changed
    my $s = tampered('flip', sub {
        my ($a) = @_;
        my $v = unhex($a->[2][1]);
        substr($v, 60, 1) ^= "\x01";
        $a->[2][1] = hex_of($v);
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'a sealed byte changed: verify exit 1');
    like($err, qr/broken at record 3: record 3 does not open under the key \(altered/,
         'a sealed byte changed: record 3 named');
    my $r = $t->madoctl(qw(audit list), { store => $s });
    like($r->{out}, qr/^3\t\(a sealed record that does not open/m, 'audit list shows it as such');
}

{
    # or a sealed record put in another's place
    my $s = tampered('move', sub {
        my ($a) = @_;
        $a->[2][1] = $a->[3][1];
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'a sealed record moved: verify exit 1');
    like($err, qr/broken at record 3: record 3 does not open/, 'a sealed record moved: record 3 named');
}

{
    my $s = tampered('remove', sub { splice(@{ $_[0] }, 3, 1) });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'removed record: verify exit 1');
    like($err, qr/broken at record 4: record 4 is missing/, 'removed record: record 4 named');
}

{
    # a forged record 4, the later ones renumbered behind it
    my $s = tampered('insert', sub {
        my ($a) = @_;
        my $json = '{"time":"2026-11-27T10:00:00+09:00","actor":"os:nobody","client":"local","action":"set"}';
        for my $p (@$a[3 .. $#$a]) { $p->[0] = sprintf('%016x', hex($p->[0]) + 1) }
        splice(@$a, 3, 0, [ '0000000000000004', ('00' x 32) . hex_of($json) ]);
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'inserted record: verify exit 1');
    like($err, qr/broken at record 4: .*(altered|inserted)/, 'inserted record: record 4 named');
}

{
    my $s = tampered('cut', sub { pop @{ $_[0] } });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'cut tail: verify exit 1');
    like($err, qr/ends at record 5 but its head names record 6/, 'cut tail: named');
}

{
    my $s = tampered('append', sub {
        my ($a) = @_;
        push @$a, [ '0000000000000007', $a->[-1][1] ];
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'a record added at the end: verify exit 1');
    like($err, qr/broken at record 7/, 'a record added at the end: named');
}

{
    my $s = tampered('head', sub {
        my (undef, $m) = @_;
        my ($h) = grep { unhex($_->[0]) eq 'audit_head' } @$m or die 'no head';
        # the head names record 5 with record 5's MAC, without the key
        my $v = unhex($h->[1]);
        substr($v, 0, 8) = pack('Q>', 5);
        $h->[1] = hex_of($v);
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'altered head: verify exit 1');
    like($err, qr/head does not match its MAC/, 'altered head: named');
}

{
    my $s = tampered('none', sub { });
    my ($exit, $err) = verify_at($s);
    is($exit, 0, 'a dump and load without changes still verifies') or diag($err);
}

# ------------------------------------------------------------ the anchor

my $anchor = "$dir/audit.anchor";

{
    # every record and the head gone: the chain alone says "0 records"
    my $s = tampered('wipe', sub {
        my ($a, $m) = @_;
        @$a = ();
        @$m = grep { unhex($_->[0]) ne 'audit_head' } @$m;
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'trail and head wiped: verify exit 1');
    like($err, qr/does not reach its anchor \Q$anchor\E: the store's trail ends at record 0 but the anchor names record 6 of 2026-11-27T10:00:00\+09:00/,
         'trail wiped: the anchor named, with its record');
}

{
    # the newest record cut and the head of the copy of before it put back:
    # a shorter chain that is whole
    my $s = tampered('restore', sub {
        my ($a, $m) = @_;
        pop @$a;
        my ($h) = grep { unhex($_->[0]) eq 'audit_head' } @$m or die 'no head';
        $h->[1] = $head5;
    });
    my ($exit, $err) = verify_at($s);
    is($exit, 1, 'tail cut, an older head put back: verify exit 1');
    like($err, qr/does not reach its anchor \Q$anchor\E: the store's trail ends at record 5 but the anchor names record 6/,
         'tail cut with an old head: named');
    unlike($err, qr/broken at record/, 'the chain itself is whole: only the anchor tells');

    $r = $t->madoctl(qw(audit anchor), { store => $s });
    is($r->{exit}, 1, 'audit anchor over an anchor the store does not match: refused');
    like($r->{err}, qr/does not match the audit anchor .*"--reset"/, 'refused: --reset said');
}

{
    # a crash between a commit and its anchor: the store is ahead
    my $saved = $t->read_file('audit.anchor');
    $t->madoctl_ok(qw(set kita moving --waiting 4));
    open my $fh, '>', $anchor or die;
    print {$fh} $saved;
    close $fh;
    my ($exit, $err, $out) = verify_at("$dir/store");
    is($exit, 0, 'records after the anchor (chained under the key): verify exit 0') or diag($err);
    like($out, qr/head seq 6 .*\n.*1 record after it/, 'the records after the anchor are said');
    $t->madoctl_ok(qw(set kita moving --waiting 3));
    ($exit, $err, $out) = verify_at("$dir/store");
    like($out, qr/head seq 8 at/, 'the next write moves the anchor');
}

{
    chmod 0620, $anchor;
    $r = $t->madoctl(qw(set kita moving --waiting 5));
    is($r->{exit}, 3, 'an anchor others may write: writes refused (exit 3)');
    like($r->{err}, qr/audit anchor \Q$anchor\E must not be writable by group or others/, 'said');
    my ($exit, $err) = verify_at("$dir/store");
    is($exit, 1, 'an anchor others may write: verify exit 1');
    chmod 0600, $anchor;
}

{
    # an upgrade: a store with a trail but no anchor yet
    rename $anchor, "$anchor.away" or die;
    my ($exit, $err) = verify_at("$dir/store");
    is($exit, 1, 'no anchor: verify exit 1');
    like($err, qr/no audit anchor: .*\Q$anchor\E.*madoctl audit anchor/, 'no anchor: said, and how to make one');
    my $before = $t->madoctl(qw(show --json))->{out};
    $r = $t->madoctl(qw(set kita moving --waiting 7));
    is($r->{exit}, 3, 'no anchor: a write is refused (exit 3)');
    like($r->{err}, qr/audit anchor \Q$anchor\E: No such file.*madoctl audit anchor/, 'no anchor: the file named');
    is($t->madoctl(qw(show --json))->{out}, $before, 'no anchor: nothing written');
    $r = $t->madoctl('init');
    like($r->{err}, qr/no audit anchor \Q$anchor\E yet/, 'init on a ready store says the anchor is missing');

    $r = $t->madoctl(qw(audit anchor));
    is($r->{exit}, 0, 'audit anchor: exit 0') or diag($r->{err});
    like($r->{out}, qr/anchored the audit trail at record 9 in \Q$anchor\E/, 'audit anchor: the record it names');
    is((stat $anchor)[2] & 0777, 0600, 'the anchor made is 0600');
    my ($rec) = grep { $_->{action} eq 'audit.anchor' } @{ $t->audit_records };
    is($rec->{replaced}, 'none', 'audit anchor is audited: it replaced no anchor');
    ($exit, $err) = verify_at("$dir/store");
    is($exit, 0, 'verify after audit anchor: exit 0') or diag($err);
    unlink "$anchor.away";
}

{
    # a backup put back on purpose: --reset anchors it, on the record
    my $s = "$dir/t-restore";
    $r = $t->madoctl(qw(audit anchor --reset), { store => $s });
    is($r->{exit}, 0, 'audit anchor --reset: exit 0') or diag($r->{err});
    my ($exit, $err) = verify_at($s);
    is($exit, 0, 'the store put back verifies against the new anchor') or diag($err);
    my $recs = $t->audit_records({ store => $s });
    like($recs->[-1]{replaced}, qr/^record 9 of /, 'the audit record says which anchor was replaced');
    ($exit, $err) = verify_at("$dir/store");
    is($exit, 1, 'the other store no longer matches the anchor');
    like($err, qr/record 6 is not the one the anchor names/, 'another trail at the anchor\'s record: said');

    # a new store over an anchor that names records: it anchored a store
    # that is gone
    $r = $t->madoctl('init', { store => "$dir/fresh" });
    is($r->{exit}, 1, 'init of a new store over an anchor naming records: refused');
    like($r->{err}, qr/audit anchor \Q$anchor\E names record 6 of .*move the anchor away/, 'refused: said why');
    ok(!-e "$dir/fresh/data.mdb", 'no store made');
}

# ------------------------------------------------------------ the key

{
    open my $k, '>', "$dir/other.key" or die;
    print {$k} ('ab' x 32) . "\n";
    close $k;
    chmod 0600, "$dir/other.key";
    my $r = $t->madoctl(qw(audit verify), { env => { MADO_AUDIT_KEY => "$dir/other.key" } });
    is($r->{exit}, 1, 'another key: verify exit 1');
    like($r->{err}, qr/broken at record 1/, 'another key: record 1');

    my $before = $t->madoctl(qw(show --json))->{out};
    $r = $t->madoctl(qw(set kita moving --waiting 7), { env => { MADO_AUDIT_KEY => "$dir/none.key" } });
    is($r->{exit}, 3, 'no key: a write is refused (exit 3)');
    like($r->{err}, qr/audit key \Q$dir\E\/none\.key/, 'no key: the key named');
    is($t->madoctl(qw(show --json))->{out}, $before, 'no key: nothing written');

    chmod 0644, "$dir/other.key";
    $r = $t->madoctl(qw(set kita moving --waiting 7), { env => { MADO_AUDIT_KEY => "$dir/other.key" } });
    is($r->{exit}, 3, 'a key readable by others: refused');
    like($r->{err}, qr/must be mode 0600/, 'a key readable by others: said');

    $r = $t->madoctl('init');
    is($r->{exit}, 0, 'init on a ready store with its key: exit 0');
    unlike($r->{out}, qr/created audit key/, 'init never replaces a key');
}

$t->check_logs;
done_testing;
