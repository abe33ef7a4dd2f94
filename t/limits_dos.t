#!/usr/bin/perl

# One address must not deny service to others.  Measured before: 2 100
# connections holding half a header from one address left 0 of 5 other
# requests served ("worker_connections are not enough"): nginx counts
# requests, and a connection that never finishes its header is none.
# The shipped nftables rules (conf.example/nftables/mado.nft) cap the
# connections of one address (one IPv6 /64) before nginx sees them.
#
# On loopback, in a network namespace of the test's own (unshare -n, as
# root: the nftables rules and 127.0.0.2 live and die with it), nginx
# started from the staged production configuration: an attacker at
# 127.0.0.2 floods requests (429), then opens 2 100 connections, half
# with half a header, half with half a TLS handshake; requests from
# 127.0.0.1 are still served, with their pages.  Then the /64 grouping of
# IPv6 in the same rules, against a bare listener.  Without root or
# unshare the test is skipped (nft cannot even check the rules' syntax
# without root).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Errno qw(EINPROGRESS);
use IO::Select;
use Socket qw(:all);
use Test::More;
use Time::HiRes qw(time);

use MadoStaged;
use MadoTest;

my $ATTACK = 2100;                      # as measured

MadoTest::require_binaries(qw(madoctl module nginx));

# a network namespace of the test's own (re-executes it there, or skips)
MadoStaged::netns(qw(nft ip curl));

my $t = MadoStaged->new;
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());

# the shipped rules, staged: the ports are the staged ones
my $nft_file = $t->dir . '/etc/nftables.d/mado.nft';
my ($cap) = MadoTest::_read_file($nft_file) =~ /ip saddr ct count over (\d+)/;
ok($cap && $cap < 1024, "the rules cap an address at $cap connections");
my $out = `nft -f $nft_file 2>&1`;
is($?, 0, 'nft -f mado.nft') or diag($out);

$t->start;

sub legit {
    my ($what) = @_;
    my @r;
    push @r, $t->https('/kita', '--interface', '127.0.0.1', '--max-time', '5');
    push @r, $t->https('/api/v1/offices', '--interface', '127.0.0.1', '--max-time', '5');
    push @r, $t->https('/kita?lang=en', '--interface', '127.0.0.1', '--max-time', '5');
    push @r, $t->https('/api/v1/offices/kita', '--interface', '127.0.0.1', '--max-time', '5');
    push @r, $t->http('GET', '/kita', { from => '127.0.0.1', timeout => 5 });
    is(scalar(grep { $_->{status} == 200 || $_->{status} == 301 } @r), 5,
       "$what: 5 of 5 requests from 127.0.0.1 answered")
        or diag(join "\n", map { "$_->{status} " . ($_->{error} // '') } @r);
    ok($r[0]{body} =~ m{<h1>北区役所</h1>}, "$what: the office page, whole")
        or diag(substr($r[0]{body}, 0, 300));
    ok($r[1]{body} =~ /"offices":\[\{"id":"/, "$what: the offices in JSON");
    ok($r[2]{body} =~ /Kita Ward Office/, "$what: the page in English");
    is($r[4]{headers}{location}, 'https://localhost:' . $t->https_port . '/kita',
       "$what: plain HTTP redirects to https");
}

legit('before');

# ------------------------------------------------------------ a flood

my %codes;
for my $round (1 .. 3) {
    $codes{ $_->[0] }++
        for $t->parallel_https([ ('/api/v1/offices/kita') x 1000 ], '--interface', '127.0.0.2');
    last if $codes{429};
}
ok($codes{429}, 'a flood from 127.0.0.2: 429 (' . ($codes{429} // 0) . ')');
legit('during the flood');

# ------------------------------------------------------------ slow connections

# The attacker, a process of its own: it keeps $ATTACK connections from
# 127.0.0.2 open, half to each port, each with half a header (port 80) or
# the first bytes of a TLS record (443) and nothing more, and opens a new
# one for each the server closes.  It says how many are made on a pipe.
pipe(my $count_r, my $count_w) or die "pipe: $!";
my $attacker = fork // die "fork: $!";
if ($attacker == 0) {
    close $count_r;
    $count_w->autoflush(1);
    my (%pending, %made, $i);
    my $said = -1;
    while (1) {
        while (keys(%pending) + keys(%made) < $ATTACK) {
            socket(my $s, PF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0) or die "socket: $!";
            bind($s, pack_sockaddr_in(0, inet_aton('127.0.0.2'))) or die "bind: $!";
            my $port = $i++ % 2 ? $t->port : $t->https_port;
            connect($s, pack_sockaddr_in($port, inet_aton('127.0.0.1')))
                or $! == EINPROGRESS or die "connect: $!";
            $pending{ fileno $s } = [$s, $port];
        }
        my ($r, $w) = IO::Select->select(IO::Select->new(values %made),
                                         IO::Select->new(map { $_->[0] } values %pending),
                                         undef, 0.2);
        for my $s (@{ $w || [] }) {
            my ($sock, $port) = @{ delete $pending{ fileno $s } };
            next if unpack('i', getsockopt($s, SOL_SOCKET, SO_ERROR));
            syswrite($s, $port == $t->port ? "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow"
                                           : "\x16\x03\x01\x02\x00\x01");
            $made{ fileno $s } = $s;
        }
        for my $s (@{ $r || [] }) {
            my $n = sysread($s, my $buf, 4096);
            delete $made{ fileno $s } unless $n;        # closed by the server
        }
        if (keys(%made) != $said) {
            $said = keys %made;
            print {$count_w} "$said\n";
        }
    }
}
close $count_w;
END { kill 'KILL', $attacker if $attacker }

my $made = 0;
my $count_sel = IO::Select->new($count_r);
sub attacker_made {
    while ($count_sel->can_read(0)) {
        my $line = <$count_r> // last;
        $made = $1 if $line =~ /^(\d+)$/;
    }
    return $made;
}

sub drops4 {
    my ($n) = `nft list chain inet mado input 2>/dev/null` =~ /add \@conn4 .* counter packets (\d+)/;
    return $n // 0;
}

# in place: as many made as the rules let through, and every other SYN
# dropped at least once
$t->wait_for(sub { attacker_made() >= $cap && drops4() >= $ATTACK - $cap },
             timeout => 20, what => 'the attack');
is(attacker_made(), $cap, "of $ATTACK connections from 127.0.0.2, $cap are made");
ok(drops4() >= $ATTACK - $cap, 'the rules dropped the SYNs of the others (' . drops4() . ' packets)');

# nginx has taken them: its workers hold that many more sockets
sub worker_sockets {
    my $n = 0;
    for my $pid ($t->worker_pids) {
        $n += grep { (readlink($_) // '') =~ /^socket:/ } glob("/proc/$pid/fd/*");
    }
    return $n;
}
ok($t->wait_for(sub { worker_sockets() >= $cap }, timeout => 5,
                what => 'the workers to accept the slow connections'),
   'nginx holds them (' . worker_sockets() . ' sockets in its workers)');

legit("with $ATTACK slow connections from 127.0.0.2");

is(attacker_made(), $cap, "and still $cap of them");
ok($t->error_log !~ /worker_connections are not enough/, 'nginx never ran out of connections');
kill 'KILL', $attacker;
waitpid($attacker, 0);
$attacker = 0;

# ------------------------------------------------------------ IPv6: a /64
# A bare listener (the staged site listens on IPv4 only): the kernel makes
# connections up to the listener's backlog without any accept.

system('ip -6 addr add 2001:db8:1:2::a/64 dev lo nodad') == 0
    and system('ip -6 addr add 2001:db8:1:2::b/64 dev lo nodad') == 0
    and system('ip -6 addr add 2001:db8:1:3::a/64 dev lo nodad') == 0
    or BAIL_OUT('ip -6 addr add');

socket(my $l6, PF_INET6, SOCK_STREAM, 0) or die "socket: $!";
setsockopt($l6, SOL_SOCKET, SO_REUSEADDR, 1);
bind($l6, pack_sockaddr_in6($t->https_port, inet_pton(AF_INET6, '2001:db8:1:2::a')))
    or die "bind: $!";
listen($l6, 4096) or die "listen: $!";

sub connect6 {
    my ($from, $n) = @_;
    my @s;
    for (1 .. $n) {
        socket(my $s, PF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0) or die "socket: $!";
        bind($s, pack_sockaddr_in6(0, inet_pton(AF_INET6, $from))) or die "bind $from: $!";
        connect($s, pack_sockaddr_in6($t->https_port, inet_pton(AF_INET6, '2001:db8:1:2::a')))
            or $! == EINPROGRESS or die "connect: $!";
        push @s, $s;
    }
    return @s;
}

sub made {
    my (@s) = @_;
    my $sel = IO::Select->new(@s);
    my $n = 0;
    my $deadline = time + 10;
    while ($sel->count && $n < @s && time < $deadline) {
        for my $s ($sel->can_write(0.5)) {
            $sel->remove($s);
            $n++ unless unpack('i', getsockopt($s, SOL_SOCKET, SO_ERROR));
        }
        last if $n >= $cap;
    }
    return $n;
}

sub drops6 {
    my ($n) = `nft list chain inet mado input 2>/dev/null` =~ /add \@conn6 .* counter packets (\d+)/;
    return $n // 0;
}

my @a = connect6('2001:db8:1:2::a', $cap);
is(made(@a), $cap, "$cap connections from 2001:db8:1:2::a are made");
my $before = drops6();
my @b = connect6('2001:db8:1:2::b', 1);
ok($t->wait_for(sub { drops6() > $before }, timeout => 10, what => 'the SYN from ::b dropped'),
   'one more from 2001:db8:1:2::b, of the same /64, is dropped');
my @c = connect6('2001:db8:1:3::a', 1);
is(made(@c), 1, 'one from 2001:db8:1:3::a, of the next /64, is made');
close $_ for @a, @b, @c;
close $l6;

$t->stop;

done_testing;
