# An immediate shutdown in the middle of online re-encryption: after the
# restart nothing is lost or sealed twice, and calling ci.reencrypt()
# again finishes the job.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $key = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'customer_info'\n"
	  . "customer_info.key_command = 'echo $key'\nlog_statement = none");
$node->start;

my $rows = 20000;
my $middle = $rows / 2;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE t (id int PRIMARY KEY, v text);
	SELECT ci.protect('t', 'v', 'cn_mobile');
	INSERT INTO t SELECT i, (13800000000 + i)::text FROM generate_series(1, $rows) i;
	SELECT ci.rotate_key();
});
my $digest = q{SELECT count(*), md5(string_agg(ci.reveal(t, 'v'), ',' ORDER BY id)) FROM t};
my $before = $node->safe_psql('postgres', $digest);
my $usage = q{SELECT string_agg(key_id || ':' || "values", ' ' ORDER BY key_id)
	FROM ci.key_usage()};
is($node->safe_psql('postgres', $usage), "1:$rows", 'all values under the first key');

# Another session holds a row in the middle of the table: the batch that
# reaches it waits there, after the batches before it committed.  The crash
# comes only once that is so, whatever the machine's speed.
my ($lin, $lout, $lerr) = ("BEGIN;\nSELECT id FROM t WHERE id = $middle FOR UPDATE;\n", '', '');
my $locker = IPC::Run::start(
	[ 'psql', '-X', '-q', '-A', '-t', '-d', $node->connstr('postgres') ],
	'<', \$lin, '>', \$lout, '2>', \$lerr,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
$locker->pump until $lout =~ /^$middle$/m;

my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'),
	  '-c', "CALL ci.reencrypt('t', 'v', 500)" ],
	'>', \$out, '2>', \$err);

ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE query LIKE 'CALL ci.reencrypt%' AND wait_event_type = 'Lock'}),
	're-encryption waits for the row held in the middle of the table');
my $moved = $node->safe_psql('postgres',
	q{SELECT count(*) FROM t WHERE ci.envelope_key_id(v) = 2});
ok($moved > 0 && $moved < $rows,
	"re-encryption is mid-way before the crash ($moved of $rows values moved)");
$node->stop('immediate');
$h->finish;
$locker->finish;
$node->start;

my $after_crash = $node->safe_psql('postgres', $usage);
like($after_crash, qr/^1:\d+ 2:\d+$/, "after the crash the values are under both keys ($after_crash)");
is($node->safe_psql('postgres', $digest), $before,
	'after the crash every value opens and none is lost or changed');

$node->safe_psql('postgres', "CALL ci.reencrypt('t', 'v', 5000)");
is($node->safe_psql('postgres', $usage), "2:$rows",
	'calling it again finishes: every value under the new key');
is($node->safe_psql('postgres', $digest), $before,
	'and every value is the same plaintext as before');

$node->stop;
done_testing(7);
