package MadoTest::TLS;

# A throwaway CA and server certificates made by the openssl CLI, for the
# tests of "madoctl --server":
#
#   my $tls = MadoTest::TLS->new("$dir/tls");     # DIR/ca.pem, DIR/ca.key
#   $tls->cert('localhost', 'DNS:localhost,IP:127.0.0.1');
#       # DIR/localhost.pem and .key
#   $tls->ca;                                      # DIR/ca.pem

use strict;
use warnings;

use POSIX ();

sub new {
    my ($class, $dir) = @_;
    mkdir $dir or die "mkdir $dir: $!";
    my $self = bless { dir => $dir }, $class;
    $self->openssl(qw(req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2),
                   '-keyout', "$dir/ca.key", '-out', "$dir/ca.pem", '-subj', '/CN=mado test CA');
    return $self;
}

sub dir { $_[0]{dir} }
sub ca  { "$_[0]{dir}/ca.pem" }

sub openssl {
    my ($self, @args) = @_;
    my $log = "$self->{dir}/openssl.log";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec 'openssl', @args or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    die "openssl @args: failed (see $log)\n" if $?;
}

# a server certificate NAME for the subjectAltName SAN, signed by the CA
sub cert {
    my ($self, $name, $san) = @_;
    my $d = $self->{dir};
    open my $fh, '>', "$d/$name.ext" or die "$d/$name.ext: $!";
    print {$fh} "subjectAltName=$san\nbasicConstraints=CA:FALSE\n"
              . "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n";
    close $fh;
    $self->openssl(qw(req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes),
                   '-keyout', "$d/$name.key", '-out', "$d/$name.csr", '-subj', "/CN=$name");
    $self->openssl(qw(x509 -req -days 2 -sha256), '-in', "$d/$name.csr",
                   '-CA', "$d/ca.pem", '-CAkey', "$d/ca.key",
                   '-set_serial', int(rand(1e9)) + 2, '-extfile', "$d/$name.ext",
                   '-out', "$d/$name.pem");
    return ("$d/$name.pem", "$d/$name.key");
}

1;
