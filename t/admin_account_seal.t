#!/usr/bin/perl

# Accounts are sealed under the audit key: an account put into the store or
# changed by anyone who can write it (mdb_load, as a process of the store's
# group could) cannot log in, keep a session or post a feed; it is logged at
# alert and audited as login.refused; "madoctl user list" marks it, the
# user verbs refuse it and "madoctl audit verify" reports it (exit 1).
# "madoctl user seal" accepts such accounts after checking, audited.  An
# older sealed copy of an account put back is caught by verify.  Accounts
# are also sealed in the other sense (AES-256-GCM, under a keyed hash of
# their ids): the group cannot read them nor make one, only put one in
# clear, and a sealed record moved to another's place does not open.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

plan skip_all => 'mdb_dump and mdb_load (lmdb-utils) are needed'
    unless -x '/usr/bin/mdb_dump' && -x '/usr/bin/mdb_load';

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $json = JSON::PP->new->utf8->canonical;
my $password = 'correct horse battery staple';
my $store = $t->store;

# a test store: 1000 PBKDF2 iterations, logins cost no time
$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(chief --role admin), { iterations => 1000 });
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->add_user(qw(sato --role staff --office kita), { iterations => 1000 });
my ($machine) = $t->madoctl_ok(qw(user add machine --role feed --office kita)) =~ /^(mado_[0-9a-f]{64})$/m;
ok($machine, 'a feed token');

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;
$t->allow_log(qr/\[alert\].*mado admin: (login of|session of|feed token).*refused: the account/);

# the account records by id: sealed under L(id) (opened here with the
# test's key), or in clear under the id as schema 1 kept them; and each
# one's key and stored bytes
my %raw;
sub accounts {
    my %a;
    for my $r (@{ $t->store_records('account') }) {
        my $rec = $json->decode($t->unseal($r->[1]));
        $a{ $rec->{id} } = $rec;
        $raw{ $rec->{id} } = $r;
    }
    return \%a;
}

# an account written straight into the live store, as its group could: it
# has no key, so it cannot make a sealed record, only one in clear: under
# the id (as schema 1 kept accounts), or in the place of an account's
# sealed record (had it found which is whose)
sub put_account {
    my ($key, $rec) = @_;
    $t->store_put('account', $key, ref $rec ? $json->encode($rec) : $rec);
}

sub in_place { $t->lookup('account', $_[0]) }

sub login {
    my ($user) = @_;
    return $t->admin_post('login', { user => $user, password => $password });
}

sub feed_line {
    my ($office) = @_;
    return $t->admin_post("offices/$office/feed",
                          qq({"time":1795748100,"event":"issue","counter":"moving","ticket":7}\n),
                          $machine, 'Content-Type' => 'application/x-ndjson');
}

my ($r, $d) = login('tanaka');
is($r->{status}, 200, 'tanaka logs in') or diag($r->{body});
my $session = $d->{token};
($r) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $session);
is($r->{status}, 409, 'the session works (a closed counter refuses the issue)');

my $verify = $t->madoctl(qw(audit verify));
is($verify->{exit}, 0, 'verify: exit 0') or diag($verify->{err});
like($verify->{out}, qr/^accounts: 4, each matching its seal/m, 'verify: the accounts checked');

my $orig = accounts();
ok($orig->{tanaka}{seal}, 'an account carries its seal');
my $old_sato = $raw{sato};
is($old_sato->[0], in_place('sato'), 'an account is kept under a keyed hash of its id');
unlike(join('', map { @$_ } values %raw), qr/tanaka|sato|chief|machine/,
       'no id in clear in the account database');

# ------------------------------------------------------------ tampering

{
    # an admin of one's own: tanaka's password, no seal
    my %m = %{ $orig->{tanaka} };
    delete @m{qw(seal seal_seq)};
    @m{qw(id role offices)} = ('mallory', 'admin', []);
    put_account('mallory', \%m);

    # tanaka made admin, the seal kept, in place of the sealed record
    put_account(in_place('tanaka'), { %{ $orig->{tanaka} }, role => 'admin' });

    # the machine granted another office
    put_account(in_place('machine'), { %{ $orig->{machine} }, offices => [qw(kita sakyo)] });
}

($r, $d) = login('mallory');
is($r->{status}, 401, 'an account put in the store by hand cannot log in');
isnt($d->{role} // '', 'admin', 'and gets no admin session');
($r, $d) = login('tanaka');
is($r->{status}, 401, 'an account whose role was changed by hand cannot log in');
($r) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $session);
is($r->{status}, 401, "its session already open ends too");
($r) = feed_line('sakyo');
is($r->{status}, 401, "a feed account granted an office by hand: its token is refused");

($r, $d) = login('chief');
is($r->{status}, 200, 'an untouched account still logs in');

like($t->error_log, qr/\[alert\].*login of "mallory" refused: the account "mallory" has no seal/,
     'logged at alert: no seal');
like($t->error_log, qr/\[alert\].*login of "tanaka" refused: the account "tanaka" does not match its seal/,
     'logged at alert: seal broken');
like($t->error_log, qr/\[alert\].*feed token refused: the account "machine" does not match its seal/,
     'logged at alert: the feed account');

my @refused = grep { $_->{action} eq 'login.refused' } @{ $t->audit_records };
is_deeply([ map { "$_->{actor} $_->{account}" } @refused ],
          ['user:mallory no seal', 'user:tanaka seal broken'],
          'the refused logins are audited, with why');

# ------------------------------------------------------------ madoctl

$r = $t->madoctl(qw(user list));
is($r->{exit}, 0, 'user list: exit 0');
like($r->{out}, qr/^mallory\s+admin\s+enabled\s+\(all\)  ! no seal$/m, 'user list marks an account with no seal');
like($r->{out}, qr/^tanaka\s+admin\s+enabled\s+\(all\)  ! seal broken: changed outside madoctl$/m,
     'user list marks an account whose seal does not match');
like($r->{out}, qr/^chief\s+admin\s+enabled\s+\(all\)$/m, 'an untouched account is not marked');
like($r->{err}, qr/3 accounts marked "!" cannot log in/, 'user list says how many on stderr');
my %seal = map { $_->{id} => $_->{seal} } @{ $json->decode($t->madoctl(qw(user list --json))->{out}) };
is_deeply(\%seal, { chief => 'ok', sato => 'ok', mallory => 'none', tanaka => 'broken', machine => 'broken' },
          'user list --json: each account\'s seal');

$r = $t->madoctl(qw(user grant tanaka sakyo));
is($r->{exit}, 1, 'a user verb on a changed account: exit 1');
like($r->{err}, qr/USER: the account "tanaka" does not match its seal/, 'refused, naming USER');
$r = $t->madoctl(qw(user passwd mallory --password-stdin), { stdin => "another long password\n" });
is($r->{exit}, 1, 'passwd of an account with no seal: exit 1');

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 1, 'verify: exit 1');
like($r->{out}, qr/audit trail intact/, 'the trail itself is intact');
like($r->{err}, qr/account "mallory" has no seal/, 'verify reports the account with no seal');
like($r->{err}, qr/account "tanaka" does not match its seal/, 'verify reports the changed account');
like($r->{err}, qr/account "machine" does not match its seal/, 'verify reports the changed feed account');

# ------------------------------------------------------------ accepting them

$r = $t->madoctl(qw(user seal tanaka));
is($r->{exit}, 0, 'user seal tanaka: exit 0') or diag($r->{err});
like($r->{out}, qr/^tanaka: sealed \(its seal did not match\)$/m, 'said');
($r, $d) = login('tanaka');
is($r->{status}, 200, 'a sealed account logs in again');
is($d->{role}, 'admin', 'as it was sealed');
$r = $t->madoctl(qw(user seal --all));
is($r->{exit}, 0, 'user seal --all: exit 0');
like($r->{out}, qr/^mallory: sealed \(it had no seal\)$/m, '--all seals the account with no seal');
like($r->{out}, qr/^machine: sealed/m, 'and the feed account');
my @sealed = grep { $_->{action} eq 'user.seal' } @{ $t->audit_records };
is_deeply([ map { "$_->{user} $_->{role} $_->{was}" } @sealed ],
          ['tanaka admin broken', 'machine feed broken', 'mallory admin none'],
          'each seal is audited: the account, its role, what its seal was');
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'verify after sealing: exit 0') or diag($r->{err});

# ------------------------------------------------------------ an older copy

$t->madoctl_ok(qw(user disable sato));
put_account(@$old_sato);                # enabled again: its old sealed record
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 1, 'an older sealed copy put back: verify exit 1');
like($r->{err}, qr/account "sato" is an older copy: sealed by record \d+, but record \d+ \(user\.disable\) changed it since/,
     'verify names the change the copy undoes');
$t->madoctl_ok(qw(user disable sato));
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the change made again: verify exit 0') or diag($r->{err});

# ------------------------------------------------------------ moved

# chief's sealed record put in sato's place: it does not open there
accounts();
put_account(in_place('sato'), $raw{chief}[1]);
($r, $d) = login('sato');
is($r->{status}, 401, 'a sealed record moved to another account\'s place cannot log in');
like($t->error_log, qr/\[alert\].*login of "sato" refused: the account "sato" does not open under the key/,
     'logged at alert: does not open');
$r = $t->madoctl(qw(user list));
like($r->{out}, qr/^#[0-9a-f]{8}\s+staff\s+disabled\s+\S*  ! does not open/m,
     'user list names it by its key: its id is sealed with it');
$r = $t->madoctl(qw(user seal sato));
is($r->{exit}, 1, 'user seal of a record that does not open: exit 1');
like($r->{err}, qr/USER: the account "sato" does not open/, 'refused, naming USER');
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 1, 'verify: exit 1');
like($r->{err}, qr/account "#[0-9a-f]{8}" does not open under the key/, 'verify reports it');

$t->stop;
$t->check_logs;

done_testing;
