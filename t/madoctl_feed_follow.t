#!/usr/bin/perl

# madoctl feed --follow: appended lines (one written in two pieces), a
# rotated log and a truncated one (copytruncate) are read as they come;
# SIGTERM ends it with its summary; a restarted follower applies nothing
# twice.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events expected_of shuffle_seconds voicecall_line summary_of show_counts counts_are madoctl_feed);

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
$ENV{MADO_NOW} = '2026-11-27T18:00:00+09:00';

# the example's offices, with small ticket ranges so that a day wraps them
# several times
my ($defs, $offices) = feed_store($t);
my %office = %$offices;

# ------------------------------------------------------------ 6. --follow, rotation, truncation

{
    my ($ev) = simulate_day($office{ukyo}, 17);
    my $lines = shuffle_seconds($ev, 11);
    my $n = @$lines;
    # four parts, cut between seconds
    my @cut = (0);
    for my $q (1 .. 3) {
        my $k = int($q * $n / 4);
        $k++ while $k < $n - 1 && $lines->[$k][0] == $lines->[$k - 1][0];
        push @cut, $k;
    }
    push @cut, $n;
    my @part = map { [ @$lines[ $cut[$_] .. $cut[$_ + 1] - 1 ] ] } 0 .. 3;
    my $text = sub { join('', map { voicecall_line($_) } @{ $_[0] }) };
    my $upto = sub {
        my $end = $lines->[ $cut[ $_[0] ] - 1 ][0];
        count_events([ grep { $_->[0] <= $end } @$ev ]);
    };

    my $f = "$dir/ukyo.log";
    MadoTest::write_file($f, $text->($part[0]));
    my $errf = "$dir/follow.err";
    my $outf = "$dir/follow.out";
    my @argv = $t->madoctl_argv(qw(feed --office ukyo --format voicecall --follow --interval 0.05), $f);
    my %env = $t->madoctl_env;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        @ENV{ keys %env } = values %env;
        open STDOUT, '>', $outf;
        open STDERR, '>', $errf;
        exec @argv or POSIX::_exit(127);
    }

    # until the store shows the count (the follower reads every 0.05 s)
    my $json = JSON::PP->new->canonical;
    my $wait_for = sub {
        my ($want, $name) = @_;
        my $expect = expected_of($office{ukyo}, $want);
        my $got;
        $t->wait_for(sub {
            $got = show_counts($t, 'ukyo');
            $json->encode($got) eq $json->encode($expect);
        }, timeout => 30, what => $name);
        local $Test::Builder::Level = $Test::Builder::Level + 1;
        is_deeply($got, $expect, $name);
    };
    # until the follower has read the file to its end
    my $read_all = sub {
        $t->wait_for(sub { (MadoTest::read_offset($pid, $f) // -1) == -s $f },
                     what => $_[0]);
    };

    $wait_for->(count_events([ grep { $_->[0] <= $part[0][-1][0] } @$ev ]),
                '--follow: the first part is applied');

    # the machine appends, once stopping mid-line
    my $p1 = $text->($part[1]);
    my $mid = int(length($p1) / 2);
    MadoTest::write_file($f, substr($p1, 0, $mid), '>>');
    $read_all->('the follower to read up to the half line');
    MadoTest::write_file($f, substr($p1, $mid), '>>');
    $wait_for->($upto->(2), '--follow: appended lines (one written in two pieces) applied');

    # rotation: the log moves away and a new one starts at the path
    rename $f, "$f.1" or die "rename: $!";
    MadoTest::write_file($f, $text->($part[2]));
    $wait_for->($upto->(3), '--follow: after rotation the new file is read');

    # truncation in place (copytruncate), then new lines
    truncate $f, 0 or die "truncate: $!";
    $t->wait_for(sub { $t->read_file('follow.err') =~ /truncated or rewritten/ },
                 what => 'the follower to notice the truncation');
    MadoTest::write_file($f, $text->($part[3]), '>>');
    $wait_for->(count_events($ev), '--follow: after truncation the new lines are read');

    kill 'TERM', $pid;
    my $done = $t->wait_for(sub { waitpid($pid, WNOHANG) == $pid }, what => 'the follower to stop');
    ok($done, '--follow stops on SIGTERM');
    is($? >> 8, 0, '--follow exits 0 on SIGTERM');
    my $err = do { local (@ARGV, $/) = $errf; <> } // '';
    like($err, qr/rotated; reading the new file/, '--follow reports the rotation');
    like($err, qr/truncated or rewritten/, '--follow reports the truncation');
    my $out = do { local (@ARGV, $/) = $outf; <> } // '';
    like($out, qr/lines: \d+ applied/, '--follow prints its summary at the end');

    # a restarted follower finds everything applied
    my $r = madoctl_feed($t, 'ukyo', 'voicecall', $f);
    is(summary_of($r)->{applied}, 0, 'restarted after follow: nothing applied twice');
    counts_are($t, $office{ukyo}, count_events($ev), 'restarted after follow: state equals the count');
}

$t->check_logs;

done_testing;
