#!/usr/bin/perl

# madoctl load of deeply nested JSON (issue 13, finding 10): a million "["
# is refused with a sentence (exit 1, "nests deeper than 32"), not a stack
# overflow, and the store is unchanged; brackets inside strings are text,
# so an offices.json whose names are full of them loads.  A feed's jsonl
# line nesting deep is a bad line named as such.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;
use MadoTest::Feed qw(summary_of madoctl_feed);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T12:00:00+09:00';

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 4));
my $snap = $t->snapshot;

# ------------------------------------------------------------ deep nesting

for my $c ([ 'a million [', '[' x 1_000_000 ],
           [ 'a million [ closed', ('[' x 1_000_000) . (']' x 1_000_000) ],
           [ 'a million {"a":', ('{"a":' x 1_000_000) . '1' . ('}' x 1_000_000) ],
           [ 'offices nesting 33 deep', '{"offices": [' . ('[' x 31) . (']' x 31) . ']}' ])
{
    my ($name, $text) = @$c;
    my $f = "$dir/deep.json";
    MadoTest::write_file($f, $text);
    my $r = $t->madoctl('load', $f);
    ok(!$r->{signal}, "load, $name: no crash") or diag(MadoTest::text(substr($r->{err}, 0, 2000)));
    is($r->{exit}, 1, "load, $name: exit 1");
    like($r->{err}, qr/\$: nests deeper than 32/, "load, $name: says it nests too deep")
        or diag(MadoTest::text(substr($r->{err}, 0, 2000)));
    is($t->snapshot, $snap, "load, $name: the store is unchanged");
}

# 32 deep is JSON the reader takes (then offices.json's rules refuse it)
{
    my $f = "$dir/deep32.json";
    MadoTest::write_file($f, '{"offices": [' . ('[' x 30) . (']' x 30) . ']}');
    my $r = $t->madoctl('load', $f);
    is($r->{exit}, 1, 'load, 32 deep: exit 1');
    like($r->{err}, qr/\$\.offices\[0\]/, 'load, 32 deep: refused by the rules, naming the place');
}

# ------------------------------------------------------------ brackets in strings

{
    my $d = MadoTest::read_json_file();
    my $kita = MadoTest::find_office($d, 'kita');
    $kita->{name}{en} = '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ Kita {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{';
    $kita->{counters}[0]{name}{ja} = ']]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] 引越し';
    my $f = MadoTest::write_json_file("$dir/brackets.json", $d);
    $t->madoctl_ok('load', $f);
    my $show = $t->show_json('kita');
    my $o = MadoTest::find_office($show, 'kita') // {};
    is(($o->{name} // {})->{en}, $kita->{name}{en}, 'an office name of brackets loads and shows');
}

# ------------------------------------------------------------ a feed line

{
    my $f = "$dir/deep.jsonl";
    MadoTest::write_file($f, ('[' x 2000) . (']' x 2000) . "\n"
                             . '{"time": 1795748400, "event": "issue", "counter": "moving", '
                             . '"ticket": 5, "note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}' . "\n");
    my $r = madoctl_feed($t, 'kita', 'jsonl', $f);
    is($r->{exit}, 0, 'feed: exit 0') or diag(MadoTest::text($r->{err}));
    like($r->{err}, qr/deep\.jsonl:1: nests deeper than 32/, 'feed: a deep line is named');
    is(summary_of($r)->{bad}, 1, 'feed: that line only is bad (brackets in a string are text)');
}

$t->check_logs;

done_testing;
