package MadoStaged;

# nginx started from the staged production configuration
# (conf.example/stage-secure.sh): the shipped conf.d/mado.conf, site and
# snippets with only paths and ports rewritten (MadoTest::stage_profile,
# as MadoTest->secure and MadoTest::Staged stage it), with what the limits
# tests add: a network namespace, test-only conf.d files, curl over TLS.
#
#   my $t = MadoStaged->new;          # a MadoTest, staged in $t->dir
#   $t->madoctl_ok(...);              # madoctl with the staged audit key
#   $t->extra_http('test', $text);    # a test-only conf.d/NAME.conf
#   $t->start;                        # MadoTest::start on the staged nginx.conf
#
# $t->port is the plain HTTP server's (it only redirects), $t->https_port
# the TLS server's.  Both error logs the staged files name (the main one
# and the snippets') are DIR/logs/error.log, made a link to DIR/error.log,
# which the harness reads (error_log, check_logs).

use strict;
use warnings;

use Carp qw(croak);
use File::Spec;
use IPC::Open3 qw(open3);
use Symbol qw(gensym);

use MadoTest;

our @ISA = ('MadoTest');

sub new {
    my ($class, %opt) = @_;
    MadoTest::require_profile();
    my $self = MadoTest::new($class, %opt);
    $self->{https_port} = MadoTest::free_port();
    $self->stage;
    return $self;
}

sub https_port { $_[0]{https_port} }

# Runs the test in a network namespace of its own (unshare -n, as root),
# its loopback up and at most 8192 descriptors: firewall rules, addresses
# and bans live and die with it.  Re-executes the test there; skips it
# when it cannot, or when a TOOL is missing (fails, as root under
# MADO_REQUIRE_BINARIES=1).  Call before anything else.
sub netns {
    my (@tools) = @_;
    return if $ENV{MADO_TEST_NETNS};
    my $why = !MadoTest::is_root() ? 'needs root (a network namespace of its own)'
            : system('unshare -n true >/dev/null 2>&1') != 0 ? 'unshare -n is not allowed here'
            : undef;
    for my $tool (@tools) {
        $why //= "no $tool (make deps)"
            unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    }
    # a machine may forbid namespaces (a container without CAP_SYS_ADMIN):
    # that is the machine's, not a missing package, so it only skips
    if ($why) {
        Test::More::plan(skip_all => $why)
            unless $ENV{MADO_REQUIRE_BINARIES} && MadoTest::is_root()
                   && $why !~ /^unshare/;
        Test::More::plan(tests => 1);
        Test::More::fail("a network namespace (MADO_REQUIRE_BINARIES=1, as root): $why");
        exit 1;
    }
    $ENV{MADO_TEST_NETNS} = 1;
    exec('unshare', '-n', '--', 'sh', '-c',
         'ip link set lo up && ulimit -n 8192 && exec "$@"', 'sh', $^X, $0, @ARGV)
        or die "unshare: $!";
}

# madoctl writes the audit key and anchor where the staged mado.conf has them
sub madoctl_env {
    my ($self) = @_;
    my %env = $self->SUPER::madoctl_env;
    $env{MADO_AUDIT_KEY} = "$self->{dir}/etc/mado/audit.key";
    return %env;
}

sub stage {
    my ($self) = @_;
    my $d = $self->{dir};
    $self->stage_profile($self->{port}, $self->{https_port});
    symlink '../error.log', "$d/logs/error.log"
        or croak "symlink $d/logs/error.log: $!";
    $self->{workers} = $1
        if MadoTest::_read_file("$d/nginx.conf") =~ /^\s*worker_processes\s+(\d+)\s*;/m;
    return $self;
}

# a test-only file at http level, beside the shipped conf.d/mado.conf
sub extra_http {
    my ($self, $name, $text) = @_;
    MadoTest::write_file("$self->{dir}/etc/nginx/conf.d/$name.conf", $text);
    return $self;
}

# curl ARGS (-k: the self-signed certificate): (exit status, stdout, stderr)
sub curl {
    my ($self, @args) = @_;
    my ($out, $err) = (gensym, gensym);
    my $pid = open3(my $in, $out, $err, 'curl', '-sS', '-k', '--max-time', '30', @args);
    close $in;
    # curl's stderr is small: read stdout whole, then it
    local $/;
    my $o = <$out> // '';
    my $e = <$err> // '';
    waitpid($pid, 0);
    return ($? >> 8, $o, $e);
}

# an https:// URL of PATH on the staged TLS server
sub url {
    my ($self, $path) = @_;
    return "https://127.0.0.1:$self->{https_port}$path";
}

# One request over TLS: a response as MadoTest::http gives it (status,
# headers, body), curl OPTIONS added
sub https {
    my ($self, $path, @opt) = @_;
    my ($rc, $o, $e) = $self->curl('-i', '--http1.1', @opt, $self->url($path));
    my $r = MadoTest::parse_response($o, (grep { $_ eq '-I' } @opt) ? 'HEAD' : 'GET');
    $r->{error} //= "curl exit $rc: $e" if $rc;
    return $r;
}

# Many requests at once (curl --parallel, HTTP/2 over one connection):
# PATHS, each with the same curl OPTIONS.  The answers in the order they
# came, each [status, body, path].
my $NPAR = 0;
sub parallel_https {
    my ($self, $paths, @opt) = @_;
    my $d = "$self->{dir}/parallel." . $NPAR++;
    mkdir $d or croak "mkdir $d: $!";
    my @args = ('--parallel', '--parallel-max', '50',
                '-w', '%{http_code} %{filename_effective}\n', @opt);
    my $i = 0;
    push @args, '-o', "$d/" . $i++, $self->url($_) for @$paths;
    my ($rc, $o, $e) = $self->curl(@args);
    my @out;
    for my $line (split /\n/, $o) {
        my ($code, $f) = $line =~ /^(\d{3}) (\S+)$/ or next;
        my ($i) = $f =~ m{/(\d+)$};
        push @out, [$code, MadoTest::_read_file($f), $paths->[$i]];
        unlink $f;
    }
    rmdir $d;
    return @out;
}

1;
