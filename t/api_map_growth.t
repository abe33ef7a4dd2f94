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
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

# On the test clock from the top of a minute: generated_at stays, so that
# every worker must send the same bytes for the same store
my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00
my $data = $t->store . '/data.mdb';

$t->madoctl_ok(qw(init --map-size 65536));
my $small = MadoTest::generated_offices(offices => 14);
$t->madoctl_ok('load', MadoTest::write_json_file($t->dir . '/step0.json', $small));
$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 15m;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

# enough requests to reach both workers, most likely; each body is decoded
# once (a large list is slow to decode in pure Perl), the same bytes again
# read the same
sub check_all {
    my ($step, $noffices, $last_office, $msg) = @_;
    my ($bad, $wrong) = (0, 0);
    my (@diag, %seen);
    for my $i (1 .. 8) {
        my $r = $t->http('GET', $i % 2 ? '/api/v1/offices' : '/api/v1/offices/kita');
        if ($r->{status} != 200) {
            $bad++;
            push @diag, "status $r->{status}: " . substr($r->{body}, 0, 300);
            next;
        }
        next if $seen{ $r->{body} }++;
        my $d = eval { JSON::PP->new->utf8->decode($r->{body}) };
        if (!$d) {
            $wrong++;
            push @diag, "not JSON: $@";
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
