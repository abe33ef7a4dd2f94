#!/usr/bin/perl

# The update API moves the audit trail's anchor too: the nginx master opens
# it beside mado_audit_key before the workers fork, and after each audited
# update (a login, a change) the anchor names the trail's new last record.
# "nginx -t" refuses a configuration whose anchor is missing (naming it and
# "madoctl audit anchor") or writable by group or others.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
my $dir = $t->dir;
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $anchor = "$dir/audit.anchor";

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->madoctl_ok(qw(set kita moving --status open));

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

# ------------------------------------------------------------ nginx -t

$t->allow_log(qr/\[emerg\].*audit anchor \Q$anchor\E(: No such file| must not be writable)/);
{
    rename $anchor, "$anchor.away" or die;
    my ($exit, $out) = $t->nginx_test;
    isnt($exit, 0, 'nginx -t without the anchor: refused');
    like($out, qr/audit anchor \Q$anchor\E: No such file.*madoctl audit anchor/, 'the anchor named, and how to make it');
    rename "$anchor.away", $anchor or die;

    chmod 0660, $anchor;
    ($exit, $out) = $t->nginx_test;
    isnt($exit, 0, 'nginx -t with an anchor the group may write: refused');
    like($out, qr/audit anchor \Q$anchor\E must not be writable by group or others/, 'said');
    chmod 0600, $anchor;

    ($exit, $out) = $t->nginx_test;
    is($exit, 0, 'nginx -t with the anchor: ok') or diag($out);
}

# ------------------------------------------------------------ updates

$t->start;

sub head_seq {
    my $r = $t->madoctl(qw(audit verify));
    is($r->{exit}, 0, 'verify: exit 0') or diag($r->{err});
    unlike($r->{out}, qr/after it/, 'no records after the anchor');
    return $r->{out} =~ /compared with anchor \Q$anchor\E: head seq (\d+)/ ? $1 : undef;
}

my $before = head_seq();
ok($before, 'anchored by madoctl');
my $token = $t->admin_login('tanaka', 'correct horse battery staple');
ok($token, 'tanaka logs in');
is(head_seq(), $before + 1, 'the login, audited by a worker, moved the anchor');
my ($r) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 200, 'an issue through the update API');
is(head_seq(), $before + 2, 'the update moved the anchor');

$t->stop;
$t->check_logs;

done_testing;
