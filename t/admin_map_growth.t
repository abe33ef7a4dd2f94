#!/usr/bin/perl

# The store outgrows its map while the workers write too (the update API in
# a thread pool): a worker may adopt a grown map only while none of its
# threads holds a transaction, so an update that meets a grown map is
# answered 503 "store_busy" with Retry-After, nothing written, unless the
# last update out of the threads could adopt (or, when full, grow) the map
# and try it again.  Every 200 is applied exactly once, updates and feed
# batches alike.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $json = JSON::PP->new->utf8->canonical;
my $a = MadoTest->new;
my $dir = $a->dir;

# each step loads more and longer definitions
my @steps = (
    [ 24,  8, 150 ],
    [ 40, 12, 200 ],
    [ 64, 16, 200 ],
);

# the feed below issues more numbers than the example's range holds
my $wide = sub {
    my ($d) = @_;
    for my $o (grep { $_->{id} eq 'kita' } @{ $d->{offices} }) {
        $_->{ticket_range} = [1, 9999] for grep { $_->{id} eq 'certificates' } @{ $o->{counters} };
    }
    return $d;
};
my $small = MadoTest::generated_offices(offices => 14);
# a test store: the login below hashes 1000 PBKDF2 iterations, not 600 000
$a->madoctl_ok(qw(init --map-size 65536 --test-store));
$a->madoctl_ok('load', MadoTest::write_json_file("$dir/step0.json", $wide->($small)));
my $r = $a->madoctl(qw(user add tanaka --role staff --office kita --password-stdin --iterations 1000),
                    { stdin => "correct horse battery staple\n" });
is($r->{exit}, 0, 'admin: a staff account') or diag($r->{err});
$a->madoctl_ok(qw(set kita moving --status open --waiting 0));
$a->madoctl_ok(qw(set kita certificates --status open --waiting 0));
my ($machine) = $a->madoctl_ok(qw(user add machine --role feed --office kita))
    =~ /^(mado_[0-9a-f]{64})$/m;
ok($machine, 'admin: a feed account');

$a->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 15m;
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
    }
}
EOF
$a->start;

my ($lr, $ld) = $a->admin_post('login', { user => 'tanaka', password => 'correct horse battery staple' });
is($lr->{status}, 200, 'admin: login') or diag($lr->{error} // $lr->{body});
my $token = $ld->{token};

# the clients below run until madoctl is done growing the map (and have
# sent 10 requests at least); 60 s is only a backstop
my $stop = "$dir/stop-clients";
my $going = sub { my ($n, $backstop) = @_; (!-e $stop || $n < 10) && time < $backstop };

my ($ok, $busy, $other) = (0, 0, 0);
my ($fed, $fbusy, $fother, $ticket) = (0, 0, 0, 0);
my @other;
my $j = 0;
for my $s (@steps) {
    $j++;
    my ($no, $nc, $len) = @$s;
    my $big = MadoTest::generated_offices(offices => $no, counters => $nc, text => $len);
    my $f = MadoTest::write_json_file("$dir/admin$j.json", $wide->($big));
    unlink $stop;

    # updates through the API while madoctl grows the map
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        my ($n, $backstop) = (0, time + 60);
        while ($going->($n++, $backstop)) {
            my ($r, $d) = $a->admin_post('offices/kita/counters/moving', { action => 'issue' }, $token);
            print {$wr} join("\t", $r->{status}, ($d || {})->{error} // '',
                             $r->{headers}{'retry-after'} // ''), "\n";
        }
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;

    # and feed batches (3 new tickets each) from a ticket machine
    pipe(my $frd, my $fwr) or die "pipe: $!";
    my $fpid = fork // die "fork: $!";
    if (!$fpid) {
        close $frd;
        my ($k, $backstop) = (0, time + 60);
        my $n = $ticket;
        while ($going->($k++, $backstop) && $n < 9900) {
            my $body = join '', map {
                $json->encode({ time => int(time), event => 'issue', counter => 'certificates',
                                ticket => $n + $_ }) . "\n" } 1 .. 3;
            $n += 3;
            my ($r, $d) = $a->admin_post('offices/kita/feed', $body, $machine,
                                         'Content-Type' => 'application/x-ndjson');
            $d ||= {};
            print {$fwr} join("\t", $r->{status}, $d->{error} // '',
                              $r->{headers}{'retry-after'} // '', $d->{applied} // 0), "\n";
        }
        print {$fwr} "next\t$n\n";
        close $fwr;
        POSIX::_exit(0);
    }
    close $fwr;

    $a->madoctl_ok('load', $f);
    for my $o (@{ $big->{offices} }[-2 .. -1]) {
        $a->madoctl('set', $o->{id}, 'c01', '--status', 'open', '--message', 'x' x 200);
    }
    open my $fh, '>', $stop or die "$stop: $!";
    close $fh;

    while (my $line = <$rd>) {
        chomp $line;
        my ($st, $err, $retry) = split /\t/, $line, -1;
        if ($st == 200) { $ok++ }
        elsif ($st == 503 && $err eq 'store_busy' && $retry eq '1') { $busy++ }
        else { $other++; push @other, $line }
    }
    waitpid $pid, 0;
    while (my $line = <$frd>) {
        chomp $line;
        my ($st, $err, $retry, $applied) = split /\t/, $line, -1;
        if ($st eq 'next') { $ticket = $err }
        elsif ($st == 200) { $fed += $applied }
        elsif ($st == 503 && $err eq 'store_busy' && $retry eq '1') { $fbusy++ }
        else { $fother++; push @other, "feed: $line" }
    }
    waitpid $fpid, 0;
}
is($other, 0, 'admin: every update during growth is 200, or 503 store_busy with Retry-After: 1')
    or diag(join "\n", @other[0 .. ($#other < 9 ? $#other : 9)]);
diag("admin: $ok updates applied, $busy answered store_busy while the map grew");
ok($ok > 0, 'admin: updates were applied while the map grew');

# after the growth everything works, and nothing was applied twice or lost
my $st = $a->wait_for(sub {
    my ($r) = $a->admin_post('offices/kita/counters/moving', { action => 'set', message => 'grown' }, $token);
    return $r->{status} == 200 ? 200 : 0;
}, timeout => 10, interval => 0.2, what => 'an update after the growth');
is($st, 200, 'admin: an update after the growth: 200');
my $waiting;
for (1 .. 4) {
    my ($r, $d) = $a->get_json('/api/v1/offices/kita');
    is($r->{status}, 200, 'admin: GET after the growth');
    my $c = MadoTest::find_counter($d, 'kita', 'moving') || {};
    is($c->{message}, 'grown', 'admin: the public API shows the last update');
    $waiting = $c->{waiting};
}
is($waiting, $ok, 'admin: waiting = the issues answered 200 (none lost, none twice)');
is($fother, 0, 'admin: every feed batch during growth is 200, or 503 store_busy');
diag("admin: $fed fed tickets applied, $fbusy batches answered store_busy");
ok($fed > 0, 'admin: feed batches were applied while the map grew');
{
    my ($r, $d) = $a->get_json('/api/v1/offices/kita');
    is((MadoTest::find_counter($d, 'kita', 'certificates') || {})->{waiting}, $fed,
       'admin: certificates waiting = the tickets the feed answers applied');
}
ok(-s "$dir/store/data.mdb" > 4 * 65536, 'admin: the map grew several times');
ok($a->error_log_lines(qr/\[info\].*mado store: the map is \d+ bytes now/) > 0,
   'admin: the workers adopted or grew the map between their updates');
$r = $a->madoctl(qw(audit verify));
is($r->{exit}, 0, 'admin: the audit trail verifies') or diag($r->{err});
$a->stop;

done_testing;
