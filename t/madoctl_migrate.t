#!/usr/bin/perl

# madoctl migrate (issue 15): a store of schema 1 — made here as older
# code left it: the schema set to 1, an audit record's JSON and a count's
# address in clear — is upgraded in place while nginx serves it (read
# only, as citizens' workers do): --check says a migration is needed
# (exit 1) and writes nothing; migrate seals what was in clear and sets
# schema 2 in one audited transaction; the figures served stay; the
# trail verifies against its anchor; migrate again does nothing (exit
# 0) and --check says so (exit 0).  A store of a newer schema is refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

plan skip_all => 'mdb_dump, mdb_load (lmdb-utils) and openssl are needed'
    unless -x '/usr/bin/mdb_dump' && -x '/usr/bin/mdb_load' && -x '/usr/bin/openssl';

my $t = MadoTest->new;

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --status open --waiting 12));

sub store_bytes {
    open my $fh, '<:raw', $t->store . '/data.mdb' or die "data.mdb: $!";
    local $/;
    return scalar <$fh>;
}
my $schema = sub { (map { $_->[1] } grep { $_->[0] eq 'schema' } @{ $t->store_records('meta') })[0] };

# ------------------------------------------------------------ a store of schema 1

my $last = $t->store_records('audit')->[-1];
my $in_clear = substr($last->[1], 0, 32) . $t->unseal(substr($last->[1], 32));
like($in_clear, qr/^.{32}\{"time"/s, 'an audit record in clear as schema 1 kept it');
$t->store_put('audit', $last->[0], $in_clear);
$t->store_put('clientfail', '192.0.2.123', pack('Nq>q>', 1, 1795748000, 0));
$t->store_put('meta', 'schema', '1');
is($schema->(), '1', 'the store says schema 1');
like(store_bytes(), qr/192\.0\.2\.123/, 'an address in clear in the store');

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

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

my ($r0, $c0) = $t->api_counter('kita', 'moving');
is($r0->{status}, 200, 'nginx serves the store of schema 1');
is($c0->{waiting}, 12, '... its figures');

# ------------------------------------------------------------ --check

my $before = store_bytes();
my $r = $t->madoctl(qw(migrate --check));
is($r->{exit}, 1, 'migrate --check: exit 1, a migration is needed') or diag($r->{err});
like($r->{out}, qr/^a migration is needed: the store from schema 1 to 2: would seal 1 audit records, 0 accounts, 0 sessions; would hash 1 keys of counts$/m,
     '--check says what it would do');
is($schema->(), '1', '--check leaves the schema');
like(store_bytes(), qr/192\.0\.2\.123/, '--check seals nothing');

# ------------------------------------------------------------ migrate

my $records = @{ $t->audit_records };
$r = $t->madoctl('migrate');
is($r->{exit}, 0, 'migrate: exit 0') or diag($r->{err});
like($r->{out}, qr/^migrated the store from schema 1 to 2: sealed 1 audit records, 0 accounts, 0 sessions; hashed 1 keys of counts$/m,
     'migrate says what it did');
is($schema->(), '2', 'the store is of schema 2');
ok((grep { $_->[0] eq $t->lookup('client', '192.0.2.123') } @{ $t->store_records('clientfail') }),
   'the count is kept under a keyed hash of the address');
ok(!(grep { $_->[0] eq '192.0.2.123' } @{ $t->store_records('clientfail') }), 'the address in clear is gone');
my $rec = $t->audit_records;
is(scalar @$rec, $records + 1, 'one audit record for the migration (one transaction)');
is($rec->[-1]{action}, 'migrate', '... a "migrate" record');
is($rec->[-1]{schema_from}, '1', '... from 1');
is($rec->[-1]{schema_to}, '2', '... to 2');

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'the trail verifies against its anchor') or diag($r->{err});

my ($r1, $c1) = $t->api_counter('kita', 'moving');
is($r1->{status}, 200, 'nginx serves the migrated store');
is($c1->{waiting}, 12, '... the same figures');

# ------------------------------------------------------------ again

$r = $t->madoctl('migrate');
is($r->{exit}, 0, 'migrate again: exit 0');
like($r->{out}, qr/^the store is at schema 2, this build's: nothing to migrate$/m, '... nothing to migrate');
is(scalar @{ $t->audit_records }, $records + 1, '... and nothing written');
$r = $t->madoctl(qw(migrate --check));
is($r->{exit}, 0, 'migrate --check: exit 0, none needed');

# ------------------------------------------------------------ newer

$t->stop;
$t->store_put('meta', 'schema', '3');
$t->madoctl_exit(3, qr/schema version 3, this build reads versions 1 to 2/,
                 'a store of a newer schema', 'migrate');
is($schema->(), '3', 'a newer store is left as it is');

$t->check_logs;

done_testing;
