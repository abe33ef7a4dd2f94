#!/usr/bin/perl

# offices.json's links that the citizen pages show as they are: a
# counter's "service_url" and an office's "map_url" load when they are
# https, are refused otherwise (exit 1, the field and where it is named,
# the store unchanged), and come back from the store as they were given.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $json = JSON::PP->new->utf8->canonical;

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());
my $before = $t->snapshot;

sub offices_with {
    my ($edit) = @_;
    my $d = $json->decode(do { local $/; open my $fh, '<', MadoTest::offices_json() or die; <$fh> });
    $edit->($d->{offices}[0]);
    my $file = $t->dir . '/edited.json';
    open my $fh, '>', $file or die;
    print {$fh} $json->encode($d);
    close $fh;
    return $file;
}

my @bad = (
    ['http',        'http://www.city.kyoto.lg.jp/page.html'],
    ['javascript',  'javascript:alert(1)'],
    ['a quote',     'https://www.city.kyoto.lg.jp/a"onclick="x'],
    ['a space',     'https://www.city.kyoto.lg.jp/a b'],
    ['an angle',    'https://www.city.kyoto.lg.jp/<script>'],
    ['no host',     'https:///page.html'],
    ['not a string', 42],
    ['too long',    'https://www.city.kyoto.lg.jp/' . ('a' x 300)],
);

for my $b (@bad) {
    my ($name, $url) = @$b;
    my $file = offices_with(sub { $_[0]{counters}[1]{service_url} = $url });
    $t->madoctl_exit(1, qr{\$\.offices\[0\]\.counters\[1\]: "service_url" }, "service_url $name", 'load', $file);
    $file = offices_with(sub { $_[0]{map_url} = $url });
    $t->madoctl_exit(1, qr{\$\.offices\[0\]: "map_url" }, "map_url $name", 'load', $file);
}
is($t->snapshot, $before, 'refused loads changed nothing');

my $map = 'https://www.openstreetmap.org/?mlat=35.0437&mlon=135.7305#map=18/35.0437/135.7305';
my $svc = 'https://www.city.kyoto.lg.jp/kita/page/0000000000.html';
my $file = offices_with(sub { $_[0]{map_url} = $map; $_[0]{counters}[2]{service_url} = $svc });
$t->madoctl_ok('load', $file);
# what the module reads back is the store's canonical JSON: the links
# are in it (t/api_best_time.t and t/browser/visit.test.mjs see them)
$t->madoctl_ok('load', $file);
is($t->madoctl(qw(load), $file)->{exit}, 0, 'the same file again: still loads');

done_testing();
