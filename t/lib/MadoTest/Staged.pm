package MadoTest::Staged;

# The production configuration (conf.example/nginx and conf.example/
# modsecurity) staged by conf.example/stage-secure.sh in a MadoTest's own
# directory, so that MadoTest's start() and stop() run it as they run any
# test's nginx; a keep-alive HTTPS client for it; and readers of what
# ModSecurity logged.  The staging itself is MadoTest::stage_profile, as
# for MadoTest->secure; here the audit key stays where madoctl made it.

use strict;
use warnings;

use Errno qw(EINTR EAGAIN);
use File::Spec;
use IO::Select;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use MadoTest;

# plan skip_all (a failure with MADO_REQUIRE_BINARIES=1) unless the staged
# profile can run here (MadoTest::require_profile) and this client too
sub require_profile {
    MadoTest::require_profile();
    return 1 if eval { require IO::Socket::SSL; 1 };
    if ($ENV{MADO_REQUIRE_BINARIES}) {
        plan tests => 1;
        fail('IO::Socket::SSL (make deps: libio-socket-ssl-perl)');
        exit 1;
    }
    plan skip_all => 'no IO::Socket::SSL (make deps: libio-socket-ssl-perl)';
}

# Stages the production configuration in T's directory: nginx.conf (which
# T->start runs), etc/, logs/, HTTPS on T->port, the redirecting HTTP
# server on another port.  The store is T's; its audit key (madoctl's
# T->dir/audit.key) is where conf.d/mado.conf names it, through symlinks.
sub stage {
    my ($t) = @_;
    my $dir = $t->dir;
    my $http = MadoTest::free_port();

    for my $d ("$dir/etc", "$dir/etc/mado") {
        -d $d or mkdir $d or die "mkdir $d: $!";
    }
    for my $f (qw(audit.key audit.anchor)) {
        symlink("$dir/$f", "$dir/etc/mado/$f") or die "symlink $f: $!"
            unless -l "$dir/etc/mado/$f";
    }

    $t->stage_profile($http, $t->port);

    # the staged main file, as it is, is the one T->start runs
    $t->write_config_raw($t->read_file('nginx.conf'));

    return { https => $t->port, http => $http };
}

# the staged nginx's own error log (T->dir/error.log has only what nginx
# said before it read its configuration)
sub error_log {
    my ($t) = @_;
    return $t->read_file('logs/error.log');
}

# one test: the staged error log has no alert, crit or emerg line
sub check_error_log {
    my ($t) = @_;
    my @bad = grep { /\[(?:alert|crit|emerg)\]/ } split /\n/, error_log($t);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok(!@bad, 'the staged error log: no alert, crit or emerg')
        or diag(MadoTest::text(join "\n", @bad[0 .. ($#bad < 20 ? $#bad : 20)]));
}

# ModSecurity's refusals in the error log: { unique_id => line }
sub denials {
    my ($t) = @_;
    my %d;
    for my $l (split /\n/, error_log($t)) {
        next unless $l =~ /ModSecurity: Access denied/;
        my ($id) = $l =~ /\[unique_id "([^"]+)"\]/ or next;
        $d{$id} = $l;
    }
    return \%d;
}

# the audit log's entries: { unique_id => [rule ids of part H] }
sub audit {
    my ($t) = @_;
    my (%e, $id);
    for my $l (split /\n/, $t->read_file('logs/modsec_audit.log')) {
        if ($l =~ /^\[[^\]]+\] (\S+) /) {
            $id = $1;
            $e{$id} ||= [];
        } elsif (defined $id && $l =~ /^ModSecurity: /) {
            push @{ $e{$id} }, $l =~ /\[id "(\d+)"\]/g;
        }
    }
    return \%e;
}

# Waits until the audit log has an entry for each of IDS (written after
# the answer, in nginx's log phase); the entries
sub audit_for {
    my ($t, @ids) = @_;
    my $e = {};
    $t->wait_for(sub {
        $e = audit($t);
        !grep { !$e->{$_} } @ids;
    }, timeout => 10);
    return $e;
}


# ---------------------------------------------------------------- client

package MadoTest::Staged::Client;

use Errno qw(EINTR);
use IO::Select;
use Time::HiRes qw(time);

# HTTP/1.1 over TLS to 127.0.0.1:PORT, one connection kept alive (opened
# again when the server closes it); the certificate is not verified (it is
# the staged self-signed one: what is tested is the server).  HOST: the
# Host header ("localhost" unless given).
sub new {
    my ($class, %opt) = @_;
    require IO::Socket::SSL;
    return bless { port => $opt{port}, host => $opt{host} // 'localhost',
                   timeout => $opt{timeout} // 15, sock => undef,
                   requests => 0, connections => 0 }, $class;
}

sub _connect {
    my ($self) = @_;
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $self->{port},
        SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_NONE(),
        SSL_hostname => 'localhost', Timeout => $self->{timeout},
    ) or return undef;
    binmode $s;
    $self->{connections}++;
    return $s;
}

sub close {
    my ($self) = @_;
    if ($self->{sock}) {
        $self->{sock}->close(SSL_no_shutdown => 1);
        $self->{sock} = undef;
    }
}

# bytes from the connection until COND(buffer) says enough, the server
# closes, or the timeout; (buffer, closed)
sub _read_until {
    my ($self, $s, $buf, $cond, $idle) = @_;
    my $deadline = time + $self->{timeout};
    my $closed = 0;
    while (!$cond->($buf)) {
        # what TLS has decrypted already is not seen by select()
        if (!$s->pending) {
            my $left = $deadline - time;
            last if $left <= 0;
            # IDLE: nothing more for that long after something
            $left = $idle if $idle && length $buf && $idle < $left;
            last unless IO::Select->new($s)->can_read($left);
        }
        my $n = sysread($s, my $chunk, 65536);
        if (!defined $n) {
            next if $! == EINTR || $IO::Socket::SSL::SSL_ERROR
                && $IO::Socket::SSL::SSL_ERROR == IO::Socket::SSL::SSL_WANT_READ();
            $closed = 1;
            last;
        }
        if ($n == 0) { $closed = 1; last }
        $buf .= $chunk;
    }
    return ($buf, $closed);
}

# TLS writes a record (16 KB) at a time
sub _write_all {
    my ($s, $bytes) = @_;
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($s, $bytes, length($bytes) - $off, $off);
        if (!defined $n) {
            next if $! == EINTR;
            return 0;       # the server may answer and close early
        }
        $off += $n;
    }
    return 1;
}

# length of the first whole response in BUF (undef: not whole yet)
sub _response_length {
    my ($buf, $method) = @_;
    my $i = index($buf, "\r\n\r\n");
    return undef if $i < 0;
    my $head = substr($buf, 0, $i);
    my $start = $i + 4;
    my ($status) = $head =~ m{^HTTP/1\.[01] (\d{3})};
    return $start if !defined $status;
    return $start if uc($method // '') eq 'HEAD' || $status == 204 || $status == 304
                     || $status < 200;
    if ($head =~ /^transfer-encoding:[^\r\n]*chunked/im) {
        my $p = $start;
        while (1) {
            my $e = index($buf, "\r\n", $p);
            return undef if $e < 0;
            my ($len) = substr($buf, $p, $e - $p) =~ /^([0-9a-fA-F]+)/;
            return undef unless defined $len;
            $len = hex $len;
            $p = $e + 2;
            if ($len == 0) {
                my $end = index($buf, "\r\n\r\n", $p - 2);
                return $end < 0 ? undef : $end + 4;
            }
            return undef if length($buf) < $p + $len + 2;
            $p += $len + 2;
        }
    }
    if ($head =~ /^content-length:\s*(\d+)/im) {
        return length($buf) >= $start + $1 ? $start + $1 : undef;
    }
    return undef;       # read to the close
}

# METHOD PATH {headers => {...}, body => BYTES}: the response as
# MadoTest::parse_response makes it (status 0 and error when none came)
sub request {
    my ($self, $method, $path, $opt) = @_;
    $opt ||= {};
    my %h = %{ $opt->{headers} || {} };
    my $body = $opt->{body};
    my $host = exists $h{Host} ? delete $h{Host} : $self->{host};

    my $req = "$method $path HTTP/1.1\r\n" . (defined $host ? "Host: $host\r\n" : '');
    for my $k (sort keys %h) {
        $req .= "$k: $h{$k}\r\n" if defined $h{$k};
    }
    if (defined $body && !grep { lc $_ eq 'content-length' || lc $_ eq 'transfer-encoding' } keys %h) {
        $req .= 'Content-Length: ' . length($body) . "\r\n";
    }
    $req .= "\r\n" . ($body // '');

    for my $try (1, 2) {
        my $fresh = !$self->{sock};
        $self->{sock} ||= $self->_connect
            or return { status => 0, error => "connect: $! $IO::Socket::SSL::SSL_ERROR",
                        headers => {}, body => '' };
        my $s = $self->{sock};
        my $ok = _write_all($s, $req);
        my ($buf, $closed) = $ok
            ? $self->_read_until($s, '', sub { defined _response_length($_[0], $method) })
            : ('', 1);
        if ($buf eq '' && !$fresh) {
            # the server had closed the kept connection: once more, anew
            $self->close;
            next;
        }
        my $len = _response_length($buf, $method) // length $buf;
        my $r = MadoTest::parse_response(substr($buf, 0, $len), $method);
        $self->{requests}++;
        if ($closed || ($r->{headers}{connection} // '') =~ /close/i || !$r->{status}) {
            $self->close;
        }
        return $r;
    }
    return { status => 0, error => 'the connection closed twice', headers => {}, body => '' };
}

# BYTES as they are on a connection of their own, read until the server
# closes it, or says nothing more for 0.3 seconds after its first
# bytes; every response in it (a second one: what a smuggled request got)
sub raw {
    my ($self, $bytes) = @_;
    my $s = $self->_connect
        or return ({ status => 0, error => "connect: $!", headers => {}, body => '' });
    _write_all($s, $bytes);
    my ($buf) = $self->_read_until($s, '', sub { 0 }, 0.3);
    $s->close(SSL_no_shutdown => 1);
    my @r;
    while (length $buf) {
        my $len = _response_length($buf, 'GET') // length $buf;
        push @r, MadoTest::parse_response(substr($buf, 0, $len), 'GET');
        last unless $r[-1]{status};
        substr($buf, 0, $len) = '';
    }
    return @r ? @r : ({ status => 0, error => 'no response', headers => {}, body => '' });
}

1;
