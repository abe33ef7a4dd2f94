package MadoTest::Proxy;

# A forward proxy on loopback for the tests of "madoctl --server" through
# a proxy, as city networks have them: it answers "CONNECT HOST:PORT" with
# a tunnel relayed byte for byte (the TLS inside is madoctl's and the
# server's), or with a refusal, and logs every request it saw, one line
# each, so that a test proves the traffic went through it (or did not).
#
#   my $p = MadoTest::Proxy->start(log => FILE);          # tunnels
#   my $p = MadoTest::Proxy->start(log => FILE, refuse => 403);
#   my $p = MadoTest::Proxy->start(log => FILE, auth => 'user:password');
#   $p->url; $p->port; $p->requests; $p->connects; $p->stop;
#
# Tunnels go only to 127.0.0.1 and localhost.  One connection at a time:
# madoctl makes one at a time.

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use POSIX ();

sub start {
    my ($class, %opt) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 8, ReuseAddr => 1, Proto => 'tcp')
        or die "proxy: listen: $!";
    my $self = bless { port => $l->sockport, log => $opt{log},
                       owner => $$ }, $class;
    open my $truncate, '>', $opt{log} or die "proxy: $opt{log}: $!";
    close $truncate;

    my $pid = fork // die "proxy: fork: $!";
    if ($pid) {
        close $l;
        $self->{pid} = $pid;
        return $self;
    }

    $SIG{PIPE} = 'IGNORE';
    open my $lf, '>>', $opt{log} or POSIX::_exit(1);
    $lf->autoflush(1);
    while (my $c = $l->accept) {
        serve($c, $lf, \%opt);
        close $c;
    }
    POSIX::_exit(0);
}

sub port { $_[0]{port} }
sub url  { "http://127.0.0.1:$_[0]{port}" }

# the log's lines: "METHOD TARGET STATUS auth=yes|no"
sub requests {
    my ($self) = @_;
    open my $fh, '<', $self->{log} or return ();
    chomp(my @l = <$fh>);
    return @l;
}

# the tunnels it opened (CONNECT answered 200)
sub connects {
    my ($self) = @_;
    return scalar grep { /^CONNECT \S+ 200 / } $self->requests;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid} && $$ == $self->{owner};
    kill 'TERM', $self->{pid};
    waitpid($self->{pid}, 0);
    delete $self->{pid};
}

sub DESTROY { $_[0]->stop }

# requests on one client connection until a tunnel or a close
sub serve {
    my ($c, $lf, $opt) = @_;
    my $buf = '';
    while (1) {
        my $head = read_head($c, \$buf) // return;
        my ($method, $target) = $head =~ /^(\S+) (\S+) HTTP\/1\.[01]\r\n/;
        my ($cred) = $head =~ /^Proxy-Authorization:\s*Basic\s+(\S+)\r$/mi;
        my $auth = defined $cred ? 'yes' : 'no';
        my $log = sub { print {$lf} "$method $target $_[0] auth=$auth\n" };
        $method //= '?';
        $target //= '?';

        if ($method ne 'CONNECT') {
            $log->(405);
            print {$c} "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n"
                     . "Connection: close\r\n\r\n";
            return;
        }

        if ($opt->{auth}
            && ($cred // '') ne encode_base64($opt->{auth}, ''))
        {
            $log->(407);
            print {$c} "HTTP/1.1 407 Proxy Authentication Required\r\n"
                     . "Proxy-Authenticate: Basic realm=\"city\"\r\n"
                     . "Content-Length: 0\r\n\r\n";
            next;
        }

        if ($opt->{refuse}) {
            $log->($opt->{refuse});
            my $body = "<html><body>tunnels to $target are not allowed here</body></html>\n";
            print {$c} "HTTP/1.1 $opt->{refuse} Refused\r\nContent-Type: text/html\r\n"
                     . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n"
                     . $body;
            return;
        }

        my ($host, $port) = $target =~ /^(127\.0\.0\.1|localhost):(\d+)$/;
        my $s = $host && IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                               PeerPort => $port, Proto => 'tcp');
        if (!$s) {
            $log->(502);
            print {$c} "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                     . "Connection: close\r\n\r\n";
            return;
        }

        $log->(200);
        syswrite($c, "HTTP/1.1 200 Connection established\r\n\r\n");
        syswrite($s, $buf) if length $buf;
        relay($c, $s);
        close $s;
        return;
    }
}

sub read_head {
    my ($c, $buf) = @_;
    my $sel = IO::Select->new($c);
    while ($$buf !~ /\r\n\r\n/) {
        return undef unless $sel->can_read(10);
        my $n = sysread($c, $$buf, 16384, length $$buf);
        return undef unless $n;
        return undef if length $$buf > 65536;
    }
    $$buf =~ s/\A(.*?\r\n\r\n)//s;
    return $1;
}

sub relay {
    my ($c, $s) = @_;
    my $sel = IO::Select->new($c, $s);
    while (my @ready = $sel->can_read(30)) {
        for my $fh (@ready) {
            my $n = sysread($fh, my $data, 65536);
            return unless $n;
            syswrite($fh == $c ? $s : $c, $data) or return;
        }
    }
}

1;
