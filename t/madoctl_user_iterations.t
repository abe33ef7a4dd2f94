#!/usr/bin/perl

# PBKDF2 iterations per account, and the test store that alone takes fewer
# than production's 600 000: "madoctl init --test-store" only when the
# store is created; "user add|passwd --iterations N" below 600 000 refused
# on any other store, naming --iterations.  The hashes are checked against
# PBKDF2 computed by the openssl CLI from the salt in the LMDB file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

plan skip_all => 'mdb_dump (lmdb-utils) and openssl are needed'
    unless -x '/usr/bin/mdb_dump' && -x '/usr/bin/openssl';

$ENV{MADO_NOW} = '2026-11-27T10:00:00+09:00';
my $password = 'correct horse battery staple';
my $json = JSON::PP->new->utf8;

# the account records as the store keeps them (sealed: opened with the
# test's key)
sub accounts {
    my ($t) = @_;
    my %a;
    for my $kv (@{ $t->store_records('account') }) {
        my $r = $json->decode($t->unseal($kv->[1]));
        $a{ $r->{id} } = $r;
    }
    return \%a;
}

# PBKDF2-HMAC-SHA-256 of the password with the account's salt and COUNT
sub pbkdf2 {
    my ($salt, $count) = @_;
    my $out = `openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt 'pass:$password' -kdfopt hexsalt:$salt -kdfopt iter:$count PBKDF2`;
    $out =~ s/[:\s]//g;
    return lc $out;
}

sub add {
    my ($t, @args) = @_;
    return $t->madoctl('user', 'add', @args, '--password-stdin', { stdin => "$password\n" });
}

# ------------------------------------------------------------ a production store

my $t = MadoTest->new;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

my $r = add($t, qw(chief --role admin));
is($r->{exit}, 0, 'a production account: exit 0') or diag($r->{err});
my $chief = accounts($t)->{chief};
is($chief->{iterations}, 600000, 'it is stored with 600 000 iterations');
is($chief->{hash}, pbkdf2($chief->{salt}, 600000), 'and its hash is PBKDF2 of 600 000 iterations');

my $before = $t->snapshot;
$r = add($t, qw(tanaka --role staff --office kita --iterations 1000));
is($r->{exit}, 1, '--iterations 1000 on a production store: exit 1');
like($r->{err}, qr/--iterations: fewer than 600000 only on a test store/, 'naming --iterations');
$r = $t->madoctl(qw(user passwd chief --password-stdin --iterations 599999), { stdin => "$password\n" });
is($r->{exit}, 1, 'passwd --iterations 599999 on a production store: exit 1');
like($r->{err}, qr/--iterations/, 'naming --iterations');
is(accounts($t)->{chief}{hash}, $chief->{hash}, 'the account is untouched');
ok(!accounts($t)->{tanaka}, 'and none added');
is($t->snapshot, $before, 'nothing changed');

# a store in use never becomes a test store
$r = $t->madoctl(qw(init --test-store));
is($r->{exit}, 1, 'init --test-store on an existing store: exit 1');
like($r->{err}, qr/--test-store: only a new store/, 'naming --test-store');
$r = add($t, qw(tanaka --role staff --office kita --iterations 1000));
is($r->{exit}, 1, 'and --iterations 1000 is still refused');

# more than production's is anyone's choice
$r = add($t, qw(tanaka --role staff --office kita --iterations 700000));
is($r->{exit}, 0, '--iterations 700000 on a production store: exit 0') or diag($r->{err});
is(accounts($t)->{tanaka}{iterations}, 700000, 'stored with 700 000');

for my $bad ('0', '10000001', 'many', '') {
    $r = add($t, 'u' . length($bad), qw(--role admin --iterations), $bad);
    is($r->{exit}, 1, "--iterations '$bad': exit 1");
    like($r->{err}, qr/--iterations: must be an integer 1\.\.10000000/, "--iterations '$bad': named");
}
$r = $t->madoctl(qw(user grant tanaka sakyo --iterations 1000));
is($r->{exit}, 2, '--iterations with grant: usage error');

$t->check_logs;

# ------------------------------------------------------------ a test store

my $u = MadoTest->new;
$r = $u->madoctl(qw(init --test-store));
is($r->{exit}, 0, 'init --test-store: exit 0') or diag($r->{err});
like($r->{out}, qr/created test store/, 'says it made a test store');
$u->madoctl_ok('load', MadoTest::offices_json());

$r = add($u, qw(chief --role admin --iterations 1000));
is($r->{exit}, 0, '--iterations 1000 on a test store: exit 0') or diag($r->{err});
$r = add($u, qw(tanaka --role staff --office kita));
is($r->{exit}, 0, 'without --iterations on a test store: exit 0') or diag($r->{err});
my $a = accounts($u);
is($a->{chief}{iterations}, 1000, 'stored with 1000 iterations');
is($a->{chief}{hash}, pbkdf2($a->{chief}{salt}, 1000), 'and its hash is PBKDF2 of 1000 iterations');
is($a->{tanaka}{iterations}, 600000, 'without --iterations: 600 000 there too');

$r = $u->madoctl(qw(user passwd tanaka --password-stdin --iterations 2000), { stdin => "$password\n" });
is($r->{exit}, 0, 'passwd --iterations 2000 on a test store: exit 0') or diag($r->{err});
$a = accounts($u);
is($a->{tanaka}{hash}, pbkdf2($a->{tanaka}{salt}, 2000), 'the new hash is PBKDF2 of 2000 iterations');

$r = $u->madoctl(qw(user add machine --role feed --office kita --iterations 1000));
is($r->{exit}, 1, '--iterations for a feed account: exit 1');
like($r->{err}, qr/--iterations: a feed account has a token/, 'naming --iterations');

my @records = @{ $u->audit_records };
is_deeply([ map { $_->{action} } @records ], [qw(init load user.add user.add user.passwd)],
          'audited: init, load, the two adds and the passwd');
is($records[0]{test_store}, '1', 'the init record says it is a test store');
is($records[2]{iterations}, '1000', 'an add with --iterations says how many');
ok(!exists $records[3]{iterations}, 'an add without says nothing');
is($records[4]{iterations}, '2000', 'so does a passwd');
$r = $u->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the audit trail of a test store verifies') or diag($r->{err});

$u->check_logs;

done_testing;
