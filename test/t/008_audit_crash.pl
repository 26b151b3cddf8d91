# Sealing the audit log survives an immediate shutdown in the middle: after
# the restart the chain verifies, sealing resumes where it was, and every
# log row ends up sealed once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);

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

# seal the rest in another session, and stop the server in the middle
my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'), '-c', 'SELECT ci.audit_seal()' ],
	'>', \$out, '2>', \$err);
my $running = 0;
for (1 .. 200)
{
	$running = $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT ci.audit_seal()%'
		    AND state = 'active'});
	last if $running;
	usleep(20_000);
}
usleep(300_000);
$node->stop('immediate');
$h->finish;
ok($running, 'the sealer was running when the server went down');

$node->start;
my $verify = $node->safe_psql('postgres', 'SELECT ok, checked FROM ci.audit_verify()');
like($verify, qr/^t\|\d+$/, 'after the crash the chain verifies');
is($node->safe_psql('postgres', 'SELECT ci.audit_seal() > 0'), 't', 'sealing resumes');
is($node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM ci.audit_log) + (SELECT count(*) FROM ci.read_audit)
				 = (SELECT count(*) FROM ci.audit_chain)
		   AND (SELECT count(DISTINCT (source, audit_id)) FROM ci.audit_chain) = (SELECT count(*) FROM ci.audit_chain)}),
	't', 'every log row is sealed, once');
like($node->safe_psql('postgres', 'SELECT ok, checked FROM ci.audit_verify()'),
	qr/^t\|300000$/, 'the whole chain verifies');

$node->stop;
done_testing();
