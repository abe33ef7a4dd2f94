#!/usr/bin/perl

# The shipped fail2ban filters (conf.example/fail2ban/filter.d/mado-*.conf)
# against the error log that nginx, started from the staged production
# configuration, writes while this test sends:
#   - failed logins and the lockouts they begin (mado-login), over TLS,
#     from IPv4 and IPv6 clients, on one account, on many accounts from
#     one address, on one account from many addresses, and bad feed tokens;
#   - requests ModSecurity refuses (mado-waf), with a minimal rule set of
#     the test's own (the shipped CRS set is the WAF part's), one of them
#     quoting a forged "[client ...]" and ", client: ..." in its request;
#   - floods refused by the rate limits (mado-limits);
#   - ordinary traffic from other addresses (logins, pages, the API, the
#     staff panel, refusals that are no attack, a rule that only logs).
# fail2ban-regex must find each attacker's lines with its address, as many
# as were sent, and nothing of the ordinary traffic, nor of a list of
# ordinary lines of other kinds.  Clients are given addresses with a
# test-only realip header (conf.d/zz-test.conf); t/limits_ips.t bans for
# real.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IPC::Open3 qw(open3);
use JSON::PP;
use Symbol qw(gensym);
use Test::More;

use MadoStaged;
use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));
for my $tool (qw(curl fail2ban-regex)) {
    next if grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "no $tool (make deps)" unless $ENV{MADO_REQUIRE_BINARIES};
    BAIL_OUT("no $tool: make deps");
}
plan skip_all => "no ModSecurity module (make deps)"
    unless -e '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so' || $ENV{MADO_REQUIRE_BINARIES};

my $password = 'correct horse battery staple';
my $t = MadoStaged->new;
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user($_, qw(--role staff --office kita), { iterations => 1000 })
    for qw(tanaka sato suzuki takahashi ito);

# the client's address from a header; ModSecurity with a few rules: deny
# a header (phase 1), <script> in an argument, JSON bodies too (phase 2),
# and only log another header (a "Warning.", not a denial)
$t->extra_http('zz-test', <<'EOF');
set_real_ip_from 127.0.0.0/8;
real_ip_header X-Test-Client;

modsecurity on;
modsecurity_rules '
SecRuleEngine On
SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "@beginsWith application/json" "id:1999000,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:X-Test-Attack "@streq yes" "id:1999001,phase:1,deny,status:403,log,msg:\'test: an attack header\'"
SecRule ARGS "@contains <script>" "id:1999002,phase:2,deny,status:403,log,msg:\'test: a script\'"
SecRule REQUEST_HEADERS:X-Test-Note "@streq yes" "id:1999003,phase:1,pass,log,msg:\'test: a note\'"
';
EOF
$t->start;
$t->allow_log(qr/\[warn\].*mado admin:/);

my $from = sub { ('-H', "X-Test-Client: $_[0]") };
my @json = ('-H', 'Content-Type: application/json');

# N logins of USER from ADDR with a wrong password, all at once
sub fail_logins {
    my ($addr, $user, $n) = @_;
    my @r = $t->parallel_https([ ('/api/v1/admin/login') x $n ], $from->($addr), @json,
                               '--data-binary', qq({"user":"$user","password":"wrong"}));
    return scalar grep { $_->[0] == 401 } @r;
}

# ------------------------------------------------------------ attackers

my %expect = (login => {}, waf => {}, limits => {});

# one account from one address: 5 failures, then a wait (1 line)
is(fail_logins('192.0.2.10', 'tanaka', 5), 5, '5 failed logins of tanaka from 192.0.2.10');
$expect{login}{'192.0.2.10'} = 5 + 1;
is(fail_logins('2001:db8:5:6::10', 'sato', 5), 5, '5 failed logins of sato from 2001:db8:5:6::10');
$expect{login}{'2001:db8:5:6::10'} = 5 + 1;

# one address, four accounts: 20 failures, 4 waits of a pair and the wait
# of the address
my $n = 0;
$n += fail_logins('192.0.2.11', $_, 5) for qw(tanaka sato suzuki takahashi);
is($n, 20, '20 failed logins of four accounts from 192.0.2.11');
$expect{login}{'192.0.2.11'} = 20 + 4 + 1;

# one account from ten addresses: 50 failures, 10 waits of a pair, and the
# wait of the account at every address, logged with the last one
$n = 0;
$n += fail_logins("192.0.2.$_", 'ito', 5) for 40 .. 49;
is($n, 50, '50 failed logins of ito from ten addresses');
$expect{login}{"192.0.2.$_"} = 5 + 1 for 40 .. 48;
$expect{login}{'192.0.2.49'} = 5 + 1 + 1;

# feed tokens guessed from one address, until it waits (1 line)
my @feed = $t->parallel_https([ ('/api/v1/admin/offices/kita/feed') x 25 ], $from->('192.0.2.12'),
                              '-H', 'Content-Type: application/x-ndjson',
                              '-H', 'Authorization: Bearer mado_' . ('ab' x 32),
                              '--data-binary', '{}');
ok(scalar(grep { $_->[0] == 429 } @feed), 'guessing feed tokens from 192.0.2.12: it waits (429)');
$expect{login}{'192.0.2.12'} = 1;

# ModSecurity
for my $addr ('192.0.2.20', '2001:db8:7::20') {
    is($t->https('/staff/', $from->($addr), '-H', 'X-Test-Attack: yes')->{status}, 403,
       "$addr: an attack header: 403");
    is($t->https('/staff/?q=%3Cscript%3Ealert(1)', $from->($addr))->{status}, 403,
       "$addr: a script in the query: 403");
    $expect{waf}{$addr} = 2;
}
is($t->https('/api/v1/admin/login', $from->('192.0.2.20'), @json,
             '--data-binary', '{"user":"tanaka","password":"<script>"}')->{status}, 403,
   '192.0.2.20: a script in a JSON body: 403');
$expect{waf}{'192.0.2.20'}++;
# a request that names another client where the log quotes it
is($t->https('/staff/?q=%3Cscript%3E%5Bclient%20198.51.100.1%5D%20ModSecurity%3A%20Access%20denied%20with'
             . '%2C%20client%3A%20198.51.100.1%2C', $from->('192.0.2.21'))->{status}, 403,
   '192.0.2.21: a script naming 198.51.100.1: 403');
$expect{waf}{'192.0.2.21'} = 1;

# floods
my @flood;
for my $round (1 .. 3) {
    push @flood, $t->parallel_https([ ('/api/v1/offices') x 1000 ], $from->('192.0.2.30'));
    last if grep { $_->[0] == 429 } @flood;
}
$expect{limits}{'192.0.2.30'} = grep { $_->[0] == 429 } @flood;
ok($expect{limits}{'192.0.2.30'}, "a flood from 192.0.2.30: $expect{limits}{'192.0.2.30'} refused");

my @logins = $t->parallel_https([ ('/api/v1/admin/login') x 40 ], $from->('2001:db8:8::30'), @json,
                                '--data-binary', qq({"user":"suzuki","password":"$password"}));
$expect{limits}{'2001:db8:8::30'} = grep { $_->[1] =~ /"too_many_requests"/ } @logins;
ok($expect{limits}{'2001:db8:8::30'}, "a flood of logins from 2001:db8:8::30: "
   . "$expect{limits}{'2001:db8:8::30'} refused by nginx");

# ------------------------------------------------------------ ordinary traffic

for my $addr ('127.0.0.1', '192.0.2.99') {
    my @h = $addr eq '127.0.0.1' ? () : $from->($addr);
    is($t->https('/kita', @h)->{status}, 200, "$addr: a page");
    is($t->https('/staff/?lang=en', @h, '-H', 'X-Test-Note: yes')->{status}, 200,
       "$addr: a page ModSecurity only notes");
    is($t->https('/api/v1/offices/kita', @h)->{status}, 200, "$addr: the API");
    is($t->https('/nowhere', @h)->{status}, 404, "$addr: a page that does not exist");
    is($t->https('/staff/', @h)->{status}, 200, "$addr: the staff panel");
    my $r = $t->https('/api/v1/admin/login', @h, @json, '--data-binary',
                      qq({"user":"takahashi","password":"$password","session":"cookie"}));
    is($r->{status}, 200, "$addr: a login");
    my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;
    is($t->https('/api/v1/admin/offices/kita/counters/moving', @h, @json, '-H', "Cookie: $cookie",
                  '--data-binary', '{"action":"issue"}')->{status}, 403,
       "$addr: an update without its CSRF token: 403");
    is($t->https('/api/v1/admin/login', @h, @json, '-H', 'Sec-Fetch-Site: cross-site',
                  '--data-binary', qq({"user":"takahashi","password":"$password"}))->{status}, 403,
       "$addr: a login another site started: 403");
}
ok($t->error_log =~ /\[warn\].*CSRF token, refused/, 'the log has a CSRF refusal');
ok($t->error_log =~ /\[warn\].*a request another site started/, 'and one of another site');
ok($t->error_log !~ /ModSecurity: Warning\./,
   "ModSecurity's notes (at info) stay out of the log (warn and above)");

$t->stop;

# ------------------------------------------------------------ fail2ban-regex

my $filters = $t->dir . '/etc/fail2ban/filter.d';
my $log = $t->dir . '/error.log';

# (addresses matched, with how many lines; the hits of each failregex)
sub regex {
    my ($file, $filter) = @_;
    my ($out, $err) = (gensym, gensym);
    my $run = sub {
        my $pid = open3(my $in, $out, $err, 'fail2ban-regex', @_, $file, "$filters/$filter.conf");
        close $in;
        local $/;
        my $o = <$out> // '';
        waitpid($pid, 0);
        return $o;
    };
    my %ip;
    $ip{$_}++ for grep { length } split /\n/, $run->('-o', 'ip');
    my @hits = $run->() =~ /^\|\s+\d+\) \[(\d+)\]/mg;
    return (\%ip, \@hits);
}

for my $jail (qw(login waf limits)) {
    my ($ip, $hits) = regex($log, "mado-$jail");
    is_deeply($ip, $expect{$jail}, "mado-$jail: each attacker's lines, with its address")
        or diag(explain { matched => $ip, expected => $expect{$jail} });
    ok(!grep({ !$_ } @$hits), "mado-$jail: each of its patterns matched a line")
        or diag("hits: @$hits");
}

# ordinary lines of other kinds
my $ordinary = <<'EOF';
2026/11/27 09:00:00 [notice] 100#100: using the "epoll" event method
2026/11/27 09:00:00 [warn] 101#101: mado store /var/lib/mado is a test store (madoctl init --test-store): its passwords may be weakly hashed, never serve it in production
2026/11/27 09:00:00 [error] 101#101: *1 mado store unavailable: /var/lib/mado: No such file or directory, client: 203.0.113.1, server: mado, request: "GET / HTTP/2.0", host: "mado"
2026/11/27 09:00:01 [alert] 101#103: *2 mado admin: login of "tanaka" refused: the account does not match its seal, client: 203.0.113.2, request: "POST /api/v1/admin/login HTTP/2.0"
2026/11/27 09:00:01 [alert] 101#103: *3 mado admin: session of "tanaka" refused: the account does not match its seal, client: 203.0.113.2, request: "POST /api/v1/admin/session HTTP/2.0"
2026/11/27 09:00:01 [warn] 101#101: *4 mado admin: 64 logins wait for a thread: more are refused (mado_login_threads 1 queue=64), client: 203.0.113.3, server: mado, request: "POST /api/v1/admin/login HTTP/2.0", host: "mado"
2026/11/27 09:00:01 [warn] 101#101: *5 mado admin: a request over plain HTTP refused; serve the update API over TLS ("mado_admin_insecure on" is for a loopback demo or tests), client: 203.0.113.4, server: mado, request: "POST /api/v1/admin/login HTTP/1.1", host: "mado"
2026/11/27 09:00:01 [warn] 101#101: *6 mado admin: a request from another origin (Origin: https://evil.example), refused, client: 203.0.113.4, server: mado, request: "POST /api/v1/admin/login HTTP/2.0", host: "mado"
2026/11/27 09:00:02 [warn] 101#101: 1024 worker_connections are not enough, reusing connections
2026/11/27 09:00:02 [error] 101#101: *7 limiting requests, excess: 20.500 by zone "other_site", client: 203.0.113.5, server: other, request: "GET / HTTP/1.1", host: "other"
2026/11/27 09:00:02 [warn] 101#101: *8 delaying request, excess: 0.500, by zone "mado_login", client: 203.0.113.5, server: mado, request: "POST /api/v1/admin/login HTTP/2.0", host: "mado"
2026/11/27 09:00:02 [error] 101#101: *9 limiting requests, dry run, excess: 300.500 by zone "mado_citizen", client: 203.0.113.5, server: mado, request: "GET / HTTP/2.0", host: "mado"
2026/11/27 09:00:03 [info] 101#101: *10 [client 203.0.113.6] ModSecurity: Warning. Matched "Operator `Rx' with parameter `x' against variable `ARGS:q' (Value: `x' ) [id "920100"] [msg "Invalid HTTP Request Line"] [hostname "mado"] [uri "/"] [unique_id "1"] [ref ""], client: 203.0.113.6, server: mado, request: "GET /?q=x HTTP/2.0", host: "mado"
2026/11/27 09:00:03 [info] 101#101: *11 client timed out (110: Connection timed out) while reading client request headers, client: 203.0.113.7, server: 127.0.0.1:443
2026/11/27 09:00:03 [info] 101#101: *12 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 203.0.113.8, server: 0.0.0.0:443
2026/11/27 09:00:03 [error] 101#101: *13 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 203.0.113.9, server: mado, request: "GET /favicon.ico HTTP/2.0", host: "mado"
EOF
my $ord_file = $t->dir . '/ordinary.log';
MadoTest::write_file($ord_file, $ordinary);
for my $jail (qw(login waf limits)) {
    my ($ip) = regex($ord_file, "mado-$jail");
    is_deeply($ip, {}, "mado-$jail: no ordinary line matches")
        or diag(explain $ip);
}

done_testing;
