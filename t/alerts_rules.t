#!/usr/bin/perl

# The shipped alerting: promtool check rules and promtool test rules on
# conf.example/prometheus/ (every alert fires where it should and not in
# its near miss: mado-rules.test.yml); the textfile script's output passes
# promtool check metrics and says what it read (a certificate's notAfter,
# archives the seal chain does not name, the newest backup); the
# Alertmanager example passes amtool where amtool is installed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Path qw(make_path);
use File::Spec;
use Test::More;

use MadoTest;

my $promtool = '/usr/bin/promtool';
-x $promtool or plan skip_all => "promtool (Debian's prometheus) is not installed: make deps";

my $dir = File::Spec->catdir($FindBin::Bin, '..', 'conf.example', 'prometheus');
my $t = MadoTest->new;

# ------------------------------------------------------------ the rules

my $out = `cd '$dir' && $promtool check rules mado-rules.yml 2>&1`;
is($? >> 8, 0, 'promtool check rules: no problem') or diag($out);
like($out, qr/SUCCESS: (\d+) rules found/, 'the rules found');
my ($n) = $out =~ /SUCCESS: (\d+) rules/;
ok($n >= 14, "$n rules");

$out = `cd '$dir' && $promtool test rules mado-rules.test.yml 2>&1`;
is($? >> 8, 0, 'promtool test rules: every case passes') or diag($out);

# every alert of the file has its unit test, a severity and both summaries
my $rules = slurp("$dir/mado-rules.yml");
my $tests = slurp("$dir/mado-rules.test.yml");
my @alerts = $rules =~ /^\s+- alert: (\w+)$/mg;
is(scalar @alerts, $n, 'every rule is an alert');
for my $a (@alerts) {
    like($tests, qr/alertname: \Q$a\E\n\s+exp_alerts:\n\s+- exp_labels:/, "$a: tested firing");
}
my @blocks = split /^\s+- alert: /m, $rules;
shift @blocks;
for my $b (@blocks) {
    my ($name) = $b =~ /^(\w+)/;
    like($b, qr/severity: (warning|critical)\n/, "$name: a severity");
    like($b, qr/summary_ja: ".*[\x{3040}-\x{30ff}\x{4e00}-\x{9fff}]/, "$name: a Japanese summary");
}

# a rule broken on purpose fails its test: the tests can fail
my $broken = $t->dir . '/mado-rules.yml';
(my $b = $rules) =~ s/mado_desk_stalled_seconds > 30 \* 60/mado_desk_stalled_seconds > 20 * 60/ or die;
spew($broken, $b);
spew($t->dir . '/mado-rules.test.yml', $tests);
$out = `cd '${\ $t->dir}' && $promtool test rules mado-rules.test.yml 2>&1`;
isnt($? >> 8, 0, 'a stall limit of 20 minutes fails the near miss of 29');
like($out, qr/alertname: MadoCounterStalled/, 'naming the alert');

# ------------------------------------------------------------ the textfile script

my $d = $t->dir . '/host';
make_path("$d/logs", "$d/backups", "$d/prom");
spew("$d/logs/access.log-20261101.gz", '');
spew("$d/logs/access.log-20261102.gz", '');
spew("$d/logs/access.log", '');
spew("$d/chain", "1 0 20261101 access.log-20261101.gz 10 aa bb cc\n");
spew("$d/backups/mado-20261102.enc", 'x');
utime 1795000000, 1795000000, "$d/backups/mado-20261102.enc";
utime 1795100000, 1795100000, "$d/chain";

SKIP: {
    skip 'no openssl', 8 unless -x '/usr/bin/openssl';
    system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $d/key.pem"
           . " -out $d/cert.pem -days 30 -subj /CN=mado.example > /dev/null 2>&1") == 0
        or die 'openssl req';
    my $end = `openssl x509 -noout -enddate -in $d/cert.pem`;
    $end =~ s/^notAfter=//;
    chomp(my $want = `date -u -d '$end' +%s`);

    local %ENV = (%ENV, MADO_TLS_CERTS => "$d/cert.pem $d/missing.pem", MADO_LOG_DIR => "$d/logs",
                  MADO_LOG_CHAIN => "$d/chain", MADO_DISKS => "$d/logs $d/nowhere",
                  MADO_BACKUP_DIR => "$d/backups", OUT => "$d/prom/mado.prom");
    $out = `sh $dir/mado-textfile.sh 2>&1`;
    is($? >> 8, 0, 'mado-textfile.sh: exit 0') or diag($out);
    my $prom = slurp("$d/prom/mado.prom");
    my $check = `$promtool check metrics < $d/prom/mado.prom 2>&1`;
    is($? >> 8, 0, 'its output passes promtool check metrics') or diag($check);
    like($prom, qr/^mado_tls_cert_not_after_seconds\{file="\Q$d\E\/cert.pem"\} $want$/m,
         "the certificate's notAfter");
    like($prom, qr/^mado_tls_cert_not_after_seconds\{file="\Q$d\E\/missing.pem"\} 0$/m,
         'a certificate that cannot be read: 0, which the rules take as expired');
    like($prom, qr/^mado_logs_unsealed_archives 1$/m, 'one archive not in the chain');
    like($prom, qr/^mado_logs_last_seal_timestamp_seconds 1795100000$/m, "the chain's last change");
    like($prom, qr/^mado_backup_last_success_timestamp_seconds 1795000000$/m, 'the newest backup');
    like($prom, qr/^mado_disk_free_ratio\{path="\Q$d\E\/logs"\} 0\.\d{4}$/m, 'the free space of a path that exists, only');
}

# ------------------------------------------------------------ Alertmanager

SKIP: {
    my ($amtool) = grep { -x } qw(/usr/bin/amtool);
    skip 'amtool (prometheus-alertmanager) is not installed', 1 unless $amtool;
    $out = `$amtool check-config $dir/alertmanager.yml 2>&1`;
    is($? >> 8, 0, 'amtool check-config: the Alertmanager example') or diag($out);
}

$t->check_logs;

done_testing;


sub slurp {
    my ($f) = @_;
    open my $fh, '<:encoding(UTF-8)', $f or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($f, $s) = @_;
    open my $fh, '>:encoding(UTF-8)', $f or die "$f: $!";
    print {$fh} $s;
    close $fh;
}
