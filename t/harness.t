#!/usr/bin/perl

# Self-test of t/lib/MadoTest.pm: the parts that need neither nginx nor the
# module (port, directories, HTTP client against a tiny server of our own,
# madoctl invocation).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(time);

use MadoTest;

my $t = MadoTest->new;

# --- free port
my $port = $t->port;
ok($port > 0 && $port < 65536, "free port $port is a port number");
{
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
        Proto => 'tcp', Listen => 1, ReuseAddr => 1);
    ok($s, 'free port can be bound') or diag("bind: $!");
    close $s if $s;
}
isnt(MadoTest::free_port(), undef, 'free_port again');
ok(!IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'udp'),
   'the port is locked for this process (a UDP socket on it), so parallel tests never share it');
{
    my ($low) = do { local (@ARGV, $/) = '/proc/sys/net/ipv4/ip_local_port_range'; <> } =~ /^(\d+)/;
    ok($port < ($low // 32768), "the port is below the ephemeral range (no client socket holds it)");
}

# --- directories
my @st = stat $t->dir;
ok(-d $t->dir, 'test dir exists');
is($st[4], $>, 'test dir is ours');
ok(($st[2] & 0755) == 0755, sprintf('test dir mode %04o lets workers in', $st[2] & 07777));
ok(($st[2] & 0022) == 0 || (MadoTest::is_root() && MadoTest::asan()),
    'test dir not group/world writable (save ASan as root)');

my @ss = stat $t->store;
ok(-d $t->store, 'store dir exists');
is($t->store, $t->dir . '/store', 'store is DIR/store');
if (MadoTest::is_root()) {
    is($ss[2] & 07777, 02770, 'store mode 02770 as root');
    is($ss[5], scalar getgrnam('www-data'), 'store group www-data as root');
} else {
    is($ss[2] & 07777, 0770, 'store mode 0770');
}

# --- config writing: the placeholders, and nothing added to the text
{
    my $p = $t->port;
    my $s = $t->store;
    my $d = $t->dir;
    my $so = MadoTest::module_so();
    my $f = $t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 3;
events { worker_connections 256; }
http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; mado_max_age 5s; }
        # srv
    }
}
EOF
    my $c = do { local (@ARGV, $/) = $f; <> };
    like($c, qr/^load_module \Q$so\E;$/m, 'config loads the module');
    like($c, qr/listen 127\.0\.0\.1:$p;/, 'config listens on the port');
    like($c, qr/mado_store \Q$s\E;/, 'config names the store');
    like($c, qr/location \/api\/ \{ mado_api; mado_max_age 5s; \}/, 'the text as written');
    unlike($c, qr/mado_calendar/, 'nothing added (no mado_calendar)');
    unlike($c, qr{/var/lib/nginx}, 'no /var/lib/nginx');
    for my $p (qw(client_body proxy fastcgi uwsgi scgi)) {
        like($c, qr/${p}_temp_path \Q$d\E\//, "$p temp path in dir");
    }
    if (MadoTest::is_root()) {
        like($c, qr/^user www-data www-data;/m, 'user line as root');
    } else {
        unlike($c, qr/^user /m, 'no user line as non-root');
    }
    like($c, qr/^pid \Q$d\E\/nginx\.pid;\nerror_log \Q$d\E\/error\.log info;$/m,
         'pid and error log in the test directory');
    is($t->workers, 3, 'workers as the config says');

    $f = $t->write_config_raw("listen %%PORT%%; %%STORE%% %%DIR%% %%MODULE%%\n");
    $c = do { local (@ARGV, $/) = $f; <> };
    is($c, "listen $p; $s $d $so\n", 'raw config placeholders');
    ok(!eval { $t->write_config_raw("%%NOSUCH%%\n"); 1 }, 'an unknown placeholder dies');
}

# --- waiting: polls until true, gives up at its deadline
{
    my $n = 0;
    is($t->wait_for(sub { ++$n >= 3 && 'done' }, interval => 0.01), 'done',
       'wait_for returns the value once true');
    is($n, 3, 'wait_for polled until then');
    my $t0 = time;
    ok(!$t->wait_for(sub { 0 }, timeout => 0.2, interval => 0.05), 'wait_for: false at the deadline');
    ok(time - $t0 < 2, 'wait_for: gives up at its deadline');
    my $s0 = int(time);
    $t->wait_next_second;
    ok(time >= $s0 + 1, 'wait_next_second');
}

# --- HTTP client against a canned server
{
    my @canned = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n"
            . "X-A: 1\r\nX-a: 2\r\n\r\n{\"a\":[1]}",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            . "4\r\n{\"b\"\r\n3;ext=1\r\n:2}\r\n0\r\nX-Trailer: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnot json",
    );
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
        Proto => 'tcp', Listen => 5, ReuseAddr => 1) or die "listen: $!";
    my $sport = $srv->sockport;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        for my $resp (@canned) {
            my $c = $srv->accept or POSIX::_exit(1);
            my $req = '';
            while ($req !~ /\r\n\r\n/) {
                my $n = sysread($c, my $buf, 4096) or last;
                $req .= $buf;
            }
            if ($req =~ /Content-Length: (\d+)/i) {
                my $want = $1;
                my ($body) = $req =~ /\r\n\r\n(.*)/s;
                while (length($body) < $want) {
                    my $n = sysread($c, my $buf, 4096) or last;
                    $body .= $buf;
                }
            }
            syswrite($c, $resp);
            close $c;
        }
        POSIX::_exit(0);
    }
    close $srv;

    my $r = $t->http('GET', '/x', { port => $sport });
    is($r->{status}, 200, 'content-length response: status');
    is($r->{body}, '{"a":[1]}', 'content-length response: body');
    is($r->{headers}{'x-a'}, '1, 2', 'repeated headers joined, names lowercased');
    is($r->{headers}{'content-type'}, 'application/json', 'header value');

    $r = $t->http('GET', '/x', { port => $sport, headers => { 'If-None-Match' => '"x"' } });
    is($r->{body}, '{"b":2}', 'chunked body decoded');
    is($r->{extra}, '', 'nothing after the last chunk');

    $r = $t->http('HEAD', '/x', { port => $sport });
    is($r->{body}, '', 'HEAD: no body');
    is($r->{headers}{etag}, '"x"', 'HEAD: headers');

    $r = $t->http('POST', '/x', { port => $sport, body => 'abc' });
    is($r->{status}, 304, 'POST with a body: status 304');
    is($r->{body}, '', '304: no body');

    my $fails = 0;
    {
        # get_json must fail the test, not die; count that failure ourselves
        no warnings 'redefine';
        local *MadoTest::fail = sub { $fails++; 0 };
        local *MadoTest::diag = sub { };
        my ($r2, $d) = $t->get_json('/x', { port => $sport });
        is($d, undef, 'get_json: undef for a non-JSON body');
    }
    is($fails, 1, 'get_json: one failed test for a non-JSON body');

    waitpid($pid, 0);
    is($?, 0, 'canned server served all');

    $r = $t->http('GET', '/x', { port => $sport, timeout => 1 });
    is($r->{status}, 0, 'connection refused: status 0');
    ok($r->{error}, "connection refused: error ($r->{error})");
}

# --- time and JSON helpers
is(MadoTest::parse_jst('2023-11-15T07:13:20+09:00'), 1700000000, 'parse_jst');
is(MadoTest::parse_jst('2023-11-15T07:13:20Z'), undef, 'parse_jst wants +09:00');
{
    my $d = JSON::PP->new->utf8->decode('{"n":5,"s":"5"}');
    ok(MadoTest::is_json_number($d->{n}), 'is_json_number(5)');
    ok(!MadoTest::is_json_number($d->{s}), 'is_json_number("5") is false');
    my $api = { offices => [ { id => 'kita', counters => [ { id => 'moving', waiting => 3 } ] } ] };
    is(MadoTest::find_counter($api, 'kita', 'moving')->{waiting}, 3, 'find_counter');
    is(MadoTest::find_counter({ office => $api->{offices}[0] }, 'kita', 'moving')->{waiting}, 3,
        'find_counter in {office}');
    is(MadoTest::find_counter($api, 'kita', 'nosuch'), undef, 'find_counter: none');
}

# --- nginx process handling, with a config that needs no module
SKIP: {
    skip 'no nginx at ' . MadoTest::nginx_bin(), 9 unless -x MadoTest::nginx_bin();

    my $n = MadoTest->new;
    $n->write_config_raw(<<'EOF');
%%USER%%
worker_processes 2;
daemon on;
master_process on;
pid %%DIR%%/nginx.pid;
error_log %%DIR%%/error.log info;
events { worker_connections 64; }
http {
%%HTTP_PATHS%%
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { return 200 "hello\n"; }
    }
}
EOF
    $n->start;
    ok($n->running && $n->master_pid, 'nginx started, master ' . ($n->master_pid // '?'));
    my $r = $n->http('GET', '/');
    is($r->{body}, "hello\n", 'nginx answers');
    my @w = $n->worker_pids;
    is(scalar @w, 2, 'two workers');
    ok($n->reload, 'reload replaces the workers');
    my @w2 = $n->worker_pids;
    ok(!grep({ my $p = $_; grep { $_ == $p } @w } @w2), 'no old worker left');
    $n->stop;
    ok(!$n->running, 'stopped');
    ok(!-e $n->dir . '/nginx.pid', 'pid file removed by nginx');
}

# --- check_logs notices what it must, and honours allow_log
{
    my $l = MadoTest->new;
    my $d = $l->dir;
    open my $fh, '>', "$d/error.log" or die;
    print {$fh} "2026/01/01 00:00:00 [info] 1#1: fine\n",
                "2026/01/01 00:00:00 [crit] 1#1: expected trouble\n";
    close $fh;

    my @res;
    {
        no warnings 'redefine';
        local *MadoTest::ok = sub { push @res, $_[0] ? 1 : 0; $_[0] };
        local *MadoTest::diag = sub { };
        $l->check_logs;
        $l->allow_log(qr/expected trouble/);
        $l->check_logs;
        open $fh, '>', "$d/asan.123" or die;
        print {$fh} "==123==ERROR: AddressSanitizer: heap-use-after-free\n";
        close $fh;
        $l->check_logs;
        unlink "$d/asan.123";
        open $fh, '>>', "$d/error.log" or die;
        print {$fh} "runtime error: signed integer overflow\n";
        close $fh;
        $l->check_logs;
    }
    is_deeply(\@res, [0, 1,  1, 1,  1, 0,  0, 1], 'check_logs: [crit], allow_log, asan file, runtime error');
    is($l->error_log_lines(qr/\[crit\]/), 1, 'error_log_lines');
}

# --- madoctl
SKIP: {
    skip 'madoctl not built (' . MadoTest::madoctl_bin() . ')', 6
        unless -x MadoTest::madoctl_bin();

    my $r = $t->madoctl('--help', { nostore => 1 });
    is($r->{exit}, 0, 'madoctl --help exits 0') or diag($r->{err});
    like($r->{out} . $r->{err}, qr/exit/i, 'madoctl --help mentions exit codes');
    is($r->{cmd}, '--help', 'nostore: no --store');

    $r = $t->madoctl('--help');
    is($r->{exit}, 0, 'madoctl --store DIR --help exits 0') or diag($r->{err});
    like($r->{cmd}, qr/^--store \Q${\ $t->store}\E --help$/, '--store first');

    $r = $t->madoctl('--help', { env => { MADO_NOW => 1 }, stdin => "x\n" });
    is($r->{exit}, 0, 'env and stdin options');
}

$t->check_logs;

done_testing;
