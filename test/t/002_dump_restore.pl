# Identifier columns survive pg_dump/pg_restore and binary COPY unchanged,
# and their indexes and constraints come back working.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'customer_info'");
$node->start;

$node->safe_psql('postgres', q{
	CREATE DATABASE src;
});
$node->safe_psql('src', q{
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE customers (
		id ci.cn_id PRIMARY KEY,
		employer ci.uscc,
		mobile ci.cn_mobile UNIQUE,
		card ci.bank_card
	);
	CREATE INDEX ON customers USING hash (employer);
	INSERT INTO customers VALUES
		('11010519491231002X', '91350100M000100Y43', '13800138000', '6222020000000000000'),
		('110105200002290013', '91440300MA5DCKXX8K', '+86 150 1234 5678', '4111 1111 1111 1111'),
		('810000198001010014', '52110000500021BN90', '19912345678', '400000000002');
});

my $expected = $node->safe_psql('src',
	'SELECT id, employer, mobile, card FROM customers ORDER BY id');

# Policy the institution changed travels too: risk levels tightened, a
# purpose of its own, a holiday, the consent ledger and its state.
$node->safe_psql('src', q{
	UPDATE ci.risk_level SET review_interval = '3 months' WHERE risk_level = 'high';
	INSERT INTO ci.purpose (purpose, legal_basis, description) VALUES ('wealth_advice', 'consent', 'advice');
	INSERT INTO ci.calendar_day VALUES ('2026-10-01', false, 'National Day');
	SELECT ci.give_consent('C1', 'wealth_advice', 'app', 'v1');
	SELECT ci.give_consent('C2', 'marketing', 'branch', 'v1');
	SELECT ci.withdraw_consent('C2', 'marketing', 'phone', 'v1');
});
my $policy_query = q{
	SELECT (SELECT string_agg(risk_level || ' ' || review_interval, ', ' ORDER BY rank) FROM ci.risk_level),
		   (SELECT count(*) FROM ci.purpose),
		   (SELECT count(*) FROM ci.calendar_day),
		   (SELECT count(*) FROM ci.consent_event),
		   ci.has_consent('C1', 'wealth_advice'), ci.has_consent('C2', 'marketing')};
my $policy = $node->safe_psql('src', $policy_query);

my $tempdir = PostgreSQL::Test::Utils::tempdir;
my $dump = "$tempdir/src.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ],
	'pg_dump of a database with identifier columns');

# The dump holds the canonical text, so it is readable by any client.
my $plain = `pg_restore -f - --data-only $dump`;
like($plain, qr/11010519491231002X/, 'dump holds the canonical text');

$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $dump ],
	'pg_restore into a new database');

is($node->safe_psql('dst', 'SELECT id, employer, mobile, card FROM customers ORDER BY id'),
	$expected, 'restored rows are identical');
is($node->safe_psql('dst', $policy_query), $policy,
	'risk levels, purposes, calendar and consent come back as they were');
is($node->safe_psql('dst', 'SELECT count(*) FROM ci.consent_check()'), '0',
	'the restored consent state matches the ledger');
is($node->safe_psql('dst', q{SELECT ci.give_consent('C3', 'marketing', 'app', 'v1') > 3}), 't',
	'new ledger events after a restore follow the restored ones');

# Constraints and indexes are back and use the types' operator classes.
my ($ret, $stdout, $stderr) = $node->psql('dst',
	"INSERT INTO customers (id) VALUES ('110105491231002')");
like($stderr, qr/duplicate key value violates unique constraint "customers_pkey"/,
	'restored primary key rejects the legacy spelling of an existing number');
# The operators live in schema ci: without it on the search_path a query
# must name them, as the README says.
($ret, $stdout, $stderr) = $node->psql('dst',
	"SELECT 1 FROM customers WHERE employer = '91440300MA5DCKXX8K'::ci.uscc");
like($stderr, qr/operator does not exist: ci.uscc = ci.uscc/,
	'operators need ci on the search_path');
is($node->safe_psql('dst', q{
	SET enable_seqscan = off;
	SELECT mobile FROM customers
	 WHERE employer OPERATOR(ci.=) '91440300MA5DCKXX8K'::ci.uscc}),
	'15012345678', 'restored hash index answers, operator named');
$node->safe_psql('postgres',
	'ALTER DATABASE dst SET search_path = "$user", public, ci');
is($node->safe_psql('dst', q{
	SET enable_seqscan = off;
	EXPLAIN (COSTS OFF)
	SELECT mobile FROM customers WHERE employer = '91440300MA5DCKXX8K'}),
	qq{Index Scan using customers_employer_idx on customers\n}
	  . qq{  Index Cond: (employer = '91440300MA5DCKXX8K'::uscc)},
	'with ci on the database search_path, plain SQL uses the hash index');

# Binary COPY out of one database and into the other.
$node->safe_psql('src', "COPY customers TO '$tempdir/c.bin' WITH (FORMAT binary)");
$node->safe_psql('dst', q{
	CREATE TABLE customers_bin (LIKE customers);
});
$node->safe_psql('dst', "COPY customers_bin FROM '$tempdir/c.bin' WITH (FORMAT binary)");
is($node->safe_psql('dst',
		'SELECT id, employer, mobile, card FROM customers_bin ORDER BY id'),
	$expected, 'binary COPY round trip');

# Binary input is validated like text input, and the error is masked.
open my $fh, '>:raw', "$tempdir/bad.bin" or die;
# PGCOPY header, one tuple of one field holding a wrong check character
print $fh "PGCOPY\n\377\r\n\0", pack('NN', 0, 0),
  pack('n', 1), pack('N', 18), '110105194912310021', pack('n', 0xFFFF);
close $fh;
$node->safe_psql('dst', 'CREATE TABLE ids (id ci.cn_id)');
($ret, $stdout, $stderr) = $node->psql('dst',
	"COPY ids FROM '$tempdir/bad.bin' WITH (FORMAT binary)");
like($stderr, qr/invalid input syntax for type ci.cn_id: "110105\*{8}0021"/,
	'binary input with a wrong check character is refused, masked');
unlike($stderr, qr/110105194912310021/, 'the whole value is not in the error');

# Nor is it in the server log: not in the error, nor in the statement or
# the COPY context that the server would log with it.  (log_statement, on
# in these test clusters, logs every statement before it runs; a server
# that must not log literals leaves it off, as here.)
$node->append_conf('postgresql.conf', "log_statement = none");
$node->reload;
open $fh, '>', "$tempdir/bad.txt" or die;
print $fh "440305197808136097\n";
close $fh;
$node->psql('dst', "COPY ids FROM '$tempdir/bad.txt'");
$node->psql('dst', "INSERT INTO ids VALUES ('330106200601010106')");
my $log = slurp_file($node->logfile);
like($log, qr/ERROR:  invalid input syntax for type ci.cn_id: "440305\*{8}6097"/,
	'text COPY error is logged masked');
like($log, qr/ERROR:  invalid input syntax for type ci.cn_id: "330106\*{8}0106"/,
	'INSERT error is logged masked');
unlike($log, qr/110105194912310021|440305197808136097|330106200601010106/,
	'no rejected value is in the log, in any line');

# The README's procedure for a DBA ("Installing for a DBA", step 7): the
# globals (roles and memberships) and the database with its own settings
# (pg_dump --create), restored on another server.
$node->safe_psql('postgres', q{ALTER DATABASE src SET search_path = "$user", public, ci});
$node->safe_psql('postgres', 'CREATE ROLE regress_dba_alice LOGIN IN ROLE customer_info_admin');
my $globals = "$tempdir/globals.sql";
$node->command_ok([ 'pg_dumpall', '--globals-only', '-f', $globals, '-d', $node->connstr('postgres') ],
	'pg_dumpall --globals-only');
$node->command_ok([ 'pg_dump', '-Fc', '--create', '-f', "$tempdir/src_create.dump", '-d', $node->connstr('src') ],
	'pg_dump --create');
my $other = PostgreSQL::Test::Cluster->new('other_server');
$other->init;
$other->append_conf('postgresql.conf', "shared_preload_libraries = 'customer_info'");
$other->start;
# errors for roles that exist already are harmless, as the README says
$other->command_ok([ 'psql', '-X', '-q', '-f', $globals, '-d', $other->connstr('postgres') ],
	'psql -f globals.sql');
$other->command_ok([ 'pg_restore', '--create', '-d', $other->connstr('postgres'), "$tempdir/src_create.dump" ],
	'pg_restore --create on another server');
is($other->safe_psql('src', 'SHOW search_path'), '"$user", public, ci',
	'the database keeps its search path');
is($other->safe_psql('src', q{SELECT pg_has_role('regress_dba_alice', 'customer_info_admin', 'MEMBER')}), 't',
	'roles and their memberships come back with the globals');
is($other->safe_psql('src', 'SELECT id, employer, mobile, card FROM customers ORDER BY id'),
	$expected, 'the rows come back');
is($other->safe_psql('src', $policy_query), $policy, 'and the policy');
$other->stop;

$node->stop;
done_testing(25);
