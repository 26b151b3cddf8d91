# The background scheduler: it runs the review sweep in the configured
# databases at the configured time (set by a reload, a minute ahead), keeps
# its process across reloads, comes back after being killed, and never
# creates a task twice.  New tasks raise NOTIFY with no personal data.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('scheduler');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'customer_info'
customer_info.key_command = 'echo 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'
customer_info.scheduler_databases = ''
restart_after_crash = on
});
$node->start;

sub scheduler_pid
{
	return $node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'customer_info scheduler'});
}

sub wait_for_log
{
	my ($re, $count) = @_;
	for (1 .. 1500)
	{
		my @hits = (slurp_file($node->logfile) =~ /$re/g);
		return scalar @hits if @hits >= $count;
		usleep(100_000);
	}
	return 0;
}

my $pid = '';
for (1 .. 100)
{
	$pid = scheduler_pid();
	last if $pid ne '';
	usleep(100_000);
}
isnt($pid, '', 'the scheduler runs from server start');

$node->safe_psql('postgres', q{
	SET client_min_messages = warning;
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE customers (id int PRIMARY KEY, name text, risk text, onboarded date);
	INSERT INTO customers SELECT g, 'c' || g, 'high', CURRENT_DATE - 400 FROM generate_series(1, 50) g;
	SELECT ci.attach_review('customers', 'id', 'risk', 'onboarded');
});

# a new task raises NOTIFY; its payload names the task, not the customer
my $notified = $node->safe_psql('postgres', q{
	LISTEN customer_info_review;
	INSERT INTO customers VALUES (51, 'Secret Name', 'low', CURRENT_DATE);
	SELECT 1;
});
like($notified,
	qr/Asynchronous notification "customer_info_review" with payload "\{"task_id" : \d+, "reason" : "onboarding", "due_on" : "[0-9-]+", "table" : "public.customers"\}"/,
	'a new task raises NOTIFY customer_info_review with a JSON payload');
unlike($notified, qr/Secret Name|"51"/, 'the payload carries no personal data');

# the sweep at a time set by a reload, a minute ahead
my $at = $node->safe_psql('postgres',
	q{SELECT to_char(now() + interval '1 minute', 'HH24:MI')});
$node->safe_psql('postgres', qq{
	ALTER SYSTEM SET customer_info.scheduler_databases = 'postgres';
	ALTER SYSTEM SET customer_info.scheduler_time = '$at';
	SELECT pg_reload_conf();
});
my $runs = wait_for_log(qr/customer_info review sweep in database "postgres": \{[^}]*"periodic": 50/, 1);
is($runs, 1, "the sweep ran at $at, once, and logged its counts");
is(scheduler_pid(), $pid, 'the scheduler kept its process across the reload');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM ci.review_task WHERE reason = 'periodic'}),
	'50', 'the sweep created the periodic tasks');
like($node->safe_psql('postgres', q{SELECT run_by || ' ' || (counts ->> 'periodic') FROM ci.review_run}),
	qr/ 50$/, 'the run is recorded');

# killed, it is back, runs the (passed) day's sweep again, adds nothing
kill 'KILL', $pid;
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'customer_info scheduler'})
  or die 'the scheduler did not come back';
my $newpid = scheduler_pid();
isnt($newpid, $pid, 'the scheduler is restarted after being killed');
ok(wait_for_log(qr/customer_info review sweep in database "postgres": /, 2) >= 2,
	'it runs the day\'s sweep again at start');
is($node->safe_psql('postgres',
		q{SELECT count(*) || ' ' || count(DISTINCT (customer, reason, due_on)) FROM ci.review_task
		   WHERE reason = 'periodic'}),
	'50 50', 'no task twice across restarts');

# SIGTERM ends it; the postmaster starts it again
$node->safe_psql('postgres', qq{SELECT pg_terminate_backend($newpid)});
$node->poll_query_until('postgres',
	qq{SELECT count(*) = 1 FROM pg_stat_activity
	    WHERE backend_type = 'customer_info scheduler' AND pid <> $newpid})
  or die 'the scheduler did not come back after SIGTERM';
pass('after SIGTERM the scheduler exits and is started again');

$node->stop;
done_testing();
