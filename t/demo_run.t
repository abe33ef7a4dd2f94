#!/usr/bin/perl

# The README's first command ends in `make run`: conf.example/demo.sh
# builds a store of Kyoto's 14 offices, a year of history, starts nginx
# and the simulator.  Here it is started as make starts it, on free ports:
# the index lists the 14 offices, the simulator moves the figures, and a
# TERM (what a service manager or a closed terminal sends) stops nginx and
# the simulator both — the simulator was once left running, its subshell
# killed instead of it.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

# make run is the normal build's; demo.sh starts nginx without the ASan
# runtime preloaded that an ASan module needs (MadoTest preloads it for
# every other test's nginx)
plan skip_all => 'demo.sh runs the normal build (an ASan module needs the ASan runtime preloaded)'
    if MadoTest::asan();
# and Debian's nginx (the compat run's module is built for another one)
plan skip_all => 'demo.sh runs /usr/sbin/nginx, not ' . MadoTest::nginx_bin()
    if MadoTest::nginx_bin() ne '/usr/sbin/nginx';

my $t = MadoTest->new;
my $dir = $t->dir;
my $demo = "$dir/demo";
my ($port, $https) = (MadoTest::free_port(), MadoTest::free_port());

my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>', "$dir/demo.out" or die;
    open STDERR, '>&', \*STDOUT or die;
    $ENV{MADO_DEMO_DIR} = $demo;
    $ENV{MADO_HTTPS_PORT} = $https;
    exec 'bash', MadoTest::repo() . '/conf.example/demo.sh', MadoTest::build_dir(), $port;
    die "exec: $!";
}

# the demo's processes: every one whose command line names its directory
sub procs {
    my @p;
    for my $d (glob '/proc/[0-9]*') {
        open my $fh, '<', "$d/cmdline" or next;
        local $/;
        my $c = <$fh> // next;
        next if $d eq "/proc/$$";
        push @p, ($d =~ m{(\d+)$})[0] . ' ' . join(' ', split /\0/, $c)
            if index($c, $demo) >= 0 && $c !~ /^bash\0/;
    }
    return @p;
}

my ($index, $deadline, $gone) = (undef, time + 120, 0);
while (time < $deadline) {
    last if ($gone = waitpid($pid, WNOHANG) == $pid);
    $index = $t->get('/', { port => $port });
    last if $index && ($index->{status} // 0) == 200;
    sleep 0.5;
}
is($index && $index->{status}, 200, 'the demo answers on its port')
    or diag(MadoTest::_read_file("$dir/demo.out"));
my $offices = () = ($index->{body} // '') =~ /data-office-card="/g;
is($offices, 14, "the index lists Kyoto's 14 offices");

my @p = procs();
ok((grep { / simulate / } @p), 'the simulator runs') or diag(join "\n", @p);
ok((grep { /nginx/ } @p), 'and nginx');

# the simulator moves the figures (a tick a second at 20x)
my $api0 = $t->get('/api/v1/offices', { port => $port })->{body};
my $moved;
for (1 .. 20) {
    sleep 0.5;
    my $api = $t->get('/api/v1/offices', { port => $port })->{body};
    last if ($moved = $api ne $api0);
}
ok($moved, 'the figures move');

ok(!$gone, 'demo.sh still runs') or diag(MadoTest::_read_file("$dir/demo.out"));
kill 'TERM', $pid;
for (1 .. 100) {
    $gone = waitpid($pid, WNOHANG) == $pid || $gone;
    last if $gone && !procs();
    sleep 0.1;
}
ok($gone, 'TERM: demo.sh ended');
is(join("\n", procs()), '', 'and left no simulator or nginx running');
kill 'KILL', map { /^(\d+)/ } procs();

done_testing;
