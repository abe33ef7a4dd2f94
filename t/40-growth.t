#!/usr/bin/perl

# The store outgrows its map while nginx is running: madoctl doubles the
# map, and the workers (which opened the store at the small size) must
# adopt the new size (MDB_MAP_RESIZED) and keep answering with fresh data.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(encode_utf8);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
my $data = $t->store . '/data.mdb';

$t->madoctl_ok(qw(init --map-size 65536));
my $small = MadoTest::generated_offices(offices => 14);
$t->madoctl_ok('load', MadoTest::write_json_file($t->dir . '/step0.json', $small));
$t->write_config('mado_stale_after 15m;');
$t->start;

# enough requests to reach both workers, most likely
sub check_all {
    my ($step, $noffices, $last_office, $msg) = @_;
    my ($bad, $wrong) = (0, 0);
    my @diag;
    for my $i (1 .. 8) {
        my ($r, $d) = $t->get_json($i % 2 ? '/api/v1/offices' : '/api/v1/offices/kita');
        if ($r->{status} != 200) {
            $bad++;
            push @diag, "status $r->{status}: " . substr($r->{body}, 0, 300);
            next;
        }
        my $c = MadoTest::find_counter($d, 'kita', 'moving') || {};
        $wrong++, push @diag, 'message: ' . ($c->{message} // 'null')
            unless ($c->{message} // '') eq $msg;
        if ($i % 2) {
            my $n = scalar @{ $d->{offices} || [] };
            $wrong++, push @diag, "$n offices" unless $n == $noffices;
        }
    }
    is($bad, 0, "$step: every GET 200") or diag(MadoTest::text(join "\n", @diag));
    is($wrong, 0, "$step: every GET shows the latest write ($noffices offices)") or diag(MadoTest::text(join "\n", @diag));

    my ($r) = $t->get_json("/api/v1/offices/$last_office");
    is($r->{status}, 200, "$step: GET /api/v1/offices/$last_office");
}

$t->madoctl_ok(qw(set kita moving --status open --message), 'step 0');
check_all('start', 14, 'rakusai', 'step 0');
my $size0 = -s $data;
diag(MadoTest::text("data.mdb: $size0 bytes at the start"));

# each step loads more and longer definitions, then sets a long message
my @steps = (
    [ 24,  8, 150 ],
    [ 40, 12, 200 ],
    [ 64, 16, 200 ],
);
my $i = 0;
my @sizes = ($size0);
for my $s (@steps) {
    $i++;
    my ($no, $nc, $len) = @$s;
    my $big = MadoTest::generated_offices(offices => $no, counters => $nc, text => $len);
    $t->madoctl_ok('load', MadoTest::write_json_file($t->dir . "/step$i.json", $big));
    my $msg = "step $i " . ('混雑しています' x 12);       # 7 + 252 bytes
    $t->madoctl_ok(qw(set kita moving --message), encode_utf8($msg));
    # and long messages at the new counters
    my $fails = 0;
    for my $o (@{ $big->{offices} }[-3 .. -1]) {
        for my $c (@{ $o->{counters} }) {
            my $r = $t->madoctl('set', $o->{id}, $c->{id}, '--status', 'open', '--waiting', 3,
                '--message', encode_utf8($msg));
            $fails++ if $r->{exit};
        }
    }
    is($fails, 0, "step $i: sets at the new counters");
    push @sizes, -s $data;
    diag(MadoTest::text("data.mdb: $sizes[-1] bytes after step $i"));
    check_all("step $i", $no, $big->{offices}[-1]{id}, $msg);

    # a new office's counter shows its state
    my ($r, $d) = $t->get_json("/api/v1/offices/$big->{offices}[-1]{id}");
    my $c = MadoTest::find_counter($d, $big->{offices}[-1]{id}, 'c01') || {};
    is($c->{waiting}, 3, "step $i: a generated counter shows its waiting");
}

ok($sizes[-1] > 4 * 65536, "data.mdb grew several times past 65536 ($sizes[-1])");

# back to the real file: the store shrinks in content, not in map
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --message), 'back');
check_all('back to 14 offices', 14, 'rakusai', 'back');

$t->stop;

done_testing;
