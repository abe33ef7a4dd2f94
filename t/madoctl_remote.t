#!/usr/bin/perl

# madoctl --server: login, set, issue, call, cancel and logout through the
# update API over real TLS (nginx with a throwaway CA made by the openssl
# CLI).  The certificate is verified (unknown CA, another host: refused,
# nothing sent), the session file is 0600 and refused when others may read
# it, refusals keep the server's status and field, and a connection reset
# after the request is retried with the same Idempotency-Key, applied once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Socket qw(SOL_SOCKET SO_LINGER);
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

for my $tool (qw(openssl curl)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
my $dir = $t->dir;
my $port = $t->port;
my $wrong_port = MadoTest::free_port();
my $busy_port = MadoTest::free_port();
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

my $json = JSON::PP->new->utf8->canonical;
my $password = 'correct horse battery staple';

# A test store: its accounts hash 1000 PBKDF2 iterations, not 600 000, so
# that logins cost no time (admin_login.t logs in with production's)
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(chief --role admin), { iterations => 1000 });
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });

# ------------------------------------------------------------ a throwaway CA

my $tls = "$dir/tls";
mkdir $tls or die "mkdir $tls: $!";

sub openssl {
    my @cmd = ('openssl', @_);
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$tls/openssl.log";
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    die "@cmd: failed\n" . do { local (@ARGV, $/) = "$tls/openssl.log"; <> } if $?;
}

sub server_cert {
    my ($name, $san) = @_;
    open my $fh, '>', "$tls/$name.ext" or die;
    print {$fh} "subjectAltName=$san\nbasicConstraints=CA:FALSE\n"
              . "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n";
    close $fh;
    openssl(qw(req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes),
            '-keyout', "$tls/$name.key", '-out', "$tls/$name.csr",
            '-subj', "/CN=$name");
    openssl(qw(x509 -req -days 2 -sha256), '-in', "$tls/$name.csr",
            '-CA', "$tls/ca.pem", '-CAkey', "$tls/ca.key",
            '-set_serial', int(rand(1e9)) + 2, '-extfile', "$tls/$name.ext",
            '-out', "$tls/$name.pem");
}

openssl(qw(req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2),
        '-keyout', "$tls/ca.key", '-out', "$tls/ca.pem", '-subj', '/CN=mado test CA');
server_cert('localhost', 'DNS:localhost,IP:127.0.0.1');
server_cert('wrong', 'DNS:wrong.example');
my $ca = "$tls/ca.pem";

# TLS 1.3 only: the reset proxy below counts the client's records so; a
# second server with a certificate for another name
$t->write_config_raw(<<"EOF");
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;
    ssl_protocols TLSv1.3;

    server {
        listen 127.0.0.1:%%PORT%% ssl;
        ssl_certificate %%DIR%%/tls/localhost.pem;
        ssl_certificate_key %%DIR%%/tls/localhost.key;
        location /api/v1/admin/ { mado_admin; }
        location /api/ { mado_api; }
    }

    # what the update API answers while logins crowd it (login_busy: not
    # counted, so safe to send again), from nginx itself, every time
    server {
        listen 127.0.0.1:$busy_port ssl;
        ssl_certificate %%DIR%%/tls/localhost.pem;
        ssl_certificate_key %%DIR%%/tls/localhost.key;
        access_log %%DIR%%/busy.log;
        location /api/v1/admin/ {
            default_type application/json;
            add_header Retry-After 1 always;
            return 503 '{"error":"login_busy","message":"too many logins at once: try again in a second"}';
        }
    }

    server {
        listen 127.0.0.1:$wrong_port ssl;
        ssl_certificate %%DIR%%/tls/wrong.pem;
        ssl_certificate_key %%DIR%%/tls/wrong.key;
        location /api/v1/admin/ { mado_admin; }
    }
}
EOF
$t->start;

my $url = "https://localhost:$port";
my $xdg = "$dir/xdg";
my $session = "$xdg/mado/session-localhost-$port";

# madoctl remote: no --store (the server writes its own), a private $HOME
sub remote {
    my @args = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    # straight to the server whatever proxy the caller's shell names
    # (madoctl_proxy.t tests proxies)
    my %env = (XDG_CONFIG_HOME => $xdg, HOME => "$dir/home",
               MADO_SERVER => undef, MADO_CACERT => undef,
               MADO_TOKEN_FILE => undef,
               map({ $_ => undef } qw(https_proxy HTTPS_PROXY all_proxy ALL_PROXY
                                     MADO_PROXY)),
               %{ $opt->{env} || {} });
    return $t->madoctl(@args, { %$opt, nostore => 1, env => \%env });
}

sub curl {
    my (@args) = @_;
    open my $fh, '-|', 'curl', '-sS', '--noproxy', '*', '--max-time', '10', '--cacert', $ca, @args
        or die "curl: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    return $out;
}

# the public API, over https as citizens see it
sub kita {
    my ($counter) = @_;
    my $d = eval { $json->decode(curl("$url/api/v1/offices/kita")) };
    return MadoTest::find_counter($d, 'kita', $counter // 'moving') // {};
}

sub remote_login {
    my (@extra) = @_;
    my $opt = (@extra && ref $extra[-1] eq 'HASH') ? pop @extra : {};
    return remote('--server', $url, '--cacert', $ca, @extra, 'login',
                  '--user', $opt->{user} // 'tanaka', '--password-stdin',
                  { stdin => ($opt->{password} // $password) . "\n" });
}

my $r;

# ------------------------------------------------------------ usage

$r = remote('--server', "http://localhost:$port", 'call', 'kita', 'moving');
is($r->{exit}, 2, 'http:// is refused: usage error');
like($r->{err}, qr/only https:\/\//, 'http://: the message says https only');

$r = remote('--server', $url, 'show');
is($r->{exit}, 2, '--server with a local verb: usage error');
like($r->{err}, qr/login, logout, set, issue, call and cancel/, 'and the remote verbs are named');

$r = remote('login', '--user', 'tanaka', '--password-stdin', { stdin => "$password\n" });
is($r->{exit}, 2, 'login without --server: usage error');

$r = remote('--server', $url, 'call', '--help');
like($r->{out}, qr/--cacert FILE/, 'call --help shows the remote options');

# ------------------------------------------------------------ certificates

my $records = @{ $t->audit_records };

$r = remote('--server', $url, 'login', '--user', 'tanaka', '--password-stdin',
            { stdin => "$password\n" });
is($r->{exit}, 5, 'a private CA not given: exit 5');
like($r->{err}, qr/certificate is not trusted: .*(issuer|self.signed)/, 'the certificate is named');
like($r->{err}, qr/--cacert/, 'and --cacert suggested');
ok(!-e $session, 'no session file');

$r = remote('--server', "https://localhost:$wrong_port", '--cacert', $ca, 'login',
            '--user', 'tanaka', '--password-stdin', { stdin => "$password\n" });
is($r->{exit}, 5, 'a certificate for another host: exit 5');
like($r->{err}, qr/hostname mismatch/i, 'hostname mismatch said');

$r = remote('--server', "https://127.0.0.1:$wrong_port", '--cacert', $ca, 'login',
            '--user', 'tanaka', '--password-stdin', { stdin => "$password\n" });
is($r->{exit}, 5, 'an address not in the certificate: exit 5');
like($r->{err}, qr/IP address mismatch/i, 'IP address mismatch said');

is(scalar @{ $t->audit_records }, $records, 'nothing reached the server: no login audited');

# ------------------------------------------------------------ login

$r = remote_login({ password => 'not the password at all' });
is($r->{exit}, 4, 'a wrong password: exit 4');
like($r->{err}, qr/wrong user or password \(HTTP 401 unauthorized\)/, 'the server\'s message');
ok(!-e $session, 'a wrong password: no session file');

$r = remote_login({ user => 'Tanaka San' });
is($r->{exit}, 1, 'a user id the server refuses: exit 1 (400)');
like($r->{err}, qr/--user: must be a user id \(HTTP 400/, '400 names the field, as the option');

$r = remote_login();
is($r->{exit}, 0, 'login') or diag($r->{err});
like($r->{out}, qr/^logged in as tanaka at \Q$url\E; the session is in \Q$session\E$/m,
     'login says who, where and the file');
ok(-f $session, 'the session file is there');
is((stat $session)[2] & 07777, 0600, 'the session file is 0600');
is((stat "$xdg/mado")[2] & 07777, 0700, 'in a directory of mode 0700');
my $token = do { local (@ARGV, $/) = $session; <> } // '';
like($token, qr/^mado_s_[0-9a-f]{64}\n\z/, 'it holds the session token');
chomp $token;

# the address, checked against the certificate's IP SAN, and its own file
$r = remote('--server', "https://127.0.0.1:$port", '--cacert', $ca,
            '--token-file', "$dir/ip-session", 'login', '--user', 'tanaka',
            '--password-stdin', { stdin => "$password\n" });
is($r->{exit}, 0, 'login at https://127.0.0.1 (IP SAN)') or diag($r->{err});
is((stat "$dir/ip-session")[2] & 07777, 0600, '--token-file: 0600 too');

# ------------------------------------------------------------ the counter verbs

my @rem = ('--server', $url, '--cacert', $ca);

$r = remote(@rem, 'set', 'kita', 'moving', '--status', 'open', '--waiting', '3',
            '--staff', '2', '--message', '窓口 2 番へ');
is($r->{exit}, 0, 'set') or diag($r->{err});
my $c = kita();
is($c->{waiting}, 3, 'set: the public API shows it');
is($r->{out},
   "kita/moving: open waiting=3 calling=0 last=0 served=0 staff=2 message=\"窓口 2 番へ\"\n",
   'set: printed like the local verb');

$r = remote(@rem, 'issue', 'kita', 'moving');
is($r->{exit}, 0, 'issue') or diag($r->{err});
$c = kita();
is($r->{out}, "$c->{last_issued}\n", 'issue: prints the ticket the API shows as last issued');
is($c->{waiting}, 4, 'issue: one more waits');

$r = remote(@rem, 'call', 'kita', 'moving');
is($r->{exit}, 0, 'call') or diag($r->{err});
$c = kita();
is($r->{out}, "$c->{calling}\n", 'call: prints the number the API shows as calling');
is($c->{waiting}, 3, 'call: one fewer waits');

remote(@rem, 'issue', 'kita', 'moving') for 1 .. 2;
my $last = kita()->{last_issued};
$r = remote(@rem, 'cancel', 'kita', 'moving', $last);
is($r->{exit}, 0, 'cancel') or diag($r->{err});
is($r->{out}, "cancelled $last\n", 'cancel: printed like the local verb');
is(kita()->{waiting}, 4, 'cancel: one fewer waits');

my @mine = grep { ($_->{actor} // '') eq 'user:tanaka' } @{ $t->audit_records };
is_deeply([ map { $_->{action} } @mine ],
          [qw(login.failed login login set issue call issue issue cancel)],
          'audited at the server as user:tanaka, each change once');

# refusals: the server's status as the exit status, nothing written
my $state = $json->encode(kita());
$records = @{ $t->audit_records };

$r = remote(@rem, 'call', 'sakyo', 'moving');
is($r->{exit}, 4, 'an office not granted: exit 4 (403)');
like($r->{err}, qr/may not change that office's counters \(HTTP 403 forbidden\)/, '403 said');

$r = remote(@rem, 'issue', 'kita', 'family');
is($r->{exit}, 1, 'a closed counter: exit 1 (409)');
like($r->{err}, qr/\(HTTP 409 refused\)/, '409 said');

$r = remote(@rem, 'call', 'kita', 'lobby');
is($r->{exit}, 1, 'no such counter: exit 1 (404)');

$r = remote(@rem, 'set', 'kita', 'moving', '--staff', '999');
is($r->{exit}, 1, 'set --staff 999: refused before sending, as locally');
like($r->{err}, qr/--staff: must be an integer 0\.\.99/, 'naming the option');

$r = remote('--server', $url, 'call', 'kita', 'moving');
is($r->{exit}, 5, 'a counter verb without --cacert: exit 5');
like($r->{err}, qr/certificate is not trusted/, 'the certificate is named');

is($json->encode(kita()), $state, 'nothing was changed by the refused ones');
my @after = @{ $t->audit_records };
is(scalar @after, $records + 1, 'nothing written but the record of the 403');
is("$after[-1]{action} $after[-1]{status} $after[-1]{reason}", 'refused 403 office', 'the 403 audited as refused');

# MADO_SERVER and MADO_CACERT instead of the options
$r = remote('issue', 'kita', 'moving', { env => { MADO_SERVER => $url, MADO_CACERT => $ca } });
is($r->{exit}, 0, 'MADO_SERVER and MADO_CACERT') or diag($r->{err});
is($r->{out}, kita()->{last_issued} . "\n", 'MADO_SERVER: issued there');

# an explicit --store beats MADO_SERVER; explicit --store and --server clash
$r = $t->madoctl('issue', 'kita', 'moving', { env => { MADO_SERVER => $url } });
is($r->{exit}, 0, '--store with MADO_SERVER set: local') or diag($r->{err});
is($r->{out}, kita()->{last_issued} . "\n", '--store with MADO_SERVER set: issued in the store');
$r = $t->madoctl('--server', $url, 'issue', 'kita', 'moving');
is($r->{exit}, 2, '--store and --server: usage error');

# ------------------------------------------------------------ the session file

chmod 0644, $session or die;
$state = $json->encode(kita());
$r = remote(@rem, 'call', 'kita', 'moving');
is($r->{exit}, 4, 'a session file others may read: refused, exit 4');
like($r->{err}, qr/others may read or write it \(mode 0644\)/, 'the mode is said');
is($json->encode(kita()), $state, 'and nothing sent');
chmod 0600, $session or die;

# ------------------------------------------------------------ a reset, retried

# a byte-for-byte TCP proxy: on its first connection it passes the request
# to nginx, lets nginx answer in full, then resets the client without the
# answer; later connections pass through
my $log = "$dir/proxy.log";
my ($proxy_pid, $proxy_port) = start_proxy($port, $log);

$state = kita();
$records = @{ $t->audit_records };
$r = remote('--server', "https://localhost:$proxy_port", '--cacert', $ca,
            '--token-file', $session, 'call', 'kita', 'moving');
is($r->{exit}, 0, 'call through a reset: exit 0') or diag($r->{err});
like($r->{err}, qr/trying again in 0\.5 s \(attempt 2 of 4, the same Idempotency-Key\)/,
     'the retry is said on stderr');
my $after = kita();
is($after->{calling}, $state->{calling} + 1, 'called once, not twice');
is($after->{waiting}, $state->{waiting} - 1, 'one fewer waits, not two');
is($r->{out}, "$after->{calling}\n", 'the output is the first answer');
my @new = @{ $t->audit_records }[$records .. $#{ $t->audit_records }];
is(scalar(grep { $_->{action} eq 'call' } @new), 1, 'one call in the audit trail');
is(scalar @new, 1, 'and nothing else');
my $plog = do { local (@ARGV, $/) = $log; <> } // '';
like($plog, qr/^1 reset after \d+ bytes of answer$/m, 'the proxy reset the first connection after nginx answered');
like($plog, qr/^2 passed$/m, 'the retry went through the proxy');

kill 'TERM', $proxy_pid;
waitpid($proxy_pid, 0);

# a port nothing listens on: retried, then exit 3
my $dead = MadoTest::free_port();
$r = remote('--server', "https://localhost:$dead", '--cacert', $ca,
            '--token-file', $session, 'issue', 'kita', 'moving');
is($r->{exit}, 3, 'nothing listening: exit 3 after the retries');
is(() = $r->{err} =~ /trying again/g, 3, 'three retries said');

# ------------------------------------------------------------ a busy server

# 503 to a login: sent again after the server's Retry-After, then given up
$r = remote('--server', "https://localhost:$busy_port", '--cacert', $ca,
            '--token-file', "$dir/busy-session", 'login', '--user', 'tanaka',
            '--password-stdin', { stdin => "$password\n" });
is($r->{exit}, 3, 'login answered 503 every time: exit 3 after the retries');
is(() = $r->{err} =~ /503, too many logins at once, or the store unavailable; trying again in 1\.0 s/g, 3,
   'three retries said, after the server\'s Retry-After');
like($r->{err}, qr/login: too many logins at once: try again in a second \(HTTP 503 login_busy\)\n\z/, "then the server's answer");
ok(!-e "$dir/busy-session", 'no session file');
my $busy = $t->read_file("busy.log");
is(() = $busy =~ /"POST \/api\/v1\/admin\/login HTTP\/1\.1" 503/g, 4, 'four logins reached the server');

# ------------------------------------------------------------ logout

$r = remote(@rem, 'logout');
is($r->{exit}, 0, 'logout') or diag($r->{err});
ok(!-e $session, 'logout: the session file is gone');
my $code = curl('-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST',
                '-H', "Authorization: Bearer $token",
                '-H', 'Content-Type: application/json', '-d', '{"action":"issue"}',
                "$url/api/v1/admin/offices/kita/counters/moving");
is($code, '401', 'the old token now gets 401');

$r = remote(@rem, 'call', 'kita', 'moving');
is($r->{exit}, 4, 'after logout: not logged in, exit 4');
like($r->{err}, qr/not logged in at \Q$url\E/, 'not logged in said');

# a session file whose session the server ended: 401, log in again
{
    open my $fh, '>', $session or die;
    print {$fh} "$token\n";
    close $fh;
    chmod 0600, $session;
}
$r = remote(@rem, 'call', 'kita', 'moving');
is($r->{exit}, 4, 'an ended session: exit 4');
like($r->{err}, qr/HTTP 401 unauthorized.*\n.*log in again/s, '401: log in again said');

$r = remote(@rem, 'logout');
is($r->{exit}, 0, 'logout of a session the server no longer knows: exit 0');
ok(!-e $session, 'and the file is gone');

$r = remote(@rem, 'logout');
is($r->{exit}, 0, 'logout without a session: nothing to do');

$r = remote('--server', "https://127.0.0.1:$port", '--cacert', $ca,
            '--token-file', "$dir/ip-session", 'logout');
is($r->{exit}, 0, 'logout of the second session');

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the audit trail verifies') or diag($r->{err});

$t->stop;
done_testing;


# ------------------------------------------------------------ the proxy

sub start_proxy {
    my ($to, $logfile) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 8, ReuseAddr => 1, Proto => 'tcp')
        or die "proxy: $!";
    my $p = $l->sockport;
    my $pid = fork // die "fork: $!";
    return ($pid, $p) if $pid;

    open my $lf, '>>', $logfile or POSIX::_exit(1);
    $lf->autoflush(1);
    my $n = 0;
    while (my $c = $l->accept) {
        $n++;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $to,
                                      Proto => 'tcp');
        if (!$s) { close $c; next }
        print {$lf} relay($c, $s, $n == 1) =~ s/^/$n /r, "\n";
        close $c;
        close $s;
    }
    POSIX::_exit(0);
}

# TLS 1.3: the client's first application-data record is its Finished, the
# second the request; after it, what nginx sends is held back
sub relay {
    my ($c, $s, $cut) = @_;
    my $sel = IO::Select->new($c, $s);
    my ($cbuf, $app, $held) = ('', 0, 0);
    while (1) {
        my @ready = $sel->can_read(10) or return 'timeout';
        for my $fh (@ready) {
            my $n = sysread($fh, my $buf, 65536);
            if (!$n) {
                if ($fh == $s && $app >= 2 && $cut) {
                    # nginx has answered in full and closed: reset the client
                    setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
                    return "reset after $held bytes of answer";
                }
                return 'passed';
            }
            if ($fh == $c) {
                syswrite($s, $buf);
                $cbuf .= $buf;
                while (length $cbuf >= 5) {
                    my ($type, $len) = unpack('C x2 n', $cbuf);
                    last if length($cbuf) < 5 + $len;
                    substr($cbuf, 0, 5 + $len) = '';
                    $app++ if $type == 23;
                }
            } elsif ($cut && $app >= 2) {
                $held += length $buf;
            } else {
                syswrite($c, $buf);
            }
        }
    }
}
