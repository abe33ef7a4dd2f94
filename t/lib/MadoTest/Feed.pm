package MadoTest::Feed;

# A day at the counters, for the tests of the ticket-machine feed (madoctl
# feed, POST .../feed): a generator of events, an independent count of
# them, and the lines machines write (voicecall CSV, jsonl).  An event is
# [second of the day, type (0 issue, 1 call, 2 cancel), counter definition,
# ticket number, sequence].

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;
use Test::More ();

use MadoTest;

our @EXPORT_OK = qw(small_range_offices simulate_day count_events expected_of
                    shuffle_seconds hhmmss iso_time voicecall_line jsonl_line
                    summary_of show_counts counts_are madoctl_feed feed_store);

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
# from zero.
sub count_events {
    my ($events, $office) = @_;
    my %st;
    for my $c (@{ $office ? $office->{counters} : [] }) {
        $st{ $c->{id} } = { waiting => 0, calling => 0, last_issued => 0, served_today => 0 };
    }
    my %fate;
    for my $e (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] || ($a->[4] // 0) <=> ($b->[4] // 0) }
               @$events)
    {
        my ($s, $type, $c, $n) = @$e;
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

# a line of the voicecall CSV: DATE,TIME,TYPE,BUSINESS CODE,TICKET;
# minutes: HH:MM only; extra: a name after; crlf: CRLF ends it
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

# a line of jsonl, bytes
sub jsonl_line {
    my ($e) = @_;
    my ($s, $type, $c, $n) = @$e;
    return $JSON->encode({
        time => iso_time($s), event => (qw(issue call cancel))[$type],
        counter => $c->{id}, ticket => $n }) . "\n";
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
