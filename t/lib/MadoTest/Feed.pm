package MadoTest::Feed;

# A day at the counters, for the tests of the ticket-machine feed (madoctl
# feed, POST .../feed): a generator of events, an independent count of
# them, and the lines machines write (voicecall CSV, jsonl).  An event is
# [second of the day, type (0 issue, 1 call, 2 cancel), counter definition,
# ticket number, sequence, stamped to the minute (true) or the second].

use strict;
use warnings;

use Encode qw(encode);
use Exporter qw(import);
use JSON::PP;
use Test::More ();

use MadoTest;

our @EXPORT_OK = qw(small_range_offices simulate_day count_events expected_of
                    shuffle_seconds hhmmss iso_time voicecall_line jsonl_line
                    summary_of show_counts counts_are madoctl_feed feed_store
                    stamp_events count_waits report_of expected_report
                    report_is feed_day comebacks);

our $DAY = '20261127';              # a Friday: the day of the lines

my $JSON = JSON::PP->new->utf8->canonical;

# offices.json with small ticket ranges, so that a day wraps them
sub small_range_offices {
    my $defs = MadoTest::read_json_file();
    for my $o (@{ $defs->{offices} }) {
        for my $c (@{ $o->{counters} }) {
            $c->{ticket_range} = [1, 60] if $c->{id} eq 'certificates';
            $c->{ticket_range} = [101, 180] if $c->{id} eq 'moving';
        }
    }
    return $defs;
}

# a store for a feed test: made (init INIT_ARGS), and those offices loaded
# (two tests); returns the definitions and the offices by id
sub feed_store {
    my ($t, @init) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $defs = small_range_offices();
    $t->madoctl_ok('init', @init);
    $t->madoctl_ok('load', MadoTest::write_json_file($t->dir . '/offices.json', $defs));
    return ($defs, { map { $_->{id} => $_ } @{ $defs->{offices} } });
}

# A day at one office (its definition): people arrive at each counter (rate
# a second, twice that before 11:00, now and then two at once), 2-3 staff
# call them in order, some give up while waiting (cancel), some do not come
# when called (cancel after call).  Returns the events in the order they
# happened and the queue's own end state per counter.
sub simulate_day {
    my ($o, $seed, %opt) = @_;
    srand($seed);
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

# The independent count: the events replayed in time order and, within one
# second (whose lines come in any order), issues, calls, cancels, as the
# rule has it.  With an office definition every counter of it is counted,
# from zero.  Events whose lines are the same (number, kind and stamp: two
# cancels of a number in one minute stamped to it) count once: nothing
# tells them from a line sent twice.
sub count_events {
    my ($events, $office) = @_;
    my %st;
    for my $c (@{ $office ? $office->{counters} : [] }) {
        $st{ $c->{id} } = { waiting => 0, calling => 0, last_issued => 0, served_today => 0 };
    }
    my (%fate, %line);
    for my $e (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] || ($a->[4] // 0) <=> ($b->[4] // 0) }
               @$events)
    {
        my ($s, $type, $c, $n) = @$e;
        next if $line{ join('/', $c->{id}, $n, $type, $e->[5] ? 'm' . int($s / 60) : $s) }++;
        my $x = $st{ $c->{id} } //= { waiting => 0, calling => 0, last_issued => 0,
                                      served_today => 0 };
        my $f = \$fate{ $c->{id} }{$n};
        my $was = $$f // '';
        if ($type == 0) {
            $$f = 'waiting';
            $x->{waiting}++;
            $x->{last_issued} = $n;
        } elsif ($type == 1) {
            $x->{waiting}-- if $was eq 'waiting';
            $x->{served_today}++ if $was ne 'called';
            $$f = 'called';
            $x->{calling} = $n;
        } else {
            $x->{waiting}-- if $was eq 'waiting';
            $x->{served_today}-- if $was eq 'called';
            $$f = 'cancelled';
        }
    }
    return \%st;
}

# COUNTS for every counter of the office, zeros where nothing happened
sub expected_of {
    my ($office, $counts) = @_;
    my %e;
    for my $c (@{ $office->{counters} }) {
        $e{ $c->{id} } = $counts->{ $c->{id} }
            // { waiting => 0, calling => 0, last_issued => 0, served_today => 0 };
    }
    return \%e;
}

# an office's counts as "madoctl show OFFICE --json" gives them
sub show_counts {
    my ($t, $oid, $env) = @_;
    my $d = $t->show_json($oid, { env => $env || {} }) or return {};
    my %s;
    for my $c (@{ $d->{offices}[0]{counters} }) {
        $s{ $c->{id} } = { map { $_ => $c->{$_} }
                           qw(waiting calling last_issued served_today) };
    }
    return \%s;
}

# one test: the office's counts in the store are COUNTS (zeros elsewhere)
sub counts_are {
    my ($t, $office, $counts, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::is_deeply(show_counts($t, $office->{id}), expected_of($office, $counts), $name);
}

# madoctl feed --office OFFICE --format FORMAT [MORE...] FILE
sub madoctl_feed {
    my ($t, $oid, $format, $file, @more) = @_;
    return $t->madoctl('feed', '--office', $oid, '--format', $format, @more, $file);
}

sub hhmmss { my $s = shift; sprintf('%02d:%02d:%02d', $s / 3600, $s / 60 % 60, $s % 60) }

sub iso_time { "2026-11-27T" . hhmmss(shift) . "+09:00" }

# the same to the minute
sub iso_minute { "2026-11-27T" . substr(hhmmss(shift), 0, 5) . "+09:00" }

# The stamps a machine writes: MIX "seconds" (HH:MM:SS), "minutes" (HH:MM
# on every line), "calls" (calls and cancels HH:MM, issues HH:MM:SS) or
# "mixed" (either, line by line); returns the events with their stamps.
sub stamp_events {
    my ($events, $mix, $seed) = @_;
    srand($seed // 1);
    return [ map {
        my $m = $mix eq 'minutes' ? 1
              : $mix eq 'calls' ? ($_->[1] != 0 ? 1 : 0)
              : $mix eq 'mixed' ? (rand() < 0.5 ? 1 : 0)
              : 0;
        [ @$_[0 .. 4], $m ];
    } @$events ];
}

# Lines as a machine writes them: in the order the events happened (one
# second's in the order the independent count takes them: issues, calls,
# cancels), except that the lines stamped to the second of one second
# come in any order.  A line stamped to the minute keeps its place among
# them: the stamp cannot order it, the file's order does.
sub shuffle_seconds {
    my ($events, $seed) = @_;
    srand($seed);
    my @events = sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] || ($a->[4] // 0) <=> ($b->[4] // 0) }
                 @$events;
    my (@out, @group);
    for my $i (0 .. $#events) {
        push @group, $events[$i] unless $events[$i][5];
        my $next = $events[$i + 1];
        if ($events[$i][5] || !$next || $next->[5] || $next->[0] != $events[$i][0]) {
            for (my $j = $#group; $j > 0; $j--) {
                my $k = int(rand($j + 1));
                @group[$j, $k] = @group[$k, $j];
            }
            push @out, @group;
            push @out, $events[$i] if $events[$i][5];
            @group = ();
        }
    }
    return \@out;
}

# a line of the voicecall CSV: DATE,TIME,TYPE,BUSINESS CODE,TICKET;
# minutes: HH:MM only; extra: a name after; crlf: CRLF ends it
sub voicecall_line {
    my ($e, %opt) = @_;
    my ($s, $type, $c, $n) = @$e;
    my @codes = @{ $c->{business_codes} };
    my $code = $codes[$n % @codes];
    my $time = ($opt{minutes} || $e->[5]) ? substr(hhmmss($s), 0, 5) : hhmmss($s);
    my $line = "$DAY,$time,$type,$code,$n";
    $line .= ",$c->{name}{ja}" if $opt{extra};
    return $line . ($opt{crlf} ? "\r\n" : "\n");
}

# a line of jsonl, bytes
sub jsonl_line {
    my ($e) = @_;
    my ($s, $type, $c, $n) = @$e;
    return $JSON->encode({
        time => $e->[5] ? iso_minute($s) : iso_time($s),
        event => (qw(issue call cancel))[$type],
        counter => $c->{id}, ticket => $n }) . "\n";
}

# The waits the feed records, counted apart from it: the events in the
# order they happened (as count_events takes them), a minute stamp put at
# the latest second already known in its minute of its number's round and
# of its counter's last issue (for an issue) or call (for a call), a second
# after its number's events of its own or a later kind (the rule in
# mado_store.h, section 11); an event stamped to the minute like one of
# its kind already seen for its number in that minute (the latest, or the
# call or cancel before it) is that line again.
# Returns, per counter id and hour, {issued, served, cancelled, waits,
# wait_sum, wait_max} (served: calls, as the history counts them), and the
# pairs [wait recorded, true wait] of every ticket served.
sub count_waits {
    my ($events) = @_;
    my (%hours, @pairs, %tk, %last);
    for my $e (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] || $a->[4] <=> $b->[4] } @$events) {
        my ($s, $type, $c, $n, undef, $minute) = @$e;
        my $x = $tk{ $c->{id} }{$n} //= { seen => [0, 0, 0], minute => [0, 0, 0],
                                          prev => [0, 0, 0], prev_minute => [0, 0, 0],
                                          true_issue => 0 };
        my $at = $s;
        if ($minute) {
            my $m = $s - $s % 60;
            my ($own, $before) = ($x->{seen}[$type], $x->{prev}[$type]);
            next if ($own >= $m && $own < $m + 60 && $x->{minute}[$type])
                 || ($before >= $m && $before < $m + 60 && $x->{prev_minute}[$type]);
            $at = $m;
            for my $k (0 .. 2) {
                my $t = $x->{seen}[$k];
                next unless $t >= $m && $t < $m + 60;
                my $put = $t + ($k >= $type ? 1 : 0);
                $at = $put if $put > $at;
            }
            my $l = $type < 2 ? ($last{ $c->{id} }[$type] // 0) : 0;
            $at = $l if $l >= $m && $l < $m + 60 && $l > $at;
            $at = $m + 59 if $at > $m + 59;
        }
        # the ticket's fate before: the latest of its round's events
        my ($fate, $when) = ('', 0);
        ($fate, $when) = ('waiting', $x->{seen}[0]) if $x->{seen}[0];
        ($fate, $when) = ('served', $x->{seen}[1]) if $x->{seen}[1] && $x->{seen}[1] >= $when;
        $fate = 'cancelled' if $x->{seen}[2] && $x->{seen}[2] >= $when;
        my $h = $hours{ $c->{id} }{ int($at / 3600) } //=
            { issued => 0, served => 0, cancelled => 0, waits => 0, wait_sum => 0, wait_max => 0 };
        # the call or cancel seen so far becomes the one seen before
        my $push = sub {
            my ($k) = @_;
            return unless $x->{seen}[$k];
            $x->{prev}[$k] = $x->{seen}[$k];
            $x->{prev_minute}[$k] = $x->{minute}[$k];
        };
        if ($type == 0) {
            # a new round: what the last one saw is settled
            $push->($_) for 1, 2;
            $x->{seen} = [$at, 0, 0];
            $x->{minute} = [0, 0, 0];
            $x->{true_issue} = $s;
            $h->{issued}++;
        } else {
            $push->($type);
            $h->{ $type == 1 ? 'served' : 'cancelled' }++;
            if ($type == 1 && $fate eq 'waiting') {
                my $w = $at - $x->{seen}[0];
                $h->{waits}++;
                $h->{wait_sum} += $w;
                $h->{wait_max} = $w if $w > $h->{wait_max};
                push @pairs, [$w, $s - $x->{true_issue}];
            }
            $x->{seen}[$type] = $at;
        }
        $x->{minute}[$type] = $minute ? 1 : 0;
        $last{ $c->{id} }[$type] = $at
            if $type < 2 && $at > ($last{ $c->{id} }[$type] // 0);
    }
    return (\%hours, \@pairs);
}

# "madoctl report" of the day (the office OID) as
# {counter => {hour => "issued,served,cancelled,wait_avg,wait_max"}}
sub report_of {
    my ($t, $oid) = @_;
    my $r = $t->madoctl('report', '--office', $oid, '--from', '2026-11-27', '--to', '2026-11-27');
    my %rows;
    for my $line (split /\r\n/, $r->{out}) {
        my @f = split /,/, $line, -1;
        next if @f < 8 || $f[0] eq 'date' || $f[2] eq 'day';
        $rows{ $f[1] }{ $f[2] } = join(',', @f[3 .. 7]);
    }
    return \%rows;
}

# the rows the report must have for count_waits' hours
sub expected_report {
    my ($hours) = @_;
    my %rows;
    for my $cid (keys %$hours) {
        for my $h (keys %{ $hours->{$cid} }) {
            my $x = $hours->{$cid}{$h};
            next unless $x->{issued} || $x->{served} || $x->{cancelled};
            $rows{$cid}{$h} = join(',', $x->{issued}, $x->{served}, $x->{cancelled},
                $x->{waits} ? (sprintf('%.1f', $x->{wait_sum} / $x->{waits} / 60),
                               sprintf('%.1f', $x->{wait_max} / 1 / 60)) : ('', ''));
        }
    }
    return \%rows;
}

# one test: the office's report (issued, served, cancelled and the waits,
# per counter and hour) is the one counted apart from the feed
sub report_is {
    my ($t, $office, $events, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($hours) = count_waits($events);
    Test::More::is_deeply(report_of($t, $office->{id}), expected_report($hours), $name);
}

# One day of OFFICE (its definition) through madoctl feed, as tests: the
# day simulated (seed, rate, until a second of the day) with these stamps,
# written as a machine writes it (sjis: Shift_JIS with CRLF and names,
# else UTF-8) and fed in batches of BATCH lines (cut: half of it first,
# cut inside a minute, then all of it: a restart); every line applied
# once, the counts equal count_events, the report equals count_waits, no
# wait more than 59 seconds off the truth.  Returns the events and the
# waits' pairs.
sub feed_day {
    my ($t, $o, %c) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($ev) = simulate_day($o, $c{seed}, rate => $c{rate});
    @$ev = grep { $_->[0] < $c{until} } @$ev if $c{until};
    $ev = stamp_events($ev, $c{stamps}, $c{seed});
    my $lines = shuffle_seconds($ev, $c{seed});
    my $name = "$c{stamps}, batches of $c{batch}, $c{what}";

    my $text = sub {
        my $s = join('', map { voicecall_line($_, crlf => $c{sjis}, extra => $c{sjis}) } @_);
        return $c{sjis} ? encode('cp932', $s) : $s;
    };
    my %distinct = map { $text->($_) => 1 } @$lines;
    my $f = $t->dir . "/$o->{id}.log";
    my $applied = 0;
    if ($c{cut}) {
        my $k = int(@$lines / 2);
        $k++ until $lines->[$k - 1][5] && int($lines->[$k][0] / 60) == int($lines->[$k - 1][0] / 60);
        MadoTest::write_file($f, $text->(@$lines[0 .. $k - 1]));
        my $r = madoctl_feed($t, $o->{id}, 'voicecall', $f, '--batch', $c{batch});
        $applied += summary_of($r)->{applied} // 0;
    }
    MadoTest::write_file($f, $text->(@$lines));

    my $r = madoctl_feed($t, $o->{id}, 'voicecall', $f, '--batch', $c{batch});
    Test::More::is($r->{exit}, 0, "$name: exit 0") or Test::More::diag(MadoTest::text($r->{err}));
    Test::More::is($applied + (summary_of($r)->{applied} // 0), scalar(keys %distinct),
                   "$name: every line applied once");
    counts_are($t, $o, count_events($ev), "$name: the counts equal the count of the events");
    report_is($t, $o, $ev, "$name: the report's waits equal the waits counted apart");

    my (undef, $pairs) = count_waits($ev);
    my @off = grep { abs($_->[0] - $_->[1]) > 59 } @$pairs;
    Test::More::is(scalar(@off), 0, "$name: no wait more than 59 s off the truth");
    return ($ev, $pairs);
}

# how many numbers were issued again in the minute their last round was
# called: only the file's order tells the old round's call from the new
# round's then
sub comebacks {
    my ($ev) = @_;
    my (%called, $n);
    for my $e (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] || $a->[4] <=> $b->[4] } @$ev) {
        my $k = "$e->[2]{id}/$e->[3]";
        $n++ if $e->[1] == 0 && defined $called{$k} && int($called{$k} / 60) == int($e->[0] / 60);
        $called{$k} = $e->[0] if $e->[1] == 1;
    }
    return $n // 0;
}

# the figures of madoctl feed's last line
sub summary_of {
    my ($r) = @_;
    my %n;
    if ($r->{out} =~ /(\d+) lines: (\d+) applied, (\d+) already known, (\d+) of an earlier day, (\d+) bad/) {
        @n{qw(lines applied dup old bad)} = ($1, $2, $3, $4, $5);
    }
    return \%n;
}

1;
