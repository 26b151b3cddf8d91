# customer_info refuses to load unless preloaded, and works once it is.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('preload');
$node->init;
$node->start;

# Without shared_preload_libraries: a clear error with a hint.
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE EXTENSION customer_info CASCADE');
isnt($ret, 0, 'CREATE EXTENSION fails without preload');
like($stderr, qr/customer_info must be loaded via shared_preload_libraries/,
	'error says the library must be preloaded');
like($stderr, qr/HINT:  Add customer_info to shared_preload_libraries/,
	'hint says how to fix it');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'customer_info'"),
	'0', 'nothing was installed');

($ret, $stdout, $stderr) = $node->psql('postgres', "LOAD 'customer_info'");
isnt($ret, 0, 'LOAD fails without preload');
like($stderr, qr/must be loaded via shared_preload_libraries/,
	'LOAD gives the same error');

# With it: installs, and the types work in a new session.
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'customer_info'");
$node->restart;
$node->safe_psql('postgres', 'CREATE EXTENSION customer_info CASCADE');
is($node->safe_psql('postgres', "SELECT '110105491231002'::ci.cn_id"),
	'11010519491231002X', 'type input works after preload');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'"),
	'1', 'pgcrypto was installed as a requirement');

# Settings under the reserved prefix that the extension does not define
# are refused, in postgresql.conf as in SET.
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'SET customer_info.not_a_setting = 1');
isnt($ret, 0, 'unknown customer_info.* setting refused');
like($stderr, qr/invalid configuration parameter name "customer_info.not_a_setting"/,
	'the error names the setting');

# Only a superuser may install it (not trusted).
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN; CREATE DATABASE appdb OWNER app');
($ret, $stdout, $stderr) = $node->psql('appdb',
	'CREATE EXTENSION customer_info CASCADE', extra_params => [ '-U', 'app' ]);
isnt($ret, 0, 'a database owner who is not superuser cannot install it');
like($stderr, qr/permission denied to create extension/,
	'permission denied for a non-superuser');

# The install script is ASCII: it loads in databases of any encoding, and
# the masks count characters there too.
foreach my $enc ('EUC_CN', 'LATIN1', 'SQL_ASCII')
{
	my $db = lc("db_$enc");
	$node->safe_psql('postgres',
		"CREATE DATABASE $db TEMPLATE template0 ENCODING '$enc' LC_COLLATE 'C' LC_CTYPE 'C'");
	($ret, $stdout, $stderr) = $node->psql($db, 'CREATE EXTENSION customer_info CASCADE');
	is($ret, 0, "installs in a $enc database");
	is($node->safe_psql($db, "SELECT ci.mask('440305199002280028'::ci.cn_id)"),
		'440305********0028', "types work in a $enc database");
}
is($node->safe_psql('db_euc_cn',
		q{SET client_encoding = 'UTF8'; SELECT ci.mask_name('欧阳娜娜')}), '欧阳**',
	'a Chinese name is masked by characters in an EUC_CN database');

# DROP EXTENSION removes every object; the schema CREATE EXTENSION made
# from the control file stays, empty (PostgreSQL does not make it a member).
$node->safe_psql('postgres', 'DROP EXTENSION customer_info');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM pg_proc WHERE pronamespace = 'ci'::regnamespace)
	     + (SELECT count(*) FROM pg_type WHERE typnamespace = 'ci'::regnamespace)
	     + (SELECT count(*) FROM pg_operator WHERE oprnamespace = 'ci'::regnamespace)}),
	'0', 'DROP EXTENSION removes every object in schema ci');
$node->safe_psql('postgres', 'CREATE EXTENSION customer_info');
is($node->safe_psql('postgres', "SELECT ci.mask_name('欧阳娜娜')"),
	'欧阳**', 'reinstalled extension works');

$node->stop;
done_testing(21);
