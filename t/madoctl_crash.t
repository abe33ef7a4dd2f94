#!/usr/bin/perl

# madoctl killed with SIGKILL at random moments while it issues tickets:
# the store stays consistent (an issue changes waiting and last_issued in
# one transaction) and nginx, running all along, still serves it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use POSIX qw(WNOHANG);
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
$t->madoctl_ok('init');
# numbers that never wrap within the test: "only go up" and "the next
# number" must hold however many runs this machine manages
my $defs = MadoTest::read_json_file();
for my $o (@{ $defs->{offices} }) {
    delete $_->{ticket_range} for @{ $o->{counters} };
}
$t->madoctl_ok('load', MadoTest::write_json_file($t->dir . '/offices.json', $defs));
$t->madoctl_ok(qw(set kita moving --status open));      # closed counters take no tickets
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

my ($r, $d) = $t->get_json('/api/v1/offices/kita');
is($r->{status}, 200, 'nginx serves before the crashes');

my @argv = $t->madoctl_argv(qw(issue kita moving));
my %env = $t->madoctl_env;
my $errfile = $t->dir . '/crash-stderr';

# under ASan each run reports into a directory of its own: a run killed
# while LeakSanitizer inspects it at exit leaves a note of the tracer
# ("Unable to get registers from thread"), which is no finding.  Reports of
# runs that ended by themselves, and real errors of killed ones, are moved
# to the test directory, where check_logs finds them.
my $rundir = $t->dir . '/crash-run';
mkdir $rundir or die "mkdir $rundir: $!";
for my $k (keys %env) {
    $env{$k} =~ s{log_path=\Q${\ $t->dir}\E/}{log_path=$rundir/};
}

sub collect_reports {
    my ($was_killed) = @_;
    for my $f (glob "$rundir/*") {
        my $text = do { local (@ARGV, $/) = $f; <> } // '';
        if ($was_killed && $text !~ /ERROR: AddressSanitizer|detected memory leaks|runtime error/) {
            unlink $f;
            next;
        }
        (my $to = $f) =~ s{\Q$rundir\E/}{${\ $t->dir}/};
        rename $f, $to or die "rename $f: $!";
    }
}

my ($runs, $killed, $done, $other) = (0, 0, 0, 0);
my (@tickets, @other);

# one madoctl issue, killed after $delay seconds unless it ended before
sub run_one {
    my ($delay) = @_;
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        $ENV{$_} = $env{$_} for keys %env;
        umask 022;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $wr;
        open STDERR, '>', $errfile;
        exec @argv or POSIX::_exit(127);
    }
    close $wr;
    $runs++;

    if (defined $delay) {
        sleep $delay;               # the moment of the kill, not a wait for anything
        kill 'KILL', $pid;
    }
    waitpid($pid, 0);
    my $st = $?;
    my $out = do { local $/; <$rd> } // '';
    close $rd;

    collect_reports(($st & 127) == 9);

    if (($st & 127) == 9) {
        $killed++;
    } elsif ($st == 0) {
        $done++;
        push @tickets, $1 if $out =~ /^(\d+)\s*$/;
    } else {
        $other++;
        my $err = do { local (@ARGV, $/) = $errfile; <> } // '';
        push @other, "status $st: $err" if @other < 5;
    }
}

# how long one run takes here (ASan is much slower), so that the kills
# land anywhere in a run: before, inside and after its transaction
my $t0 = time;
run_one(undef) for 1 .. 5;
my $span = (time - $t0) / 5;
diag(sprintf 'one madoctl issue takes %.1f ms', $span * 1000);

# meanwhile a reader asks nginx, which must always answer 200 with a
# consistent snapshot (waiting == last_issued)
pipe(my $rrd, my $rwr) or die "pipe: $!";
my $reader = fork // die "fork: $!";
if ($reader == 0) {
    close $rrd;
    my ($n, $bad, $torn, @first) = (0, 0, 0);
    my $stop = time + 3;
    while (time < $stop) {
        my $r1 = $t->http('GET', '/api/v1/offices/kita');
        $n++;
        if ($r1->{status} != 200) {
            $bad++;
            push @first, "status $r1->{status}: " . substr($r1->{body}, 0, 200) if @first < 5;
            next;
        }
        my $d1 = eval { JSON::PP->new->utf8->decode($r1->{body}) };
        my $c1 = $d1 && MadoTest::find_counter($d1, 'kita', 'moving');
        if (!$c1 || $c1->{waiting} != $c1->{last_issued}) {
            $torn++;
            push @first, 'torn: ' . substr($r1->{body}, 0, 300) if @first < 5;
        }
    }
    syswrite($rwr, join("\n", $n, $bad, $torn, @first) . "\n");
    POSIX::_exit(0);
}
close $rwr;

srand(42);
my $end = time + 3;
while (time < $end) {
    # half the kills within 0-20 ms, half spread over 0-1.5 runs
    run_one($runs % 2 ? rand(0.020) : rand(1.5 * $span));
}

{
    my $out = do { local $/; <$rrd> } // '';
    waitpid($reader, 0);
    my ($n, $bad, $torn, @first) = split /\n/, $out;
    ok(($n // 0) > 10, 'nginx was asked during the crashes (' . ($n // 0) . ' requests)');
    is($bad, 0, 'every request during the crashes got 200') or diag(MadoTest::text(join "\n", @first));
    is($torn, 0, 'every answer during the crashes had waiting == last_issued') or diag(MadoTest::text(join "\n", @first));
}

diag("madoctl issue: $runs runs, $killed killed, $done completed");
ok($killed > 0, "some runs were killed ($killed)");
ok($done > 0, "some runs completed ($done)");
is($other, 0, 'no run failed other than by SIGKILL') or diag(MadoTest::text(join "\n", @other));
is(scalar @tickets, $done, 'every completed run printed a ticket number');
ok(!grep({ $tickets[$_] <= $tickets[$_ - 1] } 1 .. $#tickets), 'ticket numbers only go up');

my ($s, $sr) = $t->show_json;
is($sr->{exit}, 0, 'show --json after the crashes: exit 0');
my $c = MadoTest::find_counter($s, 'kita', 'moving');
ok($c, 'kita/moving in show --json') or BAIL_OUT('no kita/moving');
is($c->{waiting}, $c->{last_issued}, "waiting == last_issued ($c->{waiting})");
ok($c->{last_issued} >= $done, "every completed issue counted ($c->{last_issued} >= $done)");
ok($c->{last_issued} <= $runs, "no more issues than runs ($c->{last_issued} <= $runs)");
ok(!@tickets || $tickets[-1] <= $c->{last_issued}, 'the last printed ticket is not past last_issued');

# the store still takes writes
my $n = $t->madoctl_ok(qw(issue kita moving));
chomp $n;
# A run killed after writing its meta page but before publishing its
# transaction id in lock.mdb has committed, yet readers see the state
# before it until the next writer takes LMDB's write mutex and, finding
# its owner dead, publishes the newest meta page.  So the next number is
# one past what show saw, or two when that last killed run had committed;
# never anything else, and from then on every reader agrees.
ok($n == $c->{last_issued} + 1 || $n == $c->{last_issued} + 2,
   "the next issue gets the next number ($n after $c->{last_issued}, "
   . 'or one more when the last killed run had committed)');
($s) = $t->show_json;
$c = MadoTest::find_counter($s, 'kita', 'moving');
is($c->{last_issued}, $n, 'show agrees with the issue');
is($c->{waiting}, $n, 'waiting follows');

# nginx, started before, agrees
for my $i (1 .. 4) {
    ($r, $d) = $t->get_json('/api/v1/offices/kita');
    is($r->{status}, 200, "nginx after the crashes: 200 ($i)");
    my $a = MadoTest::find_counter($d, 'kita', 'moving') || {};
    is_deeply([ @$a{qw(waiting last_issued calling status)} ],
              [ @$c{qw(waiting last_issued calling status)} ],
              "nginx shows the same numbers as show --json ($i)");
}
($r) = $t->get_json('/api/v1/offices');
is($r->{status}, 200, 'the list too');

$t->stop;

done_testing;
