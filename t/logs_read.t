#!/usr/bin/perl

# madoctl logs search and stats over a few days of generated logs
# (bench/gen-access-logs.pl: compressed archives as logrotate leaves them,
# each with the next day's first minutes, and the current log), each
# figure against a count made here from the same lines with JSON::PP.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $d = $t->dir;
my $logs = "$d/logs";
system($^X, MadoTest::repo() . '/bench/gen-access-logs.pl', $logs, '2026-03-01', 4, 600, 42) == 0
    or BAIL_OUT('gen-access-logs.pl failed');
# one line that is not ours, and a blank one, in the current log
open my $f, '>>', "$logs/access.log" or die;
print {$f} "127.0.0.1 - - [01/Mar/2026] \"GET / HTTP/1.1\" 200\n\n";
close $f;

# every line, independently
my @all;
for my $file (sort(glob("$logs/access.log-*.gz")), "$logs/access.log") {
    my $text = $file =~ /\.gz$/ ? `gzip -dc '$file'` : MadoTest::_read_file($file);
    for my $l (split /\n/, $text) {
        my $r = eval { decode_json($l) } or next;
        $r->{raw} = $l;
        push @all, $r;
    }
}
ok(@all > 2000, scalar(@all) . ' lines generated');

sub logs { $t->madoctl('logs', @_, { env => { MADO_LOG_DIR => $logs } }) }
sub day { substr($_[0]{time}, 0, 10) }

sub count_is {
    my ($name, $want, @args) = @_;
    my $r = logs('search', @args, '--count');
    is($r->{exit}, 0, "search @args: exit 0") or diag($r->{err});
    is($r->{out}, scalar(@$want) . "\n", "search @args: " . scalar(@$want) . " as counted here");
    return $r;
}

my $r = logs('search', '--count');
is($r->{out}, scalar(@all) . "\n", 'search: every line of the archives and the current log');
like($r->{err}, qr/1 of \d+ lines are not mado_json.*access\.log:\d+: not a JSON object/,
     'the line that is not ours is counted and named');

count_is('a day', [ grep { day($_) eq '2026-03-02' } @all ], '--from', '2026-03-02', '--to', '2026-03-02');
count_is('two days', [ grep { day($_) ge '2026-03-02' && day($_) le '2026-03-03' } @all ],
         '--from', '2026-03-02', '--to', '2026-03-03');
my $ip = $all[100]{addr};
count_is('an address', [ grep { $_->{addr} eq $ip } @all ], '--ip', $ip);
count_is('IPv6 /32', [ grep { $_->{addr} =~ /^2001:db8:/ } @all ], '--ip', '2001:db8::/32');
count_is('status 404', [ grep { $_->{status} == 404 } @all ], '--status', '404');
count_is('class 5xx', [ grep { $_->{status} >= 500 } @all ], '--status', '5xx');
count_is('path', [ grep { $_->{path} eq '/kita' } @all ], '--path', '/kita');
count_is('path glob', [ grep { $_->{path} =~ m{^/api/v1/offices/.*/history$} } @all ], '--path', '/api/v1/offices/*/history');
count_is('ua', [ grep { $_->{ua} =~ /iphone/i } @all ], '--ua', 'IPHONE');
count_is('ua with a quote', [ grep { $_->{ua} =~ /"quoted"/ } @all ], '--ua', '"quoted"');
my %office_re = (kita => qr{^/(?:kita(?:/(?:signage|qr\.svg)?)?|embed/kita/?|api/v1/offices/kita(?:/.*)?)$});
count_is('office', [ grep { $_->{path} =~ $office_re{kita} } @all ], '--office', 'kita');
count_is('all at once', [ grep { $_->{path} =~ $office_re{kita} && $_->{status} == 200 && day($_) eq '2026-03-03' } @all ],
         '--office', 'kita', '--status', '200', '--from', '2026-03-03', '--to', '2026-03-03');

$r = logs('search', '--ip', $ip, '--json');
is_deeply([ split /\n/, $r->{out} ], [ map { $_->{raw} } grep { $_->{addr} eq $ip } @all ],
          '--json: the log\'s own lines, oldest first');
$r = logs('search', '--ip', $ip);
my @human = split /\n/, $r->{out};
like($human[0], qr/^\S+\+09:00 \Q$ip\E (?:GET|POST) \/\S* \d{3} \d+ lang=\S+ ref=\S+ ".*"$/, 'lines: time addr method path status bytes lang ref "ua"');

for my $bad (['--ip', 'nope'], ['--status', '99'], ['--from', '2026-13-01'], ['--office', 'Bad!']) {
    is(logs('search', @$bad)->{exit}, 1, "search @$bad: refused (1)");
}
is(logs('search', '--bogus')->{exit}, 2, 'an unknown option: 2');
$r = logs('search', '--key', 'x');
is($r->{exit}, 2, 'an option of another logs verb: 2');
like($r->{err}, qr/logs search: unknown option --key/, 'named');
for my $v (qw(init seal verify archive unarchive search stats)) {
    $r = logs($v, '--help');
    is($r->{exit}, 0, "logs $v --help");
    like($r->{out}, qr/^usage: madoctl .*logs $v/, "logs $v --help: its usage");
}
like($t->madoctl('--help')->{out}, qr/^  logs  /m, 'madoctl --help lists logs');
is($t->madoctl('logs')->{exit}, 2, 'logs without a verb: 2');
is($t->madoctl('logs', 'frobnicate')->{exit}, 2, 'an unknown logs verb: 2');

# ------------------------------------------------------------ stats

my @bots = ('bot', 'crawl', 'spider', 'slurp', 'curl/', 'wget/', 'python', 'go-http-client', 'java/',
            'libwww', 'httpclient', 'okhttp', 'headless', 'scrapy', 'facebookexternalhit', 'monitor',
            'check_http', 'prometheus', 'zgrab', 'masscan', 'nmap', 'nikto', 'sqlmap', 'feedfetcher',
            'mediapartners', 'preview');
sub bot { my $ua = shift; return '(no User-Agent)' if $ua eq ''; for (@bots) { return $_ if index(lc $ua, $_) >= 0 } undef }

my ($from, $to) = ('2026-03-01', '2026-03-03');
my @in = grep { day($_) ge $from && day($_) le $to } @all;
my (%want, %visitors);
for my $x (@in) {
    my $dd = day($x);
    $want{"day,$dd,requests"}++;
    $want{"total,,requests"}++;
    $want{"status," . $x->{status} . ","}++;
    $want{"hour," . substr($x->{time}, 11, 2) . ",requests"}++;
    $want{"day,$dd,4xx"}++ if $x->{status} =~ /^4/;
    $want{"day,$dd,5xx"}++ if $x->{status} =~ /^5/;
    $want{"day,$dd,bytes"} += $x->{bytes};
    if (my $b = bot($x->{ua})) {
        $want{"bot,$b,"}++;
        $want{"day,$dd,bot_requests"}++;
        $want{"total,,bot_requests"}++;
        $visitors{"bot,$dd"}{$x->{addr}} = 1;
        next;
    }
    $visitors{$dd}{$x->{addr}} = 1;
    my $p = $x->{path};
    my $office = $p eq '/' ? '(top)'
               : $p =~ m{^/embed/([a-z0-9_-]{1,32})/?$} ? $1
               : $p =~ m{^/([a-z0-9_-]{1,32})(?:/|/signage/?)?$} && $1 !~ /^(?:api|assets|staff|embed)$/ ? $1
               : undef;
    if (defined $office && $x->{method} =~ /^(?:GET|HEAD)$/ && ($x->{status} == 200 || $x->{status} == 304)) {
        $want{"page_views,$office," . ($x->{lang} eq '' ? '(default)' : $x->{lang})}++;
        $want{"day,$dd,page_views"}++;
        $want{"hour," . substr($x->{time}, 11, 2) . ",page_views"}++;
        $want{"total,,page_views"}++;
    }
    if ($x->{ref} =~ m{^[a-z]+://([^/:]+)}) { $want{"referrer,$1,"}++ }
}
for my $k (keys %visitors) {
    if ($k =~ /^bot,(.*)/) { $want{"day,$1,bot_visitors"} = keys %{ $visitors{$k} } }
    else { $want{"day,$k,visitors"} = keys %{ $visitors{$k} } }
}

$r = logs('stats', '--from', $from, '--to', $to);
is($r->{exit}, 0, 'stats: exit 0') or diag($r->{err});
my @rows = split /\r\n/, $r->{out};
is(shift @rows, 'table,key,subkey,count', 'CSV header');
my %got;
for (@rows) { my @c = split /,/; my $n = pop @c; $got{join ',', @c} = $n }
delete $got{$_} for grep { $got{$_} == 0 } keys %got;
is_deeply(\%got, \%want, 'every figure equals the count made here (days, hours, page views by office '
                         . 'and language, visitors, bots, status codes, referrers)')
    or diag(join "\n", map { "$_: got " . ($got{$_} // '-') . ' want ' . ($want{$_} // '-') }
                       grep { ($got{$_} // -1) != ($want{$_} // -1) } sort(keys %got, keys %want));
ok($want{'day,2026-03-02,visitors'} > 100, 'visitors counted: ' . $want{'day,2026-03-02,visitors'});
unlike($r->{out}, qr/\d+\.\d+\.\d+\.\d+/, 'no address in the statistics');

$r = logs('stats', '--from', $from, '--to', $to, '--format', 'html');
is($r->{exit}, 0, 'stats --format html');
like($r->{out}, qr/\@page \{ size: A4/, 'HTML for A4');
like($r->{out}, qr/<h1>アクセスログ統計<br>2026-03-01〜2026-03-03<\/h1>/, 'its title, in Japanese');
like($r->{out}, qr/<tr><td>2026-03-02<\/td><td>$want{'day,2026-03-02,requests'}<\/td>/, 'a day\'s row');
unlike($r->{out}, qr/<script/i, 'no script: the User-Agents\' text is escaped');
for my $t (['bot', 'ボット（User-Agentの型）'], ['referrer', '参照元（ホスト、上位50）']) {
    my ($kind, $title) = @$t;
    my ($table) = $r->{out} =~ m{<h2>\Q$title\E</h2>\s*<table>(.*?)</table>}s;
    my %html = defined $table ? $table =~ m{<tr><td>([^<]*)</td><td>(\d+)</td></tr>}g : ();
    my %csv = map { /^$kind,(.*),$/ ? ($1 => $want{$_}) : () } keys %want;
    ok(%csv > 1, "$kind: several kinds counted");
    is_deeply(\%html, \%csv, "HTML's $kind table: the same keys and counts as the CSV");
}

is(logs('stats', '--from', $from)->{exit}, 2, 'stats without --to: usage error');
is(logs('stats', '--from', '2025-01-01', '--to', '2026-03-01')->{exit}, 1, 'more than 400 days: refused');
is(logs('stats', '--from', $from, '--to', $to, '--format', 'pdf')->{exit}, 1, '--format pdf: refused');

# ------------------------------------------------------------ GoAccess

SKIP: {
    my $goaccess = (grep { -x } map { "$_/goaccess" } split /:/, $ENV{PATH})[0];
    skip 'no goaccess (make deps)', 3 unless $goaccess || $ENV{MADO_REQUIRE_BINARIES};
    my $conf = MadoTest::repo() . '/conf.example/goaccess/mado.conf';
    my $out = `'$goaccess' -p '$conf' -o '$d/goaccess.json' '$logs/access.log' 2>&1`;
    is($?, 0, 'goaccess with the shipped configuration') or diag($out);
    my $g = eval { decode_json(MadoTest::_read_file("$d/goaccess.json")) } || {};
    my @cur = grep { $_ ne '' } split /\n/, MadoTest::_read_file("$logs/access.log");
    is($g->{general}{failed_requests}, 1, 'GoAccess fails only the line that is not ours');
    is($g->{general}{valid_requests}, @cur - 1, 'and reads every mado_json line');
}

done_testing;
