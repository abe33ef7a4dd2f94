#!/usr/bin/perl

# The store outgrows its map while nginx is running: madoctl doubles the
# map, and the workers (which opened the store at the small size) must
# adopt the new size (MDB_MAP_RESIZED) and keep answering with fresh data.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(encode_utf8);
use POSIX ();
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
my $data = $t->store . '/data.mdb';

$t->madoctl_ok(qw(init --map-size 65536));
my $small = MadoTest::generated_offices(offices => 14);
$t->madoctl_ok('load', MadoTest::write_json_file($t->dir . '/step0.json', $small));
$t->write_config('mado_stale_after 15m;');
$t->start;

# enough requests to reach both workers, most likely
sub check_all {
    my ($step, $noffices, $last_office, $msg) = @_;
    my ($bad, $wrong) = (0, 0);
    my @diag;
    for my $i (1 .. 8) {
        my ($r, $d) = $t->get_json($i % 2 ? '/api/v1/offices' : '/api/v1/offices/kita');
        if ($r->{status} != 200) {
            $bad++;
            push @diag, "status $r->{status}: " . substr($r->{body}, 0, 300);
            next;
        }
        my $c = MadoTest::find_counter($d, 'kita', 'moving') || {};
        $wrong++, push @diag, 'message: ' . ($c->{message} // 'null')
            unless ($c->{message} // '') eq $msg;
        if ($i % 2) {
            my $n = scalar @{ $d->{offices} || [] };
            $wrong++, push @diag, "$n offices" unless $n == $noffices;
        }
    }
    is($bad, 0, "$step: every GET 200") or diag(MadoTest::text(join "\n", @diag));
    is($wrong, 0, "$step: every GET shows the latest write ($noffices offices)") or diag(MadoTest::text(join "\n", @diag));

    my ($r) = $t->get_json("/api/v1/offices/$last_office");
    is($r->{status}, 200, "$step: GET /api/v1/offices/$last_office");
}

$t->madoctl_ok(qw(set kita moving --status open --message), 'step 0');
check_all('start', 14, 'rakusai', 'step 0');
my $size0 = -s $data;
diag(MadoTest::text("data.mdb: $size0 bytes at the start"));

# each step loads more and longer definitions, then sets a long message
my @steps = (
    [ 24,  8, 150 ],
    [ 40, 12, 200 ],
    [ 64, 16, 200 ],
);
my $i = 0;
my @sizes = ($size0);
for my $s (@steps) {
    $i++;
    my ($no, $nc, $len) = @$s;
    my $big = MadoTest::generated_offices(offices => $no, counters => $nc, text => $len);
    $t->madoctl_ok('load', MadoTest::write_json_file($t->dir . "/step$i.json", $big));
    my $msg = "step $i " . ('混雑しています' x 12);       # 7 + 252 bytes
    $t->madoctl_ok(qw(set kita moving --message), encode_utf8($msg));
    # and long messages at the new counters
    my $fails = 0;
    for my $o (@{ $big->{offices} }[-3 .. -1]) {
        for my $c (@{ $o->{counters} }) {
            my $r = $t->madoctl('set', $o->{id}, $c->{id}, '--status', 'open', '--waiting', 3,
                '--message', encode_utf8($msg));
            $fails++ if $r->{exit};
        }
    }
    is($fails, 0, "step $i: sets at the new counters");
    push @sizes, -s $data;
    diag(MadoTest::text("data.mdb: $sizes[-1] bytes after step $i"));
    check_all("step $i", $no, $big->{offices}[-1]{id}, $msg);

    # a new office's counter shows its state
    my ($r, $d) = $t->get_json("/api/v1/offices/$big->{offices}[-1]{id}");
    my $c = MadoTest::find_counter($d, $big->{offices}[-1]{id}, 'c01') || {};
    is($c->{waiting}, 3, "step $i: a generated counter shows its waiting");
}

ok($sizes[-1] > 4 * 65536, "data.mdb grew several times past 65536 ($sizes[-1])");

# back to the real file: the store shrinks in content, not in map
$t->madoctl_ok('load', MadoTest::offices_json());
$t->madoctl_ok(qw(set kita moving --message), 'back');
check_all('back to 14 offices', 14, 'rakusai', 'back');

$t->stop;

# ------------------------------------------------------------ with mado_admin

# The same growth while the workers write too (update API in a thread
# pool): a worker may adopt a grown map only while none of its threads
# holds a transaction, so an update that meets a grown map is answered 503
# "store_busy" with Retry-After, nothing written, unless the last update
# out of the threads could adopt (or, when full, grow) the map and try it
# again.  Every 200 is applied exactly once.
{
    require JSON::PP;
    my $json = JSON::PP->new->utf8->canonical;
    my $a = MadoTest->new;
    my $dir = $a->dir;
    # the feed below issues more numbers than the example's range holds
    my $wide = sub {
        my ($d) = @_;
        for my $o (grep { $_->{id} eq 'kita' } @{ $d->{offices} }) {
            $_->{ticket_range} = [1, 9999] for grep { $_->{id} eq 'certificates' } @{ $o->{counters} };
        }
        return $d;
    };
    $a->madoctl_ok(qw(init --map-size 65536));
    $a->madoctl_ok('load', MadoTest::write_json_file("$dir/step0.json", $wide->($small)));
    my $r = $a->madoctl(qw(user add tanaka --role staff --office kita --password-stdin),
                        { stdin => "correct horse battery staple\n" });
    is($r->{exit}, 0, 'admin: a staff account') or diag($r->{err});
    $a->madoctl_ok(qw(set kita moving --status open --waiting 0));
    $a->madoctl_ok(qw(set kita certificates --status open --waiting 0));
    my ($machine) = $a->madoctl_ok(qw(user add machine --role feed --office kita))
        =~ /^(mado_[0-9a-f]{64})$/m;
    ok($machine, 'admin: a feed account');
    $a->write_config("mado_stale_after 15m;\n    mado_audit_key $dir/audit.key;",
                     'location /api/v1/admin/ { mado_admin; }');
    $a->start;

    my $post = sub {
        my ($path, $body, $token) = @_;
        my $r = $a->http('POST', "/api/v1/admin/$path", {
            timeout => 30,      # a login hashes for a while under ASan
            body => $json->encode($body),
            headers => { 'Content-Type' => 'application/json',
                         ($token ? (Authorization => "Bearer $token") : ()) },
        });
        return ($r, eval { $json->decode($r->{body}) } || {});
    };
    my ($lr, $ld) = $post->('login', { user => 'tanaka', password => 'correct horse battery staple' });
    is($lr->{status}, 200, 'admin: login') or diag($lr->{error} // $lr->{body});
    my $token = $ld->{token};

    my ($ok, $busy, $other) = (0, 0, 0);
    my ($fed, $fbusy, $fother, $ticket) = (0, 0, 0, 0);
    my @other;
    my $j = 0;
    for my $s (@steps) {
        $j++;
        my ($no, $nc, $len) = @$s;
        my $big = MadoTest::generated_offices(offices => $no, counters => $nc, text => $len);
        my $f = MadoTest::write_json_file("$dir/admin$j.json", $wide->($big));

        # updates through the API while madoctl grows the map
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            my $until = time + 2;
            while (time < $until) {
                my ($r, $d) = $post->('offices/kita/counters/moving', { action => 'issue' }, $token);
                print {$wr} join("\t", $r->{status}, $d->{error} // '',
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
            my $until = time + 2;
            my $n = $ticket;
            while (time < $until && $n < 9900) {
                my $body = join '', map {
                    $json->encode({ time => time, event => 'issue', counter => 'certificates',
                                    ticket => $n + $_ }) . "\n" } 1 .. 3;
                $n += 3;
                my $r = $a->http('POST', '/api/v1/admin/offices/kita/feed', {
                    timeout => 30, body => $body,
                    headers => { 'Content-Type' => 'application/x-ndjson',
                                 Authorization => "Bearer $machine" } });
                my $d = eval { $json->decode($r->{body}) } || {};
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
    my $st;
    for (1 .. 5) {
        my ($r, $d) = $post->('offices/kita/counters/moving', { action => 'set', message => 'grown' }, $token);
        $st = $r->{status};
        last if $st == 200;
        sleep 1;
    }
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
}

done_testing;
