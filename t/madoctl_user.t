#!/usr/bin/perl

# Staff accounts through madoctl: the three roles, the password policy
# (each refusal names the field), secrets never in the store in the clear
# (the LMDB file is searched for them), PBKDF2 with 600 000 iterations,
# feed tokens shown once, grant/revoke/disable/enable/passwd, and an audit
# record for every change that holds no secret.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$ENV{MADO_NOW} = '2026-11-27T10:00:00+09:00';
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

my $admin_pw = 'correct horse battery staple';
my $staff_pw = 'kita counter tablet 2026';

sub add {
    my ($pw, @args) = @_;
    return $t->madoctl('user', 'add', @args, '--password-stdin', { stdin => "$pw\n" });
}

my $r = add($admin_pw, qw(chief --role admin));
is($r->{exit}, 0, 'add an admin: exit 0') or diag($r->{err});
$r = add($staff_pw, qw(tanaka --role staff --office kita --office sakyo));
is($r->{exit}, 0, 'add a staff account with two offices: exit 0') or diag($r->{err});

$r = $t->madoctl(qw(user add machine1 --role feed --office kita));
is($r->{exit}, 0, 'add a feed account: exit 0');
my ($token) = $r->{out} =~ /^(mado_[0-9a-f]{64})$/m;
ok($token, 'a feed account gets a token, printed once');

# ------------------------------------------------------------ refusals

my @refused = (
    [ 'password', 'short',             qw(u1 --role staff --office kita) ],
    [ 'password', 'u2-likes-u2-a-lot', qw(u2 --role staff --office kita) ],
    [ 'password', 'aaaaaaaaaaaaaaaa',  qw(u3 --role staff --office kita) ],
    [ '--office', $staff_pw,           qw(u4 --role staff) ],
    [ '--office', $staff_pw,           qw(u5 --role staff --office nowhere) ],
    [ '--role',   $staff_pw,           qw(u6 --role boss) ],
    [ 'USER',     $staff_pw,           qw(tanaka --role staff --office kita) ],
    [ 'USER',     $staff_pw,           'Bad!', qw(--role staff --office kita) ],
);
for my $c (@refused) {
    my ($field, $pw, @args) = @$c;
    my $r = add($pw, @args);
    is($r->{exit}, 1, "refused (@args): exit 1");
    like($r->{err}, qr/\Q$field\E/, "refused (@args): names $field");
}
$r = $t->madoctl(qw(user add u7 --role staff --office kita), { stdin => '' });
isnt($r->{exit}, 0, 'no password and no terminal: refused');

$r = $t->madoctl(qw(user list --json));
my $list = JSON::PP->new->utf8->decode($r->{out});
is_deeply([ sort map { $_->{id} } @$list ], [qw(chief machine1 tanaka)], 'refused adds added nothing');
my %u = map { $_->{id} => $_ } @$list;
is($u{chief}{role}, 'admin', 'admin role');
is($u{tanaka}{role}, 'staff', 'staff role');
is_deeply($u{tanaka}{offices}, [qw(kita sakyo)], 'staff offices');
is($u{machine1}{secret}, 'token', 'the feed account has a token');
is($u{chief}{iterations}, 600000, 'PBKDF2 with 600 000 iterations');

# ------------------------------------------------------------ secrets stay out

sub store_bytes { local (@ARGV, $/) = ($t->store . '/data.mdb'); <> }
my $bytes = store_bytes();
for my $secret ($admin_pw, $staff_pw, $token) {
    ok(index($bytes, $secret) < 0, 'a secret is not in the store: ' . substr($secret, 0, 9) . '...');
}

# ------------------------------------------------------------ changes

$t->madoctl_ok(qw(user grant tanaka fushimi));
$t->madoctl_ok(qw(user revoke tanaka sakyo));
$t->madoctl_ok(qw(user disable tanaka));
%u = map { $_->{id} => $_ } @{ JSON::PP->new->utf8->decode($t->madoctl(qw(user list --json))->{out}) };
is_deeply($u{tanaka}{offices}, [qw(kita fushimi)], 'grant and revoke');
is($u{tanaka}{state}, 'disabled', 'disable');
$t->madoctl_ok(qw(user enable tanaka));
$r = $t->madoctl(qw(user list));
like($r->{out}, qr/^tanaka\s+staff\s+enabled\s+kita,fushimi$/m, 'list: a line per user');
like($r->{out}, qr/^chief\s+admin\s+enabled\s+\(all\)$/m, 'list: an admin has all offices');

$r = $t->madoctl(qw(user passwd tanaka --password-stdin), { stdin => "another long passphrase\n" });
is($r->{exit}, 0, 'passwd: exit 0');
$r = $t->madoctl(qw(user passwd machine1));
my ($token2) = $r->{out} =~ /^(mado_[0-9a-f]{64})$/m;
ok($token2 && $token2 ne $token, 'passwd of a feed account: a new token');
ok(index(store_bytes(), $token2) < 0, 'the new token is not in the store either');
$r = $t->madoctl(qw(user passwd nobody --password-stdin), { stdin => "another long passphrase\n" });
is($r->{exit}, 1, 'passwd of no user: exit 1');
like($r->{err}, qr/USER/, 'passwd of no user: named');

# ------------------------------------------------------------ audited, without secrets

$r = $t->madoctl(qw(audit list --json));
my @users = grep { $_->{record}{action} =~ /^user\./ } @{ JSON::PP->new->utf8->decode($r->{out}) };
is_deeply([ map { $_->{record}{action} } @users ],
          [qw(user.add user.add user.add user.grant user.revoke user.disable user.enable user.passwd user.passwd)],
          'every account change is audited, refused ones not');
is($users[1]{record}{offices}, 'kita,sakyo', 'the audit says which offices');
unlike($r->{out}, qr/\Q$staff_pw\E|\Q$token\E|another long/, 'the audit holds no secret');
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the audit trail verifies');

$t->check_logs;
done_testing;
