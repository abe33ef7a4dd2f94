#!/usr/bin/perl

# The JSON API: the list of offices and one office, in the shape docs/api.md
# gives, as a freshly loaded store has them; a query string changes nothing.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use Time::HiRes qw(time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $conf = MadoTest::read_json_file();
my @ids = map { $_->{id} } @{ $conf->{offices} };
my %def = map { $_->{id} => $_ } @{ $conf->{offices} };
# the API gives ja-easy readings in their plain form: {北区役所|きたくやくしょ}
# is "北区役所（きたくやくしょ）" (docs/pages.md, "Readings in やさしい日本語")
for my $t (map { ($_->{name}, map { $_->{name} } @{ $_->{counters} }) } @{ $conf->{offices} }) {
    $t->{'ja-easy'} =~ s/\{([^{}|]+)\|([^{}|]+)\}/$1\x{FF08}$2\x{FF09}/g if defined $t->{'ja-easy'};
}

my $CT = 'application/json; charset=utf-8';

my $t = MadoTest->new;
$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

$t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 2;
events { worker_connections 256; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;              # the figures as stored, whatever the hour
    mado_stale_after 15m;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/ { mado_api; mado_max_age 5s; }
    }
}
EOF
$t->start;

# ------------------------------------------------------------------ list

my ($r, $list) = $t->get_json('/api/v1/offices');
is($r->{status}, 200, 'GET /api/v1/offices: 200') or diag(MadoTest::text($r->{raw}));
is($r->{headers}{'content-type'}, $CT, 'content type');
like($r->{headers}{etag} // '', qr/^"[^"\s]+"$/, 'strong quoted ETag');
is($r->{headers}{'cache-control'}, 'public, max-age=5', 'Cache-Control');
is($r->{headers}{'access-control-allow-origin'}, '*', 'CORS');

is(ref $list, 'HASH', 'list: object');
is_deeply([ sort keys %$list ], [qw(generated_at offices)], 'list: keys offices, generated_at');
my $gen = MadoTest::parse_jst($list->{generated_at});
ok(defined $gen, "generated_at in +09:00 form ($list->{generated_at})");
# to the minute, so that every worker renders the same bytes for the same figures
ok(defined $gen && $gen % 60 == 0 && time - $gen >= 0 && time - $gen <= 65,
    'generated_at is this minute (JST correct)');

is_deeply([ map { $_->{id} } @{ $list->{offices} || [] } ], \@ids,
    '14 offices in file order');

my %in_list;
for my $o (@{ $list->{offices} || [] }) {
    my $id = $o->{id};
    $in_list{$id} = $o;
    my $d = $def{$id} or next;
    is($o->{kind}, $d->{kind}, "$id: kind");
    is($o->{name}{ja}, $d->{name}{ja}, "$id: name.ja");
    is($o->{name}{en}, $d->{name}{en}, "$id: name.en");
    is_deeply($o->{name}, $d->{name}, "$id: name in every language");
    is_deeply($o->{hours}, $d->{hours}, "$id: hours (docs/api.md)");
    is_deeply([ map { $_->{id} } @{ $o->{counters} || [] } ],
        [ map { $_->{id} } @{ $d->{counters} } ], "$id: counters in file order");

    for my $i (0 .. $#{ $d->{counters} }) {
        my $c = $o->{counters}[$i] or next;
        my $cd = $d->{counters}[$i];
        my $n = "$id/$cd->{id}";
        is($c->{name}{ja}, $cd->{name}{ja}, "$n: name.ja");
        is_deeply($c->{name}, $cd->{name}, "$n: name in every language");
        is($c->{status}, 'closed', "$n: new counters are closed");
        for my $k (qw(waiting calling last_issued)) {
            ok(MadoTest::is_json_number($c->{$k}) && $c->{$k} == 0, "$n: $k is number 0");
        }
        ok(exists $c->{wait_minutes} && !defined $c->{wait_minutes}, "$n: wait_minutes null when closed");
        ok(exists $c->{message} && !defined $c->{message}, "$n: message null");
        ok(defined MadoTest::parse_jst($c->{updated_at}), "$n: updated_at +09:00");
        ok(JSON::PP::is_bool($c->{stale}) && !$c->{stale}, "$n: stale false");
    }
}

# ------------------------------------------------------------------ one office

for my $id (@ids) {
    my ($r1, $d1) = $t->get_json("/api/v1/offices/$id");
    is($r1->{status}, 200, "GET /api/v1/offices/$id: 200");
    is($r1->{headers}{'content-type'}, $CT, "$id: content type");
    is_deeply([ sort keys %{ $d1 || {} } ], [qw(generated_at office)], "$id: keys office, generated_at");
    is_deeply($d1->{office}, $in_list{$id}, "$id: same office object as in the list");
}

# query strings do not change the resource
($r) = $t->get_json('/api/v1/offices?t=123');
is($r->{status}, 200, 'a query string is ignored');

$t->stop;

done_testing;
