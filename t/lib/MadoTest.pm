package MadoTest;

# Test harness for mado: runs the real nginx with the real module and the
# real madoctl against a store in a throw-away directory.  Shaped after
# nginx-tests' Test::Nginx.  Perl core modules only.

use strict;
use warnings;

use Carp qw(carp croak);
use Cwd qw(abs_path);
use Encode ();
use Errno qw(EINTR);
use Fcntl qw(S_ISDIR);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IPC::Open3 qw(open3);
use JSON::PP;
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Symbol qw(gensym);
use Test::More;
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);

our $VERSION = '0.1';

my $REPO = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)), '..', '..'));

my @INSTANCES;      # weak refs, for END

# test names and diagnostics are text: print them as UTF-8
{
    my $tb = Test::More->builder;
    binmode $tb->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);
}

# bytes from a program (UTF-8, or not) as text for names and diagnostics
sub text {
    my ($bytes) = @_;
    return '' unless defined $bytes;
    return $bytes if utf8::is_utf8($bytes);
    return Encode::decode('UTF-8', $bytes, Encode::FB_DEFAULT);
}


# ---------------------------------------------------------------- paths

sub repo        { $REPO }
sub build_dir   { $ENV{MADO_BUILD} || File::Spec->catdir($REPO, 'build') }
sub madoctl_bin { File::Spec->catfile(build_dir(), 'madoctl') }
sub module_so   { File::Spec->catfile(build_dir(), 'ngx_http_mado_module.so') }
sub nginx_bin   { $ENV{MADO_NGINX} || '/usr/sbin/nginx' }
sub offices_json { File::Spec->catfile($REPO, 'conf.example', 'offices.json') }
sub asan        { $ENV{MADO_ASAN} ? 1 : 0 }
sub is_root     { $> == 0 }

# plan skip_all unless the named binaries exist ('madoctl', 'module', 'nginx');
# with MADO_REQUIRE_BINARIES=1 a missing binary is a failure instead
sub require_binaries {
    my (@what) = @_;
    @what = qw(madoctl module nginx) unless @what;
    my %path = (madoctl => madoctl_bin(), module => module_so(),
                nginx => nginx_bin());
    my @missing;
    for my $w (@what) {
        my $p = $path{$w} or croak "unknown binary '$w'";
        my $ok = $w eq 'module' ? -f $p : -x $p;
        push @missing, $p unless $ok;
    }
    return 1 unless @missing;
    if ($ENV{MADO_REQUIRE_BINARIES}) {
        plan tests => 1;
        fail("binaries present (MADO_REQUIRE_BINARIES=1)");
        diag("missing: @missing");
        exit 1;
    }
    plan skip_all => "missing: @missing (build first, or set MADO_BUILD)";
}


# ---------------------------------------------------------------- setup

sub new {
    my ($class, %opt) = @_;

    my $keep = $ENV{MADO_KEEP} ? 1 : 0;
    my $dir = tempdir('mado-test-XXXXXX', TMPDIR => 1, CLEANUP => !$keep);
    $dir = abs_path($dir);

    my $self = bless {
        dir         => $dir,
        store       => "$dir/store",
        port        => free_port(),
        workers     => $opt{workers} || 2,
        # the workers take MADO_NOW, the test clock, when there is one
        clock       => $opt{clock} ? 1 : 0,
        owner       => $$,
        running     => 0,
        master      => undef,
        allow       => [],
    }, $class;

    diag("MADO_KEEP: test directory $dir") if $keep;

    chmod 0755, $dir or die "chmod $dir: $!";

    if (is_root() && asan()) {
        # workers (www-data) must be able to create their sanitizer logs here
        my $gid = getgrnam('www-data');
        die "no group www-data\n" unless defined $gid;
        chown -1, $gid, $dir or die "chgrp $dir: $!";
        chmod 0775, $dir or die "chmod $dir: $!";
    }

    $self->prepare_store;

    push @INSTANCES, $self;
    weaken($INSTANCES[-1]);

    return $self;
}

sub dir     { $_[0]{dir} }
sub store   { $_[0]{store} }
sub port    { $_[0]{port} }
sub workers { $_[0]{workers} }
sub master_pid { $_[0]{master} }
sub running { $_[0]{running} }

# A TCP port on 127.0.0.1 for nginx, free a moment ago.  Tests run in
# parallel (prove -j): the port is taken below the kernel's ephemeral range,
# so that no client connection of another test holds it when nginx binds,
# and a UDP socket on the same number is kept open for the life of this
# process, so that no other test process picks it (nginx-tests does the
# same); nginx binds only TCP.
my @PORT_LOCKS;

sub _ephemeral_low {
    my $r = _read_file('/proc/sys/net/ipv4/ip_local_port_range');
    my ($low) = $r =~ /^(\d+)/;
    return $low && $low > 20000 ? $low : 32768;
}

sub free_port {
    my $top = _ephemeral_low();
    for (1 .. 200) {
        my $port = 10000 + int(rand($top - 10000));
        my $lock = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'udp',
        ) or next;
        my $s = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
            Listen => 1, ReuseAddr => 1,
        ) or next;
        close $s;
        push @PORT_LOCKS, $lock;
        return $port;
    }
    die "no free port found below $top\n";
}

# the store directory, readable and writable by the nginx workers' group
sub prepare_store {
    my ($self, $dir) = @_;
    $dir //= $self->{store};

    unless (-d $dir) {
        mkdir $dir or die "mkdir $dir: $!";
    }

    if (is_root()) {
        my $gid = getgrnam('www-data');
        die "no group www-data\n" unless defined $gid;
        chown -1, $gid, $dir or die "chgrp www-data $dir: $!";
        chmod 02770, $dir or die "chmod $dir: $!";
    } else {
        chmod 0770, $dir or die "chmod $dir: $!";
    }
    return $dir;
}


# ---------------------------------------------------------------- madoctl

# every run writes its audit trail under this test's own key
sub madoctl_env {
    my ($self) = @_;
    my $d = $self->{dir};
    # (secure(): where the staged production configuration expects it)
    # (backup.env: a test's destroy never reaches the machine's backups)
    my @audit = (MADO_AUDIT_KEY => $self->{audit_key} // "$d/audit.key",
                 MADO_BACKUP_ENV => $self->{backup_env} // "$d/backup.env");
    return @audit unless asan();
    return (
        @audit,
        ASAN_OPTIONS  => "detect_leaks=1:log_path=$d/asan-madoctl",
        UBSAN_OPTIONS => "print_stacktrace=1:log_path=$d/ubsan-madoctl",
    );
}

# arguments that are Perl text (wide characters) go as UTF-8
sub madoctl_argv {
    my ($self, @args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    return (madoctl_bin(),
            ($opt->{nostore} ? () : ('--store', $opt->{store} // $self->{store})),
            map { utf8::is_utf8($_) ? Encode::encode_utf8($_) : $_ } @args);
}

sub madoctl {
    my ($self, @args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};

    my @cmd = $self->madoctl_argv(@args, $opt);
    my %env = ($self->madoctl_env, %{ $opt->{env} || {} });
    my $timeout = $opt->{timeout} // 60;

    my $in = File::Temp->new(DIR => $self->{dir}, UNLINK => 1);
    binmode $in;
    print {$in} $opt->{stdin} // '';
    close $in;
    open my $infh, '<', $in->filename or die "open: $!";

    local %ENV = %ENV;
    for my $k (keys %env) {
        if (defined $env{$k}) { $ENV{$k} = $env{$k} } else { delete $ENV{$k} }
    }

    # an administrator's usual umask: madoctl must itself make the store
    # files group-writable for the workers
    my $oldmask = umask($opt->{umask} // 022);
    my ($out_fh, $err_fh) = (gensym, gensym);
    my $pid = eval { open3('<&' . fileno($infh), $out_fh, $err_fh, @cmd) };
    my $e = $@;
    umask $oldmask;
    close $infh;
    if (!$pid) {
        return { exit => -1, out => '', err => "cannot run @cmd: $e",
                 cmd => "@cmd" };
    }

    my %buf = (out => '', err => '');
    my %name = (fileno($out_fh) => 'out', fileno($err_fh) => 'err');
    my $sel = IO::Select->new($out_fh, $err_fh);
    my $deadline = time + $timeout;
    my $timed_out = 0;

    while ($sel->count) {
        my $left = $deadline - time;
        if ($left <= 0) { $timed_out = 1; last }
        my @ready = $sel->can_read($left);
        for my $fh (@ready) {
            my $n = sysread($fh, my $chunk, 65536);
            if (!defined $n) {
                next if $! == EINTR;
                $n = 0;
            }
            if ($n == 0) { $sel->remove($fh); close $fh; next }
            $buf{ $name{fileno $fh} } .= $chunk;
        }
    }

    if ($timed_out) {
        kill 'KILL', $pid;
    }
    waitpid($pid, 0);
    my $status = $?;

    my $r = {
        out  => $buf{out},
        err  => $buf{err},
        cmd  => join(' ', @cmd[1 .. $#cmd]),
        raw_status => $status,
    };
    if ($timed_out) {
        $r->{exit} = -1;
        $r->{err} .= "\n[harness] madoctl timed out after ${timeout}s\n";
    } elsif ($status & 127) {
        $r->{exit} = -1;
        $r->{signal} = $status & 127;
        $r->{err} .= "\n[harness] madoctl killed by signal " . ($status & 127) . "\n";
    } else {
        $r->{exit} = $status >> 8;
    }
    return $r;
}

sub madoctl_ok {
    my ($self, @args) = @_;
    my $r = $self->madoctl(@args);
    my @shown = map { my $a = text($_); length $a > 40 ? substr($a, 0, 30) . '...' : $a }
                grep { !ref } @args;
    my $name = "madoctl @shown";
    $name =~ s/([[:cntrl:]])/sprintf('\\x%02x', ord $1)/ge;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok($r->{exit} == 0, "$name: exit 0")
        or diag("exit $r->{exit}\nstdout: " . text($r->{out}) . "\nstderr: " . text($r->{err}));
    return $r->{out};
}

# madoctl ARGS must exit EXIT and, with RE, say RE on stderr (1 or 2 tests)
sub madoctl_exit {
    my ($self, $exit, $re, $name, @args) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = $self->madoctl(@args);
    my @shown = grep { !ref } @args;
    my $ok = is($r->{exit}, $exit, text("$name: exit $exit (madoctl @shown)"));
    if (defined $re) {
        $ok &= like($r->{err}, $re, "$name: stderr names it");
    }
    diag(text("stdout: $r->{out}\nstderr: $r->{err}")) unless $ok;
    return $r;
}

# the whole store as show --json prints it (or its failure), to compare
sub snapshot {
    my ($self) = @_;
    my $r = $self->madoctl(qw(show --json));
    return $r->{exit} == 0 ? $r->{out} : "exit $r->{exit}: $r->{err}";
}

# OFFICE/COUNTER as show --json has it, undef if not there
sub counter_state {
    my ($self, $o, $c) = @_;
    my $r = $self->madoctl(qw(show --json));
    my $d = eval { JSON::PP->new->utf8->decode($r->{out}) };
    return $d ? find_counter($d, $o, $c) : undef;
}

# madoctl show --json, decoded (undef and a failed test if not JSON)
sub show_json {
    my ($self, @args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    my $r = $self->madoctl('show', @args, '--json', $opt);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if ($r->{exit} != 0) {
        fail("madoctl show @args --json: exit 0");
        diag("exit $r->{exit}\nstderr: " . text($r->{err}));
        return (undef, $r);
    }
    my $data = eval { JSON::PP->new->utf8->decode($r->{out}) };
    if (!defined $data) {
        fail("madoctl show @args --json prints JSON");
        diag("error: $@\nstdout: " . text(substr($r->{out}, 0, 2000)));
        return (undef, $r);
    }
    return wantarray ? ($data, $r) : $data;
}


# ---------------------------------------------------------------- nginx config

# Every test writes its whole nginx.conf itself (write_config_raw), as
# nginx-tests does; the placeholders stand only for what differs from run
# to run, and add nothing else.

sub _user_line {
    return is_root() ? "user www-data www-data;\n" : '';
}

# nginx clears its workers' environment: what they must see is passed on
sub _env_lines {
    my ($self) = @_;
    my $env = '';
    $env .= "env LD_PRELOAD;\nenv ASAN_OPTIONS;\nenv UBSAN_OPTIONS;\n" if asan();
    $env .= "env MADO_NOW;\n" if $self->{clock};
    return $env;
}

sub _http_paths {
    my ($self) = @_;
    my $d = $self->{dir};
    return <<"EOF";
    access_log $d/access.log;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
EOF
}

# what the harness itself needs in the main context: the user as root, the
# environment the workers must see, a daemon with its pid and error log in
# DIR (start() waits for the daemon, the log checks read error.log)
sub _test_globals {
    my ($self) = @_;
    my $d = $self->{dir};
    return _user_line()
        . $self->_env_lines
        . "daemon on;\n"
        . "master_process on;\n"
        . "pid $d/nginx.pid;\n"
        . "error_log $d/error.log info;\n";
}

sub _placeholders {
    my ($self) = @_;
    my $http = $self->_http_paths;
    $http =~ s/^\s+//;
    $http =~ s/\n\z//;
    return (
        PORT              => $self->{port},
        STORE             => $self->{store},
        DIR               => $self->{dir},
        REPO              => $REPO,
        MODULE            => module_so(),
        USER              => _user_line(),
        ENV               => $self->_env_lines,
        HTTP_PATHS        => $self->_http_paths,
        TEST_GLOBALS      => $self->_test_globals,
        TEST_GLOBALS_HTTP => $http,
    );
}

# the placeholders of write_config_raw replaced in TEXT
sub expand {
    my ($self, $text) = @_;
    my %v = $self->_placeholders;
    $text =~ s/%%([A-Z_]+)%%/exists $v{$1} ? $v{$1} : croak "unknown placeholder %%$1%%"/ge;
    return $text;
}

# Writes DIR/nginx.conf: TEXT with its placeholders replaced (see the POD)
sub write_config_raw {
    my ($self, $text) = @_;
    $text = $self->expand($text);
    # the config says how many workers there are
    $self->{workers} = $1 if $text =~ /^\s*worker_processes\s+(\d+)\s*;/m;
    return $self->_write_conf($text);
}

# DEPRECATED: assembles a config and silently adds "mado_calendar off";
# kept only so that tests written before the inline configs still run.
# Write the whole config in the test with write_config_raw instead.
my $WARNED;
sub write_config {
    my ($self, $http_extra, $server_extra, $location_extra) = @_;
    carp 'MadoTest::write_config is deprecated: write the nginx.conf inline with write_config_raw'
        unless $WARNED++;
    $http_extra //= '';
    $server_extra //= '';
    $location_extra //= '';
    my $text =
          "%%TEST_GLOBALS%%"
        . "load_module %%MODULE%%;\n"
        . "worker_processes $self->{workers};\n"
        . "events { worker_connections 256; }\n"
        . "http {\n"
        . "%%HTTP_PATHS%%"
        . "    mado_store %%STORE%%;\n"
        . ($http_extra =~ /mado_calendar/ ? '' : "    mado_calendar off;\n")
        . "    $http_extra\n"
        . "    server {\n"
        . "        listen 127.0.0.1:%%PORT%%;\n"
        . "        location /api/ { mado_api; $location_extra }\n"
        . "        $server_extra\n"
        . "    }\n"
        . "}\n";
    return $self->write_config_raw($text);
}

sub _write_conf {
    my ($self, $text) = @_;
    my $f = "$self->{dir}/nginx.conf";
    open my $fh, '>', $f or die "write $f: $!";
    print {$fh} $text;
    close $fh or die "close $f: $!";
    $self->{conf_written} = 1;
    return $f;
}


# ---------------------------------------------------------------- nginx process

sub _nginx_env {
    my ($self) = @_;
    return () unless asan();
    my $d = $self->{dir};
    return (
        LD_PRELOAD    => asan_preload(),
        ASAN_OPTIONS  => "detect_leaks=0:log_path=$d/asan:abort_on_error=0",
        UBSAN_OPTIONS => "print_stacktrace=1:log_path=$d/ubsan",
    );
}

# "nginx -t" on this test's config: (exit code, everything it printed)
sub nginx_test {
    my ($self) = @_;
    my $d = $self->{dir};
    local %ENV = (%ENV, $self->_nginx_env);
    my $out = `@{[nginx_bin()]} -t -p $d/ -c $d/nginx.conf -e $d/error.log 2>&1`;
    return ($? >> 8, $out);
}

my $PRELOAD;
sub asan_preload {
    return $PRELOAD if defined $PRELOAD;
    my @p;
    for my $lib (qw(libasan.so libubsan.so)) {
        my $p = `gcc -print-file-name=$lib`;
        chomp $p;
        push @p, $p;
    }
    return $PRELOAD = join ' ', @p;
}

sub _read_file {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t // '';
}

sub _alive {
    my ($pid) = @_;
    return 0 unless $pid;
    return 0 unless kill 0, $pid;
    # a zombie (no init reaps daemons in some containers) is dead
    my $stat = _read_file("/proc/$pid/stat");
    return 0 if $stat =~ /^\d+ \(.*\) Z/s;
    return 1;
}

sub _can_connect {
    my ($self) = @_;
    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $self->{port}, Proto => 'tcp',
        Timeout => 1,
    ) or return 0;
    close $s;
    return 1;
}

sub start {
    my ($self) = @_;
    croak "nginx already running" if $self->{running};
    croak "no nginx.conf: write it with write_config_raw first" unless $self->{conf_written};

    my $d = $self->{dir};
    my $pidfile = "$d/nginx.pid";
    unlink $pidfile;

    my @cmd = (nginx_bin(), '-p', "$d/", '-c', "$d/nginx.conf", '-e', "$d/error.log");
    my %env = $self->_nginx_env;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        $ENV{$_} = $env{$_} for keys %env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$d/nginx.stderr";
        open STDERR, '>>', "$d/nginx.stderr";
        exec @cmd or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    my $rc = $?;

    if ($rc != 0) {
        die "nginx failed to start (status $rc)\n" . $self->_startup_logs;
    }

    my $deadline = time + 10;
    my $master;
    while (time < $deadline) {
        if (!$master) {
            my $p = _read_file($pidfile);
            ($master) = $p =~ /^(\d+)/;
        }
        if ($master && !_alive($master)) {
            last;
        }
        if ($master && $self->_can_connect) {
            $self->{master} = $master;
            $self->{running} = 1;
            return $self;
        }
        sleep 0.05;
    }

    my $logs = $self->_startup_logs;
    if ($master && _alive($master)) {
        kill 'KILL', $master;
    }
    die "nginx did not come up on port $self->{port} within 10 s\n$logs";
}

sub _startup_logs {
    my ($self) = @_;
    my $d = $self->{dir};
    return "--- nginx.conf\n" . _read_file("$d/nginx.conf")
        . "--- nginx stderr\n" . _read_file("$d/nginx.stderr")
        . "--- error.log\n" . _read_file("$d/error.log");
}

sub worker_pids {
    my ($self) = @_;
    return () unless $self->{master};
    my @pids;
    for my $line (`ps --ppid $self->{master} -o pid=,stat= 2>/dev/null`) {
        my ($pid, $stat) = $line =~ /^\s*(\d+)\s+(\S+)/ or next;
        next if $stat =~ /^Z/;
        push @pids, $pid;
    }
    return sort { $a <=> $b } @pids;
}

# HUP; true once none of the old workers is left and new ones run
sub reload {
    my ($self, $timeout) = @_;
    $timeout //= 10;
    croak "nginx not running" unless $self->{running};
    my %old = map { $_ => 1 } $self->worker_pids;
    kill 'HUP', $self->{master} or return 0;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        my @now = $self->worker_pids;
        return 1 if @now && !grep { $old{$_} } @now;
        sleep 0.05;
    }
    return 0;
}

sub _stop_nginx {
    my ($self) = @_;
    return unless $self->{running};
    my $m = $self->{master};
    my @workers = $self->worker_pids;

    kill 'QUIT', $m;
    my $deadline = time + 10;
    sleep 0.02 while _alive($m) && time < $deadline;

    if (_alive($m)) {
        kill 'TERM', $m;
        $deadline = time + 3;
        sleep 0.02 while _alive($m) && time < $deadline;
    }
    if (_alive($m)) {
        kill 'KILL', $m, @workers;
        $deadline = time + 3;
        sleep 0.02 while _alive($m) && time < $deadline;
    }

    # workers of a master that died the hard way
    for my $w (@workers) {
        kill 'KILL', $w if _alive($w);
    }

    $self->{running} = 0;
}

sub stop {
    my ($self) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $self->_stop_nginx;
    $self->check_logs;
    return $self;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{owner} && $self->{owner} == $$;
    local ($?, $!, $@);
    $self->_stop_nginx if $self->{running};
}

END {
    for my $t (@INSTANCES) {
        next unless $t && $t->{owner} == $$ && $t->{running};
        local ($?, $!, $@);
        $t->_stop_nginx;
    }
}


# ---------------------------------------------------------------- secure profile

# The production configuration as shipped (conf.example/nginx, staged by
# conf.example/stage-secure.sh with only paths and ports rewritten) as this
# test's nginx.conf, on this test's port (TLS) and another (plain HTTP, it
# only redirects): start() then runs what a sysadmin installs.  Call it
# before "madoctl init": from now on madoctl uses the audit key where the
# staged mado.conf expects it, and http() goes over TLS (tls => 0 and
# port => HTTP for the redirect server).  Returns (https port, http port).
# Call it before any test: with another nginx than Debian's (make
# test-compat) it skips the file, as the staged nginx.conf loads Debian's
# ModSecurity module, which is built for Debian's nginx only.
sub secure {
    my ($self) = @_;
    my $http = free_port();

    $self->stage_profile($http, $self->{port});
    $self->{audit_key} = "$self->{dir}/etc/mado/audit.key";
    $self->{tls} = 1;
    $self->{http_port} = $http;
    return ($self->{port}, $http);
}

# Plans skip_all unless the staged production configuration can run here:
# its nginx.conf loads Debian's ModSecurity module, built for Debian's
# nginx only (not the nginx of "make test-compat"); without the module or
# the CRS (make deps) it fails under MADO_REQUIRE_BINARIES=1.
my $MODSECURITY = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so';
my $CRS = '/usr/share/modsecurity-crs/rules/REQUEST-901-INITIALIZATION.conf';

sub require_profile {
    if (nginx_bin() ne '/usr/sbin/nginx') {
        plan skip_all => 'the staged production configuration loads Debian\'s '
                         . 'modules, built for /usr/sbin/nginx only, not ' . nginx_bin();
    }
    my @why;
    push @why, "no $MODSECURITY (make deps)" unless -e $MODSECURITY;
    push @why, "no OWASP CRS at $CRS (make deps)" unless -e $CRS;
    return 1 unless @why;
    if ($ENV{MADO_REQUIRE_BINARIES}) {
        plan tests => 1;
        fail('the staged production configuration can run (MADO_REQUIRE_BINARIES=1)');
        diag(join "\n", @why);
        exit 1;
    }
    plan skip_all => join '; ', @why;
}

# conf.example/stage-secure.sh into this test's directory (DIR/nginx.conf,
# which start() runs, etc/, logs/), plain HTTP on HTTP and TLS on HTTPS
sub stage_profile {
    my ($self, $http, $https) = @_;
    my $d = $self->{dir};

    require_profile();

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$d/stage.log";
        open STDERR, '>&', \*STDOUT;
        exec('bash', "$REPO/conf.example/stage-secure.sh", $d, build_dir(),
             $self->{store}, $http, $https) or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    die "stage-secure.sh failed:\n" . _read_file("$d/stage.log") if $?;

    $self->{conf_written} = 1;
    return $self;
}

sub http_port { $_[0]{http_port} }


# ---------------------------------------------------------------- logs

sub allow_log {
    my ($self, @re) = @_;
    push @{ $self->{allow} }, @re;
    return $self;
}

sub error_log {
    my ($self) = @_;
    return _read_file("$self->{dir}/error.log");
}

sub error_log_lines {
    my ($self, $re) = @_;
    return scalar grep { $_ =~ $re } split /\n/, $self->error_log;
}

my $BAD_LOG = qr/\[(?:alert|emerg|crit)\]|AddressSanitizer|runtime error:|LeakSanitizer/;

sub check_logs {
    my ($self) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $d = $self->{dir};

    my @bad;
    # (logs/error.log: the staged production configuration's, secure())
    for my $f ("$d/error.log", "$d/nginx.stderr", "$d/logs/error.log") {
        next unless -e $f;
        for my $line (split /\n/, _read_file($f)) {
            next unless $line =~ $BAD_LOG;
            next if grep { $line =~ $_ } @{ $self->{allow} };
            push @bad, $line;
        }
    }
    ok(!@bad, 'error log: no alert/crit/emerg or sanitizer lines')
        or diag(text(join "\n", @bad[0 .. ($#bad < 30 ? $#bad : 30)]));

    my @reports = grep { -s $_ } glob("$d/asan* $d/ubsan*");
    ok(!@reports, 'no sanitizer reports')
        or diag(text(join "\n", map { "--- $_\n" . substr(_read_file($_), 0, 6000) } @reports));
}


# ---------------------------------------------------------------- HTTP

sub http {
    my ($self, $method, $path, $opt) = @_;
    $opt ||= {};
    my $timeout = $opt->{timeout} // 5;
    my %h = %{ $opt->{headers} || {} };
    my $body = $opt->{body};

    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    for my $k (sort keys %h) {
        $req .= "$k: $h{$k}\r\n";
    }
    if (defined $body && !grep { lc $_ eq 'content-length' } keys %h) {
        $req .= "Content-Length: " . length($body) . "\r\n";
    }
    $req .= "\r\n";
    $req .= $body if defined $body;

    # from another loopback address (127.0.0.2, ...): another client
    my $from = $opt->{from} // $self->{from};
    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $opt->{port} // $self->{port},
        Proto => 'tcp', Timeout => $timeout,
        ($from ? (LocalAddr => $from) : ()),
    ) or return { status => 0, error => "connect: $!", headers => {},
                  body => '', raw => '' };
    binmode $s;

    # over TLS ({tls => 1}, or every request after secure()): the
    # certificate is self-signed, what is tested is the server
    if ($opt->{tls} // $self->{tls}) {
        require IO::Socket::SSL;
        IO::Socket::SSL->start_SSL($s, SSL_verify_mode => 0,
                                   Timeout => $timeout)
            or return { status => 0, headers => {}, body => '', raw => '',
                        error => "TLS: " . IO::Socket::SSL::errstr() };
    }

    my $deadline = time + $timeout;
    my $off = 0;
    my $sel = IO::Select->new($s);
    while ($off < length $req) {
        my $left = $deadline - time;
        return { status => 0, error => 'timeout writing', headers => {},
                 body => '', raw => '' }
            if $left <= 0 || !$sel->can_write($left);
        my $n = syswrite($s, $req, length($req) - $off, $off);
        if (!defined $n) {
            next if $! == EINTR;
            last;       # the server may answer and close early (e.g. 405)
        }
        $off += $n;
    }

    my $raw = '';
    my $err;
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0) { $err = 'timeout reading'; last }
        # TLS may hold decrypted bytes the socket no longer signals
        my @r = ($s->can('pending') && $s->pending) ? ($s) : $sel->can_read($left);
        next unless @r;
        my $n = sysread($s, my $chunk, 65536);
        if (!defined $n) {
            next if $! == EINTR;
            $err = "read: $!" unless length $raw;
            last;
        }
        last if $n == 0;
        $raw .= $chunk;
    }
    close $s;

    my $r = parse_response($raw, $method);
    $r->{error} = $err if $err && !$r->{status};
    $r->{error} //= $err if $err;
    return $r;
}

sub parse_response {
    my ($raw, $method) = @_;
    my $r = { status => 0, headers => {}, body => '', raw => $raw };

    my $i = index($raw, "\r\n\r\n");
    if ($i < 0) {
        $r->{error} = 'no end of headers';
        return $r;
    }
    my $head = substr($raw, 0, $i);
    my $rest = substr($raw, $i + 4);

    my ($status_line, @lines) = split /\r\n/, $head;
    if ($status_line !~ m{^HTTP/1\.[01] (\d{3})(?: (.*))?$}) {
        $r->{error} = "bad status line: $status_line";
        return $r;
    }
    $r->{status} = $1;
    $r->{reason} = $2 // '';

    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:]+):\s*(.*?)\s*$/ or next;
        $k = lc $k;
        $r->{headers}{$k} = exists $r->{headers}{$k}
            ? "$r->{headers}{$k}, $v" : $v;
    }

    my $st = $r->{status};
    if ((defined $method && uc $method eq 'HEAD')
        || $st == 204 || $st == 304 || ($st >= 100 && $st < 200))
    {
        $r->{body} = '';
        $r->{extra} = $rest;        # must be empty
        return $r;
    }

    my $te = $r->{headers}{'transfer-encoding'} // '';
    if ($te =~ /\bchunked\b/i) {
        my $body = '';
        while (1) {
            if ($rest !~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
                $r->{error} = 'bad chunk';
                last;
            }
            my $len = hex $1;
            if ($len == 0) {
                # trailers
                $rest =~ s/^(?:[^\r\n]+\r\n)*\r\n//;
                last;
            }
            if (length($rest) < $len + 2) {
                $r->{error} = 'truncated chunk';
                $body .= $rest;
                $rest = '';
                last;
            }
            $body .= substr($rest, 0, $len);
            substr($rest, 0, $len + 2) = '';
        }
        $r->{body} = $body;
        $r->{extra} = $rest;
        return $r;
    }

    if (defined(my $cl = $r->{headers}{'content-length'})) {
        if (length($rest) < $cl) {
            $r->{error} = 'truncated body';
        }
        $r->{body} = substr($rest, 0, $cl);
        $r->{extra} = length($rest) > $cl ? substr($rest, $cl) : '';
        return $r;
    }

    $r->{body} = $rest;
    return $r;
}

# the loopback address requests come from from now on (undef: any)
sub from {
    my ($self, $addr) = @_;
    $self->{from} = $addr;
    return $self;
}

sub get {
    my ($self, $path, $opt) = @_;
    return $self->http('GET', $path, $opt);
}

# (response, decoded JSON); a failed test when the body is not JSON
sub get_json {
    my ($self, $path, $opt) = @_;
    my $method = ($opt && $opt->{method}) || 'GET';
    my $r = $self->http($method, $path, $opt);
    my $data = eval { JSON::PP->new->utf8->decode($r->{body}) };
    if (!defined $data) {
        local $Test::Builder::Level = $Test::Builder::Level + 1;
        fail("$method $path: body is JSON");
        diag("status $r->{status}" . ($r->{error} ? " ($r->{error})" : '')
             . "\nerror: $@\nbody: " . text(substr($r->{body}, 0, 2000)));
    }
    return wantarray ? ($r, $data) : $data;
}


# OFFICE/COUNTER as GET /api/v1/offices/OFFICE shows it ({} when absent);
# in list context (response, counter)
sub api_counter {
    my ($self, $o, $c) = @_;
    my ($r, $d) = $self->get_json("/api/v1/offices/$o");
    my $x = find_counter($d, $o, $c) // {};
    return wantarray ? ($r, $x) : $x;
}


# Many requests at once, each on its own connection, from its own client
# address when it says so ("from": any 127.0.0.0/8 address is this host):
# REQS is a list of { method, path, body, headers, from, after }.  They are
# written in order, all before any answer is awaited, except that one with
# "after => N" is written once N answers have come (the others' answers
# are read meanwhile).  Returns the responses in REQS' order, each with
# "data" (the body as JSON), "sent" and "done" (the clock when it was
# written and when its answer was complete): tests compare their order,
# never their durations.
sub parallel {
    my ($self, $reqs, %o) = @_;
    my $timeout = $o{timeout} // 60;
    my $deadline = time + $timeout;
    my (@out, %by_fd);
    my $sel = IO::Select->new;
    my $next = 0;
    my $answered = 0;

    my $finish = sub {
        my ($i) = @_;
        my $c = $out[$i];
        $sel->remove($c->{sock});
        close $c->{sock};
        my $r = parse_response($c->{raw}, $reqs->[$i]{method} // 'POST');
        $r->{sent} = $c->{sent};
        $r->{done} = time;
        $r->{data} = eval { JSON::PP->new->utf8->decode($r->{body}) };
        $out[$i] = $r;
        $answered++;
    };

    while (1) {
        # the next requests whose time has come
        while ($next < @$reqs && $answered >= ($reqs->[$next]{after} // 0)) {
            my $q = $reqs->[$next];
            my $body = $q->{body};
            my %h = %{ $q->{headers} || {} };
            my $req = ($q->{method} // 'POST') . " $q->{path} HTTP/1.1\r\n"
                      . "Host: localhost\r\nConnection: close\r\n";
            $req .= "$_: $h{$_}\r\n" for sort keys %h;
            $req .= "Content-Length: " . length($body) . "\r\n" if defined $body;
            $req .= "\r\n" . ($body // '');
            my $s = IO::Socket::INET->new(
                PeerAddr => '127.0.0.1', PeerPort => $self->{port},
                Proto => 'tcp', Timeout => 5,
                ($q->{from} ? (LocalAddr => $q->{from}) : ()),
            ) or croak "connect: $!";
            binmode $s;
            # a request is small: the socket's buffer takes it whole
            my $n = syswrite($s, $req);
            croak "write: $!" unless defined $n && $n == length $req;
            $out[$next] = { sock => $s, raw => '', sent => time };
            $by_fd{fileno $s} = $next;
            $sel->add($s);
            $next++;
        }

        last if $next == @$reqs && $sel->count == 0;

        my $left = $deadline - time;
        croak "parallel: no answers for $timeout s" if $left <= 0;

        for my $s ($sel->can_read($left)) {
            my $i = $by_fd{fileno $s};
            my $n = sysread($s, my $chunk, 65536);
            next if !defined $n && $! == EINTR;
            if ($n) {
                $out[$i]{raw} .= $chunk;
            } else {
                $finish->($i);
            }
        }
    }

    return @out;
}


# ---------------------------------------------------------------- waiting

# Poll COND (a sub) until it returns true or TIMEOUT seconds have passed:
# no test sleeps for a fixed time.  Returns COND's last value; not a test
# itself (assert on what it returns).  what: said in a diag on timeout.
sub wait_for {
    my ($self, $cond, %o) = @_;
    my $timeout = $o{timeout} // 10;
    my $interval = $o{interval} // 0.05;
    my $deadline = time + $timeout;
    while (1) {
        my $v = $cond->();
        return $v if $v;
        last if time >= $deadline;
        sleep $interval;
    }
    diag(sprintf 'gave up after %g s waiting for %s', $timeout, $o{what}) if defined $o{what};
    return $cond->();
}

# Until the wall clock is in a later second than T (default now): what a
# once-a-second check of the product keys on (nginx's cached ngx_time())
sub wait_next_second {
    my ($self, $t) = @_;
    my $next = int($t // time) + 1;
    return $self->wait_for(sub { time >= $next }, timeout => 3, interval => 0.01,
                           what => 'the next second');
}

# a file in DIR, whole ('' if there is none)
sub read_file {
    my ($self, $name) = @_;
    return _read_file("$self->{dir}/$name");
}

# the read offset of process PID in its open file PATH (Linux /proc), or
# undef: how far a follower has read
sub read_offset {
    my ($pid, $path) = @_;
    my $want = abs_path($path) // $path;
    for my $fd (glob "/proc/$pid/fd/*") {
        my $to = readlink $fd;
        next unless defined $to && $to eq $want;
        my ($n) = $fd =~ m{/(\d+)$};
        my ($pos) = _read_file("/proc/$pid/fdinfo/$n") =~ /^pos:\s*(\d+)/m;
        return $pos;
    }
    return undef;
}


# ---------------------------------------------------------------- update API

my $JSON = JSON::PP->new->utf8->canonical;

# POST /api/v1/admin/PATH: BODY as JSON when a reference, else as it is;
# Content-Type application/json unless HEADERS say otherwise.  Returns
# (response, decoded JSON body or undef).
sub admin_post {
    my ($self, $path, $body, $token, %h) = @_;
    my %headers = ('Content-Type' => 'application/json',
                   ($token ? (Authorization => "Bearer $token") : ()), %h);
    my $r = $self->http('POST', "/api/v1/admin/$path", {
        timeout => 30,          # a login hashes for a while under ASan
        body => ref $body ? $JSON->encode($body) : $body,
        headers => \%headers,
    });
    my $d = eval { $JSON->decode($r->{body}) };
    return ($r, $d);
}

# madoctl user add ID ARGS... with PASSWORD on stdin (feed accounts: none)
# and, when given, --iterations N: one test, "user add ID"; the result
sub add_user {
    my ($self, $id, @args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    my $feed = grep { $_ eq 'feed' } @args;
    my @it = defined $opt->{iterations} ? ('--iterations', $opt->{iterations}) : ();
    my $r = $self->madoctl('user', 'add', $id, @args, @it,
                           $feed ? () : ('--password-stdin', { stdin => ($opt->{password}
                               // 'correct horse battery staple') . "\n" }));
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->{exit}, 0, "user add $id" . (@it ? " @it" : '')) or diag(text($r->{err}));
    return $r;
}

# a bearer session of USER (undef if the login failed)
sub admin_login {
    my ($self, $user, $password) = @_;
    my (undef, $d) = $self->admin_post('login', { user => $user, password => $password });
    return $d ? $d->{token} : undef;
}

# the audit trail's records ("madoctl audit list --json", without seq)
sub audit_records {
    my ($self, @filter) = @_;
    my $r = $self->madoctl(qw(audit list --json), @filter);
    my $list = eval { $JSON->decode($r->{out}) } || [];
    return [ map { $_->{record} } @$list ];
}


# ---------------------------------------------------------------- data helpers

sub read_json_file {
    my ($f) = @_;
    $f //= offices_json();
    open my $fh, '<:raw', $f or die "open $f: $!";
    local $/;
    my $t = <$fh>;
    return JSON::PP->new->utf8->decode($t);
}

sub write_json_file {
    my ($f, $data) = @_;
    open my $fh, '>:raw', $f or die "write $f: $!";
    print {$fh} JSON::PP->new->utf8->pretty->canonical->encode($data);
    close $fh or die "close $f: $!";
    return $f;
}

# BYTES into FILE (MODE '>>' appends)
sub write_file {
    my ($f, $bytes, $mode) = @_;
    open my $fh, $mode // '>', $f or die "$f: $!";
    binmode $fh;
    print {$fh} $bytes;
    close $fh or die "$f: $!";
    return $f;
}

# offices.json grown to OFFICES offices: the real ones, then generated
# "genNN" branches with COUNTERS counters "cNN" each and TEXT-byte ASCII
# names and addresses in every language (for tests of a growing store)
sub generated_offices {
    my (%o) = @_;
    my $n = $o{offices} // 14;
    my $nc = $o{counters} // 4;
    my $len = $o{text} // 120;
    my $d = read_json_file();
    my $tmpl = $d->{offices}[0];
    my @langs = sort keys %{ $tmpl->{name} };
    my $pad = sub { substr($_[0] . ('.' x $len), 0, $len) };

    for my $i (scalar(@{ $d->{offices} }) + 1 .. $n) {
        my $id = sprintf 'gen%02d', $i;
        my %off = (
            id         => $id,
            kind       => 'branch',
            name       => { map { $_ => $pad->("Generated office $i ($_) ") } @langs },
            address    => { map { $_ => $pad->("$i Generated-cho, Kyoto ($_) ") } @langs },
            phone      => sprintf('075-000-%04d', $i),
            neighbours => ['kita'],
            hours      => { %{ $tmpl->{hours} } },
            counters   => [ map {
                my $j = $_;
                { id => sprintf('c%02d', $j),
                  name => { map { $_ => $pad->("Counter $j of office $i ($_) ") } @langs },
                  minutes_per_person => 5 + $j / 10 }
            } 1 .. $nc ],
        );
        push @{ $d->{offices} }, \%off;
    }
    return $d;
}

# find OFFICE/COUNTER in API- or show --json-shaped data: an object with
# "id" => OFFICE and a "counters" array, holding an object with id COUNTER
sub find_counter {
    my ($data, $office, $counter) = @_;
    my $o = find_office($data, $office) or return undef;
    for my $c (@{ $o->{counters} || [] }) {
        return $c if ref $c eq 'HASH' && ($c->{id} // '') eq $counter;
    }
    return undef;
}

sub find_office {
    my ($data, $office) = @_;
    my @todo = ($data);
    while (@todo) {
        my $x = shift @todo;
        if (ref $x eq 'HASH') {
            return $x if ($x->{id} // '') eq $office && ref $x->{counters} eq 'ARRAY';
            push @todo, values %$x;
        } elsif (ref $x eq 'ARRAY') {
            push @todo, @$x;
        }
    }
    return undef;
}

# "2026-11-27T09:05:00+09:00" -> unix seconds, undef if not that format
sub parse_jst {
    my ($s) = @_;
    return undef unless defined $s && !ref $s;
    my ($Y, $M, $D, $h, $m, $sec) =
        $s =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\+09:00$/ or return undef;
    my $t = eval { timegm($sec, $m, $h, $D, $M - 1, $Y) };
    return defined $t ? $t - 9 * 3600 : undef;
}

# true for a JSON number (not a string holding digits) as decoded by JSON::PP
sub is_json_number {
    my ($v) = @_;
    return 0 unless defined $v && !ref $v;
    my $e = JSON::PP->new->allow_nonref->encode($v);
    return $e =~ /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/ ? 1 : 0;
}


# ---------------------------------------------------------------- sealed records

# The store's sub-keys as lmdb_store/mado_crypt.c derives them from this
# test's audit key: HKDF-SHA-256 (no salt, one block), ("seal", "lookup")
sub store_keys {
    my ($self) = @_;
    require Digest::SHA;
    my $hex = _read_file("$self->{dir}/audit.key") || croak "no audit key";
    my $prk = Digest::SHA::hmac_sha256(pack('H*', substr($hex, 0, 64)), "\0" x 32);
    return map { Digest::SHA::hmac_sha256("mado store $_ v1\x01", $prk) } qw(seal lookup);
}

# L(DATA) of a use (mado_lookup): the key a count or an account is kept under
sub lookup {
    my ($self, $what, $data) = @_;
    my (undef, $lk) = $self->store_keys;
    return "\0" . substr(Digest::SHA::hmac_sha256("$what\0$data", $lk), 0, 16);
}

# A sealed value of the store (mado_record_seal) in clear, by AES-256 in
# GCM's counter mode (openssl enc: the text's first block is counter 2):
# the tag is not checked, the library does that.  A value in clear (schema
# 1) is returned as it is.
sub unseal {
    my ($self, $value) = @_;
    return $value unless substr($value, 0, 3) eq "\0m\x01" && length $value >= 32;
    my ($seal) = $self->store_keys;
    my $tmp = File::Temp->new(DIR => $self->{dir}, UNLINK => 1);
    binmode $tmp;
    print {$tmp} substr($value, 16, length($value) - 32);
    close $tmp;
    my $iv = unpack('H*', substr($value, 4, 12)) . '00000002';
    my $key = unpack 'H*', $seal;
    my $out = `openssl enc -d -aes-256-ctr -nopad -K $key -iv $iv -in ${\ $tmp->filename}`;
    croak 'openssl enc failed' if $?;
    return $out;
}

# the records of database DB of the store, [key, value] each (mdb_dump)
sub store_records {
    my ($self, $db, $store) = @_;
    $store //= $self->{store};
    my $dump = `mdb_dump -s $db $store 2>/dev/null`;
    return [] if $?;
    my ($data) = $dump =~ /HEADER=END\n(.*)DATA=END/s or return [];
    my @l = map { pack 'H*', substr($_, 1) } grep { length } split /\n/, $data;
    my @r;
    push @r, [ splice @l, 0, 2 ] while @l;
    return \@r;
}

# put KEY => VALUE (bytes) into database DB of the store, as any process of
# the store's group could (mdb_load)
sub store_put {
    my ($self, $db, $key, $value) = @_;
    open my $o, '|-', "mdb_load -s $db $self->{store}" or die "mdb_load: $!";
    print {$o} "VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n",
               ' ', unpack('H*', $key), "\n ", unpack('H*', $value), "\nDATA=END\n";
    close $o or die "mdb_load failed: $?";
}

1;

__END__

=head1 NAME

MadoTest - test harness for mado (nginx module, LMDB store, madoctl)

=head1 SYNOPSIS

    use FindBin; use lib "$FindBin::Bin/lib";
    use MadoTest;

    MadoTest::require_binaries(qw(madoctl module nginx));
    my $t = MadoTest->new;                 # temp dir, free port, store dir
    $t->madoctl_ok('init');
    $t->madoctl_ok('load', MadoTest::offices_json());
    $t->write_config_raw(<<'EOF');         # the whole nginx.conf, inline
    %%TEST_GLOBALS%%
    load_module %%MODULE%%;
    worker_processes 2;
    events { worker_connections 256; }

    http {
        %%TEST_GLOBALS_HTTP%%
        mado_store %%STORE%%;
        mado_calendar off;
        server {
            listen 127.0.0.1:%%PORT%%;
            location /api/ { mado_api; }
        }
    }
    EOF
    $t->start;
    my ($r, $data) = $t->get_json('/api/v1/offices');
    $t->stop;                              # also checks the logs (2 tests)
    done_testing;

=head1 ENVIRONMENT

B<MADO_BUILD> directory of F<madoctl> and F<ngx_http_mado_module.so>
(default F<E<lt>repoE<gt>/build>).  B<MADO_NGINX> nginx binary (default
F</usr/sbin/nginx>; not B<NGINX>, which nginx reads itself).  B<MADO_KEEP> keep the test directory.  B<MADO_ASAN>
the binaries are built with ASan/UBSan: nginx runs with C<LD_PRELOAD> of
libasan and libubsan, and every report goes to F<DIR/asan*>/F<DIR/ubsan*>,
which C<check_logs> requires empty.  B<MADO_REQUIRE_BINARIES> turn a
missing binary from a skip into a failure.

=head1 SETUP

=over

=item MadoTest->new(workers => N, clock => 1)

Temp dir (mode 0755; with ASan as root also group www-data, 0775 so the
workers can write their reports), a free port on 127.0.0.1, and the store
directory C<< $t->store >> = F<DIR/store> made by C<prepare_store>.
C<workers> is what C<< $t->workers >> says until a config with
C<worker_processes> is written (default 2).  C<clock>: the workers run on
the test clock, C<MADO_NOW> of the environment nginx starts in
(C<env MADO_NOW;> in C<%%TEST_GLOBALS%%>/C<%%ENV%%>); set C<$ENV{MADO_NOW}>
before C<start>.  madoctl reads C<MADO_NOW> from the environment anyway.

=item $t->prepare_store([DIR])

mkdir; as root chgrp www-data and chmod 02770 (setgid, so the store files
madoctl creates get group www-data), else chmod 0770.

=item $t->dir, $t->store, $t->port, $t->workers, $t->master_pid, $t->running

=item MadoTest::free_port

A port on 127.0.0.1 below the ephemeral range, bindable now, and locked
for this process by a UDP socket on the same number so that tests run in
parallel (C<prove -j>) never get the same one.

=item MadoTest::repo, build_dir, madoctl_bin, module_so, nginx_bin, offices_json, asan, is_root

=item MadoTest::require_binaries(NAMES)

C<plan skip_all> unless the binaries (madoctl, module, nginx) exist.

=back

=head1 MADOCTL

=over

=item $t->madoctl(ARGS..., {stdin => TEXT, env => {K => V}, nostore => 1, store => DIR, timeout => S, umask => M})

Runs the real madoctl with C<--store DIR> first (not with C<nostore>),
arguments with wide characters encoded as UTF-8,
through IPC::Open3, with umask 022 unless told.  An C<env> value of undef
removes the variable.  Returns C<{exit, out, err, cmd}>; exit is -1 when
the command was killed or timed out (default 60 s).

=item $t->madoctl_ok(ARGS...)

Asserts exit 0 (one test, stderr in diag on failure) and returns stdout.

=item $t->madoctl_argv(ARGS..., {...}), $t->madoctl_env

The command line and the extra environment, for tests that fork and exec
madoctl themselves.

=item $t->madoctl_exit(EXIT, RE, NAME, ARGS...)

madoctl ARGS must exit EXIT (one test) and, with a pattern RE, say it on
stderr (another); stdout and stderr in a diag on failure.

=item $t->snapshot

C<madoctl show --json> as printed (or "exit N: ..."), to compare before
and after a command that must change nothing.

=item $t->counter_state(OFFICE, COUNTER)

The counter as C<show --json> has it.

=item $t->show_json(ARGS..., {...})

C<madoctl show ARGS --json>, decoded; in list context also the result
hash.  A failed test (and undef) when it fails or prints no JSON.

=back

=head1 NGINX

=over

=item $t->write_config_raw($text)

Writes F<DIR/nginx.conf>: the whole config, written in the test file
itself (as nginx-tests does), after replacing the placeholders of what
differs from run to run; nothing else is added.  Returns the file name.
C<< $t->workers >> follows its C<worker_processes>.

  %%TEST_GLOBALS%%       main context: the user line (as root), the env
                         lines (%%ENV%%), daemon on, master_process on,
                         pid DIR/nginx.pid, error_log DIR/error.log info
  %%TEST_GLOBALS_HTTP%%  http context: access_log and every temp path in
                         DIR (%%HTTP_PATHS%%)
  %%MODULE%%             the module's .so (load_module %%MODULE%%;)
  %%PORT%%               this test's port
  %%STORE%%  %%DIR%%     the store directory, the test directory
  %%REPO%%               the repository (conf.example/i18n and assets)
  %%USER%%               "user www-data www-data;" as root, else nothing
  %%ENV%%                env LD_PRELOAD, ASAN_OPTIONS, UBSAN_OPTIONS
                         under ASan, env MADO_NOW with clock => 1
  %%HTTP_PATHS%%         as %%TEST_GLOBALS_HTTP%%, each line indented

An unknown placeholder dies.  C<< $t->expand($text) >> gives the text
with the placeholders replaced, for other files.

=item $t->write_config($http_extra, $server_extra, $location_extra)

Deprecated (warns once): assembles a config and silently adds
C<mado_calendar off>.  Kept only for tests written before the inline
configs; write the config with C<write_config_raw>.

=item $t->start

Dies unless a config was written.  Runs nginx with C<-p DIR/ -c DIR/nginx.conf -e DIR/error.log>, waits up to
10 s for the pid file and the port; dies with the config and logs if not.

=item $t->stop

QUIT, then TERM, then KILL (10 s, 3 s), then C<check_logs>.  Instances
still running at DESTROY or END are stopped without tests.

=item $t->reload([TIMEOUT])

HUP; true once all old workers are gone and new ones run (10 s).

=item $t->worker_pids

Children of the master (C<ps --ppid>), zombies left out.

=back

=head1 LOGS

=over

=item $t->check_logs

Two tests: no C<[alert]>, C<[crit]>, C<[emerg]>, AddressSanitizer,
C<runtime error:> or LeakSanitizer line in the error log or nginx's stderr
(save those matching C<allow_log>), and no non-empty F<DIR/asan*> or
F<DIR/ubsan*>.

=item $t->allow_log(qr/.../)

=item $t->error_log, $t->error_log_lines(qr/.../)

The whole log; the number of lines matching.

=back

=head1 HTTP

=over

=item $t->http($method, $path, {headers => {...}, body => ..., timeout => 5})

One HTTP/1.1 request with C<Host: localhost> and C<Connection: close> on a
new connection.  Returns C<{status, reason, headers => {lc name => value},
body, raw, extra, error}>: repeated headers joined with ", ", chunked bodies
decoded, no body for HEAD, 1xx, 204 and 304 (C<extra> holds what followed
the message and must be empty).  status 0 and C<error> when the connection
failed.  C<from =E<gt> '127.0.0.2'> sends it from that loopback address
(another client to nginx); C<< $t->from(ADDR) >> sets it for every request
after (undef: back to any).

=item $t->parallel([{method, path, body, headers, from, after}, ...], timeout => 60)

Many requests at once, each on its own connection (C<from>: the client
address, any of 127.0.0.0/8), all written before any answer is awaited,
except one with C<< after => N >>, written once N answers have come.  The
responses in the requests' order, each with C<data> (the body as JSON),
C<sent> and C<done> (when it was written, when its answer was complete):
compare their order, never durations.

=item $t->get_json($path, {method => 'GET', ...})

C<(response, data)> with the body decoded by C<< JSON::PP->new->utf8 >>;
a failed test, not a die, when the body is not JSON.

=item $t->api_counter(OFFICE, COUNTER)

The counter as C<GET /api/v1/offices/OFFICE> shows it ({} when absent);
in list context C<(response, counter)>.

=item MadoTest::parse_response($raw, $method)

=back

=head1 WAITING

No test sleeps for a fixed time: it polls for what it waits for.

=over

=item $t->wait_for(sub { ... }, timeout => 10, interval => 0.05, what => TEXT)

Calls the sub until it returns true or the timeout has passed; returns its
last value (assert on it).  C<what> is said in a diag on timeout.

=item $t->wait_next_second([T])

Until the wall clock is in a later second than T (default now): what a
once-a-second check of the module keys on.

=item $t->read_file(NAME)

A file of the test directory, whole ('' if none).

=item MadoTest::read_offset(PID, PATH)

The read offset of process PID in its open file PATH (from /proc), or undef.

=back

=head1 UPDATE API

=over

=item $t->admin_post(PATH, BODY, TOKEN, HEADER => VALUE...)

C<POST /api/v1/admin/PATH>, BODY JSON-encoded when a reference, as
C<application/json> unless the headers say otherwise, with
C<Authorization: Bearer TOKEN> when given; C<(response, decoded body)>.

=item $t->add_user(ID, ARGS..., {password => P, iterations => N})

C<madoctl user add ID ARGS> with the password (default "correct horse
battery staple") on standard input, unless a feed account; one test
("user add ID"); returns the result.

=item $t->admin_login(USER, PASSWORD)

A bearer session token, undef if the login failed.

=item $t->audit_records(FILTERS...)

The records of C<madoctl audit list --json>.

=back

For the ticket-machine feed, L<MadoTest::Feed> generates a day at the
counters, counts it independently and writes it as machines do.

=head1 DATA

=over

=item MadoTest::text($bytes)

UTF-8 bytes (from a program or a response) as text, for test names and
diagnostics; loading MadoTest sets UTF-8 layers on Test::More's handles.

=item MadoTest::read_json_file([FILE]), write_json_file(FILE, DATA)

=item MadoTest::write_file(FILE, BYTES, [MODE])

BYTES as they are into FILE; MODE '>>' appends.

=item MadoTest::generated_offices(offices => N, counters => M, text => BYTES)

offices.json grown with generated offices C<genNN> (counters C<cNN>), for
tests of a growing store.

=item MadoTest::find_office($data, ID), find_counter($data, OFFICE, COUNTER)

Find the office object (C<id> and a C<counters> array) anywhere in decoded
API or C<show --json> output.

=item MadoTest::parse_jst($s)

C<YYYY-MM-DDTHH:MM:SS+09:00> to unix seconds, undef if not that form.

=item MadoTest::is_json_number($v)

=item $t->store_keys, $t->lookup(WHAT, DATA), $t->unseal(VALUE)

The store's sub-keys derived from the test's audit key, the keyed hash a
record naming someone is kept under, and a sealed value in clear (its tag
not checked): what tests need to look at or tamper with the records that
name people (lmdb_store/mado_crypt.c).

=item $t->store_records(DB, [STORE]), $t->store_put(DB, KEY, VALUE)

A database's records as [key, value] pairs (mdb_dump), and one record put
as the store's group could (mdb_load).

=back

=cut
