#!/usr/bin/perl

# Staff notices with madoctl: "notices" in offices.json (top level, an
# office's own over it) and its refusals naming the field; set --notice ID,
# --notice '' and --no-notice; an unknown id exits 1 naming --notice and
# listing the valid ids, changing nothing; the audit trail records it; and
# the same through the update API with --server (real TLS).

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new(clock => 1);
my $dir = $t->dir;
$ENV{MADO_NOW} = 1795748400;            # 2026-11-27T12:00:00+09:00, a Friday
my $json = JSON::PP->new->utf8->canonical;

$t->madoctl_ok(qw(init --test-store));

my $offices = MadoTest::read_json_file();
my @ids = map { $_->{id} } @{ $offices->{notices} };
ok(@ids >= 6, 'offices.json has presets: ' . join(' ', @ids));

# ------------------------------------------------------------ offices.json refused

sub variant {
    my ($name, $edit) = @_;
    my $d = MadoTest::read_json_file();
    $edit->($d);
    my $f = "$dir/$name.json";
    MadoTest::write_json_file($f, $d);
    return $f;
}

my @bad = (
    [ 'missing language', qr/\$\.notices\[0\]\.text: "ko" is required/,
      sub { delete $_[0]{notices}[0]{text}{ko} } ],
    [ 'duplicate id', qr/\$\.notices\[1\]: duplicate notice id "away"/,
      sub { $_[0]{notices}[1]{id} = 'away' } ],
    [ 'too long', qr/\$\.notices\[2\]\.text: "en" is longer than 280 bytes/,
      sub { $_[0]{notices}[2]{text}{en} = 'x' x 281 } ],
    [ 'a line break', qr/\$\.notices\[0\]\.text: "ja": /,
      sub { $_[0]{notices}[0]{text}{ja} = "一行目\n二行目" } ],
    [ 'an unknown language', qr/\$\.notices\[0\]\.text: unknown key "fr"/,
      sub { $_[0]{notices}[0]{text}{fr} = 'Le personnel est absent' } ],
    [ 'a bad id', qr/\$\.notices\[0\]: "id" must be 1-32 of a-z/,
      sub { $_[0]{notices}[0]{id} = 'Away!' } ],
    [ 'not an array', qr/\$\.notices: must be an array/,
      sub { $_[0]{notices} = { away => 1 } } ],
    [ 'an office\'s own: missing language', qr/\$\.offices\[1\]\.notices\[0\]\.text: "zh-hant" is required/,
      sub { my %t = %{ $_[0]{notices}[0]{text} }; delete $t{'zh-hant'};
            $_[0]{offices}[1]{notices} = [ { id => 'lift', text => \%t } ] } ],
);
for my $case (@bad) {
    my ($what, $want, $edit) = @$case;
    my $r = $t->madoctl('load', variant('bad', $edit));
    is($r->{exit}, 1, "offices.json with $what: exit 1");
    like($r->{err}, $want, "offices.json with $what: the field is named") or diag(MadoTest::text($r->{err}));
}

# an office's own notice: over the top-level one of its id, new ids after
my $own = variant('own', sub {
    my $k = (grep { $_[0]{offices}[$_]{id} eq 'kita' } 0 .. $#{ $_[0]{offices} })[0];
    my %t = map { $_ => "kita: $_" } keys %{ $_[0]{notices}[0]{text} };
    $_[0]{offices}[$k]{notices} = [ { id => 'lift', text => { %t } }, { id => 'away', text => { %t } } ];
});
$t->madoctl_ok('load', $own);
$t->madoctl_ok(qw(set kita moving --notice lift));
my $kita = $json->decode($t->madoctl_ok(qw(show kita --json)));
my ($moving) = grep { $_->{id} eq 'moving' } @{ $kita->{offices}[0]{counters} };
is($moving->{notice}{text}{en}, 'kita: en', 'an office\'s own notice is valid there');
$t->madoctl_ok(qw(set kita moving --notice away));
$kita = $json->decode($t->madoctl_ok(qw(show kita --json)));
($moving) = grep { $_->{id} eq 'moving' } @{ $kita->{offices}[0]{counters} };
is($moving->{notice}{text}{en}, 'kita: en', 'an office\'s own text replaces the top-level one of its id');
my $r = $t->madoctl(qw(set sakyo moving --notice lift));
is($r->{exit}, 1, 'another office has no such notice: exit 1');
like($r->{err}, qr/--notice: no notice "lift" at office sakyo; valid ids: \Q@{[join ', ', @ids]}\E$/m,
     'the other office\'s valid ids are listed');

# ------------------------------------------------------------ set, clear, refuse

$t->madoctl_ok('load', MadoTest::offices_json());
my $state = sub { $t->counter_state('kita', 'moving') };

$r = { out => $t->madoctl_ok(qw(set kita moving --notice away)) };
like($r->{out}, qr/ notice=away$/m, 'set --notice: printed');
is($state->()->{notice}{id}, 'away', 'set --notice away: stored');
is_deeply($state->()->{notice}{text}, $offices->{notices}[0]{text}, 'show --json: the text in every language');
like($t->madoctl_ok(qw(show kita)), qr/^\s+moving\s.*\[away\]/m, 'show: the notice id on the counter\'s line');

$t->madoctl_ok(qw(set kita moving --message), '本日は混雑しています');
is($state->()->{notice}{id}, 'away', '--message alone keeps the notice');

my $before = $t->snapshot;
for my $bad ('nosuch', 'Away!', 'x' x 40) {
    $r = $t->madoctl(qw(set kita moving --notice), $bad);
    is($r->{exit}, 1, "--notice $bad: exit 1");
    like($r->{err}, qr/--notice/, "--notice $bad: names --notice");
}
$r = $t->madoctl(qw(set kita moving --notice nosuch));
like($r->{err}, qr/valid ids: \Q@{[join ', ', @ids]}\E/, 'an unknown id: the valid ids are listed');
is($t->snapshot, $before, 'nothing changed by the refused commands');

$t->madoctl_ok(qw(set kita moving --notice), '');
is($state->()->{notice}, undef, "--notice '': cleared");
is($state->()->{message}, '本日は混雑しています', 'the message is kept');
$t->madoctl_ok(qw(set kita moving --notice system_down));
$t->madoctl_ok(qw(set kita moving --no-notice));
is($state->()->{notice}, undef, '--no-notice: cleared');

my @sets = grep { $_->{action} eq 'set' && $_->{office} eq 'kita' && $_->{counter} eq 'moving' }
           @{ $t->audit_records };
is_deeply([ map { $_->{after}{notice} } @sets[-4 .. -1] ], ['away', '', 'system_down', ''],
          'audited: the notice after each set');

like($t->madoctl_ok(qw(set --help)), qr/--notice ID.*--no-notice/s, 'set --help: --notice and --no-notice');

# a new day starts without yesterday's notice
$t->madoctl_ok(qw(set kita moving --notice away));
$t->madoctl_ok(qw(set kita moving --waiting 1), { env => { MADO_NOW => 1795748400 + 86400 } });
is($t->counter_state('kita', 'moving')->{notice}, undef, 'a new day clears the notice, like the message');

# ------------------------------------------------------------ remote

SKIP: {
    skip 'no nginx or module', 6 unless -x MadoTest::nginx_bin() && -f MadoTest::module_so();
    skip 'no openssl', 6 unless grep { -x "$_/openssl" } split /:/, $ENV{PATH};

    $t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
    my $tls = "$dir/tls";
    mkdir $tls or die "mkdir $tls: $!";
    system('openssl', qw(req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2),
           '-keyout', "$tls/ca.key", '-out', "$tls/ca.pem", '-subj', '/CN=localhost',
           '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1') == 0 or die 'openssl';

    $t->write_config_raw(<<'EOF');
%%TEST_GLOBALS%%
load_module %%MODULE%%;
worker_processes 1;
events { worker_connections 64; }

http {
    %%TEST_GLOBALS_HTTP%%
    mado_store %%STORE%%;
    mado_calendar off;
    mado_stale_after 1d;
    mado_audit_key %%DIR%%/audit.key;

    server {
        listen 127.0.0.1:%%PORT%% ssl;
        ssl_certificate %%DIR%%/tls/ca.pem;
        ssl_certificate_key %%DIR%%/tls/ca.key;
        location /api/v1/admin/ { mado_admin; }
        location /api/ { mado_api; }
    }
}
EOF
    $t->start;

    my $url = 'https://localhost:' . $t->port;
    my %env = (XDG_CONFIG_HOME => "$dir/xdg", HOME => "$dir/home", MADO_SERVER => undef,
               MADO_CACERT => undef, MADO_TOKEN_FILE => undef,
               map({ $_ => undef } qw(https_proxy HTTPS_PROXY all_proxy ALL_PROXY MADO_PROXY)));
    my $remote = sub {
        my @args = @_;
        my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
        return $t->madoctl('--server', $url, '--cacert', "$tls/ca.pem", @args,
                           { %$opt, nostore => 1, env => \%env });
    };
    $r = $remote->(qw(login --user tanaka --password-stdin), { stdin => "correct horse battery staple\n" });
    is($r->{exit}, 0, 'remote login') or diag($r->{err});

    $r = $remote->(qw(set kita moving --notice come_another_day));
    is($r->{exit}, 0, 'remote set --notice: exit 0') or diag($r->{err});
    like($r->{out}, qr/ notice=come_another_day$/m, 'remote set --notice: printed');
    is($t->counter_state('kita', 'moving')->{notice}{id}, 'come_another_day', 'remote set --notice: the store holds it');

    $r = $remote->(qw(set kita moving --notice nosuch));
    is($r->{exit}, 1, 'remote unknown id: exit 1');
    like($r->{err}, qr/--notice: no notice "nosuch".*valid ids: away/, 'remote unknown id: --notice named, ids listed');

    $r = $remote->(qw(set kita moving --no-notice));
    is($r->{exit}, 0, 'remote --no-notice: exit 0');
    is($t->counter_state('kita', 'moving')->{notice}, undef, 'remote --no-notice: cleared');
    $t->stop;
}

done_testing;
