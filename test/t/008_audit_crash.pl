# Sealing the audit log survives an immediate shutdown in the middle: after
# the restart the chain verifies, sealing resumes where it was, and every
# log row ends up sealed once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('audit');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'customer_info'
customer_info.audit_seal_interval = 0
});
$node->start;
$node->safe_psql('postgres', q{
	SET client_min_messages = warning;
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric);
	SELECT ci.audit('accounts');
	INSERT INTO accounts SELECT g, 'owner ' || g, 100 FROM generate_series(1, 1000) g;
	SELECT ci.audit_seal();
	INSERT INTO accounts SELECT g, 'owner ' || g, 100 FROM generate_series(1001, 300000) g;
});
my ($sealed_before) = $node->safe_psql('postgres', 'SELECT count(*) FROM ci.audit_chain');
is($sealed_before, '1000', 'a first part is sealed');

# Seal the rest in another session, and stop the server in the middle.
# "The middle" is a state, not a moment: a third session holds the row of
# ci.audit_seal_state that the sealer updates once it has read and hashed
# every unsealed row, just before it writes the links; so the sealer is
# provably mid-run when it waits for that row while holding the sealer's
# advisory lock, inside its transaction.
my ($hout, $herr) = ('', '');
my $holder = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'), '-c',
	  q{BEGIN; SELECT FROM ci.audit_seal_state WHERE source = 'audit_log' FOR UPDATE;
		SELECT pg_sleep(600); COMMIT;} ],
	'>', \$hout, '2>', \$herr);
ok($node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE query LIKE '%FOR UPDATE%pg_sleep%' AND wait_event = 'PgSleep'}),
	'a session holds the sealer\'s state');
my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'), '-c', 'SELECT ci.audit_seal()' ],
	'>', \$out, '2>', \$err);
ok($node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity a
		 WHERE a.query = 'SELECT ci.audit_seal()' AND a.state = 'active'
		   AND a.wait_event_type = 'Lock'
		   AND EXISTS (SELECT FROM pg_locks l WHERE l.pid = a.pid
						 AND l.locktype = 'advisory' AND l.granted)}),
	'the sealer has hashed the rows and waits to write its links, uncommitted');
$node->stop('immediate');
$h->finish;
$holder->finish;
unlike($out, qr/^\s*\d+\s*$/m, 'the interrupted run returned no count');

$node->start;
my $verify = $node->safe_psql('postgres', 'SELECT ok, checked FROM ci.audit_verify()');
like($verify, qr/^t\|\d+$/, 'after the crash the chain verifies');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ci.audit_chain'), '1000',
	'the interrupted run left no link behind');
is($node->safe_psql('postgres', 'SELECT ci.audit_seal()'), '299000',
	'sealing resumes where it was: the rows the interrupted run had linked');
is($node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM ci.audit_log) + (SELECT count(*) FROM ci.read_audit)
				 = (SELECT count(*) FROM ci.audit_chain)
		   AND (SELECT count(DISTINCT (source, audit_id)) FROM ci.audit_chain) = (SELECT count(*) FROM ci.audit_chain)}),
	't', 'every log row is sealed, once');
like($node->safe_psql('postgres', 'SELECT ok, checked FROM ci.audit_verify()'),
	qr/^t\|300000$/, 'the whole chain verifies');

$node->stop;
done_testing(9);
