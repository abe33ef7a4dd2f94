#!/usr/bin/perl

# A reload (HUP) under load: while a client keeps asking, nginx replaces
# its workers twice and every request is answered 200.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use POSIX ();
use Test::More;
use Time::HiRes qw(time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
    }
}
EOF
$t->start;

# requests answered so far, by the access log
sub answered { my $n = () = $t->read_file('access.log') =~ /\n/g; $n }

# and 10 more than now
sub ten_more {
    my ($what) = @_;
    my $want = answered() + 10;
    $t->wait_for(sub { answered() >= $want }, timeout => 20, what => $what);
}

my $stop = $t->dir . '/stop-load';

pipe(my $rd, my $wr) or die "pipe: $!";
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    close $rd;
    my ($n, $bad, @first) = (0, 0);
    my $end = time + 60;            # the parent says when, this is a backstop
    while (!-e $stop && time < $end) {
        my $r1 = $t->http('GET', ($n % 2 ? '/api/v1/offices/kita' : '/api/v1/offices'));
        $n++;
        if ($r1->{status} != 200) {
            $bad++;
            push @first, "$r1->{status} " . ($r1->{error} // '') . ' ' . substr($r1->{raw}, 0, 200)
                if @first < 5;
        }
    }
    syswrite($wr, join("\n", $n, $bad, @first) . "\n");
    close $wr;
    POSIX::_exit(0);
}
close $wr;

# each reload while requests flow: some before, between and after
ten_more('requests before the reloads');
my @before = $t->worker_pids;
ok($t->reload, 'reload 1: workers replaced');
ten_more('requests after reload 1');
ok($t->reload, 'reload 2: workers replaced');
ten_more('requests after reload 2');
my @after = $t->worker_pids;
is(scalar @after, $t->workers, 'as many workers as before');
ok(!grep({ my $p = $_; grep { $_ == $p } @before } @after), 'all workers new');

open my $fh, '>', $stop or die "$stop: $!";
close $fh;
my $out = do { local $/; <$rd> };
waitpid($pid, 0);
my ($n, $bad, @first) = split /\n/, $out // '';
ok(($n // 0) > 20, "requests during the reloads: " . ($n // 0));
is($bad, 0, 'every request during the reloads got 200') or diag(MadoTest::text(join "\n", @first));

my ($r) = $t->get_json('/api/v1/offices');
is($r->{status}, 200, 'after reload: 200');

$t->stop;

done_testing;
