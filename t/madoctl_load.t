#!/usr/bin/perl

# madoctl: every verb, help, exit codes 1/2/3 and the fields they name,
# load validation (nothing changes on an error), reloads keeping live
# state, and a store that outgrows its initial map.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";

use Encode qw(encode_utf8);
use JSON::PP;
use Test::More;
use Time::HiRes qw(time);

use MadoTest;

MadoTest::require_binaries(qw(madoctl));

my $t = MadoTest->new;
my $NOW = 1900000000;          # fixed clock for byte-identical snapshots
# one clock for every run: a write on a later day than the state's starts
# the counts of a new day
$ENV{MADO_NOW} = $NOW;
my $OFFICES = MadoTest::offices_json();

# madoctl with a fixed clock; arguments are Perl strings, sent as UTF-8
sub mc {
    my (@args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};
    $opt->{env} = { MADO_NOW => $NOW, %{ $opt->{env} || {} } };
    return $t->madoctl((map { encode_utf8($_) } @args), $opt);
}

sub expect {
    my ($exit, $re, $name, @args) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = mc(@args);
    my $ok = is($r->{exit}, $exit, "$name: exit $exit (madoctl @args)");
    if (defined $re) {
        $ok &= like($r->{err}, $re, "$name: stderr names it");
    }
    diag(MadoTest::text("stdout: $r->{out}\nstderr: $r->{err}")) unless $ok;
    return $r;
}

sub snapshot {
    my $r = mc(qw(show --json));
    return $r->{exit} == 0 ? $r->{out} : "exit $r->{exit}: $r->{err}";
}

sub state_of {
    my ($o, $c) = @_;
    my $r = mc(qw(show --json));
    my $d = eval { JSON::PP->new->utf8->decode($r->{out}) };
    return $d ? MadoTest::find_counter($d, $o, $c) : undef;
}

# ------------------------------------------------------------------ help

for my $args (['--help'], ['-h'], ['help']) {
    my $r = $t->madoctl(@$args, { nostore => 1 });
    is($r->{exit}, 0, "madoctl @$args: exit 0");
    like($r->{out}, qr/usage:/, "madoctl @$args: usage on stdout");
}
for my $verb (qw(init load show set issue call cancel simulate help)) {
    my $r = $t->madoctl($verb, '--help');          # before init: no store needed
    is($r->{exit}, 0, "$verb --help: exit 0") or diag(MadoTest::text($r->{err}));
    like($r->{out}, qr/usage: madoctl.*\b$verb\b/, "$verb --help: its usage");
    $r = $t->madoctl('help', $verb);
    is($r->{exit}, 0, "help $verb: exit 0");
}

# ------------------------------------------------------------------ 3: no store

expect(3, qr/store/i, 'show before init', qw(show));
expect(3, qr/store/i, 'show --json before init', qw(show --json));
expect(3, qr/store/i, 'set before init', qw(set kita moving --waiting 1));
expect(3, qr/store/i, 'issue before init', qw(issue kita moving));
expect(3, qr/store/i, 'call before init', qw(call kita moving));
expect(3, qr/store/i, 'cancel before init', qw(cancel kita moving 1));
{
    my $r = $t->madoctl('show', { store => $t->dir . '/no/such/dir' });
    is($r->{exit}, 3, 'show on a missing directory: exit 3') or diag(MadoTest::text($r->{err}));
}
ok(!-e $t->store . '/data.mdb', 'no command but init created the store');

# ------------------------------------------------------------------ init

$t->madoctl_ok('init');
for my $f (qw(data.mdb lock.mdb)) {
    my @st = stat($t->store . "/$f");
    ok(@st, "init made $f") or next;
    is(sprintf('%04o', $st[2] & 07777), '0660', "$f mode 0660 (under umask 022)");
    if (MadoTest::is_root()) {
        is($st[5], scalar getgrnam('www-data'), "$f group www-data (setgid store dir)");
    }
}
$t->madoctl_ok('init');     # a ready store: nothing to do
{
    my $r = mc(qw(show --json));
    is($r->{exit}, 0, 'show on an empty store: exit 0') or diag(MadoTest::text($r->{err}));
}

# ------------------------------------------------------------------ 2: usage

expect(2, undef, 'no verb');
expect(2, qr/frobnicate/, 'unknown verb', 'frobnicate');
expect(2, qr/bogus/, 'unknown option', qw(show --bogus));
expect(2, qr/bogus/, 'unknown global option', qw(--bogus show));
expect(2, undef, 'set without a counter', qw(set kita));
expect(2, undef, 'set with nothing to set', qw(set kita moving));
expect(2, qr/waiting/, 'set --waiting without a value', qw(set kita moving --waiting));
expect(2, undef, 'issue without arguments', qw(issue));
expect(2, undef, 'issue with an extra argument', qw(issue kita moving extra));
expect(2, undef, 'cancel without a number', qw(cancel kita moving));
expect(2, undef, 'load without a file', qw(load));
expect(2, undef, 'show with two offices', qw(show kita sakyo));
expect(2, qr/MADO_NOW/, 'bad MADO_NOW', qw(set kita moving --waiting 1), { env => { MADO_NOW => 'yesterday' } });

# ------------------------------------------------------------------ load, show

$t->madoctl_ok('load', $OFFICES, { env => { MADO_NOW => $NOW } });
my $conf = MadoTest::read_json_file();
my @ids = map { $_->{id} } @{ $conf->{offices} };

my $all = $t->show_json;
for my $o (@{ $conf->{offices} }) {
    for my $cd (@{ $o->{counters} }) {
        my $c = MadoTest::find_counter($all, $o->{id}, $cd->{id});
        ok($c, "show --json has $o->{id}/$cd->{id}") or next;
        is($c->{status}, 'closed', "$o->{id}/$cd->{id} starts closed");
        is($c->{waiting}, 0, "$o->{id}/$cd->{id} waiting 0");
    }
}
{
    my $r = mc('show');
    is($r->{exit}, 0, 'show (text): exit 0');
    like($r->{out}, qr/kita/, 'show lists kita');
    like($r->{out}, qr/rakusai/, 'show lists rakusai');

    $r = mc(qw(show kita));
    is($r->{exit}, 0, 'show kita: exit 0');
    like($r->{out}, qr/moving/, 'show kita lists its counters');

    my $k = $t->show_json('kita');
    ok(MadoTest::find_office($k, 'kita'), 'show kita --json has kita');
    ok(!MadoTest::find_office($k, 'sakyo'), 'show kita --json has only kita');

    expect(1, qr/nosuch/, 'show unknown office', qw(show nosuch));
}

# ------------------------------------------------------------------ 1: refused, naming the field

my $before = snapshot();
my @refused = (
    [ '--waiting',     qw(set kita moving --waiting -1) ],
    [ '--waiting',     qw(set kita moving --waiting abc) ],
    [ '--waiting',     qw(set kita moving --waiting 1x) ],
    [ '--waiting',     qw(set kita moving --waiting), '' ],
    [ '--waiting',     qw(set kita moving --waiting 10000) ],
    [ '--waiting',     qw(set kita moving --waiting 99999999999999999999) ],
    [ '--calling',     qw(set kita moving --calling -5) ],
    [ '--calling',     qw(set kita moving --calling 10000) ],
    [ '--last-issued', qw(set kita moving --last-issued zz) ],
    [ '--last-issued', qw(set kita moving --last-issued 10000) ],
    [ '--staff',       qw(set kita moving --staff -1) ],
    [ '--staff',       qw(set kita moving --staff 100) ],
    [ '--status',      qw(set kita moving --status bogus) ],
    [ '--status',      qw(set kita moving --status), '' ],
    [ '--message',     qw(set kita moving --message), 'x' x 281 ],
    [ '--message',     qw(set kita moving --message), 'あ' x 94 ],      # 282 bytes
    [ '--message',     qw(set kita moving --message), "line\nbreak" ],
    [ '--message',     qw(set kita moving --message), "tab\there" ],
    [ 'nosuch',        qw(set nosuch moving --waiting 1) ],
    [ 'nosuch',        qw(set kita nosuch --waiting 1) ],
    [ 'KITA',          qw(set KITA! moving --waiting 1) ],
    [ 'nosuch',        qw(issue nosuch moving) ],
    [ 'nosuch',        qw(call kita nosuch) ],
    [ 'nosuch',        qw(cancel nosuch moving 1) ],
    [ 'closed',        qw(issue kita moving) ],           # closed counters take no tickets
    [ 'closed',        qw(call kita moving) ],
);
for my $case (@refused) {
    my ($field, @args) = @$case;
    my $show = join ' ', map { length > 30 ? substr($_, 0, 12) . '...' : $_ } @args;
    $show =~ s/([[:cntrl:]])/sprintf("\\x%02x", ord $1)/ge;
    my $r = mc(@args);
    is($r->{exit}, 1, "refused: $show -> exit 1") or diag(MadoTest::text("stdout: $r->{out}\nstderr: $r->{err}"));
    like($r->{err}, qr/\Q$field\E/i, "refused: $show -> stderr names $field") or diag(MadoTest::text($r->{err}));
}
{
    # invalid UTF-8 can only be passed as bytes
    my $r = $t->madoctl(qw(set kita moving --message), "\xff\xfe bad", { env => { MADO_NOW => $NOW } });
    is($r->{exit}, 1, 'refused: invalid UTF-8 message -> exit 1');
    like($r->{err}, qr/--message/, 'refused: invalid UTF-8 message names --message');
}
is(snapshot(), $before, 'nothing changed by the refused commands');

# boundaries that are fine
$t->madoctl_ok(qw(set kita moving --waiting 9999 --calling 9999 --last-issued 9999 --staff 99));
$t->madoctl_ok(qw(set kita moving --message), encode_utf8('あ' x 93));      # 279 bytes
$t->madoctl_ok(qw(set kita moving --message), 'x' x 280);
is(state_of('kita', 'moving')->{message}, 'x' x 280, '280-byte message kept whole');

# ------------------------------------------------------------------ set

{
    my $msg = '窓口混雑中 "quoted" \\ <b>';
    my $r = mc(qw(set kita moving --status open --waiting 5 --calling 3 --last-issued 8 --staff 2 --message), $msg);
    is($r->{exit}, 0, 'set with every option') or diag(MadoTest::text($r->{err}));
    my $c = state_of('kita', 'moving');
    is($c->{status}, 'open', 'set: status');
    is($c->{waiting}, 5, 'set: waiting');
    is($c->{calling}, 3, 'set: calling');
    is($c->{last_issued}, 8, 'set: last_issued');
    is($c->{staff}, 2, 'set: staff') if exists $c->{staff};
    is($c->{message}, $msg, 'set: message (UTF-8, quotes, backslash)');
    is($c->{updated_at}, '2030-03-18T02:46:40+09:00', 'set: updated_at from MADO_NOW, in JST');

    $t->madoctl_ok(qw(set kita moving --waiting 6));
    $c = state_of('kita', 'moving');
    is($c->{waiting}, 6, 'set one field');
    is($c->{calling}, 3, 'other fields kept');
    is($c->{message}, $msg, 'message kept');

    $t->madoctl_ok(qw(set kita moving --message), '');
    $c = state_of('kita', 'moving');
    ok(!defined $c->{message} || $c->{message} eq '', 'set --message "" clears it');

    for my $st (qw(paused ended closed open)) {
        $t->madoctl_ok('set', 'kita', 'moving', '--status', $st);
        is(state_of('kita', 'moving')->{status}, $st, "set --status $st");
    }

    $r = mc(qw(set kita moving --waiting 1), { env => { MADO_NOW => '2026-11-27T09:30:00+09:00' } });
    is($r->{exit}, 0, 'MADO_NOW in ISO 8601');
    is(state_of('kita', 'moving')->{updated_at}, '2026-11-27T09:30:00+09:00', 'ISO MADO_NOW taken');
}

# ------------------------------------------------------------------ issue, call, cancel

{
    $t->madoctl_ok(qw(set kita certificates --status open --waiting 0 --calling 0 --last-issued 0));
    my @n = map { my $o = $t->madoctl_ok(qw(issue kita certificates)); chomp $o; $o } 1 .. 3;
    is_deeply(\@n, [1, 2, 3], 'issue prints 1, 2, 3');
    my $c = state_of('kita', 'certificates');
    is($c->{waiting}, 3, 'issue: 3 waiting');
    is($c->{last_issued}, 3, 'issue: last_issued 3');

    my $o = $t->madoctl_ok(qw(call kita certificates));
    chomp $o;
    is($o, 1, 'call prints 1');
    $c = state_of('kita', 'certificates');
    is($c->{calling}, 1, 'call: calling 1');
    is($c->{waiting}, 2, 'call: 2 waiting');

    $o = $t->madoctl_ok(qw(issue kita certificates));
    chomp $o;
    is($o, 4, 'issue prints 4');

    $o = $t->madoctl_ok(qw(cancel kita certificates 4));
    like($o, qr/cancelled 4/, 'cancel prints "cancelled 4"');
    $c = state_of('kita', 'certificates');
    is($c->{waiting}, 2, 'cancel: one fewer waits');
    is($c->{last_issued}, 4, 'cancel: last_issued kept');

    my $snap = snapshot();
    expect(1, undef, 'cancel a number never issued', qw(cancel kita certificates 99));
    expect(1, undef, 'cancel a number already called', qw(cancel kita certificates 1));
    expect(1, undef, 'cancel 0', qw(cancel kita certificates 0));
    expect(1, undef, 'cancel abc', qw(cancel kita certificates abc));
    expect(1, undef, 'call a number not issued yet', qw(call kita certificates 50));
    is(snapshot(), $snap, 'refused ticket commands changed nothing');

    $o = $t->madoctl_ok(qw(call kita certificates 3));
    chomp $o;
    is($o, 3, 'call NUMBER prints it');
    $c = state_of('kita', 'certificates');
    is($c->{calling}, 3, 'call NUMBER: calling 3');
    is($c->{waiting}, 1, 'call NUMBER: one fewer waits');

    $t->madoctl_ok(qw(set kita certificates --waiting 0));
    expect(1, undef, 'call with nobody waiting', qw(call kita certificates));

    $t->madoctl_ok(qw(set kita certificates --status ended));
    expect(1, undef, 'issue at an ended counter', qw(issue kita certificates));

    $t->madoctl_ok(qw(set kita certificates --status paused --waiting 0 --last-issued 9999));
    $o = $t->madoctl_ok(qw(issue kita certificates));
    chomp $o;
    is($o, 1, 'issue at a paused counter after 9999 wraps to 1');
}

# ------------------------------------------------------------------ simulate

{
    my $snap = snapshot();
    my $t0 = time;
    my $r = $t->madoctl(qw(simulate --duration 2 --interval 0.2 --speed 600 --seed 7), { timeout => 30 });
    my $el = time - $t0;
    is($r->{exit}, 0, 'simulate --duration 2: exit 0') or diag(MadoTest::text($r->{err}));
    ok($el < 8, sprintf('simulate stopped after its duration (%.1f s)', $el));

    my $d = $t->show_json;
    my ($changed, $bad) = (0, 0);
    for my $o (@{ $conf->{offices} }) {
        for my $cd (@{ $o->{counters} }) {
            my $c = MadoTest::find_counter($d, $o->{id}, $cd->{id}) or next;
            $bad++ unless $c->{status} =~ /^(open|paused|closed|ended)$/
                && $c->{waiting} >= 0 && $c->{waiting} <= 9999
                && $c->{last_issued} <= 9999 && $c->{calling} <= 9999;
            $changed++ if $c->{status} ne 'closed';
        }
    }
    is($bad, 0, 'simulate leaves valid states');
    ok($changed > 0, "simulate opened counters ($changed)");
    isnt(snapshot(), $snap, 'simulate changed the store');

    expect(1, qr/--speed/, 'simulate --speed 0', qw(simulate --duration 1 --speed 0));
    expect(1, qr/--interval/, 'simulate --interval 0', qw(simulate --duration 1 --interval 0));
}

# ------------------------------------------------------------------ load validation

# deep copy of offices.json, changed by $mod, written to a file
sub broken {
    my ($name, $mod) = @_;
    my $d = MadoTest::read_json_file();
    $mod->($d);
    return MadoTest::write_json_file($t->dir . "/$name.json", $d);
}

{
    $t->madoctl_ok(qw(set kita moving --status open --waiting 4 --message), 'before');
    my $snap = snapshot();

    my @cases;

    # syntax error: the file cut short
    {
        my $text = do { local (@ARGV, $/) = $OFFICES; <> };
        my $f = $t->dir . '/syntax.json';
        open my $fh, '>:raw', $f or die;
        print {$fh} substr($text, 0, int(length($text) / 2));
        close $fh;
        push @cases, [ 'syntax error (cut short)', $f, qr/.+/ ];
        $f = $t->dir . '/syntax2.json';
        open $fh, '>:raw', $f or die;
        (my $t2 = $text) =~ s/"kind": "ward",/"kind": "ward",,/;
        print {$fh} $t2;
        close $fh;
        push @cases, [ 'syntax error (double comma)', $f, qr/.+/ ];
    }
    push @cases, [ 'missing name.ja',
        broken('noja', sub { delete $_[0]{offices}[2]{name}{ja} }),
        qr/\$\.offices\[2\]\.name/ ];
    push @cases, [ 'missing counter name.ja',
        broken('noja2', sub { delete $_[0]{offices}[0]{counters}[3]{name}{ja} }),
        qr/\$\.offices\[0\]\.counters\[3\]/ ];
    push @cases, [ 'negative minutes_per_person',
        broken('mpp', sub { $_[0]{offices}[0]{counters}[1]{minutes_per_person} = -3 }),
        qr/\$\.offices\[0\]\.counters\[1\]/ ];
    push @cases, [ 'minutes_per_person a string',
        broken('mpp2', sub { $_[0]{offices}[7]{counters}[2]{minutes_per_person} = 'fast' }),
        qr/\$\.offices\[7\]\.counters\[2\]/ ];
    push @cases, [ 'duplicate counter id',
        broken('dupc', sub { $_[0]{offices}[1]{counters}[2]{id} = $_[0]{offices}[1]{counters}[0]{id} }),
        qr/\$\.offices\[1\]\.counters\[[02]\]/ ];
    push @cases, [ 'unknown key in an office',
        broken('unk', sub { $_[0]{offices}[3]{colour} = 'red' }),
        qr/\$\.offices\[3\]/ ];
    push @cases, [ 'unknown key in a counter',
        broken('unk2', sub { $_[0]{offices}[9]{counters}[0]{colour} = 'red' }),
        qr/\$\.offices\[9\]\.counters\[0\]/ ];
    push @cases, [ 'neighbour that does not exist',
        broken('nb', sub { $_[0]{offices}[4]{neighbours}[1] = 'atlantis' }),
        qr/\$\.offices\[4\]\.neighbours/ ];
    push @cases, [ 'bad counter id',
        broken('badid', sub { $_[0]{offices}[5]{counters}[1]{id} = 'Bad Id' }),
        qr/\$\.offices\[5\]\.counters\[1\]/ ];
    push @cases, [ 'duplicate office id',
        broken('dupo', sub { $_[0]{offices}[13]{id} = 'kita' }),
        qr/\$\.offices\[\d+\]/ ];
    push @cases, [ 'too many counters',
        broken('many', sub {
            my $c = $_[0]{offices}[0]{counters};
            push @$c, map { { %{ $c->[0] }, id => "extra$_" } } 1 .. 13;    # 17
        }),
        qr/\$\.offices\[0\]\.counters/ ];
    push @cases, [ 'top level not an object',
        do { my $f = $t->dir . '/array.json'; open my $fh, '>', $f; print {$fh} "[]\n"; close $fh; $f },
        qr/\$/ ];

    for my $c (@cases) {
        my ($name, $file, $re) = @$c;
        my $r = mc('load', $file);
        is($r->{exit}, 1, "load, $name: exit 1") or diag(MadoTest::text("stderr: $r->{err}"));
        like($r->{err}, $re, "load, $name: stderr names the place") or diag(MadoTest::text("stderr: $r->{err}"));
        is(snapshot(), $snap, "load, $name: show --json byte-identical");
    }

    my $r = mc('load', $t->dir . '/no-such-file.json');
    is($r->{exit}, 1, 'load a missing file: exit 1') or diag(MadoTest::text($r->{err}));
    like($r->{err}, qr/no-such-file\.json/, 'load a missing file: names the file');
    is(snapshot(), $snap, 'load a missing file: nothing changed');

    # standard input
    $r = $t->madoctl('load', '-', { stdin => do { local (@ARGV, $/) = $OFFICES; <> },
                                    env => { MADO_NOW => $NOW } });
    is($r->{exit}, 0, 'load - reads standard input') or diag(MadoTest::text($r->{err}));
}

# ------------------------------------------------------------------ load keeps state, removes and adds

{
    $t->madoctl_ok(qw(set kita moving --status open --waiting 5 --calling 3 --last-issued 8 --message), 'hello');
    $t->madoctl_ok(qw(set kita certificates --status open --waiting 4 --last-issued 4));
    my $keep = state_of('kita', 'moving');

    $t->madoctl_ok('load', $OFFICES);
    my $again = state_of('kita', 'moving');
    is_deeply({ map { $_ => $again->{$_} } qw(status waiting calling last_issued message updated_at) },
              { map { $_ => $keep->{$_} } qw(status waiting calling last_issued message updated_at) },
              'load twice: live state kept');

    my $f = broken('changed', sub {
        my $k = $_[0]{offices}[0];
        $k->{counters} = [ grep { $_->{id} ne 'certificates' } @{ $k->{counters} } ];
        push @{ $k->{counters} }, {
            id => 'pension',
            name => { ja => '国民年金', en => 'National Pension' },
            minutes_per_person => 10,
        };
    });
    $t->madoctl_ok('load', $f);
    my $d = $t->show_json;
    ok(!MadoTest::find_counter($d, 'kita', 'certificates'), 'a counter removed from the file is gone');
    my $p = MadoTest::find_counter($d, 'kita', 'pension');
    ok($p, 'a new counter appears');
    is($p && $p->{status}, 'closed', 'the new counter is closed');
    is($p && $p->{waiting}, 0, 'the new counter has nobody waiting');
    is(MadoTest::find_counter($d, 'kita', 'moving')->{waiting}, 5, 'the others keep their state');
    is_deeply([ map { $_->{id} } @{ MadoTest::find_office($d, 'kita')->{counters} } ],
        [qw(moving family mynumber pension)], 'counters in the new file order');

    $t->madoctl_ok('load', $OFFICES);
    my $c = state_of('kita', 'certificates');
    is($c && $c->{status}, 'closed', 'a counter defined again starts closed (old state was removed)');
    is($c && $c->{waiting}, 0, 'a counter defined again starts with nobody waiting');
}

$t->check_logs;

# ------------------------------------------------------------------ map growth

{
    my $g = MadoTest->new;
    my $r = $g->madoctl(qw(init --map-size 65536));
    is($r->{exit}, 0, 'init --map-size 65536') or diag(MadoTest::text($r->{err}));

    # 40 offices: some 200 KB of definitions, more than the map holds
    my $big = MadoTest::generated_offices(offices => 40, counters => 4);
    my $f = MadoTest::write_json_file($g->dir . '/big.json', $big);
    $g->madoctl_ok('load', $f);

    my $n = 0;
    my $fails = 0;
    my $last;
    for my $o (@{ $big->{offices} }) {
        for my $c (@{ $o->{counters} }) {
            $n++;
            $last = sprintf('%04d ', $n) . ('長いお知らせ' x 15);    # 5 + 270 bytes
            my $r2 = $g->madoctl('set', $o->{id}, $c->{id}, '--status', 'open',
                '--waiting', $n % 100, '--message', encode_utf8($last));
            $fails++, diag(MadoTest::text("set $o->{id} $c->{id}: exit $r2->{exit}: $r2->{err}")) if $r2->{exit};
        }
    }
    is($fails, 0, "$n sets with 275-byte messages succeed");
    my $size = -s $g->store . '/data.mdb';
    ok($size > 65536, "data.mdb grew beyond 65536 ($size)");

    my $d = $g->show_json;
    my $lo = $big->{offices}[-1];
    is(MadoTest::find_counter($d, $lo->{id}, $lo->{counters}[-1]{id})->{message}, $last,
        'the last message reads back');
    is(scalar(grep { MadoTest::find_office($d, $_->{id}) } @{ $big->{offices} }), 40, 'all 40 offices shown');

    $g->check_logs;
}

done_testing;
