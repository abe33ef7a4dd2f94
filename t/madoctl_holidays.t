#!/usr/bin/perl

# madoctl holidays: the computed national holidays of Japan against the
# list the Cabinet Office (内閣府) publishes, 2020..2027 in full; tricky
# older years by spot checks; the line format, --help, YEAR errors and
# the default year (Japan time, MADO_NOW).

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use JSON::PP;
use Test::More;
use Time::Local qw(timegm);

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;

# ------------------------------------------------------------------ the list

# Copied, not computed: the rows for 2020..2027 of the Cabinet Office's
# "国民の祝日" CSV (https://www8.cao.go.jp/chosei/shukujitsu/syukujitsu.csv,
# linked from https://www8.cao.go.jp/chosei/shukujitsu/gaiyou.html; the
# edition covering 1955..2027, published in February 2026), converted from
# Shift_JIS to UTF-8 and otherwise unchanged.  2027 is in it: the Cabinet
# Office publishes each year's list in February of the year before.
my $PUBLISHED = <<'EOT';
2020/1/1,元日
2020/1/13,成人の日
2020/2/11,建国記念の日
2020/2/23,天皇誕生日
2020/2/24,休日
2020/3/20,春分の日
2020/4/29,昭和の日
2020/5/3,憲法記念日
2020/5/4,みどりの日
2020/5/5,こどもの日
2020/5/6,休日
2020/7/23,海の日
2020/7/24,スポーツの日
2020/8/10,山の日
2020/9/21,敬老の日
2020/9/22,秋分の日
2020/11/3,文化の日
2020/11/23,勤労感謝の日
2021/1/1,元日
2021/1/11,成人の日
2021/2/11,建国記念の日
2021/2/23,天皇誕生日
2021/3/20,春分の日
2021/4/29,昭和の日
2021/5/3,憲法記念日
2021/5/4,みどりの日
2021/5/5,こどもの日
2021/7/22,海の日
2021/7/23,スポーツの日
2021/8/8,山の日
2021/8/9,休日
2021/9/20,敬老の日
2021/9/23,秋分の日
2021/11/3,文化の日
2021/11/23,勤労感謝の日
2022/1/1,元日
2022/1/10,成人の日
2022/2/11,建国記念の日
2022/2/23,天皇誕生日
2022/3/21,春分の日
2022/4/29,昭和の日
2022/5/3,憲法記念日
2022/5/4,みどりの日
2022/5/5,こどもの日
2022/7/18,海の日
2022/8/11,山の日
2022/9/19,敬老の日
2022/9/23,秋分の日
2022/10/10,スポーツの日
2022/11/3,文化の日
2022/11/23,勤労感謝の日
2023/1/1,元日
2023/1/2,休日
2023/1/9,成人の日
2023/2/11,建国記念の日
2023/2/23,天皇誕生日
2023/3/21,春分の日
2023/4/29,昭和の日
2023/5/3,憲法記念日
2023/5/4,みどりの日
2023/5/5,こどもの日
2023/7/17,海の日
2023/8/11,山の日
2023/9/18,敬老の日
2023/9/23,秋分の日
2023/10/9,スポーツの日
2023/11/3,文化の日
2023/11/23,勤労感謝の日
2024/1/1,元日
2024/1/8,成人の日
2024/2/11,建国記念の日
2024/2/12,休日
2024/2/23,天皇誕生日
2024/3/20,春分の日
2024/4/29,昭和の日
2024/5/3,憲法記念日
2024/5/4,みどりの日
2024/5/5,こどもの日
2024/5/6,休日
2024/7/15,海の日
2024/8/11,山の日
2024/8/12,休日
2024/9/16,敬老の日
2024/9/22,秋分の日
2024/9/23,休日
2024/10/14,スポーツの日
2024/11/3,文化の日
2024/11/4,休日
2024/11/23,勤労感謝の日
2025/1/1,元日
2025/1/13,成人の日
2025/2/11,建国記念の日
2025/2/23,天皇誕生日
2025/2/24,休日
2025/3/20,春分の日
2025/4/29,昭和の日
2025/5/3,憲法記念日
2025/5/4,みどりの日
2025/5/5,こどもの日
2025/5/6,休日
2025/7/21,海の日
2025/8/11,山の日
2025/9/15,敬老の日
2025/9/23,秋分の日
2025/10/13,スポーツの日
2025/11/3,文化の日
2025/11/23,勤労感謝の日
2025/11/24,休日
2026/1/1,元日
2026/1/12,成人の日
2026/2/11,建国記念の日
2026/2/23,天皇誕生日
2026/3/20,春分の日
2026/4/29,昭和の日
2026/5/3,憲法記念日
2026/5/4,みどりの日
2026/5/5,こどもの日
2026/5/6,休日
2026/7/20,海の日
2026/8/11,山の日
2026/9/21,敬老の日
2026/9/22,休日
2026/9/23,秋分の日
2026/10/12,スポーツの日
2026/11/3,文化の日
2026/11/23,勤労感謝の日
2027/1/1,元日
2027/1/11,成人の日
2027/2/11,建国記念の日
2027/2/23,天皇誕生日
2027/3/21,春分の日
2027/3/22,休日
2027/4/29,昭和の日
2027/5/3,憲法記念日
2027/5/4,みどりの日
2027/5/5,こどもの日
2027/7/19,海の日
2027/8/11,山の日
2027/9/20,敬老の日
2027/9/23,秋分の日
2027/10/11,スポーツの日
2027/11/3,文化の日
2027/11/23,勤労感謝の日
EOT

# The CSV names both kinds of rest day of article 3 only "休日"; madoctl
# names the kind.  Which is which, by the law: paragraph 2, 振替休日, the
# first day after a 国民の祝日 on a Sunday (and after the 祝日 that follow
# it) that is no 祝日; paragraph 3, 国民の休日, a day between two 祝日.
# Checked below against the neighbours in the list itself.
my %KIND = (
    '2020-02-24' => '振替休日',     # 天皇誕生日 2/23 was a Sunday
    '2020-05-06' => '振替休日',     # 憲法記念日 5/3, Sunday; 5/4, 5/5 祝日
    '2021-08-09' => '振替休日',     # 山の日 moved to 8/8, a Sunday
    '2023-01-02' => '振替休日',     # 元日, Sunday
    '2024-02-12' => '振替休日',     # 建国記念の日, Sunday
    '2024-05-06' => '振替休日',     # こどもの日, Sunday
    '2024-08-12' => '振替休日',     # 山の日, Sunday
    '2024-09-23' => '振替休日',     # 秋分の日 9/22, Sunday
    '2024-11-04' => '振替休日',     # 文化の日, Sunday
    '2025-02-24' => '振替休日',     # 天皇誕生日, Sunday
    '2025-05-06' => '振替休日',     # みどりの日 5/4, Sunday; 5/5 祝日
    '2025-11-24' => '振替休日',     # 勤労感謝の日, Sunday
    '2026-05-06' => '振替休日',     # 憲法記念日 5/3, Sunday
    '2026-09-22' => '国民の休日',   # between 敬老の日 9/21 and 秋分の日 9/23
    '2027-03-22' => '振替休日',     # 春分の日 3/21, Sunday
);

my (%expect, %published);      # year => [{date, name}], date => CSV name

for my $line (split /\n/, $PUBLISHED) {
    my ($y, $m, $d, $name) = $line =~ m{^(\d{4})/(\d{1,2})/(\d{1,2}),(\S+)$}
        or BAIL_OUT("bad row in the embedded list: $line");
    my $date = sprintf '%04d-%02d-%02d', $y, $m, $d;
    $published{$date} = $name;
    if ($name eq '休日') {
        $name = $KIND{$date} // BAIL_OUT("no kind for 休日 $date");
    }
    push @{ $expect{$y} }, { date => $date, name => $name };
}

is_deeply([sort keys %KIND], [sort grep { $published{$_} eq '休日' } keys %published],
          'every 休日 of the list, and only those, has its kind');

sub wday {
    my ($date) = @_;
    my ($y, $m, $d) = split /-/, $date;
    return (gmtime timegm(0, 0, 12, $d, $m - 1, $y))[6];
}

sub next_day {
    my ($date, $n) = @_;
    my ($y, $m, $d) = split /-/, $date;
    my @t = gmtime(timegm(0, 0, 12, $d, $m - 1, $y) + $n * 86400);
    return sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3];
}

# the kinds above, checked against the published list (not against madoctl)
for my $date (sort keys %KIND) {
    my $shukujitsu = sub {
        my $n = $published{ $_[0] };
        return defined $n && $n ne '休日';
    };
    my $furikae = 0;
    for (my $k = next_day($date, -1); $shukujitsu->($k); $k = next_day($k, -1)) {
        if (wday($k) == 0) {
            $furikae = 1;
            last;
        }
    }
    my $between = $shukujitsu->(next_day($date, -1)) && $shukujitsu->(next_day($date, 1));
    my $kind = $furikae ? '振替休日' : $between ? '国民の休日' : '(neither)';
    is($KIND{$date}, $kind, "$date: the list's neighbours make it a $kind");
}

is(scalar(@{ $expect{$_} }), { 2020 => 18, 2021 => 17, 2022 => 16, 2023 => 17,
                               2024 => 21, 2025 => 19, 2026 => 18, 2027 => 17 }->{$_},
   "$_: the embedded list has all its holidays")
    for 2020 .. 2027;


# ------------------------------------------------------------------ helpers

sub holidays {
    my (@args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    return $t->madoctl('holidays', @args, { nostore => 1, %$opt });
}

# madoctl holidays YEAR --json, decoded; undef (and a failure) if not
sub holidays_json {
    my ($year, $opt) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = holidays(defined $year ? ($year) : (), '--json', $opt // {});
    if ($r->{exit} != 0) {
        fail("holidays @{[ $year // '' ]} --json: exit 0");
        diag(MadoTest::text("exit $r->{exit}\nstderr: $r->{err}"));
        return undef;
    }
    my $data = eval { JSON::PP->new->utf8->decode($r->{out}) };
    ok(ref $data eq 'ARRAY', "holidays @{[ $year // '' ]} --json: a JSON array")
        or diag(MadoTest::text("error: $@\nstdout: $r->{out}"));
    return $data;
}

sub by_date {
    my ($data) = @_;
    return { map { $_->{date} => $_->{name} } @{ $data || [] } };
}


# ------------------------------------------------------------------ 2020..2027

for my $year (2020 .. 2027) {
    my $got = holidays_json($year) or next;
    is_deeply($got, $expect{$year}, "$year: exactly the Cabinet Office's list")
        or diag(MadoTest::text(JSON::PP->new->canonical->encode($got)));
    is(scalar(grep { ref $_ eq 'HASH' && join(',', sort keys %$_) eq 'date,name' } @$got),
       scalar(@$got), "$year: objects of date and name only");
}


# ------------------------------------------------------------------ the lines

{
    my $r = holidays('2026');
    is($r->{exit}, 0, 'holidays 2026: exit 0');
    my @w = qw(日 月 火 水 木 金 土);
    my $want = join '', map {
        "$_->{date} ($w[wday($_->{date})]) $_->{name}\n"
    } @{ $expect{2026} };
    is(decode_utf8($r->{out}), $want, 'holidays 2026: "YYYY-MM-DD (曜) NAME" lines');
    like(decode_utf8($r->{out}), qr/^2026-05-06 \(水\) 振替休日$/m, '2026-05-06 is a Wednesday');
    is($r->{err}, '', 'holidays 2026: nothing on stderr');
}


# ------------------------------------------------------------------ older years

# spot checks: dates and kinds from the same Cabinet Office CSV (names as
# madoctl gives them where the CSV says 休日 or 休日（祝日扱い）)
{
    my $h = by_date(holidays_json(2019));

    # 4/27..5/6 were ten days off, but 4/27 and 4/28 only as a weekend
    is($h->{'2019-04-27'}, undef, '2019-04-27 (Saturday) is no holiday');
    is($h->{'2019-04-28'}, undef, '2019-04-28 (Sunday) is no holiday');
    is($h->{'2019-04-29'}, '昭和の日', '2019-04-29 昭和の日');
    is($h->{'2019-04-30'}, '国民の休日', '2019-04-30 国民の休日 (before 即位の日)');
    is($h->{'2019-05-01'}, '天皇の即位の日', '2019-05-01 天皇の即位の日');
    is($h->{'2019-05-02'}, '国民の休日', '2019-05-02 国民の休日 (after 即位の日)');
    is($h->{'2019-05-03'}, '憲法記念日', '2019-05-03 憲法記念日');
    is($h->{'2019-05-04'}, 'みどりの日', '2019-05-04 みどりの日');
    is($h->{'2019-05-05'}, 'こどもの日', '2019-05-05 こどもの日 (a Sunday)');
    is($h->{'2019-05-06'}, '振替休日', '2019-05-06 振替休日');
    is($h->{'2019-10-14'}, '体育の日', '2019-10-14 still 体育の日');
    is($h->{'2019-10-22'}, '即位礼正殿の儀', '2019-10-22 即位礼正殿の儀');
    is(scalar(grep { $_ eq '天皇誕生日' } values %$h), 0, '2019: no 天皇誕生日');
    is(scalar(keys %$h), 22, '2019: 22 holidays');

    $h = by_date(holidays_json(2009));
    is($h->{'2009-09-22'}, '国民の休日', '2009-09-22 国民の休日 (Silver Week)');
    is($h->{'2009-05-06'}, '振替休日', '2009-05-06 振替休日: 5/3 was a Sunday');

    $h = by_date(holidays_json(2015));
    is($h->{'2015-09-22'}, '国民の休日', '2015-09-22 国民の休日');

    # since 2007 a 振替休日 may come after more 祝日: 5/4 Sunday gives 5/6
    $h = by_date(holidays_json(2008));
    is($h->{'2008-05-06'}, '振替休日', '2008-05-06 振替休日: みどりの日 5/4 was a Sunday');

    # 2007: 5/3 was a Thursday, so 5/6 (a Sunday) is nothing; 4/29 was
    # the Sunday (the first 昭和の日)
    $h = by_date(holidays_json(2007));
    is($h->{'2007-05-06'}, undef, '2007-05-06 is no holiday');
    is($h->{'2007-04-29'}, '昭和の日', '2007-04-29 the first 昭和の日');
    is($h->{'2007-04-30'}, '振替休日', '2007-04-30 振替休日');
    is($h->{'2007-05-04'}, 'みどりの日', '2007-05-04 the first みどりの日 on 5/4');

    # before 2007: 5/4 was a 国民の休日 only when not a Sunday, and a
    # Sunday 祝日 moved only to the next day
    $h = by_date(holidays_json(2003));
    is($h->{'2003-05-04'}, undef, '2003-05-04 (Sunday) is no holiday');
    is($h->{'2003-05-06'}, undef, '2003-05-06 is no holiday');
    is($h->{'2003-04-29'}, 'みどりの日', '2003-04-29 みどりの日');
    $h = by_date(holidays_json(2006));
    is($h->{'2006-05-04'}, '国民の休日', '2006-05-04 国民の休日');

    # Happy Monday: 成人の日 and 体育の日 from 2000, 海の日 and 敬老の日 from 2003
    $h = by_date(holidays_json(1999));
    is($h->{'1999-01-15'}, '成人の日', '1999-01-15 成人の日');
    is($h->{'1999-10-10'}, '体育の日', '1999-10-10 体育の日');
    $h = by_date(holidays_json(2000));
    is($h->{'2000-01-10'}, '成人の日', '2000-01-10 成人の日 (2nd Monday)');
    is($h->{'2000-10-09'}, '体育の日', '2000-10-09 体育の日 (2nd Monday)');
    is($h->{'2000-07-20'}, '海の日', '2000-07-20 海の日');
    $h = by_date(holidays_json(2003));
    is($h->{'2003-07-21'}, '海の日', '2003-07-21 海の日 (3rd Monday)');
    is($h->{'2003-09-15'}, '敬老の日', '2003-09-15 敬老の日 (3rd Monday)');

    # 1989: 4/29 renamed, 12/23 the new 天皇誕生日 (2/24 大喪の礼 is not
    # checked: a law of its own)
    $h = by_date(holidays_json(1989));
    is($h->{'1989-04-29'}, 'みどりの日', '1989-04-29 みどりの日');
    is($h->{'1989-12-23'}, '天皇誕生日', '1989-12-23 天皇誕生日');
    is($h->{'1989-05-04'}, '国民の休日', '1989-05-04 国民の休日');

    # 振替休日 from 1973-04-12: not for 2/11, a Sunday; 4/30 the first
    $h = by_date(holidays_json(1973));
    is($h->{'1973-02-12'}, undef, '1973-02-12 is no holiday (before 振替休日 began)');
    is($h->{'1973-04-29'}, '天皇誕生日', '1973-04-29 天皇誕生日');
    is($h->{'1973-04-30'}, '振替休日', '1973-04-30 振替休日, the first');
    is($h->{'1973-03-21'}, '春分の日', '1973-03-21 春分の日');
    is($h->{'1973-09-23'}, '秋分の日', '1973-09-23 秋分の日');

    $h = by_date(holidays_json(2099));
    is($h->{'2099-01-01'}, '元日', '2099 (the last year) works');
}


# ------------------------------------------------------------------ the year

{
    # Japan time decides: 15:00 UTC on 31 December is 1 January in Japan
    my $y2026 = holidays_json(undef, { env => { MADO_NOW => '2026-12-31T23:59:59+09:00' } });
    is_deeply($y2026, $expect{2026}, 'no YEAR: this year from MADO_NOW (2026)');
    my $y2027 = holidays_json(undef, { env => { MADO_NOW => '2026-12-31T15:00:00Z' } });
    is_deeply($y2027, $expect{2027}, 'no YEAR: this year in Japan time (2027)');

    my $r = holidays({ env => { MADO_NOW => 'yesterday' } });
    is($r->{exit}, 2, 'no YEAR, bad MADO_NOW: exit 2');
    like($r->{err}, qr/MADO_NOW/, 'no YEAR, bad MADO_NOW: stderr names MADO_NOW');

    $r = holidays({ env => { MADO_NOW => '2100-06-01T00:00:00+09:00' } });
    is($r->{exit}, 1, 'no YEAR, MADO_NOW in 2100: exit 1');
    like($r->{err}, qr/YEAR/, 'no YEAR, MADO_NOW in 2100: stderr names YEAR');

    $r = holidays({ env => { MADO_NOW => undef } });
    is($r->{exit}, 0, 'no YEAR, the clock: exit 0');
}


# ------------------------------------------------------------------ help, errors

for my $args (['--help'], ['-h']) {
    my $r = holidays(@$args);
    is($r->{exit}, 0, "holidays @$args: exit 0");
    like($r->{out}, qr/usage: madoctl holidays/, "holidays @$args: its usage");
}

{
    my $r = $t->madoctl('help', 'holidays', { nostore => 1 });
    is($r->{exit}, 0, 'help holidays: exit 0');
    like($r->{out}, qr/usage: madoctl holidays/, 'help holidays: its usage');

    $r = $t->madoctl('--help', { nostore => 1 });
    like($r->{out}, qr/^\s+holidays\s/m, 'madoctl --help lists holidays');
}

for my $bad (qw(1972 2100 0 99999999999 abc 2026x +2026), '') {
    my $r = holidays($bad);
    is($r->{exit}, 1, "holidays '$bad': exit 1");
    like($r->{err}, qr/\bYEAR\b/, "holidays '$bad': stderr names YEAR");
    is($r->{out}, '', "holidays '$bad': nothing on stdout");
}

{
    my $r = holidays(qw(2026 2027));
    is($r->{exit}, 2, 'holidays 2026 2027: exit 2');
    like($r->{err}, qr/2027/, 'holidays 2026 2027: stderr names the extra argument');

    $r = holidays(qw(2026 --yaml));
    is($r->{exit}, 2, 'holidays --yaml: exit 2');
    like($r->{err}, qr/--yaml/, 'holidays --yaml: stderr names the option');
}

$t->check_logs;

done_testing;
