#!/usr/bin/perl

# POST /api/v1/admin/offices/{office}/feed: a feed account posts its ticket
# machine's events (jsonl) to the update API.  A generated day is posted in
# batches (lines of one second shuffled, some lines sent twice) and the
# counters must equal an independent count; a batch posted again changes
# nothing; an Idempotency-Key gets its first answer; a bad line refuses the
# whole batch (400 naming line and field, nothing written); wrong or
# disabled tokens 401 and, in numbers, 429 for the address; people's
# sessions 403; offices not granted 403; over the size limit 413; every
# change audited as user:machine from the client's address.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;
use MadoTest::Feed qw(feed_store simulate_day count_events shuffle_seconds jsonl_line);

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
my $dir = $t->dir;
$ENV{MADO_NOW} = 1795768200;            # 2026-11-27T17:30:00+09:00, a Friday
my $json = JSON::PP->new->utf8->canonical;

# small ticket ranges: the day wraps them
my (undef, $offices) = feed_store($t, '--test-store');
my %office = %$offices;
# a test store: people's accounts hash 1000 PBKDF2 iterations, logins cost
# no time
$t->add_user(qw(chief --role admin), { iterations => 1000 });
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
my ($machine) = $t->madoctl_ok(qw(user add machine --role feed --office kita)) =~ /^(mado_[0-9a-f]{64})$/m;
ok($machine, 'a feed token, shown once');
my ($retired) = $t->madoctl_ok(qw(user add retired --role feed --office kita)) =~ /^(mado_[0-9a-f]{64})$/m;
$t->madoctl_ok(qw(user disable retired));

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

# a batch of jsonl lines to an office's feed endpoint
sub feed_at {
    my ($office, $body, $token, %h) = @_;
    return $t->admin_post("offices/$office/feed", $body, $token,
                          'Content-Type' => 'application/x-ndjson', %h);
}
sub feed { feed_at('kita', @_) }

sub login { $t->admin_login($_[0], 'correct horse battery staple') }

# what the public API and madoctl show of kita's counters
sub state {
    my %s;
    my $d = $t->get_json('/api/v1/offices/kita');
    my $show = $t->show_json('kita');
    for my $c (@{ $office{kita}{counters} }) {
        my $p = MadoTest::find_counter($d, 'kita', $c->{id}) || {};
        my $m = MadoTest::find_counter($show, 'kita', $c->{id}) || {};
        $s{ $c->{id} } = { waiting => $p->{waiting}, calling => $p->{calling},
                           last_issued => $p->{last_issued},
                           served_today => $m->{served_today} };
    }
    return \%s;
}

# ------------------------------------------------------------ the day

# people arrive, staff call them, some give up or do not come
my ($events) = simulate_day($office{kita}, 94, rate => 1 / 180);
my $expect = count_events($events, $office{kita});
cmp_ok(scalar(@$events), '>', 1000, 'a day of ' . scalar(@$events) . ' events');

# lines as machines write them: one second's events in any order
my @lines = map { jsonl_line($_) } @{ shuffle_seconds($events, 4) };

# batches of about 400 lines (bigger than nginx's body buffer: they go
# through its temp file), some lines of the batch before sent again
my (@batches, @prev);
while (@lines) {
    my @b = splice(@lines, 0, 350 + int(rand(100)));
    my @again = grep { rand() < 0.05 } (@prev, @b);
    push @batches, [ @b, @again ];
    @prev = @b;
}
my $last = pop @batches;            # for the Idempotency-Key below

my ($applied, $dup, $n, $answers_ok) = (0, 0, 0, 1);
for my $b (@batches) {
    my ($r, $d) = feed(join('', @$b), $machine);
    if ($r->{status} != 200) {
        fail("batch: 200") or diag($r->{body});
        last;
    }
    $answers_ok &&= $d->{events} == @$b && $d->{office} eq 'kita'
                    && $d->{applied} + $d->{duplicate} + $d->{old} == @$b;
    $applied += $d->{applied};
    $dup += $d->{duplicate};
    $n += @$b;
}
ok($answers_ok, 'every batch: 200, its events counted as applied, duplicate or old');
cmp_ok($dup, '>', 0, "lines sent twice are duplicates ($dup)");

# the last batch with an Idempotency-Key: a retry gets the first answer
my ($r1, $d1) = feed(join('', @$last), $machine, 'Idempotency-Key' => 'machine-kita-0042');
is($r1->{status}, 200, 'the last batch with an Idempotency-Key: 200') or diag($r1->{body});
cmp_ok($d1->{applied}, '>', 0, 'the last batch applied events');
{
    my %known = map { $_->{id} => 1 } @{ $office{kita}{counters} };
    ok(@{ $d1->{counters} } && !grep({ !$known{ $_->{counter} } } @{ $d1->{counters} }),
       'the answer lists the counters changed');
}
my $audit_n = scalar @{ $t->audit_records };
my ($r2, $d2) = feed(join('', @$last), $machine, 'Idempotency-Key' => 'machine-kita-0042');
is($r2->{status}, 200, 'the same key again: 200');
is($r2->{body}, $r1->{body}, 'the same key again: the first answer, word for word');
is(scalar @{ $t->audit_records }, $audit_n, 'the same key again: nothing written');
{
    my ($r3, $d3) = feed(join('', @{ $batches[0] }), $machine, 'Idempotency-Key' => 'machine-kita-0042');
    is($r3->{status}, 422, 'the key with another batch: 422');
    is($d3->{error}, 'idempotency_key_reused', 'the key with another batch: said so');
    is(scalar @{ $t->audit_records }, $audit_n, 'the key with another batch: nothing written');
}

my %distinct = map { $_ => 1 } map { @$_ } @batches, $last;
is($applied + $d1->{applied}, scalar(keys %distinct), 'each distinct event applied once');

is_deeply(state(), $expect, 'the counters equal the independent count of the day');
my %answered = map { $_->{counter} => $_ } @{ $d1->{counters} };
for my $c (keys %answered) {
    my %got = map { $_ => $answered{$c}{$_} } qw(waiting calling last_issued served_today);
    is_deeply(\%got, $expect->{$c}, "the answer's $c is the new state");
}

# a batch posted again (no key) changes nothing and audits nothing
{
    my ($r, $d) = feed(join('', @{ $batches[3] }), $machine);
    is($r->{status}, 200, 'a batch posted again: 200');
    is($d->{applied}, 0, 'a batch posted again: nothing applied');
    is_deeply($d->{counters}, [], 'a batch posted again: no counter changed');
    is(scalar @{ $t->audit_records }, $audit_n, 'a batch posted again: nothing audited');
    is_deeply(state(), $expect, 'a batch posted again: the same counts');
}

# ------------------------------------------------------------ refusals

my $good = join('', map { jsonl_line([17 * 3600 + 300, 0, $_, $_->{ticket_range}[0]]) }
                       @{ $office{kita}{counters} }[0, 1]);
my $before = $json->encode(state());
my @bad = (
    [ 'ticket 0', qq({"time":"2026-11-27T17:05:00+09:00","event":"issue","counter":"moving","ticket":0}\n),
      qr/^line 3: "ticket" must be a whole number 1\.\.9999$/ ],
    [ 'no time', qq({"event":"issue","counter":"moving","ticket":120}\n), qr/^line 3: "time" is required/ ],
    [ 'bad event', qq({"time":1795766700,"event":"serve","counter":"moving","ticket":120}\n), qr/^line 3: "event" must be/ ],
    [ 'not JSON', qq({"time": 17\n), qr/^line 3: not JSON/ ],
    [ 'an unknown counter', qq({"time":1795766700,"event":"issue","counter":"lobby","ticket":5}\n),
      qr/^line 3: "counter": office kita has no counter "lobby"/ ],
    [ 'a ticket out of range', qq({"time":1795766700,"event":"issue","counter":"moving","ticket":999}\n),
      qr/^line 3: ticket 999 is outside counter moving's ticket_range 101\.\.180/ ],
    [ 'a time ahead of the clock', qq({"time":"2026-11-27T19:00:00+09:00","event":"issue","counter":"moving","ticket":120}\n),
      qr/^line 3: time is more than an hour ahead/ ],
    [ 'not UTF-8', qq({"time":1795766700,"event":"issue","counter":"mov\xff","ticket":120}\n), qr/^line 3: not UTF-8/ ],
);
for my $c (@bad) {
    my ($what, $line, $re) = @$c;
    my ($r, $d) = feed($good . $line . $good, $machine);
    is($r->{status}, 400, "$what: 400");
    like($d->{message} // '', $re, "$what: the line and what is wrong with it") or diag($r->{body});
}
is($json->encode(state()), $before, 'nothing of a refused batch was written');
is(scalar @{ $t->audit_records }, $audit_n, 'nothing of a refused batch was audited');

{
    my ($r, $d) = feed($good, 'mado_' . ('0' x 64));
    is($r->{status}, 401, 'a wrong token: 401');
    is($d->{error}, 'unauthorized', 'a wrong token: JSON body');
    ($r, $d) = feed($good, $retired);
    is($r->{status}, 401, "a disabled account's token: 401, the same answer");
    ($r, $d) = feed($good, undef);
    is($r->{status}, 401, 'no token: 401');
    ($r, $d) = feed($good, 'mado_short');
    is($r->{status}, 401, 'a malformed token: 401');

    my $staff = login('tanaka');
    ok($staff, 'staff log in');
    ($r, $d) = feed($good, $staff);
    is($r->{status}, 403, "a person's session may not post a feed: 403");
    like($d->{message} // '', qr/only feed accounts/, 'and is told why');
    ($r, $d) = feed($good, login('chief'));
    is($r->{status}, 403, "nor an admin's: 403");

    ($r, $d) = feed_at('sakyo', $good, $machine);
    is($r->{status}, 403, 'an office not granted: 403');
    ($r, $d) = feed_at('nowhere', $good, $machine);
    is($r->{status}, 403, 'an office that does not exist, not granted: 403 too');
    is($d->{error}, 'forbidden', 'not said to exist or not');

    ($r, $d) = feed($good, $machine, 'Content-Type' => 'application/x-www-form-urlencoded');
    is($r->{status}, 415, 'a form body (curl -d drops line ends): 415');
    like($d->{message} // '', qr/x-ndjson/, 'and is told the type');

    ($r, $d) = feed($good x 4000, $machine);
    is($r->{status}, 413, 'a body over 512 KB: 413');
    like($d->{message} // '', qr/at most 524288 bytes/, 'with the limit');
    is($json->encode(state()), $before, 'nothing written by these');
}

# the good lines alone are applied (a counter opens at its first issue)
{
    my ($r, $d) = feed("\n" . $good . "\r\n", $machine);
    is($r->{status}, 200, 'blank lines are skipped') or diag($r->{body});
    is($d->{events}, 2, 'two events');
    is($d->{applied}, 2, 'two applied');
}

# batches split anywhere: a new round's call read before its issue (the
# number wrapped; its old round was cancelled) counts as in one batch
{
    my ($fam) = grep { $_->{id} eq 'family' } @{ $office{kita}{counters} };
    my $served = state()->{family}{served_today};
    my $waiting = state()->{family}{waiting};
    my $t0 = 17 * 3600 + 600;
    my @r;
    push @r, (feed(jsonl_line([$t0, 0, $fam, 150]) . jsonl_line([$t0 + 30, 2, $fam, 150]), $machine))[0];
    push @r, (feed(jsonl_line([$t0 + 60, 1, $fam, 150]), $machine))[0];
    push @r, (feed(jsonl_line([$t0 + 60, 0, $fam, 150]), $machine))[0];
    is(join(' ', map { $_->{status} } @r), '200 200 200', 'a wrapped number in three batches: 200s');
    is(state()->{family}{served_today}, $served + 1, 'the new round served once, whatever the order');
    is(state()->{family}{waiting}, $waiting, 'and nobody left waiting');
}

# ------------------------------------------------------------ audit

{
    my $a = $t->audit_records;
    my @feed = grep { ($_->{action} // '') eq 'feed' } @$a;
    cmp_ok(scalar(@feed), '>=', scalar(@batches), 'feed writes are audited');
    ok(!grep({ $_->{actor} ne 'user:machine' || $_->{client} ne '127.0.0.1'
               || $_->{office} ne 'kita' } @feed),
       'as user:machine from 127.0.0.1, for kita');
    ok(!grep({ !ref $_->{before} || !ref $_->{after} } @feed), 'each with before and after');
    my @failed = grep { ($_->{action} // '') eq 'feed.failed' } @$a;
    is(scalar(@failed), 2, 'the wrong and the disabled token are audited');
    my $r = $t->madoctl(qw(audit verify));
    is($r->{exit}, 0, 'the audit trail verifies') or diag($r->{err});
}

# ------------------------------------------------------------ lockout

# guessing tokens counts as failed logins for the address
{
    my ($r, $d);
    for my $i (1 .. 30) {
        ($r, $d) = feed($good, sprintf('mado_%064x', $i));
        last if $r->{status} == 429;
    }
    is($r->{status}, 429, 'many wrong tokens from one address: 429');
    like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
    ($r, $d) = feed($good, $machine);
    is($r->{status}, 429, 'then even the right token waits');
    $t->allow_log(qr/\[warn\].*mado admin: feed tokens from 127\.0\.0\.1 wait \d+ s/);
    like($t->error_log, qr/\[warn\].*mado admin: feed tokens from 127\.0\.0\.1 wait/, 'the lockout is logged');
}

$t->stop;
$t->check_logs;
done_testing;
