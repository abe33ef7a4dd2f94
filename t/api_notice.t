#!/usr/bin/perl

# Staff notices through the update API and what citizens get: POST
# {"notice": ID} sets the preset (an unknown id is a 400 naming "notice"
# and listing the valid ids; nothing written), "" and null clear it; the
# public API carries {id, text: every language}; the pages show the preset
# in their language, and the free text as typed, marked lang="ja" and
# labelled on the pages of other languages only; both are audited.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(decode_utf8);
use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new(clock => 1);      # nginx on MADO_NOW too
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
$t->madoctl_ok(qw(set kita moving --status open --waiting 4 --calling 17));

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
    mado_messages %%REPO%%/conf.example/i18n;
    mado_assets %%REPO%%/conf.example/assets;
    mado_public_url https://mado.example.jp/;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; }
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }   # plain HTTP on loopback
        location / { mado_pages; }
    }
}
EOF
$t->start;

my $json = JSON::PP->new->utf8->canonical;
my $offices = MadoTest::read_json_file(MadoTest::offices_json());
my %preset = map { $_->{id} => $_->{text} } @{ $offices->{notices} };
ok(exists $preset{away}, 'offices.json defines the preset "away"');
is(scalar(keys %{ $preset{away} }), 6, '"away" in all six languages');

my $token = $t->admin_login('tanaka', 'correct horse battery staple');
ok($token, 'tanaka logs in');
my ($r, $d);

sub page {
    my ($path) = @_;
    my $r = $t->http('GET', $path);
    is($r->{status}, 200, "GET $path: 200");
    return decode_utf8($r->{body});
}

# ------------------------------------------------------------ the list of presets

{
    my $l = $t->get_json('/api/v1/offices/kita/notices');
    is($l->{office}, 'kita', '/notices: the office');
    is_deeply([ map { $_->{id} } @{ $l->{notices} } ], [ map { $_->{id} } @{ $offices->{notices} } ],
              '/notices: every preset, in the order of offices.json');
    is_deeply($l->{notices}[0]{text}, $offices->{notices}[0]{text}, '/notices: the text in every language');
    my $r = $t->http('GET', '/api/v1/offices/nowhere/notices');
    is($r->{status}, 404, '/notices of no office: 404');
    unlike($t->http('GET', '/api/v1/offices')->{body}, qr/"notices"/,
           'the list of all offices does not carry the presets (its size stays)');
}

# ------------------------------------------------------------ none yet

is($t->api_counter('kita', 'moving')->{notice}, undef, 'no notice: null in the API');
unlike(page('/kita?lang=en'), qr/class="notice"/, 'no notice: none on the page');

# ------------------------------------------------------------ set through the update API

($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', notice => 'away' }, $token);
is($r->{status}, 200, 'set notice away: 200') or diag($r->{body});

my $c = $t->api_counter('kita', 'moving');
is($c->{notice}{id}, 'away', 'the API: notice.id');
is_deeply($c->{notice}{text}, $preset{away}, 'the API: the text in every language, as offices.json says');
is($c->{waiting}, 4, 'the other fields are kept');

for my $lang (qw(ja en zh-hans zh-hant ko ja-easy)) {
    my $html = page("/kita?lang=$lang");
    my $text = $preset{away}{$lang};
    like($html, qr{<p class="notice" data-notice="away">\Q$text\E</p>}, "the $lang page shows the $lang preset");
}
unlike(page('/kita?lang=en'), qr/職員が席を外しています/, 'the English page: no Japanese preset text');
like(page('/embed/kita?lang=en'), qr{<p class="notice" data-notice="away">\Q$preset{away}{en}\E</p>},
     'the embed shows it too');

# ------------------------------------------------------------ refused

my $held = $json->encode($t->api_counter('kita', 'moving'));
for my $bad ('nosuch', 'Away!', 42) {
    ($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', notice => $bad }, $token);
    is($r->{status}, 400, "notice \"$bad\": 400");
    like($d->{message} // '', qr/^notice: /, "notice \"$bad\": the answer names the field") or diag($r->{body});
}
($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', notice => 'nosuch' }, $token);
like($d->{message} // '', qr/valid ids: away, system_down,/, 'an unknown id: the valid ids are listed');
is($json->encode($t->api_counter('kita', 'moving')), $held, 'nothing was written by the refused requests');

# ------------------------------------------------------------ the free text beside it

my $msg = '本日は戸籍の窓口が混み合っています';
($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', message => $msg }, $token);
is($r->{status}, 200, 'set a message: 200');
is($t->api_counter('kita', 'moving')->{notice}{id}, 'away', 'a message alone keeps the notice');

my $ja = page('/kita?lang=ja');
like($ja, qr{<p class="message"><span class="message-text" lang="ja">\Q$msg\E</span></p>},
     'ja page: the free text marked lang="ja", no label');
unlike($ja, qr/message-label/, 'ja page: no label');
unlike(page('/kita?lang=ja-easy'), qr/message-label/, 'ja-easy page: no label');
for my $lang (qw(en ko zh-hans zh-hant)) {
    my $cat = MadoTest::read_json_file(MadoTest::repo() . "/conf.example/i18n/$lang.json");
    my $label = $cat->{'notice.staff_ja'};
    ok($label, "$lang catalog: notice.staff_ja");
    like(page("/kita?lang=$lang"),
         qr{<p class="message"><span class="message-label">\Q$label\E</span> <span class="message-text" lang="ja">\Q$msg\E</span></p>},
         "$lang page: the free text labelled and marked lang=\"ja\"");
}

# ------------------------------------------------------------ cleared

($r, $d) = $t->admin_post('offices/kita/counters/moving', { action => 'set', notice => '' }, $token);
is($r->{status}, 200, 'notice "": 200');
is($t->api_counter('kita', 'moving')->{notice}, undef, 'notice "": cleared');
unlike(page('/kita?lang=en'), qr/class="notice"/, 'cleared: gone from the page');
$t->admin_post('offices/kita/counters/moving', { action => 'set', notice => 'system_down' }, $token);
is($t->api_counter('kita', 'moving')->{notice}{id}, 'system_down', 'another preset');
($r, $d) = $t->admin_post('offices/kita/counters/moving', '{"action":"set","notice":null}', $token);
is($r->{status}, 200, 'notice null: 200');
is($t->api_counter('kita', 'moving')->{notice}, undef, 'notice null: cleared');

# ------------------------------------------------------------ audit

my @sets = grep { ($_->{actor} // '') eq 'user:tanaka' && $_->{action} eq 'set' } @{ $t->audit_records };
is_deeply([ map { [$_->{before}{notice}, $_->{after}{notice}] } @sets ],
          [ ['', 'away'], ['away', 'away'], ['away', ''], ['', 'system_down'], ['system_down', ''] ],
          'the audit trail records the notice before and after each set');
is($sets[1]{after}{message}, $msg, 'and the message beside it');

$t->stop;

done_testing;
