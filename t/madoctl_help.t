#!/usr/bin/perl

# madoctl --help, -h, help and VERB --help: exit 0 and the usage on stdout,
# before any store exists.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;

for my $args (['--help'], ['-h'], ['help']) {
    my $r = $t->madoctl(@$args, { nostore => 1 });
    is($r->{exit}, 0, "madoctl @$args: exit 0");
    like($r->{out}, qr/usage:/, "madoctl @$args: usage on stdout");
}
for my $verb (qw(init load show set issue call cancel simulate help)) {
    my $r = $t->madoctl($verb, '--help');          # before init: no store needed
    is($r->{exit}, 0, "$verb --help: exit 0") or diag(MadoTest::text($r->{err}));
    like($r->{out}, qr/usage: madoctl.*\b$verb\b/, "$verb --help: its usage");
    $r = $t->madoctl('help', $verb);
    is($r->{exit}, 0, "help $verb: exit 0");
}

$t->check_logs;

done_testing;
