#!/usr/bin/perl

# nginx's binary upgrade (USR2, then QUIT to the old master: what the
# package's postinst does) under keep-alive load loses no request.  nginx
# closes idle keep-alive connections at once on QUIT, racing a request a
# client is sending; the module's workers end keep-alive as soon as they
# see their master being replaced (its pid file renamed .oldbin), so by
# the QUIT every answer of theirs has closed its connection.  Clients
# here send each request as soon as the previous answer is read and do
# not retry: a connection closed under a sent request is a failure.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(time sleep);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    keepalive_requests 100000;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

my $d = $t->dir;
my $port = $t->port;
my $stop = "$d/stop-load";
my $clients = 8;

# one keep-alive client: (requests answered, connections the server
# closed with "Connection: close", failures, the first failures)
sub client {
    my ($n, $closed, $bad, @why) = (0, 0, 0);
    my $s;
    my $end = time + 90;
    while (!-e $stop && time < $end) {
        $s //= IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10)
            or do { $bad++; push @why, "connect: $!"; sleep 0.05; next };
        my $req = "GET /api/v1/offices/kita HTTP/1.1\r\nHost: mado\r\n\r\n";
        if (!defined syswrite($s, $req)) {
            $bad++; push @why, "write: $!" if @why < 5; undef $s; next;
        }
        my ($buf, $head) = ('', undef);
        while (1) {
            my $r = sysread($s, $buf, 65536, length $buf);
            if (!$r) {
                $bad++;
                push @why, (defined $r ? 'closed' : "read: $!") . " after $n answers" if @why < 5;
                last;
            }
            next unless $buf =~ /\r\n\r\n/;
            ($head) = $buf =~ /^(.*?\r\n)\r\n/s;
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            last if defined $len && length($buf) >= length($head) + 2 + $len;
        }
        if (!defined $head || $head !~ m{^HTTP/1\.1 200 }) {
            push @why, 'not 200: ' . substr($head // $buf, 0, 60) if defined $head && @why < 5;
            $bad++ if defined $head;
            undef $s;
            next;
        }
        $n++;
        if ($head =~ /^Connection:\s*close/mi) {
            $closed++;
            close $s;
            undef $s;
        }
    }
    return ($n, $closed, $bad, @why);
}

my @kids;
for (1 .. $clients) {
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        syswrite($wr, join("\n", client()) . "\n");
        POSIX::_exit(0);
    }
    close $wr;
    push @kids, [$pid, $rd];
}

sleep 1;
my $old = $t->master_pid;
my @old_workers = $t->worker_pids;

# the postinst's steps
kill 'USR2', $old or die "USR2: $!";
my $new;
$t->wait_for(sub {
    my $p = $t->read_file('nginx.pid') // '';
    ($new) = $p =~ /^(\d+)/;
    $new && $new != $old && -s "$d/nginx.pid.oldbin"
        && `ps --ppid $new -o pid= 2>/dev/null` =~ /\d/;
}, timeout => 10, what => 'the new master and its workers');
sleep 2;
kill 'QUIT', $old or die "QUIT: $!";
$t->wait_for(sub { !kill 0, $old or `ps -o stat= -p $old` =~ /Z/ },
    timeout => 30, what => 'the old master gone');
$t->{master} = $new;
sleep 1;

open my $fh, '>', $stop or die "$stop: $!";
close $fh;

my ($n, $closed, $bad, @why) = (0, 0, 0);
for my $k (@kids) {
    my ($pid, $rd) = @$k;
    my @r = split /\n/, do { local $/; <$rd> // '' };
    waitpid($pid, 0);
    $n += $r[0] // 0;
    $closed += $r[1] // 0;
    $bad += $r[2] // 1;
    push @why, @r[3 .. $#r];
}

ok($n > 100, "keep-alive clients answered across the upgrade ($n)");
is($bad, 0, 'no request lost: no connection closed under a sent request')
    or diag(join "\n", @why);
ok($closed >= $clients, "the old workers ended keep-alive before the QUIT ($closed connections closed by Connection: close)");

my $log = $t->read_file('error.log');
my $seen = () = $log =~ /mado: the master $old is being replaced, keep-alive ends in this worker/g;
ok($seen >= 1, "the old workers said so in the error log ($seen)");
unlike($log, qr/mado: the master $new is being replaced/, 'the new workers keep keep-alive');

my @now = $t->worker_pids;
ok(@now && !grep({ my $w = $_; grep { $_ == $w } @old_workers } @now),
    'only the new master\'s workers serve');

# the new workers keep connections alive
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or die $!;
syswrite($s, "GET /api/v1/offices HTTP/1.1\r\nHost: mado\r\n\r\n");
my $buf = '';
sysread($s, $buf, 65536, length $buf) until $buf =~ /\r\n\r\n/;
like($buf, qr/^Connection: keep-alive/mi, 'after the upgrade: keep-alive again');
close $s;

$t->stop;
done_testing;
