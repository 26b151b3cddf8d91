# The root key: where it comes from, what happens without it, and that it
# never shows; dump and restore of encrypted data under the same and a
# different root key.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $key = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
my $other_key = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
my $tempdir = PostgreSQL::Test::Utils::tempdir;

# A node that preloads customer_info with the given key settings.
sub key_node
{
	my ($name, $settings) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'customer_info'\n$settings");
	$node->start;
	return $node;
}

# Each bad key source: the server starts, logs the cause once, and
# encryption fails with a hint naming the settings.
my @bad = (
	[ 'none', '', qr/neither customer_info.key_command nor customer_info.key_file is set/ ],
	[ 'failing_command', "customer_info.key_command = 'exit 3'",
	  qr/customer_info.key_command failed/ ],
	[ 'short_key', "customer_info.key_command = 'echo 0011'",
	  qr/the key is not 64 hexadecimal digits long/ ],
	[ 'not_hex', "customer_info.key_command = 'echo " . ('zz' x 32) . "'",
	  qr/the key contains characters that are not hexadecimal digits/ ],
	[ 'missing_file', "customer_info.key_file = '$tempdir/no_such_file'",
	  qr/customer_info.key_file could not be read/ ],
	[ 'both', "customer_info.key_file = '$tempdir/k'\ncustomer_info.key_command = 'echo $key'",
	  qr/both customer_info.key_command and customer_info.key_file are set/ ],
);
foreach my $case (@bad)
{
	my ($name, $settings, $cause) = @$case;
	my $node = key_node($name, $settings);
	my $log = slurp_file($node->logfile);
	like($log, qr/WARNING:  customer_info: no root key, encryption is unavailable/,
		"$name: warning at start");
	like($log, $cause, "$name: the cause is logged");
	$node->safe_psql('postgres', 'CREATE EXTENSION customer_info CASCADE');
	is($node->safe_psql('postgres', "SELECT ci.mask('11010519491231002X'::ci.cn_id)"),
		'110105********002X', "$name: everything but encryption works");
	my ($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT ci.rotate_key()');
	like($stderr, qr/ERROR:  customer_info has no root key/, "$name: encryption fails");
	like($stderr, qr/HINT:  Set customer_info.key_command or customer_info.key_file/,
		"$name: the hint names the settings");
	$node->stop;
}

# Write a key file with the given permissions.
sub key_file
{
	my ($path, $hex, $mode) = @_;
	open my $fh, '>', $path or die "could not write $path: $!";
	print $fh "$hex\n";
	close $fh;
	chmod($mode, $path) or die "could not chmod $path: $!";
	return $path;
}

# A key file works like the command, when only the server's user can read
# it (0600, as for ssl_key_file).
key_file("$tempdir/root.key", $key, 0600);
my $node = key_node('key_file', "customer_info.key_file = '$tempdir/root.key'");
like(slurp_file($node->logfile), qr/root key loaded from customer_info.key_file/,
	'key file: loaded');
$node->safe_psql('postgres', 'CREATE EXTENSION customer_info CASCADE');
like($node->safe_psql('postgres', 'SELECT ci.rotate_key()'), qr/^\d+$/,
	'key file: encryption works');
$node->stop;

# A key file that group or others can read is refused: the log names the
# file and the fix, and encryption is unavailable.
foreach my $mode (0644, 0640, 0604)
{
	my $name = sprintf('exposed_%04o', $mode);
	my $path = key_file("$tempdir/$name.key", $key, $mode);
	my $node = key_node($name, "customer_info.key_file = '$path'");
	my $log = slurp_file($node->logfile);
	like($log, qr/WARNING:  customer_info: no root key, encryption is unavailable/,
		"$name: refused at start");
	like($log, qr/DETAIL:  The cause: customer_info.key_file can be accessed by group or others, so the key was not used\./,
		"$name: the cause is logged");
	like($log, qr/HINT:  The file "\Q$path\E" has permissions \Q@{[sprintf('%04o', $mode)]}\E: run chmod 0600 "\Q$path\E"/,
		"$name: the log names the file and the fix");
	unlike($log, qr/$key/, "$name: the key is not in the log");
	$node->safe_psql('postgres', 'CREATE EXTENSION customer_info CASCADE');
	my ($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT ci.rotate_key()');
	like($stderr, qr/ERROR:  customer_info has no root key/, "$name: encryption fails");
	unlike($stderr, qr/\Q$tempdir\E/, "$name: the client's error does not show the path");
	$node->stop;
}

# The good node: encrypted data, then dump and restore.
$node = key_node('primary', "customer_info.key_command = 'echo $key'");
like(slurp_file($node->logfile), qr/root key loaded from customer_info.key_command/,
	'key command: loaded');
$node->safe_psql('postgres', q{
	CREATE EXTENSION customer_info CASCADE;
	CREATE ROLE app LOGIN;
	CREATE TABLE customers (id int PRIMARY KEY, id_number text, mobile text);
	GRANT ALL ON customers TO app;
	SELECT ci.protect('customers', 'id_number', 'cn_id', searchable => true);
	SELECT ci.protect('customers', 'mobile', 'cn_mobile');
	INSERT INTO customers VALUES (1, '11010519491231002X', '13800138000'),
		(2, '440305199002280028', '15012345678');
});
my $plain = q{SELECT id, ci.reveal(c, 'id_number'), ci.reveal(c, 'mobile')
	FROM customers c ORDER BY id};
my $expected = $node->safe_psql('postgres', $plain);
is($expected, "1|11010519491231002X|13800138000\n2|440305199002280028|15012345678",
	'values read back');

# The key is in no log line, and settings hide their values from others.
unlike(slurp_file($node->logfile), qr/$key/, 'the key is not in the server log');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_settings WHERE name LIKE 'customer_info.%key\_%'},
		extra_params => [ '-U', 'app' ]),
	'0', 'key settings are invisible to other roles in pg_settings');
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	'SHOW customer_info.key_command', extra_params => [ '-U', 'app' ]);
like($stderr, qr/must be superuser or have privileges of pg_read_all_settings/,
	'SHOW of the key command is refused to other roles');
($ret, $stdout, $stderr) = $node->psql('postgres',
	'SELECT wrapped FROM ci.data_key', extra_params => [ '-U', 'app' ]);
like($stderr, qr/permission denied/, 'wrapped keys are not readable by others');

# Root key rotation: the new key in key_command, the old one in
# previous_key_command; everything opens, ci.rewrap_keys() re-wraps the
# data and blind-index keys, and then the old key is no longer needed.
my $new_key = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
$node->append_conf('postgresql.conf',
	"customer_info.key_command = 'echo $new_key'\n"
	  . "customer_info.previous_key_command = 'echo $key'");
$node->restart;
like(slurp_file($node->logfile), qr/previous root key loaded from customer_info.previous_key_command/,
	'rotation: previous key loaded');
is($node->safe_psql('postgres', $plain), $expected, 'rotation: values open under the previous key');
is($node->safe_psql('postgres', 'SELECT ci.rewrap_keys()'), '2',
	'rotation: one data key and one blind-index key re-wrapped');
$node->append_conf('postgresql.conf', "customer_info.previous_key_command = ''");
$node->restart;
is($node->safe_psql('postgres', $plain), $expected, 'rotation: values open with the new key alone');
is($node->safe_psql('postgres', q{SELECT id FROM customers
	WHERE id_number_bidx = ci.lookup('customers', 'id_number', '11010519491231002x')}),
	'1', 'rotation: blind-index lookups still match');
unlike(slurp_file($node->logfile), qr/$new_key/, 'rotation: no key in the log');
$key = $new_key;

# The same with key files: the new key in key_file, the old one in
# previous_key_file.  Before ci.rewrap_keys() the data keys are still
# wrapped under the old key, so reading proves the previous key file is used.
my $file_key = '0f1e2d3c4b5a69780f1e2d3c4b5a69780f1e2d3c4b5a69780f1e2d3c4b5a6978';
key_file("$tempdir/new_root.key", $file_key, 0600);
key_file("$tempdir/previous_root.key", $key, 0600);
$node->append_conf('postgresql.conf',
	"customer_info.key_command = ''\n"
	  . "customer_info.key_file = '$tempdir/new_root.key'\n"
	  . "customer_info.previous_key_file = '$tempdir/previous_root.key'");
$node->restart;
like(slurp_file($node->logfile), qr/previous root key loaded from customer_info.previous_key_file/,
	'file rotation: previous key file loaded');
is($node->safe_psql('postgres', $plain), $expected,
	'file rotation: values open through the previous key file');
is($node->safe_psql('postgres', 'SELECT ci.rewrap_keys()'), '2',
	'file rotation: one data key and one blind-index key re-wrapped');
$node->append_conf('postgresql.conf', "customer_info.previous_key_file = ''");
$node->restart;
is($node->safe_psql('postgres', $plain), $expected,
	'file rotation: values open with the new key file alone');
# and the new key file alone is what opens them now: the old key no longer
$node->append_conf('postgresql.conf',
	"customer_info.key_file = '$tempdir/previous_root.key'");
$node->restart;
($ret, $stdout, $stderr) = $node->psql('postgres', $plain);
like($stderr, qr/cannot be unwrapped with this server's root key/,
	'file rotation: the old key alone no longer opens the values');
$node->append_conf('postgresql.conf',
	"customer_info.key_file = '$tempdir/new_root.key'");
$node->restart;
$key = $file_key;

# Dump holds envelopes, not plaintext.
my $dump = "$tempdir/db.sql";
$node->command_ok([ 'pg_dump', '-f', $dump, '-d', $node->connstr('postgres') ],
	'pg_dump');
my $text = slurp_file($dump);
unlike($text, qr/19491231002X|13800138000/, 'the dump holds no plaintext');
like($text, qr/ci:AQ/, 'the dump holds envelopes');

# Restore into a new cluster with the same root key: identical.
my $same = key_node('same_key', "customer_info.key_command = 'echo $key'");
$same->safe_psql('postgres', 'CREATE ROLE app LOGIN');
$same->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $dump,
	'-d', $same->connstr('postgres') ], 'restore into a cluster with the same key');
is($same->safe_psql('postgres', $plain), $expected, 'same key: values read back identically');
is($same->safe_psql('postgres', q{SELECT id FROM customers
	WHERE id_number_bidx = ci.lookup('customers', 'id_number', '110105491231002')}),
	'1', 'same key: blind-index lookup works after restore');
$same->safe_psql('postgres',
	q{INSERT INTO customers VALUES (3, '310115198506150049', '13912345678')});
is($same->safe_psql('postgres', q{SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 3}),
	'310115198506150049', 'same key: new writes after restore');
# the masked view came back with the policy, and follows DDL again
$same->safe_psql('postgres', q{
	CREATE ROLE report LOGIN;
	GRANT USAGE ON SCHEMA masked TO report;
	GRANT SELECT ON masked.customers TO report;
	ALTER TABLE customers ADD COLUMN note text});
is($same->safe_psql('postgres',
		q{SELECT id, id_number, mobile, note FROM masked.customers ORDER BY id},
		extra_params => [ '-U', 'report' ]),
	"1|110105********002X|138****8000|\n2|440305********0028|150****5678|\n3|310115********0049|139****5678|",
	'same key: the masked view is restored and regenerated');
$same->stop;

# With a different root key the rows restore (they are only envelopes),
# but nothing opens: the wrapped keys cannot be unwrapped, and the error
# says so instead of returning garbage.
my $other = key_node('other_key', "customer_info.key_command = 'echo $other_key'");
$other->safe_psql('postgres', 'CREATE ROLE app LOGIN');
$other->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $dump,
	'-d', $other->connstr('postgres') ], 'restore into a cluster with another key');
($ret, $stdout, $stderr) = $other->psql('postgres', $plain);
like($stderr, qr/cannot be unwrapped with this server's root key/,
	'different key: reading fails, naming the cause');
unlike($stderr, qr/$other_key|$key|19491231002X/, 'different key: no key or value in the message');
($ret, $stdout, $stderr) = $other->psql('postgres',
	q{INSERT INTO customers VALUES (4, '310115198506150049', NULL)});
like($stderr, qr/cannot be unwrapped with this server's root key/,
	'different key: writing fails too');
$other->stop;

$node->stop;
done_testing(79);
