#!/usr/bin/perl

# The perimeter refuses attacks: the corpus of t/data/waf/attacks.txt (every
# attack family of the OWASP CRS: SQL, XSS, file inclusion, commands, PHP,
# Java and Log4Shell, Node.js, session fixation, scanners, CRLF, smuggling,
# bad encodings) sent to every class of route of the production
# configuration, staged by conf.example/stage-secure.sh and served over
# TLS: the citizens' API and pages (nginx's grammar), paths outside it,
# the staff panel, the update API's JSON with a valid session, logins and
# feed batches.  None gets a 2xx.  Where the request is otherwise valid
# (a session cookie, its CSRF token, a real update), the refusal is
# ModSecurity's: its answer has a reference, which the error log's "Access
# denied" line and the audit log's entry name, with the rule that matched.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;

use MadoTest;
use MadoTest::Staged;

MadoTest::require_binaries(qw(madoctl module nginx));
MadoTest::Staged::require_profile();

my $json = JSON::PP->new->utf8->canonical;
my $t = MadoTest->new;
my $password = 'correct horse battery staple';

$t->madoctl_ok(qw(init --test-store));
$t->madoctl_ok('load', MadoTest::offices_json());
$t->add_user(qw(tanaka --role staff --office kita), { iterations => 1000 });
my ($feed_token) = $t->add_user(qw(kita-machine --role feed --office kita))->{out} =~ /(mado_[0-9a-f]{64})/;
ok($feed_token, 'a feed account\'s token');

MadoTest::Staged::stage($t);
$t->start;

my $port = $t->port;
my $host = "localhost:$port";
my $c = MadoTest::Staged::Client->new(port => $port, host => $host);

# a browser's cookie session, as the staff panel has it
my $r = $c->request('POST', '/api/v1/admin/login', {
    headers => { 'Content-Type' => 'application/json', Origin => "https://$host",
                 'Sec-Fetch-Site' => 'same-origin' },
    body => $json->encode({ user => 'tanaka', password => $password, session => 'cookie' }),
});
is($r->{status}, 200, 'a cookie login through the WAF') or diag($r->{body});
my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(mado_session=[^;]+)/;
my $csrf = (eval { $json->decode($r->{body}) } || {})->{csrf};
ok($cookie && $csrf, 'a session cookie and its CSRF token') or BAIL_OUT('no session');

# ------------------------------------------------------------ the corpus

sub unescape {
    my ($s) = @_;
    $s =~ s/\\(?:x([0-9a-fA-F]{2})|([rnt\\]))/
        defined $1 ? chr hex $1 : { r => "\r", n => "\n", t => "\t", '\\' => '\\' }->{$2}/ge;
    return $s;
}

sub enc {
    my ($s, $keep) = @_;
    $keep //= '';
    $s =~ s/([^A-Za-z0-9_.~\-$keep])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

# a cookie's value: all but what would end it or the header
sub cookie_value {
    my ($s) = @_;
    $s =~ s/([;,\x00-\x1f\x7f])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

my @corpus;
open my $fh, '<', "$FindBin::Bin/data/waf/attacks.txt" or die "attacks.txt: $!";
while (my $line = <$fh>) {
    chomp $line;
    next if $line =~ /^\s*(?:#|$)/;
    my ($family, $targets, $payload) = $line =~ /^(\S+)\s+(\S+)\s+(.*)$/
        or die "attacks.txt: $line";
    push @corpus, [$family, $_, unescape($payload)] for split //, $targets;
}
close $fh;
cmp_ok(scalar @corpus, '>=', 200, scalar(@corpus) . ' attacks in the corpus');

my %session = (Cookie => $cookie, 'X-CSRF-Token' => $csrf, Origin => "https://$host",
               'Sec-Fetch-Site' => 'same-origin', 'Content-Type' => 'application/json');
my $update = $json->encode({ action => 'set', message => 'ok' });
my $counter = '/api/v1/admin/offices/kita/counters/moving';
my $event = { time => time, event => 'issue', counter => 'moving', ticket => 7 };

# one request: (method, path, options)
sub build {
    my ($target, $p) = @_;
    my %t = (
        a => sub { ('GET', '/api/v1/offices/kita/history?date=' . enc($p)) },
        p => sub { ('GET', '/kita?lang=' . enc($p)) },
        P => sub { ('GET', '/kita/' . enc($p, '%/')) },
        U => sub { ('GET', $p) },
        x => sub { ('GET', '/api/v1/search?q=' . enc($p, '%')) },
        y => sub { ('GET', '/kita/search?q=' . enc($p, '%')) },
        s => sub { ('GET', '/staff/?q=' . enc($p)) },
        j => sub { ('POST', $counter, { headers => \%session,
                    body => $json->encode({ action => 'set', message => $p }) }) },
        k => sub { ('POST', $counter, { headers => \%session,
                    body => $json->encode({ action => 'set', $p => 1 }) }) },
        u => sub { ('POST', '/api/v1/admin/login', { headers => { 'Content-Type' => 'application/json' },
                    body => $json->encode({ user => $p, password => $password }) }) },
        f => sub { ('POST', '/api/v1/admin/offices/kita/feed', {
                    headers => { 'Content-Type' => 'application/x-ndjson', Authorization => "Bearer $feed_token" },
                    body => $json->encode($event) . "\n" . $json->encode({ %$event, counter => $p }) . "\n" }) },
        F => sub { ('POST', '/api/v1/admin/offices/kita/feed', {
                    headers => { 'Content-Type' => 'application/x-ndjson', Authorization => "Bearer $feed_token" },
                    body => $json->encode($event) . "\n$p\n" }) },
        c => sub { ('POST', $counter, { headers => { %session, Cookie => "$cookie; pref=" . cookie_value($p) },
                    body => $update }) },
        h => sub { ('POST', $counter, { headers => { %session, 'User-Agent' => $p }, body => $update }) },
        H => sub { ('GET', '/api/v1/offices', { headers => { 'User-Agent' => $p } }) },
        r => sub { ('GET', '/kita', { headers => { Referer => $p } }) },
        X => sub { ('POST', $counter, { headers => { %session, 'X-Api-Version' => $p }, body => $update }) },
    );
    my $b = $t{$target} or die "unknown target $target";
    return $b->();
}

# the refusals that must be ModSecurity's: a valid request but for the
# payload (a feed batch whose other line is a real event)
my %waf_only = map { $_ => 1 } qw(j k c h X f F);

my (@results, %by);
for my $a (@corpus) {
    my ($family, $target, $p) = @$a;
    my @resp;
    if ($target eq 'R') {
        (my $raw = $p) =~ s/\{HOST\}/$host/g;
        my $i = index($raw, "\r\n\r\n");
        my $len = length($raw) - $i - 4;
        $raw =~ s/\{LEN\}/$len/;
        @resp = $c->raw($raw);
    } else {
        my ($m, $path, $opt) = build($target, $p);
        # told apart in ModSecurity's log by this (not where the citizens'
        # grammar reads the query string)
        $path .= ($path =~ /\?/ ? '&' : '?') . 'n=' . scalar(@results)
            unless $target =~ /^[apHr]$/;
        @resp = ($c->request($m, $path, $opt));
    }
    push @results, [$family, $target, $p, \@resp];
}

# ModSecurity's refusals, by the request line's "n=" of each request; the
# audit log's entry of each
my $denials = MadoTest::Staged::denials($t);
my %denial_of;
for my $id (keys %$denials) {
    my ($n) = $denials->{$id} =~ /, request: "[A-Z]+ [^" ]*[?&]n=(\d+)[ &]/ or next;
    $denial_of{$n} = $id;
}
my $audit = MadoTest::Staged::audit_for($t, values %denial_of);

for my $i (0 .. $#results) {
    my ($family, $target, $p, $resp) = @{ $results[$i] };
    (my $shown = MadoTest::text($p)) =~ s/([\x00-\x1f\x7f])/sprintf '\\x%02x', ord $1/ge;
    $shown = substr($shown, 0, 60) . '...' if length $shown > 63;
    my @st = map { $_->{status} } @$resp;
    my $name = "$family $target: $shown";

    # a raw request may get no answer at all: nginx closed the connection
    ok(!grep({ $_ >= 200 && $_ < 300 } @st) && ($target eq 'R' || $st[0] != 0),
       "$name: refused (@st)")
        or diag(substr($resp->[0]{raw} // $resp->[0]{body} // '', 0, 600));

    my $body = $resp->[0]{body} // '';
    my $who = $denial_of{$i} ? 'ModSecurity'
            : $body =~ /"error":"(?:bad_query|refused)"|<title>40[03]<\/title>/ ? 'nginx\'s grammar'
            : $body =~ /^\{"error":/ || $body =~ /<html lang=/ ? 'mado'
            : 'nginx';
    $by{$who}++;
    diag("$who: $name ($st[0])") if $ENV{WAF_WHO} && $who =~ $ENV{WAF_WHO};

    next unless $waf_only{$target};
    ok($denial_of{$i}, "$name: ModSecurity's refusal, in the error log")
        or diag("status $st[0]: " . substr($body, 0, 300));
    my @rules = grep { $_ ne '949110' } @{ $audit->{ $denial_of{$i} // '' } || [] };
    ok(@rules, "$name: the audit log names the rule" . (@rules ? " (@rules)" : ''));
}

diag(join ', ', map { "$by{$_} refused by $_" } sort keys %by);

# the error log's line, as fail2ban reads it (docs/admin.md)
my ($line) = values %$denials;
like($line // '', qr/^\S+ \S+ \[error\] \d+#\d+: \*\d+ \[client 127\.0\.0\.1\] ModSecurity: Access denied with code \d{3} /,
     'a denial in the error log: [error] ... [client ADDR] ModSecurity: Access denied with code N');

# what was refused left the counter as it was: no message of the corpus
$r = $c->request('GET', '/api/v1/offices/kita');
my $office = eval { $json->decode($r->{body}) } || {};
my ($moving) = grep { $_->{id} eq 'moving' } @{ $office->{office}{counters} || [] };
ok($moving && !defined $moving->{message}, 'no message of the corpus reached the counter')
    or diag($r->{body});

MadoTest::Staged::check_error_log($t);
$t->stop;
done_testing;
