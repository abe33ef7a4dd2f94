#!/usr/bin/perl

# Intrusion prevention for real: fail2ban-server with the shipped jails
# (conf.example/fail2ban/jail.d/mado.conf) and filters, and Debian's
# nftables-multiport ban action, reading the error log of nginx started
# from the staged production configuration (the staging points the jails
# at its log and ports).  In a network namespace of the test's own
# (unshare -n, as root), where the attackers' addresses are on loopback:
#   - guessing passwords from 192.0.2.11 gets it banned from both ports,
#     while a member of staff who mistyped five times at 192.0.2.12 is
#     not; "fail2ban-client set mado-login unbanip" lets it in again;
#   - an IPv6 client guessing (given its address by a test-only realip
#     header) is put in the jail's IPv6 set;
#   - ModSecurity denials (a minimal rule of the test's own) get
#     192.0.2.20 banned, a flood over the rate limits 192.0.2.30;
#   - 127.0.0.1 is served throughout.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoStaged;
use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));
MadoStaged::netns(qw(nft ip curl fail2ban-server fail2ban-client));

my $password = 'correct horse battery staple';
my @attackers = qw(192.0.2.11 192.0.2.12 192.0.2.20 192.0.2.30);
for my $a (@attackers) {
    system('ip', 'addr', 'add', "$a/32", 'dev', 'lo') == 0 or BAIL_OUT("ip addr add $a");
}

my $t = MadoStaged->new;
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user($_, qw(--role staff --office kita), { iterations => 1000 }) for qw(tanaka sato);

$t->extra_http('zz-test', <<'EOF');
set_real_ip_from 127.0.0.0/8;
real_ip_header X-Test-Client;

modsecurity on;
modsecurity_rules '
SecRuleEngine On
SecRule ARGS "@contains <script>" "id:1999002,phase:2,deny,status:403,log,msg:\'test: a script\'"
';
EOF
$t->start;
$t->allow_log(qr/\[warn\].*mado admin:/);

# ------------------------------------------------------------ fail2ban

# Debian's configuration (jail.conf, the actions), its own jails taken
# out, the staged mado files put in; the server's files in the test's
# directory
my $d = $t->dir;
my $conf = "$d/fail2ban";
system('cp', '-a', '/etc/fail2ban', $conf) == 0 or BAIL_OUT('cp /etc/fail2ban');
unlink glob("$conf/jail.d/*"), glob("$conf/jail.local"), glob("$conf/fail2ban.local");
system("cp $d/etc/fail2ban/filter.d/*.conf $conf/filter.d/ && cp $d/etc/fail2ban/jail.d/*.conf $conf/jail.d/") == 0
    or BAIL_OUT('cp the staged fail2ban files');
MadoTest::write_file("$conf/fail2ban.local", <<"EOF");
[Definition]
loglevel  = INFO
logtarget = $d/fail2ban.log
socket    = $d/fail2ban.sock
pidfile   = $d/fail2ban.pid
dbfile    = $d/fail2ban.sqlite3
EOF

sub f2b {
    my $out = `fail2ban-client -c $conf @_ 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = f2b('start');
is($rc, 0, 'fail2ban-client start') or diag($out . MadoTest::_read_file("$d/fail2ban.log"));
END { system("fail2ban-client -c $conf stop >/dev/null 2>&1") if $conf && -S "$d/fail2ban.sock" }
ok($t->wait_for(sub { (f2b('status'))[1] =~ /Jail list:\s+mado-limits, mado-login, mado-waf$/m },
                what => 'the jails'), 'its jails run: mado-limits, mado-login, mado-waf')
    or diag((f2b('status'))[1]);

sub banned {
    my ($jail, $addr) = @_;
    my $set = $addr =~ /:/ ? "addr6-set-$jail" : "addr-set-$jail";
    my $list = `nft list set inet f2b-table $set 2>/dev/null`;
    return $list =~ /\Q$addr\E/;
}

# a connection from ADDR to the TLS port answers (true) or is refused
sub served {
    my ($addr, $path) = @_;
    my $r = $t->https($path // '/kita', '--interface', $addr, '--max-time', '5');
    return $r->{status} == 200;
}

sub logins {
    my ($addr, $user, $n, @h) = @_;
    my @r = $t->parallel_https([ ('/api/v1/admin/login') x $n ], '--interface', $addr, @h,
                               '-H', 'Content-Type: application/json',
                               '--data-binary', qq({"user":"$user","password":"wrong"}));
    return scalar grep { $_->[0] == 401 } @r;
}

ok(served('192.0.2.11'), '192.0.2.11 is served at first');

# ------------------------------------------------------------ logins

is(logins('192.0.2.12', 'tanaka', 5), 5, 'someone at 192.0.2.12 mistypes tanaka\'s password 5 times');
is(logins('192.0.2.11', 'tanaka', 5) + logins('192.0.2.11', 'sato', 5), 10,
   '192.0.2.11 guesses 10 passwords of two accounts');

ok($t->wait_for(sub { banned('mado-login', '192.0.2.11') }, timeout => 30,
                what => 'the ban of 192.0.2.11'),
   'mado-login bans 192.0.2.11 (in nftables)')
    or diag(MadoTest::_read_file("$d/fail2ban.log"));
ok(!served('192.0.2.11'), '192.0.2.11 is refused on the TLS port');
my $plain = $t->http('GET', '/', { from => '192.0.2.11', timeout => 5 });
is($plain->{status}, 0, 'and on the plain HTTP port');
ok(!banned('mado-login', '192.0.2.12'), 'who mistyped five times at 192.0.2.12 is not banned');
ok(served('192.0.2.12'), 'and is served');
ok(served('127.0.0.1'), '127.0.0.1 is served');

($rc, $out) = f2b(qw(set mado-login unbanip 192.0.2.11));
is($rc, 0, 'fail2ban-client set mado-login unbanip 192.0.2.11') or diag($out);
ok(!banned('mado-login', '192.0.2.11'), 'out of the set');
ok(served('192.0.2.11'), '192.0.2.11 is served again');

# IPv6 (the address from the realip header)
is(logins('127.0.0.1', 'tanaka', 5, '-H', 'X-Test-Client: 2001:db8:9::11')
   + logins('127.0.0.1', 'sato', 5, '-H', 'X-Test-Client: 2001:db8:9::11'), 10,
   '2001:db8:9::11 guesses 10 passwords');
ok($t->wait_for(sub { banned('mado-login', '2001:db8:9::11') }, timeout => 30,
                what => 'the ban of 2001:db8:9::11'),
   'mado-login bans 2001:db8:9::11 (in the IPv6 set)');

# ------------------------------------------------------------ ModSecurity

my @waf = $t->parallel_https([ ('/staff/?q=%3Cscript%3E') x 10 ], '--interface', '192.0.2.20');
is(scalar(grep { $_->[0] == 403 } @waf), 10, '192.0.2.20 sends 10 attacks ModSecurity refuses');
ok($t->wait_for(sub { banned('mado-waf', '192.0.2.20') }, timeout => 30,
                what => 'the ban of 192.0.2.20'), 'mado-waf bans 192.0.2.20');
ok(!served('192.0.2.20'), '192.0.2.20 is refused');

# ------------------------------------------------------------ a flood

# in rounds, until the ban comes (once banned, what is under way hangs:
# a short --max-time ends it)
my $refused = 0;
for my $round (1 .. 15) {
    $refused += grep { $_->[0] == 429 }
        $t->parallel_https([ ('/api/v1/offices') x 200 ], '--interface', '192.0.2.30',
                           '--max-time', '5');
    last if banned('mado-limits', '192.0.2.30');
}
ok($refused >= 600, "192.0.2.30 floods on after its 429s ($refused)");
ok($t->wait_for(sub { banned('mado-limits', '192.0.2.30') }, timeout => 30,
                what => 'the ban of 192.0.2.30'), 'mado-limits bans 192.0.2.30');
ok(!served('192.0.2.30'), '192.0.2.30 is refused');

ok(served('127.0.0.1'), '127.0.0.1 is served throughout');

($rc, $out) = f2b('stop');
is($rc, 0, 'fail2ban-client stop') or diag($out);
$t->stop;

done_testing;
