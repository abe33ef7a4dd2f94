#!/usr/bin/perl

# madoctl --server's HTTPS client against a scripted TLS server (not nginx:
# answers nginx would not give): what goes on the wire (HTTP/1.1, the
# bearer token, one Idempotency-Key for every attempt, no Expect), and the
# limits of what comes back: redirects are not followed, bodies over 1 MiB
# and heads over 16 KiB are refused, a reply that is not HTTP is not
# retried, a chunked answer is read, 429's Retry-After is said, an answer
# lost after the request left is retried with the same key, a login whose
# answer is lost is not.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Select;
use IO::Socket::SSL;
use POSIX ();
use Test::More;

use MadoTest;
use MadoTest::TLS;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $tls = MadoTest::TLS->new("$dir/tls");
my ($cert, $key) = $tls->cert('localhost', 'DNS:localhost,IP:127.0.0.1');
my $log = "$dir/server.log";

my $token = 'mado_s_' . ('ab' x 32);
my $session = "$dir/session";
{
    open my $fh, '>', $session or die;
    print {$fh} "$token\n";
    close $fh;
    chmod 0600, $session or die;
}

my $state = '{"office":"kita","counter":"moving","ticket":18,"status":"open","waiting":3,'
          . '"calling":17,"last_issued":20,"served_today":16,"staff":2}';

my ($pid, $port) = start_server();
my $n = 0;      # requests logged so far

sub remote {
    my ($prefix, @args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    my %env = ((map { $_ => undef } qw(https_proxy HTTPS_PROXY all_proxy ALL_PROXY
                                       no_proxy NO_PROXY MADO_PROXY
                                       MADO_SERVER MADO_CACERT MADO_TOKEN_FILE)),
               HOME => "$dir/home");
    return $t->madoctl('--server', "https://localhost:$port/$prefix", '--cacert', $tls->ca,
                       '--token-file', $session, @args,
                       { %$opt, nostore => 1, env => \%env });
}

# the requests the server saw since the last call
sub seen {
    open my $fh, '<', $log or return ();
    my @all = map { chomp; $_ } <$fh>;
    my @new = @all[$n .. $#all];
    $n = @all;
    return @new;
}

my ($r, @req);

# ------------------------------------------------------------ on the wire

$r = remote('chunked', 'issue', 'kita', 'moving');
is($r->{exit}, 0, 'a chunked answer is read') or diag($r->{err});
is($r->{out}, "18\n", 'the ticket of the answer printed');
@req = seen();
is(scalar @req, 1, 'one request');
like($req[0], qr{^POST /chunked/api/v1/admin/offices/kita/counters/moving HTTP/1\.1 },
     'POST to the API\'s path, HTTP/1.1');
like($req[0], qr{ auth=Bearer \Q$token\E }, 'the session token as a bearer token');
like($req[0], qr{ key=[0-9a-f]{32} }, 'an Idempotency-Key of 32 hex digits');
like($req[0], qr{ expect=none }, 'no Expect: 100-continue');
like($req[0], qr{ type=application/json accept=application/json }, 'JSON sent and asked for');
like($req[0], qr{ host=localhost:$port }, 'Host: the URL\'s');

# ------------------------------------------------------------ redirects

$r = remote('redirect', 'call', 'kita', 'moving');
is($r->{exit}, 3, 'a redirect is not followed: exit 3');
like($r->{err}, qr/answered 302 without an error of the update API/, 'the 302 said');
@req = seen();
is(scalar @req, 1, 'the target of the redirect was not asked');

# ------------------------------------------------------------ sizes

$r = remote('big', 'call', 'kita', 'moving');
is($r->{exit}, 3, 'a body over 1 MiB (Content-Length): exit 3');
like($r->{err}, qr/the answer is too long/, 'too long said');
unlike($r->{err}, qr/trying again/, 'not tried again');

$r = remote('bigchunked', 'call', 'kita', 'moving');
is($r->{exit}, 3, 'a chunked body over 1 MiB: exit 3');
like($r->{err}, qr/the answer is too long/, 'too long said');

$r = remote('bighead', 'call', 'kita', 'moving');
is($r->{exit}, 3, 'a head over 16 KiB: exit 3');
like($r->{err}, qr/the answer is too long/, 'too long said');

$r = remote('fits', 'call', 'kita', 'moving');
is($r->{exit}, 0, 'an answer of just under 1 MiB is read') or diag($r->{err});
seen();

# ------------------------------------------------------------ not HTTP

$r = remote('garbage', 'call', 'kita', 'moving');
is($r->{exit}, 3, 'an answer that is not HTTP: exit 3');
like($r->{err}, qr/not an HTTP answer/, 'said');
is(scalar(seen()), 1, 'not tried again');

# ------------------------------------------------------------ 429

$r = remote('429', 'login', '--user', 'tanaka', '--password-stdin', { stdin => "pw\n" });
is($r->{exit}, 4, 'login answered 429: exit 4');
like($r->{err}, qr/password: wait 30 s \(HTTP 429 too_many_requests\)/, 'the server\'s message');
like($r->{err}, qr/wait 30 s before trying again/, 'its Retry-After said');
is(scalar(seen()), 1, 'not tried again');

# ------------------------------------------------------------ lost answers

$r = remote('lostonce', 'call', 'kita', 'moving');
is($r->{exit}, 0, 'an answer lost once: the call retried and answered') or diag($r->{err});
like($r->{err}, qr/the connection closed without an answer; trying again in 0\.5 s \(attempt 2 of 4, the same Idempotency-Key\)/,
     'the retry said');
@req = seen();
is(scalar @req, 2, 'two requests');
my @keys = map { /key=(\S+)/ ? $1 : '' } @req;
ok($keys[0] && $keys[0] eq $keys[1], 'with the same Idempotency-Key');

$r = remote('lostonce', 'login', '--user', 'tanaka', '--password-stdin', { stdin => "pw\n" });
is($r->{exit}, 3, 'a login whose answer is lost: exit 3');
like($r->{err}, qr/closed without an answer; not tried again: look whether it took effect/,
     'not sent twice, said why');
@req = seen();
is(scalar @req, 1, 'the password went once');
like($req[0], qr/ key=none /, 'a login has no Idempotency-Key');

kill 'TERM', $pid;
waitpid($pid, 0);

$t->check_logs;
done_testing;


# ------------------------------------------------------------ the server

# one connection at a time; the URL's first segment says what to answer
sub start_server {
    my $l = IO::Socket::SSL->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 8,
                                 ReuseAddr => 1, SSL_server => 1,
                                 SSL_cert_file => $cert, SSL_key_file => $key)
        or die "server: $IO::Socket::SSL::SSL_ERROR";
    my $p = $l->sockport;
    my $child = fork // die "fork: $!";
    return ($child, $p) if $child;

    $port = $p;
    $SIG{PIPE} = 'IGNORE';
    open my $lf, '>>', $log or POSIX::_exit(1);
    $lf->autoflush(1);
    my %count;
    while (1) {
        my $c = $l->accept or next;
        my ($head, $body) = read_request($c);
        next unless defined $head;
        my ($path) = $head =~ /^\S+ (\S+)/;
        my ($what) = ($path // '') =~ m{^/([^/]+)/};
        $what //= '';
        my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } split /\r\n/, $head;
        my ($line) = $head =~ /^(.*?)\r\n/;
        print {$lf} join(' ', $line,
                         'auth=' . ($h{authorization} // 'none'),
                         'key=' . ($h{'idempotency-key'} // 'none'),
                         'expect=' . ($h{expect} // 'none'),
                         'type=' . ($h{'content-type'} // 'none'),
                         'accept=' . ($h{accept} // 'none'),
                         'host=' . ($h{host} // 'none'),
                         'body=' . length($body)), "\n";
        answer($c, $what, ++$count{$what});
        $c->close(SSL_fast_shutdown => 1);
    }
}

sub read_request {
    my ($c) = @_;
    my $buf = '';
    my $sel = IO::Select->new($c);
    while ($buf !~ /\r\n\r\n/) {
        return unless $c->pending || $sel->can_read(10);
        my $got = sysread($c, $buf, 16384, length $buf);
        return unless $got;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
    while (length $rest < ($len // 0)) {
        return unless $c->pending || $sel->can_read(10);
        my $got = sysread($c, $rest, 16384, length $rest);
        return unless $got;
    }
    return ($head, $rest);
}

sub send_all {
    my ($c, $data) = @_;
    while (length $data) {
        my $w = syswrite($c, $data, 16384) or return;
        substr($data, 0, $w) = '';
    }
}

sub json_answer {
    my ($c, $status, $body, @headers) = @_;
    send_all($c, "HTTP/1.1 $status\r\nContent-Type: application/json\r\n"
                 . join('', map { "$_\r\n" } @headers)
                 . 'Content-Length: ' . length($body) . "\r\nConnection: close\r\n\r\n$body");
}

sub answer {
    my ($c, $what, $nth) = @_;
    if ($what eq 'chunked') {
        my ($a, $b) = (substr($state, 0, 20), substr($state, 20));
        send_all($c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                     . sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", length $a, $a, length $b, $b));
    } elsif ($what eq 'redirect') {
        send_all($c, "HTTP/1.1 302 Found\r\nLocation: https://localhost:$port/chunked/api/v1/admin/"
                     . "offices/kita/counters/moving\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } elsif ($what eq 'big') {
        json_answer($c, '200 OK', $state . (' ' x (1024 * 1024)));
    } elsif ($what eq 'fits') {
        json_answer($c, '200 OK', $state . (' ' x (1024 * 1024 - length($state) - 1)));
    } elsif ($what eq 'bigchunked') {
        send_all($c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        send_all($c, sprintf("%x\r\n%s\r\n", 65536, ' ' x 65536)) for 1 .. 20;
        send_all($c, "0\r\n\r\n");
    } elsif ($what eq 'bighead') {
        json_answer($c, '200 OK', $state, map { "X-Pad-$_: " . ('x' x 1000) } 1 .. 20);
    } elsif ($what eq 'garbage') {
        send_all($c, "SSH-2.0-OpenSSH_9.2\r\n\r\nnot http at all\r\n");
    } elsif ($what eq '429') {
        json_answer($c, '429 Too Many Requests',
                    '{"error":"too_many_requests","message":"password: wait 30 s","status":429}',
                    'Retry-After: 30');
    } elsif ($what eq 'lostonce' && $nth % 2 == 1) {
        # read, then closed without a word: the server may have acted on it
    } elsif ($what eq 'lostonce') {
        json_answer($c, '200 OK', $state);
    } else {
        json_answer($c, '404 Not Found', '{"error":"not_found","message":"no such route","status":404}');
    }
}
