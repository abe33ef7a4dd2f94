#!/usr/bin/perl

# The office calendar of offices.json: 臨時閉庁日 and 臨時開庁日 per office,
# closed days per counter, national holidays and 年末年始 (unless an office
# opts out), as `madoctl calendar` shows them and `madoctl load` checks them.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
$t->madoctl_ok('init');

my $json = JSON::PP->new->utf8->canonical;
my $base = do {
    local (@ARGV, $/) = MadoTest::offices_json();
    $json->decode(<>);
};

sub variant {
    my ($name, $edit) = @_;
    my $d = $json->decode($json->encode($base));
    $edit->($d);
    my $f = $t->dir . "/$name.json";
    open my $fh, '>', $f or die $!;
    print $fh $json->encode($d);
    close $fh;
    return $f;
}

my $ok = variant('calendar', sub {
    my ($d) = @_;
    my ($kita, $daigo) = @{ $d->{offices} }[0, 12];
    $kita->{closed_dates} = ['2027-01-08'];
    $kita->{open_dates} = { '2027-03-28' => '09:00-16:00', '2027-01-02' => '10:00-12:00' };
    $kita->{counters}[1]{closed_dates} = ['2027-01-05'];
    $daigo->{holidays} = JSON::PP::false;
});
$t->madoctl_ok('load', $ok);

sub days {
    my (@args) = @_;
    my $r = $t->madoctl('calendar', @args, '--json');
    is($r->{exit}, 0, "calendar @args: exit 0") or diag($r->{err});
    my $list = eval { $json->decode($r->{out}) } || [];
    return { map { $_->{date} => [ $_->{hours}, $_->{note} ] } @$list };
}

my $d = days(qw(kita --from 2026-12-27 --days 14));
is(scalar keys %$d, 14, '14 days');
is_deeply($d->{'2026-12-27'}, ['', undef], 'a Sunday: closed, no reason needed');
is_deeply($d->{'2026-12-28'}, ['08:45-17:30', undef], 'a Monday: the weekly hours');
is_deeply($d->{$_}, ['', '年末年始'], "$_: 年末年始") for qw(2026-12-29 2026-12-30 2026-12-31 2027-01-03);
is_deeply($d->{'2027-01-01'}, ['', '元日'], '2027-01-01: 元日 (holiday wins over 年末年始)');
is_deeply($d->{'2027-01-02'}, ['10:00-12:00', '臨時開庁日'], '臨時開庁日 opens a closed day');
is_deeply($d->{'2027-01-08'}, ['', '臨時閉庁日'], '臨時閉庁日 closes an opening day');

$d = days(qw(kita --from 2027-01-04 --days 3 --counter certificates));
is_deeply($d->{'2027-01-05'}, ['', '窓口休止日'], 'a counter closed on its own day');
$d = days(qw(kita --from 2027-01-04 --days 3 --counter moving));
is_deeply($d->{'2027-01-05'}, ['08:45-17:30', undef], 'while the other counters open');

$d = days(qw(kita --from 2027-03-27 --days 2));
is_deeply($d->{'2027-03-28'}, ['09:00-16:00', '臨時開庁日'], 'a Sunday opening in the moving season');

$d = days(qw(kita --from 2027-07-19 --days 1));
is_deeply($d->{'2027-07-19'}, ['', '海の日'], 'a Monday holiday: closed');
$d = days(qw(daigo --from 2027-07-19 --days 1));
is_deeply($d->{'2027-07-19'}, ['08:45-17:30', undef], '"holidays": false keeps it open');
$d = days(qw(kita --from 2027-05-03 --days 3));
is_deeply([ map { $d->{$_}[1] } qw(2027-05-03 2027-05-04 2027-05-05) ],
    [qw(憲法記念日 みどりの日 こどもの日)], 'Golden Week');

# the human form
my $r = $t->madoctl(qw(calendar kita --from 2027-01-01 --days 2));
is($r->{exit}, 0, 'calendar as text');
is(decode_utf8($r->{out}), "2027-01-01 (金) closed 元日\n2027-01-02 (土) 10:00-12:00 臨時開庁日\n",
    'one line a day');

# with no --from: today in Japan time (MADO_NOW)
$r = $t->madoctl(qw(calendar kita --days 1), { env => { MADO_NOW => '2026-12-31T15:30:00Z' } });
like(decode_utf8($r->{out}), qr/^2027-01-01 \(金\) closed 元日$/, 'today is taken in Japan time');

# refusals
for my $case (
    [ [qw(calendar kita --from 2027-02-30)], 1, qr/--from/ ],
    [ [qw(calendar kita --days 0)], 1, qr/--days/ ],
    [ [qw(calendar nosuch)], 1, qr/OFFICE.*nosuch/ ],
    [ [qw(calendar kita --counter nosuch)], 1, qr/--counter/ ],
    [ [qw(calendar)], 2, qr/OFFICE/ ],
) {
    my ($args, $code, $re) = @$case;
    $r = $t->madoctl(@$args);
    is($r->{exit}, $code, "@$args: exit $code");
    like($r->{err}, $re, "@$args: names the field");
}
$r = $t->madoctl(qw(calendar --help));
is($r->{exit}, 0, 'calendar --help');

# load checks every calendar field, names its path, and changes nothing
my $before = $t->madoctl_ok(qw(show --json));
for my $case (
    [ 'bad-date', sub { $_[0]{offices}[2]{closed_dates} = ['2027-02-30'] },
      qr/\$\.offices\[2\]\.closed_dates\[0\]: is not a date/ ],
    [ 'twice', sub { $_[0]{offices}[0]{closed_dates} = ['2027-01-08', '2027-01-08'] },
      qr/\$\.offices\[0\]\.closed_dates\[1\]: is given twice/ ],
    [ 'not-list', sub { $_[0]{offices}[0]{closed_dates} = '2027-01-08' },
      qr/\$\.offices\[0\]\.closed_dates: must be an array/ ],
    [ 'open-key', sub { $_[0]{offices}[1]{open_dates} = { 'March 28' => '09:00-16:00' } },
      qr/\$\.offices\[1\]\.open_dates\.March 28: is not a date/ ],
    [ 'open-hours', sub { $_[0]{offices}[1]{open_dates} = { '2027-03-28' => '9-16' } },
      qr/\$\.offices\[1\]\.open_dates\.2027-03-28: "9-16" is not like/ ],
    [ 'open-empty', sub { $_[0]{offices}[1]{open_dates} = { '2027-03-28' => '' } },
      qr/\$\.offices\[1\]\.open_dates\.2027-03-28: must be opening hours/ ],
    [ 'holidays', sub { $_[0]{offices}[3]{holidays} = 'yes' },
      qr/\$\.offices\[3\]: "holidays" must be true/ ],
    [ 'counter-date', sub { $_[0]{offices}[0]{counters}[3]{closed_dates} = ['2027-13-01'] },
      qr/\$\.offices\[0\]\.counters\[3\]\.closed_dates\[0\]: is not a date/ ],
) {
    my ($name, $edit, $re) = @$case;
    my $f = variant($name, $edit);
    $r = $t->madoctl('load', $f);
    is($r->{exit}, 1, "load $name: refused");
    like(decode_utf8($r->{err}), $re, "load $name: names the path");
}
is($t->madoctl_ok(qw(show --json)), $before, 'refused loads changed nothing');

# the calendar survives the store: load again from what show prints
$d = days(qw(kita --from 2027-01-08 --days 1));
is_deeply($d->{'2027-01-08'}, ['', '臨時閉庁日'], 'still there after the refused loads');

done_testing;
