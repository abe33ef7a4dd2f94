#!/usr/bin/perl

# madoctl feed: ticket-machine logs (voicecall and jsonl) into counter
# state.  A generator simulates whole days at the counters (tickets wrap
# round small ranges, people cancel, some do not show up when called) and
# writes them the way machines do: lines of one second shuffled, Shift_JIS,
# CRLF, garbage.  After each feed the counters must equal an independent
# count of the events written so far (and, for whole days, the generator's
# own queue).  Covered: wrap-around, cancels, out-of-order lines, Shift_JIS,
# CRLF, minute-only times, a truncated last line, restart mid-file, feeding
# twice or a copy, kill -9 mid-feed, rotation and truncation under
# --follow, garbage and unknown codes, old days, load validation.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(encode encode_utf8);
use File::Copy qw(copy);
use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $dir = $t->dir;
my $DAY = '20261127';                       # a Friday
my $NOW = '2026-11-27T18:00:00+09:00';
my %ENVNOW = (MADO_NOW => $NOW);

# office definitions: the example's, with small ticket ranges so that a
# day wraps them several times
my $defs = JSON::PP->new->utf8->decode(do {
    local (@ARGV, $/) = MadoTest::offices_json(); <> });
for my $o (@{ $defs->{offices} }) {
    for my $c (@{ $o->{counters} }) {
        $c->{ticket_range} = [1, 60] if $c->{id} eq 'certificates';
        $c->{ticket_range} = [101, 180] if $c->{id} eq 'moving';
    }
}
my $offices_file = "$dir/offices.json";
write_file($offices_file, JSON::PP->new->utf8->canonical->pretty->encode($defs));

sub write_file {
    my ($f, $bytes, $mode) = @_;
    open my $fh, $mode // '>', $f or die "$f: $!";
    binmode $fh;
    print {$fh} $bytes;
    close $fh or die "$f: $!";
}

sub mc {
    my @args = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    $opt->{env} = { %ENVNOW, %{ $opt->{env} || {} } };
    return $t->madoctl((map { encode_utf8($_) } @args), $opt);
}

sub mc_ok {
    my @args = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = mc(@args);
    ok($r->{exit} == 0, "madoctl @args: exit 0")
        or diag("exit $r->{exit}\n" . MadoTest::text($r->{err}));
    return $r;
}

mc_ok('init');
mc_ok('load', $offices_file);

my %office = map { $_->{id} => $_ } @{ $defs->{offices} };

# ------------------------------------------------------------ the generator

# A day at one office: people arrive at each counter (more in the morning),
# 1-3 staff call them in order, some give up while waiting (cancel), some
# do not come when called (cancel after call).  Returns the events in the
# order they happened and the queue's own end state per counter.
sub simulate_day {
    my ($oid, $seed, %opt) = @_;
    srand($seed);
    my $o = $office{$oid};
    my (@events, %end);
    my $seq = 0;
    for my $c (@{ $o->{counters} }) {
        my ($first, $last) = @{ $c->{ticket_range} || [1, 9999] };
        my $rate = $opt{rate} // 1 / 150;
        my $staff = 2 + int(rand(2));
        my (@queue, %holder, @busy);
        my $next = $first;
        my ($calling, $issued, $served) = (0, 0, 0);
        for my $s (8 * 3600 + 30 * 60 .. 17 * 3600) {
            my $r = $rate * (($s < 11 * 3600) ? 2 : 1);
            my $arrivals = rand() < $r ? (rand() < 0.2 ? 2 : 1) : 0;
            $arrivals = 0 if $s > 16 * 3600 + 30 * 60;
            for (1 .. $arrivals) {
                # every number of the range is out: the machine waits
                last if $holder{$next};
                push @events, [$s, 0, $c, $next, $seq++];
                push @queue, $next;
                $holder{$next} = 1;
                $issued = $next;
                $next = $next >= $last ? $first : $next + 1;
            }
            # people give up now and then
            if (@queue && rand() < 0.004) {
                my $i = int(rand(@queue));
                my ($n) = splice(@queue, $i, 1);
                delete $holder{$n};
                push @events, [$s, 2, $c, $n, $seq++];
            }
            next if $s > 16 * 3600 + 45 * 60;     # a few still wait at the end
            for my $k (0 .. $staff - 1) {
                next if ($busy[$k] // 0) > $s || !@queue;
                my $n = shift @queue;
                delete $holder{$n};
                push @events, [$s, 1, $c, $n, $seq++];
                $calling = $n;
                $served++;
                $busy[$k] = $s + 40 + int(rand(200));
                if (rand() < 0.03) {               # does not come: no-show
                    push @events, [$s + 20 + int(rand(40)), 2, $c, $n, $seq++];
                    $served--;
                }
            }
        }
        $end{ $c->{id} } = { waiting => scalar(@queue), calling => $calling,
                             last_issued => $issued, served_today => $served };
    }
    @events = sort { $a->[0] <=> $b->[0] || $a->[4] <=> $b->[4] } @events;
    return (\@events, \%end);
}

# the independent count: replay events in the order they happened
sub count_events {
    my ($events) = @_;
    my %st;
    for my $e (@$events) {
        my ($s, $type, $c, $n) = @$e;
        my $x = $st{ $c->{id} } //= { waiting => 0, calling => 0, last_issued => 0,
                                      served_today => 0, fate => {} };
        my $f = $x->{fate};
        if ($type == 0) {
            $f->{$n} = 'waiting';
            $x->{waiting}++;
            $x->{last_issued} = $n;
        } elsif ($type == 1) {
            if (($f->{$n} // '') eq 'waiting') { $x->{waiting}--; }
            if (($f->{$n} // '') ne 'called') { $x->{served_today}++; }
            $f->{$n} = 'called';
            $x->{calling} = $n;
        } else {
            if (($f->{$n} // '') eq 'waiting') { $x->{waiting}--; }
            if (($f->{$n} // '') eq 'called') { $x->{served_today}--; }
            $f->{$n} = 'cancelled';
        }
    }
    delete $_->{fate} for values %st;
    return \%st;
}

sub hhmmss { my $s = shift; sprintf('%02d:%02d:%02d', $s / 3600, $s / 60 % 60, $s % 60) }

sub iso_time { "2026-11-27T" . hhmmss(shift) . "+09:00" }

# lines as a machine writes them: the events of one second in any order
sub shuffle_seconds {
    my ($events, $seed, $key) = @_;
    srand($seed);
    $key //= sub { $_[0][0] };
    my (@out, @group);
    for my $i (0 .. $#$events) {
        push @group, $events->[$i];
        if ($i == $#$events || $key->($events->[$i + 1]) ne $key->($events->[$i])) {
            for (my $j = $#group; $j > 0; $j--) {
                my $k = int(rand($j + 1));
                @group[$j, $k] = @group[$k, $j];
            }
            push @out, @group;
            @group = ();
        }
    }
    return \@out;
}

sub voicecall_line {
    my ($e, %opt) = @_;
    my ($s, $type, $c, $n) = @$e;
    my @codes = @{ $c->{business_codes} };
    my $code = $codes[$n % @codes];
    my $time = $opt{minutes} ? substr(hhmmss($s), 0, 5) : hhmmss($s);
    my $line = "$DAY,$time,$type,$code,$n";
    $line .= ",$c->{name}{ja}" if $opt{extra};
    return $line . ($opt{crlf} ? "\r\n" : "\n");
}

sub jsonl_line {
    my ($e) = @_;
    my ($s, $type, $c, $n) = @$e;
    return JSON::PP->new->canonical->encode({
        time => iso_time($s), event => (qw(issue call cancel))[$type],
        counter => $c->{id}, ticket => $n }) . "\n";
}

# ------------------------------------------------------------ checking

sub state {
    my ($oid) = @_;
    my $d = $t->show_json($oid, { env => \%ENVNOW }) or return {};
    my %s;
    for my $c (@{ $d->{offices}[0]{counters} }) {
        $s{ $c->{id} } = { map { $_ => $c->{$_} }
                           qw(waiting calling last_issued served_today) };
    }
    return \%s;
}

sub expected_of {
    my ($oid, $counts) = @_;
    my %e;
    for my $c (@{ $office{$oid}{counters} }) {
        $e{ $c->{id} } = $counts->{ $c->{id} }
            // { waiting => 0, calling => 0, last_issued => 0, served_today => 0 };
    }
    return \%e;
}

sub state_is {
    my ($oid, $counts, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is_deeply(state($oid), expected_of($oid, $counts), $name);
}

sub feed {
    my ($oid, $format, $file, @more) = @_;
    return mc('feed', '--office', $oid, '--format', $format, @more, $file);
}

sub summary_of {
    my ($r) = @_;
    my %n;
    if ($r->{out} =~ /(\d+) lines: (\d+) applied, (\d+) already known, (\d+) of an earlier day, (\d+) bad/) {
        @n{qw(lines applied dup old bad)} = ($1, $2, $3, $4, $5);
    }
    return \%n;
}

# ------------------------------------------------------------ 1. voicecall

{
    my ($ev, $end) = simulate_day('kita', 11);
    my $counts = count_events($ev);
    is_deeply(expected_of('kita', $counts), expected_of('kita', $end),
              'generator: the independent count agrees with its queue');
    my @wraps = grep { $_->[1] == 0 && $_->[3] == 1 } @$ev;
    cmp_ok(scalar(@wraps), '>=', 2, 'the certificates range wraps during the day');
    my $same = 0;
    for my $i (1 .. $#$ev) { $same++ if $ev->[$i][0] == $ev->[$i - 1][0] }
    cmp_ok($same, '>', 20, 'many events share their second');

    my $lines = shuffle_seconds($ev, 5);
    my $f = "$dir/kita.log";
    write_file($f, join('', map { voicecall_line($_) } @$lines));

    my $r = feed('kita', 'voicecall', $f);
    is($r->{exit}, 0, 'voicecall: exit 0') or diag(MadoTest::text($r->{err}));
    is($r->{err}, '', 'voicecall: nothing reported');
    is_deeply(summary_of($r), { lines => scalar(@$lines), applied => scalar(@$lines),
                                dup => 0, old => 0, bad => 0 },
              'voicecall: summary counts every line as applied');
    state_is('kita', $counts, 'voicecall (LF, shuffled seconds): state equals the count');

    $r = feed('kita', 'voicecall', $f);
    is($r->{exit}, 0, 'fed again: exit 0');
    like($r->{out}, qr/0 lines: 0 applied.*${\ scalar(@$lines)} lines were applied before/,
         'fed again: every line known as applied');
    state_is('kita', $counts, 'fed again: nothing counted twice');

    copy($f, "$dir/kita-copy.log") or die "copy: $!";
    $r = feed('kita', 'voicecall', "$dir/kita-copy.log");
    state_is('kita', $counts, 'a copy under another name: nothing counted twice');

    # every line twice (a machine that repeats itself): known, not counted
    my $f2 = "$dir/kita-twice.log";
    write_file($f2, "#header\n" . join('', map { voicecall_line($_) x 2 } @$lines));
    $r = feed('kita', 'voicecall', $f2);
    is($r->{exit}, 0, 'doubled lines: exit 0');
    is(summary_of($r)->{applied}, 0, 'doubled lines of events already applied: none applied');
    is(summary_of($r)->{bad}, 1, 'the header line is bad');
    like($r->{err}, qr/kita-twice\.log:1: /, 'bad line reported with file and line');
    state_is('kita', $counts, 'doubled lines: state unchanged');
}

# ------------------------------------------------------------ 2. Shift_JIS, CRLF, garbage

{
    my ($ev, $end) = simulate_day('kamigyo', 12);
    my $counts = count_events($ev);
    my $lines = shuffle_seconds($ev, 6);
    my @text = map { voicecall_line($_, crlf => 1, extra => 1) } @$lines;
    # garbage, unknown codes, bad tickets, blank lines among them
    my @bad = (
        "日付,時刻,区分,業務,番号\r\n",
        "20261127,09:00:00,7,21,1\r\n",
        "20261127,25:00:00,0,21,1\r\n",
        "20261131,09:00:00,0,21,1\r\n",
        "20261127,09:00:00,0,99,1\r\n",
        "20261127,09:00:00,0,21,61\r\n",
        "20261127,09:00:00,0,21,abc\r\n",
        "\x00\x01\x02garbage\r\n",
    );
    my %at;
    for my $i (0 .. $#bad) {
        my $pos = 1 + int(($i + 1) * @text / (@bad + 1));
        splice(@text, $pos, 0, $bad[$i]);
    }
    splice(@text, 10, 0, "\r\n");
    my $bytes = join('', map { encode('cp932', $_) } @text);
    ok($bytes =~ /[\x80-\xff]/ && !utf8::decode(my $copy = $bytes),
       'the fixture is Shift_JIS, not UTF-8');
    my $f = "$dir/kamigyo.log";
    write_file($f, $bytes);

    my $r = feed('kamigyo', 'voicecall', $f);
    is($r->{exit}, 0, 'Shift_JIS: exit 0') or diag(MadoTest::text($r->{err}));
    my @reported = $r->{err} =~ /^madoctl feed: \Q$f\E:(\d+): (.+)$/mg;
    is(scalar(@reported) / 2, scalar(@bad), 'Shift_JIS: each bad line reported once');
    like($r->{err}, qr/event "7"/, 'a bad event is named');
    like($r->{err}, qr/time "25:00:00"/, 'a bad time is named');
    like($r->{err}, qr/date "20261131"/, 'a date that does not exist is named');
    like($r->{err}, qr/business code "99"/, 'an unknown business code is named');
    like($r->{err}, qr/ticket 61 is outside counter certificates's ticket_range 1\.\.60/,
         'a ticket outside the range is named');
    like($r->{err}, qr/NUL/, 'binary garbage is named');
    my $n = summary_of($r);
    is($n->{bad}, scalar(@bad), 'Shift_JIS: bad lines counted');
    is($n->{applied}, scalar(@$lines), 'Shift_JIS: every event applied');
    state_is('kamigyo', $counts, 'Shift_JIS + CRLF + garbage: state equals the count');

    # the line numbers point at the bad lines themselves
    my %lineno = @reported;
    my @all = split /(?<=\n)/, $bytes;
    for my $ln (sort { $a <=> $b } keys %lineno) {
        unlike($all[$ln - 1], qr/^$DAY,\d\d:\d\d:\d\d,[012],(?:1[123]|2[12]|31|4[12]),\d+,/,
               "line $ln reported is not a good line");
    }
}

# ------------------------------------------------------------ 3. minutes only, jsonl

{
    my ($ev) = simulate_day('shimogyo', 13);
    # a machine that writes HH:MM: the order inside a minute is lost too
    my @min = map { [int($_->[0] / 60) * 60, @$_[1 .. 4]] } @$ev;
    my $lines = shuffle_seconds(\@min, 7);
    my $f = "$dir/shimogyo.log";
    write_file($f, join('', map { voicecall_line($_, minutes => 1) } @$lines));
    my $r = feed('shimogyo', 'voicecall', $f);
    is($r->{exit}, 0, 'HH:MM: exit 0') or diag(MadoTest::text($r->{err}));
    state_is('shimogyo', count_events($ev), 'HH:MM times, shuffled minutes: state equals the count');

    my ($ev2) = simulate_day('nakagyo', 14);
    my $jl = shuffle_seconds($ev2, 8);
    my $fj = "$dir/nakagyo.jsonl";
    write_file($fj, join('', map { jsonl_line($_) } @$jl)
                    . qq({"time": "2026-11-27T10:00:00+09:00", "event": "serve", "counter": "moving", "ticket": 101}\n)
                    . qq({"time": "2026-11-27T10:00:00+09:00", "event": "issue", "counter": "lobby", "ticket": 1}\n)
                    . qq({"time": "yesterday", "event": "issue", "counter": "moving", "ticket": 101}\n)
                    . qq({"event": "issue", "counter": "moving", "ticket": 101}\n)
                    . qq([1, 2]\n)
                    . qq({"time": 1795739400, "event": "call", "counter": "moving", "ticket": 0}\n)
                    . qq({"time": 1795739400, "event": "call",\n));
    $r = feed('nakagyo', 'jsonl', $fj);
    is($r->{exit}, 0, 'jsonl: exit 0') or diag(MadoTest::text($r->{err}));
    like($r->{err}, qr/"event" must be/, 'jsonl: a bad event is named');
    like($r->{err}, qr/no counter "lobby"/, 'jsonl: an unknown counter is named');
    like($r->{err}, qr/"time" must be ISO 8601/, 'jsonl: a bad time is named');
    like($r->{err}, qr/"time" is required/, 'jsonl: a missing time is named');
    like($r->{err}, qr/not a JSON object/, 'jsonl: an array is refused');
    like($r->{err}, qr/"ticket" must be/, 'jsonl: ticket 0 is refused');
    like($r->{err}, qr/not JSON/, 'jsonl: broken JSON is named');
    is(summary_of($r)->{bad}, 7, 'jsonl: 7 bad lines counted');
    state_is('nakagyo', count_events($ev2), 'jsonl: state equals the count');
}

# ------------------------------------------------------------ 4. truncated last line, restart mid-file

{
    my ($ev) = simulate_day('higashiyama', 15);
    my $lines = shuffle_seconds($ev, 9);
    my $text = join('', map { voicecall_line($_) } @$lines);
    my $f = "$dir/higashiyama.log";

    # cut at a second's boundary, then mid-line
    my $k = int(@$lines / 2);
    $k++ while $k < $#$lines && $lines->[$k][0] == $lines->[$k - 1][0];
    my $head = join('', map { voicecall_line($_) } @$lines[0 .. $k - 1]);
    my $partial = substr(voicecall_line($lines->[$k]), 0, 12);
    write_file($f, $head . $partial);

    my $r = feed('higashiyama', 'voicecall', $f);
    is($r->{exit}, 0, 'truncated last line: exit 0');
    like($r->{err}, qr/:${\ ($k + 1)}: incomplete last line/,
         'truncated last line: reported as left for later');
    my @before = grep { $_->[0] < $lines->[$k][0] } @$ev;
    state_is('higashiyama', count_events(\@before), 'first half: state equals its count');

    # the machine goes on writing; a restarted feed goes on after line k
    write_file($f, $text);
    $r = feed('higashiyama', 'voicecall', $f);
    is($r->{exit}, 0, 'restart mid-file: exit 0');
    like($r->{out}, qr/ $k lines were applied before/, 'restart mid-file: resumed after line k');
    is(summary_of($r)->{applied}, @$lines - $k, 'restart mid-file: only the rest applied');
    state_is('higashiyama', count_events($ev), 'restart mid-file: state equals the count');

    # rewritten shorter under the same name: read again, counted once
    write_file($f, $head);
    $r = feed('higashiyama', 'voicecall', $f);
    like($r->{err}, qr/reading it from the start/, 'a shortened file is read again');
    state_is('higashiyama', count_events($ev), 'a shortened file counts nothing twice');

    # yesterday's log after today's: history, the live counts stay
    (my $old = $text) =~ s/^$DAY/20261126/mg;
    write_file("$dir/yesterday.log", $old);
    $r = feed('higashiyama', 'voicecall', "$dir/yesterday.log");
    is(summary_of($r)->{old}, scalar(@$lines), "yesterday's lines: all of an earlier day");
    state_is('higashiyama', count_events($ev), "yesterday's lines change nothing");
}

# ------------------------------------------------------------ 5. kill -9 mid-feed

{
    my ($ev) = simulate_day('sakyo', 16, rate => 1 / 20);
    my $lines = shuffle_seconds($ev, 10);
    my $f = "$dir/sakyo.log";
    write_file($f, join('', map { voicecall_line($_) } @$lines));
    my @argv = $t->madoctl_argv(qw(feed --office sakyo --format voicecall --batch 20), $f);
    my %env = ($t->madoctl_env, %ENVNOW);
    my $killed = 0;
    for my $delay (0.005, 0.01, 0.02, 0.04) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            @ENV{ keys %env } = values %env;
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', '/dev/null';
            exec @argv or POSIX::_exit(127);
        }
        sleep $delay;
        $killed++ if kill 'KILL', $pid;
        waitpid($pid, 0);
        # killed at any moment: the store opens and reads
        my $s = state('sakyo');
        ok(defined $s->{certificates}, "after kill -9 at ${delay}s the store reads");
    }
    my $r = feed('sakyo', 'voicecall', $f);
    is($r->{exit}, 0, 'after kill -9: the feed completes');
    state_is('sakyo', count_events($ev), 'after kill -9 and a restart: state equals the count');
    note("events in the kill -9 fixture: " . scalar(@$lines));
}

# ------------------------------------------------------------ 6. --follow, rotation, truncation

{
    my ($ev) = simulate_day('ukyo', 17);
    my $lines = shuffle_seconds($ev, 11);
    my $n = @$lines;
    # four parts, cut between seconds
    my @cut = (0);
    for my $q (1 .. 3) {
        my $k = int($q * $n / 4);
        $k++ while $k < $n - 1 && $lines->[$k][0] == $lines->[$k - 1][0];
        push @cut, $k;
    }
    push @cut, $n;
    my @part = map { [ @$lines[ $cut[$_] .. $cut[$_ + 1] - 1 ] ] } 0 .. 3;
    my $text = sub { join('', map { voicecall_line($_) } @{ $_[0] }) };
    my $upto = sub {
        my $end = $lines->[ $cut[ $_[0] ] - 1 ][0];
        count_events([ grep { $_->[0] <= $end } @$ev ]);
    };

    my $f = "$dir/ukyo.log";
    write_file($f, $text->($part[0]));
    my $errf = "$dir/follow.err";
    my $outf = "$dir/follow.out";
    my @argv = $t->madoctl_argv(qw(feed --office ukyo --format voicecall --follow --interval 0.05), $f);
    my %env = ($t->madoctl_env, %ENVNOW);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        @ENV{ keys %env } = values %env;
        open STDOUT, '>', $outf;
        open STDERR, '>', $errf;
        exec @argv or POSIX::_exit(127);
    }

    my $wait_for = sub {
        my ($want, $name) = @_;
        my $deadline = time + 30;
        my $got;
        while (time < $deadline) {
            $got = state('ukyo');
            last if JSON::PP->new->canonical->encode($got)
                 eq JSON::PP->new->canonical->encode(expected_of('ukyo', $want));
            sleep 0.05;
        }
        local $Test::Builder::Level = $Test::Builder::Level + 1;
        is_deeply($got, expected_of('ukyo', $want), $name);
    };

    $wait_for->(count_events([ grep { $_->[0] <= $part[0][-1][0] } @$ev ]),
                '--follow: the first part is applied');

    # the machine appends, once stopping mid-line
    my $p1 = $text->($part[1]);
    my $mid = int(length($p1) / 2);
    write_file($f, substr($p1, 0, $mid), '>>');
    sleep 0.2;
    write_file($f, substr($p1, $mid), '>>');
    $wait_for->($upto->(2), '--follow: appended lines (one written in two pieces) applied');

    # rotation: the log moves away and a new one starts at the path
    rename $f, "$f.1" or die "rename: $!";
    write_file($f, $text->($part[2]));
    $wait_for->($upto->(3), '--follow: after rotation the new file is read');

    # truncation in place (copytruncate), then new lines
    truncate $f, 0 or die "truncate: $!";
    sleep 0.3;
    write_file($f, $text->($part[3]), '>>');
    $wait_for->(count_events($ev), '--follow: after truncation the new lines are read');

    kill 'TERM', $pid;
    my $deadline = time + 10;
    my $done = 0;
    while (time < $deadline) { if (waitpid($pid, WNOHANG) == $pid) { $done = 1; last } sleep 0.05 }
    ok($done, '--follow stops on SIGTERM');
    is($? >> 8, 0, '--follow exits 0 on SIGTERM');
    my $err = do { local (@ARGV, $/) = $errf; <> } // '';
    like($err, qr/rotated; reading the new file/, '--follow reports the rotation');
    like($err, qr/truncated or rewritten/, '--follow reports the truncation');
    my $out = do { local (@ARGV, $/) = $outf; <> } // '';
    like($out, qr/lines: \d+ applied/, '--follow prints its summary at the end');

    # a restarted follower finds everything applied
    my $r = feed('ukyo', 'voicecall', $f);
    is(summary_of($r)->{applied}, 0, 'restarted after follow: nothing applied twice');
    state_is('ukyo', count_events($ev), 'restarted after follow: state equals the count');
}

# ------------------------------------------------------------ 7. from stdin, usage and errors

{
    my $r = mc(qw(feed --office fushimi --format voicecall -),
               { stdin => join('', map { voicecall_line($_) } @{ shuffle_seconds((simulate_day('fushimi', 19))[0], 1) }) });
    is($r->{exit}, 0, 'stdin: exit 0') or diag(MadoTest::text($r->{err}));
    state_is('fushimi', count_events((simulate_day('fushimi', 19))[0]), 'stdin: state equals the count');
    my $again = mc(qw(feed --office fushimi --format voicecall -),
                   { stdin => join('', map { voicecall_line($_) } @{ shuffle_seconds((simulate_day('fushimi', 19))[0], 1) }) });
    like($again->{out}, qr/ 0 applied/, 'stdin fed twice: nothing applied twice');
}

{
    my $r = mc(qw(feed --format voicecall x.log));
    is($r->{exit}, 2, 'no --office: exit 2');
    like($r->{err}, qr/--office/, 'no --office: named');
    $r = mc(qw(feed --office kita x.log));
    is($r->{exit}, 2, 'no --format: exit 2');
    $r = mc(qw(feed --office kita --format csv x.log));
    is($r->{exit}, 1, 'unknown --format: exit 1');
    like($r->{err}, qr/--format/, 'unknown --format: named');
    $r = mc(qw(feed --office kita --format voicecall --encoding latin1 x.log));
    is($r->{exit}, 1, 'unknown --encoding: exit 1');
    $r = mc(qw(feed --office kita --format voicecall), "$dir/none.log");
    is($r->{exit}, 1, 'missing file: exit 1');
    like($r->{err}, qr/FILE: cannot open/, 'missing file: named');
    write_file("$dir/one.log", "$DAY,09:00:00,0,21,1\n");
    $r = mc(qw(feed --office nowhere --format voicecall), "$dir/one.log");
    is($r->{exit}, 1, 'unknown office: exit 1');
    like($r->{err}, qr/--office: no office "nowhere"/, 'unknown office: named');
    $r = mc(qw(feed --help));
    is($r->{exit}, 0, 'feed --help: exit 0');
    like($r->{out}, qr/usage: madoctl .*feed/, 'feed --help: usage');
    write_file("$dir/ahead.log", "20261128,09:00:00,0,21,1\n");
    $r = mc(qw(feed --office kita --format voicecall), "$dir/ahead.log");
    like($r->{err}, qr/ahead of the clock/, 'an event from tomorrow is refused');
}

# ------------------------------------------------------------ 8. load validation of the rules

{
    my $bad = JSON::PP->new->utf8->decode(JSON::PP->new->utf8->encode($defs));
    my $cs = $bad->{offices}[0]{counters};
    $cs->[1]{business_codes} = [ $cs->[0]{business_codes}[0] ];
    write_file("$dir/bad1.json", JSON::PP->new->utf8->encode($bad));
    my $r = mc('load', "$dir/bad1.json");
    is($r->{exit}, 1, 'a business code of two counters: exit 1');
    like($r->{err}, qr/\$\.offices\[0\]\.counters\[1\].*business code/, 'named with its path');

    $bad = JSON::PP->new->utf8->decode(JSON::PP->new->utf8->encode($defs));
    $bad->{offices}[0]{counters}[0]{ticket_range} = [300, 1];
    write_file("$dir/bad2.json", JSON::PP->new->utf8->encode($bad));
    $r = mc('load', "$dir/bad2.json");
    is($r->{exit}, 1, 'ticket_range backwards: exit 1');
    like($r->{err}, qr/ticket_range/, 'ticket_range named');

    $bad->{offices}[0]{counters}[0]{ticket_range} = [1, 300];
    $bad->{offices}[0]{counters}[0]{business_codes} = ["1,2"];
    write_file("$dir/bad3.json", JSON::PP->new->utf8->encode($bad));
    $r = mc('load', "$dir/bad3.json");
    is($r->{exit}, 1, 'a business code with a comma: exit 1');
    like($r->{err}, qr/business_codes/, 'business_codes named');

    # "01" in the log is code "1" in offices.json
    my $def = JSON::PP->new->utf8->decode(JSON::PP->new->utf8->encode($defs));
    $def->{offices}[0]{counters}[2]{business_codes} = ["7"];
    write_file("$dir/ok.json", JSON::PP->new->utf8->encode($def));
    mc_ok('load', "$dir/ok.json");
    write_file("$dir/lead.log", "$DAY,17:10:00,0,007,5\n");
    $r = mc(qw(feed --office kita --format voicecall), "$dir/lead.log");
    is(summary_of($r)->{applied}, 1, 'business code "007" matches "7"');
}

# ------------------------------------------------------------ 9. the systemd unit's command

{
    my $unit = do { local (@ARGV, $/) = MadoTest::repo() . '/conf.example/systemd/mado-feed@.service'; <> };
    my $envx = do { local (@ARGV, $/) = MadoTest::repo() . '/conf.example/systemd/mado-feed.env.example'; <> };
    $unit =~ s/\\\n\s*/ /g;
    my ($exec) = $unit =~ /^ExecStart=(.+)$/m;
    ok($exec, 'the unit has an ExecStart');
    my %env = $envx =~ /^(MADO_\w+)=(.*)$/mg;
    is_deeply([sort keys %env], [qw(MADO_FEED_ENCODING MADO_FEED_FILE MADO_FEED_FORMAT MADO_STORE)],
              'the example environment file sets what the unit uses');
    my ($ev) = simulate_day('yamashina', 20);
    my $f = "$dir/yamashina-unit.log";
    write_file($f, join('', map { voicecall_line($_) } @{ shuffle_seconds($ev, 12) }));
    $env{MADO_STORE} = $t->store;
    $env{MADO_FEED_FILE} = $f;
    my @argv = split ' ', $exec;
    for (@argv) {
        s/%i/yamashina/g;
        s/\$\{(\w+)\}/$env{$1}/g;
    }
    is($argv[0], '/usr/bin/madoctl', 'the unit runs the packaged madoctl');
    $argv[0] = MadoTest::madoctl_bin();
    my %e = ($t->madoctl_env, %ENVNOW);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        @ENV{ keys %e } = values %e;
        open STDOUT, '>', "$dir/unit.out";
        open STDERR, '>', "$dir/unit.err";
        exec @argv or POSIX::_exit(127);
    }
    my $want = JSON::PP->new->canonical->encode(expected_of('yamashina', count_events($ev)));
    my $deadline = time + 30;
    while (time < $deadline) {
        last if JSON::PP->new->canonical->encode(state('yamashina')) eq $want;
        sleep 0.1;
    }
    state_is('yamashina', count_events($ev), "the unit's command follows the log into the store");
    kill 'TERM', $pid;
    waitpid($pid, 0);
    is($? >> 8, 0, "the unit's command exits 0 on SIGTERM (KillSignal)");
}

$t->check_logs;
done_testing;
