#!/usr/bin/perl
# Past weeks for the demo (and the year-size benchmark): a ticket-machine
# log per office in the voicecall format, for every day the office opened
# (as "madoctl calendar" says), from DAYS days ago to yesterday, and today
# until NOW.  Arrivals follow the hour of the day and the weekday (Mondays
# and the mornings busiest, a dip at lunch), 1 to 3 staff serve in order
# at about minutes_per_person, some people give up.  Fed with
# "madoctl feed", the logs become the demo's history and forecast.
#
#   demo-history.pl MADOCTL OFFICES_JSON OUT_DIR DAYS NOW_UNIX [SEED]

use strict;
use warnings;

use JSON::PP;
use POSIX qw(floor);

my ($madoctl, $offices, $out, $days, $now, $seed) = @ARGV;
die "usage: demo-history.pl MADOCTL OFFICES_JSON OUT_DIR DAYS NOW [SEED]\n"
    unless defined $now;
srand($seed // 7);

my $defs = JSON::PP->new->utf8->decode(do { local (@ARGV, $/) = $offices; <> });

# local midnight (JST) of today, and its date
my $today = floor(($now + 9 * 3600) / 86400) * 86400 - 9 * 3600;
my @g = gmtime($today - $days * 86400 + 9 * 3600);
my $from = sprintf('%04d-%02d-%02d', $g[5] + 1900, $g[4] + 1, $g[3]);

# arrivals per hour by hour of the day, and by weekday (Sun..Sat)
my %hour = (8 => 0.6, 9 => 1.6, 10 => 1.5, 11 => 1.2, 12 => 0.7, 13 => 1.2,
            14 => 1.0, 15 => 0.9, 16 => 0.7, 17 => 0.3);
my @wday = (0.5, 1.4, 1.0, 0.9, 0.9, 1.1, 0.6);
my %base = (certificates => 14, mynumber => 5, moving => 4, family => 2);

sub expo { -$_[0] * log(1 - rand()) }

for my $o (@{ $defs->{offices} }) {
    my $cal = `"$madoctl" calendar $o->{id} --from $from --days ${\ ($days + 1)} --json`;
    die "madoctl calendar $o->{id} failed\n" if $?;
    my $weight = $o->{kind} eq 'ward' ? 1.0 : 0.5;
    my @lines;

    for my $day (@{ JSON::PP->new->utf8->decode($cal) }) {
        next if $day->{hours} eq '';
        my ($y, $m, $d) = $day->{date} =~ /^(\d+)-(\d+)-(\d+)$/;
        my $ymd = "$y$m$d";
        my $mid = _epoch($y, $m, $d);
        my $wd = (gmtime($mid + 9 * 3600))[6];
        my @spans = map { [ map { my ($h, $mi) = split /:/; $h * 3600 + $mi * 60 } split /-/ ] }
                    split /,/, $day->{hours};
        my ($open, $close) = ($spans[0][0], $spans[-1][1]);

        for my $c (@{ $o->{counters} }) {
            my $rate = ($base{ $c->{id} } // 3) * $weight * $wday[$wd];
            my $mean = $c->{minutes_per_person} * 60;
            my @codes = @{ $c->{business_codes} || [] } or next;
            my ($first, $last) = @{ $c->{ticket_range} || [1, 9999] };
            # enough staff for the busy hours, now and then one short
            my $staff = int($rate * 1.6 * $mean / 3600 / 0.9) + 1;
            $staff-- if $staff > 1 && rand() < 0.3;
            my (@busy, @queue, @ev);
            my $next = $first;
            my $t = $open + expo(3600 / ($rate * ($hour{ int($open / 3600) } // 0.3)));
            # arrivals until 30 minutes before closing
            my @arr;
            while ($t < $close - 1800) {
                push @arr, $t;
                my $h = $hour{ int($t / 3600) } // 0.3;
                $t += expo(3600 / ($rate * $h));
            }
            my @free = map { $open } 1 .. $staff;
            for my $at (@arr) {
                # the machine's number
                my $n = $next;
                $next = $next >= $last ? $first : $next + 1;
                push @ev, [$at, 0, $n];
                # the first member of staff free serves them
                my ($k) = sort { $free[$a] <=> $free[$b] } 0 .. $#free;
                my $call = $free[$k] > $at ? $free[$k] : $at;
                if (rand() < 0.03 || $call > $close + 3600) {
                    # gives up while waiting
                    push @ev, [$at + 300 + rand($call > $at + 400 ? $call - $at - 300 : 100), 2, $n];
                    next;
                }
                push @ev, [$call, 1, $n];
                $free[$k] = $call + 60 + expo($mean);
            }
            for my $e (@ev) {
                my $s = int($e->[0]);
                next if $mid + $s > $now;
                push @lines, [$mid + $s, sprintf("%s,%02d:%02d:%02d,%d,%s,%d\r\n", $ymd,
                              $s / 3600, $s / 60 % 60, $s % 60, $e->[1],
                              $codes[$e->[2] % @codes], $e->[2])];
            }
        }
    }

    open my $fh, '>', "$out/$o->{id}.log" or die "$out/$o->{id}.log: $!";
    print {$fh} map { $_->[1] } sort { $a->[0] <=> $b->[0] } @lines;
    close $fh or die;
}

sub _epoch {
    my ($y, $m, $d) = @_;
    # days from civil (Howard Hinnant), at JST midnight
    $y -= $m <= 2;
    my $era = floor($y / 400);
    my $yoe = $y - $era * 400;
    my $doy = floor((153 * ($m + ($m > 2 ? -3 : 9)) + 2) / 5) + $d - 1;
    my $doe = $yoe * 365 + floor($yoe / 4) - floor($yoe / 100) + $doy;
    return ($era * 146097 + $doe - 719468) * 86400 - 9 * 3600;
}
