#!/usr/bin/perl

# The systemd unit of conf.example (mado-feed@.service and its example
# environment file): its ExecStart, run as it stands, follows a log into
# the store and exits 0 on SIGTERM.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX ();
use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events expected_of shuffle_seconds voicecall_line show_counts counts_are);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 9. the systemd unit's command

{
    my $unit = do { local (@ARGV, $/) = MadoTest::repo() . '/conf.example/systemd/mado-feed@.service'; <> };
    my $envx = do { local (@ARGV, $/) = MadoTest::repo() . '/conf.example/systemd/mado-feed.env.example'; <> };
    $unit =~ s/\\\n\s*/ /g;
    my ($exec) = $unit =~ /^ExecStart=(.+)$/m;
    ok($exec, 'the unit has an ExecStart');
    my %env = $envx =~ /^(MADO_\w+)=(.*)$/mg;
    is_deeply([sort keys %env], [qw(MADO_FEED_ENCODING MADO_FEED_FILE MADO_FEED_FORMAT MADO_STORE)],
              'the example environment file sets what the unit uses');
    my ($ev) = simulate_day($office{yamashina}, 20);
    my $f = "$dir/yamashina-unit.log";
    MadoTest::write_file($f, join('', map { voicecall_line($_) } @{ shuffle_seconds($ev, 12) }));
    $env{MADO_STORE} = $t->store;
    $env{MADO_FEED_FILE} = $f;
    my @argv = split ' ', $exec;
    for (@argv) {
        s/%i/yamashina/g;
        s/\$\{(\w+)\}/$env{$1}/g;
    }
    is($argv[0], '/usr/bin/madoctl', 'the unit runs the packaged madoctl');
    $argv[0] = MadoTest::madoctl_bin();
    my %e = $t->madoctl_env;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        @ENV{ keys %e } = values %e;
        open STDOUT, '>', "$dir/unit.out";
        open STDERR, '>', "$dir/unit.err";
        exec @argv or POSIX::_exit(127);
    }
    my $json = JSON::PP->new->canonical;
    my $want = $json->encode(expected_of($office{yamashina}, count_events($ev)));
    $t->wait_for(sub { $json->encode(show_counts($t, 'yamashina')) eq $want },
                 timeout => 30, interval => 0.1, what => 'the unit to follow the log');
    counts_are($t, $office{yamashina}, count_events($ev), "the unit's command follows the log into the store");
    kill 'TERM', $pid;
    waitpid($pid, 0);
    is($? >> 8, 0, "the unit's command exits 0 on SIGTERM (KillSignal)");
}

$t->check_logs;

done_testing;
