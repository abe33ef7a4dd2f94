#!/usr/bin/perl

# madoctl load: a file with any error (syntax, missing names, bad numbers,
# duplicate or unknown ids, too many counters) is refused naming the place
# in the file, and changes nothing (show --json byte-identical); a good
# file loaded again keeps the live state, removes and adds counters.

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
my $OFFICES = MadoTest::offices_json();

$t->madoctl_ok('init');
$t->madoctl_ok('load', $OFFICES);

# ------------------------------------------------------------------ load validation

# deep copy of offices.json, changed by $mod, written to a file
sub broken {
    my ($name, $mod) = @_;
    my $d = MadoTest::read_json_file();
    $mod->($d);
    return MadoTest::write_json_file($t->dir . "/$name.json", $d);
}

{
    $t->madoctl_ok(qw(set kita moving --status open --waiting 4 --message), 'before');
    my $snap = $t->snapshot;

    my @cases;

    # syntax error: the file cut short
    {
        my $text = do { local (@ARGV, $/) = $OFFICES; <> };
        my $f = $t->dir . '/syntax.json';
        open my $fh, '>:raw', $f or die;
        print {$fh} substr($text, 0, int(length($text) / 2));
        close $fh;
        push @cases, [ 'syntax error (cut short)', $f, qr/.+/ ];
        $f = $t->dir . '/syntax2.json';
        open $fh, '>:raw', $f or die;
        (my $t2 = $text) =~ s/"kind": "ward",/"kind": "ward",,/;
        print {$fh} $t2;
        close $fh;
        push @cases, [ 'syntax error (double comma)', $f, qr/.+/ ];
    }
    push @cases, [ 'missing name.ja',
        broken('noja', sub { delete $_[0]{offices}[2]{name}{ja} }),
        qr/\$\.offices\[2\]\.name/ ];
    push @cases, [ 'missing counter name.ja',
        broken('noja2', sub { delete $_[0]{offices}[0]{counters}[3]{name}{ja} }),
        qr/\$\.offices\[0\]\.counters\[3\]/ ];
    push @cases, [ 'negative minutes_per_person',
        broken('mpp', sub { $_[0]{offices}[0]{counters}[1]{minutes_per_person} = -3 }),
        qr/\$\.offices\[0\]\.counters\[1\]/ ];
    push @cases, [ 'minutes_per_person a string',
        broken('mpp2', sub { $_[0]{offices}[7]{counters}[2]{minutes_per_person} = 'fast' }),
        qr/\$\.offices\[7\]\.counters\[2\]/ ];
    push @cases, [ 'duplicate counter id',
        broken('dupc', sub { $_[0]{offices}[1]{counters}[2]{id} = $_[0]{offices}[1]{counters}[0]{id} }),
        qr/\$\.offices\[1\]\.counters\[[02]\]/ ];
    push @cases, [ 'unknown key in an office',
        broken('unk', sub { $_[0]{offices}[3]{colour} = 'red' }),
        qr/\$\.offices\[3\]/ ];
    push @cases, [ 'unknown key in a counter',
        broken('unk2', sub { $_[0]{offices}[9]{counters}[0]{colour} = 'red' }),
        qr/\$\.offices\[9\]\.counters\[0\]/ ];
    push @cases, [ 'neighbour that does not exist',
        broken('nb', sub { $_[0]{offices}[4]{neighbours}[1] = 'atlantis' }),
        qr/\$\.offices\[4\]\.neighbours/ ];
    push @cases, [ 'bad counter id',
        broken('badid', sub { $_[0]{offices}[5]{counters}[1]{id} = 'Bad Id' }),
        qr/\$\.offices\[5\]\.counters\[1\]/ ];
    push @cases, [ 'duplicate office id',
        broken('dupo', sub { $_[0]{offices}[13]{id} = 'kita' }),
        qr/\$\.offices\[\d+\]/ ];
    push @cases, [ 'too many counters',
        broken('many', sub {
            my $c = $_[0]{offices}[0]{counters};
            push @$c, map { { %{ $c->[0] }, id => "extra$_" } } 1 .. 13;    # 17
        }),
        qr/\$\.offices\[0\]\.counters/ ];
    push @cases, [ 'top level not an object',
        do { my $f = $t->dir . '/array.json'; open my $fh, '>', $f; print {$fh} "[]\n"; close $fh; $f },
        qr/\$/ ];

    for my $c (@cases) {
        my ($name, $file, $re) = @$c;
        my $r = $t->madoctl('load', $file);
        is($r->{exit}, 1, "load, $name: exit 1") or diag(MadoTest::text("stderr: $r->{err}"));
        like($r->{err}, $re, "load, $name: stderr names the place") or diag(MadoTest::text("stderr: $r->{err}"));
        is($t->snapshot, $snap, "load, $name: show --json byte-identical");
    }

    my $r = $t->madoctl('load', $t->dir . '/no-such-file.json');
    is($r->{exit}, 1, 'load a missing file: exit 1') or diag(MadoTest::text($r->{err}));
    like($r->{err}, qr/no-such-file\.json/, 'load a missing file: names the file');
    is($t->snapshot, $snap, 'load a missing file: nothing changed');

    # standard input
    $r = $t->madoctl('load', '-', { stdin => do { local (@ARGV, $/) = $OFFICES; <> } });
    is($r->{exit}, 0, 'load - reads standard input') or diag(MadoTest::text($r->{err}));
}

# ------------------------------------------------------------------ load keeps state, removes and adds

{
    $t->madoctl_ok(qw(set kita moving --status open --waiting 5 --calling 3 --last-issued 8 --message), 'hello');
    $t->madoctl_ok(qw(set kita certificates --status open --waiting 4 --last-issued 4));
    my $keep = $t->counter_state('kita', 'moving');

    $t->madoctl_ok('load', $OFFICES);
    my $again = $t->counter_state('kita', 'moving');
    is_deeply({ map { $_ => $again->{$_} } qw(status waiting calling last_issued message updated_at) },
              { map { $_ => $keep->{$_} } qw(status waiting calling last_issued message updated_at) },
              'load twice: live state kept');

    my $f = broken('changed', sub {
        my $k = $_[0]{offices}[0];
        $k->{counters} = [ grep { $_->{id} ne 'certificates' } @{ $k->{counters} } ];
        push @{ $k->{counters} }, {
            id => 'pension',
            name => { ja => '国民年金', en => 'National Pension' },
            minutes_per_person => 10,
        };
    });
    $t->madoctl_ok('load', $f);
    my $d = $t->show_json;
    ok(!MadoTest::find_counter($d, 'kita', 'certificates'), 'a counter removed from the file is gone');
    my $p = MadoTest::find_counter($d, 'kita', 'pension');
    ok($p, 'a new counter appears');
    is($p && $p->{status}, 'closed', 'the new counter is closed');
    is($p && $p->{waiting}, 0, 'the new counter has nobody waiting');
    is(MadoTest::find_counter($d, 'kita', 'moving')->{waiting}, 5, 'the others keep their state');
    is_deeply([ map { $_->{id} } @{ MadoTest::find_office($d, 'kita')->{counters} } ],
        [qw(moving family mynumber pension)], 'counters in the new file order');

    $t->madoctl_ok('load', $OFFICES);
    my $c = $t->counter_state('kita', 'certificates');
    is($c && $c->{status}, 'closed', 'a counter defined again starts closed (old state was removed)');
    is($c && $c->{waiting}, 0, 'a counter defined again starts with nobody waiting');
}

$t->check_logs;

done_testing;
