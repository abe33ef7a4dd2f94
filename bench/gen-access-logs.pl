#!/usr/bin/perl
# Generated access logs of mado (log_format mado_json), as logrotate leaves
# them: DIR/access.log-YYYYMMDD.gz, one a day, each with that day's
# requests and the first minutes after midnight of the next (the rotation
# runs a little after midnight), and DIR/access.log for the day after the
# last.  Deterministic for a seed.  For bench/logs.sh and t/logs_read.t.
#
# usage: gen-access-logs.pl DIR FIRST_DATE DAYS LINES_PER_DAY [SEED]
use strict;
use warnings;

use POSIX qw(strftime);
use Time::Local qw(timegm);

my ($dir, $first, $days, $per_day, $seed) = @ARGV;
die "usage: $0 DIR YYYY-MM-DD DAYS LINES_PER_DAY [SEED]\n"
    unless defined $per_day && $first =~ /^(\d{4})-(\d\d)-(\d\d)$/;
srand($seed // 1);
my $t0 = timegm(0, 0, 0, $3, $2 - 1, $1);
mkdir $dir;

my @offices = qw(kita kamigyo sakyo nakagyo higashiyama yamashina shimogyo
                 minami ukyo nishikyo rakusai fushimi fukakusa daigo);
my @langs = ('', '', '', '', 'ja', 'en', 'en', 'zh-hans', 'zh-hant', 'ko', 'ja-easy', '?');
my @uas = (
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 14; SH-M26) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
    'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'curl/7.88.1',
    '',
    'Mozilla/5.0 "quoted" \\ odd',
);
my @uaw = (30, 30, 20, 8, 5, 3, 2, 1, 1, 1);
my @refs = ('', '', '', 'https://www.google.com/', 'https://www.city.kyoto.lg.jp/menu2/category/',
            'https://mado.example.city.kyoto.lg.jp/', 'https://t.co/', 'https://search.yahoo.co.jp/');
my @addrs = map { sprintf('%d.%d.%d.%d', 1 + int(rand(222)), int(rand(256)), int(rand(256)), 1 + int(rand(254))) } 1 .. 3000;
push @addrs, map { sprintf('2001:db8:%x:%x::%x', int(rand(65536)), int(rand(65536)), 1 + int(rand(65535))) } 1 .. 600;

sub pick { $_[int(rand(@_))] }
sub wpick {
    my ($items, $w) = @_;
    my $sum = 0; $sum += $_ for @$w;
    my $r = rand($sum);
    for my $i (0 .. $#$items) { return $items->[$i] if ($r -= $w->[$i]) < 0 }
    return $items->[-1];
}
sub esc { my $s = shift; $s =~ s/(["\\])/\\$1/g; $s }

# a request at unix time t (Japan time as logged)
sub line {
    my ($t) = @_;
    my $o = pick(@offices);
    my $r = rand();
    my ($m, $path) = ('GET', undef);
    if    ($r < 0.55) { $path = "/api/v1/offices/$o" }
    elsif ($r < 0.75) { $path = "/$o" }
    elsif ($r < 0.80) { $path = '/' }
    elsif ($r < 0.88) { $path = pick('/assets/mado.3f2a9c1e.css', '/assets/mado.8b7d0e44.js') }
    elsif ($r < 0.91) { $path = "/embed/$o" }
    elsif ($r < 0.93) { $path = "/$o/signage" }
    elsif ($r < 0.94) { $path = "/$o/qr.svg" }
    elsif ($r < 0.96) { $path = "/api/v1/offices/$o/history" }
    elsif ($r < 0.98) { ($m, $path) = ('POST', "/api/v1/admin/offices/$o/counters/c1") }
    else              { $path = pick('/wp-login.php', '/.env', '/staff/', '/favicon.ico') }
    my $s = rand();
    my $status = $path =~ m{^/(?:wp-login|\.env)} ? 404
               : $s < 0.80 ? 200 : $s < 0.95 ? 304 : $s < 0.985 ? 404 : $s < 0.995 ? 429 : 503;
    my $bytes = $status == 304 ? 0 : 200 + int(rand(9000));
    my $ua = wpick(\@uas, \@uaw);
    my $lang = $path =~ m{^/(?:api|assets)} ? '' : pick(@langs);
    my $jst = $t + 9 * 3600;
    my $time = strftime('%Y-%m-%dT%H:%M:%S+09:00', gmtime($jst));
    return sprintf('{"time":"%s","addr":"%s","method":"%s","path":"%s","status":%d,"bytes":%d,'
                 . '"rt":%.3f,"ref":"%s","ua":"%s","lang":"%s","host":"mado.example.city.kyoto.lg.jp",'
                 . '"proto":"HTTP/2.0","tls":"TLSv1.3","id":"%08x%08x%08x%08x"}',
                 $time, pick(@addrs), $m, $path, $status, $bytes, rand(0.05), pick(@refs),
                 esc($ua), $lang, map { int(rand(2**32)) } 1 .. 4);
}

# times of a day's requests (JST): busiest 8:30-17:15, quiet at night
sub day_times {
    my ($day0, $n) = @_;    # day0: unix time of 00:00 JST
    my @t;
    for (1 .. $n) {
        my $h = rand() < 0.85 ? 8.5 + rand(8.75) : rand(24);
        push @t, $day0 + int($h * 3600);
    }
    return sort { $a <=> $b } @t;
}

for my $i (0 .. $days) {
    my $day0 = $t0 + $i * 86400 - 9 * 3600;
    my @t = day_times($day0, $i < $days ? $per_day : int($per_day / 10) + 1);
    my @lines = sort { substr($a, 9, 25) cmp substr($b, 9, 25) } map { line($_) } @t;
    if ($i < $days) {
        # the next day's first minutes, before the rotation
        my $next0 = $day0 + 86400;
        push @lines, sort { substr($a, 9, 25) cmp substr($b, 9, 25) }
                     map { line($next0 + int(rand(300))) } 1 .. int($per_day / 200) + 1;
        my $name = strftime('access.log-%Y%m%d.gz', gmtime($t0 + $i * 86400));
        open my $gz, '|-', "gzip -6 -c > '$dir/$name'" or die "gzip: $!";
        print {$gz} map { "$_\n" } @lines;
        close $gz or die "gzip $name failed";
    } else {
        open my $f, '>', "$dir/access.log" or die "$dir/access.log: $!";
        print {$f} map { "$_\n" } @lines;
        close $f;
    }
}
