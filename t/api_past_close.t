#!/usr/bin/perl

# A wait that runs past the day's close (17:30), through the public API and
# the pages: "closes_at" while the counter is in its hours, and
# "past_close" null while the wait fits, "possible" once the band's upper
# end does not, "likely" once the estimate itself does not; said in every
# language on the office page, the index and the signage; nothing of it
# after the close, for a paused counter, or with mado_calendar off.  nginx
# runs on a test clock ("env MADO_NOW;"); the times are put at the API's
# own wait figures, however the estimate computes them.

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

MadoTest::require_binaries(qw(madoctl module nginx));

# Japan time, as unix seconds
sub jst { my ($y, $mo, $d, $h, $mi) = @_; timegm(0, $mi, $h, $d, $mo - 1, $y) - 9 * 3600 }

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

# Tuesday 2027-01-12, 12:00: 上京 busy at the moving counter, family paused
my $set_at = jst(2027, 1, 12, 12, 0);
$t->madoctl_ok(qw(set kamigyo moving --status open --waiting 6 --calling 30 --last-issued 36),
               { env => { MADO_NOW => $set_at } });
$t->madoctl_ok(qw(set kamigyo family --status paused --waiting 3),
               { env => { MADO_NOW => $set_at } });

my $calendar = 'on';
sub config {
    $t->write_config_raw(<<"EOF");
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar $calendar;
    mado_stale_after 1d;
    mado_messages %%REPO%%/conf.example/i18n;
    mado_assets %%REPO%%/conf.example/assets;
    mado_public_url https://mado.example.jp/;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location / { mado_pages; }
    }
}
EOF
}
config();

my @langs = qw(ja ja-easy en ko zh-hans zh-hant);

# a page as its text, readings (<rt>) and phrase spans left out, and the
# catalog's {漢字|かんじ} as that text has it: the kanji (ja-easy)
sub text_of {
    my ($html) = @_;
    $html =~ s{<rt>.*?</rt>}{}gs;
    $html =~ s{</?(?:ruby|span class="ph")>|</span>}{}g;
    return $html;
}
my %catalog = map {
    my $f = MadoTest::repo() . "/conf.example/i18n/$_.json";
    $_ => do { local (@ARGV, $/) = $f; JSON::PP->new->utf8->decode(<>) }
} @langs;

# the counters of kamigyo at a minute of Tuesday (minutes after midnight),
# and the pages asked for there
my %pages;
sub at {
    my ($minute, @paths) = @_;
    local $ENV{MADO_NOW} = jst(2027, 1, 12, 0, 0) + $minute * 60;
    $t->start;
    my ($r, $d) = $t->get_json('/api/v1/offices/kamigyo');
    %pages = map { $_ => text_of(decode_utf8($t->get($_)->{body})) } @paths;
    $t->stop;
    is($r->{status}, 200, sprintf('%02d:%02d: 200', $minute / 60, $minute % 60));
    return { map { $_->{id} => $_ } @{ $d->{office}{counters} || [] } };
}

my $close = 17 * 60 + 30;

# 12:00: the figures, and the hours the API says the day ends at
my $c = at(12 * 60);
my ($w, $lo, $hi) = ($c->{moving}{wait_minutes}, @{ $c->{moving}{wait_range} // {} }{qw(low high)});
ok(defined $w && defined $hi, "moving has a wait ($w) and a band ($lo-$hi)")
    or BAIL_OUT('no wait to put the times at');
ok($w + 4 <= $hi && $w > 5 && $hi + 5 < $close - 12 * 60,
   'a band wide enough around the estimate, and a wait that fits at 12:00') or diag(explain($c->{moving}));

is($c->{moving}{closes_at}, '2027-01-12T17:30:00+09:00', 'open: closes_at, the end of the day\'s hours');
is($c->{moving}{past_close}, undef, '12:00: the wait fits, past_close null');
ok(exists $c->{moving}{past_close}, 'past_close is there as null');
is($c->{family}{status}, 'paused', 'family: paused');
is($c->{family}{closes_at}, '2027-01-12T17:30:00+09:00', 'paused: the close is still said');
is($c->{family}{past_close}, undef, 'paused: no wait, so no past_close');
is($c->{certificates}{past_close}, undef, 'an empty counter: nothing to say');

# the band's end just fits, with a few minutes to spare
my @page = ('/kamigyo?lang=ja', '/?lang=ja', '/kamigyo/signage?lang=ja');
$c = at($close - $hi - 5, @page);
is($c->{moving}{past_close}, undef, "$hi + 5 minutes before the close: null");
unlike($pages{$_}, qr/past-close/, "$_: no note of the close") for @page;

# the band's end no longer fits, the estimate does
my $mid = int(($w + $hi) / 2);
$c = at($close - $mid, map { ("/kamigyo?lang=$_", "/?lang=$_", "/kamigyo/signage?lang=$_") } @langs);
is($c->{moving}{past_close}, 'possible', "$mid minutes before the close (wait $w, band to $hi): possible");
is($c->{moving}{closes_at}, '2027-01-12T17:30:00+09:00', 'with the close it runs past');
for my $l (@langs) {
    (my $text = $catalog{$l}{'past_close.possible'}) =~ s/\{time\}/17:30/g;
    $text =~ s/\{([^{}|]+)\|[^{}|]+\}/$1/g;
    ok(index($pages{"/kamigyo?lang=$l"}, $text) >= 0, "office page ($l): $text");
    like($pages{"/kamigyo?lang=$l"}, qr/<p class="past-close" data-past-close="possible">/,
         "office page ($l): marked possible");
    ok(index($pages{"/?lang=$l"}, $text) >= 0, "index ($l): said on the card");
    # the signage says ja-easy in kana: the readings alone
    (my $kana = $catalog{$l}{'past_close.possible'}) =~ s/\{time\}/17:30/g;
    $kana =~ s/\{[^{}|]+\|([^{}|]+)\}/$1/g;
    ok(index($pages{"/kamigyo/signage?lang=$l"}, $kana) >= 0, "signage ($l): said");
}

# the estimate no longer fits either
$c = at($close - $w + 5, map { "/kamigyo?lang=$_" } @langs);
is($c->{moving}{past_close}, 'likely', ($w - 5) . " minutes before the close (wait $w): likely");
for my $l (@langs) {
    (my $text = $catalog{$l}{'past_close.likely'}) =~ s/\{time\}/17:30/g;
    $text =~ s/\{([^{}|]+)\|[^{}|]+\}/$1/g;
    isnt($catalog{$l}{'past_close.likely'}, $catalog{$l}{'past_close.possible'},
         "$l: likely is worded apart from possible");
    ok(index($pages{"/kamigyo?lang=$l"}, $text) >= 0, "office page ($l): $text");
}

# after the close: closed, nothing of the close
$c = at($close + 15);
is($c->{moving}{status}, 'closed', '17:45: closed');
is($c->{moving}{closes_at}, undef, 'closed: closes_at null');
is($c->{moving}{past_close}, undef, 'closed: past_close null');

# mado_calendar off: the stored state whatever the hour, so the hours are
# not applied to it either
$calendar = 'off';
config();
$c = at($close - $w + 5, '/kamigyo?lang=en');
is($c->{moving}{status}, 'open', 'calendar off: the stored status');
is($c->{moving}{closes_at}, undef, 'calendar off: closes_at null');
is($c->{moving}{past_close}, undef, 'calendar off: past_close null');
unlike($pages{'/kamigyo?lang=en'}, qr/past-close/, 'calendar off: the page says nothing of it');

# madoctl show says it too, briefly
my $r = $t->madoctl(qw(show kamigyo),
                    { env => { MADO_NOW => jst(2027, 1, 12, 0, 0) + ($close - $w + 5) * 60 } });
is($r->{exit}, 0, 'show kamigyo: exit 0');
like(decode_utf8($r->{out}), qr/^\s+the wait may run past today's close at 17:30: likely$/m,
     'madoctl show: the note under the counter');
$r = $t->madoctl(qw(show kamigyo), { env => { MADO_NOW => jst(2027, 1, 12, 12, 0) } });
unlike($r->{out}, qr/past today's close/, 'madoctl show at 12:00: no note');

done_testing;
