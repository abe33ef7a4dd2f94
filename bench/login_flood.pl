#!/usr/bin/perl
# A flood of wrong logins for bench/login_flood.sh: CONNS logins in flight
# at once, each a new connection from its own address (127.1.0.1 ... and
# on, any of 127.0.0.0/8 is this host) for its own unknown id, so that no
# limit of an address or an account cuts it short: every one costs the
# server a PBKDF2 hash unless it is refused.  A new login replaces each
# answered one, after the Retry-After of a 429 or 503 (HAMMER=1: at once)
# until SIGTERM; then the logins in flight are awaited and the count of
# each answer written to OUT ("401 123\n503 login_busy 4\n...").
#
# usage: login_flood.pl PORT CONNS OUT

use strict;
use warnings;

use IO::Select;
use Time::HiRes qw(time);
use IO::Socket::INET;
use Errno qw(EINTR EINPROGRESS);

my ($port, $conns, $out) = @ARGV;
die "usage: login_flood.pl PORT CONNS OUT\n" unless $out;

my $stop = 0;
$SIG{TERM} = $SIG{INT} = sub { $stop = 1 };

my (%raw, %count, @later);
my $sel = IO::Select->new;
my $n = 0;
my $hammer = $ENV{HAMMER};

sub one {
    $n++;
    my $addr = sprintf '127.1.%d.%d', int($n / 250) % 250, $n % 250 + 1;
    my $body = sprintf '{"user":"flood%d","password":"not the password %d"}', $n, $n;
    my $req = "POST /api/v1/admin/login HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\nContent-Type: application/json\r\n"
              . "Content-Length: " . length($body) . "\r\n\r\n$body";
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  LocalAddr => $addr, Proto => 'tcp')
        or do { $count{connect}++; return };
    syswrite($s, $req);
    $raw{fileno $s} = '';
    $sel->add($s);
}

one() for 1 .. $conns;

my $deadline;
while (!$stop || $sel->count) {
    # after SIGTERM nothing new, the answers in flight awaited (a minute)
    $deadline //= time + 60 if $stop;
    last if $deadline && time > $deadline;

    while (!$stop && @later && $later[0] <= time) {
        shift @later;
        one();
    }

    for my $s ($sel->can_read(0.2)) {
        my $r = sysread($s, my $chunk, 65536);
        next if !defined $r && $! == EINTR;
        if ($r) {
            $raw{fileno $s} .= $chunk;
            next;
        }
        my ($status) = $raw{fileno $s} =~ m{^HTTP/1\.1 (\d+)};
        my ($error) = $raw{fileno $s} =~ m{"error":"(\w+)"};
        my ($retry) = $raw{fileno $s} =~ m{\r\nRetry-After: (\d+)}i;
        $count{ ($status // 'none') . ($error && $status != 401 ? " $error" : '') }++;
        delete $raw{fileno $s};
        $sel->remove($s);
        close $s;
        next if $stop;
        if ($retry && !$hammer) {
            push @later, time + $retry;
        } else {
            one();
        }
    }
}

open my $fh, '>', $out or die "$out: $!\n";
print $fh "$_ $count{$_}\n" for sort keys %count;
close $fh;
