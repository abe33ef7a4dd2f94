#!/usr/bin/perl

# What names people is not in the store file in clear (issue 14): real
# traffic from one known address (127.0.0.77) — failed logins with an id
# that is no account, logins of staff, updates, a refusal, a feed token
# that is wrong, Idempotency-Keys, sessions left open — and madoctl's own
# writes; then the bytes of data.mdb hold neither the address (as text
# and as its 4 bytes), nor the id typed, nor any account's id, nor the
# audit actors.  madoctl still shows them: "audit list" with who and from
# where, "--tried" finding the id typed, "user list" the accounts; the
# trail verifies.
#
# A store of schema 1, whose records are in clear, still reads; "madoctl
# compact" seals them (the pages LMDB uses then hold no name: a
# compacting copy shows it), the trail still verifies against its anchor,
# and the store is marked schema 2.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

plan skip_all => 'mdb_dump, mdb_load, mdb_copy (lmdb-utils) and openssl are needed'
    unless -x '/usr/bin/mdb_dump' && -x '/usr/bin/mdb_load' && -x '/usr/bin/mdb_copy'
           && -x '/usr/bin/openssl';

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $json = JSON::PP->new->utf8->canonical;
my $password = 'correct horse battery staple';

my $addr = '127.0.0.77';
my $probe = 'suzuki-probe-7731';        # typed at login, no account
my ($staff, $chief, $machine) = qw(tanaka-hanako chief-yamada kita-machine-3);
my $os = 'os:' . (getpwuid($<))[0];     # madoctl's actor

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user($staff, qw(--role staff --office kita), { iterations => 1000 });
$t->add_user($chief, qw(--role admin), { iterations => 1000 });
my ($token) = $t->madoctl_ok('user', 'add', $machine, qw(--role feed --office kita))
    =~ /^(mado_[0-9a-f]{64})$/m;
ok($token, 'a feed token');
$t->madoctl_ok(qw(set kita moving --status open --waiting 2));

$t->write_config_raw(<<'EOF');
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

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$t->start;
$t->allow_log(qr/\[warn\].*mado admin:/);

sub login {
    my ($user, $pw, %h) = @_;
    return $t->admin_post('login', { user => $user, password => $pw }, undef, %h);
}

# ------------------------------------------------------------ traffic

$t->from($addr);
my ($r, $d);

($r) = login($probe, "guess number $_ here") for 1 .. 3;
is($r->{status}, 401, 'an id that is no account: 401');
($r) = login($staff, 'not the password at all');
is($r->{status}, 401, 'a wrong password: 401');

($r, $d) = login($staff, $password);
is($r->{status}, 200, 'staff log in') or diag($r->{body});
my $session = $d->{token};
($r) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $session,
                      'Idempotency-Key' => 'sealed-test-1');
is($r->{status}, 200, 'an update, with an Idempotency-Key') or diag($r->{body});
($r) = $t->admin_post('offices/sakyo/counters/moving', { action => 'issue' }, $session);
is($r->{status}, 403, 'an office not granted: 403, a refusal audited');
($r) = login($chief, $password, Origin => 'https://evil.example');
is($r->{status}, 403, 'a login another site started: 403, audited');

($r, $d) = login($chief, $password);
is($r->{status}, 200, 'an admin logs in: a session left open');
($r) = $t->admin_post('offices/kita/feed',
                      qq({"time":1795748100,"event":"issue","counter":"moving","ticket":7}\n),
                      'mado_' . ('0' x 64), 'Content-Type' => 'application/x-ndjson');
is($r->{status}, 401, 'a feed token that is wrong: 401, counted against the address');
($r) = $t->admin_post('offices/kita/feed',
                      qq({"time":1795748100,"event":"issue","counter":"moving","ticket":8}\n),
                      $token, 'Content-Type' => 'application/x-ndjson');
is($r->{status}, 200, 'the feed account posts') or diag($r->{body});

$t->madoctl_ok('user', 'grant', $staff, 'fushimi');

# every kind of record that names someone is there
my %n = map { $_ => scalar @{ $t->store_records($_) } }
        qw(audit account session idem clientfail refusal login);
ok($n{audit} >= 12, "audit records ($n{audit})");
is($n{account}, 3, 'three accounts');
ok($n{$_} >= 1, "$_ records ($n{$_})") for qw(session idem clientfail refusal login);

# ------------------------------------------------------------ the store file

sub store_bytes {
    my ($dir) = @_;
    open my $fh, '<:raw', "$dir/data.mdb" or die "data.mdb: $!";
    local $/;
    return scalar <$fh>;
}

my $bytes = store_bytes($t->store);
my %needles = (
    'the address'                 => $addr,
    'the address, 4 bytes'        => pack('C4', split /\./, $addr),
    'the id typed'                => $probe,
    'the staff account'           => $staff,
    'the admin account'           => $chief,
    'the feed account'            => $machine,
    "madoctl's actor"             => $os,
);
for my $what (sort keys %needles) {
    ok(index($bytes, $needles{$what}) < 0, "data.mdb does not hold $what in clear");
}

# ------------------------------------------------------------ madoctl shows them

my @records = @{ $t->audit_records };
my @from = grep { ($_->{client} // '') eq $addr } @records;
ok(@from >= 8, 'audit list: the records from the address, with it') or diag(scalar @from);
ok((grep { $_->{action} eq 'login' && $_->{actor} eq "user:$staff" } @from),
   'audit list: the staff login, who and from where');
ok((grep { $_->{action} eq 'refused' && $_->{actor} eq "user:$staff" } @from),
   'audit list: the refusal, who and from where');
ok((grep { $_->{action} eq 'login' && $_->{actor} eq "user:$chief" } @from),
   'audit list: the admin login');
ok((grep { $_->{actor} eq $os && $_->{action} eq 'user.grant' && $_->{user} eq $staff } @records),
   "audit list: madoctl's write, its actor and the account");
my @probe = grep { $_->{action} eq 'login.failed' && $_->{actor} eq 'anonymous' } @from;
is(scalar @probe, 3, 'audit list: the id typed: three failed logins, no one named');
ok(!(grep { index($json->encode($_), $probe) >= 0 } @records), 'the id typed is in no record');
is(scalar @{ $t->audit_records('--tried', $probe) }, 3, 'audit list --tried finds them');

$r = $t->madoctl(qw(audit list));
like($r->{out}, qr/  user:\Q$staff\E  login$/m, 'audit list (text): the actor');
$r = $t->madoctl(qw(user list));
like($r->{out}, qr/^\Q$_\E\s/m, "user list: $_") for $staff, $chief, $machine;
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'audit verify: exit 0') or diag($r->{err});

# the session still works, and logging out ends it
($r) = $t->admin_post('logout', {}, $session);
is($r->{status}, 200, 'logout') or diag($r->{body});
($r) = $t->admin_post('session', {}, $session);
is($r->{status}, 401, 'the session ended');

$t->stop;
$t->check_logs;

# ------------------------------------------------------------ a store of schema 1

# what schema 1 kept in clear put back as it was: the last audit record's
# JSON with its MAC, a count of the address's failed logins, the schema
my $last = $t->store_records('audit')->[-1];
my $in_clear = substr($last->[1], 0, 32) . $t->unseal(substr($last->[1], 32));
like($in_clear, qr/^.{32}\{"time"/s, 'a record in clear as schema 1 kept it');
$t->store_put('audit', $last->[0], $in_clear);
my $cf = (grep { 1 } @{ $t->store_records('clientfail') })[0][1];
$t->store_put('clientfail', '192.0.2.123', $cf);
$t->store_put('meta', 'schema', '1');
like(store_bytes($t->store), qr/192\.0\.2\.123/, 'the address in clear in the store');

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'schema 1: its trail verifies as it is') or diag($r->{err});
my $schema = sub { (map { $_->[1] } grep { $_->[0] eq 'schema' } @{ $t->store_records('meta') })[0] };
is($schema->(), '1', 'schema 1: read, not changed by reading');

$r = $t->madoctl('compact');
is($r->{exit}, 0, 'compact: exit 0') or diag($r->{err});
like($r->{out}, qr/^sealed what an older version kept in clear: 1 audit records, 0 accounts, 0 sessions; hashed 1 keys of counts$/m,
     'compact says what it sealed');
is($schema->(), '2', 'the store is of schema 2 once written');

my $copy = $t->dir . '/copy';
mkdir $copy;
system('mdb_copy', '-c', $t->store, $copy) == 0 or die 'mdb_copy failed';
unlike(store_bytes($copy), qr/192\.0\.2\.123|\{"time"/, 'the pages in use hold neither the address nor a record in clear');
ok((grep { $_->[0] eq $t->lookup('client', '192.0.2.123') } @{ $t->store_records('clientfail') }),
   'the count is kept under a keyed hash of the address');
$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the trail still verifies, its anchor too') or diag($r->{err});
like($r->{out}, qr/compared with anchor/, 'compared with its anchor');
is($t->audit_records->[-1]{action}, 'compact', 'the sealing is audited');
is($t->audit_records->[-1]{audit_records_sealed}, '1', 'with what it sealed');

done_testing;
