# Read audit falls back to the server log when a record cannot reach
# ci.read_audit: an insert that fails, and a queue still full after the
# reader's wait.  The record is one structured line with the keys, and no
# value read ever reaches the log.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $key = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
my $node = PostgreSQL::Test::Cluster->new('fallback');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'customer_info'
customer_info.key_command = 'echo $key'
customer_info.read_audit_queue_size = 64
});
$node->start;
$node->safe_psql('postgres', q{
	SET client_min_messages = warning;
	CREATE EXTENSION customer_info CASCADE;
	CREATE ROLE clerk LOGIN;
	CREATE TABLE customers (id int PRIMARY KEY, mobile text);
	INSERT INTO customers SELECT g, '1390013' || lpad(g::text, 4, '0')
	  FROM generate_series(1, 2000) g;
	SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
	GRANT USAGE ON SCHEMA masked TO clerk;
	GRANT SELECT ON masked.customers TO clerk;
	SELECT ci.grant_level('clerk', 'clear', 'C2');
	SELECT ci.allow_purpose('clerk', 'service');
});

sub records
{
	is($node->safe_psql('postgres', 'SELECT ci.read_audit_wait()'), 't', 'the queue is drained');
	return $node->safe_psql('postgres', 'SELECT count(*) FROM ci.read_audit');
}
sub fallback_lines
{
	my ($from) = @_;
	my $log = slurp_file($node->logfile, $from);
	return grep { /customer_info read audit: \{/ } split /\n/, $log;
}

# 1. The insert fails (a trigger a superuser added refuses it): the records
#    go to the log, and nothing is in the table.
my $before = records();
$node->safe_psql('postgres', q{
	CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql
	  AS $$BEGIN RAISE EXCEPTION 'refused by test'; END$$;
	CREATE TRIGGER refuse BEFORE INSERT ON ci.read_audit
	  FOR EACH STATEMENT EXECUTE FUNCTION public.refuse();
});
my $offset = -s $node->logfile;
is($node->safe_psql('postgres',
		q{SET customer_info.purpose = 'service';
		  SELECT mobile FROM masked.customers WHERE id IN (7, 8) ORDER BY id},
		extra_params => [ '-U', 'clerk' ]),
	"13900130007\n13900130008", 'the clerk reads two values in clear');
is(records(), $before, 'the failed insert left nothing in the table');
my @lines = fallback_lines($offset);
is(scalar @lines, 1, 'one structured line for the failed record');
like($lines[0] // '',
	qr/"role": "clerk", "session_user": "clerk", "purpose": "service", "table": "public.customers", "column": "mobile", "rows": 2, "keys": \["7", "8"\], "pid": \d+\}/,
	'the line names role, purpose, table, column, count and keys');
like($lines[0] // '', qr/"statement_start": "[^"]+", "recorded_at": "[^"]+"/,
	'the line has both times');
my $log = slurp_file($node->logfile, $offset);
like($log, qr/refused by test/, 'the failed insert is reported');
unlike($log, qr/1390013000[78]/, 'no value read is in the log');
$node->safe_psql('postgres', 'DROP TRIGGER refuse ON ci.read_audit; DROP FUNCTION public.refuse()');

# 2. The queue stays full: a session holds ci.read_audit so the worker
#    cannot insert; large records (2,000 keys each, a quarter of the
#    64 kB queue at most) fill it; the reader waits, then logs.
$before = records();
my ($hout, $herr) = ('', '');
my $holder = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'), '-c',
	  'BEGIN; LOCK TABLE ci.read_audit; SELECT pg_sleep(600); COMMIT;' ],
	'>', \$hout, '2>', \$herr);
ok($node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE query LIKE 'BEGIN; LOCK TABLE ci.read_audit;%' AND wait_event = 'PgSleep'}),
	'a session holds ci.read_audit');
$offset = -s $node->logfile;
my $statements = 8;
my $script = "SET customer_info.read_audit_keys = 100000;\nSET ROLE clerk;\n"
  . "SET customer_info.purpose = 'service';\n"
  . join('', map { "SELECT count(mobile) FROM masked.customers;\n" } 1 .. $statements);
my ($ret, $stdout, $stderr) = $node->psql('postgres', $script);
is($ret, 0, 'the reads succeed while the queue is full');
@lines = fallback_lines($offset);
ok(@lines >= 1 && @lines < $statements, 'the records that found no room are in the log');
like($lines[0] // '', qr/"table": "public.customers", "column": "mobile", "rows": 2000, "keys": \["1", "2", /,
	'each with its row count and keys');
$log = slurp_file($node->logfile, $offset);
like($log, qr/queue/i, 'the full queue is reported');
unlike($log, qr/13900130\d\d\d/, 'no value read is in the log');
my ($holder_pid) = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE ci.read_audit;%'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($holder_pid)");
$holder->finish;
is(records() - $before + scalar(@lines), $statements,
	'every statement is recorded once: in the table or in the log');

$node->stop;
done_testing(18);
