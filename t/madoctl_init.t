#!/usr/bin/perl

# madoctl init: the store's files group read-write under an administrator's
# umask (and of the workers' group as root), init again does nothing, and
# an empty store shows.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = 1900000000;

$t->madoctl_ok('init');
for my $f (qw(data.mdb lock.mdb)) {
    my @st = stat($t->store . "/$f");
    ok(@st, "init made $f") or next;
    is(sprintf('%04o', $st[2] & 07777), '0660', "$f mode 0660 (under umask 022)");
    if (MadoTest::is_root()) {
        is($st[5], scalar getgrnam('www-data'), "$f group www-data (setgid store dir)");
    }
}
$t->madoctl_ok('init');     # a ready store: nothing to do
{
    my $r = $t->madoctl(qw(show --json));
    is($r->{exit}, 0, 'show on an empty store: exit 0') or diag(MadoTest::text($r->{err}));
}

$t->check_logs;

done_testing;
