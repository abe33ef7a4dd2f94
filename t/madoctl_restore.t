#!/usr/bin/perl

# The restore drill (issue 15, docs/admin.md "Backup and restore"): nginx
# serving with the update API (its workers write in threads), citizens'
# requests from three clients in a loop, counter staff writing through
# the update API and "madoctl feed --follow" following a ticket machine's
# log, while "madoctl restore" puts a backup in place of the store:
#
# - no citizen gets anything but 200 (no 503, no connection error);
# - staff get 200, or 503 with Retry-After (never another failure);
# - afterwards every answer shows the restored figures, the old store is
#   kept aside, "audit verify" passes, the trail says what was restored;
# - the feed goes on in the restored store (its log read again from the
#   restored cursor), a write after the restore lands in the new store;
# - a store whose parent is not writable is refused, nothing changed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX ();
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);
my $dir = $t->dir;
my $store = $t->store;
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $json = JSON::PP->new->utf8->canonical;
my $password = 'correct horse battery staple';

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return scalar <$fh>;
}

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user('tanaka-hanako', qw(--role staff --office kita), { iterations => 1000 });
$t->madoctl_ok(qw(set kita moving --status open --waiting 7));
$t->madoctl_ok(qw(set kita certificates --status open --waiting 0));
$t->madoctl_ok(qw(set kita family --status open --waiting 0));

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

# the staff session is in the backup: it still works after the restore
my (undef, $login) = $t->admin_post('login', { user => 'tanaka-hanako', password => $password });
my $token = $login->{token};
ok($token, 'staff logged in');

# ------------------------------------------------------------ the backup

my $backup = "$dir/drill.mbk";
$t->madoctl_ok('backup', $backup);

# after it: what the restore takes back
$t->madoctl_ok(qw(set kita moving --waiting 42));
is($t->api_counter('kita', 'moving')->{waiting}, 42, 'served: 42 waiting (after the backup)');

# a refused restore first: the store's parent not writable (as another user)
SKIP: {
    skip 'needs root to drop to nobody', 4 unless MadoTest::is_root();
    my $ro = "$dir/ro";
    mkdir $ro, 0777;
    chmod 0777, $ro;
    chmod 0755, $dir;
    my $r = $t->madoctl('restore', $backup, { store => "$ro/store" });
    is($r->{exit}, 3, 'a store that is not there: exit 3');
    like($r->{err}, qr/is not a directory|no store/, '... said');
    # madoctl as nobody: the test's directory (the parent) is root's 0755
    my $pid = fork // die;
    if (!$pid) {
        POSIX::setgid(scalar getgrnam('nogroup') // 65534);
        POSIX::setuid(scalar getpwnam('nobody') // 65534);
        open STDERR, '>', "$ro/err" or POSIX::_exit(9);
        exec(MadoTest::madoctl_bin(), '--store', $store, 'restore', $backup) or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    is($? >> 8, 3, "a parent not writable: exit 3");
    like(slurp("$ro/err"), qr/parent directory \Q$dir\E is not writable/, '... said, naming it');
}
is($t->api_counter('kita', 'moving')->{waiting}, 42, 'still served: 42 waiting');

# ------------------------------------------------------------ the feed

my $log = "$dir/kita.jsonl";
sub feed_lines {
    my ($from, $to) = @_;
    open my $fh, '>>', $log or die "$log: $!";
    printf {$fh} qq({"time": "2026-11-27T10:%02d:00+09:00", "event": "issue", "counter": "family", "ticket": %d}\n), $_, $_
        for $from .. $to;
    close $fh;
}
feed_lines(1, 5);

my $feed_err = "$dir/feed.err";
my @feed = $t->madoctl_argv(qw(feed --office kita --format jsonl --follow --interval 0.05), $log);
my %menv = $t->madoctl_env;
my $feed_pid = fork // die "fork: $!";
if (!$feed_pid) {
    @ENV{ keys %menv } = values %menv;
    open STDOUT, '>', "$dir/feed.out";
    open STDERR, '>', $feed_err;
    exec @feed or POSIX::_exit(127);
}
my $family = sub { $t->api_counter('kita', 'family')->{last_issued} // 0 };
is($t->wait_for(sub { $family->() == 5 }, timeout => 30, what => 'the feed') && $family->(), 5,
   'the feed follows the log: ticket 5 issued');

# ------------------------------------------------------------ the load

my $stop = "$dir/stop";
my @load;
for my $i (1 .. 3) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my %n = (requests => 0, bad => 0, errors => 0);
        my @bad;
        for (1 .. 200000) {
            last if -e $stop;
            my $r = $t->http('GET', $i == 3 ? '/api/v1/offices' : '/api/v1/offices/kita');
            $n{requests}++;
            if (!$r->{status}) {
                $n{errors}++;
                push @bad, $r->{error};
            } elsif ($r->{status} != 200) {
                $n{bad}++;
                push @bad, "$r->{status} $r->{body}";
            }
            if ($n{requests} == 20) {
                open my $s, '>', "$dir/started-$i"; close $s;
            }
        }
        open my $o, '>', "$dir/load-$i" or POSIX::_exit(1);
        print {$o} $json->encode({ %n, examples => [ @bad[0 .. ($#bad < 4 ? $#bad : 4)] ] });
        close $o;
        POSIX::_exit(0);
    }
    push @load, $pid;
}

my $staff_pid = fork // die "fork: $!";
if (!$staff_pid) {
    my %n = (requests => 0, ok => 0, busy => 0, other => 0);
    my @other;
    for (1 .. 100000) {
        last if -e $stop;
        my ($r) = $t->admin_post('offices/kita/counters/certificates', { action => 'issue' }, $token);
        $n{requests}++;
        if ($r->{status} == 200) {
            $n{ok}++;
        } elsif ($r->{status} == 503 && ($r->{headers}{'retry-after'} // '') =~ /^\d+$/) {
            $n{busy}++;
        } else {
            $n{other}++;
            push @other, "$r->{status} " . ($r->{error} // $r->{body});
        }
        if ($n{requests} == 5) {
            open my $s, '>', "$dir/started-staff"; close $s;
        }
    }
    open my $o, '>', "$dir/load-staff" or POSIX::_exit(1);
    print {$o} $json->encode({ %n, examples => [ @other[0 .. ($#other < 4 ? $#other : 4)] ] });
    close $o;
    POSIX::_exit(0);
}

ok($t->wait_for(sub { 4 == grep { -e "$dir/started-$_" } 1, 2, 3, 'staff' },
                timeout => 30, what => 'the load to start'),
   'citizens and staff are being answered');

# ------------------------------------------------------------ the restore

my $r = $t->madoctl('restore', $backup);
is($r->{exit}, 0, 'madoctl restore under load: exit 0') or diag($r->{err});
like($r->{out}, qr/^restored \Q$backup\E \(made 2026-11-27T12:00:00\+09:00: schema 2, \d+ records, audit record \d+\) into \Q$store\E$/m,
     'restore says what it restored');
my ($aside) = $r->{out} =~ /the old store is kept in (\S+)/;
ok($aside && -f "$aside/data.mdb", 'the old store is kept aside') or diag($r->{out});
like($aside // '', qr/^\Q$store\E\.before-restore-20261127T120000$/, '... as STORE.before-restore-TIME');

# every worker shows the restored figures: 20 answers in a row
my $restored = $t->wait_for(sub {
    for (1 .. 20) {
        return 0 unless ($t->api_counter('kita', 'moving')->{waiting} // -1) == 7;
    }
    return 1;
}, timeout => 15, what => 'the restored figures');
ok($restored, 'served: 7 waiting, the restored figure, from every worker');

# the load goes on a little over the restored store, then stops
for (1 .. 30) { $t->api_counter('kita', 'moving') }
open my $s, '>', $stop; close $s;
waitpid($_, 0) for @load, $staff_pid;

my $total = 0;
for my $i (1 .. 3) {
    my $l = eval { $json->decode(slurp("$dir/load-$i")) } || {};
    $total += $l->{requests} // 0;
    is($l->{bad} // -1, 0, "citizen client $i: no answer but 200 in $l->{requests} requests")
        or diag($json->encode($l));
    is($l->{errors} // -1, 0, "citizen client $i: no connection error") or diag($json->encode($l));
}
ok($total > 60, "citizens' requests during the drill: $total");

my $st = eval { $json->decode(slurp("$dir/load-staff")) } || {};
ok(($st->{ok} // 0) > 0, "staff updates went through ($st->{ok} of $st->{requests}; $st->{busy} answered 503 with Retry-After)");
is($st->{other} // -1, 0, 'staff: no failure but 503 with Retry-After') or diag($json->encode($st));

# the staff writes after the restore are in the restored store: the API
# and madoctl (which opens the directory) agree
my $cert_api = $t->api_counter('kita', 'certificates')->{last_issued};
my $cert_ctl = MadoTest::find_counter(scalar $t->show_json, 'kita', 'certificates')->{last_issued};
is($cert_api, $cert_ctl, "staff's writes: the API and the store in place agree ($cert_api)");

# ------------------------------------------------------------ afterwards

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'audit verify passes after the restore') or diag($r->{err});

my @restore = grep { $_->{action} eq 'restore' } @{ $t->audit_records };
is(scalar @restore, 1, 'the trail has the restore record');
is($restore[0]{file}, $backup, '... naming the backup');
is($restore[0]{store_aside}, $aside, '... and where the old store went');
like($restore[0]{replaced_audit_mac} // '', qr/^[0-9a-f]{64}$/, "... and the replaced trail's last MAC");

# the old store refuses writers: it says it was put aside
$r = $t->madoctl(qw(set kita moving --waiting 1), { store => $aside });
is($r->{exit}, 3, 'the store put aside refuses a writer');
like($r->{err}, qr/put aside by "madoctl restore/, '... and says why');

# a write after the restore lands in the new store
$t->madoctl_ok(qw(set kita moving --waiting 11));
is($t->wait_for(sub { ($t->api_counter('kita', 'moving')->{waiting} // 0) == 11 }, timeout => 5)
   && 11, 11, 'a write after the restore is served');
($r) = $t->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token);
is($r->{status}, 200, 'staff update after the restore: 200');

# the feed went on in the restored store: the log read again from its
# cursor (none in the backup), then new lines
feed_lines(6, 7);
is($t->wait_for(sub { $family->() == 7 }, timeout => 30, what => 'the feed after the restore') && $family->(), 7,
   'the feed goes on after the restore: ticket 7 issued in the restored store');
like(slurp($feed_err), qr/the store was restored; opening the restored one/, 'the feed said it reopened');
ok(kill(0, $feed_pid), 'the feed still runs');
kill 'TERM', $feed_pid;
waitpid($feed_pid, 0);
is($? >> 8, 0, 'the feed ends cleanly on SIGTERM');

$r = $t->madoctl(qw(audit verify));
is($r->{exit}, 0, 'audit verify passes after the writes') or diag($r->{err});

$t->stop;
$t->check_logs;

done_testing;
