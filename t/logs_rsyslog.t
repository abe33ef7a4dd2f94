#!/usr/bin/perl

# The access log through syslog to a log host, with the shipped files and
# real daemons on loopback: the staged production configuration with its
# commented syslog access_log line turned on (only the socket's path
# rewritten) sends to a test socket; an rsyslogd with the shipped
# conf.example/rsyslog/mado.conf (only the target rewritten) reads it and
# forwards over TCP -- then over RELP, the shipped commented alternative --
# to a second rsyslogd, the "log host", running the shipped
# mado-loghost.conf (port and directory rewritten).  Every request nginx
# logged arrives there as the same JSON line.  The machine's /dev/log and
# system rsyslog are not touched.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $rsyslogd = (grep { -x } map { "$_/rsyslogd" } split(/:/, $ENV{PATH}), '/usr/sbin')[0];
unless ($rsyslogd) {
    plan skip_all => 'no rsyslogd (make deps)' unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT('no rsyslogd: make deps');
}
plan skip_all => 'no IO::Socket::SSL (libio-socket-ssl-perl)'
    unless eval { require IO::Socket::SSL; 1 };
my $relp = -e '/usr/lib/x86_64-linux-gnu/rsyslog/omrelp.so' || glob('/usr/lib/*/rsyslog/omrelp.so');

my $t = MadoTest->new;
$t->secure;
my $d = $t->dir;
my $repo = MadoTest::repo();

# nginx: the shipped syslog line, on a test socket instead of /dev/log
my $site = "$d/etc/nginx/sites-available/mado";
my $s = MadoTest::_read_file($site);
like($s, qr{^\s*#access_log syslog:server=unix:/dev/log,tag=mado,nohostname mado_json;$}m,
     'the site ships the syslog access_log line, commented');
ok($s =~ s{^(\s*)#access_log syslog:server=unix:/dev/log,}{$1access_log syslog:server=unix:$d/log.sock,}m,
   'turned on, to the test socket');
MadoTest::write_file($site, $s);

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());

my @pids;
END { for (@pids) { kill 'TERM', $_; waitpid $_, 0 } }

sub rsyslogd {
    my ($name, $conf) = @_;
    mkdir "$d/$name";
    MadoTest::write_file("$d/$name.conf", qq{global(workDirectory="$d/$name")\n$conf});
    my $out = `'$rsyslogd' -N1 -f '$d/$name.conf' 2>&1`;
    is($?, 0, "$name: rsyslogd -N1 accepts the configuration") or diag($out);
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', "$d/$name.out"; open STDERR, '>&', \*STDOUT;
        exec($rsyslogd, '-n', '-f', "$d/$name.conf", '-i', "$d/$name.pid") or POSIX::_exit(127);
    }
    push @pids, $pid;
    return $pid;
}

sub stop_pid {
    my ($pid) = @_;
    kill 'TERM', $pid;
    waitpid $pid, 0;
    @pids = grep { $_ != $pid } @pids;
}

sub run_via {
    my ($proto) = @_;
    my $port = MadoTest::free_port();
    my $dest = "$d/loghost-$proto";

    # the log host
    my $lh = MadoTest::_read_file("$repo/conf.example/rsyslog/mado-loghost.conf");
    $lh =~ s{/var/log/mado/}{$dest/}g;
    if ($proto eq 'tcp') {
        $lh =~ s/port="6514"/port="$port"/ or die;
    } else {
        $lh =~ s/^module\(load="imtcp"\)\ninput\(type="imtcp".*\n//m or die;
        $lh =~ s/^#(module\(load="imrelp"\))$/$1/m or die;
        $lh =~ s/^#input\(type="imrelp" port="2514"/input(type="imrelp" port="$port"/m or die;
    }
    my $lpid = rsyslogd("lh-$proto", $lh);

    # the mado server's rsyslogd: the test socket, then the shipped file
    my $fw = MadoTest::_read_file("$repo/conf.example/rsyslog/mado.conf");
    $fw =~ s/loghost\.example\.city\.kyoto\.lg\.jp/127.0.0.1/g;
    if ($proto eq 'tcp') {
        $fw =~ s/port="6514"/port="$port"/ or die;
    } else {
        # the omfwd action out, the commented omrelp one in
        $fw =~ s/^    action\(type="omfwd".*?\)\n//ms or die;
        $fw =~ s/^#(module\(load="omrelp"\))$/$1/m or die;
        $fw =~ s/^    #(action\(type="omrelp".*?\))$/my $a = $1; $a =~ s!\n    #!\n    !g; "    $a"/mse or die;
        $fw =~ s/port="2514"/port="$port"/ or die;
    }
    unlink "$d/log.sock";
    my $fpid = rsyslogd("fw-$proto", qq{module(load="imuxsock" SysSock.Use="off")\n}
                                    . qq{input(type="imuxsock" Socket="$d/log.sock")\n$fw});
    ok($t->wait_for(sub { -S "$d/log.sock" }), "$proto: the test socket is there");

    $t->start unless $t->running;
    $t->reload if $t->{reloaded_for}++;
    my @ids;
    for my $p ('/kita?lang=en', '/api/v1/offices/kita', "/$proto-missing") {
        my $r = $t->get($p, { headers => { 'User-Agent' => "syslog test \"$proto\"" } });
        ok($r->{status}, "$proto: GET $p");
    }

    my @want = grep { /"syslog test \\"$proto\\""/ } split /\n/, MadoTest::_read_file("$d/logs/mado/access.log");
    is(scalar @want, 3, "$proto: nginx logged the three requests to its file");
    my $got;
    $t->wait_for(sub {
        my @f = glob("$dest/*/access.log");
        $got = @f ? MadoTest::_read_file($f[0]) : '';
        (grep { index($got, $_) >= 0 } @want) == @want;
    }, timeout => 20);
    my @lines = grep { /"syslog test \\"$proto\\""/ } split /\n/, $got;
    is_deeply(\@lines, \@want, "$proto: the log host has each line, byte for byte, in order")
        or diag("log host: $got\nrsyslog: " . MadoTest::_read_file("$d/fw-$proto.out")
                . MadoTest::_read_file("$d/lh-$proto.out"));
    ok(eval { decode_json($lines[0]) }, "$proto: JSON there too");
    my @hosts = map { m{/([^/]+)/access\.log$} } glob("$dest/*/access.log");
    is(scalar @hosts, 1, "$proto: in a directory named for the sending host ($hosts[0])");

    stop_pid($fpid);
    stop_pid($lpid);
}

run_via('tcp');
SKIP: {
    skip 'no rsyslog-relp (make deps)', 8 unless $relp || $ENV{MADO_REQUIRE_BINARIES};
    run_via('relp');
}

$t->stop;
$t->check_logs;

done_testing;
