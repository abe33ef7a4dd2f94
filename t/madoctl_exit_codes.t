#!/usr/bin/perl

# madoctl's exit codes for what is not a refused request: 3 when there is
# no store (and nothing is created but by init), 2 for usage errors, each
# naming what was wrong.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = 1900000000;

# ------------------------------------------------------------------ 3: no store

$t->madoctl_exit(3, qr/store/i, 'show before init', qw(show));
$t->madoctl_exit(3, qr/store/i, 'show --json before init', qw(show --json));
$t->madoctl_exit(3, qr/store/i, 'set before init', qw(set kita moving --waiting 1));
$t->madoctl_exit(3, qr/store/i, 'issue before init', qw(issue kita moving));
$t->madoctl_exit(3, qr/store/i, 'call before init', qw(call kita moving));
$t->madoctl_exit(3, qr/store/i, 'cancel before init', qw(cancel kita moving 1));
{
    my $r = $t->madoctl('show', { store => $t->dir . '/no/such/dir' });
    is($r->{exit}, 3, 'show on a missing directory: exit 3') or diag(MadoTest::text($r->{err}));
}
ok(!-e $t->store . '/data.mdb', 'no command but init created the store');

# ------------------------------------------------------------------ 2: usage

$t->madoctl_ok('init');
$t->madoctl_exit(2, undef, 'no verb');
$t->madoctl_exit(2, qr/frobnicate/, 'unknown verb', 'frobnicate');
$t->madoctl_exit(2, qr/bogus/, 'unknown option', qw(show --bogus));
$t->madoctl_exit(2, qr/bogus/, 'unknown global option', qw(--bogus show));
$t->madoctl_exit(2, undef, 'set without a counter', qw(set kita));
$t->madoctl_exit(2, undef, 'set with nothing to set', qw(set kita moving));
$t->madoctl_exit(2, qr/waiting/, 'set --waiting without a value', qw(set kita moving --waiting));
$t->madoctl_exit(2, undef, 'issue without arguments', qw(issue));
$t->madoctl_exit(2, undef, 'issue with an extra argument', qw(issue kita moving extra));
$t->madoctl_exit(2, undef, 'cancel without a number', qw(cancel kita moving));
$t->madoctl_exit(2, undef, 'load without a file', qw(load));
$t->madoctl_exit(2, undef, 'show with two offices', qw(show kita sakyo));
$t->madoctl_exit(2, qr/MADO_NOW/, 'bad MADO_NOW', qw(set kita moving --waiting 1),
                 { env => { MADO_NOW => 'yesterday' } });

$t->check_logs;

done_testing;
