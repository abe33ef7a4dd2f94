#!/usr/bin/perl

# Configuration as nginx users expect it: the mado directives may come in
# any order (what they need from each other is checked once the http block
# is read, naming the file and line), and "nginx -t" refuses what cannot
# work: a store that is a file, a public URL that is not an absolute http(s)
# URL, mado_stale_after 0, mado_refresh under 5s, a staff panel with no
# update API location at its path in the same server.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use MadoTest;

MadoTest::require_binaries(qw(madoctl module nginx));

my $t = MadoTest->new;
my $dir = $t->dir;
my $repo = MadoTest::repo();

$t->madoctl_ok('init');
$t->madoctl_ok('load', MadoTest::offices_json());

# every directive after the server block that uses it
$t->write_config_raw(<<"EOF");
load_module %%MODULE%%;
%%USER%%%%ENV%%worker_processes 1;
daemon on;
master_process on;
pid %%DIR%%/nginx.pid;
error_log %%DIR%%/error.log info;
events { worker_connections 64; }
http {
%%HTTP_PATHS%%
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/admin/ { mado_admin; mado_admin_insecure on; }
        location /staff/ { mado_staff; }
        location /api/ { mado_api; }
        location / { mado_pages; }
    }
    mado_store %%STORE%%;
    mado_calendar off;
    mado_audit_key %%DIR%%/audit.key;
    mado_messages $repo/conf.example/i18n;
    mado_assets $repo/conf.example/assets;
    mado_public_url https://mado.example.jp/;
}
EOF

my ($rc, $out) = $t->nginx_test;
is($rc, 0, 'nginx -t: mado_store and friends after the server block')
    or diag(MadoTest::text($out));

$t->start;
my ($r, $d) = $t->get_json('/api/v1/offices');
is($r->{status}, 200, 'the API answers');
ok(MadoTest::find_office($d, 'kita'), 'from the store named after the server block');
$r = $t->get('/kita');
is($r->{status}, 200, 'the office page');
like($r->{body}, qr{data-office="kita"}, 'is rendered');
$r = $t->get('/staff/');
is($r->{status}, 200, 'the staff panel');
$r = $t->http('POST', '/api/v1/admin/login', {
    timeout => 30,          # a hash of 600 000 iterations, slow under ASan
    body => '{"user":"nobody","password":"wrong password here"}',
    headers => { 'Content-Type' => 'application/json' } });
is($r->{status}, 401, 'the update API, with the audit key named after it');
$t->stop;


# ---------------------------------------------------------------- refusals

# the http block with HTTP in it and a server with SERVER
sub conf {
    my ($http, $server) = @_;
    $server //= 'location /api/ { mado_api; }';
    return <<"EOF";
load_module %%MODULE%%;
%%USER%%%%ENV%%worker_processes 1;
daemon on;
master_process on;
pid %%DIR%%/nginx.pid;
error_log %%DIR%%/error.log info;
events { worker_connections 64; }
http {
%%HTTP_PATHS%%
    $http
    server {
        listen 127.0.0.1:%%PORT%%;
        $server
    }
}
EOF
}

sub refused {
    my ($http, $server, $re, $name) = @_;
    $t->write_config_raw(conf($http, $server));
    my ($rc, $out) = $t->nginx_test;
    isnt($rc, 0, "nginx -t refuses $name");
    like($out, $re, "and says why: $name") or diag(MadoTest::text($out));
}

sub accepted {
    my ($http, $server, $name) = @_;
    $t->write_config_raw(conf($http, $server));
    my ($rc, $out) = $t->nginx_test;
    is($rc, 0, "nginx -t accepts $name") or diag(MadoTest::text($out));
    return $out;
}

my $base = "mado_store %%STORE%%;";

# the store
open my $fh, '>', "$dir/a-file" or die $!;
close $fh;
refused("mado_store $dir/a-file;", undef,
        qr{\[emerg\].*mado_store "\Q$dir\E/a-file" is not a directory.*nginx\.conf:\d+},
        'a store that is a file');
my $o = accepted("mado_store $dir/not-yet;", undef, 'a store not made yet');
like($o, qr{\[warn\].*mado_store "\Q$dir\E/not-yet" is not there yet}, 'with a warning');
{
    $t->write_config_raw(conf(''));
    my @lines = split /\n/, MadoTest::_read_file("$dir/nginx.conf");
    my ($line) = grep { $lines[$_ - 1] =~ /mado_api/ } 1 .. @lines;
    refused('', undef,
            qr{\[emerg\] "mado_api" directive requires "mado_store" in "http" in \S*nginx\.conf:$line\b},
            'mado_api with no store, naming its line');
}

# durations
refused("$base mado_stale_after 0;", undef,
        qr{"mado_stale_after" directive must be more than 0}, 'mado_stale_after 0');
refused("$base mado_refresh 2s;", undef,
        qr{"mado_refresh" directive must be at least 5s}, 'mado_refresh 2s');

# the public URL
for my $bad ('mado.example.jp', 'ftp://mado.example.jp', 'https://', 'https:///x',
             'https://:443/', 'https://mado.example.jp/?a=1',
             'https://mado.example.jp/#top', 'https://user@mado.example.jp/',
             '//mado.example.jp', 'https://mado.example.jp/a"b')
{
    refused("$base mado_public_url '$bad';", undef,
            qr{"mado_public_url" directive takes}, "mado_public_url $bad");
}
accepted("$base mado_public_url https://mado.example.jp:8443/kyoto/;", undef,
         'an https URL with a port and a path');
accepted("$base mado_public_url http://127.0.0.1:8080;", undef, 'an http URL of an address');

# pages and the staff panel need their catalogs and assets
my $pages = "mado_messages $repo/conf.example/i18n; mado_assets $repo/conf.example/assets;";
refused("$base $pages", 'location / { mado_pages; }',
        qr{"mado_pages" directive requires "mado_messages", "mado_assets" and "mado_public_url"},
        'mado_pages with no public URL');
refused("$base mado_audit_key $dir/audit.key;",
        'location /api/v1/admin/ { mado_admin; } location /staff/ { mado_staff; }',
        qr{"mado_staff" directive requires "mado_messages" and "mado_assets"},
        'mado_staff with no catalogs');

# the staff panel's update API is a mado_admin location in the same server
my $staff_http = "$base $pages mado_audit_key $dir/audit.key;";
refused($staff_http, 'location /staff/ { mado_staff; }',
        qr{"mado_staff" directive requires a "mado_admin" location with its path in the same server \("/api/v1/admin/"\) in \S*nginx\.conf:\d+},
        'mado_staff with no mado_admin');
refused($staff_http,
        'location /admin/ { mado_admin; } location /staff/ { mado_staff; }',
        qr{"mado_staff" directive requires a "mado_admin" location},
        'mado_staff with mado_admin at another path');
refused($staff_http . "\n    server { listen 127.0.0.1:%%PORT%%; server_name other; "
            . "location /api/v1/admin/ { mado_admin; } }",
        'location /staff/ { mado_staff; }',
        qr{"mado_staff" directive requires a "mado_admin" location},
        'mado_staff with mado_admin in another server only');
accepted($staff_http,
         'location /admin/ { mado_admin; } location /staff/ { mado_staff /admin/; }',
         'mado_staff naming the path of its mado_admin');
refused("$base", 'location /api/v1/admin/ { mado_admin; }',
        qr{"mado_admin" directive requires "mado_audit_key" in "http"},
        'mado_admin with no audit key');

# how many logins hash at once in each worker, how many more wait
my $admin = "$base mado_audit_key %%DIR%%/audit.key;";
accepted("$admin mado_login_threads 4 queue=16;", 'location /api/v1/admin/ { mado_admin; }',
         'mado_login_threads 4 queue=16');
accepted("$admin mado_login_threads 1;", 'location /api/v1/admin/ { mado_admin; }',
         'mado_login_threads 1');
refused("$admin mado_login_threads 0;", 'location /api/v1/admin/ { mado_admin; }',
        qr{"mado_login_threads": "0" must be a number of threads, 1 to 512},
        'mado_login_threads 0');
refused("$admin mado_login_threads 2 queue=many;", 'location /api/v1/admin/ { mado_admin; }',
        qr{"mado_login_threads": "queue=many" must be queue= and a number of logins},
        'mado_login_threads with a bad queue');
refused("$admin mado_login_threads 2; mado_login_threads 3;", 'location /api/v1/admin/ { mado_admin; }',
        qr{"mado_login_threads" directive is duplicate},
        'mado_login_threads twice');

done_testing;
