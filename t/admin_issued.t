#!/usr/bin/perl

# The update API keeps what madoctl keeps: the number called is one that
# was issued, going round the counter's ticket_range.  set with calling
# alone raises last_issued; calling and last_issued contradicting, or
# outside the range, are 400 naming the field; call and cancel of numbers
# not issued are 409; wrap-around; and the public API shows each
# counter's ticket_range.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 1;
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

my $json = JSON::PP->new->utf8->canonical;
my $token = $t->admin_login('tanaka', 'correct horse battery staple');
ok($token, 'tanaka logs in');

my $path = 'offices/kita/counters/moving';      # numbers 1..300

sub post {
    my ($body) = @_;
    return $t->admin_post($path, $body, $token);
}

sub figures {
    my $c = $t->api_counter('kita', 'moving');
    return join ' ', map { $c->{$_} // 'undef' } qw(waiting calling last_issued);
}

# ------------------------------------------------------------ the public API

is_deeply($t->api_counter('kita', 'moving')->{ticket_range}, [1, 300],
          'GET /api/v1/offices/kita: the counter\'s ticket_range');
my $all = $t->get_json('/api/v1/offices');
is_deeply(MadoTest::find_counter($all, 'kita', 'certificates')->{ticket_range}, [1, 500],
          'GET /api/v1/offices: every counter\'s ticket_range');

# ------------------------------------------------------------ set

my ($r, $d) = post({ action => 'set', status => 'open', waiting => 2, calling => 150 });
is($r->{status}, 200, 'set calling alone: 200') or diag($r->{body});
is($d->{last_issued}, 150, 'set calling alone: last_issued follows (the answer)');
is(figures(), '2 150 150', 'set calling alone: the public API shows it');

my $state = $json->encode(scalar $t->api_counter('kita', 'moving'));
for my $c (
    [ { calling => 160, last_issued => 155 }, qr/^calling: 160 would come after last_issued 155/ ],
    [ { last_issued => 100 }, qr/^last_issued: 100 would come before calling 150/ ],
    [ { calling => 301 }, qr/^calling: 301 is outside the counter's ticket_range 1\.\.300/ ],
    [ { last_issued => 9999 }, qr/^last_issued: 9999 is outside/ ],
    [ { calling => 5, last_issued => 0 }, qr/^calling: / ],
) {
    my ($body, $re) = @$c;
    my $show = $json->encode($body);
    ($r, $d) = post({ action => 'set', %$body });
    is($r->{status}, 400, "set $show: 400");
    is($d->{error} // '', 'bad_request', "set $show: bad_request");
    like($d->{message} // '', $re, "set $show: the message names the field") or diag($r->{body});
}

# ------------------------------------------------------------ call, cancel

for my $c (
    [ { action => 'call', number => 151 }, qr/ticket 151 has not been issued \(last issued 150\)/ ],
    [ { action => 'call', number => 301 }, qr/ticket 301 is outside the counter's ticket_range/ ],
    [ { action => 'cancel', number => 151 }, qr/ticket 151 has not been issued/ ],
    [ { action => 'cancel', number => 140 }, qr/ticket 140 has already been called/ ],
) {
    my ($body, $re) = @$c;
    my $show = $json->encode($body);
    ($r, $d) = post($body);
    is($r->{status}, 409, "$show: 409");
    like($d->{message} // '', $re, "$show: says why") or diag($r->{body});
}
is($json->encode(scalar $t->api_counter('kita', 'moving')), $state, 'nothing was written by the refused requests');

# those waiting hold earlier numbers: call next issues the next number
($r, $d) = post({ action => 'call' });
is($r->{status}, 200, 'call next: 200') or diag($r->{body});
is($d->{ticket}, 151, 'call next: 151');
is(figures(), '1 151 151', 'call next: 151 called and issued');

# ------------------------------------------------------------ round the range

($r, $d) = post({ action => 'set', waiting => 2, calling => 299, last_issued => 1 });
is($r->{status}, 200, 'set calling 299 with 1 issued after the wrap: 200') or diag($r->{body});
($r, $d) = post({ action => 'cancel', number => 1 });
is($r->{status}, 200, 'cancel 1 (issued after the wrap, not called): 200') or diag($r->{body});
($r, $d) = post({ action => 'call' });
is($d->{ticket}, 300, 'call next: 300');
($r, $d) = post({ action => 'call', number => 2 });
is($r->{status}, 409, 'call 2 (not issued after the wrap): 409');
is(figures(), '0 300 1', 'round the range: 300 called, 1 issued');

$t->stop;

done_testing;
