#!/usr/bin/perl

# madoctl simulate over a store a fed history left as the demo's does:
# people still counted as waiting hold numbers before the one called
# (absentees).  The simulated staff never call a number that was not
# issued: after every run, each counter's calling is 0 or a number of its
# ticket_range that is last_issued or before it, going round the range.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T10:00:00+09:00';      # a Friday morning

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
my $conf = MadoTest::read_json_file();

# at every counter 30 numbers issued from 09:01, every third called: the
# last number is called, and the 20 never called wait still
my $json = JSON::PP->new->canonical;
for my $o (@{ $conf->{offices} }) {
    my @lines;
    for my $c (@{ $o->{counters} }) {
        my ($first) = @{ $c->{ticket_range} || [1, 9999] };
        for my $i (0 .. 29) {
            my $n = $first + $i;
            push @lines, [ sprintf('09:%02d:00', 1 + $i), 'issue', $c->{id}, $n ];
            push @lines, [ sprintf('09:%02d:%02d', 31 + int($i / 6), $i % 6 * 10), 'call', $c->{id}, $n ]
                if $i % 3 == 2;
        }
    }
    MadoTest::write_file("$dir/$o->{id}.jsonl", join '', map {
        $json->encode({ time => "2026-11-27T$_->[0]+09:00", event => $_->[1],
                        counter => $_->[2], ticket => $_->[3] }) . "\n" } @lines);
    $t->madoctl_ok(qw(feed --format jsonl --quiet --office), $o->{id}, "$dir/$o->{id}.jsonl");
}

my $fed = MadoTest::find_counter(scalar $t->show_json, 'kita', 'moving');
is(join(' ', @$fed{qw(waiting calling last_issued)}), '20 30 30',
   'fed: 20 waiting, all with numbers before the one called');

# a comes after b going round first..last (the library's mado_ticket_after)
sub after {
    my ($first, $last, $a, $b) = @_;
    return 1 if $b < $first || $b > $last;
    my $r = $last - $first + 1;
    my $d = ($a - $b) % $r;
    return $d != 0 && $d < int(($r + 1) / 2);
}

# every counter: calling none or issued, last_issued none or in the range
sub check {
    my ($what) = @_;
    my $d = $t->show_json;
    my (@bad, $absentees);
    for my $o (@{ $conf->{offices} }) {
        for my $cd (@{ $o->{counters} }) {
            my ($first, $last) = @{ $cd->{ticket_range} || [1, 9999] };
            my $c = MadoTest::find_counter($d, $o->{id}, $cd->{id}) or next;
            my ($calling, $issued) = @$c{qw(calling last_issued)};
            push @bad, "$o->{id}/$cd->{id}: calling $calling, last_issued $issued"
                if ($issued != 0 && ($issued < $first || $issued > $last))
                || ($calling != 0 && ($calling < $first || $calling > $last
                                      || after($first, $last, $calling, $issued)));
        }
    }
    is_deeply(\@bad, [], "$what: every counter calls a number that was issued, in its ticket_range");
}

check('fed');

for my $seed (1 .. 3) {
    my $r = $t->madoctl(qw(simulate --duration 1 --interval 0.1 --speed 3000 --seed), $seed, { timeout => 30 });
    is($r->{exit}, 0, "simulate --seed $seed: exit 0") or diag(MadoTest::text($r->{err}));
    check("after simulate --seed $seed");
}

$t->check_logs;

done_testing;
