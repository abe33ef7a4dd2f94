#!/usr/bin/perl

# madoctl set: every option and its bounds; a refused value exits 1 naming
# the option and changes nothing (show --json byte-identical); the largest
# values and messages that fit are taken; one field changes the others not.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = 1900000000;            # fixed clock for byte-identical snapshots

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

# ------------------------------------------------------------------ 1: refused, naming the field

my $before = $t->snapshot;
my @refused = (
    [ '--waiting',     qw(set kita moving --waiting -1) ],
    [ '--waiting',     qw(set kita moving --waiting abc) ],
    [ '--waiting',     qw(set kita moving --waiting 1x) ],
    [ '--waiting',     qw(set kita moving --waiting), '' ],
    [ '--waiting',     qw(set kita moving --waiting 10000) ],
    [ '--waiting',     qw(set kita moving --waiting 99999999999999999999) ],
    [ '--calling',     qw(set kita moving --calling -5) ],
    [ '--calling',     qw(set kita moving --calling 10000) ],
    [ '--last-issued', qw(set kita moving --last-issued zz) ],
    [ '--last-issued', qw(set kita moving --last-issued 10000) ],
    # kita/moving's ticket_range is 1..300
    [ '--calling',     qw(set kita moving --calling 301) ],
    [ '--last-issued', qw(set kita moving --last-issued 301) ],
    # a number is called after it is issued
    [ '--calling',     qw(set kita moving --calling 5 --last-issued 3) ],
    [ '--staff',       qw(set kita moving --staff -1) ],
    [ '--staff',       qw(set kita moving --staff 100) ],
    [ '--status',      qw(set kita moving --status bogus) ],
    [ '--status',      qw(set kita moving --status), '' ],
    [ '--message',     qw(set kita moving --message), 'x' x 281 ],
    [ '--message',     qw(set kita moving --message), 'あ' x 94 ],      # 282 bytes
    [ '--message',     qw(set kita moving --message), "line\nbreak" ],
    [ '--message',     qw(set kita moving --message), "tab\there" ],
    [ 'nosuch',        qw(set nosuch moving --waiting 1) ],
    [ 'nosuch',        qw(set kita nosuch --waiting 1) ],
    [ 'KITA',          qw(set KITA! moving --waiting 1) ],
    [ 'nosuch',        qw(issue nosuch moving) ],
    [ 'nosuch',        qw(call kita nosuch) ],
    [ 'nosuch',        qw(cancel nosuch moving 1) ],
    [ 'closed',        qw(issue kita moving) ],           # closed counters take no tickets
    [ 'closed',        qw(call kita moving) ],
);
for my $case (@refused) {
    my ($field, @args) = @$case;
    my $show = join ' ', map { length > 30 ? substr($_, 0, 12) . '...' : $_ } @args;
    $show =~ s/([[:cntrl:]])/sprintf("\\x%02x", ord $1)/ge;
    my $r = $t->madoctl(@args);
    is($r->{exit}, 1, "refused: $show -> exit 1") or diag(MadoTest::text("stdout: $r->{out}\nstderr: $r->{err}"));
    like($r->{err}, qr/\Q$field\E/i, "refused: $show -> stderr names $field") or diag(MadoTest::text($r->{err}));
}
{
    # invalid UTF-8 can only be passed as bytes
    my $r = $t->madoctl(qw(set kita moving --message), "\xff\xfe bad");
    is($r->{exit}, 1, 'refused: invalid UTF-8 message -> exit 1');
    like($r->{err}, qr/--message/, 'refused: invalid UTF-8 message names --message');
}
is($t->snapshot, $before, 'nothing changed by the refused commands');

# boundaries that are fine
$t->madoctl_ok(qw(set kita moving --waiting 9999 --calling 300 --last-issued 300 --staff 99));
$t->madoctl_ok(qw(set kita moving --message), 'あ' x 93);      # 279 bytes
$t->madoctl_ok(qw(set kita moving --message), 'x' x 280);
is($t->counter_state('kita', 'moving')->{message}, 'x' x 280, '280-byte message kept whole');

# ------------------------------------------------------------------ set

my $msg = '窓口混雑中 "quoted" \\ <b>';
my $r = $t->madoctl(qw(set kita moving --status open --waiting 5 --calling 3 --last-issued 8 --staff 2 --message), $msg);
is($r->{exit}, 0, 'set with every option') or diag(MadoTest::text($r->{err}));
my $c = $t->counter_state('kita', 'moving');
is($c->{status}, 'open', 'set: status');
is($c->{waiting}, 5, 'set: waiting');
is($c->{calling}, 3, 'set: calling');
is($c->{last_issued}, 8, 'set: last_issued');
is($c->{staff}, 2, 'set: staff') if exists $c->{staff};
is($c->{message}, $msg, 'set: message (UTF-8, quotes, backslash)');
is($c->{updated_at}, '2030-03-18T02:46:40+09:00', 'set: updated_at from MADO_NOW, in JST');

$t->madoctl_ok(qw(set kita moving --waiting 6));
$c = $t->counter_state('kita', 'moving');
is($c->{waiting}, 6, 'set one field');
is($c->{calling}, 3, 'other fields kept');
is($c->{message}, $msg, 'message kept');

$t->madoctl_ok(qw(set kita moving --message), '');
$c = $t->counter_state('kita', 'moving');
ok(!defined $c->{message} || $c->{message} eq '', 'set --message "" clears it');

for my $st (qw(paused ended closed open)) {
    $t->madoctl_ok('set', 'kita', 'moving', '--status', $st);
    is($t->counter_state('kita', 'moving')->{status}, $st, "set --status $st");
}

$r = $t->madoctl(qw(set kita moving --waiting 1), { env => { MADO_NOW => '2026-11-27T09:30:00+09:00' } });
is($r->{exit}, 0, 'MADO_NOW in ISO 8601');
is($t->counter_state('kita', 'moving')->{updated_at}, '2026-11-27T09:30:00+09:00', 'ISO MADO_NOW taken');

$t->check_logs;

done_testing;
