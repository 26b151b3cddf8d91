# The background scheduler: it says in the log when it serves no database
# (at start and when a reload changes the list), and attach_review says so
# in a NOTICE; it runs the review sweep in the configured databases at the
# configured time (set by a reload, a minute ahead), once; it seals the
# audit chain every customer_info.audit_seal_interval; it keeps its process
# across reloads, comes back after being killed, and never creates a task
# twice; SIGTERM ends it and its workers quietly (exit 0, no FATAL), also
# at a server restart.  New tasks and escalations raise NOTIFY with no
# personal data.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('scheduler');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'customer_info'
customer_info.key_command = 'echo 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'
customer_info.scheduler_databases = ''
customer_info.audit_seal_interval = '1s'
restart_after_crash = on
log_min_messages = debug1
});
$node->start;

sub scheduler_pid
{
	return $node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'customer_info scheduler'});
}

sub count_matches
{
	my ($re, $offset) = @_;
	my @hits = (slurp_file($node->logfile, $offset // 0) =~ /$re/g);
	return scalar @hits;
}

$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'customer_info scheduler'})
  or die 'the scheduler did not start';
my $pid = scheduler_pid();
isnt($pid, '', 'the scheduler runs from server start');

# an empty database list is said at start, with the setting to change
$node->wait_for_log(
	qr/LOG:  customer_info scheduler serves no database: no daily review sweep and no audit sealing will run\n.*HINT:  Set customer_info.scheduler_databases /
);
pass('an empty customer_info.scheduler_databases is logged at start');

$node->safe_psql('postgres', q{
	SET client_min_messages = warning;
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE customers (id int PRIMARY KEY, name text, risk text, onboarded date);
	INSERT INTO customers SELECT g, 'c' || g, 'high', CURRENT_DATE - 400 FROM generate_series(1, 50) g;
	CREATE TABLE audited (id int PRIMARY KEY, note text);
	SELECT ci.audit('audited');
});

# attaching a table in a database the scheduler does not serve: a NOTICE
my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT ci.attach_review('customers', 'id', 'risk', 'onboarded')});
is($rc, 0, 'attach_review works');
like($err,
	qr/NOTICE:  the customer_info scheduler does not serve database "postgres"\nDETAIL:  No daily review sweep runs in this database, and its audit log is not sealed automatically.\nHINT:  Add the database to customer_info.scheduler_databases/,
	'attach_review says that no scheduler serves the database, and names the setting');

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

# nothing sealed while no database is served
$node->safe_psql('postgres', q{INSERT INTO audited SELECT g, 'n' || g FROM generate_series(1, 3) g});
is($node->safe_psql('postgres', q{SELECT count(*) FROM ci.audit_chain}), '0',
	'no database served: the audit log is not sealed');

# the run time "a minute ahead" must be later today: near midnight, wait
# for the next day first
my $to_midnight = $node->safe_psql('postgres',
	q{SELECT ceil(extract(epoch FROM date_trunc('day', now()) + interval '1 day' - now()))});
sleep($to_midnight + 2) if $to_midnight < 120;
my $at = $node->safe_psql('postgres',
	q{SELECT to_char(now() + interval '1 minute', 'HH24:MI')});
my $offset = -s $node->logfile;
$node->safe_psql('postgres', qq{
	ALTER SYSTEM SET customer_info.scheduler_databases = 'postgres';
	ALTER SYSTEM SET customer_info.scheduler_time = '$at';
	SELECT pg_reload_conf();
});
$node->wait_for_log(qr/customer_info scheduler serves databases: postgres/, $offset);
pass('the new database list is logged on reload');

# sealing every audit_seal_interval, without anyone calling ci.audit_seal()
$node->poll_query_until('postgres',
	q{SELECT count(*) = 3 FROM ci.audit_chain WHERE source = 'audit_log'})
  or die 'the audit log was not sealed';
$node->wait_for_log(qr/customer_info audit sealer in database "postgres": 3 rows sealed/, $offset);
pass('the scheduler seals the audit log of its databases');
$node->safe_psql('postgres', q{INSERT INTO audited VALUES (4, 'later')});
$node->poll_query_until('postgres',
	q{SELECT count(*) = 4 FROM ci.audit_chain WHERE source = 'audit_log'})
  or die 'a later change was not sealed';
pass('and seals again a second later');

# the sweep at its time: wait for the run, then let time pass and count
$node->poll_query_until('postgres', q{SELECT count(*) >= 1 FROM ci.review_run})
  or die "the sweep did not run at $at";
$node->wait_for_log(qr/customer_info review sweep in database "postgres": \{[^}]*"periodic": 50/,
	$offset);
$node->poll_query_until('postgres',
	qq{SELECT now() > (SELECT max(finished_at) FROM ci.review_run) + interval '5 seconds'})
  or die 'the clock stopped';
$node->safe_psql('postgres', q{SELECT pg_reload_conf()});	# wakes the scheduler up
$node->poll_query_until('postgres',
	qq{SELECT now() > (SELECT max(finished_at) FROM ci.review_run) + interval '8 seconds'})
  or die 'the clock stopped';
is($node->safe_psql('postgres', q{SELECT count(*) FROM ci.review_run}), '1',
	"the sweep ran at $at once (ci.review_run)");
is(count_matches(qr/customer_info review sweep in database "postgres": /, $offset), 1,
	'and logged its counts once');
is(scheduler_pid(), $pid, 'the scheduler kept its process across the reloads');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM ci.review_task WHERE reason = 'periodic'}),
	'50', 'the sweep created the periodic tasks');
like($node->safe_psql('postgres', q{SELECT run_by || ' ' || (counts ->> 'periodic') FROM ci.review_run}),
	qr/ 50$/, 'the run is recorded');

# killed, it is back, runs the (passed) day's sweep again, adds nothing
$offset = -s $node->logfile;
kill 'KILL', $pid;
$node->poll_query_until('postgres',
	qq{SELECT count(*) = 1 FROM pg_stat_activity
	    WHERE backend_type = 'customer_info scheduler' AND pid <> $pid})
  or die 'the scheduler did not come back';
my $newpid = scheduler_pid();
isnt($newpid, $pid, 'the scheduler is restarted after being killed');
$node->poll_query_until('postgres', q{SELECT count(*) = 2 FROM ci.review_run})
  or die 'the day\'s sweep did not run again at start';
$node->wait_for_log(qr/customer_info review sweep in database "postgres": \{[^}]*"periodic": 0/,
	$offset);
pass('it runs the day\'s sweep again at start, which adds nothing');
is($node->safe_psql('postgres',
		q{SELECT count(*) || ' ' || count(DISTINCT (customer, reason, due_on)) FROM ci.review_task
		   WHERE reason = 'periodic'}),
	'50 50', 'no task twice across restarts');

# escalation raises NOTIFY too, with no personal data
$notified = $node->safe_psql('postgres', q{
	LISTEN customer_info_review;
	SELECT ci.review_sweep(CURRENT_DATE + 30) ->> 'escalated';
});
my @esc = ($notified =~
	  /Asynchronous notification "customer_info_review" with payload "\{"task_id" : \d+, "reason" : "escalated", "escalation" : \d+, "due_on" : "[0-9-]+", "table" : "public.customers"\}"/g);
is(scalar @esc, 51, 'each escalation raises NOTIFY with the task, reason, level, due date and table');
like($notified, qr/^51\n/, 'the sweep escalated the 51 overdue tasks (50 periodic, 1 onboarding)');
my @payloads = ($notified =~ /with payload "(.*)" received/g);
is(scalar(grep { !/^\{"task_id" : \d+, "reason" : "[a-z_]+", (?:"escalation" : \d+, )?"due_on" : "[0-9-]+", "table" : "public.customers"\}$/ } @payloads),
	0, 'no payload carries anything else (no customer key, no name)');

# SIGTERM ends the scheduler quietly: exit code 0, no FATAL; being a
# deliberate stop, the postmaster does not start it again
$offset = -s $node->logfile;
$node->safe_psql('postgres', qq{SELECT pg_terminate_backend($newpid)});
$node->wait_for_log(qr/customer_info scheduler shutting down/, $offset);
$node->wait_for_log(
	qr/background worker "customer_info scheduler" \(PID $newpid\) exited with exit code 0/,
	$offset);
pass('after SIGTERM the scheduler exits with code 0');
$node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'customer_info scheduler'})
  or die 'the scheduler is still there';
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/FATAL|exit code 1/, 'no FATAL and no exit code 1 after SIGTERM');

# a server restart: the scheduler and its workers end quietly, and the
# scheduler is back with the restarted server
$node->restart;
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'customer_info scheduler'})
  or die 'the scheduler did not start after the restart';
$node->wait_for_log(qr/customer_info scheduler serves databases: postgres/, $offset);
$offset = -s $node->logfile;
$node->safe_psql('postgres', q{INSERT INTO audited VALUES (5, 'after restart')});
$node->poll_query_until('postgres',
	q{SELECT count(*) = 5 FROM ci.audit_chain WHERE source = 'audit_log'})
  or die 'no sealing after the restart';
$node->stop('fast');
$log = slurp_file($node->logfile, $offset);
like($log, qr/customer_info scheduler shutting down/, 'at shutdown the scheduler says it ends');
unlike($log,
	qr/FATAL:  terminating background worker "customer_info|background worker "customer_info[^"]*" \(PID \d+\) exited with exit code [1-9]/,
	'at shutdown no FATAL and no failing exit from the scheduler or its workers');
$node->start;

# a reload that empties the list says so again
$offset = -s $node->logfile;
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET customer_info.scheduler_databases = '';
	SELECT pg_reload_conf();
});
$node->wait_for_log(qr/customer_info scheduler serves no database/, $offset);
pass('emptying customer_info.scheduler_databases by a reload is logged');

$node->stop;
done_testing(26);
